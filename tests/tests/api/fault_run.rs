//! The fault-injection run: every write route, with each of its calls to DynamoDB, Secrets
//! Manager and SES failing in turn (throttling, a 500, a broken connection, a hang past the
//! attempt timeout), on every attempt, so the SDK's retries cannot absorb it. For each case:
//! - the answer is the route's success or 503 with `Retry-After`, never a 500;
//! - the organization holds the whole change with its audit entry, or nothing of it;
//! - no secret of the organization exists that no item names once the hourly sweep ran;
//! - the same request, retried without the fault under the same `Idempotency-Key`, answers the
//!   route's success (the first answer replayed where the faulted attempt had committed) and makes
//!   nothing twice (at most one audit entry in all); SCIM, which has no `Idempotency-Key`, may
//!   answer the refusal the committed change explains.
//!
//! Besides the four faults at every call, each route's commit (its first TransactWriteItems) is
//! done and its answer lost (`Fault::Lost`): the change is in, the function never hears of it.
//!
//! It prints a table (route, fault, call, answer, state) and fails on any violation. The test
//! command runs it on its own after the other tests (`scripts/test.sh`), so the load of the rest
//! does not slow its fixtures past the attempt timeout.

use crate::authorization::{fixture, sample, Fixture};
use integration_tests::faults::{Call, Fault, Faults, Plan, FAULT_ATTEMPT_TIMEOUT};
use integration_tests::{Answer, TestApp, User};
use service::closure::purge::purge_due;
use service::domain::Timestamp;
use service::integrations::sweep::sweep_secrets;
use service::routes::{RouteDef, ROUTES};
use service::store::{QuerySpec, SortCond};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Cases run at once (most of a case is waiting out a hang or a retry's backoff; DynamoDB Local
/// answers 500s when too many transactions run at once).
const CONCURRENT: usize = 12;

const FAULTS: [Fault; 4] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Reset,
    Fault::Hang(Duration::from_millis(
        FAULT_ATTEMPT_TIMEOUT.as_millis() as u64 + 200,
    )),
];

/// The routes that change something when their sample succeeds (not the two that answer
/// questions: `/authorize`, and the API key verification, whose hourly `lastUsedAt` is
/// bookkeeping without an audit entry). `FAULT_ROUTES=create-team,add-domain` narrows a local
/// run to those functions (the test command runs them all).
fn write_routes() -> Vec<&'static RouteDef> {
    let only: Option<Vec<String>> = std::env::var("FAULT_ROUTES")
        .ok()
        .map(|v| v.split(',').map(|f| f.trim().to_string()).collect());
    ROUTES
        .iter()
        .copied()
        .filter(|r| {
            r.method != "GET"
                && !matches!(
                    r.function,
                    "authorize" | "authorize-on-behalf" | "verify-api-key"
                )
        })
        .filter(|r| {
            only.as_ref()
                .is_none_or(|o| o.iter().any(|f| f == r.function))
        })
        .collect()
}

/// Who calls the sample: an invitation is accepted by someone outside, the rest by the owner.
fn caller<'a>(route: &RouteDef, f: &'a Fixture) -> &'a User {
    if route.function == "accept-invitation" {
        &f.outsider
    } else {
        &f.members[0].1
    }
}

/// The fixture of a route's cases: the walk's, with the organization closed for reactivation.
async fn prepared(t: &TestApp, route: &'static RouteDef) -> Fixture {
    let f = fixture(t, route).await;
    if route.function == "reactivate-org" {
        t.close_through_api(&f.org).await;
    }
    f
}

/// The sample's status on success (reactivating the closed organization: 200; the directory's
/// SCIM endpoint provisions a user with the organization's SCIM token: 201).
fn success_of(route: &RouteDef, f: &Fixture) -> u16 {
    match route.function {
        "reactivate-org" => 200,
        "scim" => 201,
        _ => sample(route, f).2,
    }
}

async fn call(t: &TestApp, route: &RouteDef, f: &Fixture, key: &str) -> Answer {
    if route.function == "scim" {
        // The identity provider's write: a user provisioned (a seat, the unique name, the count,
        // the audit entry in one transaction), as the organization's token.
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "fault@example.com",
            "externalId": "fault-1",
            "emails": [{ "value": "fault@example.com", "primary": true }],
        });
        return t
            .call(
                "POST",
                &format!("/orgs/{}/scim/v2/Users", f.org),
                Some(&f.scim_token),
                Some(body),
            )
            .await;
    }
    let (path, body, _) = sample(route, f);
    t.call_with(
        route.method,
        &path,
        Some(&caller(route, f).token),
        body,
        &[("idempotency-key", key)],
    )
    .await
}

