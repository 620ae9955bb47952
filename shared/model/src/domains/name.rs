//! A domain an organization may claim, and the TXT record that proves it: exact and lowercased
//! (a subdomain is its own domain), never a public or disposable email provider's (people
//! with an address there belong to no one organization).

use crate::error::{ApiError, ApiResult};
use crate::settings::authentication::is_domain;

/// The free email providers a maintained list tracks: the npm package `free-email-domains`
/// (HubSpot's list, MIT; `scripts/update-free-email-domains.sh` refreshes it), one domain a line,
/// sorted. A claim is refused when its domain is one of these or under one.
pub const FREE_EMAIL_DOMAINS: &str = include_str!("free-email-domains.txt");
/// The release of `free-email-domains` the file is.
pub const FREE_EMAIL_DOMAINS_VERSION: &str = "1.12.6";

/// Providers and throwaway-address services refused besides the maintained list (it lacks
/// some, such as mailbox.org and protonmail.me, and the disposable services seen most). These
/// are checked on every domain the service reads (an email's, a stored one), without the large
/// list; a platform that needs more refuses them with its own `allowedEmailDomains` policy.
/// Sorted, for the binary search.
pub const PUBLIC_EMAIL_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "126.com",
    "163.com",
    "aim.com",
    "aol.com",
    "att.net",
    "bk.ru",
    "comcast.net",
    "daum.net",
    "dispostable.com",
    "duck.com",
    "emailondeck.com",
    "fakeinbox.com",
    "fastmail.com",
    "free.fr",
    "getnada.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "guerrillamail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.fr",
    "icloud.com",
    "inbox.ru",
    "libero.it",
    "list.ru",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "mailbox.org",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "me.com",
    "msn.com",
    "naver.com",
    "o2.pl",
    "orange.fr",
    "outlook.com",
    "pm.me",
    "proton.me",
    "protonmail.ch",
    "protonmail.com",
    "protonmail.me",
    "qq.com",
    "rambler.ru",
    "rediffmail.com",
    "rocketmail.com",
    "seznam.cz",
    "sharklasers.com",
    "t-online.de",
    "temp-mail.org",
    "tempmail.com",
    "throwawaymail.com",
    "trashmail.com",
    "tuta.io",
    "tutanota.com",
    "verizon.net",
    "web.de",
    "wp.pl",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "yopmail.com",
    "zoho.com",
];

fn public_domain(field: &str, d: &str) -> ApiError {
    ApiError::validation(
        field,
        format!("`{d}` is a public or disposable email provider's domain: anyone can have an address there, so no organization can claim it. Claim your company's own domain."),
    )
    .with("value", d)
    .with("publicDomain", true)
}

/// The TXT record's name is this label under the domain.
pub const RECORD_LABEL: &str = "_orgs-verification";
/// The TXT record's value is this prefix, `=`, and the domain's token.
pub const RECORD_PREFIX: &str = "orgs-verification";

