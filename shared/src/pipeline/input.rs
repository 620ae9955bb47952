//! What a handler gets of the HTTP request: path and query parameters and the raw body.

use crate::error::{ApiError, ApiResult, Code};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// `text` with every double-quoted part replaced by `"…"` (serde quotes the values it refuses)
/// and every backquoted name cut short ([`crate::domain::shown`]).
fn unquoted(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(['"', '`']) {
        let quote = &rest[i..=i];
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find(quote) else {
            out.push_str(&crate::domain::shown(&rest[i..]));
            return out;
        };
        match quote {
            // A value serde quotes: left out.
            "\"" => out.push_str("\"…\""),
            // A field name (the caller's, or one of ours that serde lists): cut short.
            _ => out.push_str(&format!("`{}`", crate::domain::shown(&after[..j]))),
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// A field's name as messages give it: its object keys joined by dots (`billingProfile.email`),
/// list positions left out (`projectIds`).
fn field_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(key.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Items on one page of a list at most (`?limit=`), and when `limit` is not given.
pub const MAX_PAGE: u32 = 100;
pub const DEFAULT_PAGE: u32 = 20;

#[derive(Debug, Clone, Default)]
pub struct Input {
    pub path: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub body: Vec<u8>,
    /// On a service route, the service that called (its IAM role's name in production,
    /// `local` in a local run): what its audit entries name as the actor.
    pub service: Option<String>,
    /// The HTTP method (a route of several methods, the directory's, dispatches on it).
    pub method: String,
    /// Where the API answers (`https://<host>`), from the request's `Host` and
    /// `X-Forwarded-Proto` headers: the base of URLs an answer gives out.
    pub origin: Option<String>,
    /// On the directory's route, the `Authorization: Bearer` token (checked by the route's own
    /// access step; never logged).
    pub bearer: Option<Bearer>,
    /// The request's path as sent (what an `Idempotency-Key`'s record is bound to).
    pub raw_path: String,
    /// The `Idempotency-Key` header, as sent.
    pub idempotency_key: Option<String>,
    /// On a write under an `Idempotency-Key`: its record, read with the caller's access.
    pub idempotency: Option<std::sync::Arc<super::idempotency::Pending>>,
}

/// A bearer token as presented: its `Debug` never shows it.
#[derive(Clone, Default)]
pub struct Bearer(pub String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(<redacted>)")
    }
}

impl Input {
    pub fn path_param(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    /// The JSON body as `T`; a clear 400 naming what is wrong otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                Code::BodyRequired,
                "Send a JSON object as the request body.",
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::new(
                Code::InvalidBody,
                format!(
                    "The request body is not valid JSON (line {}, column {}).",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        // Bodies are objects: a positional array or a bare value is refused (and never quoted).
        if !value.is_object() {
            return Err(ApiError::new(
                Code::InvalidBody,
                "The request body must be a JSON object (`{...}`), with the fields named.",
            ));
        }
        // A name given twice would be decided on its last value, where a proxy, a log or another
        // parser may read the first: refused, as an unknown field is.
        if let Err(e) = crate::json::refuse_duplicate_fields(&self.body) {
            return Err(ApiError::new(
                Code::InvalidBody,
                format!(
                    "The request body is not valid: {}. Give each field once.",
                    unquoted(&e.to_string())
                ),
            ));
        }
        // A field's own type parses it while the body is read (`model::body::Parsed`); its
        // refusal is that type's error, named by the field's path in the body.
        crate::body::clear_refusal();
        serde_path_to_error::deserialize(value).map_err(|e| {
            if let Some(refused) = crate::body::take_refusal(&field_of(e.path())) {
                return refused;
            }
            // serde's message names the field and what it expected; values it quotes are left
            // out, so no error repeats what was sent (it could be a secret).
            ApiError::new(
                Code::InvalidBody,
                format!(
                    "The request body is not valid: {}.",
                    unquoted(&e.into_inner().to_string())
                ),
            )
        })
    }
    /// The JSON body as `T`, or `T::default()` when there is none (a route whose fields are all optional).
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> ApiResult<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        self.json()
    }
    /// A string field of a JSON object body, if the body is one and has it.
    pub fn body_field(&self, name: &str) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get(name)?
            .as_str()
            .map(str::to_string)
    }
    /// `?limit=` between 1 and `MAX_PAGE`, default `DEFAULT_PAGE`.
    pub fn limit(&self) -> ApiResult<u32> {
        match self.query("limit") {
            None => Ok(DEFAULT_PAGE),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
                _ => Err(ApiError::validation(
                    "limit",
                    format!("`limit` must be a whole number from 1 to {MAX_PAGE}."),
                )),
            },
        }
    }
    pub fn cursor(&self) -> Option<&str> {
        self.query("cursor")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(raw: &str) -> Input {
        Input {
            body: raw.as_bytes().to_vec(),
            ..Input::default()
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Named {
        name: String,
        count: Option<u32>,
    }

    #[test]
    fn bodies_are_objects_and_errors_never_repeat_what_was_sent() {
        for raw in [r#""sk_live_123""#, r#"["New name"]"#, "42", "null"] {
            let e = body(raw).json::<Named>().unwrap_err();
            assert_eq!(e.code, Code::InvalidBody, "{raw}");
            assert!(
                !e.detail.contains("sk_live") && !e.detail.contains("New name"),
                "{}",
                e.detail
            );
        }
        let e = body(r#"{"name": 1, "count": "sk_live_456"}"#)
            .json::<Named>()
            .unwrap_err();
        assert!(!e.detail.contains("sk_live"), "{}", e.detail);
        let e = body(r#"{"name": "x", "count": "sk_live_456"}"#)
            .json::<Named>()
            .unwrap_err();
        assert!(
            !e.detail.contains("sk_live") && e.detail.contains("u32"),
            "{}",
            e.detail
        );
        let e = body(r#"{"name": "sk_live_789"#)
            .json::<Named>()
            .unwrap_err();
        assert!(!e.detail.contains("sk_live"), "{}", e.detail);
        assert!(body(r#"{"name": "ok"}"#).json::<Named>().is_ok());
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Profile {
        name: crate::body::Parsed<crate::domain::DisplayName>,
        billing_profile: Option<Contact>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Contact {
        email: crate::body::Parsed<crate::domain::Email>,
        project_ids: Option<crate::body::Parsed<crate::domain::ProjectIds<2>>>,
    }

    #[test]
    fn a_field_is_parsed_by_its_type_and_a_refusal_names_its_path() {
        let ok = body(r#"{"name": " Acme ", "billingProfile": {"email": "A@Example.com"}}"#)
            .json::<Profile>()
            .unwrap();
        assert_eq!(ok.name.as_str(), "Acme");
        let contact = ok.billing_profile.unwrap();
        assert_eq!(contact.email.as_str(), "a@example.com");
        assert!(contact.project_ids.is_none());
        let refused = |raw: &str| body(raw).json::<Profile>().unwrap_err();
        let e = refused(r#"{"name": "  "}"#);
        assert_eq!(
            (e.code, e.extra["field"].as_str()),
            (Code::ValidationFailed, Some("name"))
        );
        assert!(e.detail.contains("`name`"), "{}", e.detail);
        let e = refused(r#"{"name": "A", "billingProfile": {"email": "nope"}}"#);
        assert_eq!(e.extra["field"].as_str(), Some("billingProfile.email"));
        assert!(e.detail.contains("`billingProfile.email`"), "{}", e.detail);
        let prj = |n: u8| format!("\"prj_{}\"", format!("{n:x}").repeat(32));
        let three = format!(
            r#"{{"name": "A", "billingProfile": {{"email": "a@b.co", "projectIds": [{}, {}, {}]}}}}"#,
            prj(1),
            prj(2),
            prj(3)
        );
        let e = refused(&three);
        assert_eq!(e.extra["field"].as_str(), Some("billingProfile.projectIds"));
        // A refusal is taken once: the next body's own mistake is its own (serde's), not a
        // leftover of the last.
        let e = refused(r#"{"name": "A", "stray": 1}"#);
        assert_eq!(e.code, Code::InvalidBody, "{}", e.detail);
    }

    #[test]
    fn a_field_given_twice_is_refused_at_any_depth() {
        for raw in [
            r#"{"name": "orgs_sk_junk", "name": "orgs_sk_real"}"#,
            r#"{"name": "x", "count": 1, "extra": {"a": [1, {"b": 1, "b": 2}]}}"#,
        ] {
            let e = body(raw).json::<serde_json::Value>().unwrap_err();
            assert_eq!(e.code, Code::InvalidBody, "{raw}");
            assert!(e.detail.contains("twice"), "{}", e.detail);
            assert!(!e.detail.contains("orgs_sk"), "{}", e.detail);
        }
        // The same name in two objects is two fields.
        let ok = r#"{"name": "x", "nested": [{"name": 1}, {"name": 2}]}"#;
        assert!(body(ok).json::<serde_json::Value>().is_ok());
    }

    #[test]
    fn a_refusal_quotes_at_most_a_short_sanitized_prefix_of_the_input() {
        let long = "p".repeat(60_000);
        let e = body(&format!(r#"{{"{long}": 1, "name": "x"}}"#))
            .json::<NamedStrict>()
            .unwrap_err();
        assert!(e.detail.len() < 400, "{} bytes", e.detail.len());
        assert!(e.detail.contains("unknown field"), "{}", e.detail);
        let twice = body(&format!(r#"{{"{long}": 1, "{long}": 2}}"#))
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(twice.detail.len() < 400, "{} bytes", twice.detail.len());
        assert_eq!(crate::domain::shown("a\u{202e}b\nc"), "a?b?c");
        assert_eq!(
            crate::domain::shown(&"x".repeat(41)),
            format!("{}…", "x".repeat(40))
        );
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NamedStrict {
        name: String,
    }
}
