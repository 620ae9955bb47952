#!/usr/bin/env bash
# The package-size budget of the functions: builds them with the release profile (native target;
# a deploy build is `cargo lambda build --release --arm64 -p functions`, see the README), prints each
# binary's stripped size, its deployment zip (scripts/zipsize.py: deterministic) and which AWS clients
# it links, and fails when a zip is over the budget. Size is deterministic, so this runs in the test
# command; time is not, so cold start stays a measurement (scripts/coldstart.sh, which prints the
# same sizes next to a hello-world and the minimal SDK function).
# usage: scripts/size.sh [function ...]   (default: every function; BUDGET_BYTES, default 2500000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
budget=${BUDGET_BYTES:-2500000}
if [ $# -gt 0 ]; then
  fns=("$@")
else
  mapfile -t fns < <(awk '/^\[\[bin\]\]/ {getline; gsub(/name = |"/, ""); print}' "$root/functions/Cargo.toml")
fi
bins=()
for f in "${fns[@]}"; do bins+=(--bin "$f"); done
start=$(date +%s)
(cd "$root" && cargo build -q --release -p functions "${bins[@]}")
echo "release build of ${#fns[@]} functions: $(( $(date +%s) - start )) s" >&2
# An SDK's client code carries its service's endpoint rules and signing name; count them.
links() { local n; n=$(grep -a -o -c "$2" "$1" || true); [ "$n" -gt 0 ] && echo yes || echo no; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e6 }'; }
over=()
printf '%-30s %10s %10s %5s %15s\n' function "size MB" "zip MB" SES SecretsManager
while read -r size zip path; do
  f=$(basename "$path")
  printf '%-30s %10s %10s %5s %15s\n' "$f" "$(mb "$size")" "$(mb "$zip")" \
    "$(links "$path" 'email.*amazonaws\|SendEmail')" "$(links "$path" 'secretsmanager')"
  [ "$zip" -le "$budget" ] || over+=("$f ($zip bytes)")
done < <(python3 "$root/scripts/zipsize.py" "${fns[@]/#/$root/target/release/}")
if [ ${#over[@]} -gt 0 ]; then
  echo "over the package budget of $budget bytes zipped: ${over[*]}" >&2
  echo "find what grew with: cargo bloat --release -p functions --bin <function> --crates (with strip = false)" >&2
  exit 1
fi
echo "every zip within the budget of $budget bytes"
