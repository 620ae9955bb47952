//! What may be connected: the kinds, the providers of each kind, and the non-secret config each
//! provider takes (every field a string; unknown fields refused). Data, validated in one place.

use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CloudAccount,
    DnsProvider,
    StorageProvider,
    GitConnection,
    AddonRepo,
}

impl crate::body::Parse for Kind {
    type Raw = String;
    fn parse(_field: &str, raw: String) -> ApiResult<Self> {
        Kind::parse(&raw)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "enum": Kind::ALL.map(Kind::as_str) })
    }
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::CloudAccount,
        Kind::DnsProvider,
        Kind::StorageProvider,
        Kind::GitConnection,
        Kind::AddonRepo,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CloudAccount => "cloud_account",
            Kind::DnsProvider => "dns_provider",
            Kind::StorageProvider => "storage_provider",
            Kind::GitConnection => "git_connection",
            Kind::AddonRepo => "addon_repo",
        }
    }
    pub fn parse(raw: &str) -> ApiResult<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                ApiError::validation(
                    "kind",
                    format!(
                        "`kind` must be one of {} (got `{}`).",
                        Kind::ALL.map(Kind::as_str).join(", "),
                        crate::domain::shown(raw)
                    ),
                )
            })
    }
    /// Whether an integration of this kind needs a secret (a public addon repository does not).
    pub fn secret_required(self) -> bool {
        self != Kind::AddonRepo
    }
}

/// How a config field's value is checked.
#[derive(Clone, Copy)]
enum Check {
    /// Printable text of 1 to n characters.
    Text(usize),
    /// Exactly n ASCII digits.
    Digits(usize),
    /// A cloud region: lowercase letters, digits and dashes, 2 to 32.
    Region,
    /// An `https://` URL of at most 500 characters without spaces.
    HttpsUrl,
    /// A bucket name: 3 to 63 of lowercase letters, digits, dots and dashes.
    Bucket,
    /// One of the listed values.
    OneOf(&'static [&'static str]),
}

struct Field {
    name: &'static str,
    required: bool,
    check: Check,
}

const fn req(name: &'static str, check: Check) -> Field {
    Field {
        name,
        required: true,
        check,
    }
}
const fn opt(name: &'static str, check: Check) -> Field {
    Field {
        name,
        required: false,
        check,
    }
}

const AUTH: Check = Check::OneOf(&["oauth", "personal_access_token"]);

type Providers = &'static [(&'static str, &'static [Field])];

const CLOUD_ACCOUNTS: Providers = &[
    (
        "aws",
        &[
            req("accountId", Check::Digits(12)),
            opt("region", Check::Region),
        ],
    ),
    ("digitalocean", &[opt("teamName", Check::Text(100))]),
    ("hetzner", &[opt("projectName", Check::Text(100))]),
    ("gcp", &[req("projectId", Check::Text(30))]),
    (
        "azure",
        &[
            req("subscriptionId", Check::Text(36)),
            req("tenantId", Check::Text(36)),
        ],
    ),
];
const DNS_PROVIDERS: Providers = &[
    (
        "cloudflare",
        &[
            opt("accountId", Check::Text(64)),
            opt("zone", Check::Text(253)),
        ],
    ),
    (
        "route53",
        &[
            opt("hostedZoneId", Check::Text(32)),
            opt("zone", Check::Text(253)),
        ],
    ),
    (
        "azure_dns",
        &[
            req("resourceGroup", Check::Text(90)),
            opt("zone", Check::Text(253)),
        ],
    ),
    ("digitalocean", &[opt("zone", Check::Text(253))]),
];
const STORAGE_PROVIDERS: Providers = &[
    (
        "s3",
        &[
            req("bucket", Check::Bucket),
            req("region", Check::Region),
            opt("endpoint", Check::HttpsUrl),
        ],
    ),
    (
        "r2",
        &[
            req("bucket", Check::Bucket),
            req("accountId", Check::Text(64)),
        ],
    ),
    (
        "b2",
        &[req("bucket", Check::Bucket), opt("region", Check::Region)],
    ),
    ("gcs", &[req("bucket", Check::Bucket)]),
    (
        "azure_blob",
        &[
            req("container", Check::Text(63)),
            req("account", Check::Text(24)),
        ],
    ),
];
const GIT_CONNECTIONS: Providers = &[
    (
        "github",
        &[req("authType", AUTH), opt("owner", Check::Text(100))],
    ),
    (
        "gitlab",
        &[
            req("authType", AUTH),
            opt("baseUrl", Check::HttpsUrl),
            opt("group", Check::Text(255)),
        ],
    ),
];
const ADDON_REPOS: Providers = &[(
    "git",
    &[req("url", Check::HttpsUrl), opt("branch", Check::Text(255))],
)];

