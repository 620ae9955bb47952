//! The API's Lambda authorizer of the organization routes (`authorize-caller`), in production:
//! API Gateway's JWT authorizer lets only JWTs through, and an organization's API key
//! (`Bearer orgs_sk_...`) must reach its organization's routes too. It admits
//!
//! - a person's JWT exactly as the JWT authorizer does (RS256 under the issuer's JWKS, `iss`, `aud`
//!   or Cognito's `client_id`, `exp`, `nbf`), passing its claims to the function in the context;
//! - a string of an API key's shape (prefix, length, alphabet, checksum) without reading anything:
//!   the function verifies the key against its item in the read it makes anyway, on every request.
//!
//! API Gateway caches each answer by the `Authorization` header for `AuthorizerResultTtlInSeconds`
//! (300): the authorizer runs about once per token per five minutes. A cached admission of a JWT
//! does not outlive the token: the function checks `exp` from the context on every request.
//! The people's routes (`/orgs`, `/me/...`, invitations by code) keep the JWT authorizer: a key
//! never reaches them (401).

use crate::credentials::{Presented, API_KEY};
use crate::domain::ApiKeyId;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The context key that says what the authorizer admitted: `person` (claims follow) or `api_key`.
pub const KIND: &str = "callerKind";

/// Who issues the people's tokens, as the JWT authorizer is configured (`JwtIssuer`, `JwtAudience`).
#[derive(Debug, Clone)]
pub struct Issuer {
    pub issuer: String,
    pub audience: String,
}

/// One RSA key of the issuer's JWKS.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kid: String,
    #[serde(default)]
    pub kty: String,
    pub n: String,
    pub e: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// What the authorizer answers: API Gateway's simple response (`isAuthorized`, `context`).
pub fn answer(admitted: Option<HashMap<String, String>>) -> Value {
    match admitted {
        Some(context) => json!({ "isAuthorized": true, "context": context }),
        None => json!({ "isAuthorized": false }),
    }
}

/// The decision on a bearer token, with the issuer's keys as known: the context to pass, or
/// `None` (refused). `Err(kid)`: signed by a key not in `jwks` (fetch them again, once).
pub fn decide(
    bearer: &str,
    issuer: &Issuer,
    jwks: &Jwks,
    now: i64,
) -> Result<Option<HashMap<String, String>>, String> {
    if bearer.starts_with(API_KEY.prefix) {
        return Ok(Presented::<ApiKeyId>::parse(&API_KEY, bearer)
            .map(|_| HashMap::from([(KIND.to_string(), "api_key".to_string())])));
    }
    let mut claims = match verify_rs256(bearer, issuer, jwks, now)? {
        Some(claims) => claims,
        None => return Ok(None),
    };
    claims.insert(KIND.to_string(), "person".to_string());
    Ok(Some(claims))
}

/// Verifies an RS256 JWT as API Gateway's JWT authorizer does and returns its claims as strings
/// (a non-string claim as its JSON). `Ok(None)` for anything invalid; `Err(kid)` when its key is
/// not among `jwks`.
pub fn verify_rs256(
    token: &str,
    issuer: &Issuer,
    jwks: &Jwks,
    now: i64,
) -> Result<Option<HashMap<String, String>>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Ok(None);
    };
    let decode = |s: &str| B64.decode(s).ok();
    let Some(header) = decode(header).and_then(|h| serde_json::from_slice::<Value>(&h).ok()) else {
        return Ok(None);
    };
    if header["alg"] != "RS256" {
        return Ok(None);
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let Some(key) = jwks.keys.iter().find(|k| k.kid == kid && k.kty != "EC") else {
        return Err(kid.to_string());
    };
    let (Some(n), Some(e), Some(signature)) = (decode(&key.n), decode(&key.e), decode(signature))
    else {
        return Ok(None);
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
    if public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &signature,
        )
        .is_err()
    {
        return Ok(None);
    }
    let Some(claims) = decode(payload).and_then(|p| serde_json::from_slice::<Value>(&p).ok())
    else {
        return Ok(None);
    };
    let Some(claims) = claims.as_object() else {
        return Ok(None);
    };
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == &issuer.audience,
        Some(Value::Array(all)) => all.iter().any(|a| a == issuer.audience.as_str()),
        // Cognito's access tokens name the app client in `client_id`.
        _ => claims.get("client_id").and_then(Value::as_str) == Some(issuer.audience.as_str()),
    };
    let fine = claims.get("iss").and_then(Value::as_str) == Some(issuer.issuer.as_str())
        && audience_ok
        && number("exp").is_some_and(|exp| exp > now)
        && number("nbf").is_none_or(|nbf| nbf <= now);
    if !fine {
        return Ok(None);
    }
    Ok(Some(crate::auth::as_strings(claims)))
}

