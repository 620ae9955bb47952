//! Signed webhooks: endpoints through the API, messages made and sent by `deliver-webhooks` from
//! the audit entries as the stream delivers them, retries claimed by `retry-webhooks` run ahead in
//! time, to a receiver on 127.0.0.1 (allowed in the tests' configuration, as the test command's).

use crate::authorization::Fixture;
use base64::Engine;
use integration_tests::{
    emails_to, run_webhooks, run_webhooks_latest, stream_event_of, Receiver, TestApp, User,
};
use serde_json::{json, Value};
use service::domain::Timestamp;
use service::error::Code;
use service::webhooks::retry;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-webhooks" => (None, 200),
        "create-webhook" => (
            Some(json!({ "url": "https://hooks.example.com/walk" })),
            201,
        ),
        "get-webhook" => (None, 200),
        "update-webhook" => (Some(json!({ "description": "Walked" })), 200),
        "delete-webhook" => (None, 204),
        "rotate-webhook-secret" => (Some(json!({ "graceMinutes": 5 })), 200),
        "test-webhook" => (None, 202),
        "list-webhook-deliveries" => (None, 200),
        "resend-webhook-message" => (None, 202),
        _ => return None,
    })
}

/// An endpoint (a receiver of its own) made by `owner`, and a test message to it that was
/// delivered: (webhook id, message id).
pub(crate) async fn walk_webhook(t: &TestApp, org: &str, owner: &User) -> (String, String) {
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(t, org, owner, json!({ "url": receiver.url("/walk") })).await;
    let queued = t
        .as_user(owner)
        .post_empty(&format!("/orgs/{org}/webhooks/{id}/test"))
        .await;
    let message = queued.assert_status(202)["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    run_webhooks(t, org).await;
    assert!(receiver
        .received()
        .iter()
        .any(|r| r.header("webhook-id") == message));
    (id, message)
}

/// Creates an endpoint: (its id, its secret).
async fn endpoint(t: &TestApp, org: &str, owner: &User, body: Value) -> (String, String) {
    let created = t
        .as_user(owner)
        .post(&format!("/orgs/{org}/webhooks"), body)
        .await;
    let created = created.assert_status(201);
    (
        created["id"].as_str().unwrap().to_string(),
        created["secret"].as_str().unwrap().to_string(),
    )
}

/// HMAC-SHA256, written out here (RFC 2104) so the check does not use the service's own code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner_hash = Sha256::new()
        .chain_update(&inner)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer)
        .chain_update(inner_hash)
        .finalize()
        .into()
}

/// Whether one of the `webhook-signature` header's signatures is the Standard Webhooks signature
/// of the request under `secret` (`whsec_` + base64).
fn signed_with(r: &integration_tests::receiver::Received, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.body
    );
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(&key, signed.as_bytes()))
    );
    r.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

async fn deliveries(t: &TestApp, org: &str, owner: &User, id: &str) -> Vec<Value> {
    let page = t
        .as_user(owner)
        .get(&format!("/orgs/{org}/webhooks/{id}/deliveries"))
        .await;
    page.assert_status(200)["items"].as_array().unwrap().clone()
}

fn later(seconds: i64) -> Timestamp {
    Timestamp::now() + chrono::Duration::seconds(seconds)
}

async fn retry_at(t: &TestApp, now: Timestamp) -> retry::RetryReport {
    retry::run(&t.app, now, Instant::now() + Duration::from_secs(60))
        .await
        .unwrap()
}

