#!/usr/bin/env bash
# Every test on a fresh machine: installs the tools, starts DynamoDB Local (in memory), the SES
# emulator and moto (EventBridge) on free ports, checks formatting and clippy (-D warnings), runs the
# unit and in-process integration tests and the fault-injection run, lints the template, then serves
# the API through `cargo lambda watch` for an end-to-end smoke test and schemathesis.
# Beside all that, at the lowest CPU priority in its own target directory (so it takes only what the
# tests leave idle and never waits on their build lock), the release build of the functions
# scripts/size-bounds names, the largest of each kind, held to the package budget minus the margin
# scripts/release-check.sh verifies every other function stays within (before every deployment).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_run

ddb_port=$(free_port)
ses_port=$(free_port)
moto_port=$(free_port)
start_dynamodb "$ddb_port" -inMemory
start_ses "$ses_port"
start_moto "$moto_port"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" SES_ENDPOINT="http://127.0.0.1:$ses_port" EVENTS_ENDPOINT="http://127.0.0.1:$moto_port"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local

# The sampled release build, in the background from the start.
mapfile -t bounded < <(grep -v '^#' "$root/scripts/size-bounds" | grep .)
margin=${SIZE_MARGIN_BYTES:-100000}
(cd "$root" && exec setsid nice -n 19 env BUDGET_BYTES=$((2500000 - margin)) SIZE_TARGET_DIR="$root/target/size" \
  scripts/size.sh "${bounded[@]}") >"$LOG_DIR/size.log" 2>&1 &
size_pid=$!
pids+=("$size_pid")

echo "== formatting and clippy (-D warnings)"
(cd "$root" && cargo fmt --all --check)
(cd "$root" && cargo clippy -q --workspace --all-targets -- -D warnings)

echo "== the orgs CLI links no AWS SDK and no lambda_http"
if (cd "$root" && cargo tree -p orgs-cli -e normal --prefix none | grep -E '^(aws-|lambda_)'); then
  echo "the orgs CLI depends on the crates above; it must not" >&2
  exit 1
fi

echo "== unit and integration tests (DynamoDB Local on :$ddb_port)"
(cd "$root" && cargo test --workspace --no-fail-fast -- --skip fault_run::)

echo "== fault injection: every write route and worker with each of its calls failing in turn"
# On its own, after the rest: its table (route, fault, call, answer, retry, state) is printed.
# On a fresh DynamoDB Local: the one that served the whole suite has answered a transaction of
# the run's first, parallel pass with a server error (503, no fault injected) on a loaded machine.
kill -- "-$dynamodb_pid" 2>/dev/null || true
ddb_port=$(free_port)
start_dynamodb "$ddb_port" -inMemory
export DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port"
(cd "$root" && cargo test -p integration-tests --test api fault_run:: -- --nocapture --test-threads 2)

echo "== template and spec lint"
# The root template and every nested stack's (infra/stacks/, generated from the route table).
"$tools/venv/bin/cfn-lint" "$root/infra/template.yaml" "$root"/infra/stacks/*.yaml
echo "cfn-lint: ok"
echo "== each stack's resources after SAM's transform (at most 300 of CloudFormation's 500)"
"$tools/venv/bin/python" "$root/scripts/stack-resources.py" "$root/infra/template.yaml" 300 2>/dev/null
echo "== infrastructure scan (checkov; each check not satisfied is skipped beside its resource, with its reason)"
BC_SKIP_MAPPING=TRUE "$tools/venv/bin/checkov" -d "$root/infra" --framework cloudformation --compact --quiet --skip-download
echo "checkov: ok"
# redocly.yaml: the recommended rules, warnings included, as errors.
(cd "$root" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$tools/node_modules/.bin/redocly" lint openapi.yaml 2>&1 \
  | grep -v '[║╔╚]')
echo "redocly lint openapi.yaml: 0 errors, 0 warnings"

echo "== end to end through cargo lambda watch"
"$root/scripts/e2e.sh" "$ddb_port" "$ses_port"
echo "== package size: the largest function of each kind (scripts/size-bounds) within the budget minus $margin bytes"
status=0
wait "$size_pid" || status=$?
cat "$LOG_DIR/size.log"
if [ "$status" -ne 0 ]; then
  echo "the sampled release build or its size check failed (above)" >&2
  exit 1
fi
echo "every function: scripts/release-check.sh (before every deployment)"
echo "all tests passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
# RECORD=1 appends the time to docs/measurements.md (with MEASUREMENTS_ROOT=<the repository> from
# a fresh clone: `git clone . /tmp/x && cd /tmp/x && RECORD=1 MEASUREMENTS_ROOT=$OLDPWD scripts/test.sh`).
if [ "${RECORD:-0}" = 1 ]; then
  echo "scripts/test.sh: all tests passed in $((SECONDS / 60)) min $((SECONDS % 60)) s" >"$LOG_DIR/test-time"
  record_measurement scripts/test.sh "$LOG_DIR/test-time"
fi
