//! Organization API keys: created, verified as their role, rolled, revoked, never stored, against
//! DynamoDB Local. Keys are made through the API, as production makes them.

use crate::authorization::Fixture;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::api_keys::verify::{verify, Asked, Recorded};
use service::domain::Timestamp;
use service::error::Code;
use service::permissions::{Permission, Role};

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-api-keys" | "get-api-key" => (None, 200),
        "create-api-key" => (Some(json!({ "name": "CI", "role": "viewer" })), 201),
        "update-api-key" => (Some(json!({ "name": "Renamed" })), 200),
        "revoke-api-key" => (None, 204),
        "roll-api-key" => (Some(json!({ "graceMinutes": 5 })), 200),
        "verify-api-key" => (
            Some(json!({ "key": f.api_key, "permissions": ["projects.read"] })),
            200,
        ),
        _ => return None,
    })
}

async fn create(t: &TestApp, org: &str, by: &User, body: Value) -> Value {
    let a = t
        .as_user(by)
        .post(&format!("/orgs/{org}/api-keys"), body)
        .await;
    a.assert_status(201).clone()
}

/// `POST /api-keys/verify` as another service calls it (no token locally).
async fn verify_http(t: &TestApp, body: Value) -> Value {
    let a = t.call("POST", "/api-keys/verify", None, Some(body)).await;
    a.assert_status(200).clone()
}

async fn is_valid(t: &TestApp, key: &str) -> bool {
    verify_http(t, json!({ "key": key })).await["valid"] == true
}

/// An in-process verification at `now` (time moved on without waiting).
async fn valid_at(t: &TestApp, key: &str, now: Timestamp) -> bool {
    let (view, _) = verify(&t.app, key, &Asked::default(), now).await.unwrap();
    serde_json::to_value(view).unwrap()["valid"] == true
}

