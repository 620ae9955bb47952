#!/usr/bin/env bash
# Runs the API locally: DynamoDB Local (data kept in .local-data/), the SES emulator, moto (Secrets
# Manager for integration credentials) and `cargo lambda watch` with the router. Prints the base URL,
# a token and a first curl.
# Ports: DYNAMODB_PORT (8000), SES_PORT (8005), MOTO_PORT (8006), API_PORT (9000). To use a DynamoDB,
# SES or moto endpoint that is already running instead, set DYNAMODB_ENDPOINT / SES_ENDPOINT /
# MOTO_ENDPOINT (http://host:port); then that server is not started. Ctrl-C stops everything this
# script started. moto keeps its secrets in memory: they are gone when it stops.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
began=$SECONDS
step=0
steps=6
say() { step=$((step + 1)); echo "[$step/$steps $((SECONDS - began)) s] $*"; }

say "tools: DynamoDB Local, the SES emulator, cargo-lambda, moto (into .tools/, once) ..."
"$root/scripts/install-tools.sh" --dev

DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
SES_PORT=${SES_PORT:-8005}
MOTO_PORT=${MOTO_PORT:-8006}
API_PORT=${API_PORT:-9000}
# Instances per function: watch starts them all at a route's first request, so 2 (not the test
# command's 4) keeps each first request near half a second on 2 cores; parallel requests still race.
export API_CONCURRENCY=${API_CONCURRENCY:-2}
TABLE=${TABLE_NAME:-orgs-local}
SECRET=${LOCAL_JWT_SECRET:-local-dev-secret}
data="$root/.local-data"
mkdir -p "$data/dynamodb"
export LOG_DIR="$data"

trap 'echo; echo "stopping ..."; stop_all; exit 0' INT TERM
trap stop_all EXIT

say "emulators ..."
if [ -n "${DYNAMODB_ENDPOINT:-}" ]; then
  echo "  using DynamoDB at $DYNAMODB_ENDPOINT"
else
  echo "  DynamoDB Local on :$DYNAMODB_PORT (data in .local-data/dynamodb)"
  start_dynamodb "$DYNAMODB_PORT" -dbPath "$data/dynamodb"
  DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
fi
if [ -n "${SES_ENDPOINT:-}" ]; then
  echo "  using SES at $SES_ENDPOINT"
else
  echo "  the SES emulator on :$SES_PORT (captured mail: http://127.0.0.1:$SES_PORT/store)"
  start_ses "$SES_PORT"
  SES_ENDPOINT="http://127.0.0.1:$SES_PORT"
fi
if [ -n "${MOTO_ENDPOINT:-}" ]; then
  echo "  using moto at $MOTO_ENDPOINT"
else
  echo "  moto (Secrets Manager, EventBridge) on :$MOTO_PORT"
  start_moto "$MOTO_PORT"
  MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
fi
export AWS_ENDPOINT_URL_SECRETS_MANAGER="$MOTO_ENDPOINT" AWS_ENDPOINT_URL_EVENTBRIDGE="$MOTO_ENDPOINT"
# Every `orgs` event is also copied into a queue, so scripts/local_events.py can show them.
"$tools/venv/bin/python" "$root/scripts/local_events.py" setup "$MOTO_ENDPOINT"

# The functions exactly as `cargo lambda watch` runs them (`cargo run --bin <name>` selects the
# workspace's default members, the functions alone), so no first request compiles anything. Then
# devtool, which asks for no feature the functions lack (it compiles only itself), and the CLI, in
# its own invocation. Cargo draws its progress bar (N of M crates) on a terminal.
nbins=$(grep -c '^\[\[bin\]\]' "$root/functions/Cargo.toml")
say "building the $nbins functions (a fresh clone: about 4 minutes on 2 cores) ..."
(cd "$root" && cargo build -p functions)
say "building devtool and the orgs CLI ..."
(cd "$root" && cargo build -p devtool && cargo build -p orgs-cli)
devtool="$root/target/debug/devtool"
# An operator catalogue (ORGS_CATALOGUE_FILE) is checked before anything starts: the functions
# would refuse it at their start, each in the watch log.
if [ -n "${ORGS_CATALOGUE_FILE:-}" ]; then
  "$devtool" catalogue check "$ORGS_CATALOGUE_FILE"
fi

say "the table $TABLE and the local nameserver ..."
AWS_REGION=us-east-1 "$devtool" create-table "$DYNAMODB_ENDPOINT" "$TABLE"
# Domain verification asks a local nameserver: add `_orgs-verification.<domain> <value>` lines
# to .local-data/dns-zone (read on every lookup) to publish a verification record.
start_dns "$(free_port)" "$data/dns-zone"
write_env "$data/lambda.env" "$TABLE" "$DYNAMODB_ENDPOINT" "$SES_ENDPOINT" "$SECRET"
say "cargo lambda watch on :$API_PORT (log: .local-data/cargo-lambda-watch.log) and the stream poller (log: .local-data/stream-poller.log) ..."
start_api "$API_PORT" "$data/lambda.env"
start_stream_poller "$DYNAMODB_ENDPOINT" "$TABLE" "http://127.0.0.1:$API_PORT" --warm
# Before "up": the stream functions' instances (an empty batch each) and the printed curl's function
# (a call without a token: 401, nothing read or written), so neither the first curl nor its event
# waits for instances to start.
curl -s -o /dev/null -X POST "http://127.0.0.1:$API_PORT/orgs" || true
for _ in $(seq 1 150); do grep -q "stream: warm" "$data/stream-poller.log" 2>/dev/null && break; sleep 0.2; done

token=$("$devtool" token "$SECRET" "user-alice" "alice@example.com")
# The API Gateway samples of events/ with alice's token, for `cargo lambda invoke`.
write_events "$data/events" "$token"
cat <<MSG

The organizations API is up after $((SECONDS - began)) s: http://127.0.0.1:$API_PORT

A token for user-alice (alice@example.com, verified):
  export TOKEN=$token

First request (creates an organization; answers 201):
  curl -s -X POST http://127.0.0.1:$API_PORT/orgs -H "Authorization: Bearer \$TOKEN" \\
       -H 'content-type: application/json' -d '{"name":"Acme"}'
or with the CLI (target/debug/orgs; docs/cli.md):
  echo "\$TOKEN" | target/debug/orgs login --api http://127.0.0.1:$API_PORT --token-stdin
  target/debug/orgs create --name Acme

One function called directly with an API Gateway event (events/ with alice's token, in .local-data/events/):
  .tools/venv/bin/cargo-lambda lambda invoke create-org --invoke-address 127.0.0.1 --invoke-port $API_PORT \\
       --data-file .local-data/events/apigw-create-org.json

Emails the API sent (invitations, notifications; the SES emulator): curl -s $SES_ENDPOINT/store
Domain events go to EventBridge in moto ($MOTO_ENDPOINT), delivered from the table's stream by
scripts/stream_poller.py as Lambda would (its log: .local-data/stream-poller.log). The events so far:
  .tools/venv/bin/python scripts/local_events.py show $MOTO_ENDPOINT
Tokens for other users: target/debug/devtool token $SECRET <userId> [email]
Verifying a domain asks the local nameserver ($DNS_NAMESERVER), which serves .local-data/dns-zone;
publish a record with: echo "_orgs-verification.acme.com orgs-verification=<token>" >> .local-data/dns-zone
Ctrl-C stops everything.
MSG
wait
