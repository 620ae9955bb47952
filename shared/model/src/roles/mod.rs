//! Roles: the six system roles and an organization's custom roles, resolved to what they hold.
//! A custom role is a permission set with the project role it gives, defined on the organization
//! item (so the access read that fetches the organization fetches them too: no extra request).
//! Members, invitations and API keys hold a role by id ([`crate::permissions::RoleRef`]), resolved by the
//! organization that defines it (`OrgItem::resolve`, `model::orgs::roles`); the hierarchy rule
//! compares permission sets ([`HeldRole::covers`]).

pub mod item;
pub mod role;

pub use role::{CustomRole, HeldRole, Holder};

/// Custom roles one organization may define (409 `limit_reached` past it). Their definitions are
/// on the organization item every request reads, their permissions compact (`RolePermissions`).
pub const CUSTOM_ROLES_PER_ORG: usize = 20;