/// Everything of the organization: its partition, its audit entries (this month's partition and
/// last month's), and the caller's organizations (a creation lands there).
async fn state(t: &TestApp, route: &RouteDef, f: &Fixture) -> (BTreeMap<String, String>, usize) {
    let mut items = BTreeMap::new();
    let now = Timestamp::now();
    let months = [
        service::audit::item::month_of(&now),
        service::audit::item::month_of(&(now - chrono::Duration::days(31))),
    ];
    let mut partitions = vec![format!("ORG#{}", f.org)];
    partitions.extend(months.iter().map(|m| format!("AUDIT#{}#{m}", f.org)));
    let mut audit = 0;
    for pk in partitions {
        let mut start = None;
        loop {
            let mut q = QuerySpec::new(pk.clone(), SortCond::Any, 1000);
            q.start = start.take();
            let (page, next) = t.app.store.query_page(q).await.unwrap();
            for item in page {
                let key = format!(
                    "{}|{}",
                    item["PK"].as_s().unwrap(),
                    item["SK"].as_s().unwrap()
                );
                if key.starts_with("AUDIT#") {
                    audit += 1;
                }
                // As JSON with sorted keys: the same item always reads the same.
                let value: serde_json::Value = serde_dynamo::from_item(item).unwrap();
                items.insert(key, value.to_string());
            }
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
    }
    let mine = t.as_user(caller(route, f)).get("/orgs?limit=100").await;
    items.insert("my orgs".into(), mine.body["items"].to_string());
    (items, audit)
}

/// The next hourly run of the purge and sweep, without faults. moto's ListSecrets iterates its
/// dictionary of secrets while its other threads add to it, and under this run's parallel load
/// answers 500 ("dictionary changed size during iteration"; AWS has no such race), which fails a
/// run. A failed run is finished by the next one, so this is what the schedule does: up to five
/// runs, until one finishes without a failure.
async fn next_run(t: &TestApp, now: Timestamp) -> service::closure::purge::PurgeReport {
    let mut last = None;
    for _ in 0..5 {
        match purge_due(&t.app, now, Instant::now() + Duration::from_secs(120)).await {
            Ok(report) if report.failed == 0 => return report,
            other => last = Some(format!("{other:?}")),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "five runs without faults did not finish: {}",
        last.unwrap_or_default()
    );
}

/// The hourly sweep of integration secrets alone, without faults. Not the whole hourly job: its
/// daily re-check of verified domains writes to the domains of the other cases' organizations
/// while they run (a change without an audit entry that is not theirs; seen in the domain routes'
/// 3.2 s hang cases). Retried as `next_run` is, for moto's ListSecrets.
async fn next_sweep(t: &TestApp, now: Timestamp) {
    let mut last = None;
    for _ in 0..5 {
        match sweep_secrets(&t.app, now, Instant::now() + Duration::from_secs(120)).await {
            Ok(report) if report.failed == 0 && !report.unfinished => return,
            other => last = Some(format!("{other:?}")),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "five sweeps without faults did not finish: {}",
        last.unwrap_or_default()
    );
}

struct Row {
    route: &'static str,
    fault: Fault,
    call: usize,
    operation: String,
    answer: u16,
    retry: u16,
    violation: Option<String>,
    /// What the state check found that is allowed (a deletion half done that its retry finishes).
    note: Option<String>,
}

/// `audits`: the audit entries the route's success appends (its discovery's count): a route whose
/// success appends none (a webhook test, a resend: deliveries, not changes of the organization)
/// changes its state without one by design.
async fn one_case(
    t: TestApp,
    route: &'static RouteDef,
    fault: Fault,
    index: usize,
    audits: usize,
) -> Row {
    let f = prepared(&t, route).await;
    let (before, audit_before) = state(&t, route, &f).await;
    // A lost answer is the commit's: the route's first TransactWriteItems.
    let plan = Plan {
        operation: (fault == Fault::Lost).then_some("TransactWriteItems"),
        call: index,
        fault,
        every_attempt: true,
    };
    let key = format!("fault {} {fault} {index}", route.function);
    let (answer, calls) = Faults::scope(Some(plan), call(&t, route, &f, &key)).await;
    let operation = calls
        .iter()
        .find(|c| c.faulted)
        .or(calls.get(index))
        .map(|c: &Call| format!("{} {}", c.service, c.operation))
        .unwrap_or_else(|| "(not reached)".into());
    let success = success_of(route, &f);
    let mut violation = None;
    let mut note = None;
    let ok_answer = answer.status == success
        || (answer.status == 503 && answer.headers.contains_key("retry-after"));
    if !ok_answer {
        violation = Some(format!("answered {}: {}", answer.status, answer.body));
    }
    let (after, audit_after) = state(&t, route, &f).await;
    let changed = before != after;
    let committed = audit_after > audit_before;
    if changed && !committed && audits > 0 && violation.is_none() {
        violation = Some("changed without an audit entry".into());
    }
    // The hourly sweep leaves no secret of the organization that no item names.
    if route.path.contains("/integrations") {
        let later = Timestamp::now() + chrono::Duration::hours(1);
        next_sweep(&t, later).await;
        let left = crate::integrations::secrets_of(&f.org).await;
        let integrations = t
            .as_user(&f.members[0].1)
            .get(&format!("/orgs/{}/integrations?limit=100", f.org))
            .await;
        let named: Vec<String> = integrations.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["secretSet"] == true)
            .filter_map(|i| i["id"].as_str())
            .map(|id| format!("orgs/{}/integrations/{id}", f.org))
            .collect();
        let unnamed: Vec<&String> = left.iter().filter(|s| !named.contains(s)).collect();
        if !unnamed.is_empty() && violation.is_none() {
            violation = Some(format!("secrets no item names: {unnamed:?}"));
        }
        // An item whose secret is gone: only a deletion that removed the secret and then could
        // not delete the item (503; its retry finishes it). Never a readable credential.
        let gone = named.iter().filter(|n| !left.contains(n)).count();
        if gone > 0 && violation.is_none() {
            if route.function == "delete-integration" && answer.status == 503 {
                note = Some("secret deleted, item kept until the retry".to_string());
            } else {
                violation = Some(format!("{gone} items name a secret that is gone"));
            }
        }
    }
    // The retry under the same Idempotency-Key: the route's success (the first answer, where the
    // faulted attempt committed), and nothing made twice. SCIM has no Idempotency-Key: its retry
    // may be refused because the faulted attempt's change committed.
    let retry = call(&t, route, &f, &key).await;
    let retry_ok = match route.function {
        "scim" => {
            answer.status == success
                || retry.status == success
                || (committed && (400..500).contains(&retry.status))
        }
        _ => retry.status == success,
    };
    if !retry_ok && violation.is_none() {
        violation = Some(format!("retry answered {}: {}", retry.status, retry.body));
    }
    // Nothing made twice: the retry of an attempt that committed adds no entry; in all, at most
    // what one success appends.
    let (_, audit_final) = state(&t, route, &f).await;
    let twice = (committed && audit_final > audit_after) || audit_final > audit_before + audits;
    if route.function != "scim" && twice && violation.is_none() {
        violation = Some(format!(
            "made twice: {} audit entries for one request (one success appends {audits})",
            audit_final - audit_before
        ));
    }
    Row {
        route: route.function,
        fault,
        call: index,
        operation,
        answer: answer.status,
        retry: retry.status,
        violation,
        note,
    }
}

#[tokio::test]
async fn every_write_route_with_each_of_its_calls_failing_in_turn() {
    let t = TestApp::with_faults(|c| c.org_create_limit = 5).await;
    // How many calls each route makes when nothing fails.
    let discovery = Instant::now();
    // At most CONCURRENT cases (and fixtures) at a time; a case starts as soon as another ends
    // (a hang takes ~10 s). DynamoDB Local answers 500s when too many transactions run at once.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
    let mut discovered = tokio::task::JoinSet::new();
    for route in write_routes() {
        let (t, permits) = (t.clone(), permits.clone());
        discovered.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let f = prepared(&t, route).await;
            let (_, audit_before) = state(&t, route, &f).await;
            let (answer, calls) = Faults::scope(None, call(&t, route, &f, "discovery")).await;
            let (_, audit_after) = state(&t, route, &f).await;
            let success = success_of(route, &f);
            assert_eq!(
                answer.status, success,
                "{}: {}",
                route.function, answer.body
            );
            let commits = calls
                .iter()
                .filter(|c| c.operation == "TransactWriteItems")
                .count();
            (route, calls.len(), commits, audit_after - audit_before)
        });
    }
    let mut cases = Vec::new();
    for (route, calls, commits, audits) in discovered.join_all().await {
        for index in 0..calls {
            for fault in FAULTS {
                cases.push((route, fault, index, audits));
            }
        }
        if commits > 0 {
            cases.push((route, Fault::Lost, 0, audits));
        }
    }
    eprintln!(
        "fault run: {} cases, discovery took {:.0?}",
        cases.len(),
        discovery.elapsed()
    );
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for &(route, fault, index, audits) in &cases {
        let (t, permits) = (t.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            // An integration case checks the secrets sweep, which runs an hour ahead over every
            // secret of its table: on a table of its own, it cannot take another case's secret
            // in flight (written, its item not yet) for a leftover and delete it.
            let t = match route.path.contains("/integrations") {
                true => TestApp::with_faults(|c| c.org_create_limit = 5).await,
                false => t,
            };
            one_case(t, route, fault, index, audits).await
        });
    }
    let mut rows = tasks.join_all().await;
    rows.sort_by(|a, b| {
        (a.route, a.call, a.fault.to_string()).cmp(&(b.route, b.call, b.fault.to_string()))
    });
    println!("| route | fault | call | answer | retry | state |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {} | {} {} | {} | {} | {} |",
            r.route,
            r.fault,
            r.call,
            r.operation,
            r.answer,
            r.retry,
            r.violation.as_deref().or(r.note.as_deref()).unwrap_or("ok")
        );
    }
    let violations: Vec<&Row> = rows.iter().filter(|r| r.violation.is_some()).collect();
    println!(
        "fault run: {} cases over {} routes in {:.0?}, {} violations",
        rows.len(),
        write_routes().len(),
        started.elapsed(),
        violations.len()
    );
    assert!(
        violations.is_empty(),
        "{} violations (table above)",
        violations.len()
    );
}

