//! Configuration from environment variables (the brief's list). Read once at cold start.

use crate::error::ApiError;

#[derive(Clone, Debug)]
pub enum AuthMode {
    /// Production: API Gateway's JWT authorizer has validated the token; read its claims.
    Jwt,
    /// Local runs only: verify an HS256 bearer token ourselves.
    Local { secret: Vec<u8> },
}

#[derive(Clone)]
pub struct Config {
    pub table_name: String,
    pub auth: AuthMode,
    /// Organizations a user may create (the personal organization is not counted).
    pub org_create_limit: u32,
    /// Invitation emails one organization may send per UTC day (invitations and resends).
    pub email_limits: EmailLimits,
    pub app_base_url: String,
    pub ses_from_address: String,
    pub event_bus_name: String,
    /// Server key for invitation codes (never logged).
    pub invitation_code_key: Vec<u8>,
    /// Server key API keys are digested with (`API_KEY_HASH_KEY`; never logged): the table
    /// stores only the HMAC of a key under it, so a copy of the table verifies nothing.
    pub api_key_hash_key: Vec<u8>,
    /// Which claim of the token shows a second factor, and which of its values count.
    pub mfa: MfaClaim,
    /// Notification emails one recipient gets from one organization per hour
    /// (`NOTIFICATION_EMAILS_PER_HOUR`, default 10); the events past it are folded into the
    /// recipient's next email.
    pub notification_emails_per_hour: u32,
    /// The nameserver domain verification asks (`DNS_NAMESERVER`, `host:port` or an IP); the
    /// system's (`/etc/resolv.conf`, on Lambda the VPC resolver) when unset.
    pub dns_nameserver: Option<String>,
    /// The CloudWatch namespace of the functions' embedded metrics (`METRICS_NAMESPACE`; the
    /// template sets `Orgs/<stack>`), see [`crate::metrics`].
    pub metrics_namespace: String,
    /// The SES configuration set emails are sent with (`SES_CONFIGURATION_SET`; the template's
    /// keeps the reputation metrics its alarms read); none when unset.
    pub ses_configuration_set: Option<String>,
    /// Hosts webhook endpoints may name although they are not public, `http://` included
    /// (`WEBHOOK_ALLOWED_PRIVATE_HOSTS`, comma-separated, empty by default; the local run and the
    /// tests set `127.0.0.1`). Exact host names or addresses, compared case-insensitively.
    pub webhook_allowed_private_hosts: Vec<String>,
}

/// The default of `NOTIFICATION_EMAILS_PER_HOUR`.
pub const NOTIFICATION_EMAILS_PER_HOUR: u32 = 10;

/// The claim that shows a second factor (`MFA_CLAIM`, default `amr`, RFC 8176) and the values
/// of it that count (`MFA_CLAIM_VALUES`, comma-separated, default `mfa,otp,hwk,swk`).
#[derive(Clone, Debug, PartialEq)]
pub struct MfaClaim {
    pub name: String,
    pub values: Vec<String>,
}

impl Default for MfaClaim {
    fn default() -> Self {
        Self {
            name: "amr".into(),
            values: ["mfa", "otp", "hwk", "swk"].map(String::from).to_vec(),
        }
    }
}

impl MfaClaim {
    /// Whether the claims show a second factor. A list claim arrives as JSON (`["pwd","mfa"]`,
    /// our local tokens) or as API Gateway writes arrays (`[pwd mfa]`); a plain value is one entry.
    pub fn shown_in(&self, claims: &std::collections::HashMap<String, String>) -> bool {
        let Some(raw) = claims.get(&self.name) else {
            return false;
        };
        let counts = |v: &str| self.values.iter().any(|want| want == v);
        let raw = raw.trim();
        // A JSON list is matched element by element: `["not mfa"]` is one entry, not two.
        if let Ok(serde_json::Value::Array(entries)) = serde_json::from_str(raw) {
            return entries.iter().any(|e| e.as_str().is_some_and(counts));
        }
        // API Gateway's `[a b]` form (or one plain value): entries separated by spaces.
        let inner = raw
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(raw);
        inner
            .split(char::is_whitespace)
            .filter(|v| !v.is_empty())
            .any(counts)
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field(
                "auth",
                &matches!(self.auth, AuthMode::Local { .. })
                    .then_some("local")
                    .unwrap_or("jwt"),
            )
            .field("org_create_limit", &self.org_create_limit)
            .field("app_base_url", &self.app_base_url)
            .finish_non_exhaustive()
    }
}

