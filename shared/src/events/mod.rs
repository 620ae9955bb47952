//! The event publisher: every committed audit entry is a domain event. The table's stream
//! delivers each new audit item once it is committed; this forwards them to EventBridge
//! (source `orgs`, detail-type = the entry's event type). Failed entries are reported back as
//! batch item failures, so Lambda retries from the first one that did not go out: nothing is
//! lost when a function dies after its write, and consumers dedupe on `eventId`.

use crate::audit::AuditItem;
use crate::store::Entity;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::{json, Value};

pub const SOURCE: &str = "orgs";
/// PutEvents takes at most 10 entries.
const PUT_EVENTS_MAX: usize = 10;

/// The event's detail: ids, actor, time and the entry's details (which never hold secrets).
pub fn detail_of(a: &AuditItem) -> Value {
    json!({
        "eventId": a.event_id,
        "orgId": a.org_id,
        "action": a.action,
        "actorId": a.actor_id,
        "actorKind": a.actor_kind,
        "at": a.at,
        "details": a.details,
    })
}

/// The `entity_type` of the item a stream record inserted (`None` for updates, removals and items
/// without one): what the stream-triggered functions act on.
pub fn inserted_entity(record: &aws_lambda_events::event::dynamodb::EventRecord) -> Option<String> {
    if record.event_name != "INSERT" {
        return None;
    }
    match record.change.new_image.get("entity_type") {
        Some(serde_dynamo::AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The new audit entries of a stream batch, in order, each with its record's sequence number
/// (a record that does not parse is logged and skipped).
pub fn audit_entries(batch: Event) -> Vec<(String, crate::audit::AuditItem)> {
    use crate::store::Entity;
    let mut out = Vec::new();
    for record in batch.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        if inserted_entity(&record).as_deref() != Some(crate::audit::AuditItem::TYPE) {
            continue;
        }
        match serde_dynamo::from_item(record.change.new_image) {
            Ok(entry) => out.push((sequence, entry)),
            Err(e) => {
                tracing::error!(sequence = %sequence, error = %e, "skipping an audit record that does not parse");
            }
        }
    }
    out
}

/// A stream function's answer that has Lambda redeliver the batch from `sequence` on.
pub fn retry_from(sequence: String) -> DynamoDbEventResponse {
    let mut failure = aws_lambda_events::event::streams::DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence);
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures.push(failure);
    response
}

/// Forwards the audit entries of a stream batch. Returns the records to retry.
pub async fn publish(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    batch: Event,
) -> DynamoDbEventResponse {
    // (sequence number, entry) for every audit insert, in stream order.
    let mut pending: Vec<(String, PutEventsRequestEntry)> = Vec::new();
    for record in batch.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        let Some(entity) = inserted_entity(&record) else {
            continue;
        };
        if entity == crate::orgs::item::TombstoneItem::TYPE {
            // A purged organization's tombstone is written once: its insert is the event.
            match serde_dynamo::from_item::<_, crate::orgs::item::TombstoneItem>(
                record.change.new_image,
            ) {
                Ok(t) => pending.push((
                    sequence,
                    PutEventsRequestEntry::builder()
                        .source(SOURCE)
                        .detail_type("OrganizationPurged")
                        .detail(json!({ "orgId": t.org_id, "purgedAt": t.purged_at }).to_string())
                        .event_bus_name(bus)
                        .resources(format!("orgs:organization/{}", t.org_id))
                        .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                            t.purged_at.as_datetime().timestamp_millis(),
                        ))
                        .build(),
                )),
                Err(e) => {
                    tracing::error!(sequence = %sequence, error = %e, "skipping a tombstone record that does not parse")
                }
            }
            continue;
        }
        if entity != "audit" {
            continue;
        }
        match serde_dynamo::from_item::<_, AuditItem>(record.change.new_image) {
            Ok(entry) => pending.push((
                sequence,
                PutEventsRequestEntry::builder()
                    .source(SOURCE)
                    .detail_type(entry.event_type.clone())
                    .detail(detail_of(&entry).to_string())
                    .event_bus_name(bus)
                    .resources(format!("orgs:organization/{}", entry.org_id))
                    .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                        entry.at.as_datetime().timestamp_millis(),
                    ))
                    .build(),
            )),
            // A malformed audit image cannot become an event however often it is retried.
            Err(e) => {
                tracing::error!(sequence = %sequence, error = %e, "skipping an audit record that does not parse")
            }
        }
    }

    let mut first_failure: Option<String> = None;
    'chunks: for chunk in pending.chunks(PUT_EVENTS_MAX) {
        let entries: Vec<_> = chunk.iter().map(|(_, e)| e.clone()).collect();
        match events.put_events().set_entries(Some(entries)).send().await {
            Ok(out) if out.failed_entry_count() == 0 => {}
            Ok(out) => {
                for ((sequence, _), result) in chunk.iter().zip(out.entries()) {
                    if result.error_code().is_some() {
                        tracing::warn!(sequence = %sequence, code = result.error_code().unwrap_or(""), "event not accepted");
                        first_failure = Some(sequence.clone());
                        break 'chunks;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %aws_sdk_eventbridge::error::DisplayErrorContext(e), "PutEvents failed");
                first_failure = Some(chunk[0].0.clone());
                break;
            }
        }
    }
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence) = first_failure {
        // Lambda checkpoints before the lowest failed sequence number and retries from there.
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence);
        response.batch_item_failures.push(failure);
    }
    response
}
