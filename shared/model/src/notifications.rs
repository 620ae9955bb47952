//! The record that an event's notification went to one recipient: written (conditionally) before
//! the email is sent, so a redelivered stream batch sends nothing twice; deleted again if the
//! email could not be sent, so the retry sends it. Expires with the table's TTL.

use crate::domain::{EventId, OrgId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::org_pk;
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

/// The hour an event counts in against the hourly limit: the event's own hour (UTC).
pub fn hour_of(at: &Timestamp) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// The hourly allowance of notification emails to one recipient from one organization: a count
/// per hour (`NOTIFYQUOTA#<userId>#<hour>`), taken in the same transaction as the claim, so
/// parallel deliveries cannot exceed it. Kept a day past its hour.
pub struct Quota;

impl Quota {
    pub fn key_of(org: &OrgId, user: &UserId, hour: &str) -> Key {
        Key::new(org_pk(org), format!("NOTIFYQUOTA#{}#{hour}", user.as_str()))
    }

    /// Takes one email of the hour's `max`; fails with `limit_reached` when they are spent.
    pub fn take(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        at: &Timestamp,
        max: u32,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, user, &hour_of(at)),
            "ADD sent :one SET entity_type = :type, #ttl = :ttl",
            Some("attribute_not_exists(sent) OR sent < :max"),
            Expr::new()
                .value(":one", &1u32)
                .value(":max", &max)
                .value(":type", "notify_quota")
                .value(":ttl", &(*at + chrono::Duration::days(1)).epoch_seconds())
                .name("#ttl", "ttl"),
            ApiError::new(
                Code::LimitReached,
                "the hour's notification emails are spent",
            ),
        )
    }

    /// Gives the email back (it could not be sent).
    pub fn give_back(tx: Tx, org: &OrgId, user: &UserId, at: &Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, user, &hour_of(at)),
            "ADD sent :minus",
            Some("sent > :zero"),
            Expr::new().value(":minus", &-1i32).value(":zero", &0u32),
            ApiError::concurrent("notification allowance gone"),
        )
    }
}

/// An event held back by the hourly limit, told in the recipient's next email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    pub event_id: EventId,
    pub summary: String,
    pub at: Timestamp,
}

/// The most events held for one recipient; past it, they are in the audit log and the event bus
/// only.
pub const MAX_HELD: usize = 100;

/// The events held back for one recipient of one organization (`NOTIFYHELD#<userId>`), oldest
/// first, until their next email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub user_id: UserId,
    #[serde(default)]
    pub held: Vec<Held>,
}

impl Entity for HeldItem {
    const TYPE: &'static str = "notify_held";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.user_id)
    }
}

impl HeldItem {
    pub fn key_of(org: &OrgId, user: &UserId) -> Key {
        Key::new(org_pk(org), format!("NOTIFYHELD#{}", user.as_str()))
    }

    /// Holds events at the end of the list (while it has room: `limit_reached` otherwise).
    pub fn append(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        events: &[Held],
        room: bool,
    ) -> Result<Tx, ApiError> {
        let expr = Expr::new()
            .value(":h", &events.to_vec())
            .value(":empty", &Vec::<Held>::new())
            .value(":type", Self::TYPE)
            .value(":org", org)
            .value(":user", user);
        let (condition, expr) = if room {
            (
                Some("attribute_not_exists(held) OR size(held) < :max"),
                expr.value(":max", &MAX_HELD),
            )
        } else {
            (None, expr)
        };
        tx.update(
            Self::key_of(org, user),
            "SET held = list_append(if_not_exists(held, :empty), :h), entity_type = :type, orgId = :org, userId = :user",
            condition,
            expr,
            ApiError::new(Code::LimitReached, "held notifications are full"),
        )
    }

    /// Takes the first `n` held events out (the ones the email tells); events held meanwhile stay.
    pub fn take_first(tx: Tx, org: &OrgId, user: &UserId, n: usize) -> Result<Tx, ApiError> {
        let removed: Vec<String> = (0..n).map(|i| format!("held[{i}]")).collect();
        tx.update(
            Self::key_of(org, user),
            &format!("REMOVE {}", removed.join(", ")),
            Some("size(held) >= :n"),
            Expr::new().value(":n", &n),
            ApiError::unavailable("held notifications changed meanwhile"),
        )
    }
}