#[tokio::test]
async fn a_key_is_decided_as_its_role_per_project_and_is_invalid_once_revoked() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Keys", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let api = t.create_project(&f.id, &f.owner, "Api").await;
    // An organization-wide developer key.
    let dev = create(
        &t,
        &f.id,
        &admin,
        json!({ "name": "Deployer", "role": "developer" }),
    )
    .await;
    let key = dev["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("orgs_sk_") && key.len() == 89, "{key}");
    assert!(key.starts_with(dev["prefix"].as_str().unwrap()));
    assert_eq!(dev["createdBy"], admin.id.as_str());
    assert!(dev["expiresAt"].is_string(), "90 days by default");
    let perms = [
        "projects.read",
        "projects.create",
        "members.read",
        "members.update",
        "api_keys.manage",
        "billing.manage",
    ];
    let v = verify_http(&t, json!({ "key": key, "permissions": perms })).await;
    assert_eq!(v["valid"], true);
    assert_eq!(
        (v["orgId"].as_str(), v["role"].as_str()),
        (Some(f.id.as_str()), Some("developer"))
    );
    for p in perms {
        let want = Role::Developer.has(Permission::parse(p).unwrap());
        assert_eq!(v["allowed"][p], want, "{p}: as the developer's matrix says");
        if want {
            assert_eq!(
                v["via"][p],
                json!([{ "kind": "org_role", "role": "developer", "roleName": "developer" }])
            );
        }
    }
    // The same decision as /authorize for a member with that role.
    let member = t.user("dev-member");
    t.add_member(&f.id, &member, Role::Developer).await;
    let authorized = t
        .as_user(&member)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": perms, "projectId": web }),
        )
        .await;
    let on_web = verify_http(
        &t,
        json!({ "key": key, "permissions": perms, "projectId": web }),
    )
    .await;
    assert_eq!(on_web["results"], authorized.assert_status(200)["results"]);
    // A key limited to one project: a guest in the organization, its role on that project only.
    let limited = create(
        &t,
        &f.id,
        &admin,
        json!({ "name": "Web deployer", "role": "developer", "projectIds": [web] }),
    )
    .await;
    assert_eq!(
        (limited["orgRole"].as_str(), limited["projectRole"].as_str()),
        (Some("guest"), Some("developer"))
    );
    let lkey = limited["key"].as_str().unwrap();
    let deploy = ["deployments.create", "projects.read", "projects.delete"];
    let there = verify_http(
        &t,
        json!({ "key": lkey, "permissions": deploy, "projectId": web }),
    )
    .await;
    assert_eq!(there["projectRole"], "developer");
    assert_eq!(there["allowed"]["deployments.create"], true);
    assert_eq!(there["allowed"]["projects.read"], true);
    assert_eq!(
        there["allowed"]["projects.delete"], false,
        "no deletion for a developer"
    );
    assert_eq!(
        there["via"]["deployments.create"],
        json!([{ "kind": "direct", "role": "developer" }])
    );
    let elsewhere = verify_http(
        &t,
        json!({ "key": lkey, "permissions": deploy, "projectId": api }),
    )
    .await;
    assert_eq!(elsewhere["valid"], true);
    assert_eq!(elsewhere["projectRole"], Value::Null);
    assert!(
        deploy.iter().all(|p| elsewhere["allowed"][p] == false),
        "{elsewhere}"
    );
    let org_wide = verify_http(&t, json!({ "key": lkey, "permissions": ["projects.read"] })).await;
    assert_eq!(
        org_wide["allowed"]["projects.read"], false,
        "a guest org-wide"
    );
    // A role change counts on the next verification.
    let id = dev["id"].as_str().unwrap();
    t.as_user(&admin)
        .patch(
            &format!("/orgs/{}/api-keys/{id}", f.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_status(200);
    let v = verify_http(
        &t,
        json!({ "key": key, "permissions": ["projects.create"] }),
    )
    .await;
    assert_eq!(
        (
            v["role"].as_str(),
            v["allowed"]["projects.create"].as_bool()
        ),
        (Some("viewer"), Some(false))
    );
    // Revoked: the next verification is invalid, and says nothing more than a guess does.
    t.as_user(&admin)
        .delete(&format!("/orgs/{}/api-keys/{id}", f.id))
        .await
        .assert_status(204);
    let revoked = verify_http(&t, json!({ "key": key, "permissions": ["projects.read"] })).await;
    assert_eq!(revoked, json!({ "valid": false }));
    let mut guessed = key.clone().into_bytes();
    let i = guessed.len() - 20;
    guessed[i] = if guessed[i] == b'a' { b'b' } else { b'a' };
    for other in [
        String::from_utf8(guessed).unwrap(),
        "orgs_sk_nope".into(),
        String::new(),
    ] {
        assert_eq!(
            verify_http(&t, json!({ "key": other })).await,
            json!({ "valid": false })
        );
    }
    t.as_user(&admin)
        .get(&format!("/orgs/{}/api-keys/{id}", f.id))
        .await
        .assert_problem(404, Code::ApiKeyNotFound);
    // The audit log has each change, and no secret.
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?limit=100", f.id))
        .await;
    let text = log.assert_status(200).to_string();
    for action in ["api_key.created", "api_key.updated", "api_key.revoked"] {
        assert!(text.contains(action), "{action}");
    }
    assert!(!text.contains(&key[8..]) && !text.contains(&lkey[8..]));
}

#[tokio::test]
async fn a_key_is_never_above_its_creator_nor_owner_and_needs_api_keys_manage() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Hierarchy", "pro", &[Role::Admin, Role::Editor])
        .await;
    let path = format!("/orgs/{}/api-keys", f.id);
    for by in [&f.owner, f.member(Role::Admin)] {
        let a = t
            .as_user(by)
            .post(&path, json!({ "name": "Boss", "role": "owner" }))
            .await;
        a.assert_problem(400, Code::ValidationFailed);
        assert_eq!(a.body["field"], "role");
    }
    t.as_user(f.member(Role::Editor))
        .post(&path, json!({ "name": "Mine", "role": "viewer" }))
        .await
        .assert_problem(403, Code::Forbidden);
    let admin = f.member(Role::Admin);
    let k = create(&t, &f.id, admin, json!({ "name": "Ops", "role": "admin" })).await;
    let id = k["id"].as_str().unwrap();
    t.as_user(admin)
        .patch(&format!("{path}/{id}"), json!({ "role": "owner" }))
        .await
        .assert_problem(400, Code::ValidationFailed);
    // Bounds: names, expiry, projects.
    for (body, field) in [
        (json!({ "name": "", "role": "viewer" }), "name"),
        (
            json!({ "name": "X", "role": "viewer", "expiresInDays": 0 }),
            "expiresInDays",
        ),
        (
            json!({ "name": "X", "role": "viewer", "expiresInDays": 366 }),
            "expiresInDays",
        ),
        (
            json!({ "name": "X", "role": "viewer", "expiresInDays": null }),
            "expiresInDays",
        ),
        (
            json!({ "name": "X", "role": "viewer", "projectIds": ["web"] }),
            "projectIds",
        ),
    ] {
        let a = t.as_user(admin).post(&path, body.clone()).await;
        a.assert_problem(400, Code::ValidationFailed);
        assert_eq!(a.body["field"], field, "{body}");
    }
    // A key that never expires, once the settings allow it.
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}", f.id),
            json!({ "settings": { "invitePolicy": "admins", "allowNonExpiringApiKeys": true } }),
        )
        .await
        .assert_status(200);
    let forever = create(
        &t,
        &f.id,
        admin,
        json!({ "name": "Forever", "role": "viewer", "expiresInDays": null }),
    )
    .await;
    assert_eq!(forever["expiresAt"], Value::Null);
    // A one-day key is invalid the day after.
    let short = create(
        &t,
        &f.id,
        admin,
        json!({ "name": "Short", "role": "viewer", "expiresInDays": 1 }),
    )
    .await;
    let skey = short["key"].as_str().unwrap();
    assert!(valid_at(&t, skey, Timestamp::now()).await);
    assert!(!valid_at(&t, skey, Timestamp::now() + chrono::Duration::days(2)).await);
}

