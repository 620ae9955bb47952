//! `deliver-webhooks`, on the table's stream (new audit entries and new attempts):
//!
//! 1. A new audit entry (a committed change) becomes one message per enabled endpoint of its
//!    organization that wants its type, each written with its first attempt claimed, in one
//!    transaction per endpoint. The message's id is derived from the event and the endpoint, so a
//!    redelivered record finds the message made and makes nothing twice.
//! 2. A new attempt (claimed by step 1, by the scheduled retries, by a test or a resend) is sent:
//!    signed with every live secret, POSTed once (see `send`), and its outcome recorded on the
//!    attempt, on its message (succeeded, retried at the schedule's next time, or failed) and on
//!    the endpoint (failing since when), in one transaction.
//!
//! A record whose table writes fail is reported back (Lambda redelivers it and those after it); an
//! attempt that has its outcome already is not sent again, so a redelivery sends only what had no
//! outcome. Whatever the receiver answers is an outcome, never a failure of the function.

use super::handlers::message_body;
use super::item::{
    retry_after, AttemptItem, AttemptState, EndpointItem, MessageItem, MessageStatus, Outcome,
    Trigger,
};
use super::{secret, send};
use crate::audit::AuditItem;
use crate::domain::{OrgId, Timestamp};
use crate::error::{ApiResult, Code};
use crate::store::{Entity, Key};
use crate::App;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use std::collections::HashMap;

/// What one batch did (for the log and the tests).
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverReport {
    /// Messages made from new audit entries.
    pub messages: u32,
    /// Records met before (a redelivery): nothing made or sent twice.
    pub duplicates: u32,
    /// Attempts answered with a 2xx.
    pub succeeded: u32,
    /// Attempts that failed (an answer other than 2xx, no answer, a refused address).
    pub failed: u32,
    /// Attempts not sent: the endpoint was deleted or disabled, or the message expired.
    pub dropped: u32,
    /// Milliseconds from each event's commit to its first attempt's answer (the latency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub latencies_ms: Vec<u64>,
}

/// The batch's line: messages made, attempts succeeded, failed and dropped.
pub fn report_line(namespace: &str, r: &DeliverReport) -> serde_json::Value {
    use crate::metrics::{job_line, Unit::Count};
    job_line(
        namespace,
        "deliver-webhooks",
        &[
            ("WebhookMessages", Count, r.messages.into()),
            ("WebhookAttemptsSucceeded", Count, r.succeeded.into()),
            ("WebhookAttemptsFailed", Count, r.failed.into()),
            ("WebhookAttemptsDropped", Count, r.dropped.into()),
        ],
        serde_json::to_value(r).unwrap_or_default(),
    )
}

enum Work {
    Event(AuditItem),
    Attempt(AttemptItem),
}

/// Handles a stream batch; returns the record to retry from (the first whose table writes failed).
pub async fn on_stream(app: &App, batch: Event) -> (DynamoDbEventResponse, DeliverReport) {
    let mut work: Vec<(String, Work)> = Vec::new();
    for record in batch.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        let Some(entity) = crate::events::inserted_entity(&record) else {
            continue;
        };
        let parsed = if entity == AuditItem::TYPE {
            serde_dynamo::from_item(record.change.new_image).map(Work::Event)
        } else if entity == AttemptItem::TYPE {
            serde_dynamo::from_item(record.change.new_image).map(Work::Attempt)
        } else {
            continue;
        };
        match parsed {
            Ok(w) => work.push((sequence, w)),
            // A malformed image cannot be handled however often it is retried.
            Err(e) => {
                tracing::error!(sequence = %sequence, error = %e, "skipping a record that does not parse")
            }
        }
    }
    let mut report = DeliverReport::default();
    let mut first_failure: Option<usize> = None;
    // The events first, in order (each makes its messages; their attempts come in a later batch).
    let mut endpoints: HashMap<OrgId, Vec<EndpointItem>> = HashMap::new();
    for (i, (sequence, w)) in work.iter().enumerate() {
        let Work::Event(entry) = w else { continue };
        if let Err(e) = fan_out(app, entry, &mut endpoints, &mut report).await {
            tracing::warn!(sequence = %sequence, event_id = %entry.event_id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "webhook messages not made; the record is retried");
            first_failure = Some(i);
            break;
        }
    }
    // Then the attempts, all at once (each may wait up to 15 seconds for its receiver).
    let attempts: Vec<(usize, &AttemptItem)> = work
        .iter()
        .enumerate()
        .filter(|(i, _)| first_failure.is_none_or(|f| *i < f))
        .filter_map(|(i, (_, w))| match w {
            Work::Attempt(a) => Some((i, a)),
            Work::Event(_) => None,
        })
        .collect();
    if !attempts.is_empty() {
        match send_all(app, &attempts, &mut report).await {
            Ok(failed) => {
                if let Some(i) = failed {
                    first_failure = Some(first_failure.map_or(i, |f| f.min(i)));
                }
            }
            Err(e) => {
                tracing::warn!(code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "webhook attempts not read; the batch is retried");
                first_failure = Some(first_failure.map_or(attempts[0].0, |f| f.min(attempts[0].0)));
            }
        }
    }
    app.log
        .write(report_line(&app.config.metrics_namespace, &report));
    let response = match first_failure {
        Some(i) => crate::events::retry_from(work[i].0.clone()),
        None => DynamoDbEventResponse::default(),
    };
    (response, report)
}