/// Every provider of a kind with the config fields it takes.
fn providers(kind: Kind) -> Providers {
    match kind {
        Kind::CloudAccount => CLOUD_ACCOUNTS,
        Kind::DnsProvider => DNS_PROVIDERS,
        Kind::StorageProvider => STORAGE_PROVIDERS,
        Kind::GitConnection => GIT_CONNECTIONS,
        Kind::AddonRepo => ADDON_REPOS,
    }
}

/// The provider, checked against the kind.
pub fn parse_provider(kind: Kind, raw: &str) -> ApiResult<String> {
    let all = providers(kind);
    if all.iter().any(|(p, _)| *p == raw) {
        return Ok(raw.to_string());
    }
    Err(ApiError::validation(
        "provider",
        format!(
            "`provider` for {} must be one of {} (got `{}`).",
            kind.as_str(),
            all.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", "),
            crate::domain::shown(raw)
        ),
    ))
}

/// The config, checked field by field for the provider: required fields present, no unknown
/// field, every value a string of the field's shape. Config holds no secret.
pub fn validate_config(
    kind: Kind,
    provider: &str,
    config: &BTreeMap<String, serde_json::Value>,
) -> ApiResult<BTreeMap<String, String>> {
    let fields = providers(kind)
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(_, f)| *f)
        .unwrap_or(&[]);
    let known = || fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    let mut out = BTreeMap::new();
    for (name, value) in config {
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            return Err(ApiError::validation(
                "config",
                format!(
                    "`config.{}` is not a field of {provider} (fields: {}). Secrets go in `secret`.",
                    crate::domain::shown(name),
                    known()
                ),
            ));
        };
        let Some(text) = value.as_str() else {
            return Err(ApiError::validation(
                "config",
                format!("`config.{}` must be a string.", crate::domain::shown(name)),
            ));
        };
        check(field, text)?;
        out.insert(name.clone(), text.to_string());
    }
    if let Some(missing) = fields
        .iter()
        .find(|f| f.required && !out.contains_key(f.name))
    {
        return Err(ApiError::validation(
            "config",
            format!("`config.{}` is required for {provider}.", missing.name),
        ));
    }
    Ok(out)
}

fn check(field: &Field, v: &str) -> ApiResult<()> {
    let ok = match field.check {
        Check::Text(max) => {
            let n = v.chars().count();
            (1..=max).contains(&n)
                && !v
                    .chars()
                    .any(|c| c.is_control() || crate::domain::is_spoofing_char(c))
        }
        Check::Digits(n) => v.len() == n && v.bytes().all(|b| b.is_ascii_digit()),
        Check::Region => {
            (2..=32).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && v.bytes().any(|b| b.is_ascii_lowercase())
                && !v.starts_with('-')
                && !v.ends_with('-')
                && !v.contains("--")
        }
        Check::HttpsUrl => {
            v.len() <= 500
                && !v.chars().any(|c| {
                    c.is_whitespace() || c.is_control() || crate::domain::is_spoofing_char(c)
                })
                && v.strip_prefix("https://").is_some_and(public_authority)
        }
        Check::Bucket => {
            (3..=63).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
                && v.split('.').all(|label| {
                    !label.is_empty() && !label.starts_with('-') && !label.ends_with('-')
                })
                && v.parse::<std::net::Ipv4Addr>().is_err()
        }
        Check::OneOf(values) => values.contains(&v),
    };
    if ok {
        return Ok(());
    }
    let what = match field.check {
        Check::Text(max) => format!("1 to {max} printable characters"),
        Check::Digits(n) => format!("{n} digits"),
        Check::Region => "a region such as `eu-west-1` (letters, digits and single dashes)".into(),
        Check::HttpsUrl => "an https:// URL of at most 500 characters to a public host name (no user or password in it, no loopback, link-local or private address)".into(),
        Check::Bucket => "a bucket name (3 to 63 of a-z, 0-9, '.', '-'; labels between dots neither empty nor starting or ending with '-'; not an IP address)".into(),
        Check::OneOf(values) => format!("one of {}", values.join(", ")),
    };
    Err(ApiError::validation(
        &format!("config.{}", field.name),
        format!("`config.{}` must be {what}.", field.name),
    ))
}

