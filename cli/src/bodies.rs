//! The request bodies the CLI sends, typed; `samples` has one of each, filled, for the drift test
//! (every key a property of the endpoint's request schema in `openapi.yaml`, every required one there).

#[cfg(test)]
use crate::api::{self, Endpoint};
use serde::Serialize;
#[cfg(test)]
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrg {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOrg {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<OrgSettings>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSettings {
    pub invite_policy: String,
    pub allow_non_expiring_api_keys: bool,
    pub api_keys_may_call_api: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorize {
    pub permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

#[derive(Serialize)]
pub struct ChangeRole {
    pub role: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateScimToken {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhook {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A change of an endpoint: only the fields given (`Some(None)`: back to every event type, or
/// no description).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhook {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Option<Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateWebhookSecret {
    pub grace_minutes: i64,
}

#[derive(Serialize)]
pub struct ChangeStatus {
    pub status: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub user_id: String,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct CreateInvitation {
    pub email: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
}

#[derive(Serialize)]
pub struct CreateNamed {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Serialize, Default)]
pub struct UpdateNamed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Serialize)]
pub struct Grant {
    pub role: String,
}

#[derive(Serialize)]
pub struct CreateIntegration {
    pub kind: String,
    pub provider: String,
    pub name: String,
    pub config: BTreeMap<String, String>,
    pub secret: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    pub name: String,
    pub role: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
    /// Absent: the default (90 days); `Some(None)`: `null`, a key that never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<Option<i64>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRole {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub permissions: Vec<String>,
    pub project_role: String,
}

/// Only the fields given change.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_role: Option<String>,
}

#[derive(Serialize)]
pub struct AddDomain {
    pub domain: String,
}

#[derive(Serialize)]
pub struct Enrollment {
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollApiKey {
    pub grace_minutes: i64,
}

#[derive(Serialize)]
pub struct Secret {
    pub secret: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Close {
    pub confirm_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationPolicy {
    pub require_mfa: bool,
    pub allowed_email_domains: Vec<String>,
}

/// The JSON of a body.
pub fn to_json<T: Serialize>(body: &T) -> Value {
    serde_json::to_value(body).expect("bodies serialize")
}

/// One filled body per endpoint that takes one (the drift test's input).
#[cfg(test)]
pub fn samples() -> Vec<(Endpoint, Value)> {
    let s = |v: &str| v.to_string();
    vec![
        (
            api::CREATE_ORG,
            to_json(&CreateOrg {
                name: s("n"),
                slug: Some(s("sl-g")),
            }),
        ),
        (
            api::UPDATE_ORG,
            to_json(&UpdateOrg {
                name: Some(s("n")),
                slug: Some(s("sl-g")),
                settings: Some(OrgSettings {
                    invite_policy: s("members"),
                    allow_non_expiring_api_keys: true,
                    api_keys_may_call_api: true,
                }),
            }),
        ),
        (
            api::AUTHORIZE,
            to_json(&Authorize {
                permissions: vec![s("org.read")],
                project_id: Some(s("p")),
            }),
        ),
        (
            api::CHANGE_MEMBER_ROLE,
            to_json(&ChangeRole { role: s("viewer") }),
        ),
        (
            api::CHANGE_MEMBER_ROLE,
            to_json(&ChangeStatus {
                status: s("deactivated"),
            }),
        ),
        (
            api::TRANSFER_OWNERSHIP,
            to_json(&Transfer { user_id: s("u") }),
        ),
        (
            api::CREATE_INVITATION,
            to_json(&CreateInvitation {
                email: s("a@b.co"),
                role: s("viewer"),
                expires_in_days: Some(7),
                max_uses: Some(2),
                message: Some(s("hi")),
                project_ids: vec![s("p")],
            }),
        ),
        (
            api::CREATE_TEAM,
            to_json(&CreateNamed {
                name: s("t"),
                description: Some(s("d")),
            }),
        ),
        (
            api::UPDATE_TEAM,
            to_json(&UpdateNamed {
                name: Some(s("t")),
                description: Some(s("d")),
            }),
        ),
        (
            api::CREATE_PROJECT,
            to_json(&CreateNamed {
                name: s("p"),
                description: Some(s("d")),
            }),
        ),
        (
            api::UPDATE_PROJECT,
            to_json(&UpdateNamed {
                name: Some(s("p")),
                description: Some(s("d")),
            }),
        ),
        (
            api::GRANT_PROJECT_ACCESS,
            to_json(&Grant { role: s("viewer") }),
        ),
        (
            api::CREATE_INTEGRATION,
            to_json(&CreateIntegration {
                kind: s("dns_provider"),
                provider: s("cloudflare"),
                name: s("cf"),
                config: BTreeMap::from([(s("zone"), s("z"))]),
                secret: s("x"),
            }),
        ),
        (
            api::ADD_DOMAIN,
            to_json(&AddDomain {
                domain: s("acme.com"),
            }),
        ),
        (
            api::SET_DOMAIN_ENROLLMENT,
            to_json(&Enrollment {
                mode: s("automatic_invitation"),
                role: Some(s("developer")),
            }),
        ),
        (
            api::ADD_DOMAIN,
            to_json(&AddDomain {
                domain: s("acme.com"),
            }),
        ),
        (
            api::SET_DOMAIN_ENROLLMENT,
            to_json(&Enrollment {
                mode: s("automatic_invitation"),
                role: Some(s("developer")),
            }),
        ),
        (
            api::ROTATE_INTEGRATION_SECRET,
            to_json(&Secret { secret: s("x") }),
        ),
        (
            api::CREATE_API_KEY,
            to_json(&CreateApiKey {
                name: s("ci"),
                role: s("developer"),
                project_ids: vec![s("prj_3f2a9c4e8b1d47a6a0c5e2f7d9b8a613")],
                expires_in_days: Some(None),
            }),
        ),
        (
            api::CREATE_SCIM_TOKEN,
            to_json(&CreateScimToken {
                name: s("Okta"),
                expires_in_days: Some(365),
            }),
        ),
        (
            api::CREATE_WEBHOOK,
            to_json(&CreateWebhook {
                url: s("https://hooks.example.com/orgs"),
                event_types: Some(vec![s("MemberJoined")]),
                description: Some(s("provisioning")),
            }),
        ),
        (
            api::UPDATE_WEBHOOK,
            to_json(&UpdateWebhook {
                url: Some(s("https://hooks.example.com/v2")),
                event_types: Some(None),
                description: Some(None),
                enabled: Some(true),
            }),
        ),
        (
            api::ROTATE_WEBHOOK_SECRET,
            to_json(&RotateWebhookSecret { grace_minutes: 60 }),
        ),
        (
            api::CREATE_ROLE,
            to_json(&CreateRole {
                name: s("billing-viewer"),
                description: Some(s("Reads usage and the plan")),
                permissions: vec![s("usage.read"), s("subscription.read")],
                project_role: s("none"),
            }),
        ),
        (
            api::UPDATE_ROLE,
            to_json(&UpdateRole {
                name: Some(s("billing")),
                description: None,
                permissions: Some(vec![s("usage.read")]),
                project_role: Some(s("viewer")),
            }),
        ),
        (
            api::ROLL_API_KEY,
            to_json(&RollApiKey { grace_minutes: 30 }),
        ),
        (
            api::CLOSE_ORG,
            to_json(&Close {
                confirm_name: s("n"),
            }),
        ),
        (
            api::PUT_AUTHENTICATION_POLICY,
            to_json(&AuthenticationPolicy {
                require_mfa: true,
                allowed_email_domains: vec![s("a.co")],
            }),
        ),
        (
            api::PUT_NOTIFICATION_PREFERENCES,
            json!({ "memberJoined": true, "memberLeft": true, "roleChangedToAdmin": true,
                    "ownershipTransferred": true, "integrationChanged": true, "organizationClosed": true }),
        ),
        (
            api::PUT_CLEANUP_POLICY,
            json!({ "stopIdleEnvironments": { "enabled": true, "afterDays": 1 },
                    "deleteStoppedPreviews": { "enabled": true, "afterDays": 1 },
                    "deleteUnattachedVolumes": { "enabled": true, "afterDays": 1 } }),
        ),
    ]
}
