use super::item::{ActorKind, AuditItem};
use crate::domain::{EventId, Timestamp, UserId};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub id: EventId,
    pub action: String,
    pub event_type: String,
    pub actor_id: UserId,
    pub actor_kind: ActorKind,
    pub at: Timestamp,
    pub summary: String,
    pub details: Value,
}

impl AuditView {
    pub fn new(a: &AuditItem) -> Self {
        Self {
            id: a.event_id.clone(),
            action: a.action.clone(),
            event_type: a.event_type.clone(),
            actor_id: a.actor_id.clone(),
            actor_kind: a.actor_kind,
            at: a.at,
            summary: a.summary.clone(),
            details: a.details.clone(),
        }
    }
}