#[tokio::test]
async fn events_reach_the_endpoint_signed_as_standard_webhooks_say() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Hooked", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, secret) = endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/in?x=1") }),
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(&secret[6..])
            .unwrap()
            .len()
            >= 24
    );
    t.create_team(&f.id, &f.owner, "Receivers").await;
    let report = run_webhooks(&t, &f.id).await;
    // The endpoint's own creation and the team's: two events, two messages, both delivered.
    assert_eq!((report.messages, report.succeeded), (2, 2), "{report:?}");
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.path, "/in?x=1");
        assert!(signed_with(r, &secret), "{r:?}");
        assert!(!signed_with(
            r,
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ));
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        assert!(r.header("webhook-id").starts_with("msg_"));
        assert!(!r.body.contains("whsec_"), "never a secret in a message");
    }
    let team = got
        .iter()
        .map(|r| r.json())
        .find(|b| b["type"] == "TeamCreated")
        .expect("the team's event");
    assert_eq!(team["data"]["orgId"], f.id.as_str());
    assert_eq!(team["data"]["details"]["name"], "Receivers");
    assert!(Timestamp::parse(team["timestamp"].as_str().unwrap()).is_some());
    // A redelivery of the same records makes and sends nothing again.
    let again = run_webhooks(&t, &f.id).await;
    assert_eq!((again.messages, again.succeeded), (0, 0), "{again:?}");
    assert_eq!(receiver.received().len(), 2);
    // The delivery log: each attempt with its status and duration.
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    assert_eq!(log.len(), 2);
    for a in &log {
        assert_eq!(
            (
                a["state"].as_str(),
                a["statusCode"].as_u64(),
                a["attempt"].as_u64()
            ),
            (Some("succeeded"), Some(200), Some(1))
        );
        assert!(a["durationMs"].is_u64() && a["nextAttemptAt"].is_null());
    }
    // The audit entry of the creation holds no secret.
    let audit = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=webhook.created", f.id))
        .await;
    let audit = audit.assert_status(200);
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    assert!(!audit.to_string().contains("whsec_"));
    // Nor the URL's path and query (a receiver's URL may hold a token): its origin only.
    assert!(!audit.to_string().contains("x=1"), "{audit}");
    assert_eq!(
        audit["items"][0]["details"]["url"],
        format!("http://127.0.0.1:{}/...", receiver.port)
    );
    let listed = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/webhooks", f.id))
        .await;
    assert!(!listed.assert_status(200).to_string().contains("whsec_"));
}

#[tokio::test]
async fn a_filter_sends_only_the_chosen_event_types() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Filtered", "pro", &[]).await;
    let receiver = Receiver::start().await;
    endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/teams"), "eventTypes": ["TeamCreated", "TeamCreated"] }),
    )
    .await;
    t.create_team(&f.id, &f.owner, "Chosen").await;
    t.create_project(&f.id, &f.owner, "Not chosen").await;
    run_webhooks(&t, &f.id).await;
    let types: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| r.json()["type"].clone())
        .collect();
    assert_eq!(types, vec![json!("TeamCreated")]);
    let bad = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/webhooks", f.id),
            json!({ "url": receiver.url("/x"), "eventTypes": ["TeamCreated", "SomethingElse"] }),
        )
        .await;
    bad.assert_problem(400, Code::ValidationFailed);
    assert_eq!(bad.body["field"], "eventTypes");
    let empty = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/webhooks", f.id),
            json!({ "url": receiver.url("/x"), "eventTypes": [] }),
        )
        .await;
    empty.assert_problem(400, Code::ValidationFailed);
}

#[tokio::test]
async fn private_and_non_https_urls_are_refused_and_checked_again_at_each_delivery() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Guarded", "pro", &[]).await;
    for url in [
        "http://hooks.example.com/x",
        "https://user:pass@hooks.example.com/x",
        "https://localhost/x",
        "https://127.0.0.2/x",
        "https://10.0.0.8/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.1.1/x",
        "https://0.0.0.0/x",
        "https://[::1]/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://[fe80::1]/x",
        "https://2130706433/x",
        "https://metadata.internal/x",
        "ftp://hooks.example.com/x",
        "http://127.0.0.2:8080/x",
    ] {
        let refused = t
            .as_user(&f.owner)
            .post(&format!("/orgs/{}/webhooks", f.id), json!({ "url": url }))
            .await;
        refused.assert_problem(400, Code::ValidationFailed);
        assert_eq!(refused.body["field"], "url", "{url}");
    }
    // An endpoint stored while its host was allowed (or while its name resolved to a public
    // address) is checked again when sent: refused, and the refusal is its logged outcome.
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(&t, &f.id, &f.owner, json!({ "url": receiver.url("/x") })).await;
    let (batch, _) = stream_event_of(&t, &f.id).await;
    service::webhooks::deliver::on_stream(&t.app, batch).await;
    let mut strict = t.app.clone();
    let mut config = (*t.app.config).clone();
    config.webhook_allowed_private_hosts.clear();
    strict.config = std::sync::Arc::new(config);
    let (response, report) = service::webhooks::deliver::on_stream(
        &strict,
        integration_tests::stream::sending_attempts(&t, &f.id).await,
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!((report.failed, report.succeeded), (1, 0), "{report:?}");
    assert!(receiver.received().is_empty());
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    assert_eq!(log[0]["state"], "failed");
    assert!(
        log[0]["error"].as_str().unwrap().starts_with("refused"),
        "{log:?}"
    );
    assert!(
        log[0]["nextAttemptAt"].is_string(),
        "a refusal is retried like any failure"
    );
}