#[tokio::test]
async fn a_rolled_key_keeps_its_old_secret_for_the_grace_period_only() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Rolled", "pro", &[]).await;
    let k = create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "developer" }),
    )
    .await;
    let (id, old) = (
        k["id"].as_str().unwrap(),
        k["key"].as_str().unwrap().to_string(),
    );
    let roll = format!("/orgs/{}/api-keys/{id}/roll", f.id);
    let rolled = t
        .as_user(&f.owner)
        .post(&roll, json!({ "graceMinutes": 10 }))
        .await;
    let body = rolled.assert_status(200);
    let new = body["key"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(body["id"], id, "the same key, a new secret");
    assert!(body["previousValidUntil"].is_string());
    let now = Timestamp::now();
    assert!(
        is_valid(&t, &old).await && is_valid(&t, &new).await,
        "inside the grace period"
    );
    let later = now + chrono::Duration::minutes(11);
    assert!(!valid_at(&t, &old, later).await, "after it");
    assert!(valid_at(&t, &new, later).await);
    // Without grace the old secret stops at once.
    let again = t.as_user(&f.owner).post_empty(&roll).await;
    let newest = again.assert_status(200)["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!is_valid(&t, &new).await && !is_valid(&t, &old).await);
    assert!(is_valid(&t, &newest).await);
    for grace in [-1, 1441] {
        t.as_user(&f.owner)
            .post(&roll, json!({ "graceMinutes": grace }))
            .await
            .assert_problem(400, Code::ValidationFailed);
    }
}

#[tokio::test]
async fn a_copy_of_the_table_holds_no_key_and_verifies_none() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Copied", "pro", &[]).await;
    let k = create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "admin" }),
    )
    .await;
    let roll = format!("/orgs/{}/api-keys/{}/roll", f.id, k["id"].as_str().unwrap());
    let rolled = t
        .as_user(&f.owner)
        .post(&roll, json!({ "graceMinutes": 60 }))
        .await;
    let keys = [
        k["key"].as_str().unwrap().to_string(),
        rolled.assert_status(200)["key"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    let dump = t
        .table_items()
        .await
        .into_values()
        .collect::<Vec<_>>()
        .join("\n");
    use sha2::Digest;
    for key in &keys {
        // No part of the secret past the shown prefix, in any window of 12 characters, and no
        // plain hash of the key.
        let hidden = &key[service::api_keys::secret::KEY_PREFIX.len()
            + service::api_keys::secret::SHOWN_AFTER_PREFIX..];
        for i in 0..hidden.len() - 12 {
            assert!(
                !dump.contains(&hidden[i..i + 12]),
                "a piece of a key is stored"
            );
        }
        let sha = sha2::Sha256::digest(key.as_bytes());
        let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!dump.contains(&hex));
        use base64::Engine;
        assert!(!dump.contains(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha)));
    }
    // The same table without the server key (an attacker's copy, their own guess at the key):
    // neither the current nor the previous secret verifies.
    let mut config = (*t.app.config).clone();
    config.api_key_hash_key = b"attacker-guess-of-the-key".to_vec();
    let copy = service::App::new(
        config,
        integration_tests::dynamodb_client(&integration_tests::dynamodb_endpoint(), None).await,
        None,
        None,
    );
    for key in &keys {
        assert!(valid_at(&t, key, Timestamp::now()).await);
        let (view, _) = verify(&copy, key, &Asked::default(), Timestamp::now())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            json!({ "valid": false })
        );
    }
}