/// The invitation code key of local runs (`scripts/lib.sh`); production refuses it.
pub const LOCAL_CODE_KEY: &str = "local-invitation-code-key-change-me";
/// The API key hash key of local runs (`scripts/lib.sh`); production refuses it.
pub const LOCAL_API_KEY_HASH_KEY: &str = "local-api-key-hash-key-change-me";
/// Shortest server key (invitation codes, API key digests) production accepts.
pub const MIN_PRODUCTION_CODE_KEY_BYTES: usize = 32;

/// The server keys a function may need; each route names its own (`RouteDef::keys`), and only
/// those functions get the key in their environment and check it at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKey {
    /// `INVITATION_CODE_KEY`: invitation codes (and integration secret fingerprints).
    InvitationCode,
    /// `API_KEY_HASH_KEY`: the digests of organization API keys.
    ApiKeyHash,
}

impl ServerKey {
    pub fn env(self) -> &'static str {
        match self {
            ServerKey::InvitationCode => "INVITATION_CODE_KEY",
            ServerKey::ApiKeyHash => "API_KEY_HASH_KEY",
        }
    }
    /// The template's Secrets Manager secret that holds it.
    pub fn resource(self) -> &'static str {
        match self {
            ServerKey::InvitationCode => "InvitationCodeKey",
            ServerKey::ApiKeyHash => "ApiKeyHashKey",
        }
    }
    fn local_default(self) -> &'static str {
        match self {
            ServerKey::InvitationCode => LOCAL_CODE_KEY,
            ServerKey::ApiKeyHash => LOCAL_API_KEY_HASH_KEY,
        }
    }
}

/// Invitation emails per UTC day: per organization (free plan, paid plans) and per recipient
/// per organization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmailLimits {
    pub per_org_free: u32,
    pub per_org_paid: u32,
    pub per_recipient: u32,
}

impl Default for EmailLimits {
    /// GitHub's daily invitation limits (50 free, 500 paid); 5 emails to one address a day.
    fn default() -> Self {
        Self {
            per_org_free: 50,
            per_org_paid: 500,
            per_recipient: 5,
        }
    }
}