/// Everything that runs `retry-webhooks` ahead in time, in one test: the run claims every
/// organization's due messages, so two such tests in parallel would claim each other's.
#[tokio::test]
async fn retries_keep_the_webhook_id_until_a_2xx_and_five_failing_days_disable_the_endpoint() {
    let t = TestApp::new().await;
    // Retries: 500, 500, then 200.
    let f = t.org_fixture("Retried", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/r"), "eventTypes": ["TeamCreated"] }),
    )
    .await;
    receiver.answer(&[500, 503]);
    t.create_team(&f.id, &f.owner, "Flaky").await;
    let first = run_webhooks(&t, &f.id).await;
    assert_eq!(first.failed, 1, "{first:?}");
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    let due = Timestamp::parse(log[0]["nextAttemptAt"].as_str().unwrap()).unwrap();
    let at = Timestamp::parse(log[0]["at"].as_str().unwrap()).unwrap();
    assert!(
        (due - at).num_seconds() >= 5 && (due - at).num_seconds() < 7,
        "5 s after the first"
    );
    // Before it is due nothing is claimed; at its time it is.
    assert_eq!(retry_at(&t, later(1)).await.claimed, 0);
    let r = retry_at(&t, due + chrono::Duration::seconds(1)).await;
    assert!(r.claimed >= 1, "{r:?}");
    run_webhooks(&t, &f.id).await;
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    assert_eq!(
        (log[0]["attempt"].as_u64(), log[0]["statusCode"].as_u64()),
        (Some(2), Some(503))
    );
    assert_eq!(log[0]["trigger"], "retry");
    let second_at = Timestamp::parse(log[0]["at"].as_str().unwrap()).unwrap();
    let due = Timestamp::parse(log[0]["nextAttemptAt"].as_str().unwrap()).unwrap();
    assert!(
        (due - second_at).num_seconds() >= 300 && (due - second_at).num_seconds() < 302,
        "5 min after the second"
    );
    retry_at(&t, due + chrono::Duration::seconds(1)).await;
    run_webhooks(&t, &f.id).await;
    // Far later: nothing more is claimed for it (it succeeded).
    retry_at(&t, due + chrono::Duration::hours(30)).await;
    run_webhooks(&t, &f.id).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3, "500, 503, then 200 and no more");
    assert!(got
        .iter()
        .all(|r| r.header("webhook-id") == got[0].header("webhook-id")));
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    let states: Vec<(u64, Option<u64>)> = log
        .iter()
        .map(|a| (a["attempt"].as_u64().unwrap(), a["statusCode"].as_u64()))
        .collect();
    assert_eq!(states, vec![(3, Some(200)), (2, Some(503)), (1, Some(500))]);
    let endpoint_now = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/webhooks/{id}", f.id))
        .await;
    assert!(
        endpoint_now.assert_status(200)["failingSince"].is_null(),
        "a success ends the failing"
    );

    // Disabling: every attempt fails for 5 days.
    let g = t.org_fixture("Broken receiver", "pro", &[]).await;
    let broken = Receiver::start().await;
    broken.answer(&[500; 64]);
    let (dead, _) = endpoint(&t, &g.id, &g.owner, json!({ "url": broken.url("/dead") })).await;
    run_webhooks(&t, &g.id).await;
    let failing = t
        .as_user(&g.owner)
        .get(&format!("/orgs/{}/webhooks/{dead}", g.id))
        .await;
    let since =
        Timestamp::parse(failing.assert_status(200)["failingSince"].as_str().unwrap()).unwrap();
    // Four days on it is still enabled; five days on it is disabled.
    assert_eq!(
        retry_at(&t, since + chrono::Duration::days(4))
            .await
            .disabled,
        0
    );
    run_webhooks(&t, &g.id).await;
    let r = retry_at(
        &t,
        since + chrono::Duration::days(5) + chrono::Duration::minutes(1),
    )
    .await;
    assert!(r.disabled >= 1, "{r:?}");
    let disabled = t
        .as_user(&g.owner)
        .get(&format!("/orgs/{}/webhooks/{dead}", g.id))
        .await;
    let disabled = disabled.assert_status(200);
    assert_eq!(
        (
            disabled["enabled"].as_bool(),
            disabled["disabledReason"].as_str()
        ),
        (Some(false), Some("failing"))
    );
    // Its event, and the email to the owner (within the notification limits).
    let batch = integration_tests::latest_stream_event(&t, &g.id, 1).await;
    let entry = &batch.records[0].change.new_image;
    assert_eq!(
        entry.get("eventType"),
        Some(&serde_dynamo::AttributeValue::S(
            "WebhookEndpointDisabled".into()
        ))
    );
    let (_, notified) = service::notifications::on_stream(&t.app, batch).await;
    assert_eq!(notified.sent, 1, "{notified:?}");
    assert!(emails_to(&g.owner.email)
        .iter()
        .any(|m| m.to_string().contains("webhook endpoint was disabled")));
    // Disabled: a new event makes no message, a test is refused; the pending retries fail as such.
    let before = broken.received().len();
    t.create_team(&g.id, &g.owner, "While disabled").await;
    let quiet = run_webhooks_latest(&t, &g.id, 1).await;
    assert_eq!(quiet.messages, 0, "{quiet:?}");
    assert_eq!(broken.received().len(), before);
    t.as_user(&g.owner)
        .post_empty(&format!("/orgs/{}/webhooks/{dead}/test", g.id))
        .await
        .assert_problem(409, Code::WebhookDisabled);
    // Enabled again: new messages resume.
    broken.answer_ok();
    let enabled = t
        .as_user(&g.owner)
        .patch(
            &format!("/orgs/{}/webhooks/{dead}", g.id),
            json!({ "enabled": true }),
        )
        .await;
    assert!(enabled.assert_status(200)["failingSince"].is_null());
    t.create_team(&g.id, &g.owner, "Back").await;
    let resumed = run_webhooks_latest(&t, &g.id, 1).await;
    assert_eq!((resumed.messages, resumed.succeeded), (1, 1), "{resumed:?}");
}