/// The faults a worker meets at one of its calls, on every attempt.
fn at(operation: &'static str, call: usize, fault: Fault) -> Option<Plan> {
    Some(Plan {
        operation: Some(operation),
        call,
        fault,
        every_attempt: true,
    })
}

#[tokio::test]
async fn the_publisher_redelivers_under_every_fault_and_publishes_each_event_once() {
    use crate::events::{bus_with_queue, received};
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Published").await;
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}"),
            serde_json::json!({ "name": "Published Two" }),
        )
        .await
        .assert_status(200);
    let (batch, ids) = integration_tests::stream_batch_of(&t, &org).await;
    let endpoint = integration_tests::events_endpoint();
    let events =
        aws_sdk_eventbridge::Client::new(&integration_tests::faults::faulty_config(&endpoint));
    for fault in FAULTS {
        let (bus, queue_url) = bus_with_queue(&events, &endpoint).await;
        let batch: lambda_http::aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(batch.clone()).unwrap();
        let (response, calls) = Faults::scope(
            at("PutEvents", 0, fault),
            service::events::publish(&events, &bus, batch.clone()),
        )
        .await;
        assert!(calls[0].faulted, "{fault}");
        assert_eq!(
            response.batch_item_failures.len(),
            1,
            "{fault}: redelivery asked"
        );
        assert!(
            received(&endpoint, &queue_url).is_empty(),
            "{fault}: nothing published"
        );
        // Lambda redelivers the batch: every event once.
        let response = service::events::publish(&events, &bus, batch).await;
        assert!(response.batch_item_failures.is_empty(), "{fault}");
        let mut got: Vec<String> = received(&endpoint, &queue_url)
            .iter()
            .map(|e| e["detail"]["eventId"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(got, want, "{fault}: each event once");
        println!("| publish-events | {fault} | 0 eventbridge PutEvents | redelivery asked | each event once |");
    }
}

#[tokio::test]
async fn the_notifier_redelivers_under_every_fault_and_sends_each_email_once() {
    // Twelve emails to one admin in an hour: above the default hourly limit.
    let t = TestApp::with_faults(|c| c.notification_emails_per_hour = 100).await;
    let f = t
        .org_fixture("Notified", "pro", &[service::permissions::Role::Admin])
        .await;
    let admin = f.member(service::permissions::Role::Admin).clone();
    let faulty = t.faulty.clone().unwrap();
    for fault in FAULTS {
        for (operation, call) in [
            ("SendEmail", 0),
            ("TransactWriteItems", 0),
            ("BatchGetItem", 0),
        ] {
            // Each case gets its own event (an integration connected: the admins are told by
            // default).
            t.create_integration(
                &f.id,
                &f.owner,
                serde_json::json!({ "kind": "dns_provider", "provider": "cloudflare", "name": format!("CF {fault} {operation}"), "secret": "cf" }),
            )
            .await;
            let (batch, _) = integration_tests::stream_event_of(&t, &f.id).await;
            let before = integration_tests::emails_to(&admin.email).len();
            let ((response, report), _) = Faults::scope(
                at(operation, call, fault),
                service::notifications::on_stream(&faulty, batch.clone()),
            )
            .await;
            assert_eq!(
                response.batch_item_failures.len(),
                1,
                "{fault} at {operation}: {report:?}"
            );
            assert_eq!(
                integration_tests::emails_to(&admin.email).len(),
                before,
                "{fault} at {operation}: nothing sent"
            );
            // Redelivered: the email once; redelivered again: nothing more.
            let (response, report) = service::notifications::on_stream(&t.app, batch.clone()).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "{fault} at {operation}: {report:?}"
            );
            let (_, again) = service::notifications::on_stream(&t.app, batch.clone()).await;
            assert_eq!(again.sent, 0, "{fault} at {operation}");
            let sent = integration_tests::emails_to(&admin.email).len() - before;
            assert_eq!(sent, 1, "{fault} at {operation}: the email once");
            println!("| send-notifications | {fault} | {call} {operation} | redelivery asked | {sent} email |");
        }
    }
}

