//! Roles: the six system roles and an organization's custom roles, resolved to what they hold.
//! A custom role is a permission set with the project role it gives, defined on the organization
//! item (so the access read that fetches the organization fetches them too: no extra request).
//! Members, invitations and API keys hold a role by id ([`RoleRef`]); the hierarchy rule compares
//! permission sets ([`HeldRole::covers`]).

pub mod handlers;
pub mod item;
pub mod role;
pub mod routes;
pub mod views;

pub use role::{CustomRole, HeldRole, Holder};

use crate::domain::RoleId;
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::OrgItem;
use crate::permissions::{ProjectRole, Role, RoleRef};

/// Custom roles one organization may define (409 `limit_reached` past it). Their definitions are
/// on the organization item every request reads, their permissions compact (`RolePermissions`).
pub const CUSTOM_ROLES_PER_ORG: usize = 20;

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
    /// Every role of the organization, resolved: the six system roles, then its custom roles in
    /// id order (what a rule that names the roles able to do something chooses from).
    pub fn roles(&self) -> impl Iterator<Item = HeldRole> + '_ {
        Role::ALL.into_iter().map(HeldRole::system).chain(
            self.custom_roles_iter()
                .map(|(id, def)| HeldRole::custom(&id, def)),
        )
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
            names.extend(
                self.custom_roles_iter()
                    .map(|(id, d)| format!("{id} ({})", d.name)),
            );
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
                format!("`{field}` must be a system role or a custom role's id: one of {} (got `{}`).", known(), crate::domain::shown(raw)),
            )),
        }
    }
}
