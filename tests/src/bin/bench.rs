//! Benchmark: what the shared pipeline costs on top of the DynamoDB requests it makes, measured in
//! the same run against the same DynamoDB Local. Run with `scripts/bench.sh` (starts DynamoDB Local).
//!
//! For each route it prints the latency of the raw SDK call(s) the route makes (the baseline) next to
//! the latency of the whole route in-process (token verification, access read, checks, JSON).
//! Then the purge job on an organization of 10,000 items next to raw BatchWriteItem deletes of an
//! identical organization's items (keys known, nothing read): the job's throughput as a share of
//! the raw one.

use integration_tests::TestApp;
use serde_json::json;
use service::audit::{AuditEntry, Audited};
use service::domain::{DisplayName, Timestamp};
use service::error::ApiError;
use service::orgs::item::{OrgChanges, OrgItem};
use service::store::Entity;
use std::time::{Duration, Instant};

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn row(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let (p50, p95) = (percentile(&samples, 0.5), percentile(&samples, 0.95));
    println!(
        "{name:<58} p50 {:>8.3} ms   p95 {:>8.3} ms",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
    p50
}

/// Times `a` and `b` interleaved (a, b, b, a, a, b, ...), so both see the same conditions
/// (DynamoDB Local's JIT warming up, the machine's other load).
async fn time_pair<A, FA, B, FB>(a: A, b: B) -> (Vec<Duration>, Vec<Duration>)
where
    A: Fn(usize) -> FA,
    FA: std::future::Future<Output = ()>,
    B: Fn(usize) -> FB,
    FB: std::future::Future<Output = ()>,
{
    for i in 0..100 {
        a(i).await; // warm-up
        b(i).await;
    }
    let (mut ta, mut tb) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for i in 0..ROUNDS {
        for first in [i % 2 == 0, i % 2 != 0] {
            let start = Instant::now();
            if first {
                a(i).await;
                ta.push(start.elapsed());
            } else {
                b(i).await;
                tb.push(start.elapsed());
            }
        }
    }
    (ta, tb)
}

#[tokio::main]
async fn main() {
    let t = TestApp::new().await;
    let owner = t.user("bench-owner");
    let org = t.create_org(&owner, "Bench").await;
    let org_id = service::domain::OrgId::parse(&org).unwrap();
    let user_id = service::domain::UserId::parse("u", &owner.id).unwrap();
    println!(
        "{ROUNDS} sequential calls each, DynamoDB Local at {}\n",
        integration_tests::dynamodb_endpoint()
    );

    // GET /orgs/{orgId}: one BatchGetItem.
    let (raw, route) = time_pair(
        |_| {
            let (t, org_id, user_id) = (&t, &org_id, &user_id);
            async move {
                t.app
                    .store
                    .batch_get(
                        [
                            OrgItem::key_of(org_id),
                            service::members::item::MemberItem::key_of(org_id, user_id),
                        ]
                        .to_vec(),
                    )
                    .await
                    .unwrap();
            }
        },
        |_| {
            let (t, token, org) = (&t, &owner.token, &org);
            async move {
                let a = t
                    .call("GET", &format!("/orgs/{org}"), Some(token), None)
                    .await;
                assert_eq!(a.status, 200);
            }
        },
    )
    .await;
    let base = row("baseline: BatchGetItem (org + membership)", raw);
    let full = row("route:    GET /orgs/{orgId}", route);
    println!(
        "{:<58} {:>+8.3} ms\n",
        "pipeline overhead (p50)",
        (full.as_secs_f64() - base.as_secs_f64()) * 1e3
    );

    // PATCH /orgs/{orgId} (rename): one BatchGetItem + one TransactWriteItems (update + audit).
    let (raw, route) = time_pair(
        |i| {
            let (t, org_id, user_id) = (&t, &org_id, &user_id);
            async move {
                let items = t
                    .app
                    .store
                    .batch_get(
                        [
                            OrgItem::key_of(org_id),
                            service::members::item::MemberItem::key_of(org_id, user_id),
                        ]
                        .to_vec(),
                    )
                    .await
                    .unwrap();
                let org: OrgItem = items
                    .into_iter()
                    .find(|i| service::store::entity_type(i) == Some(OrgItem::TYPE))
                    .map(|i| service::store::from_item(i).unwrap())
                    .unwrap();
                let changes = OrgChanges {
                    name: Some(DisplayName::parse("name", &format!("Raw {i}")).unwrap()),
                    ..OrgChanges::default()
                };
                let tx = org
                    .update(t.app.store.tx(), &changes, Timestamp::now(), |_| {
                        ApiError::internal("x")
                    })
                    .unwrap()
                    .audit(AuditEntry {
                        org_id: org_id.clone(),
                        actor_id: user_id.clone(),
                        actor_kind: service::audit::ActorKind::User,
                        action: "org.updated",
                        event_type: "OrganizationUpdated",
                        at: Timestamp::now(),
                        summary: "bench".into(),
                        details: json!({}),
                    })
                    .unwrap();
                t.app.store.commit(tx).await.unwrap();
            }
        },
        |i| {
            let (t, token, org) = (&t, &owner.token, &org);
            async move {
                let a = t
                    .call(
                        "PATCH",
                        &format!("/orgs/{org}"),
                        Some(token),
                        Some(json!({ "name": format!("Routed {i}") })),
                    )
                    .await;
                assert_eq!(a.status, 200, "{}", a.body);
            }
        },
    )
    .await;
    let base = row(
        "baseline: BatchGetItem + TransactWriteItems (update, audit)",
        raw,
    );
    let full = row("route:    PATCH /orgs/{orgId} (rename)", route);
    println!(
        "{:<58} {:>+8.3} ms",
        "pipeline overhead (p50)",
        (full.as_secs_f64() - base.as_secs_f64()) * 1e3
    );

    println!();
    // POST /api-keys/verify: one BatchGetItem (the key and its organization), an HMAC, the
    // decision. Its hourly lastUsedAt write happens once in the warm-up, not in the timed rounds.
    let created = t
        .as_user(&owner)
        .post(
            &format!("/orgs/{org}/api-keys"),
            json!({ "name": "Bench", "role": "developer" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.body["key"].as_str().unwrap().to_string();
    let key_id = service::domain::ApiKeyId::parse(created.body["id"].as_str().unwrap()).unwrap();
    let (raw, route) = time_pair(
        |_| {
            let (t, org_id, key_id) = (&t, &org_id, &key_id);
            async move {
                let items = t
                    .app
                    .store
                    .batch_get(vec![
                        OrgItem::key_of(org_id),
                        service::api_keys::item::ApiKeyItem::key_of(org_id, key_id),
                    ])
                    .await
                    .unwrap();
                assert_eq!(items.len(), 2);
            }
        },
        |_| {
            let (t, key) = (&t, &key);
            async move {
                let a = t
                    .call(
                        "POST",
                        "/api-keys/verify",
                        None,
                        Some(json!({ "key": key, "permissions": ["projects.read", "deployments.create"] })),
                    )
                    .await;
                assert_eq!(a.body["valid"], true, "{}", a.body);
            }
        },
    )
    .await;
    let base = row("baseline: BatchGetItem (org + API key)", raw);
    let full = row("route:    POST /api-keys/verify (2 permissions)", route);
    println!(
        "{:<58} {:>8.2}x (p50; the issue asks at most 1.2x)\n",
        "verify / raw read",
        full.as_secs_f64() / base.as_secs_f64()
    );

    purge_benchmark(&t).await;
}

/// An organization (created through the API) with `n` more items made by the concepts' own
/// constructors (projects, members, audit entries, a third each), written with BatchWriteItem;
/// returns its id and the keys of those items.
async fn seeded_org(t: &TestApp, n: usize, name: &str) -> (String, Vec<service::store::Key>) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use service::domain::{Email, OrgId, UserId};
    use service::members::item::MemberItem;
    use service::permissions::Role;
    use service::projects::item::ProjectItem;
    let owner = t.user(&format!("{name}-owner"));
    let org = t.create_org(&owner, name).await;
    let org_id = OrgId::parse(&org).unwrap();
    let by = UserId::parse("u", &owner.id).unwrap();
    let now = Timestamp::now();
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let item = match i % 3 {
            0 => service::store::to_item(&ProjectItem::new(
                &org_id,
                DisplayName::parse("name", &format!("Project {i}")).unwrap(),
                None,
                &by,
                false,
                now,
            )),
            1 => service::store::to_item(&MemberItem::new(
                &org_id,
                &UserId::parse("u", &format!("{name}-member-{i}")).unwrap(),
                Email::parse("email", &format!("m{i}@example.com")).ok(),
                None,
                Role::Viewer.into(),
                now,
            )),
            _ => service::store::to_item(
                &AuditEntry {
                    org_id: org_id.clone(),
                    actor_id: by.clone(),
                    actor_kind: service::audit::ActorKind::User,
                    action: "project.updated",
                    event_type: "ProjectUpdated",
                    at: now + chrono::Duration::microseconds(i as i64),
                    summary: format!("entry {i}"),
                    details: json!({ "i": i }),
                }
                .into_item(),
            ),
        }
        .unwrap();
        items.push(item);
    }
    for chunk in items.chunks(25) {
        let mut writes: Vec<WriteRequest> = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(i.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        while !writes.is_empty() {
            let out = t
                .app
                .store
                .client
                .batch_write_item()
                .request_items(&t.table, writes)
                .send()
                .await
                .unwrap();
            writes = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&t.table))
                .unwrap_or_default();
        }
    }
    let keys = items
        .iter()
        .filter_map(service::store::Key::of_item)
        .collect();
    (org, keys)
}

async fn purge_benchmark(t: &TestApp) {
    const ITEMS: usize = 10_000;
    println!("\npurge of an organization with {ITEMS} items (projects, members, audit entries; one run each)");
    let (_, raw_keys) = seeded_org(t, ITEMS, "raw").await;
    let (doomed, _) = seeded_org(t, ITEMS, "doomed").await;
    let started = Instant::now();
    let requests = t.app.store.batch_delete(&raw_keys).await.unwrap();
    let raw = started.elapsed();
    println!(
        "{:<58} {:>8.0} ms   {:>8.0} items/s  ({requests} BatchWriteItem)",
        "baseline: BatchWriteItem deletes of known keys",
        raw.as_secs_f64() * 1e3,
        raw_keys.len() as f64 / raw.as_secs_f64()
    );
    t.close_org(&doomed).await;
    let later = Timestamp::now() + chrono::Duration::days(31);
    let started = Instant::now();
    let report = service::closure::purge::purge_due(
        &t.app,
        later,
        Instant::now() + Duration::from_secs(900),
    )
    .await
    .unwrap();
    let job = started.elapsed();
    assert_eq!(report.orgs_purged, 1);
    println!(
        "{:<58} {:>8.0} ms   {:>8.0} items/s  ({} items)",
        "purge-closed-orgs (find, mark, read keys, delete, finish)",
        job.as_secs_f64() * 1e3,
        report.items_deleted as f64 / job.as_secs_f64(),
        report.items_deleted
    );
    println!(
        "{:<58} {:>7.0} %",
        "purge throughput / raw throughput",
        100.0 * (report.items_deleted as f64 / job.as_secs_f64())
            / (raw_keys.len() as f64 / raw.as_secs_f64())
    );
}
