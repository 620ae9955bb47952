//! Response bodies of the webhook routes (the signing secret only in a creation or a rotation).

use super::item::{
    AttemptItem, AttemptState, DisabledReason, EndpointItem, MessageId, Trigger, WebhookId,
};
use crate::domain::{Timestamp, UserId};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    /// The event types sent; `null`: every one.
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: bool,
    /// `manual` or `failing` (every attempt failed for 5 days), while disabled.
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<Timestamp>,
    /// The first failed attempt since the last success (`null`: the last attempt succeeded).
    pub failing_since: Option<Timestamp>,
    /// While a rotation's grace lasts: when the previous secret stops signing.
    pub previous_secret_expires_at: Option<Timestamp>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookView {
    pub fn new(e: &EndpointItem, now: Timestamp) -> Self {
        Self {
            id: e.webhook_id.clone(),
            url: e.url.clone(),
            event_types: e.event_types.clone(),
            description: e.description.as_ref().map(|d| d.as_str().to_string()),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at,
            failing_since: e.failing_since,
            previous_secret_expires_at: e.previous_until.filter(|u| *u > now),
            created_by: e.created_by.clone(),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint or a rotated secret: the endpoint and its signing secret, shown once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookWithSecretView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` + base64: give it to the receiver's Standard Webhooks library. Shown only here.
    pub secret: String,
}

/// One attempt of the delivery log.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// The `webhook-id` of the message (the same on every attempt of it).
    pub message_id: MessageId,
    pub event_type: String,
    /// 1 for the first attempt of a message.
    pub attempt: u32,
    /// What made it: `event`, `test`, `retry` or `resend`.
    pub trigger: Trigger,
    pub at: Timestamp,
    /// `sending`, `succeeded`, `failed`, or `lost` (no outcome recorded; sent again).
    pub state: AttemptState,
    pub status_code: Option<u16>,
    /// Why there was no usable answer: a network error, a refused address, a timeout.
    pub error: Option<String>,
    pub duration_ms: Option<u64>,
    /// When the next attempt is due, after a failure that is retried.
    pub next_attempt_at: Option<Timestamp>,
}

impl DeliveryView {
    pub fn new(a: &AttemptItem) -> Self {
        Self {
            message_id: a.message_id.clone(),
            event_type: a.event_type.clone(),
            attempt: a.attempt,
            trigger: a.trigger,
            at: a.at,
            state: a.state,
            status_code: a.status_code,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
            next_attempt_at: a.next_attempt_at,
        }
    }
}

/// A message that was queued (a test or a resend): its first attempt goes out from the stream.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedView {
    pub message_id: MessageId,
    pub event_type: String,
    pub attempt: u32,
}