/// The host (lowercase, without a trailing dot; an IPv6 address without its brackets) and port of
/// the authority the part of a URL after `scheme://` starts with; `None` when it has credentials
/// (`user:token@`), no host, or a port that is not a number.
pub fn authority_of(rest: &str) -> Option<(String, Option<u16>)> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    if host.is_empty() {
        return None;
    }
    Some((host.trim_end_matches('.').to_ascii_lowercase(), port))
}

/// Whether the part of an https URL after `https://` starts with an authority other services
/// may be pointed at: no credentials (`user:token@`), a host that is a DNS name or a public IP
/// address (never `localhost`, loopback, link-local such as the instance metadata service,
/// private, shared (CGNAT), documentation or unspecified addresses, nor an IPv4-mapped IPv6 form of
/// one), an optional port.
pub fn public_authority(rest: &str) -> bool {
    let Some((host, _)) = authority_of(rest) else {
        return false;
    };
    public_host(&host)
}

/// Whether a host (as `authority_of` gives it) is a public DNS name or a public IP address.
pub fn public_host(host: &str) -> bool {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return public_ip(ip);
    }
    let labels_ok = host.split('.').all(|l| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    // A host of digits and dots only is an address in another notation (`2130706433`, `0x7f.1`).
    let numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.starts_with("0x");
    labels_ok
        && !numeric
        && host != "localhost"
        && !host.ends_with(".localhost")
        && !host.ends_with(".internal")
        && !host.ends_with(".local")
}

/// Whether an address is one the public internet routes to a host of someone else's: not
/// loopback, private, link-local, shared (CGNAT, 100.64/10), documentation, benchmarking,
/// multicast, reserved, broadcast or unspecified, nor an IPv4-mapped or NAT64 form of an address.
pub fn public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b)
                || v6.to_ipv4_mapped().is_some()
                || v6.to_ipv4().is_some())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn configs_are_checked_per_provider() {
        let ok = validate_config(
            Kind::StorageProvider,
            "s3",
            &config(json!({ "bucket": "backups-1", "region": "eu-west-1" })),
        )
        .unwrap();
        assert_eq!(ok["bucket"], "backups-1");
        for bad in [
            json!({ "bucket": "backups-1" }),
            json!({ "bucket": "B!", "region": "eu-west-1" }),
            json!({ "bucket": "backups-1", "region": "eu-west-1", "secretKey": "x" }),
            json!({ "bucket": 5, "region": "eu-west-1" }),
        ] {
            assert!(
                validate_config(Kind::StorageProvider, "s3", &config(bad.clone())).is_err(),
                "{bad}"
            );
        }
        assert!(parse_provider(Kind::DnsProvider, "s3").is_err());
        let repo =
            |url: &str| validate_config(Kind::AddonRepo, "git", &config(json!({ "url": url })));
        assert!(repo("https://github.com/OCA/web").is_ok());
        assert!(repo("https://git.example.com:8443/x.git").is_ok());
        for bad in [
            "https://user:token@github.com/OCA/web",
            "https://token@github.com/x",
            "https://localhost/x",
            "https://LOCALHOST./x",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/x",
            "https://192.168.1.1/x",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://2130706433/x",
            "https://0x7f000001/x",
            "https://gith\u{202e}ub.com/x",
            "https://git\u{200b}hub.com/x",
            "https://github.com:/x",
            "https:///x",
        ] {
            let e = repo(bad).unwrap_err();
            assert_eq!(e.extra["field"], "config.url", "{bad}");
        }
        let s3 = |bucket: &str, region: &str| {
            validate_config(
                Kind::StorageProvider,
                "s3",
                &config(json!({ "bucket": bucket, "region": region })),
            )
        };
        for (bucket, region, field) in [
            ("a..b", "eu-west-1", "config.bucket"),
            (".ab", "eu-west-1", "config.bucket"),
            ("ab-", "eu-west-1", "config.bucket"),
            ("192.168.1.1", "eu-west-1", "config.bucket"),
            ("backups", "--", "config.region"),
            ("backups", "eu--west", "config.region"),
            ("backups", "-eu", "config.region"),
            ("backups", "12", "config.region"),
        ] {
            assert_eq!(
                s3(bucket, region).unwrap_err().extra["field"],
                field,
                "{bucket} {region}"
            );
        }
        assert!(Kind::parse("ftp").is_err());
        assert!(!Kind::AddonRepo.secret_required() && Kind::GitConnection.secret_required());
    }
}
