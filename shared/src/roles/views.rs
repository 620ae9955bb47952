//! Response bodies of the role routes.

use super::item::RoleItem;
use super::{CustomRole, Holder};
use crate::catalogue::PermId;
use crate::domain::{RoleId, Timestamp, UserId};
use crate::orgs::item::OrgItem;
use crate::permissions::{ProjectRole, Role};
use serde::Serialize;
use std::collections::BTreeMap;

/// A role of the organization: a system role or a custom one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    /// What members, invitations and API keys hold: the system role's name or `role_...`.
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// The project role it gives on every project (`none`, `viewer`, `developer`, `editor`, `admin`).
    pub project_role: &'static str,
    /// Custom roles: what holds them (members, pending invitations, API keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holders: Option<BTreeMap<&'static str, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

impl RoleView {
    pub fn system(r: Role) -> Self {
        Self {
            id: r.as_str().to_string(),
            kind: "system",
            name: r.as_str().to_string(),
            description: Some(r.description().to_string()),
            permissions: r.permissions().map(|p| p.as_str().to_string()).collect(),
            project_role: r.project_role().map_or("none", ProjectRole::as_str),
            holders: None,
            version: None,
            created_by: None,
            created_at: None,
            updated_at: None,
        }
    }
    pub fn custom(org: &OrgItem, id: &RoleId, def: &CustomRole, details: &RoleItem) -> Self {
        Self {
            id: id.to_string(),
            kind: "custom",
            name: def.name.clone(),
            description: details.description.clone(),
            // In matrix order.
            permissions: def
                .permission_set()
                .iter()
                .map(PermId::as_str)
                .map(str::to_string)
                .collect(),
            project_role: def.project_role.map_or("none", ProjectRole::as_str),
            holders: Some(
                Holder::ALL
                    .iter()
                    .map(|h| (h.as_str(), org.custom_roles.holders_of(id, *h)))
                    .collect(),
            ),
            version: Some(def.version),
            created_by: Some(details.created_by.clone()),
            created_at: Some(details.created_at),
            updated_at: Some(details.updated_at),
        }
    }
}