#[tokio::test]
async fn a_rotation_signs_with_both_secrets_during_its_grace() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Rotated", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, old) = endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/rot"), "eventTypes": ["TeamCreated"] }),
    )
    .await;
    let rotated = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/webhooks/{id}/rotate-secret", f.id),
            json!({ "graceMinutes": 30 }),
        )
        .await;
    let rotated = rotated.assert_status(200).clone();
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated["previousSecretExpiresAt"].is_string());
    t.create_team(&f.id, &f.owner, "During grace").await;
    run_webhooks(&t, &f.id).await;
    let during = receiver.received().pop().unwrap();
    assert_eq!(during.header("webhook-signature").split(' ').count(), 2);
    assert!(signed_with(&during, &new) && signed_with(&during, &old));
    // Without a grace the old secret ends at once.
    let again = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/webhooks/{id}/rotate-secret", f.id),
            json!({ "graceMinutes": 0 }),
        )
        .await;
    let newest = again.assert_status(200)["secret"]
        .as_str()
        .unwrap()
        .to_string();
    t.create_team(&f.id, &f.owner, "After").await;
    run_webhooks(&t, &f.id).await;
    let after = receiver.received().pop().unwrap();
    assert_eq!(after.header("webhook-signature").split(' ').count(), 1);
    assert!(signed_with(&after, &newest) && !signed_with(&after, &new));
    // The optional body: none is a day's grace.
    let default = t
        .as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/webhooks/{id}/rotate-secret", f.id))
        .await;
    let until = Timestamp::parse(
        default.assert_status(200)["previousSecretExpiresAt"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!((until - Timestamp::now()).num_minutes() >= 1430);
}

#[tokio::test]
async fn test_messages_and_resends_keep_their_id_and_are_logged() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Tested", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, secret) = endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/t"), "eventTypes": ["MemberJoined"] }),
    )
    .await;
    let queued = t
        .as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/webhooks/{id}/test", f.id))
        .await;
    let message = queued.assert_status(202)["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    run_webhooks(&t, &f.id).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "a test is sent whatever the filter");
    assert_eq!(got[0].json()["type"], "WebhookTest");
    assert_eq!(got[0].header("webhook-id"), message);
    assert!(signed_with(&got[0], &secret));
    let resend = t
        .as_user(&f.owner)
        .post_empty(&format!(
            "/orgs/{}/webhooks/{id}/deliveries/{message}/resend",
            f.id
        ))
        .await;
    assert_eq!(resend.assert_status(202)["attempt"], 2);
    run_webhooks(&t, &f.id).await;
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("webhook-id"), message);
    assert_eq!(got[1].body, got[0].body, "the same message, byte for byte");
    let log = deliveries(&t, &f.id, &f.owner, &id).await;
    assert_eq!(
        (log[0]["trigger"].as_str(), log[0]["attempt"].as_u64()),
        (Some("resend"), Some(2))
    );
    // A message of another endpoint, or none, is not found through this one.
    let (other, _) = endpoint(
        &t,
        &f.id,
        &f.owner,
        json!({ "url": receiver.url("/o"), "eventTypes": ["MemberJoined"] }),
    )
    .await;
    t.as_user(&f.owner)
        .post_empty(&format!(
            "/orgs/{}/webhooks/{other}/deliveries/{message}/resend",
            f.id
        ))
        .await
        .assert_problem(404, Code::WebhookMessageNotFound);
    // A message still being delivered is not resent.
    receiver.answer(&[500]);
    let pending = t
        .as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/webhooks/{id}/test", f.id))
        .await;
    let pending = pending.assert_status(202)["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    run_webhooks(&t, &f.id).await;
    t.as_user(&f.owner)
        .post_empty(&format!(
            "/orgs/{}/webhooks/{id}/deliveries/{pending}/resend",
            f.id
        ))
        .await
        .assert_problem(409, Code::WebhookMessagePending);
}

