//! Response bodies of the API key routes. No view has a field for the secret except the one
//! answer that creates or rolls it (`CreatedKeyView`).

use super::item::ApiKeyItem;
use crate::access::views::PermissionAnswer;
use crate::access::Reason;
use crate::domain::{ApiKeyId, DisplayName, OrgId, ProjectId, Timestamp, UserId};
use crate::orgs::item::OrgItem;
use crate::permissions::{ProjectRole, RoleRef};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: DisplayName,
    /// The role as given (with projects: the role on each of them): a system role's name or a
    /// custom role's id.
    pub role: RoleRef,
    pub role_name: String,
    /// The key's organization role (`guest` for a key limited to projects).
    pub org_role: RoleRef,
    pub project_ids: Vec<ProjectId>,
    pub project_role: Option<ProjectRole>,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub created_by: UserId,
    /// Whether whoever created the key is still a member (the key keeps working either way).
    pub created_by_member: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub rolled_at: Option<Timestamp>,
    /// After a roll with a grace period: until when the previous secret still verifies.
    pub previous_valid_until: Option<Timestamp>,
}

impl ApiKeyView {
    pub fn new(k: &ApiKeyItem, org: &OrgItem) -> Self {
        Self {
            id: k.key_id.clone(),
            name: k.name.clone(),
            role: k.role.clone(),
            role_name: org.role_name(&k.role),
            org_role: k.org_role(),
            project_ids: k.project_ids.clone(),
            project_role: k.project_role(org),
            prefix: k.prefix.clone(),
            created_by: k.created_by.clone(),
            created_by_member: !org.api_keys.creator_left(&k.key_id),
            created_at: k.created_at,
            updated_at: k.updated_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            rolled_at: k.rolled_at,
            previous_valid_until: k
                .previous
                .as_ref()
                .map(|p| p.until)
                .filter(|u| *u > Timestamp::now()),
        }
    }
}

/// The answer that shows a secret, once: creating a key or rolling it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyView {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The secret: shown in this answer only, never stored.
    pub key: String,
}

/// `POST /api-keys/verify`: an unknown, revoked, expired or malformed key answers only
/// `{valid: false}`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum VerifyView {
    Valid(Box<ValidKeyView>),
    Invalid { valid: bool },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidKeyView {
    pub valid: bool,
    pub org_id: OrgId,
    pub key_id: ApiKeyId,
    pub name: DisplayName,
    pub role: RoleRef,
    pub role_name: String,
    pub org_role: RoleRef,
    pub project_ids: Vec<ProjectId>,
    /// The project asked about (`projectId`), and the key's role there (`null`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<ProjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_role: Option<Option<ProjectRole>>,
    pub expires_at: Option<Timestamp>,
    /// Each permission asked: allowed or not.
    pub allowed: BTreeMap<&'static str, bool>,
    /// Where each allowed permission comes from (as `/authorize` explains it).
    pub via: BTreeMap<&'static str, Vec<Reason>>,
    /// Permissions the key's role holds but cannot use now, and why (`org_closed` during grace).
    pub refused: BTreeMap<&'static str, &'static str>,
    /// The same answers as `/authorize`'s `results`.
    pub results: Vec<PermissionAnswer>,
    /// The decision in the shape `/authorize` and `/service/orgs/{orgId}/authorize` answer.
    pub decision: crate::access::views::DecisionView,
}
