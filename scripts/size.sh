#!/usr/bin/env bash
# The package-size budget of the functions: builds them with the release profile (native target),
# prints each binary's stripped size, its deployment zip (scripts/zipsize.py: deterministic) and which
# AWS clients it links, and fails when a zip is over the budget. Size is deterministic, so it is a
# check; time is not, so cold start stays a measurement (scripts/coldstart.sh).
# scripts/release-check.sh runs it on every function before a deployment; the test command on the
# functions of scripts/size-bounds (the largest of each kind).
# usage: scripts/size.sh [function ...]   (default: every function)
# env: BUDGET_BYTES (default 2500000); SIZE_TARGET_DIR (default target); SIZE_PREBUILT=DIR to size
# DIR/<function>/bootstrap (a `cargo lambda build` output) instead of building;
# SIZE_REPORT=FILE also writes "function zip-bytes ses secretsmanager" lines to FILE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
budget=${BUDGET_BYTES:-2500000}
if [ $# -gt 0 ]; then
  fns=("$@")
else
  mapfile -t fns < <(awk '/^\[\[bin\]\]/ {getline; gsub(/name = |"/, ""); print}' "$root/functions/Cargo.toml")
fi
target_dir=${SIZE_TARGET_DIR:-$root/target}
if [ -n "${SIZE_PREBUILT:-}" ]; then
  paths=()
  for f in "${fns[@]}"; do paths+=("$SIZE_PREBUILT/$f/bootstrap"); done
else
  bins=()
  for f in "${fns[@]}"; do bins+=(--bin "$f"); done
  start=$(date +%s)
  (cd "$root" && cargo build -q --release -p functions --target-dir "$target_dir" "${bins[@]}")
  echo "release build of ${#fns[@]} functions: $(( $(date +%s) - start )) s" >&2
  paths=("${fns[@]/#/$target_dir/release/}")
fi
report=${SIZE_REPORT:-/dev/null}
: >"$report"
# An SDK's client code carries its service's endpoint rules and signing name; count them.
links() { local n; n=$(grep -a -o -c "$2" "$1" || true); [ "$n" -gt 0 ] && echo yes || echo no; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e6 }'; }
over=()
printf '%-30s %10s %10s %5s %15s\n' function "size MB" "zip MB" SES SecretsManager
i=0
while read -r size zip path; do
  f=${fns[$i]}; i=$((i + 1))
  ses=$(links "$path" 'email.*amazonaws\|SendEmail'); sm=$(links "$path" 'secretsmanager')
  printf '%-30s %10s %10s %5s %15s\n' "$f" "$(mb "$size")" "$(mb "$zip")" "$ses" "$sm"
  echo "$f $zip $ses $sm" >>"$report"
  [ "$zip" -le "$budget" ] || over+=("$f ($zip bytes)")
done < <(python3 "$root/scripts/zipsize.py" "${paths[@]}")
if [ ${#over[@]} -gt 0 ]; then
  echo "over the package budget of $budget bytes zipped: ${over[*]}" >&2
  echo "find what grew with: cargo bloat --release -p functions --bin <function> --crates (with strip = false)" >&2
  exit 1
fi
echo "every zip within the budget of $budget bytes"
