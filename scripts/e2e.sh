#!/usr/bin/env bash
# End-to-end: the real binaries behind `cargo lambda watch` and its router, against DynamoDB Local
# (started by the caller, port $1) and the SES emulator (port $2). A smoke test of the printed curl,
# then schemathesis against openapi.yaml: no 5xx, no response that contradicts the spec.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT
ddb_port=$1
ses_port=$2
api_port=$(free_port)
table="e2e-$RANDOM$RANDOM"
secret="e2e-secret"
LOG_DIR=${LOG_DIR:-$(mktemp -d)}

# Each in its own invocation: the functions exactly as `cargo lambda watch` runs them (Cargo.toml,
# default-members), so no first request compiles; devtool (the functions' features: only itself compiles), the CLI.
(cd "$root" && cargo build -q -p functions && cargo build -q -p devtool && cargo build -q -p orgs-cli)
devtool="$root/target/debug/devtool"
"$devtool" create-table "http://127.0.0.1:$ddb_port" "$table"
# Domain verification asks a local nameserver serving $LOG_DIR/dns-zone.
start_dns "$(free_port)" "$LOG_DIR/dns-zone"
# Integration secrets go to the moto the test command started (EVENTS_ENDPOINT).
export AWS_ENDPOINT_URL_SECRETS_MANAGER="${EVENTS_ENDPOINT:?the test command sets EVENTS_ENDPOINT (moto)}"
# Events go to the same moto, delivered from the table's stream by the poller below.
export AWS_ENDPOINT_URL_EVENTBRIDGE="$EVENTS_ENDPOINT"
# The operator catalogue of the README's example (docs/concepts.md) (its permissions, a 25-seat plan), as an operator
# deploys one: the races below use its permission and plan through the real binaries.
export ORGS_CATALOGUE_FILE="$root/infra/catalogue.example.json"
"$devtool" catalogue check "$ORGS_CATALOGUE_FILE"
write_env "$LOG_DIR/lambda.env" "$table" "http://127.0.0.1:$ddb_port" "http://127.0.0.1:$ses_port" "$secret"
start_api "$api_port" "$LOG_DIR/lambda.env"
base="http://127.0.0.1:$api_port"
start_stream_poller "http://127.0.0.1:$ddb_port" "$table" "$base" --from-start

token=$("$devtool" token "$secret" "e2e-user" "e2e@example.com")
status=$(curl -s -D "$LOG_DIR/smoke.headers" -o "$LOG_DIR/smoke.json" -w '%{http_code}' -X POST "$base/orgs" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"Acme"}')
if [ "$status" != 201 ]; then
  echo "smoke: POST /orgs answered $status: $(cat "$LOG_DIR/smoke.json")" >&2
  tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2
  exit 1
fi
echo "smoke: POST /orgs -> 201 $(cat "$LOG_DIR/smoke.json")"
org=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$LOG_DIR/smoke.json")
invitee="e2e-invitee-$RANDOM@example.com"
status=$(curl -s -o "$LOG_DIR/invite.json" -w '%{http_code}' -X POST "$base/orgs/$org/invitations" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "{\"email\":\"$invitee\",\"role\":\"viewer\"}")
email_status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("emailStatus"))' "$LOG_DIR/invite.json")
if [ "$status" != 201 ] || [ "$email_status" != sent ] || ! curl -s "http://127.0.0.1:$ses_port/store" | grep -q "$invitee"; then
  echo "smoke: the invitation answered $status with emailStatus $email_status: $(cat "$LOG_DIR/invite.json")" >&2
  exit 1
fi
echo "smoke: POST /orgs/{orgId}/invitations -> 201, email captured by the SES emulator"
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/orgs")
[ "$status" = 401 ] || { echo "smoke: GET /orgs without a token answered $status, not 401" >&2; exit 1; }
echo "smoke: GET /orgs without a token -> 401"
# The API Gateway samples, with a local token, invoked as the README's `cargo lambda invoke` does.
write_events "$LOG_DIR/events" "$token"
invoked=$(curl -s -X POST "$base/2015-03-31/functions/list-my-orgs/invocations" -d @"$LOG_DIR/events/apigw-list-my-orgs.json")
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(a["body"]); assert a["statusCode"] == 200 and any(o["name"] == "Acme" for o in b["items"]), a' "$invoked" \
  || { echo "smoke: events/apigw-list-my-orgs.json with a token answered $invoked" >&2; exit 1; }
echo "smoke: events/apigw-list-my-orgs.json with a local token, invoked directly -> 200"

