#!/usr/bin/env bash
# Package size of route functions next to a hello-world Lambda built with the same release profile
# in the same run (native target; deploy builds use `cargo lambda build --release --arm64`), and
# which AWS clients each binary links (an SDK's client is linked only where its `main` builds one).
# usage: scripts/size.sh [function ...]   (default: get-org)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fns=("${@:-get-org}")
hello=$(mktemp -d)
trap 'rm -rf "$hello"' EXIT
mkdir -p "$hello/src"
cat >"$hello/Cargo.toml" <<TOML
[package]
name = "hello"
version = "0.1.0"
edition = "2021"
[dependencies]
lambda_runtime = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
serde_json = "1"
[profile.release]
strip = true
lto = "thin"
codegen-units = 1
opt-level = "s"
TOML
cat >"$hello/src/main.rs" <<'RS'
use lambda_runtime::{service_fn, Error, LambdaEvent};
#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|e: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(e.payload) })).await
}
RS
bins=()
for f in "${fns[@]}"; do bins+=(--bin "$f"); done
(cd "$root" && cargo build -q --release -p functions "${bins[@]}")
(cd "$hello" && cargo build -q --release --target-dir "$root/target/hello")
size_of() { stat -c %s "$1"; }
zip_of() { python3 -c 'import io,sys,zipfile; b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$1"; }
# An SDK's client code carries its service's endpoint rules and signing name; count them.
links() { local n; n=$(grep -a -o -c "$2" "$1" || true); [ "$n" -gt 0 ] && echo yes || echo no; }
printf '%-28s %12s %12s %8s %16s\n' binary bytes zipped "SES" "SecretsManager"
printf '%-28s %12s %12s %8s %16s\n' "hello-world (baseline)" "$(size_of "$root/target/hello/release/hello")" "$(zip_of "$root/target/hello/release/hello")" - -
for f in "${fns[@]}"; do
  b="$root/target/release/$f"
  printf '%-28s %12s %12s %8s %16s\n' "$f" "$(size_of "$b")" "$(zip_of "$b")" "$(links "$b" 'email.*amazonaws\|SendEmail')" "$(links "$b" 'secretsmanager')"
done
