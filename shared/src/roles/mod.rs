//! Roles: the six system roles and an organization's custom roles, resolved to what they hold.
//! A custom role is a permission set with the project role it gives, defined on the organization
//! item (so the access read that fetches the organization fetches them too: no extra request).
//! Members, invitations and API keys hold a role by id ([`RoleRef`]); the hierarchy rule compares
//! permission sets ([`HeldRole::covers`]).

pub mod handlers;
pub mod routes;
pub mod views;

use crate::domain::{RoleId, Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::OrgItem;
use crate::permissions::{Permission, PermissionSet, ProjectRole, Role, RoleRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Custom roles one organization may define (409 `limit_reached` past it): 20 definitions of at
/// most ~70 permission names each stay far within the organization item's 400 KB.
pub const CUSTOM_ROLES_PER_ORG: usize = 20;

/// A custom role as stored in the organization item's `customRoles` map (by id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomRole {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Permission names (never empty: `org.read` is always part of a role).
    #[serde(with = "serde_dynamo::string_set")]
    pub permissions: BTreeSet<String>,
    /// The project role it gives on every project (`None`: none, like a guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_role: Option<ProjectRole>,
    /// Bumped by every change: what a decision made on this role is conditional on.
    pub version: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CustomRole {
    pub fn permission_set(&self) -> PermissionSet {
        PermissionSet::of(self.permissions.iter().filter_map(|p| Permission::parse(p)))
    }
}

/// What holds a custom role, counted on the organization item by every write that adds or takes
/// a holder (so deleting a held role is refused by the deletion's own condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Members,
    Invitations,
    ApiKeys,
}

impl Holder {
    pub const ALL: [Holder; 3] = [Holder::Members, Holder::Invitations, Holder::ApiKeys];
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Members => "members",
            Holder::Invitations => "invitations",
            Holder::ApiKeys => "apiKeys",
        }
    }
    /// The key of a role's count of this holder in the organization item's `roleHolders` map.
    pub fn count_key(self, role: &RoleId) -> String {
        format!("{role}:{}", self.as_str())
    }
}

/// A role resolved against its organization: what it holds, as the decision uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldRole {
    pub role: RoleRef,
    pub name: String,
    pub permissions: PermissionSet,
    /// The project role it gives on every project.
    pub project_role: Option<ProjectRole>,
    /// A custom role's version as read (the decision is conditional on it).
    pub version: Option<u64>,
}

impl HeldRole {
    pub fn system(role: Role) -> Self {
        Self {
            role: RoleRef::System(role),
            name: role.as_str().to_string(),
            permissions: PermissionSet::of(role.permissions()),
            project_role: role.project_role(),
            version: None,
        }
    }
    pub fn custom(id: &RoleId, def: &CustomRole) -> Self {
        Self {
            role: RoleRef::Custom(id.clone()),
            name: def.name.clone(),
            permissions: def.permission_set(),
            project_role: def.project_role,
            version: Some(def.version),
        }
    }
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }
    pub fn is(&self, role: Role) -> bool {
        self.role.is(role)
    }
    /// The hierarchy rule: `other` is at or below this role when its permissions are a subset
    /// of these and its project role is not above this one's. Between system roles that is rank
    /// order; two incomparable custom roles are not below each other.
    pub fn covers(&self, other: &HeldRole) -> bool {
        other.permissions.is_subset(self.permissions) && other.project_role <= self.project_role
    }
    /// The project role an invitation or API key limited to projects gives with this role on each
    /// of them: a system role's `ProjectRole::for_invited`, a custom role's project role (viewer
    /// when it gives none).
    pub fn for_projects(&self) -> ProjectRole {
        match self.role {
            RoleRef::System(r) => ProjectRole::for_invited(r),
            RoleRef::Custom(_) => self.project_role.unwrap_or(ProjectRole::Viewer),
        }
    }
}

impl OrgItem {
    /// The organization's custom role `id`, if it defines one.
    pub fn custom_role(&self, id: &RoleId) -> Option<&CustomRole> {
        self.custom_roles.as_ref().and_then(|m| m.get(id.as_str()))
    }
    /// `role` resolved here; `None` for a custom role the organization does not define.
    pub fn resolve(&self, role: &RoleRef) -> Option<HeldRole> {
        match role {
            RoleRef::System(r) => Some(HeldRole::system(*r)),
            RoleRef::Custom(id) => self.custom_role(id).map(|def| HeldRole::custom(id, def)),
        }
    }
    /// `role` as an item holds it: a role that does not resolve is a broken invariant (deleting
    /// a held role is refused), reported as our fault, never decided as "no permissions".
    pub fn held(&self, role: &RoleRef) -> ApiResult<HeldRole> {
        self.resolve(role).ok_or_else(|| {
            ApiError::internal(format!(
                "{} holds the role {role}, which it does not define",
                self.org_id
            ))
        })
    }
    /// The name views show next to a role (`roleName`).
    pub fn role_name(&self, role: &RoleRef) -> String {
        match role {
            RoleRef::System(r) => r.as_str().to_string(),
            RoleRef::Custom(id) => self
                .custom_role(id)
                .map_or_else(|| id.to_string(), |d| d.name.clone()),
        }
    }
    /// The project role an invitation or API key limited to projects gives with `role` on each
    /// of them ([`HeldRole::for_projects`]; viewer for a role that does not resolve).
    pub fn project_role_for(&self, role: &RoleRef) -> ProjectRole {
        self.resolve(role)
            .map_or(ProjectRole::Viewer, |h| h.for_projects())
    }
    /// The custom roles in id order.
    pub fn custom_roles_iter(&self) -> impl Iterator<Item = (RoleId, &CustomRole)> {
        self.custom_roles
            .iter()
            .flatten()
            .filter_map(|(id, def)| RoleId::parse(id).map(|id| (id, def)))
    }
    /// How many `holder`s hold custom role `id` (as read).
    pub fn holders_of(&self, id: &RoleId, holder: Holder) -> i64 {
        self.role_holders
            .get(&holder.count_key(id))
            .copied()
            .unwrap_or_default()
    }
    /// A role a request names (`field`): a system role's name or one of this organization's
    /// custom roles' ids.
    pub fn role_asked(&self, field: &str, raw: &str) -> ApiResult<HeldRole> {
        let known = || {
            let mut names: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
            names.extend(self.custom_roles_iter().map(|(id, d)| format!("{id} ({})", d.name)));
            names.join(", ")
        };
        match RoleRef::parse(raw) {
            Some(RoleRef::Custom(id)) if self.custom_role(&id).is_none() => Err(ApiError::new(
                Code::RoleNotFound,
                format!("`{field}`: this organization has no role `{id}`; GET /orgs/{{orgId}}/roles lists its roles."),
            )
            .with("field", field)),
            Some(role) => self.held(&role),
            None => Err(ApiError::validation(
                field,
                format!("`{field}` must be a system role or a custom role's id: one of {} (got `{raw}`).", known()),
            )),
        }
    }
}