/// `deliver-webhooks` with each of its calls failing on every attempt: the record is redelivered and
/// the redelivery finishes the work. No message is lost and the delivery log has one success per
/// message. An outcome write that fails is tried once more after a pause, so one failing call does
/// not send a delivered message again; only when that fails too is the attempt sent again on
/// redelivery (the same `webhook-id`, which Standard Webhooks receivers dedupe on), shown last.
#[tokio::test]
async fn the_webhook_delivery_under_every_fault_loses_no_message() {
    use integration_tests::stream::sending_attempts;
    use service::webhooks::deliver::on_stream;
    let t = TestApp::with_faults(|_| {}).await;
    let f = t.org_fixture("Hooked faults", "pro", &[]).await;
    let receiver = integration_tests::Receiver::start().await;
    let created = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/webhooks", f.id),
            serde_json::json!({ "url": receiver.url("/f"), "eventTypes": ["TeamCreated"] }),
        )
        .await;
    let webhook = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let faulty = t.faulty.clone().unwrap();
    let mut n = 0;
    for fault in FAULTS {
        // Making the messages (the endpoints read, the message written), then sending them (the
        // attempts read, the outcome written).
        for (phase, operation) in [
            ("event", "Query"),
            ("event", "TransactWriteItems"),
            ("attempt", "BatchGetItem"),
            ("attempt", "TransactWriteItems"),
        ] {
            n += 1;
            let team = t.create_team(&f.id, &f.owner, &format!("Team {n}")).await;
            let events = integration_tests::latest_stream_event(&t, &f.id, 1).await;
            if phase == "attempt" {
                let (response, _) = on_stream(&t.app, events).await;
                assert!(response.batch_item_failures.is_empty());
            }
            let batch = match phase {
                "event" => integration_tests::latest_stream_event(&t, &f.id, 1).await,
                _ => sending_attempts(&t, &f.id).await,
            };
            let ((response, report), _) =
                Faults::scope(at(operation, 0, fault), on_stream(&faulty, batch.clone())).await;
            // An outcome is written again after a pause: no redelivery then.
            let second_try = phase == "attempt" && operation == "TransactWriteItems";
            assert_eq!(
                response.batch_item_failures.len(),
                usize::from(!second_try),
                "{fault} at {phase} {operation}: redelivery asked ({report:?})"
            );
            // Lambda redelivers the batch; the attempts it leaves are sent as their stream
            // records arrive.
            let (response, _) = on_stream(&t.app, batch).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "{fault} at {phase} {operation}"
            );
            let (response, _) = on_stream(&t.app, sending_attempts(&t, &f.id).await).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "{fault} at {phase} {operation}"
            );
            let got = receiver
                .received()
                .iter()
                .filter(|r| r.json()["data"]["details"]["teamId"] == team.as_str())
                .count();
            let log = t
                .as_user(&f.owner)
                .get(&format!(
                    "/orgs/{}/webhooks/{webhook}/deliveries?limit=3",
                    f.id
                ))
                .await;
            let newest = log.assert_status(200)["items"][0].clone();
            assert_eq!(
                newest["state"], "succeeded",
                "{fault} at {phase} {operation}: {newest}"
            );
            assert_eq!(
                got, 1,
                "{fault} at {phase} {operation}: received {got} times"
            );
            let answer = if second_try {
                "written at the second try"
            } else {
                "redelivery asked"
            };
            println!("| deliver-webhooks | {fault} | {phase}: 0 {operation} | {answer} | delivered, received {got}x |");
        }
    }
    // Both outcome writes failing: the redelivery sends the delivered message again, with the same
    // webhook-id, and the log still has one success.
    let team = t.create_team(&f.id, &f.owner, "Outage").await;
    let events = integration_tests::latest_stream_event(&t, &f.id, 1).await;
    on_stream(&t.app, events).await;
    let batch = sending_attempts(&t, &f.id).await;
    let both = Plan {
        operation: Some("TransactWriteItems"),
        call: usize::MAX,
        fault: Fault::ServerError,
        every_attempt: true,
    };
    let ((response, _), _) = Faults::scope(Some(both), on_stream(&faulty, batch.clone())).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    on_stream(&t.app, batch).await;
    let got: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|r| r.json()["data"]["details"]["teamId"] == team.as_str())
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    println!("| deliver-webhooks | 500 | attempt: every TransactWriteItems | redelivery asked | delivered, received 2x (one webhook-id) |");
    // retry-webhooks: a failed read of the due index fails the run; the next run claims the retry.
    receiver.answer(&[500]);
    t.create_team(&f.id, &f.owner, "Retried under faults").await;
    let events = integration_tests::latest_stream_event(&t, &f.id, 1).await;
    on_stream(&t.app, events).await;
    on_stream(&t.app, sending_attempts(&t, &f.id).await).await;
    let ahead = Timestamp::now() + chrono::Duration::seconds(10);
    for fault in FAULTS {
        let (failed, _) = Faults::scope(
            at("Query", 0, fault),
            service::webhooks::retry::run(&faulty, ahead, Instant::now() + Duration::from_secs(60)),
        )
        .await;
        assert!(failed.is_err(), "{fault}: the run fails");
        println!("| retry-webhooks | {fault} | 0 Query | run failed | the next run claims |");
    }
    let claimed =
        service::webhooks::retry::run(&t.app, ahead, Instant::now() + Duration::from_secs(60))
            .await
            .unwrap();
    assert!(claimed.claimed >= 1, "{claimed:?}");
}

