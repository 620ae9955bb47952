#!/usr/bin/env bash
# A newcomer's first minutes, measured: a fresh clone of HEAD (its own target directory and
# .tools/; the crates already downloaded in ~/.cargo) runs scripts/dev.sh on free ports; prints the
# time to ready (what dev.sh says), to the first 201 of POST /orgs, and each route's first request
# beside its second one (the same route warm, measured in the same run: the baseline).
#   scripts/first-hour.sh            a clone of HEAD in a temporary directory, removed afterwards
# What it prints is appended to docs/measurements.md (record_measurement).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
clone=$(mktemp -d)
git clone -q "$root" "$clone/repo"
cd "$clone/repo"
ports=()
for _ in 1 2 3 4; do ports+=("$(free_port)"); done
log="$clone/dev.log"
began=$(date +%s.%N)
(exec setsid env DYNAMODB_PORT="${ports[0]}" SES_PORT="${ports[1]}" MOTO_PORT="${ports[2]}" API_PORT="${ports[3]}" \
  scripts/dev.sh >"$log" 2>&1) &
dev=$!
cleanup() { kill -- "-$dev" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$clone"; }
trap cleanup EXIT
until grep -q "is up after" "$log"; do
  kill -0 "$dev" 2>/dev/null || { tail -n 30 "$log" >&2; echo "dev.sh stopped before it was up" >&2; exit 1; }
  sleep 0.2
done
ready=$(date +%s.%N)
base="http://127.0.0.1:${ports[3]}"
token=$(target/debug/devtool token local-dev-secret user-alice alice@example.com)
first=$(curl -s -o "$clone/org.json" -w '%{http_code} %{time_total}' -X POST "$base/orgs" \
  -H "Authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"Acme"}')
created=$(date +%s.%N)
org=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$clone/org.json")
{
grep '^\[' "$log"
python3 - "$began" "$ready" "$created" "$first" <<'PY'
import sys
began, ready, created = map(float, sys.argv[1:4])
status, seconds = sys.argv[4].split()
print(f"fresh clone to ready: {ready - began:.0f} s; to the first {status} of POST /orgs: {created - began:.0f} s (that request: {float(seconds):.2f} s)")
PY
printf '%-34s %8s %8s\n' "first request of a route" "first" "second"
for path in /orgs /orgs/{org} /orgs/{org}/members /orgs/{org}/teams /orgs/{org}/projects /orgs/{org}/invitations \
  /orgs/{org}/audit-log /orgs/{org}/me /orgs/{org}/roles /orgs/{org}/api-keys /orgs/{org}/domains \
  /orgs/{org}/integrations /orgs/{org}/subscription /orgs/{org}/closure-impact /roles /me/invitations; do
  url="$base${path//\{org\}/$org}"
  a=$(curl -s -o /dev/null -w '%{time_total}' "$url" -H "Authorization: Bearer $token")
  b=$(curl -s -o /dev/null -w '%{time_total}' "$url" -H "Authorization: Bearer $token")
  printf '%-34s %7.2fs %7.2fs\n' "GET $path" "$a" "$b"
done
compiled=$(grep -c '^ *Compiling ' .local-data/cargo-lambda-watch.log || true)
echo "crates compiled by cargo lambda watch after ready: $compiled"
} | tee "$clone/out"
record_measurement scripts/first-hour.sh "$clone/out"
