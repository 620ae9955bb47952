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
/// Shortest invitation code key production accepts.
pub const MIN_PRODUCTION_CODE_KEY_BYTES: usize = 32;

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
    pub fn from_env() -> Result<Self, String> {
        let table_name = var("TABLE_NAME").ok_or("TABLE_NAME is not set")?;
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
        }
    }

    /// The cold-start check of a function that derives invitation codes: in production
    /// (`AUTH_MODE=jwt`) the key must be set, at least 32 bytes, and not the local runs' default.
    pub fn check_code_key(&self) -> Result<(), String> {
        if !matches!(self.auth, AuthMode::Jwt) {
            return Ok(());
        }
        let key = &self.invitation_code_key;
        if key.is_empty() {
            return Err("INVITATION_CODE_KEY is not set; production needs a secret key (the template resolves it from Secrets Manager)".into());
        }
        if key.len() < MIN_PRODUCTION_CODE_KEY_BYTES {
            return Err(format!(
                "INVITATION_CODE_KEY is {} bytes; production needs at least {MIN_PRODUCTION_CODE_KEY_BYTES}",
                key.len()
            ));
        }
        if key.as_slice() == LOCAL_CODE_KEY.as_bytes() {
            return Err("INVITATION_CODE_KEY is the local runs' default; production needs its own secret key".into());
        }
        Ok(())
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
    fn production_refuses_missing_short_and_local_code_keys() {
        let mut c = Config::local("t", "s");
        c.auth = AuthMode::Jwt;
        for (key, why) in [
            (Vec::new(), "not set"),
            (vec![b'k'; 31], "31 bytes"),
            (LOCAL_CODE_KEY.as_bytes().to_vec(), "local runs' default"),
        ] {
            c.invitation_code_key = key;
            let err = c.check_code_key().unwrap_err();
            assert!(err.contains(why), "{err}");
            assert!(!err.contains("kkkk"), "the key is never in the message");
        }
        c.invitation_code_key = vec![b'k'; 32];
        assert!(c.check_code_key().is_ok());
        // Local runs keep their default.
        let mut local = Config::local("t", "s");
        local.invitation_code_key = LOCAL_CODE_KEY.as_bytes().to_vec();
        assert!(local.check_code_key().is_ok());
    }
}