#[tokio::test]
async fn parallel_verifications_record_the_last_use_once_an_hour() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Parallel", "pro", &[]).await;
    let k = create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "viewer" }),
    )
    .await;
    let key = k["key"].as_str().unwrap().to_string();
    let now = Timestamp::now();
    let round = |at: Timestamp| {
        let (t, key) = (t.clone(), key.clone());
        async move {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..24 {
                let (t, key) = (t.clone(), key.clone());
                tasks.spawn(async move {
                    let asked = Asked {
                        permissions: vec![service::catalogue::PermId::parse("org.read").unwrap()],
                        project: None,
                    };
                    verify(&t.app, &key, &asked, at).await.unwrap().1.unwrap()
                });
            }
            tasks.join_all().await
        }
    };
    let count = |r: &[Recorded], what: Recorded| r.iter().filter(|x| **x == what).count();
    let first = round(now).await;
    assert_eq!(count(&first, Recorded::Written), 1, "{first:?}");
    assert_eq!(count(&first, Recorded::Failed), 0, "{first:?}");
    let listed = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/api-keys", f.id))
        .await;
    let used = listed.assert_status(200)["items"][0]["lastUsedAt"].clone();
    assert_eq!(used, json!(now.canonical()));
    let within = round(now + chrono::Duration::minutes(59)).await;
    assert_eq!(count(&within, Recorded::NotDue), 24, "{within:?}");
    let next = round(now + chrono::Duration::minutes(61)).await;
    assert_eq!(count(&next, Recorded::Written), 1, "{next:?}");
}

