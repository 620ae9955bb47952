//! Who is calling. Production: the claims API Gateway's JWT authorizer validated.
//! Local mode: an HS256 bearer token verified here. Nothing else identifies the caller.

use crate::credentials::{Presented, API_KEY};
use crate::domain::{ApiKeyId, Email, OrgId, UserId};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;

type HmacSha256 = Hmac<Sha256>;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub user_id: UserId,
    /// The email claim, if it parses as an email.
    pub email: Option<Email>,
    pub email_verified: bool,
    /// `name` claim, kept as the display name when the caller joins an organization.
    pub name: Option<String>,
    /// Whether the token shows a second factor (the configured claim, see `config::MfaClaim`).
    pub second_factor: bool,
    /// The organization API key the request presented instead of a person's token: the caller is
    /// that key (its id is `user_id`, the actor its audit entries name). It reaches only its own
    /// organization's routes, where the pipeline verifies it against the key's item, read with the
    /// organization on every request.
    pub key: Option<KeyCaller>,
}

/// A presented organization API key (`orgs_sk_...`): the ids it names and its secret, which
/// only [`KeyCaller::matches`] uses (never printed: `Debug` shows the ids).
#[derive(Clone)]
pub struct KeyCaller(std::sync::Arc<Presented<ApiKeyId>>);

impl KeyCaller {
    /// The key's organization (a key reaches no other).
    pub fn org(&self) -> &OrgId {
        &self.0.org
    }
    pub fn key_id(&self) -> &ApiKeyId {
        &self.0.key
    }
    /// Whether the key's digest under `server_key` is `stored` (constant time).
    pub fn matches(&self, server_key: &[u8], stored: &str) -> crate::error::ApiResult<bool> {
        self.0.matches(server_key, stored)
    }
}

impl std::fmt::Debug for KeyCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCaller")
            .field("org", self.org())
            .field("key_id", self.key_id())
            .finish()
    }
}

impl PartialEq for KeyCaller {
    fn eq(&self, other: &Self) -> bool {
        self.org() == other.org() && self.key_id() == other.key_id()
    }
}

impl Caller {
    /// The caller a bearer that is an API key's shape makes (`None` for anything else: a look-alike
    /// is refused before any read). Its id is the key's; it has no email and no name.
    pub fn api_key(bearer: &str) -> Option<Caller> {
        let presented = Presented::<ApiKeyId>::parse(&API_KEY, bearer)?;
        Some(Caller {
            user_id: UserId::parse("sub", presented.key.as_str()).ok()?,
            email: None,
            email_verified: false,
            name: None,
            second_factor: false,
            key: Some(KeyCaller(std::sync::Arc::new(presented))),
        })
    }
    /// Whether the caller is a person (not an API key).
    pub fn is_person(&self) -> bool {
        self.key.is_none()
    }
    /// What kind of principal the caller is, as audit entries and events name it.
    pub fn actor_kind(&self) -> model::audit::ActorKind {
        match self.key {
            Some(_) => model::audit::ActorKind::ApiKey,
            None => model::audit::ActorKind::User,
        }
    }
    /// The email, only if the identity provider verified it.
    pub fn verified_email(&self) -> Option<&Email> {
        self.email.as_ref().filter(|_| self.email_verified)
    }

    /// Builds a caller from string claims (API Gateway passes every claim as a string).
    pub fn from_claims(claims: &HashMap<String, String>) -> Option<Caller> {
        let user_id = UserId::parse("sub", claims.get("sub")?).ok()?;
        let email = claims
            .get("email")
            .and_then(|e| Email::parse("email", e).ok());
        let email_verified = claims.get("email_verified").is_some_and(|v| v == "true");
        let name = claims
            .get("name")
            .map(|n| {
                n.trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect::<String>()
            })
            // A display name shown to others that would read other than it is is not used.
            .filter(|n| !n.is_empty() && !n.chars().any(crate::domain::is_spoofing_char));
        Some(Caller {
            user_id,
            email,
            email_verified,
            name,
            second_factor: false,
            key: None,
        })
    }
}

/// Verifies an HS256 JWT and returns its claims as strings. `None` for anything invalid:
/// wrong algorithm, bad signature, malformed, or expired (`exp` in the past).
pub fn verify_hs256(token: &str, secret: &[u8], now_epoch: i64) -> Option<HashMap<String, String>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(format!("{}.{}", token.split('.').next()?, payload).as_bytes());
    mac.verify_slice(&B64.decode(signature).ok()?).ok()?; // constant-time comparison
    let claims: Value = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    let claims = claims.as_object()?;
    if let Some(exp) = claims.get("exp") {
        if exp.as_i64()? <= now_epoch {
            return None;
        }
    }
    Some(as_strings(claims))
}

/// Claims as API Gateway passes them to a function: a string as it is, anything else as its JSON.
pub fn as_strings<'a>(
    claims: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> HashMap<String, String> {
    claims
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

/// Mints an HS256 token (local mode and tests only).
pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = B64.encode(claims.to_string());
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{header}.{payload}").as_bytes());
    let signature = B64.encode(mac.finalize().into_bytes());
    format!("{header}.{payload}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_display_name_that_spoofs_is_not_used() {
        let claims = |name: &str| {
            HashMap::from([
                ("sub".to_string(), "u1".to_string()),
                ("name".to_string(), name.to_string()),
            ])
        };
        assert_eq!(
            Caller::from_claims(&claims("Ana")).unwrap().name.as_deref(),
            Some("Ana")
        );
        assert_eq!(
            Caller::from_claims(&claims("Ana\u{202E}nimda"))
                .unwrap()
                .name,
            None
        );
        assert_eq!(
            Caller::from_claims(&claims("A\u{200B}na")).unwrap().name,
            None
        );
    }

    #[test]
    fn round_trip_and_rejections() {
        let claims = json!({"sub": "u1", "email": "A@b.co", "email_verified": true, "exp": 2_000});
        let token = sign_hs256(&claims, b"secret");
        let got = verify_hs256(&token, b"secret", 1_000).unwrap();
        let caller = Caller::from_claims(&got).unwrap();
        assert_eq!(caller.user_id.as_str(), "u1");
        assert_eq!(caller.verified_email().unwrap().as_str(), "a@b.co");

        assert!(
            verify_hs256(&token, b"other", 1_000).is_none(),
            "wrong secret"
        );
        assert!(verify_hs256(&token, b"secret", 2_000).is_none(), "expired");
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'x');
        assert!(
            verify_hs256(&tampered, b"secret", 1_000).is_none(),
            "tampered payload"
        );
        let none_alg = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(claims.to_string())
        );
        assert!(
            verify_hs256(&none_alg, b"secret", 1_000).is_none(),
            "alg none"
        );
    }

    #[test]
    fn unverified_email_is_not_verified() {
        let claims: HashMap<String, String> = [
            ("sub", "u"),
            ("email", "a@b.co"),
            ("email_verified", "false"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let caller = Caller::from_claims(&claims).unwrap();
        assert!(caller.verified_email().is_none());
        assert!(Caller::from_claims(&HashMap::new()).is_none());
    }
}