#[tokio::test]
async fn a_deleted_endpoint_gets_nothing_more() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Deleted", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(&t, &f.id, &f.owner, json!({ "url": receiver.url("/d") })).await;
    // A message made before the deletion, sent after it: dropped, not sent.
    let (batch, _) = stream_event_of(&t, &f.id).await;
    service::webhooks::deliver::on_stream(&t.app, batch).await;
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/webhooks/{id}", f.id))
        .await
        .assert_status(204);
    let report = run_webhooks(&t, &f.id).await;
    assert!(report.dropped >= 1, "{report:?}");
    assert!(receiver.received().is_empty());
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}/webhooks/{id}", f.id))
        .await
        .assert_problem(404, Code::WebhookNotFound);
}

#[tokio::test]
async fn at_most_twenty_endpoints_even_created_at_once() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Many hooks", "pro", &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..26 {
        let (t, org, owner) = (t.clone(), f.id.clone(), f.owner.clone());
        tasks.spawn(async move {
            t.as_user(&owner)
                .post(
                    &format!("/orgs/{org}/webhooks"),
                    json!({ "url": format!("https://hooks{i}.example.com/x") }),
                )
                .await
                .status
        });
    }
    let statuses = tasks.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        20,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let list = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/webhooks?limit=100", f.id))
        .await;
    assert_eq!(
        list.assert_status(200)["items"].as_array().unwrap().len(),
        20
    );
}

#[tokio::test]
async fn only_admins_and_the_owner_manage_webhooks() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Managed", "pro", &[service::permissions::Role::Editor])
        .await;
    let editor = f.member(service::permissions::Role::Editor);
    t.as_user(editor)
        .post(
            &format!("/orgs/{}/webhooks", f.id),
            json!({ "url": "https://hooks.example.com/x" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    t.as_user(editor)
        .get(&format!("/orgs/{}/webhooks", f.id))
        .await
        .assert_problem(403, Code::Forbidden);
}

#[tokio::test]
async fn a_closed_organization_is_told_until_the_purge_deletes_its_webhooks() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Closing hooks", "pro", &[]).await;
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(&t, &f.id, &f.owner, json!({ "url": receiver.url("/c") })).await;
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/webhooks/{id}/test", f.id))
        .await
        .assert_status(202);
    t.close_through_api(&f.id).await;
    run_webhooks(&t, &f.id).await;
    let types: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| r.json()["type"].clone())
        .collect();
    assert!(types.contains(&json!("OrganizationClosed")), "{types:?}");
    // During the grace the log is read and the endpoint deleted; changes are refused.
    assert_eq!(
        deliveries(&t, &f.id, &f.owner, &id).await.len(),
        types.len()
    );
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}/webhooks/{id}", f.id),
            json!({ "description": "x" }),
        )
        .await
        .assert_problem(409, Code::OrgClosed);
    // The purge deletes the endpoints, their counter, messages and attempts with the partition
    // (its tombstone stays).
    let report = service::closure::purge::purge_due(
        &t.app,
        Timestamp::now() + chrono::Duration::days(31),
        Instant::now() + Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert_eq!(report.orgs_purged, 1, "{report:?}");
    let q =
        service::store::QuerySpec::new(format!("ORG#{}", f.id), service::store::SortCond::Any, 100);
    let (left, _) = t.app.store.query_page(q).await.unwrap();
    let left: Vec<_> = left
        .iter()
        .filter_map(|i| i.get("entity_type").and_then(|e| e.as_s().ok()))
        .filter(|e| *e != "tombstone")
        .collect();
    assert!(left.is_empty(), "left: {left:?}");
    for shard in 0..service::webhooks::item::DUE_SHARDS {
        let due = service::webhooks::item::MessageItem::due(shard, later(86400 * 60), 100);
        let (items, _) = t.app.store.query_page(due).await.unwrap();
        assert!(items.is_empty(), "a purged message is on the due index");
    }
}
