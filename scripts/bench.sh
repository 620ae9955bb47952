#!/usr/bin/env bash
# Runs the benchmarks (tests/src/bin/bench.rs: the pipeline's overhead per route, the purge's
# throughput) in the optimized `perf` profile against DynamoDB Local (and moto for Secrets Manager).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_run
ddb_port=$(free_port)
moto_port=$(free_port)
start_dynamodb "$ddb_port" -inMemory
start_moto "$moto_port"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" SES_ENDPOINT="http://127.0.0.1:9" AWS_REGION=us-east-1
export EVENTS_ENDPOINT="http://127.0.0.1:$moto_port" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
(cd "$root" && cargo run -q --profile perf -p integration-tests --bin bench)
