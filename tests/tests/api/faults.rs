//! Writes that hold under races and faults: a dependency made slow or failing at one chosen call
//! (`integration_tests::faults`), the rest of the world acting meanwhile.

use crate::integrations::{current_secret, secrets_of, stored_secret};
use integration_tests::faults::{Fault, Faults, Plan};
use integration_tests::{secrets_client, OrgFixture, TestApp};
use serde_json::json;
use service::closure::purge::purge_due;
use service::domain::{IntegrationId, OrgId, Timestamp};
use service::error::Code;
use service::integrations::item::IntegrationItem;
use service::permissions::Role;
use std::time::{Duration, Instant};

fn slow(operation: &'static str, millis: u64) -> Option<Plan> {
    Some(Plan {
        operation: Some(operation),
        call: 0,
        fault: Fault::Slow(Duration::from_millis(millis)),
        every_attempt: true,
    })
}

fn failing(operation: &'static str, fault: Fault) -> Option<Plan> {
    Some(Plan {
        operation: Some(operation),
        call: 0,
        fault,
        every_attempt: true,
    })
}

async fn org(t: &TestApp) -> OrgFixture {
    t.org_fixture("Faulty Inc", "pro", &[Role::Admin, Role::Viewer])
        .await
}

fn storage(secret: &str) -> serde_json::Value {
    json!({ "kind": "storage_provider", "provider": "s3", "name": "Backups",
            "config": { "bucket": "faulty", "region": "eu-west-1" }, "secret": secret })
}

/// The integration's item as stored (None once deleted).
async fn item(t: &TestApp, org: &str, integration: &str) -> Option<IntegrationItem> {
    let key = IntegrationItem::key_of(
        &OrgId::parse(org).unwrap(),
        &IntegrationId::parse(integration).unwrap(),
    );
    t.app
        .store
        .batch_get_as::<IntegrationItem>(vec![key])
        .await
        .unwrap()
        .pop()
}

/// The version Secrets Manager serves (`AWSCURRENT`), if the secret exists.
async fn current_version(org: &str, integration: &str) -> Option<String> {
    current_secret(org, integration)
        .await
        .map(|(version, _)| version)
}

/// The hourly job, run as the schedule would an hour from now (the sweep's grace has passed).
async fn hourly_job(t: &TestApp) -> service::closure::purge::PurgeReport {
    let later = Timestamp::from(Timestamp::now().as_datetime() + chrono::Duration::hours(1));
    purge_due(&t.app, later, Instant::now() + Duration::from_secs(120))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rotation_that_promotes_last_never_puts_its_older_value_back() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let id = t
        .create_integration(&f.id, f.member(Role::Admin), storage("v0"))
        .await;
    let path = format!("/orgs/{}/integrations/{id}/secret", f.id);
    // A commits first, then its promotion is held up 0.7 s (a frozen instance); B rotates after
    // A's commit and finishes first. A's late promotion must not make its value current again.
    let a = Faults::scope(
        slow("DescribeSecret", 700),
        admin.put(&path, json!({ "secret": "older" })),
    );
    let b = async {
        for _ in 0..100 {
            let named = item(&t, &f.id, &id).await.unwrap().secret_version;
            if named
                .as_deref()
                .is_some_and(|v| service::integrations::secret::sequence_of(v) == 2)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        admin.put(&path, json!({ "secret": "newer" })).await
    };
    let ((a, _), b) = tokio::join!(a, b);
    a.assert_status(200);
    b.assert_status(200);
    let named = item(&t, &f.id, &id).await.unwrap();
    assert_eq!(b.body["fingerprint"], json!(named.fingerprint));
    assert_eq!(
        current_version(&f.id, &id).await,
        named.secret_version,
        "consumers read the version the item names"
    );
    assert_eq!(stored_secret(&f.id, &id).await.as_deref(), Some("newer"));
}

#[tokio::test]
async fn parallel_rotations_end_with_the_named_version_current_and_no_503() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let id = t
        .create_integration(&f.id, f.member(Role::Admin), storage("v0"))
        .await;
    let path = format!("/orgs/{}/integrations/{id}/secret", f.id);
    for round in 0..5 {
        let calls = (0..6).map(|i| {
            let admin = &admin;
            let path = &path;
            async move {
                // One of them promotes late in every round.
                let plan = (i == 0).then(|| slow("DescribeSecret", 300)).flatten();
                Faults::scope(
                    plan,
                    admin.put(path, json!({ "secret": format!("r{round}-{i}") })),
                )
                .await
                .0
            }
        });
        for a in futures_join(calls).await {
            assert!(
                a.status == 200 || a.body["code"] == Code::ConcurrentUpdate.as_str(),
                "round {round}: {} {}",
                a.status,
                a.body
            );
        }
        let named = item(&t, &f.id, &id).await.unwrap();
        assert_eq!(
            current_version(&f.id, &id).await,
            named.secret_version,
            "round {round}: consumers read the version the item names"
        );
    }
}

