#!/usr/bin/env bash
# Runs the pipeline benchmark (tests/src/bin/bench.rs) in the optimized `perf` profile against DynamoDB Local.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_run
ddb_port=$(free_port)
start_dynamodb "$ddb_port" -inMemory
export DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" SES_ENDPOINT="http://127.0.0.1:9" AWS_REGION=us-east-1
(cd "$root" && cargo run -q --profile perf -p integration-tests --bin bench)
