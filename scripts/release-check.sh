#!/usr/bin/env bash
# Before every deployment: builds every function with the release profile and holds each deployment
# zip to the package budget (2.5 MB, scripts/size.sh); then checks what the test command relies on:
# no function's zip is more than MARGIN (100,000 bytes) over the function scripts/size-bounds names
# for its kind (the AWS clients it links). The test command holds those to the budget minus MARGIN:
# what a kind shares shows there; one handler outgrowing its kind's named function by more than the
# margin is caught here, before it is deployed. The deploy steps (docs/deploy.md) run this.
#
# usage: scripts/release-check.sh            native release build (target/release), what the test
#                                            command samples; 23 min for 58 functions on a fresh clone, 2 cores
#        scripts/release-check.sh --arm64    the deployment build itself (cargo lambda build --release
#        scripts/release-check.sh --x86-64   --arm64|--x86-64 -p functions), sized in target/lambda/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The catalogue the deployment carries (infra/catalogue/catalogue.json) validates as the functions
# will validate it when they start; CATALOGUE_IN_FORCE (the file deployed last) adds the check that
# every plan organizations may be on is still there.
(cd "$root" && cargo build -q -p devtool)
"$root/target/debug/devtool" catalogue check "$root/infra/catalogue/catalogue.json" \
  ${CATALOGUE_IN_FORCE:+--previous "$CATALOGUE_IN_FORCE"}
report=$(mktemp)
trap 'rm -f "$report"' EXIT
case "${1:-}" in
  "") SIZE_REPORT=$report "$root/scripts/size.sh" ;;
  --arm64 | --x86-64)
    export PATH="$root/.tools/venv/bin:$PATH"
    start=$(date +%s)
    (cd "$root" && cargo lambda build --release "$1" -p functions)
    echo "deployment build of every function: $(( $(date +%s) - start )) s" >&2
    SIZE_PREBUILT="$root/target/lambda" SIZE_REPORT=$report "$root/scripts/size.sh" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
python3 "$root/scripts/size_bounds.py" "$report" "$root/scripts/size-bounds" "${SIZE_MARGIN_BYTES:-100000}"
