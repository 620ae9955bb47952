//! What is left of a purged organization.

use crate::domain::{OrgId, Timestamp};
use crate::error::ApiError;
use crate::store::{org_pk, Entity, Key, Tx};
use serde::{Deserialize, Serialize};

/// What is left of a purged organization: its id and when (no name, slug, email or user id). Its
/// insert is also the `OrganizationPurged` event (the stream publishes it), written once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub purged_at: Timestamp,
}

impl Entity for TombstoneItem {
    const TYPE: &'static str = "tombstone";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl TombstoneItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), "TOMBSTONE")
    }
    pub fn new(org: &OrgId, purged_at: Timestamp) -> Self {
        let key = Self::key_of(org);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            purged_at,
        }
    }
    pub fn write(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(
            self,
            ApiError::concurrent("The organization was purged already."),
        )
    }
}
