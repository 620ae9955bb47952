//! Response bodies of the member routes.

use super::item::MemberItem;
use crate::domain::{Email, OrgId, Timestamp, UserId};
use crate::permissions::Role;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: UserId,
    pub email: Option<Email>,
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: Timestamp,
}

impl MemberView {
    pub fn new(m: &MemberItem) -> Self {
        Self {
            user_id: m.user_id.clone(),
            email: m.email.clone(),
            display_name: m.display_name.clone(),
            role: m.role,
            joined_at: m.joined_at,
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