/// Runs the futures concurrently on this task, answers in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn removing_a_member_whose_access_changes_meanwhile_answers_409_and_never_404() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let owner = t.as_user(&f.owner);
    let viewer = f.member(Role::Viewer).clone();
    let team = t.create_team(&f.id, &f.owner, "Racers").await;
    let member_path = format!("/orgs/{}/members/{}", f.id, viewer.id);
    // The removal's transaction is held up while the member is put on a team (1.5 s: the addition
    // has that long to read and commit, even on a loaded machine; CI once took longer than 0.5 s,
    // and the removal committed first).
    let removal = Faults::scope(slow("TransactWriteItems", 1500), owner.delete(&member_path));
    let addition = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        owner
            .put_empty(&format!(
                "/orgs/{}/teams/{team}/members/{}",
                f.id, viewer.id
            ))
            .await
    };
    let ((removed, _), added) = tokio::join!(removal, addition);
    added.assert_status(200);
    removed.assert_problem(409, Code::ConcurrentUpdate);
    let members = owner.get(&format!("/orgs/{}/members", f.id)).await;
    assert!(
        members.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["userId"] == viewer.id.as_str()),
        "still a member: {}",
        members.body
    );
    // The retry removes them; a removal of someone already gone is a 404.
    owner.delete(&member_path).await.assert_status(204);
    owner
        .delete(&member_path)
        .await
        .assert_problem(404, Code::MemberNotFound);
}

#[tokio::test]
async fn a_first_secret_created_while_the_integration_is_deleted_is_not_left_readable() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let repo = admin
        .post(
            &format!("/orgs/{}/integrations", f.id),
            json!({ "kind": "addon_repo", "provider": "git", "name": "OCA", "config": { "url": "https://github.com/OCA/web" } }),
        )
        .await;
    let id = repo.assert_status(201)["id"].as_str().unwrap().to_string();
    let path = format!("/orgs/{}/integrations/{id}", f.id);
    // The deletion read "no secret"; its transaction is held up while the first secret is set.
    let deletion = Faults::scope(slow("TransactWriteItems", 1500), admin.delete(&path));
    let rotation = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        admin
            .put(&format!("{path}/secret"), json!({ "secret": "first" }))
            .await
    };
    let ((deleted, _), rotated) = tokio::join!(deletion, rotation);
    rotated.assert_status(200);
    deleted.assert_problem(409, Code::ConcurrentUpdate);
    assert!(
        item(&t, &f.id, &id).await.is_some(),
        "the integration stays, with its secret"
    );
    // The retry deletes both.
    admin.delete(&path).await.assert_status(204);
    assert_eq!(
        stored_secret(&f.id, &id).await,
        None,
        "no readable credential"
    );
    assert!(item(&t, &f.id, &id).await.is_none());
}

#[tokio::test]
async fn a_deletion_while_secrets_manager_fails_answers_503_and_deletes_nothing_then_the_retry_deletes_both(
) {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let id = t
        .create_integration(&f.id, f.member(Role::Admin), storage("keep-me-safe"))
        .await;
    let path = format!("/orgs/{}/integrations/{id}", f.id);
    for fault in [Fault::ServerError, Fault::Throttle, Fault::Reset] {
        let (a, _) = Faults::scope(failing("DeleteSecret", fault), admin.delete(&path)).await;
        a.assert_problem(503, Code::ServiceUnavailable);
        assert!(a.headers.contains_key("retry-after"), "{fault}");
        admin.get(&path).await.assert_status(200);
        assert_eq!(
            stored_secret(&f.id, &id).await.as_deref(),
            Some("keep-me-safe")
        );
    }
    admin.delete(&path).await.assert_status(204);
    assert_eq!(stored_secret(&f.id, &id).await, None);
}

#[tokio::test]
async fn a_secret_deleted_outside_the_service_is_created_again_by_the_next_rotation() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let id = t
        .create_integration(&f.id, f.member(Role::Admin), storage("gone-soon"))
        .await;
    secrets_client()
        .await
        .delete_secret()
        .secret_id(format!("orgs/{}/integrations/{id}", f.id))
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let path = format!("/orgs/{}/integrations/{id}/secret", f.id);
    let a = admin.put(&path, json!({ "secret": "back-again" })).await;
    a.assert_status(200);
    assert_eq!(
        stored_secret(&f.id, &id).await.as_deref(),
        Some("back-again")
    );
    let named = item(&t, &f.id, &id).await.unwrap();
    assert_eq!(current_version(&f.id, &id).await, named.secret_version);
}

