use crate::domain::Email;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::validation(field, detail)
}

/// Who may invite: admins only (default) or members, for roles at or below their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum InvitePolicy {
    #[default]
    Admins,
    Members,
}

/// Organization settings. Unknown keys are refused so that typos do not pass silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// `members` lets developers and above invite, for roles at or below their own.
    #[serde(default)]
    pub invite_policy: InvitePolicy,
    /// Whether API keys may be created with `expiresInDays: null` (never expiring). Off by default.
    #[serde(default)]
    pub allow_non_expiring_api_keys: bool,
    /// Whether the organization's API keys may call this API (`Authorization: Bearer
    /// orgs_sk_...`), each within its role and projects; people only ever manage credentials,
    /// roles, ownership, closure and billing. Off by default; only a person changes it.
    #[serde(default)]
    pub api_keys_may_call_api: bool,
}

/// Billing contact data; free text is bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
}

/// The billing profile's fields: characters at most.
pub const COMPANY_NAME_MAX_CHARS: usize = 200;
pub const ADDRESS_MAX_CHARS: usize = 500;
pub const VAT_ID_MAX_CHARS: usize = 32;

impl BillingProfile {
    pub fn validate(self) -> Result<Self, ApiError> {
        for (field, value, max) in [
            (
                "billingProfile.companyName",
                &self.company_name,
                COMPANY_NAME_MAX_CHARS,
            ),
            ("billingProfile.address", &self.address, ADDRESS_MAX_CHARS),
            ("billingProfile.vatId", &self.vat_id, VAT_ID_MAX_CHARS),
        ] {
            if let Some(v) = value {
                if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
                    return Err(invalid(field, format!("`{field}` must be at most {max} characters without control characters.")));
                }
            }
        }
        if let Some(email) = &self.email {
            Email::parse("billingProfile.email", email)?;
        }
        Ok(self)
    }
}

impl crate::body::Parse for BillingProfile {
    type Raw = BillingProfile;
    fn parse(_field: &str, raw: BillingProfile) -> Result<Self, ApiError> {
        raw.validate()
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let text = |max: usize| serde_json::json!({ "type": "string", "maxLength": max });
        serde_json::json!({
            "type": "object",
            "description": "Billing contact data.",
            "additionalProperties": false,
            "properties": {
                "companyName": text(COMPANY_NAME_MAX_CHARS),
                "email": { "type": "string", "format": "email", "maxLength": crate::domain::EMAIL_MAX_LEN },
                "address": text(ADDRESS_MAX_CHARS),
                "vatId": text(VAT_ID_MAX_CHARS),
            },
        })
    }
}

/// Organization lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgStatus {
    Active,
    /// Closed: read-only until `purgeAt`, reactivation possible.
    Grace,
    /// The purge has started: read-only, no reactivation.
    Purging,
}
