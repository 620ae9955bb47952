#!/usr/bin/env bash
# Runs the benchmarks (tests/src/bin/bench.rs: the pipeline's overhead per route, the purge's
# throughput; tests/src/bin/units.rs: the capacity units a request consumes, empty organization
# beside a full one; tests/src/bin/webhook_cost.rs: the requests and units of a webhook delivery; tests/src/bin/catalogue_cost.rs: the catalogue's cost) in the optimized `perf` profile
# against DynamoDB Local (and moto for Secrets Manager). What it prints is appended to
# docs/measurements.md (record_measurement).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_run
ddb_port=$(free_port)
moto_port=$(free_port)
start_dynamodb "$ddb_port" -inMemory
start_moto "$moto_port"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" SES_ENDPOINT="http://127.0.0.1:9" AWS_REGION=us-east-1
export EVENTS_ENDPOINT="http://127.0.0.1:$moto_port" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
out="$LOG_DIR/bench.out"
{
  (cd "$root" && cargo run -q --profile perf -p integration-tests --bin bench)
  echo "== capacity units per request: an empty organization beside a full catalogue (PENDING=${PENDING:-1500} pending invitations)"
  (cd "$root" && cargo run -q --profile perf -p integration-tests --bin units)
  echo "== a webhook delivery: DynamoDB requests and capacity units per message, 0 (baseline), 1, 5, 20 endpoints"
  (cd "$root" && cargo run -q --profile perf -p integration-tests --bin webhook_cost)
  # The catalogue's cost beside the compiled matrix's, each in its own process (one catalogue a process).
  echo "== the catalogue: a function's start and each request, built-in beside an operator's"
  (cd "$root" && cargo build -q --profile perf -p integration-tests --bin catalogue_cost)
  (cd "$root" && env -u ORGS_CATALOGUE_FILE target/perf/catalogue_cost)
  (cd "$root" && ORGS_CATALOGUE_FILE=infra/catalogue.example.json target/perf/catalogue_cost)
} | tee "$out"
record_measurement scripts/bench.sh "$out"
