//! Stream batches as Lambda delivers them from the table's stream, made of the items the API wrote.

use crate::TestApp;
use serde_json::{json, Value};
use shared::audit::item::{month_of, AuditItem};
use shared::domain::Timestamp;

/// A DynamoDB stream batch (as Lambda delivers it) of the organization's audit items, oldest first.
pub async fn stream_batch_of(t: &TestApp, org: &str) -> (Value, Vec<String>) {
    let org_id = shared::domain::OrgId::parse(org).unwrap();
    let mut spec = AuditItem::page_of_month(
        &org_id,
        &month_of(&Timestamp::now()),
        (None, None),
        (None, None),
        100,
        None,
    );
    spec.newest_first = false;
    let (items, _) = t.app.store.query_page(spec).await.unwrap();
    let mut ids = Vec::new();
    let records: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            ids.push(item["eventId"].as_s().unwrap().clone());
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
        .collect();
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
