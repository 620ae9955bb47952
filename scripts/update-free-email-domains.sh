#!/usr/bin/env bash
# Refreshes shared/model/src/domains/free-email-domains.txt from the npm package free-email-domains (the
# free email providers HubSpot's list tracks, MIT, github.com/Kikobeats/free-email-domains): one
# domain a line, lowercased, sorted, deduplicated. VERSION picks the release (default: latest).
# Then run the unit tests: the list stays sorted and the providers the tests name stay refused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${VERSION:-$(npm view free-email-domains version)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "free-email-domains@$version" >/dev/null && tar xzf free-email-domains-*.tgz)
python3 - "$work/package/domains.json" "$root/shared/model/src/domains/free-email-domains.txt" <<'PY'
import json, sys
domains = sorted({d.strip().lower() for d in json.load(open(sys.argv[1])) if d.strip()})
open(sys.argv[2], "w").write("\n".join(domains) + "\n")
print(f"{len(domains)} domains")
PY
cp "$work/package/LICENSE.md" "$root/shared/model/src/domains/free-email-domains.LICENSE.md"
echo "free-email-domains@$version -> shared/model/src/domains/free-email-domains.txt (set FREE_EMAIL_DOMAINS_VERSION in name.rs)"
