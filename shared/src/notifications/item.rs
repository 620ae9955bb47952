//! The record that an event's notification went to one recipient: written (conditionally) before
//! the email is sent, so a redelivered stream batch sends nothing twice; deleted again if the
//! email could not be sent, so the retry sends it. Expires with the table's TTL.

use crate::domain::{EventId, OrgId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::orgs::item::org_pk;
use crate::store::{Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

/// How long the record is kept: far longer than the stream keeps a record (24 hours).
const KEEP_DAYS: i64 = 14;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifiedItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub event_id: EventId,
    pub user_id: UserId,
    pub sent_at: Timestamp,
    ttl: i64,
}

impl Entity for NotifiedItem {
    const TYPE: &'static str = "notified";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.event_id, &self.user_id)
    }
}

impl NotifiedItem {
    /// In the organization's partition (the purge deletes it with the rest).
    pub fn key_of(org: &OrgId, event: &EventId, user: &UserId) -> Key {
        Key::new(
            org_pk(org),
            format!("NOTIFIED#{}#{}", event.as_str(), user.as_str()),
        )
    }

    pub fn new(org_id: &OrgId, event_id: &EventId, user_id: &UserId, now: Timestamp) -> Self {
        let key = Self::key_of(org_id, event_id, user_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org_id.clone(),
            event_id: event_id.clone(),
            user_id: user_id.clone(),
            sent_at: now,
            ttl: (now + chrono::Duration::days(KEEP_DAYS)).epoch_seconds(),
        }
    }

    /// Claims the notification: fails with `already` when it was sent (or is being sent) before.
    pub fn claim(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(
            self,
            ApiError::new(Code::ConcurrentUpdate, "notification already sent"),
        )
    }

    /// Gives the claim back (the email could not be sent).
    pub fn release(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.delete(
            self.key(),
            Some("attribute_exists(PK)"),
            Expr::new(),
            ApiError::concurrent("notification record gone"),
        )
    }
}
