//! Response bodies of the member routes.

use super::item::{MemberItem, MemberStatus};
use crate::domain::{Email, OrgId, Timestamp, UserId};
use crate::orgs::item::OrgItem;
use crate::permissions::{Role, RoleRef};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: UserId,
    pub email: Option<Email>,
    pub display_name: Option<String>,
    /// A system role's name or a custom role's id.
    pub role: RoleRef,
    pub role_name: String,
    pub joined_at: Timestamp,
    /// `active`, or `deactivated` (no seat, no access; role, teams and grants kept).
    pub status: MemberStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<Timestamp>,
}

impl MemberView {
    pub fn new(m: &MemberItem, org: &OrgItem) -> Self {
        Self {
            user_id: m.user_id.clone(),
            email: m.email.clone(),
            display_name: m.display_name.clone(),
            role: m.role.clone(),
            role_name: org.role_name(&m.role),
            joined_at: m.joined_at,
            status: MemberStatus::of(m),
            deactivated_at: m.deactivated_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub org_id: OrgId,
    pub owner_id: UserId,
    pub previous_owner_id: UserId,
    pub previous_owner_role: Role,
}
