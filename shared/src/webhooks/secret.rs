//! Signing secrets and signatures, as the Standard Webhooks specification has them.
//!
//! An endpoint's secret is never stored: it is `HMAC-SHA256(API_KEY_HASH_KEY, "webhook-signing-secret"
//! ‖ org ‖ endpoint ‖ salt)`, where the salt (random, on the endpoint's item) is not secret by
//! itself. A copy of the table alone therefore reveals no secret, and a rotation is a new salt.
//! Rotating the server key changes every endpoint's secret (as it ends every API key and SCIM
//! token): see docs/runbook.md.
//!
//! The secret is shown as `whsec_` + base64 of its 32 bytes; a message's signature is `v1,` +
//! base64 of `HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")`.

use crate::domain::OrgId;
use crate::error::{ApiError, ApiResult};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use model::webhooks::WebhookId;
use sha2::Sha256;

/// What a secret's shown form starts with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new salt: 32 random bytes, hex (the secret is as unpredictable as 32 random bytes even to
/// someone who holds the server key and not the table).
pub fn new_salt() -> ApiResult<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The secret's bytes (the HMAC key of the signatures).
pub fn secret_bytes(
    server_key: &[u8],
    org: &OrgId,
    webhook: &WebhookId,
    salt: &str,
) -> ApiResult<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(server_key)
        .map_err(|_| ApiError::internal("webhook secret key"))?;
    mac.update(b"webhook-signing-secret\0");
    mac.update(org.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(webhook.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(salt.as_bytes());
    Ok(mac.finalize().into_bytes().into())
}

/// The secret as the receiver configures it: `whsec_` + base64.
pub fn shown(secret: &[u8; 32]) -> String {
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(secret)
    )
}

/// One signature: `v1,` + base64 of the HMAC of `id.timestamp.body`.
pub fn signature(secret: &[u8; 32], message_id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The `webhook-signature` header: one signature per live secret, separated by spaces.
pub fn signature_header(
    secrets: &[[u8; 32]],
    message_id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    secrets
        .iter()
        .map(|s| signature(s, message_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example (its reference libraries' test vector).
    #[test]
    fn signs_as_the_specification_s_example() {
        let secret = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let mut key = [0u8; 32];
        // The example's secret is 24 bytes: sign with it as given.
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
        mac.update(b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}");
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(expected, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // Our signature is the same construction over a 32-byte secret.
        key.copy_from_slice(&[7u8; 32]);
        let ours = signature(&key, "msg_1", 1614265330, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"msg_1.1614265330.{}");
        assert_eq!(
            ours,
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            )
        );
    }

    #[test]
    fn secrets_depend_on_the_salt_and_the_server_key() {
        let (org, wh) = (OrgId::new(), WebhookId::new());
        let a = secret_bytes(b"k1", &org, &wh, "s1").unwrap();
        assert_eq!(a, secret_bytes(b"k1", &org, &wh, "s1").unwrap());
        assert_ne!(a, secret_bytes(b"k1", &org, &wh, "s2").unwrap());
        assert_ne!(a, secret_bytes(b"k2", &org, &wh, "s1").unwrap());
        assert!(shown(&a).starts_with("whsec_") && shown(&a).len() == 6 + 44);
        let two = signature_header(&[a, [1u8; 32]], "msg_1", 1, "{}");
        assert_eq!(two.split(' ').count(), 2);
    }
}