#[tokio::test]
async fn keys_of_a_closed_organization_cannot_write_can_be_revoked_and_are_purged() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let f = t.org_fixture("Closing", "pro", &[]).await;
    let a = create(&t, &f.id, &f.owner, json!({ "name": "A", "role": "admin" })).await;
    let b = create(&t, &f.id, &f.owner, json!({ "name": "B", "role": "admin" })).await;
    t.close_through_api(&f.id).await;
    let v = verify_http(
        &t,
        json!({ "key": a["key"], "permissions": ["projects.read", "projects.create"] }),
    )
    .await;
    assert_eq!(v["allowed"]["projects.read"], true, "reads still work");
    assert_eq!(v["allowed"]["projects.create"], false);
    assert_eq!(v["refused"]["projects.create"], "org_closed");
    // A leaked key is killable during grace; nothing else changes.
    let base = format!("/orgs/{}/api-keys", f.id);
    t.as_user(&f.owner)
        .delete(&format!("{base}/{}", b["id"].as_str().unwrap()))
        .await
        .assert_status(204);
    assert!(!is_valid(&t, b["key"].as_str().unwrap()).await);
    t.as_user(&f.owner)
        .post(&base, json!({ "name": "C", "role": "viewer" }))
        .await
        .assert_problem(409, Code::OrgClosed);
    // The purge deletes the keys with everything else.
    let later = Timestamp::now() + chrono::Duration::days(31);
    service::closure::purge::purge_due(
        &t.app,
        later,
        std::time::Instant::now() + std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert!(!is_valid(&t, a["key"].as_str().unwrap()).await);
    let left: Vec<String> = t
        .table_items()
        .await
        .into_keys()
        .filter(|k| k.contains("APIKEY#"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_removed_creators_keys_keep_working_and_their_removal_names_them() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Leaver", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let k = create(
        &t,
        &f.id,
        &admin,
        json!({ "name": "Theirs", "role": "viewer" }),
    )
    .await;
    let mine = create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Mine", "role": "viewer" }),
    )
    .await;
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, admin.id))
        .await
        .assert_status(204);
    assert!(is_valid(&t, k["key"].as_str().unwrap()).await);
    let list = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/api-keys", f.id))
        .await;
    let items = list.assert_status(200)["items"].as_array().unwrap().clone();
    let by_id = |id: &Value| items.iter().find(|i| i["id"] == *id).unwrap().clone();
    assert_eq!(by_id(&k["id"])["createdByMember"], false);
    assert_eq!(by_id(&mine["id"])["createdByMember"], true);
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=member.removed", f.id))
        .await;
    assert_eq!(
        log.assert_status(200)["items"][0]["details"]["apiKeyIds"],
        json!([k["id"]])
    );
}

#[tokio::test]
async fn an_organization_holds_at_most_50_keys() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Many", "pro", &[]).await;
    let path = format!("/orgs/{}/api-keys", f.id);
    let mut ids = Vec::new();
    for i in 0..service::api_keys::handlers::API_KEYS_PER_ORG {
        let k = create(
            &t,
            &f.id,
            &f.owner,
            json!({ "name": format!("K{i}"), "role": "viewer" }),
        )
        .await;
        ids.push(k["id"].as_str().unwrap().to_string());
    }
    let a = t
        .as_user(&f.owner)
        .post(&path, json!({ "name": "One more", "role": "viewer" }))
        .await;
    a.assert_problem(409, Code::LimitReached);
    assert_eq!(a.body["max"], 50);
    // Paginated; keys take no member seats.
    let page = t.as_user(&f.owner).get(&format!("{path}?limit=20")).await;
    let body = page.assert_status(200);
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    assert!(body["nextCursor"].is_string());
    let sub = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/subscription", f.id))
        .await;
    assert_eq!(sub.assert_status(200)["seats"]["used"], 1);
    // A revoked key frees its place.
    t.as_user(&f.owner)
        .delete(&format!("{path}/{}", ids[0]))
        .await
        .assert_status(204);
    create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Replacement", "role": "viewer" }),
    )
    .await;
}

#[tokio::test]
async fn verification_refuses_bad_questions_and_answers_malformed_keys_as_invalid() {
    let t = TestApp::new().await;
    for (body, code) in [
        (
            json!({ "key": "orgs_sk_x", "permissions": ["no.such"] }),
            Code::UnknownPermission,
        ),
        (
            json!({ "key": "orgs_sk_x", "projectId": "web" }),
            Code::ValidationFailed,
        ),
        (json!({ "permissions": [] }), Code::InvalidBody),
    ] {
        t.call("POST", "/api-keys/verify", None, Some(body))
            .await
            .assert_problem(400, code);
    }
    // A key sent in the wrong shape, or beside an unknown field: the problem never repeats it.
    for body in [
        json!({ "key": ["orgs_sk_topsecret"] }),
        json!({ "key": "orgs_sk_topsecret", "scope": "orgs_sk_topsecret" }),
    ] {
        let a = t.call("POST", "/api-keys/verify", None, Some(body)).await;
        a.assert_problem(400, Code::InvalidBody);
        assert!(!a.body.to_string().contains("topsecret"), "{}", a.body);
    }
}

