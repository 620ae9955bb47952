#!/usr/bin/env bash
# Cold start and package size of route functions, next to a hello-world Lambda and to the minimal
# SDK function most people write (lambda_http + aws-sdk-dynamodb, aws_config::load_defaults, one
# GetItem), all built here with the same release profile (the workspace's [profile.release], copied
# into the baselines' crate) in the same run (native target).
# For each: stripped size, zip size, init and the first invocation (a real request against
# DynamoDB Local, so cost moved from init into the first call counts), medians of interleaved runs,
# and the ratios to the minimal SDK function.
# usage: scripts/coldstart.sh [function ...]   (default: get-org; RUNS=15)
#   COMPARE_REV=<git rev> also builds the same functions at that revision (a worktree, its own
#   target dir) and measures them in the same rounds, named <function>@<rev>: the effect of a change.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_run
fns=("${@:-get-org}")
base="$root/target/coldstart-baselines"
mkdir -p "$base/src/bin"
cat >"$base/Cargo.toml" <<TOML
[package]
name = "baselines"
version = "0.1.0"
edition = "2021"
[dependencies]
lambda_runtime = "1"
lambda_http = "1"
aws-config = "1"
aws-sdk-dynamodb = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
serde_json = "1"
$(awk '/^\[profile.release\]/ {on=1; print; next} /^\[/ {on=0} on && NF && !/^#/' "$root/Cargo.toml")
[workspace]
TOML
cat >"$base/src/bin/hello.rs" <<'RS'
use lambda_runtime::{service_fn, Error, LambdaEvent};
#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|e: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(e.payload) })).await
}
RS
cat >"$base/src/bin/minimal-sdk.rs" <<'RS'
// What most people write: the SDK's default set-up, one client, one GetItem per request.
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{run, service_fn, Body, Error, Request, Response};
#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    run(service_fn(move |_req: Request| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let item = client.get_item().table_name(table)
                .key("PK", AttributeValue::S("ORG#x".into())).key("SK", AttributeValue::S("ORG".into()))
                .send().await?;
            Ok::<_, Error>(Response::builder().status(if item.item.is_some() { 200 } else { 404 }).body(Body::Empty)?)
        }
    })).await
}
RS
echo "building release binaries (the functions, then the baselines) ..." >&2
bins=()
for f in "${fns[@]}"; do bins+=(--bin "$f"); done
(cd "$root" && cargo build -q --release -p functions "${bins[@]}")
(cd "$base" && cargo build -q --release --target-dir "$root/target/coldstart")
(cd "$root" && cargo build -q -p devtool)
compared=()
if [ -n "${COMPARE_REV:-}" ]; then
  rev=$(git -C "$root" rev-parse --short "$COMPARE_REV")
  tree="$root/target/coldstart-compare/tree"
  rm -rf "$tree"; git -C "$root" worktree prune
  git -C "$root" worktree add -q --detach "$tree" "$rev"
  echo "building the functions at $rev ..." >&2
  (cd "$tree" && cargo build -q --release -p functions "${bins[@]}" --target-dir "$root/target/coldstart-compare/target")
  for f in "${fns[@]}"; do
    cp "$root/target/coldstart-compare/target/release/$f" "$root/target/coldstart-compare/$f@$rev"
    compared+=("$root/target/coldstart-compare/$f@$rev")
  done
  git -C "$root" worktree remove --force "$tree"
fi

port=$(free_port)
start_dynamodb "$port" -inMemory
table="coldstart"
AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
  "$root/target/debug/devtool" create-table "http://127.0.0.1:$port" "$table" 2>/dev/null
export TABLE_NAME=$table AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port" AWS_ENDPOINT_URL="http://127.0.0.1:$port"
# A first request of each kind warms DynamoDB Local's JVM, so the rounds measure the functions.
python3 "$root/scripts/coldstart.py" -n 1 "$root/target/release/${fns[0]}=$root/events/apigw-get-org.json" >/dev/null

size_of() { stat -c %s "$1"; }
zip_of() { python3 "$root/scripts/zipsize.py" "$1" | cut -d' ' -f2; }
event() { # the sample request a function gets
  case "$1" in
    list-my-orgs) echo "$root/events/apigw-list-my-orgs.json" ;;
    create-org) echo "$root/events/apigw-create-org.json" ;;
    *) echo "$root/events/apigw-get-org.json" ;;
  esac
}
hello="$root/target/coldstart/release/hello"
minimal="$root/target/coldstart/release/minimal-sdk"
args=("$hello=$root/events/apigw-get-org.json" "$minimal=$root/events/apigw-get-org.json")
for f in "${fns[@]}"; do args+=("$root/target/release/$f=$(event "$f")"); done
for b in "${compared[@]}"; do args+=("$b=$(event "$(basename "${b%@*}")")"); done
python3 "$root/scripts/coldstart.py" -n "${RUNS:-15}" "${args[@]}" | tee "$LOG_DIR/coldstart.txt"

echo
printf '%-28s %10s %10s %14s %12s\n' binary "size MB" "zip MB" "init+1st/min" "zip/min"
min_total=$(awk '$1=="minimal-sdk" {print $6}' "$LOG_DIR/coldstart.txt")
min_zip=$(zip_of "$minimal")
for b in "$hello" "$minimal" "${fns[@]/#/$root/target/release/}" "${compared[@]}"; do
  name=$(basename "$b")
  total=$(awk -v n="$name" '$1==n {print $6}' "$LOG_DIR/coldstart.txt")
  z=$(zip_of "$b")
  python3 -c 'import sys; n,s,z,t,mt,mz=sys.argv[1:]; print(f"{n:<28} {int(s)/1e6:>10.2f} {int(z)/1e6:>10.2f} {float(t)/float(mt):>14.2f} {int(z)/int(mz):>12.2f}")' \
    "$name" "$(size_of "$b")" "$z" "$total" "$min_total" "$min_zip"
done
