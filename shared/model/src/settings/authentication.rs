//! The authentication policy: a second factor on every request (`requireMfa`) and the email
//! domains members come from (`allowedEmailDomains`). Enforced by us on every request, from the
//! organization item the access read brings anyway (no extra request).

use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// At most this many allowed domains.
pub const MAX_DOMAINS: usize = 50;
/// A domain's length: two one-letter labels and their dot at least, DNS's 253 at most.
pub const DOMAIN_LEN: (usize, usize) = (3, 253);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationPolicy {
    pub require_mfa: bool,
    /// Exact domains (a subdomain is its own entry); empty: anyone may be invited.
    pub allowed_email_domains: BTreeSet<String>,
}

/// The domain rule: any address when no domains are set, else one whose domain is listed.
pub fn domain_allowed(domains: &BTreeSet<String>, email: &crate::domain::Email) -> bool {
    domains.is_empty() || domains.contains(email.domain())
}

impl AuthenticationPolicy {
    /// Lowercases and checks every domain (the field and the entry named in the answer).
    pub fn validate(mut self) -> ApiResult<Self> {
        if self.allowed_email_domains.len() > MAX_DOMAINS {
            return Err(ApiError::validation(
                "allowedEmailDomains",
                format!("`allowedEmailDomains` takes at most {MAX_DOMAINS} domains."),
            ));
        }
        let mut domains = BTreeSet::new();
        for raw in &self.allowed_email_domains {
            let d = raw.trim().to_ascii_lowercase();
            if !is_domain(&d) {
                return Err(ApiError::validation(
                    "allowedEmailDomains",
                    format!("`allowedEmailDomains`: `{}` is not a domain like example.com (letters, digits and hyphens in dot-separated labels; no `@`, no scheme).", crate::domain::shown(raw)),
                )
                .with("value", raw.as_str()));
            }
            domains.insert(d);
        }
        self.allowed_email_domains = domains;
        Ok(self)
    }

    /// The keys that differ from `before`.
    pub fn changed_from(&self, before: &AuthenticationPolicy) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.require_mfa != before.require_mfa {
            changed.push("requireMfa");
        }
        if self.allowed_email_domains != before.allowed_email_domains {
            changed.push("allowedEmailDomains");
        }
        changed
    }
}

/// A DNS name of at least two labels, each 1-63 letters, digits or inner hyphens (IDNs in
/// their `xn--` form), 253 characters at most.
pub(crate) fn is_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    (DOMAIN_LEN.0..=DOMAIN_LEN.1).contains(&d.len())
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && !labels.last().unwrap().chars().all(|c| c.is_ascii_digit())
}

/// `PUT /orgs/{orgId}/settings/authentication`'s body: at most `MAX_DOMAINS` domains, each a
/// domain (lowercased).
impl crate::body::Parse for AuthenticationPolicy {
    type Raw = AuthenticationPolicy;
    fn parse(_field: &str, raw: AuthenticationPolicy) -> ApiResult<Self> {
        raw.validate()
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let (min, max) = DOMAIN_LEN;
        serde_json::json!({
            "type": "object",
            "description": "A second factor on every request, and the email domains members come from.",
            "additionalProperties": false,
            "required": ["requireMfa", "allowedEmailDomains"],
            "properties": {
                "requireMfa": { "type": "boolean" },
                "allowedEmailDomains": {
                    "type": "array",
                    "maxItems": MAX_DOMAINS,
                    "uniqueItems": true,
                    "description": "Exact domains (example.com; a subdomain is its own entry); empty for anyone.",
                    "items": { "type": "string", "minLength": min, "maxLength": max },
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domains: &[&str]) -> AuthenticationPolicy {
        AuthenticationPolicy {
            require_mfa: false,
            allowed_email_domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn domains_are_normalized_and_checked() {
        let p = policy(&["Acme.COM", "eu.acme.com", "xn--bcher-kva.example"])
            .validate()
            .unwrap();
        assert!(p.allowed_email_domains.contains("acme.com"));
        for bad in [
            "acme",
            "@acme.com",
            "https://acme.com",
            "-acme.com",
            "acme..com",
            "acme.com.",
            "ac me.com",
            "10.0.0.1",
            "a@b.com",
        ] {
            let e = policy(&[bad]).validate().unwrap_err();
            assert_eq!(e.extra["field"], "allowedEmailDomains", "{bad}");
            assert_eq!(e.extra["value"], bad);
        }
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.com")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(policy(&many).validate().is_err());
    }

    #[test]
    fn changed_keys() {
        let before = policy(&["acme.com"]);
        let mut after = before.clone();
        after.require_mfa = true;
        assert_eq!(after.changed_from(&before), vec!["requireMfa"]);
        after.allowed_email_domains.clear();
        assert_eq!(
            after.changed_from(&before),
            vec!["requireMfa", "allowedEmailDomains"]
        );
    }
}