/// A dependency failing under a verification: the read failing answers 503 with Retry-After
/// (never `valid: false`, which would tell a service to refuse a good key for good); the hourly
/// `lastUsedAt` write failing leaves the answer as it is.
#[tokio::test]
async fn a_verification_under_faults_answers_503_or_its_decision() {
    use integration_tests::faults::{Fault, Faults, Plan};
    let t = TestApp::with_faults(|_| {}).await;
    let f = t.org_fixture("Faulted", "pro", &[]).await;
    let k = create(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "viewer" }),
    )
    .await;
    let key = k["key"].as_str().unwrap().to_string();
    let faulty = t.faulty.clone().unwrap();
    let asked = Asked {
        permissions: vec![service::catalogue::PermId::parse("projects.read").unwrap()],
        project: None,
    };
    let plan = |operation, fault| {
        Some(Plan {
            operation: Some(operation),
            call: 0,
            fault,
            every_attempt: true,
        })
    };
    for fault in [Fault::Throttle, Fault::ServerError, Fault::Reset] {
        let (answer, calls) = Faults::scope(
            plan("BatchGetItem", fault),
            verify(&faulty, &key, &asked, Timestamp::now()),
        )
        .await;
        assert!(calls[0].faulted, "{fault}");
        let Err(e) = answer else {
            panic!("{fault}: a failed read is no answer")
        };
        assert_eq!(
            (e.code, e.retry_after.is_some()),
            (Code::ServiceUnavailable, true),
            "{fault}"
        );
        // The use is due (never recorded, or an hour later): the write fails, the answer stands.
        let later = Timestamp::now() + chrono::Duration::hours(2);
        let (answer, calls) = Faults::scope(
            plan("UpdateItem", fault),
            verify(&faulty, &key, &asked, later),
        )
        .await;
        let (view, recorded) = answer.unwrap();
        assert!(
            calls
                .iter()
                .any(|c| c.operation == "UpdateItem" && c.faulted),
            "{fault}: {calls:?}"
        );
        assert_eq!(recorded, Some(Recorded::Failed), "{fault}");
        let view = serde_json::to_value(view).unwrap();
        assert_eq!(
            (
                view["valid"].as_bool(),
                view["allowed"]["projects.read"].as_bool()
            ),
            (Some(true), Some(true))
        );
    }
}

/// Production: the route admits a request API Gateway's IAM authorizer signed off (its context
/// names the caller's IAM identity), and nobody else: not a person's JWT, not a bare request.
#[tokio::test]
async fn production_verification_needs_the_iam_authorizer() {
    let t = TestApp::with_config(|c| c.auth = service::config::AuthMode::Jwt).await;
    let event = std::fs::read_to_string(
        integration_tests::repo_root().join("events/apigw-verify-api-key.json"),
    )
    .unwrap();
    let route = service::routes::route("verify-api-key");
    let answer = |event: &Value| {
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        let app = t.app.clone();
        async move {
            let resp = service::pipeline::handle(&app, route, req).await;
            let lambda_http::Body::Text(body) = resp.body() else {
                panic!("text body")
            };
            (
                resp.status().as_u16(),
                serde_json::from_str::<Value>(body).unwrap(),
            )
        }
    };
    let signed: Value = serde_json::from_str(&event).unwrap();
    // The sample's key is the spec's example: well-formed, in no organization of this table.
    assert_eq!(answer(&signed).await, (200, json!({ "valid": false })));
    let mut bare = signed.clone();
    bare["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let mut person = signed.clone();
    person["requestContext"]["authorizer"] =
        json!({ "jwt": { "claims": { "sub": "user-alice" }, "scopes": null } });
    for unsigned in [bare, person] {
        let (status, body) = answer(&unsigned).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthenticated")),
            "{body}"
        );
    }
}

