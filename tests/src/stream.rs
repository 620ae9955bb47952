//! Stream batches as Lambda delivers them from the table's stream, made of the items the API wrote.

use crate::TestApp;
use serde_json::{json, Value};
use service::audit::item::{month_of, AuditItem};
use service::domain::Timestamp;

/// A DynamoDB stream batch (as Lambda delivers it) of the organization's audit items, oldest first.
pub async fn stream_batch_of(t: &TestApp, org: &str) -> (Value, Vec<String>) {
    batch_of(t, org, false, 100).await
}

/// The same batch of the organization's `n` latest audit items (oldest first).
pub async fn latest_stream_event(
    t: &TestApp,
    org: &str,
    n: u32,
) -> lambda_http::aws_lambda_events::event::dynamodb::Event {
    let (batch, _) = batch_of(t, org, true, n).await;
    serde_json::from_value(batch).expect("a stream batch")
}

async fn batch_of(t: &TestApp, org: &str, latest: bool, n: u32) -> (Value, Vec<String>) {
    let org_id = service::domain::OrgId::parse(org).unwrap();
    let mut spec = AuditItem::page_of_month(
        &org_id,
        &month_of(&Timestamp::now()),
        (None, None),
        (None, None),
        n,
        None,
    );
    spec.newest_first = latest;
    let (mut items, _) = t.app.store.query_page(spec).await.unwrap();
    if latest {
        items.reverse();
    }
    let ids = items
        .iter()
        .map(|item| item["eventId"].as_s().unwrap().clone())
        .collect();
    let records = insert_records(items);
    (json!({ "Records": records }), ids)
}

/// The same batch, typed as the stream-triggered functions receive it.
pub async fn stream_event_of(
    t: &TestApp,
    org: &str,
) -> (
    lambda_http::aws_lambda_events::event::dynamodb::Event,
    Vec<String>,
) {
    let (batch, ids) = stream_batch_of(t, org).await;
    (serde_json::from_value(batch).expect("a stream batch"), ids)
}

/// Runs the clean-up of team memberships (`finish-removals`) over the organization's audit
/// entries as the stream delivers them, and requires it to finish: what a removal or a team
/// deletion leaves to the stream is gone afterwards.
pub async fn finish_removals(t: &TestApp, org: &str) -> service::teams::cleanup::CleanupReport {
    let (batch, _) = stream_event_of(t, org).await;
    let (response, report) = service::teams::cleanup::on_stream(&t.app, batch).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "the clean-up failed: {report:?}"
    );
    report
}

/// The records of a stream batch that inserted these items, in order (Lambda's JSON form).
fn insert_records(items: Vec<service::store::Item>) -> Vec<Value> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let image: serde_dynamo::Item = item.into();
            json!({
                "eventID": format!("e{i}"),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1795435200,
                    "Keys": { "PK": image.get("PK").cloned(), "SK": image.get("SK").cloned() },
                    "NewImage": image,
                    "SequenceNumber": format!("{}", 1000 + i),
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_IMAGE"
                }
            })
        })
        .collect()
}

/// The organization's webhook attempts still to send (state `sending`), as their inserts.
pub async fn sending_attempts(
    t: &TestApp,
    org: &str,
) -> lambda_http::aws_lambda_events::event::dynamodb::Event {
    use service::store::{Expr, QuerySpec, SortCond};
    let q = QuerySpec::new(
        format!("ORG#{org}"),
        SortCond::BeginsWith("WHLOG#".into()),
        1000,
    )
    .filter(
        "#state = :sending",
        Expr::new()
            .value(":sending", "sending")
            .name("#state", "state"),
    );
    let (items, _) = t.app.store.query_page(q).await.unwrap();
    serde_json::from_value(json!({ "Records": insert_records(items) })).unwrap()
}

/// What `deliver-webhooks` does for the organization as the stream delivers it: its audit entries
/// (as inserts) become messages, then every attempt still to send is sent, until none is left.
/// Requires every batch to succeed; returns the reports summed.
pub async fn run_webhooks(t: &TestApp, org: &str) -> service::webhooks::deliver::DeliverReport {
    let (batch, _) = stream_event_of(t, org).await;
    run_webhooks_on(t, org, batch).await
}

/// The same for the organization's `n` latest audit entries only (as the stream delivers a change
/// once, after the ones before it were handled).
pub async fn run_webhooks_latest(
    t: &TestApp,
    org: &str,
    n: u32,
) -> service::webhooks::deliver::DeliverReport {
    let batch = latest_stream_event(t, org, n).await;
    run_webhooks_on(t, org, batch).await
}

async fn run_webhooks_on(
    t: &TestApp,
    org: &str,
    batch: lambda_http::aws_lambda_events::event::dynamodb::Event,
) -> service::webhooks::deliver::DeliverReport {
    use service::webhooks::deliver::on_stream;
    let (response, mut total) = on_stream(&t.app, batch).await;
    assert!(response.batch_item_failures.is_empty(), "{total:?}");
    for _ in 0..5 {
        let batch = sending_attempts(t, org).await;
        if batch.records.is_empty() {
            break;
        }
        let (response, r) = on_stream(&t.app, batch).await;
        assert!(response.batch_item_failures.is_empty(), "{r:?}");
        total.messages += r.messages;
        total.duplicates += r.duplicates;
        total.succeeded += r.succeeded;
        total.failed += r.failed;
        total.dropped += r.dropped;
        total.latencies_ms.extend(r.latencies_ms);
    }
    total
}
