//! What the local run and the tests share: the table from the template, local tokens and the
//! nameserver domain verification asks. No dependency or feature beyond the functions' own, so
//! `cargo build -p devtool` after `cargo build -p functions` reuses every compiled crate.

use std::path::{Path, PathBuf};

pub mod dns;
pub mod table;

/// The workspace's root (where `infra/template.yaml` is).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A signed local HS256 token (the claims API Gateway's authorizer would pass) valid for `seconds`.
pub fn token_valid_for(
    secret: &str,
    user: &str,
    email: Option<&str>,
    verified: bool,
    seconds: i64,
) -> String {
    let mut claims = serde_json::json!({ "sub": user, "email_verified": verified, "exp": chrono::Utc::now().timestamp() + seconds });
    if let Some(e) = email {
        claims["email"] = serde_json::json!(e);
    }
    service::auth::sign_hs256(&claims, secret.as_bytes())
}
