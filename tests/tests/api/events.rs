//! The event publisher: audit entries (the outbox) read from DynamoDB Local, delivered as a stream
//! batch, forwarded to EventBridge (moto), read back through an SQS target.

use integration_tests::{events_endpoint, moto_json, stream_batch_of, TestApp};
use serde_json::{json, Value};
use service::domain::Timestamp;

/// A fresh bus whose rule copies every `orgs` event into a fresh queue; returns both.
pub(crate) async fn bus_with_queue(
    events: &aws_sdk_eventbridge::Client,
    endpoint: &str,
) -> (String, String) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let bus = format!("orgs-{suffix}");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue = moto_json(
        endpoint,
        "AmazonSQS.CreateQueue",
        json!({ "QueueName": format!("q-{suffix}") }),
    );
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_string();
    let attrs = moto_json(
        endpoint,
        "AmazonSQS.GetQueueAttributes",
        json!({ "QueueUrl": queue_url, "AttributeNames": ["QueueArn"] }),
    );
    let queue_arn = attrs["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    events
        .put_rule()
        .name("all-orgs")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":["orgs"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-orgs")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (bus, queue_url)
}

/// The events the queue received (their EventBridge envelopes).
pub(crate) fn received(endpoint: &str, queue_url: &str) -> Vec<Value> {
    let received = moto_json(
        endpoint,
        "AmazonSQS.ReceiveMessage",
        json!({ "QueueUrl": queue_url, "MaxNumberOfMessages": 10 }),
    );
    received["Messages"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|m| serde_json::from_str(m["Body"].as_str().unwrap()).unwrap())
        .collect()
}

/// A stream batch of one inserted item, as Lambda delivers it.
fn insert_batch(item: service::store::Item) -> Value {
    let image: serde_dynamo::Item = item.into();
    json!({ "Records": [{
        "eventID": "e0", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795435200,
            "Keys": { "PK": image.get("PK").cloned(), "SK": image.get("SK").cloned() },
            "NewImage": image, "SequenceNumber": "1", "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"
        }
    }]})
}

#[tokio::test]
async fn a_purged_organizations_tombstone_is_its_organization_purged_event() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Gone Soon").await;
    t.close_through_api(&org).await;
    let later = Timestamp::now() + chrono::Duration::days(31);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let report = service::closure::purge::purge_due(&t.app, later, deadline)
        .await
        .unwrap();
    assert_eq!(report.orgs_purged, 1);
    let org_id = service::domain::OrgId::parse(&org).unwrap();
    let mut found = t
        .app
        .store
        .batch_get(vec![service::orgs::item::TombstoneItem::key_of(&org_id)])
        .await
        .unwrap();
    let tombstone = found.pop().expect("the tombstone");
    let endpoint = events_endpoint();
    let events = eventbridge(&endpoint).await;
    let (bus, queue_url) = bus_with_queue(&events, &endpoint).await;
    let batch: aws_lambda_events_shim::Event =
        serde_json::from_value(insert_batch(tombstone)).unwrap();
    let response = service::events::publish(&events, &bus, batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let got = received(&endpoint, &queue_url);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["detail-type"], "OrganizationPurged");
    assert_eq!(got[0]["detail"]["orgId"], org.as_str());
    assert_eq!(
        got[0]["detail"].as_object().unwrap().len(),
        2,
        "ids and time only: {}",
        got[0]
    );
}

async fn eventbridge(endpoint: &str) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&integration_tests::emulator_config(endpoint).await)
}

#[tokio::test]
async fn committed_audit_entries_reach_eventbridge() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Evented").await;
    t.as_user(&owner)
        .patch(&format!("/orgs/{org}"), json!({ "name": "Evented Two" }))
        .await;
    let (batch, ids) = stream_batch_of(&t, &org).await;
    assert_eq!(ids.len(), 2);

    // A bus with a rule that copies our events into a queue we can read.
    let endpoint = events_endpoint();
    let events = eventbridge(&endpoint).await;
    let (bus, queue_url) = bus_with_queue(&events, &endpoint).await;

    let batch: aws_lambda_events_shim::Event = serde_json::from_value(batch).unwrap();
    let response = service::events::publish(&events, &bus, batch.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let mut got: Vec<(String, String)> = received(&endpoint, &queue_url)
        .into_iter()
        .map(|event| {
            assert_eq!(event["source"], "orgs");
            assert_eq!(event["detail"]["orgId"], org.as_str());
            assert_eq!(event["detail"]["actorId"], owner.id.as_str());
            (
                event["detail-type"].as_str().unwrap().to_string(),
                event["detail"]["eventId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        ("OrganizationCreated".to_string(), ids[0].clone()),
        ("OrganizationUpdated".to_string(), ids[1].clone()),
    ];
    want.sort();
    assert_eq!(got, want);

    // EventBridge unreachable: the first record is reported for retry, nothing is dropped.
    let down = eventbridge("http://127.0.0.1:9").await;
    let response = service::events::publish(&down, &bus, batch).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        response.batch_item_failures[0].item_identifier.as_deref(),
        Some("1000")
    );
}

#[tokio::test]
async fn the_sample_stream_event_parses_and_only_audit_inserts_count() {
    let text = std::fs::read_to_string(
        integration_tests::repo_root().join("events/dynamodb-stream-audit.json"),
    )
    .unwrap();
    let batch: aws_lambda_events_shim::Event = serde_json::from_str(&text).unwrap();
    assert_eq!(batch.records.len(), 2);
    // EventBridge down: only the audit insert is attempted, so it alone is reported.
    let down = eventbridge("http://127.0.0.1:9").await;
    let response = service::events::publish(&down, "default", batch).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        response.batch_item_failures[0].item_identifier.as_deref(),
        Some("200")
    );
}

mod aws_lambda_events_shim {
    pub use lambda_http::aws_lambda_events::event::dynamodb::Event;
}
