#!/usr/bin/env python3
"""Checks that the functions scripts/size-bounds names bound the rest (scripts/release-check.sh).

usage: size_bounds.py REPORT BOUNDS MARGIN
REPORT: "function zip-bytes ses secretsmanager" lines of every function (scripts/size.sh SIZE_REPORT).
Each function's kind is the AWS clients it links (SES, Secrets Manager); BOUNDS names one function per
kind; every function's zip must be at most MARGIN bytes over its kind's named function, which the test
command holds to the budget minus MARGIN.
"""
import sys

report, bounds_file, margin = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [line.split() for line in open(report) if line.strip()]
named = {l.strip() for l in open(bounds_file) if l.strip() and not l.startswith("#")}
kinds = {}
for f, z, ses, sm in rows:
    kinds.setdefault((ses, sm), []).append((f, int(z)))
failures = []
for (ses, sm), fns in sorted(kinds.items()):
    label = f"SES={ses} SecretsManager={sm}"
    bound = [(f, z) for f, z in fns if f in named]
    if len(bound) != 1:
        failures.append(f"{label}: scripts/size-bounds must name exactly one of its {len(fns)} functions "
                        f"(names {len(bound)}); the largest is {max(fns, key=lambda x: x[1])[0]}")
        continue
    bf, bz = bound[0]
    top, tz = max(fns, key=lambda x: x[1])
    print(f"{label}: {len(fns)} functions, bound {bf} {bz} bytes, largest {top} {tz} bytes "
          f"({tz - bz:+d}, margin {margin})")
    if tz > bz + margin:
        failures.append(f"{label}: {top} is {tz - bz} bytes over {bf}, more than the margin; "
                        f"name {top} in scripts/size-bounds")
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("release check passed: every zip within the budget, and scripts/size-bounds bounds every kind")
