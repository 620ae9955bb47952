//! Access: what an organization route is decided on (the organization and the caller's
//! membership, read in one request by the pipeline), project grants, and what other services
//! ask: my access, a batch permission check, the permission matrix.

pub mod grants;
pub mod handlers;
pub mod routes;
pub mod views;

use crate::domain::{OrgId, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::orgs::settings::{InvitePolicy, OrgStatus};
use crate::permissions::{Permission, Role};
use crate::pipeline::{Effect, OrgAccess, OrgCtx};
use crate::store::{from_item, Item, Key, Tx};

/// The context of every organization operation.
pub type Ctx = OrgCtx<Access>;

/// The caller's access in an organization: the organization and their membership, as read.
#[derive(Debug, Clone)]
pub struct Access {
    pub org: OrgItem,
    pub member: MemberItem,
}

impl OrgAccess for Access {
    fn keys(org: &OrgId, caller: &UserId) -> [Key; 2] {
        [OrgItem::key_of(org), MemberItem::key_of(org, caller)]
    }
    fn from_items(org: Option<Item>, caller: Option<Item>) -> ApiResult<Option<Self>> {
        match (org, caller) {
            (Some(org), Some(member)) => Ok(Some(Access {
                org: from_item(org)?,
                member: from_item(member)?,
            })),
            _ => Ok(None),
        }
    }
    fn role(&self) -> Role {
        self.member.role
    }
    /// The role's permissions; with `invitePolicy = members`, developers and above may invite
    /// too (for roles at or below their own: the hierarchy rule still applies).
    fn holds(&self, permission: Permission) -> bool {
        self.role().has(permission)
            || (permission == Permission::InvitationsCreate
                && self.org.settings.invite_policy == InvitePolicy::Members
                && self.role().rank() >= Role::Developer.rank())
    }
    fn is_closed(&self) -> bool {
        self.org.status != OrgStatus::Active
    }
    fn guard(&self, tx: Tx, effect: Effect) -> ApiResult<Tx> {
        let tx = self.member.guard_role(
            tx,
            ApiError::new(
                Code::YourRoleChanged,
                "Your role in this organization changed, or you were removed, while the request was in flight; nothing changed. Reload and retry.",
            ),
        )?;
        match effect {
            Effect::Write => self.org.guard_active(tx),
            Effect::Read | Effect::Reactivate => Ok(tx),
        }
    }
}

impl Access {
    pub fn role(&self) -> Role {
        self.member.role
    }
    pub fn org_id(&self) -> &OrgId {
        &self.org.org_id
    }
    /// An extra permission an operation needs for part of a request (e.g. the billing profile).
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.role().has(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission.as_str()))
        }
    }
    /// The hierarchy rule: nobody grants a role above their own; only transfer makes an owner.
    pub fn require_can_grant(&self, granted: Role) -> ApiResult<()> {
        if granted == Role::Owner {
            return Err(ApiError::new(
                Code::OwnerOnlyByTransfer,
                "Nobody becomes owner this way; the owner uses POST /orgs/{orgId}/ownership-transfer.",
            ));
        }
        if !self.role().can_grant(granted) {
            return Err(ApiError::new(
                Code::RoleAboveYours,
                format!(
                    "You are {}; you cannot grant the role {granted}, which is above your own.",
                    self.role()
                ),
            )
            .with("yourRole", self.role().as_str())
            .with("requestedRole", granted.as_str()));
        }
        Ok(())
    }
}