/// The messages of one event: one per enabled endpoint of the organization that wants its type.
async fn fan_out(
    app: &App,
    entry: &AuditItem,
    endpoints: &mut HashMap<OrgId, Vec<EndpointItem>>,
    report: &mut DeliverReport,
) -> ApiResult<()> {
    if !endpoints.contains_key(&entry.org_id) {
        let page = app
            .store
            .page_of::<EndpointItem>(EndpointItem::all_of_org(&entry.org_id))
            .await?;
        endpoints.insert(entry.org_id.clone(), page.items);
    }
    let wanted: Vec<&EndpointItem> = endpoints[&entry.org_id]
        .iter()
        // An endpoint gets the events committed from its creation on (a stream that lags does not
        // send it what happened before).
        .filter(|e| e.wants(&entry.event_type) && e.created_at <= entry.at)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let body = message_body(&entry.event_type, entry.at, crate::events::detail_of(entry));
    let now = Timestamp::now();
    let writes = wanted.iter().map(|endpoint| {
        let (message, attempt) = MessageItem::first(
            &entry.org_id,
            &endpoint.webhook_id,
            super::item::MessageId::of(&entry.event_id, &endpoint.webhook_id),
            (&entry.event_type, Some(entry.event_id.clone())),
            body.clone(),
            Trigger::Event,
            now,
        );
        async move {
            let tx = message.create(&attempt, app.store.tx())?;
            app.store.commit(tx).await
        }
    });
    for result in futures_util::future::join_all(writes).await {
        match result {
            Ok(()) => report.messages += 1,
            Err(e) if e.code == Code::ConcurrentUpdate => report.duplicates += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends the batch's attempts. Returns the index of the first record whose outcome could not be
/// written (`None`: every one was), or an error when the items could not be read at all.
async fn send_all(
    app: &App,
    attempts: &[(usize, &AttemptItem)],
    report: &mut DeliverReport,
) -> ApiResult<Option<usize>> {
    // Each attempt as it is now, its message and its endpoint: one BatchGetItem (at most 3 keys
    // per attempt; the batch size of the stream mapping is 10).
    let mut keys: Vec<Key> = Vec::new();
    for (_, a) in attempts {
        for k in [
            a.key(),
            MessageItem::key_of(&a.org_id, &a.message_id),
            EndpointItem::key_of(&a.org_id, &a.webhook_id),
        ] {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let items = app.store.batch_get(keys).await?;
    let find = |key: &Key| items.iter().find(|i| Key::of_item(i).as_ref() == Some(key));
    let jobs = attempts.iter().map(|(i, a)| {
        let current =
            find(&a.key()).and_then(|i| crate::store::from_item::<AttemptItem>(i.clone()).ok());
        let message = find(&MessageItem::key_of(&a.org_id, &a.message_id))
            .and_then(|i| crate::store::from_item::<MessageItem>(i.clone()).ok());
        let endpoint = find(&EndpointItem::key_of(&a.org_id, &a.webhook_id))
            .and_then(|i| crate::store::from_item::<EndpointItem>(i.clone()).ok());
        async move {
            let done = match current {
                Some(c) if c.state == AttemptState::Sending => {
                    send_one(app, &c, message.as_ref(), endpoint.as_ref()).await
                }
                // Sent before (a redelivered record), or expired: nothing to do.
                _ => Ok(Done::Duplicate),
            };
            (*i, done)
        }
    });
    let mut first_failed = None;
    for (i, done) in futures_util::future::join_all(jobs).await {
        match done {
            Ok(Done::Duplicate) => report.duplicates += 1,
            Ok(Done::Dropped) => report.dropped += 1,
            Ok(Done::Sent { succeeded, latency }) => {
                if succeeded {
                    report.succeeded += 1;
                } else {
                    report.failed += 1;
                }
                if let Some(ms) = latency {
                    report.latencies_ms.push(ms);
                }
            }
            Err(e) => {
                tracing::warn!(code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "a webhook attempt's outcome was not written; the record is retried");
                first_failed = Some(first_failed.map_or(i, |f: usize| f.min(i)));
            }
        }
    }
    Ok(first_failed)
}

enum Done {
    Duplicate,
    Dropped,
    /// Sent; for an event's first attempt, the milliseconds from its commit to the answer.
    Sent {
        succeeded: bool,
        latency: Option<u64>,
    },
}

/// Sends one attempt and records its outcome.
async fn send_one(
    app: &App,
    attempt: &AttemptItem,
    message: Option<&MessageItem>,
    endpoint: Option<&EndpointItem>,
) -> ApiResult<Done> {
    let (message, endpoint) = match (message, endpoint) {
        (Some(m), Some(e)) if e.enabled => (m, e),
        (message, endpoint) => {
            let why = match (message, endpoint) {
                (None, _) => "not sent: the message expired",
                (_, None) => "not sent: the endpoint was deleted",
                _ => "not sent: the endpoint is disabled",
            };
            let outcome = Outcome {
                state: AttemptState::Failed,
                status_code: None,
                error: Some(why.to_string()),
                duration_ms: 0,
                next_attempt_at: None,
            };
            record(app, attempt, message.is_some(), &outcome, None).await?;
            return Ok(Done::Dropped);
        }
    };
    let now = Timestamp::now();
    let server_key = app.config.require_api_key_hash_key()?;
    let secrets = endpoint
        .live_salts(now)
        .into_iter()
        .map(|salt| secret::secret_bytes(server_key, &endpoint.org_id, &endpoint.webhook_id, salt))
        .collect::<ApiResult<Vec<_>>>()?;
    let timestamp = now.epoch_seconds();
    let signature = secret::signature_header(
        &secrets,
        message.message_id.as_str(),
        timestamp,
        &message.body,
    );
    let headers = [
        ("webhook-id", message.message_id.as_str().to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    let sent = send::post(
        &endpoint.url,
        &app.config.webhook_allowed_private_hosts,
        &headers,
        &message.body,
    )
    .await;
    let succeeded = sent.succeeded();
    if let Some(error) = &sent.error {
        tracing::info!(webhook_id = %endpoint.webhook_id.as_str(), message_id = %message.message_id.as_str(), attempt = attempt.attempt, error = %error, "webhook attempt failed");
    }
    // The schedule counts from the attempt's claim (the scheduled function's "now" for a retry).
    let done_at = attempt.at + chrono::Duration::milliseconds(sent.millis as i64);
    let next = match (succeeded, attempt.trigger) {
        (true, _) | (false, Trigger::Resend) => None,
        (false, _) => retry_after(attempt.attempt).map(|wait| done_at + wait),
    };
    let outcome = Outcome {
        state: if succeeded {
            AttemptState::Succeeded
        } else {
            AttemptState::Failed
        },
        status_code: sent.status,
        error: sent.error.clone().or_else(|| {
            sent.status
                .filter(|s| (300..400).contains(s))
                .map(|_| "a redirect (not followed)".to_string())
        }),
        duration_ms: sent.millis,
        next_attempt_at: next,
    };
    record(app, attempt, true, &outcome, Some((endpoint, succeeded))).await?;
    let latency = (attempt.attempt == 1 && attempt.trigger == Trigger::Event)
        .then(|| {
            let committed = event_at(message).unwrap_or(message.created_at);
            u64::try_from((Timestamp::now() - committed).num_milliseconds()).ok()
        })
        .flatten();
    Ok(Done::Sent { succeeded, latency })
}

/// Records an outcome on the attempt, its message (if any) and the endpoint's failing clock, in one
/// transaction; when the message or the endpoint changed meanwhile (a later attempt claimed, the
/// endpoint disabled or deleted), on the attempt alone.
async fn record(
    app: &App,
    attempt: &AttemptItem,
    has_message: bool,
    outcome: &Outcome,
    endpoint: Option<(&EndpointItem, bool)>,
) -> ApiResult<()> {
    let status = match (outcome.state, outcome.next_attempt_at) {
        (AttemptState::Succeeded, _) => MessageStatus::Succeeded,
        (_, Some(_)) => MessageStatus::Pending,
        _ => MessageStatus::Failed,
    };
    let full = || -> ApiResult<crate::store::Tx> {
        let mut tx = attempt.record(app.store.tx(), outcome)?;
        if has_message {
            tx = MessageItem::settle(
                tx,
                &attempt.org_id,
                &attempt.message_id,
                attempt.attempt,
                status,
                outcome.next_attempt_at,
            )?;
        }
        match endpoint {
            Some((e, true)) if e.failing_since.is_some() => {
                tx = EndpointItem::succeeded(tx, &e.org_id, &e.webhook_id)?;
            }
            Some((e, false)) if e.failing_since.is_none() => {
                tx = EndpointItem::failed_at(tx, &e.org_id, &e.webhook_id, attempt.at)?;
            }
            _ => {}
        }
        Ok(tx)
    };
    let mut result = app.store.commit(full()?).await;
    if matches!(&result, Err(e) if e.code != Code::ConcurrentUpdate) {
        // The answer is in hand: written now, it is not asked for again. Once more after a pause
        // (past a throttle or a failover), before the record is handed back for redelivery (which
        // sends the attempt again: the same webhook-id, which receivers dedupe on).
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        result = app.store.commit(full()?).await;
    }
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.code == Code::ConcurrentUpdate => {
            match app
                .store
                .commit(attempt.record(app.store.tx(), outcome)?)
                .await
            {
                Ok(()) => Ok(()),
                // The attempt has its outcome already (a redelivery raced this one).
                Err(e) if e.code == Code::ConcurrentUpdate => Ok(()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// When the event a message tells was committed (its body's `timestamp`).
fn event_at(message: &MessageItem) -> Option<Timestamp> {
    let body: serde_json::Value = serde_json::from_str(&message.body).ok()?;
    Timestamp::parse(body["timestamp"].as_str()?)
}