/// A key that expired is not rolled: its new secret would never verify. The key is written as
/// creation writes one (the item's own operations), with an expiry already past.
#[tokio::test]
async fn an_expired_key_is_not_rolled() {
    use service::api_keys::{item::ApiKeyItem, secret};
    use service::domain::{ApiKeyId, DisplayName, OrgId, UserId};
    use service::permissions::RoleRef;
    let t = TestApp::new().await;
    let f = t.org_fixture("Expired keys", "pro", &[]).await;
    let org = OrgId::parse(&f.id).unwrap();
    let now = Timestamp::now();
    let key_id = ApiKeyId::new();
    let minted = secret::mint(
        &secret::API_KEY,
        t.app.config.require_api_key_hash_key().unwrap(),
        &org,
        &key_id,
    )
    .unwrap();
    let key = ApiKeyItem::new(
        &org,
        key_id.clone(),
        DisplayName::parse("name", "old CI").unwrap(),
        RoleRef::System(Role::Viewer),
        Vec::new(),
        &UserId::parse("userId", f.owner.id.as_str()).unwrap(),
        Some(now - chrono::Duration::days(1)),
        (minted.digest, minted.prefix),
        now - chrono::Duration::days(31),
    );
    let tx = key.create(t.app.store.tx()).unwrap();
    let tx = t.org_item(&f.id).await.api_key_created(tx, 50).unwrap();
    let tx = service::members::item::MemberItem::keys_changed(
        tx,
        &org,
        &key.created_by,
        &key_id,
        true,
        service::error::ApiError::internal("creator"),
    )
    .unwrap();
    t.app.store.commit(tx).await.unwrap();
    assert!(!is_valid(&t, &minted.key).await, "expired");
    let a = t
        .as_user(&f.owner)
        .post(&format!("/orgs/{}/api-keys/{key_id}/roll", f.id), json!({}))
        .await;
    a.assert_problem(409, Code::ApiKeyExpired);
    // Revoking it still works (and is what the answer suggests, with a new key).
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/api-keys/{key_id}", f.id))
        .await
        .assert_status(204);
}

/// Issue 38's race: the setting that allows keys without expiry turned off while such a key is
/// created. Each attempt either lands before the change or is refused for the setting, never
/// for a limit of keys the organization is nowhere near.
#[tokio::test]
async fn a_key_racing_the_setting_it_needs_is_refused_for_that_setting() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Racing setting", "pro", &[]).await;
    let org = format!("/orgs/{}", f.id);
    let settings = |allow: bool| json!({ "settings": { "invitePolicy": "admins", "allowNonExpiringApiKeys": allow } });
    let keys = format!("{org}/api-keys");
    let (owner, owner2) = (t.as_user(&f.owner), t.as_user(&f.owner));
    let mut refused = 0;
    for round in 0..20 {
        t.as_user(&f.owner)
            .patch(&org, settings(true))
            .await
            .assert_status(200);
        let (off, key) = tokio::join!(
            owner.patch(&org, settings(false)),
            owner2.post(
                &keys,
                json!({ "name": format!("K{round}"), "role": "viewer", "expiresInDays": null }),
            )
        );
        off.assert_status(200);
        match key.status {
            201 => {}
            _ => {
                refused += 1;
                let detail = key.body["detail"].as_str().unwrap_or_default().to_string();
                let code = key.body["code"].as_str().unwrap_or_default();
                assert!(
                    [
                        Code::ConcurrentUpdate.as_str(),
                        Code::ValidationFailed.as_str()
                    ]
                    .contains(&code)
                        && detail.contains("expiresInDays"),
                    "round {round}: {} {}",
                    key.status,
                    key.body
                );
            }
        }
    }
    eprintln!("refused for the setting in {refused} of 20 rounds");
}

