#!/usr/bin/env python3
"""Deterministic deployment-zip size of Lambda binaries: each packed alone as `bootstrap` (mode 755,
fixed timestamp, deflate level 6, the zlib default that `cargo lambda build --output-format zip` and
SAM's packaging use), so the same binary always gives the same number.

usage: zipsize.py BINARY...   prints "<bytes> <zip bytes> <path>" per binary
"""
import io
import os
import sys
import zipfile


def zip_size(path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(path, "rb") as f:
            z.writestr(info, f.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return len(buf.getvalue())


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(os.path.getsize(p), zip_size(p), p)