# An integration's secret goes to Secrets Manager (moto) and never into a function's log line.
marker="e2e-secret-$RANDOM$RANDOM$RANDOM"
status=$(curl -s -o "$LOG_DIR/integration.json" -w '%{http_code}' -X POST "$base/orgs/$org/integrations" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"kind\":\"dns_provider\",\"provider\":\"cloudflare\",\"name\":\"CF\",\"secret\":\"$marker\"}")
integration=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id"))' "$LOG_DIR/integration.json")
rotated=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$base/orgs/$org/integrations/$integration/secret" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "{\"secret\":\"$marker-2\"}")
if [ "$status" != 201 ] || [ "$rotated" != 200 ] || grep -q "$marker" "$LOG_DIR/integration.json"; then
  echo "smoke: the integration answered $status (rotation $rotated): $(cat "$LOG_DIR/integration.json")" >&2
  tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2
  exit 1
fi
if grep -q "$marker" "$LOG_DIR/cargo-lambda-watch.log"; then
  echo "smoke: an integration secret appeared in the functions' log" >&2
  exit 1
fi
echo "smoke: POST /orgs/{orgId}/integrations and PUT .../secret -> 201, 200; the secret is in no response and no log line"

# Closure, then the schedule replayed 31 days ahead: the organization is purged and its slug is free.
slug="closing-$RANDOM$RANDOM"
curl -s -o "$LOG_DIR/closing.json" -X POST "$base/orgs" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d "{\"name\":\"Closing E2E\",\"slug\":\"$slug\"}"
closing=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$LOG_DIR/closing.json")
status=$(curl -s -o "$LOG_DIR/closed.json" -w '%{http_code}' -X POST "$base/orgs/$closing/close" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' -d '{"confirmName":"Closing E2E"}')
[ "$status" = 200 ] || { echo "smoke: close answered $status: $(cat "$LOG_DIR/closed.json")" >&2; exit 1; }
later=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); e["time"]=sys.argv[2]; print(json.dumps(e))' \
  "$root/events/scheduled-purge.json" "$later" >"$LOG_DIR/purge-event.json"
status=$(curl -s -o "$LOG_DIR/purge.json" -w '%{http_code}' -X POST \
  "$base/2015-03-31/functions/purge-closed-orgs/invocations" -d @"$LOG_DIR/purge-event.json")
purged=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("orgsPurged"))' "$LOG_DIR/purge.json" 2>/dev/null || true)
retaken=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/orgs" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d "{\"name\":\"Reborn\",\"slug\":\"$slug\"}")
if [ "$status" != 200 ] || [ "${purged:-0}" -lt 1 ] || [ "$retaken" != 201 ]; then
  echo "smoke: the purge answered $status $(cat "$LOG_DIR/purge.json"); taking the slug again answered $retaken" >&2
  tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2
  exit 1
fi
echo "smoke: close, then purge-closed-orgs replayed 31 days ahead -> $(cat "$LOG_DIR/purge.json"); the slug is free again"

# What the real binaries print: ONE line per request, an embedded metric document named by the
# answer's x-request-id, and the purge run's line with Runs = 1 (what the alarms read).
request_id=$(awk 'tolower($1)=="x-request-id:" {print $2}' "$LOG_DIR/smoke.headers" | tr -d '\r')
python3 - "$LOG_DIR/cargo-lambda-watch.log" "$request_id" <<'PY' || { tail -n 30 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }
import json, sys
log, request_id = sys.argv[1], sys.argv[2]
docs = []
for line in open(log, errors="replace"):
    start = line.find("{")
    if start < 0:
        continue
    try:
        docs.append(json.loads(line[start:]))
    except ValueError:
        pass
assert request_id, "the answer had no x-request-id"
mine = [d for d in docs if d.get("request_id") == request_id]
assert len(mine) == 1, f"{len(mine)} lines for request {request_id}"
d = mine[0]
metrics = d["_aws"]["CloudWatchMetrics"]
assert (d["route"], d["status"], d["Errors5xx"], d["Answers"]) == ("create-org", "201", 0, 1), d
assert d["DynamoRequests"] >= 1 and metrics[0]["Dimensions"] == [["route"]], d
purge = [d for d in docs if d.get("job") == "purge-closed-orgs"]
assert purge and purge[-1]["Runs"] == 1 and purge[-1]["OrgsPurged"] >= 1, purge[-1:]
print(f"smoke: the request's line is its metrics document ({d['DynamoRequests']} DynamoDB requests, {d['latency_ms']} ms); the purge's line has Runs = 1")
PY

echo "the orgs CLI (scripts/e2e_cli.py) ..."
DNS_ZONE_FILE="$LOG_DIR/dns-zone" python3 "$root/scripts/e2e_cli.py" "$base" "$devtool" "$secret" "$root/target/debug/orgs" \
  || { tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }

echo "the TypeScript client (clients/typescript: openapi-typescript, tsc --strict, then its flow) ..."
ts="$root/clients/typescript"
(cd "$ts" && node_modules/.bin/openapi-typescript ../../openapi.yaml -o generated/schema.d.ts >/dev/null \
  && node_modules/.bin/tsc -p .)
