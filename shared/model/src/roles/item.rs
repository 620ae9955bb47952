//! A custom role's own item, `ROLE#<roleId>` in the organization's partition: what only the role
//! routes show (its description, who made it and when, when it last changed). What a decision
//! uses (name, permissions, project role, version) stays on the organization item, which every
//! request reads; this keeps that item small. Written in the transactions that create, change and
//! delete the role; the purge deletes it with the rest of the partition.

use crate::domain::{OrgId, RoleId, Timestamp, UserId};
use crate::error::ApiError;
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

const ROLE_PREFIX: &str = "ROLE#";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub role_id: RoleId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Entity for RoleItem {
    const TYPE: &'static str = "role";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.role_id)
    }
}

impl RoleItem {
    pub fn key_of(org: &OrgId, role: &RoleId) -> Key {
        Key::new(org_pk(org), format!("{ROLE_PREFIX}{}", role.as_str()))
    }
    /// The key a path's `{roleId}` names. Any short value is read (a system role's name reads
    /// nothing, and the route answers what `admin` is); only an overlong one is refused unread.
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        (!raw.is_empty() && raw.len() <= 100)
            .then(|| Key::new(org_pk(org), format!("{ROLE_PREFIX}{raw}")))
    }

    pub fn new(
        org: &OrgId,
        role: &RoleId,
        description: Option<String>,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, role);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            role_id: role.clone(),
            description,
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Writes it (a new role's, or a changed role's whole new version: the organization item's
    /// `rolesVersion` condition in the same transaction orders the writes).
    pub fn write(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put(
            self,
            None,
            Expr::new(),
            ApiError::internal("a role item's unconditional put failed"),
        )
    }

    /// Deletes it (the organization item's condition in the same transaction decides).
    pub fn delete(tx: Tx, org: &OrgId, role: &RoleId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(org, role),
            None,
            Expr::new(),
            ApiError::internal("a role item's unconditional delete failed"),
        )
    }

    /// The organization's role items: one page holds them all (at most `CUSTOM_ROLES_PER_ORG`).
    pub fn all_of_org(org: &OrgId) -> QuerySpec {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(ROLE_PREFIX.into()),
            super::CUSTOM_ROLES_PER_ORG as u32 * 2,
        )
    }
}

/// The details of custom role `role` the views show: its item's, or, for a role written before
/// its item existed, what the organization item kept.
pub fn details_of(
    org: &OrgId,
    role: &RoleId,
    def: &super::CustomRole,
    item: Option<&RoleItem>,
) -> Result<RoleItem, ApiError> {
    if let Some(item) = item {
        return Ok(item.clone());
    }
    let legacy = def
        .legacy
        .as_ref()
        .ok_or_else(|| ApiError::internal(format!("{org} has the role {role} without its item")))?;
    let mut item = RoleItem::new(
        org,
        role,
        legacy.description.clone(),
        &legacy.created_by,
        legacy.created_at,
    );
    item.updated_at = legacy.updated_at;
    Ok(item)
}