/// Whether `domain` (lowercased) or a domain it is under is in `listed`.
fn under_any(domain: &str, listed: impl Fn(&str) -> bool) -> bool {
    let mut rest = domain;
    loop {
        if listed(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

/// Whether `domain` (lowercased) is one of [`PUBLIC_EMAIL_DOMAINS`], or under one.
pub fn is_public(domain: &str) -> bool {
    under_any(domain, |d| PUBLIC_EMAIL_DOMAINS.binary_search(&d).is_ok())
}

/// The maintained list, parsed once.
fn free_email_domains() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        FREE_EMAIL_DOMAINS
            .lines()
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Whether `domain` (lowercased) is a free or disposable provider's by either list, or under one.
pub fn is_free_provider(domain: &str) -> bool {
    is_public(domain) || under_any(domain, |d| free_email_domains().binary_search(&d).is_ok())
}

/// A claimable domain: lowercased, a DNS name of two labels or more, not public.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        let d = raw.trim().to_ascii_lowercase();
        if !is_domain(&d) {
            return Err(ApiError::validation(
                field,
                format!("`{field}`: `{}` is not a domain like example.com (letters, digits and hyphens in dot-separated labels; no `@`, no scheme, no trailing dot).", crate::domain::shown(raw)),
            )
            .with("value", crate::domain::shown(raw)));
        }
        if is_public(&d) {
            return Err(public_domain(field, &d));
        }
        Ok(Self(d))
    }
    /// A domain an organization may claim: [`Self::parse`], and on neither list of free
    /// providers (the maintained one is read only here, where a claim is made).
    pub fn claimable(field: &str, raw: &str) -> ApiResult<Self> {
        let d = Self::parse(field, raw)?;
        if is_free_provider(&d.0) {
            return Err(public_domain(field, &d.0));
        }
        Ok(d)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Where the TXT record goes: `_orgs-verification.<domain>`.
    pub fn record_name(&self) -> String {
        record_name(&self.0)
    }
}

/// Where the TXT record of `domain` (as stored) goes.
pub fn record_name(domain: &str) -> String {
    format!("{RECORD_LABEL}.{domain}")
}

/// The TXT value that proves the domain for the holder of `token`.
pub fn record_value(token: &str) -> String {
    format!("{RECORD_PREFIX}={token}")
}

/// Whether one of the TXT strings found is the expected value (surrounding spaces and quotes,
/// which DNS consoles sometimes keep, are ignored; the token's case is not).
pub fn record_found(found: &[String], expected: &str) -> bool {
    found
        .iter()
        .any(|v| v.trim().trim_matches('"').trim() == expected)
}

/// A domain a body names to claim: [`DomainName::claimable`]'s rules.
impl crate::body::Parse for DomainName {
    type Raw = String;
    fn parse(field: &str, raw: String) -> ApiResult<Self> {
        DomainName::claimable(field, &raw)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let (min, max) = crate::settings::authentication::DOMAIN_LEN;
        serde_json::json!({ "type": "string", "minLength": min, "maxLength": max, "description": "An exact domain (example.com; a subdomain is its own), never a public or disposable email provider's." })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_list_is_sorted_for_the_search() {
        let mut sorted = PUBLIC_EMAIL_DOMAINS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, PUBLIC_EMAIL_DOMAINS);
    }

    #[test]
    fn public_domains_and_their_subdomains_are_refused() {
        for d in [
            "gmail.com",
            "GMail.COM",
            "mail.gmail.com",
            "a.b.outlook.com",
            "yopmail.com",
        ] {
            let e = DomainName::parse("domain", d).unwrap_err();
            assert_eq!(e.extra["publicDomain"], true, "{d}");
        }
        assert!(!is_public("gmail.com.evil.example"));
        assert!(!is_public("notgmail.com"));
        assert!(!is_public("com"));
    }

    #[test]
    fn the_maintained_list_is_sorted_and_refuses_the_providers_people_use() {
        let list = free_email_domains();
        assert!(list.len() > 10_000, "{}", list.len());
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        // Providers a hand list missed (issue 37), each refused for a claim.
        for d in [
            "outlook.de",
            "hotmail.de",
            "yahoo.de",
            "live.co.uk",
            "gmx.at",
            "mail.de",
            "posteo.de",
            "mailbox.org",
            "protonmail.me",
            "yandex.ua",
            "ya.ru",
            "laposte.net",
            "btinternet.com",
            "sbcglobal.net",
            "zohomail.com",
            "eu.gmx.at",
        ] {
            let e = DomainName::claimable("domain", d).unwrap_err();
            assert_eq!(e.extra["publicDomain"], true, "{d}");
        }
        assert!(DomainName::claimable("domain", "acme-corp.example").is_ok());
    }

    #[test]
    fn domains_are_exact_and_lowercased() {
        let d = DomainName::parse("domain", " Eu.Acme.COM ").unwrap();
        assert_eq!(d.as_str(), "eu.acme.com");
        assert_eq!(d.record_name(), "_orgs-verification.eu.acme.com");
        for bad in [
            "acme",
            "https://acme.com",
            "a@acme.com",
            "acme.com.",
            "*.acme.com",
            "",
        ] {
            assert!(DomainName::parse("domain", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_record_is_found_among_others() {
        let want = record_value("AbC");
        let found = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(record_found(
            &found(&["v=spf1 -all", " \"orgs-verification=AbC\" "]),
            &want
        ));
        assert!(
            !record_found(&found(&["orgs-verification=abc"]), &want),
            "case counts"
        );
        assert!(!record_found(&found(&["orgs-verification=AbCd"]), &want));
        assert!(!record_found(&[], &want));
    }
}
