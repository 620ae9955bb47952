//! `retry-webhooks`, every minute ("now" is the schedule event's `time`, so a run can be played
//! ahead in time): claims the next attempt of every message whose retry is due (the due index, a
//! Query per shard, never a Scan), which the stream function then sends; counts an attempt with no
//! outcome after its lease as lost and sends the message again; and disables every endpoint whose
//! attempts have all failed for `DISABLE_AFTER_DAYS` days (the failing index), with its audit entry
//! `WebhookEndpointDisabled` (its event, and the email to the owner and admins).

use super::item::{
    AttemptItem, EndpointItem, MessageItem, MessageStatus, Trigger, DISABLE_AFTER_DAYS, DUE_SHARDS,
};
use crate::audit::{AuditEntry, Audited};
use crate::domain::{Timestamp, UserId};
use crate::error::{ApiResult, Code};
use crate::App;
use serde::Serialize;
use serde_json::json;
use std::time::Instant;

/// The audit entries of the disabling name this actor (no user acted).
pub const DELIVERY_ACTOR: &str = "system:webhook-delivery";
/// Items read per page.
const PAGE: u32 = 25;

#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RetryReport {
    /// Retries claimed (the stream function sends them).
    pub claimed: u32,
    /// Attempts that never got an outcome (marked lost; their message is sent again).
    pub lost: u32,
    /// Endpoints disabled after failing for 5 days.
    pub disabled: u32,
    /// Claims that lost a race (another run, a resend): nothing to do.
    pub raced: u32,
    pub millis: u128,
    /// The run stopped before its deadline with work left (the next run continues).
    pub unfinished: bool,
}

/// The run's line: retries claimed, attempts lost, endpoints disabled.
pub fn report_line(namespace: &str, r: &RetryReport) -> serde_json::Value {
    use crate::metrics::{job_line, Unit::Count};
    job_line(
        namespace,
        "retry-webhooks",
        &[
            ("WebhookRetriesClaimed", Count, r.claimed.into()),
            ("WebhookAttemptsLost", Count, r.lost.into()),
            ("WebhookEndpointsDisabled", Count, r.disabled.into()),
        ],
        serde_json::to_value(r).unwrap_or_default(),
    )
}

/// One run at `now`, stopping between pages at `deadline`.
pub async fn run(app: &App, now: Timestamp, deadline: Instant) -> ApiResult<RetryReport> {
    let started = Instant::now();
    let mut report = RetryReport::default();
    'shards: for shard in 0..DUE_SHARDS {
        let mut cursor: Option<String> = None;
        loop {
            if Instant::now() >= deadline {
                report.unfinished = true;
                break 'shards;
            }
            let q = MessageItem::due(shard, now, PAGE).after(cursor.as_deref())?;
            let page = app.store.page_of::<MessageItem>(q).await?;
            for message in page.items {
                claim(app, &message, now, &mut report).await?;
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    if !report.unfinished {
        disable_failing(app, now, deadline, &mut report).await?;
    }
    report.millis = started.elapsed().as_millis();
    app.log
        .write(report_line(&app.config.metrics_namespace, &report));
    Ok(report)
}

async fn claim(
    app: &App,
    message: &MessageItem,
    now: Timestamp,
    report: &mut RetryReport,
) -> ApiResult<()> {
    if message.status != MessageStatus::Pending {
        return Ok(());
    }
    if message.in_flight {
        // Its lease ended without an outcome: the function that sent it stopped.
        let (update, condition, expr) = AttemptItem::lost_update();
        if app
            .store
            .update_if(
                AttemptItem::key_at(&message.org_id, &message.last_attempt_sk),
                update,
                condition,
                expr,
            )
            .await?
        {
            report.lost += 1;
        }
    }
    let (tx, _) = message.claim_next(app.store.tx(), Trigger::Retry, now)?;
    match app.store.commit(tx).await {
        Ok(()) => report.claimed += 1,
        Err(e)
            if matches!(
                e.code,
                Code::ConcurrentUpdate | Code::WebhookMessageNotFound
            ) =>
        {
            report.raced += 1
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn disable_failing(
    app: &App,
    now: Timestamp,
    deadline: Instant,
    report: &mut RetryReport,
) -> ApiResult<()> {
    let since = now - chrono::Duration::days(DISABLE_AFTER_DAYS);
    let mut cursor: Option<String> = None;
    loop {
        if Instant::now() >= deadline {
            report.unfinished = true;
            return Ok(());
        }
        let q = EndpointItem::failing_before(since, PAGE).after(cursor.as_deref())?;
        let page = app.store.page_of::<EndpointItem>(q).await?;
        for endpoint in page.items {
            let Some(failing_since) = endpoint.failing_since else {
                continue;
            };
            let tx = endpoint.disable_failing(app.store.tx(), now)?.audit(AuditEntry {
                org_id: endpoint.org_id.clone(),
                actor_id: UserId::parse("actorId", DELIVERY_ACTOR)?,
                actor_kind: crate::audit::ActorKind::System,
                action: "webhook.disabled",
                event_type: "WebhookEndpointDisabled",
                at: now,
                summary: format!(
                    "disabled the webhook endpoint {}: every attempt has failed since {failing_since}. Fix the receiver, then enable it again (PATCH {{\"enabled\": true}}) and resend what it missed.",
                    super::item::shown_url(&endpoint.url)
                ),
                details: json!({
                    "webhookId": endpoint.webhook_id,
                    "url": super::item::shown_url(&endpoint.url),
                    "reason": "failing",
                    "failingSince": failing_since,
                }),
            })?;
            match app.store.commit(tx).await {
                Ok(()) => report.disabled += 1,
                // It succeeded, was disabled or deleted meanwhile.
                Err(e) if e.code == Code::ConcurrentUpdate => report.raced += 1,
                Err(e) => return Err(e),
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}