/// An organization written before the key count listed every key on its item (`apiKeys`,
/// `<keyId> <creatorId>`, the shape those versions stored): those keys still count toward the
/// limit, their creators' removal still names them, and revoking one takes it off the list; new
/// keys are counted and recorded on their creator's membership, which a revocation by someone
/// else keeps exact.
#[tokio::test]
async fn keys_listed_before_the_count_still_count_and_name_their_creators() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Listed", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let path = format!("/orgs/{}/api-keys", f.id);
    let old = create(
        &t,
        &f.id,
        &admin,
        json!({ "name": "Old", "role": "viewer" }),
    )
    .await;
    let old_id = old["id"].as_str().unwrap().to_string();
    // As an older version stored it: the key listed, no count, nothing on the membership.
    let mut item = t.org_item(&f.id).await;
    item.api_keys.count = 0;
    item.api_keys.listed = [format!("{old_id} {}", admin.id)].into();
    let member_key = service::members::item::MemberItem::key_of(
        &service::domain::OrgId::parse(&f.id).unwrap(),
        &service::domain::UserId::parse("userId", &admin.id).unwrap(),
    );
    let tx = t
        .store_as_before(&item)
        .update(
            member_key,
            "REMOVE keysCreated",
            None,
            service::store::Expr::new(),
            service::error::ApiError::internal("update"),
        )
        .unwrap();
    t.app.store.commit(tx).await.unwrap();
    assert_eq!(t.org_item(&f.id).await.api_keys.total(), 1);
    // 49 more fit, the 51st does not.
    let mut ids = Vec::new();
    for i in 0..49 {
        let k = create(
            &t,
            &f.id,
            &f.owner,
            json!({ "name": format!("K{i}"), "role": "viewer" }),
        )
        .await;
        ids.push(k["id"].as_str().unwrap().to_string());
    }
    t.as_user(&f.owner)
        .post(&path, json!({ "name": "One more", "role": "viewer" }))
        .await
        .assert_problem(409, Code::LimitReached);
    // The admin creates none (there is no room), so revoke one of the owner's as the admin: the
    // owner's membership forgets it.
    t.as_user(&admin)
        .delete(&format!("{path}/{}", ids[0]))
        .await
        .assert_status(204);
    let mine = create(
        &t,
        &f.id,
        &admin,
        json!({ "name": "New", "role": "viewer" }),
    )
    .await;
    let owner_member: Vec<service::members::item::MemberItem> = t
        .app
        .store
        .batch_get_as(vec![service::members::item::MemberItem::key_of(
            &service::domain::OrgId::parse(&f.id).unwrap(),
            &service::domain::UserId::parse("userId", &f.owner.id).unwrap(),
        )])
        .await
        .unwrap();
    let theirs = &owner_member[0].keys_created;
    assert_eq!(
        theirs.len(),
        48,
        "the 49 the owner created, less the revoked one"
    );
    assert!(!theirs.contains(&ids[0]));
    let org = t.org_item(&f.id).await;
    assert_eq!((org.api_keys.count, org.api_keys.listed.len()), (49, 1));
    // The admin leaves: both their keys, the listed one and the counted one, are named.
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, admin.id))
        .await
        .assert_status(204);
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=member.removed", f.id))
        .await;
    let mut named: Vec<String> = log.assert_status(200)["items"][0]["details"]["apiKeyIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    named.sort();
    let mut expected = vec![old_id.clone(), mine["id"].as_str().unwrap().to_string()];
    expected.sort();
    assert_eq!(named, expected);
    // Revoking the listed key takes it off the list and out of the orphans.
    t.as_user(&f.owner)
        .delete(&format!("{path}/{old_id}"))
        .await
        .assert_status(204);
    let org = t.org_item(&f.id).await;
    assert_eq!(org.api_keys.listed.len(), 0);
    assert_eq!(org.api_keys.total(), 49);
    assert_eq!(
        org.api_keys.orphaned.iter().collect::<Vec<_>>(),
        vec![mine["id"].as_str().unwrap()]
    );
}