/// The issuer's keys, fetched from `<issuer>/.well-known/jwks.json` when the function starts and
/// again (at most once a minute) when a token names a key it does not know (a rotation).
pub struct KeyCache {
    issuer: Issuer,
    known: Mutex<(Jwks, Option<std::time::Instant>)>,
}

impl KeyCache {
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            known: Mutex::new((Jwks::default(), None)),
        }
    }

    fn fetch_due(&self) -> bool {
        let known = self.known.lock().expect("the key cache");
        known
            .1
            .is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(60))
    }

    async fn refresh(&self) -> Result<(), String> {
        let url = format!(
            "{}/.well-known/jwks.json",
            self.issuer.issuer.trim_end_matches('/')
        );
        let fetched = tokio::task::spawn_blocking(move || fetch_jwks(&url))
            .await
            .map_err(|e| e.to_string())??;
        *self.known.lock().expect("the key cache") = (fetched, Some(std::time::Instant::now()));
        Ok(())
    }

    /// The authorizer's answer to one request's `Authorization` header.
    pub async fn authorize(&self, authorization: Option<&str>, now: i64) -> Value {
        let Some(bearer) = authorization.and_then(bearer_of) else {
            return answer(None);
        };
        for _ in 0..2 {
            let jwks = self.known.lock().expect("the key cache").0.clone();
            match decide(bearer, &self.issuer, &jwks, now) {
                Ok(admitted) => return answer(admitted),
                Err(kid) if self.fetch_due() => {
                    if let Err(e) = self.refresh().await {
                        tracing::error!(kid = %kid, error = %e, "could not fetch the issuer's keys");
                        return answer(None);
                    }
                }
                Err(_) => return answer(None),
            }
        }
        answer(None)
    }
}

fn bearer_of(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn fetch_jwks(url: &str) -> Result<Jwks, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?;
    let text = response
        .body_mut()
        .with_config()
        .limit(256 * 1024)
        .read_to_string()
        .map_err(|e| format!("reading {url}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{url} is not a JWKS: {e}"))
}