fn number(name: &str, default: u32) -> Result<u32, String> {
    match var(name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} must be a number, not `{v}`")),
        None => Ok(default),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// The configuration of a function, from its environment; the catalogue `ORGS_CATALOGUE_FILE`
    /// names is put in force here too (a catalogue that does not validate stops the start with
    /// every problem named).
    pub fn from_env() -> Result<Self, String> {
        let table_name = var("TABLE_NAME").ok_or("TABLE_NAME is not set")?;
        let catalogue = crate::catalogue::install_from_env()?;
        if catalogue.source != "built-in" {
            tracing::info!(
                catalogue = %catalogue.source,
                permissions = catalogue.len(),
                plans = catalogue.plans().len(),
                "operator catalogue in force"
            );
        }
        let auth = match var("AUTH_MODE").as_deref().unwrap_or("jwt") {
            "jwt" => AuthMode::Jwt,
            "local" => {
                let secret =
                    var("LOCAL_JWT_SECRET").ok_or("AUTH_MODE=local needs LOCAL_JWT_SECRET")?;
                AuthMode::Local {
                    secret: secret.into_bytes(),
                }
            }
            other => return Err(format!("AUTH_MODE must be `jwt` or `local`, not `{other}`")),
        };
        let org_create_limit = number("ORG_CREATE_LIMIT", 1)?;
        let mut mfa = MfaClaim::default();
        if let Some(name) = var("MFA_CLAIM") {
            mfa.name = name;
        }
        if let Some(values) = var("MFA_CLAIM_VALUES") {
            mfa.values = values
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if mfa.values.is_empty() {
                return Err("MFA_CLAIM_VALUES must list at least one value".into());
            }
        }
        let d = EmailLimits::default();
        let email_limits = EmailLimits {
            per_org_free: number("INVITE_EMAILS_PER_DAY_FREE", d.per_org_free)?,
            per_org_paid: number("INVITE_EMAILS_PER_DAY_PAID", d.per_org_paid)?,
            per_recipient: number("INVITE_EMAILS_PER_RECIPIENT_PER_DAY", d.per_recipient)?,
        };
        Ok(Self {
            table_name,
            auth,
            org_create_limit,
            email_limits,
            app_base_url: var("APP_BASE_URL").unwrap_or_else(|| "http://localhost:3000".into()),
            ses_from_address: var("SES_FROM_ADDRESS")
                .unwrap_or_else(|| "no-reply@example.com".into()),
            event_bus_name: var("EVENT_BUS_NAME").unwrap_or_else(|| "default".into()),
            invitation_code_key: var("INVITATION_CODE_KEY").unwrap_or_default().into_bytes(),
            api_key_hash_key: var("API_KEY_HASH_KEY").unwrap_or_default().into_bytes(),
            mfa,
            notification_emails_per_hour: match number(
                "NOTIFICATION_EMAILS_PER_HOUR",
                NOTIFICATION_EMAILS_PER_HOUR,
            )? {
                0 => return Err("NOTIFICATION_EMAILS_PER_HOUR must be at least 1".into()),
                n => n,
            },
            dns_nameserver: var("DNS_NAMESERVER"),
            metrics_namespace: var("METRICS_NAMESPACE")
                .unwrap_or_else(|| crate::metrics::DEFAULT_NAMESPACE.into()),
            ses_configuration_set: var("SES_CONFIGURATION_SET"),
            webhook_allowed_private_hosts: var("WEBHOOK_ALLOWED_PRIVATE_HOSTS")
                .map(|v| {
                    v.split(',')
                        .map(|h| h.trim().to_ascii_lowercase())
                        .filter(|h| !h.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// A configuration for tests and tools: local auth with the given secret.
    pub fn local(table_name: &str, jwt_secret: &str) -> Self {
        Self {
            table_name: table_name.into(),
            auth: AuthMode::Local {
                secret: jwt_secret.as_bytes().to_vec(),
            },
            org_create_limit: 1,
            email_limits: EmailLimits::default(),
            app_base_url: "http://localhost:3000".into(),
            ses_from_address: "no-reply@example.com".into(),
            event_bus_name: "default".into(),
            invitation_code_key: b"test-invitation-code-key".to_vec(),
            api_key_hash_key: b"test-api-key-hash-key".to_vec(),
            mfa: MfaClaim::default(),
            notification_emails_per_hour: NOTIFICATION_EMAILS_PER_HOUR,
            dns_nameserver: None,
            metrics_namespace: crate::metrics::DEFAULT_NAMESPACE.into(),
            ses_configuration_set: None,
            webhook_allowed_private_hosts: vec!["127.0.0.1".into()],
        }
    }

    fn server_key(&self, which: ServerKey) -> &[u8] {
        match which {
            ServerKey::InvitationCode => &self.invitation_code_key,
            ServerKey::ApiKeyHash => &self.api_key_hash_key,
        }
    }

    /// The cold-start check of a function that needs a server key: in production
    /// (`AUTH_MODE=jwt`) the key must be set, at least 32 bytes, and not the local runs' default.
    pub fn check_server_key(&self, which: ServerKey) -> Result<(), String> {
        if !matches!(self.auth, AuthMode::Jwt) {
            return Ok(());
        }
        let (key, name) = (self.server_key(which), which.env());
        if key.is_empty() {
            return Err(format!("{name} is not set; production needs a secret key (the template resolves it from Secrets Manager)"));
        }
        if key.len() < MIN_PRODUCTION_CODE_KEY_BYTES {
            return Err(format!(
                "{name} is {} bytes; production needs at least {MIN_PRODUCTION_CODE_KEY_BYTES}",
                key.len()
            ));
        }
        if key == which.local_default().as_bytes() {
            return Err(format!(
                "{name} is the local runs' default; production needs its own secret key"
            ));
        }
        Ok(())
    }

    /// The API key hash key (refused at cold start in production when missing or weak).
    pub fn require_api_key_hash_key(&self) -> Result<&[u8], ApiError> {
        if self.api_key_hash_key.len() < 16 {
            return Err(ApiError::internal(
                "API_KEY_HASH_KEY is missing or shorter than 16 bytes",
            ));
        }
        Ok(&self.api_key_hash_key)
    }

    /// The resolver of domain verification; a configuration without one is our fault (500).
    pub fn resolver(&self) -> Result<crate::dns::Resolver, ApiError> {
        crate::dns::Resolver::configured(self.dns_nameserver.as_deref()).map_err(ApiError::internal)
    }

    pub fn require_code_key(&self) -> Result<&[u8], ApiError> {
        if self.invitation_code_key.len() < 16 {
            return Err(ApiError::internal(
                "INVITATION_CODE_KEY is missing or shorter than 16 bytes",
            ));
        }
        Ok(&self.invitation_code_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_factor_shows_in_json_api_gateway_and_single_values() {
        let mfa = MfaClaim::default();
        let claims =
            |v: &str| std::collections::HashMap::from([("amr".to_string(), v.to_string())]);
        assert!(mfa.shown_in(&claims(r#"["pwd","mfa"]"#)), "JSON list");
        assert!(mfa.shown_in(&claims("[pwd otp]")), "API Gateway's list");
        assert!(mfa.shown_in(&claims("hwk")), "one value");
        assert!(!mfa.shown_in(&claims(r#"["pwd"]"#)), "password only");
        assert!(!mfa.shown_in(&claims("[pwdmfa]")), "no partial match");
        assert!(
            !mfa.shown_in(&claims(r#"["not mfa"]"#)),
            "one JSON entry, not split"
        );
        assert!(
            !mfa.shown_in(&claims(r#"["pwd,mfa"]"#)),
            "no split on commas"
        );
        assert!(!mfa.shown_in(&claims("pwd,mfa")), "one plain value");
        assert!(!mfa.shown_in(&std::collections::HashMap::new()), "no claim");
        let custom = MfaClaim {
            name: "custom:mfa".into(),
            values: vec!["true".into()],
        };
        let c = std::collections::HashMap::from([("custom:mfa".to_string(), "true".to_string())]);
        assert!(custom.shown_in(&c));
        assert!(!mfa.shown_in(&c));
    }

    #[test]
    fn production_refuses_missing_short_and_local_server_keys() {
        for which in [ServerKey::InvitationCode, ServerKey::ApiKeyHash] {
            let mut c = Config::local("t", "s");
            c.auth = AuthMode::Jwt;
            let set = |c: &mut Config, key: Vec<u8>| match which {
                ServerKey::InvitationCode => c.invitation_code_key = key,
                ServerKey::ApiKeyHash => c.api_key_hash_key = key,
            };
            for (key, why) in [
                (Vec::new(), "not set"),
                (vec![b'k'; 31], "31 bytes"),
                (
                    which.local_default().as_bytes().to_vec(),
                    "local runs' default",
                ),
            ] {
                set(&mut c, key);
                let err = c.check_server_key(which).unwrap_err();
                assert!(err.contains(why), "{which:?}: {err}");
                assert!(err.contains(which.env()), "{err}");
                assert!(!err.contains("kkkk"), "the key is never in the message");
            }
            set(&mut c, vec![b'k'; 32]);
            assert!(c.check_server_key(which).is_ok());
            // Local runs keep their default.
            let mut local = Config::local("t", "s");
            set(&mut local, which.local_default().as_bytes().to_vec());
            assert!(local.check_server_key(which).is_ok());
        }
    }
}