ts_invitee="ts-invitee-$RANDOM$RANDOM"
ORGS_API="$base" OWNER_TOKEN="$token" INVITEE_EMAIL="$ts_invitee@example.com" \
  INVITEE_TOKEN=$("$devtool" token "$secret" "$ts_invitee" "$ts_invitee@example.com") node "$ts/dist/flow.js" \
  | sed 's/^/typescript: /' || { tail -n 30 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }

echo "events and notifications from the table's stream (scripts/stream_poller.py) ..."
"$tools/venv/bin/python" "$root/scripts/e2e_stream.py" "$base" "$devtool" "$secret" "http://127.0.0.1:$ses_port" "$EVENTS_ENDPOINT" \
  || { tail -n 30 "$LOG_DIR/stream-poller.log" >&2; tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }

echo "SCIM: the RFC 7644 compliance checker scim2-tester, and bursts (scripts/e2e_scim.py) ..."
"$tools/venv/bin/python" "$root/scripts/e2e_scim.py" "$base" "$devtool" "$secret" \
  || { tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }
# No SCIM token in a log line.
if grep -Eq "orgs_scim_[0-9A-Za-z]{81}" "$LOG_DIR/cargo-lambda-watch.log"; then
  echo "a SCIM token appeared in the functions' log" >&2
  exit 1
fi

echo "signed webhooks, verified by the PyPI libraries standardwebhooks and svix (scripts/e2e_webhooks.py) ..."
"$tools/venv/bin/python" "$root/scripts/e2e_webhooks.py" "$base" "$devtool" "$secret" --changes 20 \
  || { tail -n 30 "$LOG_DIR/stream-poller.log" >&2; tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }
# No signing secret in a log line.
if grep -Eq "whsec_[0-9A-Za-z+/]{20}" "$LOG_DIR/cargo-lambda-watch.log" "$LOG_DIR/stream-poller.log"; then
  echo "a webhook signing secret appeared in the functions' log" >&2
  exit 1
fi

echo "races through cargo lambda watch --concurrency ${API_CONCURRENCY:-4} ..."
DNS_ZONE_FILE="$LOG_DIR/dns-zone" python3 "$root/scripts/e2e_races.py" "$base" "$devtool" "$secret" \
  || { tail -n 50 "$LOG_DIR/cargo-lambda-watch.log" >&2; exit 1; }

# The races and the CLI made, rolled, verified and revoked API keys: none is in a log line.
if grep -Eq "orgs_sk_[0-9A-Za-z]{81}" "$LOG_DIR/cargo-lambda-watch.log" "$LOG_DIR/stream-poller.log"; then
  echo "an API key appeared in the functions' log" >&2
  exit 1
fi
echo "the API keys made by the CLI and the races are in no log line"

echo "schemathesis against openapi.yaml ..."
fuzz_token=$("$devtool" token "$secret" "fuzz-user" "fuzz@example.com")
# Two passes. Negative fuzzing also sends bodies that are not UTF-8, which `cargo lambda watch`
# cannot turn into an API Gateway event (it answers 500 before any function runs; API Gateway
# base64-encodes such bodies and the functions answer 400). So negative data runs in the coverage
# phase (boundary and type violations of every field) and the fuzzing phase runs positive data.
# A request that fails below HTTP (a reset connection, no answer at all) is retried twice, and
# each is given 60 s; an answer, whatever its status, is never retried, so every
# check still sees every response. A failing pass prints its whole report section (which operation,
# which request, the curl to replay it) and the watch log's last lines, not only the summary.
fuzz() {
  local log="$LOG_DIR/schemathesis-$1.log"
  shift
  "$tools/venv/bin/schemathesis" run "$root/openapi.yaml" --url "$base" \
    -H "Authorization: Bearer $fuzz_token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --request-retries 2 --request-timeout 60 \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --generation-codec utf-8 "$@" >"$log" 2>&1 || {
    awk '/^=+ *(ERRORS|FAILURES|WARNINGS|SUMMARY)/ { shown = 1 } shown' "$log" | head -n 400
    echo "-- schemathesis: the last 40 lines of $log" && tail -n 40 "$log"
    echo "-- cargo lambda watch: the last 60 lines" && tail -n 60 "$LOG_DIR/cargo-lambda-watch.log"
    return 1
  }
  tail -n 12 "$log" | grep -E "generated|passed|failures" || true
}
fuzz coverage --mode all --phases coverage
fuzz fuzzing --mode positive --phases fuzzing,stateful

# Every function ran behind watch without compiling: what was built before is what watch runs.
if grep -E '^ +Compiling ' "$LOG_DIR/cargo-lambda-watch.log"; then
  echo "a function's first request compiled the crates above: the build before watch is not the one it runs" >&2
  exit 1
fi
echo "no function's first request compiled anything"
