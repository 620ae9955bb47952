#!/usr/bin/env bash
# The fast lane of the edit-compile-test cycle: formatting, clippy with every warning an error (the
# lints of [workspace.lints] included), and the unit tests (no server needed). Under 2 minutes once
# the first build is done; the test command (scripts/test.sh) runs the same checks and everything else.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy -q --workspace --all-targets -- -D warnings
t1=$SECONDS
echo "== unit tests"
cargo test -q --workspace --lib --bins
echo "fast lane passed: fmt and clippy $((t1 - t0)) s, unit tests $((SECONDS - t1)) s, total $((SECONDS - t0)) s"