#[tokio::test]
async fn the_purge_under_every_fault_is_finished_by_the_next_run() {
    let t = TestApp::with_faults(|c| c.org_create_limit = 5).await;
    let faulty = t.faulty.clone().unwrap();
    let later = Timestamp::now() + chrono::Duration::days(31);
    let deadline = || Instant::now() + Duration::from_secs(120);
    for fault in FAULTS {
        for (operation, call) in [
            ("TransactWriteItems", 0),
            ("ListSecrets", 0),
            ("DeleteSecret", 0),
            ("BatchWriteItem", 0),
            ("TransactWriteItems", 1),
        ] {
            let owner = t.user("owner");
            let org = t.create_org(&owner, "Doomed").await;
            t.create_integration(
                &org,
                &owner,
                serde_json::json!({ "kind": "dns_provider", "provider": "cloudflare", "name": "CF", "secret": "cf" }),
            )
            .await;
            t.close_through_api(&org).await;
            let (first, _) = Faults::scope(
                at(operation, call, fault),
                purge_due(&faulty, later, deadline()),
            )
            .await;
            // Stopped (the error is logged and the organization stays due) or counted as failed,
            // and the run's line says so (the alarm on `Failed` reads it).
            if let Ok(report) = &first {
                assert!(report.failed <= 1, "{fault} at {operation}: {report:?}");
                let line = faulty
                    .log
                    .last_where(|l| l["job"] == "purge-closed-orgs")
                    .expect("the run's line");
                assert_eq!(line["Runs"], 1);
                assert!(
                    line["Failed"].as_u64() >= Some(report.failed.into()),
                    "{fault} at {operation}: {line}"
                );
            }
            let report = next_run(&t, later).await;
            assert_eq!(report.failed, 0, "{fault} at {operation}: {report:?}");
            let left: Vec<String> = t
                .table_items()
                .await
                .into_keys()
                .filter(|k| k.contains(&org))
                .collect();
            assert_eq!(
                left,
                vec![format!("ORG#{org}|TOMBSTONE")],
                "{fault} at {operation}"
            );
            assert!(
                crate::integrations::secrets_of(&org).await.is_empty(),
                "{fault} at {operation}: scrubbed"
            );
            println!(
                "| purge-closed-orgs | {fault} | {call} {operation} | {} | finished by the next run |",
                if first.is_ok() { "run continued" } else { "run stopped" }
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_removal_cleanup_under_every_fault_grants_nothing_and_is_finished_by_a_redelivery() {
    let t = TestApp::with_faults(|_| {}).await;
    // Each case has its own organization and its own fault scope: they run at once.
    let mut cases = tokio::task::JoinSet::new();
    for fault in FAULTS {
        for (operation, call) in [
            ("Query", 0),
            ("UpdateItem", 0),
            ("UpdateItem", 1),
            ("BatchWriteItem", 0),
            ("TransactWriteItems", 0),
        ] {
            let t = t.clone();
            cases.spawn(async move { cleanup_case(&t, fault, operation, call).await });
        }
    }
    let mut rows = Vec::new();
    while let Some(row) = cases.join_next().await {
        rows.push(row.expect("a case"));
    }
    rows.sort();
    println!("{}", rows.join("\n"));
}

/// A developer on two teams removed, then a team granted a project deleted (both leave places on
/// teams to the clean-up); the clean-up run with `fault` at `call` of `operation` asks for a
/// redelivery, grants nothing meanwhile, and the redelivery finishes it.
async fn cleanup_case(t: &TestApp, fault: Fault, operation: &'static str, call: usize) -> String {
    use crate::teams::{deploys, places_of};
    use service::permissions::Role;
    let faulty = t.faulty.clone().unwrap();
    let case = format!("{fault} at {call} {operation}");
    let f = t
        .org_fixture(
            &format!("Cleanup {case}"),
            "pro",
            &[Role::Developer, Role::Viewer],
        )
        .await;
    let (dev, viewer) = (
        f.member(Role::Developer).clone(),
        f.member(Role::Viewer).clone(),
    );
    let granted = t.create_team(&f.id, &f.owner, "Granted").await;
    let other = t.create_team(&f.id, &f.owner, "Other").await;
    t.add_to_team(&f.id, &granted, &[&dev, &viewer]).await;
    t.add_to_team(&f.id, &other, &[&dev]).await;
    let project = t.create_project(&f.id, &f.owner, "Web").await;
    t.grant(
        &f.id,
        &f.owner,
        &project,
        &format!("team:{granted}"),
        "editor",
    )
    .await;
    assert!(deploys(t, &f.id, &viewer, &project).await);
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, dev.id))
        .await
        .assert_status(204);
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/teams/{granted}", f.id))
        .await
        .assert_status(204);
    let (batch, _) = integration_tests::stream_event_of(t, &f.id).await;
    let ((response, report), _) = Faults::scope(
        at(operation, call, fault),
        service::teams::cleanup::on_stream(&faulty, batch.clone()),
    )
    .await;
    assert_eq!(
        response.batch_item_failures.len(),
        1,
        "{case}: the record is redelivered ({report:?})"
    );
    // Half done or not at all, what the removals ended grants nothing.
    assert!(!deploys(t, &f.id, &viewer, &project).await, "{case}");
    // Redelivered without the fault: finished, and finished once.
    let (response, report) = service::teams::cleanup::on_stream(&t.app, batch.clone()).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{case}: {report:?}"
    );
    assert_eq!(places_of(t, &f.id, &granted).await, 0, "{case}");
    assert_eq!(places_of(t, &f.id, &other).await, 0, "{case}");
    let me = t.as_user(&viewer).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(
        me.assert_status(200)["teamIds"],
        serde_json::json!([]),
        "{case}"
    );
    let team = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/teams/{other}", f.id))
        .await;
    assert_eq!(team.assert_status(200)["memberCount"], 0, "{case}");
    format!("| finish-removals | {fault} | {call} {operation} | redelivery asked | finished |")
}