#[tokio::test]
async fn the_hourly_sweep_deletes_secrets_no_item_names_and_finishes_promotions() {
    let t = TestApp::with_faults(|_| {}).await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    // A creation whose item could not be written: the secret may be the item's (the commit may
    // have happened), so it is left to the sweep.
    let (a, _) = Faults::scope(
        failing("TransactWriteItems", Fault::ServerError),
        admin.post(&format!("/orgs/{}/integrations", f.id), storage("orphan")),
    )
    .await;
    a.assert_problem(503, Code::ServiceUnavailable);
    assert_eq!(secrets_of(&f.id).await.len(), 1, "the secret nothing names");
    // A rotation recorded but not promoted (Secrets Manager failed at the promotion).
    let id = t
        .create_integration(&f.id, f.member(Role::Admin), storage("old"))
        .await;
    let (a, _) = Faults::scope(
        failing("UpdateSecretVersionStage", Fault::ServerError),
        admin.put(
            &format!("/orgs/{}/integrations/{id}/secret", f.id),
            json!({ "secret": "new" }),
        ),
    )
    .await;
    a.assert_problem(503, Code::ServiceUnavailable);
    assert_eq!(stored_secret(&f.id, &id).await.as_deref(), Some("old"));
    // Within the grace the orphan stays (a creation could be in flight).
    let now = purge_due(
        &t.app,
        Timestamp::now(),
        Instant::now() + Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(now.sweep.leftovers_deleted, 0);
    assert_eq!(now.sweep.promotions_repaired, 1);
    assert_eq!(stored_secret(&f.id, &id).await.as_deref(), Some("new"));
    let later = hourly_job(&t).await;
    assert_eq!(later.sweep.leftovers_deleted, 1);
    assert_eq!(later.sweep.promotions_repaired, 0);
    assert_eq!(
        secrets_of(&f.id).await.len(),
        1,
        "only the integration's own"
    );
    let again = hourly_job(&t).await;
    assert_eq!((again.sweep.leftovers_deleted, again.sweep.failed), (0, 0));
}

#[tokio::test]
async fn once_the_purge_started_me_and_authorize_refuse_reactivation_as_the_route_does() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    t.close_through_api(&f.id).await;
    // The purge's own first step, as the job makes it once purgeAt has passed.
    let org_item = t.org_item(&f.id).await;
    let later = Timestamp::now() + chrono::Duration::days(31);
    t.app
        .store
        .commit(org_item.start_purge(t.app.store.tx(), later).unwrap())
        .await
        .unwrap();
    let owner = t.as_user(&f.owner);
    owner
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_problem(409, Code::PurgeStarted);
    let me = owner.get(&format!("/orgs/{}/me", f.id)).await;
    let me = me.assert_status(200);
    assert!(
        !me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("org.reactivate")),
        "{me}"
    );
    assert_eq!(me["suspended"]["reason"], "purge_started");
    assert!(me["suspended"]["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("org.reactivate")));
    let answer = owner
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["org.reactivate", "org.read"] }),
        )
        .await;
    let body = answer.assert_status(200);
    assert_eq!(body["results"][0]["allowed"], false);
    assert_eq!(body["results"][0]["reason"], "purge_started");
    assert_eq!(body["results"][1]["allowed"], true);
}

#[tokio::test]
async fn a_guest_sees_the_name_and_their_membership_not_the_settings() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Guarded", "pro", &[Role::Guest, Role::Viewer])
        .await;
    t.as_user(&f.owner)
        .put(
            &format!("/orgs/{}/settings/authentication", f.id),
            json!({ "requireMfa": false, "allowedEmailDomains": ["example.com"] }),
        )
        .await
        .assert_status(200);
    let guest = t.as_user(f.member(Role::Guest));
    let me = guest.get(&format!("/orgs/{}/me", f.id)).await;
    let me = me.assert_status(200);
    assert!(me.get("orgStatus").is_none(), "{me}");
    assert!(
        me["authentication"].get("allowedEmailDomains").is_none(),
        "{me}"
    );
    let answer = guest
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["org.read"] }),
        )
        .await;
    assert!(answer.assert_status(200)["authentication"]
        .get("allowedEmailDomains")
        .is_none());
    // A viewer reads the settings, and sees them here too.
    let me = t
        .as_user(f.member(Role::Viewer))
        .get(&format!("/orgs/{}/me", f.id))
        .await;
    assert_eq!(me.body["orgStatus"], "active");
    assert_eq!(
        me.body["authentication"]["allowedEmailDomains"],
        json!(["example.com"])
    );
}

#[tokio::test]
async fn bodies_are_objects_and_a_secret_sent_wrong_is_never_quoted_back() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let owner = t.as_user(&f.owner);
    let name = t.org_item(&f.id).await.name;
    // A positional array neither renames nor closes.
    owner
        .patch(&format!("/orgs/{}", f.id), json!(["New name"]))
        .await
        .assert_problem(400, Code::InvalidBody);
    owner
        .post(&format!("/orgs/{}/close", f.id), json!([name.as_str()]))
        .await
        .assert_problem(400, Code::InvalidBody);
    assert_eq!(
        t.org_item(&f.id).await.status,
        service::orgs::settings::OrgStatus::Active
    );
    // A bare string as an integration's body (a pasted token) is refused without repeating it.
    let a = owner
        .post(
            &format!("/orgs/{}/integrations", f.id),
            json!("sk_live_pasted_by_mistake"),
        )
        .await;
    a.assert_problem(400, Code::InvalidBody);
    assert!(!a.body.to_string().contains("sk_live"), "{}", a.body);
    let a = owner
        .post(
            &format!("/orgs/{}/integrations", f.id),
            json!({ "kind": "dns_provider", "provider": "cloudflare", "name": 7, "secret": "sk_live_x" }),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(!a.body.to_string().contains("sk_live"), "{}", a.body);
}
