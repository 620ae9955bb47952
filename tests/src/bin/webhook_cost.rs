//! Measuring script: what one webhook delivery costs in DynamoDB requests and capacity units, for an
//! organization with 0 (the baseline: an event no endpoint wants), 1, 5 and 20 endpoints, measured
//! in the same run against the same DynamoDB Local (which computes the units from item sizes as
//! DynamoDB does). A change (a team created) is made through the API; then `deliver-webhooks` runs
//! on its audit entry as the stream delivers it (the messages made) and on the attempts that
//! made (each sent to a receiver on 127.0.0.1 that answers 200), in stream batches of 10 as the
//! template's mapping has them. Run with `scripts/bench.sh`.

use integration_tests::stream::sending_attempts;
use integration_tests::{latest_stream_event, Receiver, TestApp};
use serde_json::json;
use service::webhooks::deliver::on_stream;

#[tokio::main]
async fn main() {
    let t = TestApp::new().await;
    t.requests.measure_units();
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>10} {:>13} {:>13}",
        "endpoints wanting the event",
        "messages",
        "requests",
        "read units",
        "write units",
        "requests/msg",
        "write u./msg"
    );
    for endpoints in [0usize, 1, 5, 20] {
        let f = t
            .org_fixture(&format!("Cost {endpoints}"), "pro", &[])
            .await;
        let receiver = Receiver::start().await;
        for i in 0..endpoints {
            let created = t
                .as_user(&f.owner)
                .post(
                    &format!("/orgs/{}/webhooks", f.id),
                    json!({ "url": receiver.url(&format!("/{i}")), "eventTypes": ["TeamCreated"] }),
                )
                .await;
            created.assert_status(201);
        }
        t.create_team(&f.id, &f.owner, "Measured").await;
        let event = latest_stream_event(&t, &f.id, 1).await;
        let attempts_before = sending_attempts(&t, &f.id).await;
        assert!(attempts_before.records.is_empty());
        t.requests.reset();
        let (response, made) = on_stream(&t.app, event).await;
        assert!(response.batch_item_failures.is_empty());
        let (fan_requests, (fan_r, fan_w)) = (t.requests.count(), t.requests.units());
        let attempts = sending_attempts(&t, &f.id).await;
        t.requests.reset();
        let mut sent = 0;
        for chunk in attempts.records.chunks(10) {
            let mut batch = attempts.clone();
            batch.records = chunk.to_vec();
            let (response, r) = on_stream(&t.app, batch).await;
            assert!(response.batch_item_failures.is_empty());
            sent += r.succeeded;
        }
        let (send_requests, (send_r, send_w)) = (t.requests.count(), t.requests.units());
        assert_eq!(sent as usize, endpoints);
        assert_eq!(receiver.received().len(), endpoints);
        let requests = fan_requests + send_requests;
        let (read, write) = (fan_r + send_r, fan_w + send_w);
        let per = |x: f64| {
            if endpoints == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", x / endpoints as f64)
            }
        };
        println!(
            "{:<34} {:>9} {:>9} {:>10.1} {:>10.1} {:>13} {:>13}",
            if endpoints == 0 {
                "0 (baseline: the event's read)".to_string()
            } else {
                endpoints.to_string()
            },
            made.messages,
            requests,
            read,
            write,
            per(requests as f64),
            per(write),
        );
    }
}
