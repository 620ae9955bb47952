//! Who an organization keeps out of its automatic paths: `BLOCK#<userId>` in its partition,
//! written when an admin removes a member or rejects a membership request. While it is there, the
//! person sees no automatic invitation or suggestion of the organization and cannot accept the
//! one or ask through the other (a removed member would otherwise rejoin at once through their
//! verified email's domain). An invitation an admin sends and the person accepts lifts it (the
//! accept deletes it in its transaction): an explicit decision of the organization's again. The
//! purge deletes it with the rest of the partition.

use crate::domain::{OrgId, Timestamp, UserId};
use crate::error::ApiError;
use crate::store::{org_pk, Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

const BLOCK_PREFIX: &str = "BLOCK#";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// Removed from the organization by someone else (leaving by oneself blocks nothing).
    Removed,
    /// Their membership request was rejected.
    RequestRejected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinBlockItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub reason: BlockReason,
    pub by: UserId,
    pub at: Timestamp,
}

impl Entity for JoinBlockItem {
    const TYPE: &'static str = "join_block";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.user_id)
    }
}

impl JoinBlockItem {
    pub fn key_of(org: &OrgId, user: &UserId) -> Key {
        Key::new(org_pk(org), format!("{BLOCK_PREFIX}{}", user.as_str()))
    }

    pub fn new(
        org: &OrgId,
        user: &UserId,
        reason: BlockReason,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, user);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            user_id: user.clone(),
            reason,
            by: by.clone(),
            at: now,
        }
    }

    /// Writes the block (a newer one replaces an older: the latest decision is recorded).
    pub fn write(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put(
            self,
            None,
            Expr::new(),
            ApiError::internal("an unconditional put failed"),
        )
    }

    /// Lifts `user`'s block, if any (an invitation they accepted).
    pub fn lift(tx: Tx, org: &OrgId, user: &UserId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(org, user),
            None,
            Expr::new(),
            ApiError::internal("an unconditional delete failed"),
        )
    }

    /// `user` is not blocked when the transaction commits (an automatic path decided on no block).
    pub fn require_absent(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.check(
            Self::key_of(org, user),
            "attribute_not_exists(PK)",
            Expr::new(),
            on_fail,
        )
    }
}