/// The claims the authorizer passed in its context (a person's), or `None` when it did not admit
/// a person. A claim past `exp` is refused here too: an answer API Gateway cached does not make an
/// expired token good.
pub fn person_claims(
    context: &HashMap<String, Value>,
    now: i64,
) -> Option<HashMap<String, String>> {
    if context.get(KIND).and_then(Value::as_str) != Some("person") {
        return None;
    }
    let claims = crate::auth::as_strings(context.iter().filter(|(k, _)| k.as_str() != KIND));
    let exp = claims.get("exp").and_then(|e| e.parse::<i64>().ok())?;
    (exp > now).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit RSA key made for these tests only (PKCS#1 DER, `openssl genpkey` then `openssl rsa -traditional`), never used anywhere.
    const TEST_KEY: &str = include_str!("authorizer_test_key.b64");

    fn key_pair() -> ring::rsa::KeyPair {
        let der = base64::engine::general_purpose::STANDARD
            .decode(TEST_KEY.split_whitespace().collect::<String>())
            .unwrap();
        ring::rsa::KeyPair::from_der(&der).unwrap()
    }

    fn jwks(kid: &str) -> Jwks {
        let pair = key_pair();
        let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
        let (n, e) = (public.n, public.e);
        Jwks {
            keys: vec![Jwk {
                kid: kid.into(),
                kty: "RSA".into(),
                n: B64.encode(n),
                e: B64.encode(e),
            }],
        }
    }

    fn sign(claims: &Value, kid: &str) -> String {
        let header = B64.encode(json!({ "alg": "RS256", "kid": kid }).to_string());
        let payload = B64.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let mut signature = vec![0; key_pair().public().modulus_len()];
        key_pair()
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .unwrap();
        format!("{signed}.{}", B64.encode(signature))
    }

    fn issuer() -> Issuer {
        Issuer {
            issuer: "https://cognito-idp.eu-west-1.amazonaws.com/pool".into(),
            audience: "app-client".into(),
        }
    }

    #[test]
    fn a_jwt_is_admitted_as_the_jwt_authorizer_admits_it() {
        let now = 1_800_000_000;
        let good = json!({
            "iss": issuer().issuer, "aud": "app-client", "sub": "u1", "email": "a@b.co",
            "email_verified": true, "exp": now + 60,
        });
        let admitted = decide(&sign(&good, "k1"), &issuer(), &jwks("k1"), now)
            .unwrap()
            .unwrap();
        assert_eq!(admitted["sub"], "u1");
        assert_eq!(admitted["email_verified"], "true");
        assert_eq!(admitted[KIND], "person");
        // Cognito's access token: `client_id` instead of `aud`.
        let mut access = good.clone();
        access.as_object_mut().unwrap().remove("aud");
        access["client_id"] = json!("app-client");
        assert!(decide(&sign(&access, "k1"), &issuer(), &jwks("k1"), now)
            .unwrap()
            .is_some());
        // Refused: expired, not yet valid, another issuer, another audience, tampered.
        for (field, value) in [
            ("exp", json!(now)),
            ("nbf", json!(now + 10)),
            ("iss", json!("https://evil.example.com")),
            ("aud", json!("another-client")),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            assert_eq!(
                decide(&sign(&bad, "k1"), &issuer(), &jwks("k1"), now).unwrap(),
                None,
                "{field}"
            );
        }
        let token = sign(&good, "k1");
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = B64.encode(
            json!({ "sub": "admin", "iss": issuer().issuer, "aud": "app-client", "exp": now + 60 })
                .to_string(),
        );
        assert_eq!(
            decide(&parts.join("."), &issuer(), &jwks("k1"), now).unwrap(),
            None
        );
        // Our local HS256 tokens are no production token.
        let local = crate::auth::sign_hs256(&good, b"secret");
        assert_eq!(decide(&local, &issuer(), &jwks("k1"), now).unwrap(), None);
        // A key it does not know: fetch the keys again.
        assert_eq!(
            decide(&sign(&good, "k2"), &issuer(), &jwks("k1"), now),
            Err("k2".into())
        );
    }

    #[test]
    fn an_api_key_is_admitted_by_its_shape_and_a_look_alike_is_not() {
        let org = crate::domain::OrgId::new();
        let minted = crate::credentials::mint(&API_KEY, b"server", &org, &ApiKeyId::new()).unwrap();
        let admitted = decide(&minted.key, &issuer(), &Jwks::default(), 0)
            .unwrap()
            .unwrap();
        assert_eq!(admitted, HashMap::from([(KIND.into(), "api_key".into())]));
        let mut look_alike = minted.key.clone();
        look_alike.replace_range(20..21, if &minted.key[20..21] == "a" { "b" } else { "a" });
        assert_eq!(
            decide(&look_alike, &issuer(), &Jwks::default(), 0).unwrap(),
            None
        );
        assert_eq!(answer(None), json!({ "isAuthorized": false }));
    }

    #[test]
    fn the_function_takes_a_persons_claims_from_the_context_while_the_token_lasts() {
        let context: HashMap<String, Value> = HashMap::from([
            (KIND.to_string(), json!("person")),
            ("sub".to_string(), json!("u1")),
            ("exp".to_string(), json!("1000")),
        ]);
        assert_eq!(person_claims(&context, 999).unwrap()["sub"], "u1");
        assert!(
            person_claims(&context, 1000).is_none(),
            "expired since cached"
        );
        let key = HashMap::from([(KIND.to_string(), json!("api_key"))]);
        assert!(person_claims(&key, 0).is_none());
    }
}
