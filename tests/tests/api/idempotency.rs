//! `Idempotency-Key` on writes (issue 42): a retry answers the first answer and makes nothing
//! twice; another request under the same key is refused; parallel twins make one thing. Against
//! DynamoDB Local, through the pipeline as production runs it.

use crate::machines::{allow_keys, key_caller};
use integration_tests::{Answer, TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

async fn with_key(
    t: &TestApp,
    method: &str,
    path: &str,
    who: &User,
    body: Option<Value>,
    key: &str,
) -> Answer {
    t.call_with(
        method,
        path,
        Some(&who.token),
        body,
        &[("idempotency-key", key)],
    )
    .await
}

async fn names_of_teams(t: &TestApp, org: &str, by: &User) -> Vec<String> {
    t.as_user(by)
        .get(&format!("/orgs/{org}/teams"))
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_retried_create_answers_the_first_answer_and_makes_one_thing() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Retries", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let teams = format!("/orgs/{}/teams", f.id);
    let body = json!({ "name": "Platform" });
    let first = with_key(
        &t,
        "POST",
        &teams,
        &admin,
        Some(body.clone()),
        "create-platform-1",
    )
    .await;
    first.assert_status(201);
    assert!(!first.headers.contains_key("idempotent-replayed"));
    let again = with_key(
        &t,
        "POST",
        &teams,
        &admin,
        Some(body.clone()),
        "create-platform-1",
    )
    .await;
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(names_of_teams(&t, &f.id, &admin).await, vec!["Platform"]);
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=team.created", f.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        1,
        "one change, one entry: {log}"
    );

    // Another body under the same key: 422, nothing made.
    with_key(
        &t,
        "POST",
        &teams,
        &admin,
        Some(json!({ "name": "Other" })),
        "create-platform-1",
    )
    .await
    .assert_problem(422, Code::IdempotencyKeyReused);
    // Another path under the same key too.
    with_key(
        &t,
        "PATCH",
        &format!("/orgs/{}", f.id),
        &admin,
        Some(json!({ "name": "Renamed" })),
        "create-platform-1",
    )
    .await
    .assert_problem(422, Code::IdempotencyKeyReused);
    // The same key from another caller is another key.
    let owner_made = with_key(
        &t,
        "POST",
        &teams,
        &f.owner,
        Some(json!({ "name": "Owners" })),
        "create-platform-1",
    )
    .await;
    owner_made.assert_status(201);
    // Without the header nothing changes: a second create is a second team.
    t.as_user(&admin)
        .post(&teams, body.clone())
        .await
        .assert_status(201);
    let mut names = names_of_teams(&t, &f.id, &admin).await;
    names.sort();
    assert_eq!(names, vec!["Owners", "Platform", "Platform"]);

    // A key that cannot be one: 400 before anything is read.
    for bad in ["", &"k".repeat(256), "caf\u{e9}"] {
        with_key(
            &t,
            "POST",
            &teams,
            &admin,
            Some(json!({ "name": "X" })),
            bad,
        )
        .await
        .assert_problem(400, Code::InvalidIdempotencyKey);
    }
    let at_limit = "k".repeat(255);
    with_key(
        &t,
        "POST",
        &teams,
        &admin,
        Some(json!({ "name": "Limit" })),
        &at_limit,
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn the_record_rides_in_the_routes_own_read_and_transaction() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let f = t.org_fixture("Requests", "pro", &[]).await;
    let teams = format!("/orgs/{}/teams", f.id);
    let count = |key: Option<&'static str>, name: &'static str| {
        let (t, teams, owner) = (&t, teams.clone(), f.owner.clone());
        async move {
            t.requests.reset();
            let headers: Vec<(&str, &str)> =
                key.map(|k| ("idempotency-key", k)).into_iter().collect();
            let a = t
                .call_with(
                    "POST",
                    &teams,
                    Some(&owner.token),
                    Some(json!({ "name": name })),
                    &headers,
                )
                .await;
            (a.status, t.requests.operations())
        }
    };
    let plain = count(None, "A").await;
    let keyed = count(Some("team-b"), "B").await;
    let replayed = count(Some("team-b"), "B").await;
    assert_eq!(plain, (201, vec!["BatchGetItem", "TransactWriteItems"]));
    assert_eq!(keyed, plain, "the record adds no request");
    assert_eq!(
        replayed,
        (201, vec!["BatchGetItem"]),
        "a replay reads, writes nothing"
    );
    // An API key as the caller: its item takes the membership's place in the same read.
    allow_keys(&t, &f.id, &f.owner, true).await;
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "admin" }),
    )
    .await;
    t.requests.reset();
    t.call_with(
        "POST",
        &teams,
        Some(&key.token),
        Some(json!({ "name": "By a key" })),
        &[("idempotency-key", "team-by-key")],
    )
    .await
    .assert_status(201);
    assert_eq!(
        t.requests.operations(),
        vec!["BatchGetItem", "TransactWriteItems"],
        "a key with an Idempotency-Key: still one read and one write"
    );
    // A person's route (no organization read to ride): one GetItem more, only with the header.
    t.requests.reset();
    t.call_with(
        "POST",
        "/orgs",
        Some(&f.owner.token),
        Some(json!({ "name": "Second" })),
        &[("idempotency-key", "org-2")],
    )
    .await
    .assert_status(201);
    let keyed_org = t.requests.operations();
    t.requests.reset();
    let again = t
        .call_with(
            "POST",
            "/orgs",
            Some(&f.owner.token),
            Some(json!({ "name": "Second" })),
            &[("idempotency-key", "org-2")],
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(
        t.requests.operations(),
        vec!["BatchGetItem"],
        "the replay only reads"
    );
    assert_eq!(keyed_org.first(), Some(&"BatchGetItem"), "{keyed_org:?}");
    assert_eq!(
        keyed_org.last(),
        Some(&"TransactWriteItems"),
        "{keyed_org:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_parallel_requests_with_one_key_make_one_thing() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Parallel", "pro", &[]).await;
    allow_keys(&t, &f.id, &f.owner, true).await;
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "admin" }),
    )
    .await;
    let invitations = format!("/orgs/{}/invitations", f.id);
    let body = json!({ "email": "contractor@example.com", "role": "developer" });
    // Truly parallel: eight tasks on the runtime's threads.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (t, key, invitations, body) =
            (t.clone(), key.clone(), invitations.clone(), body.clone());
        tasks.spawn(async move {
            with_key(
                &t,
                "POST",
                &invitations,
                &key,
                Some(body),
                "invite-contractor",
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(
        !created.is_empty(),
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, &a.body))
            .collect::<Vec<_>>()
    );
    for a in &answers {
        match a.status {
            201 => assert_eq!(
                a.body["id"], created[0].body["id"],
                "one invitation: {}",
                a.body
            ),
            409 => {
                assert_eq!(a.body["code"], "idempotency_key_in_flight", "{}", a.body);
                assert_eq!(a.headers["retry-after"], "1");
            }
            other => panic!("{other}: {}", a.body),
        }
    }
    let listed = t
        .as_user(&f.owner)
        .get(&invitations)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    // Every later retry answers the first answer's invitation.
    let later = with_key(
        &t,
        "POST",
        &invitations,
        &key,
        Some(body.clone()),
        "invite-contractor",
    )
    .await;
    assert_eq!(later.status, 201);
    assert_eq!(later.body["id"], created[0].body["id"]);
}

#[tokio::test]
async fn a_lost_answer_is_replayed_whatever_changed_since_and_the_table_reveals_no_secret() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Lost answers", "pro", &[]).await;
    // An API key's creation shows the key once; its retry shows the same key, which the table
    // holds nowhere (the answer is sealed).
    let keys = format!("/orgs/{}/api-keys", f.id);
    let body = json!({ "name": "Deployer", "role": "developer" });
    let made = with_key(
        &t,
        "POST",
        &keys,
        &f.owner,
        Some(body.clone()),
        "mint-deployer",
    )
    .await;
    made.assert_status(201);
    let again = with_key(
        &t,
        "POST",
        &keys,
        &f.owner,
        Some(body.clone()),
        "mint-deployer",
    )
    .await;
    assert_eq!(again.body["key"], made.body["key"]);
    let secret = made.body["key"].as_str().unwrap();
    let table = serde_json::to_string(&t.table_items().await).unwrap();
    assert!(!table.contains(secret), "the key is in the table");
    assert!(
        !table.contains("mint-deployer"),
        "the idempotency key is in the table"
    );
    let listed = t
        .as_user(&f.owner)
        .get(&keys)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // A removal retried after it took effect: the first answer, not "not found".
    let team = t
        .as_user(&f.owner)
        .post(&format!("/orgs/{}/teams", f.id), json!({ "name": "Gone" }))
        .await
        .assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/orgs/{}/teams/{team}", f.id);
    with_key(&t, "DELETE", &path, &f.owner, None, "delete-gone")
        .await
        .assert_status(204);
    let retried = with_key(&t, "DELETE", &path, &f.owner, None, "delete-gone").await;
    assert_eq!(retried.status, 204);
    assert_eq!(retried.headers["idempotent-replayed"], "true");
    // A closure retried once the organization is closed: its answer, not `org_closed`.
    let close = format!("/orgs/{}/close", f.id);
    let confirm = json!({ "confirmName": "Lost answers" });
    let closed = with_key(
        &t,
        "POST",
        &close,
        &f.owner,
        Some(confirm.clone()),
        "close-it",
    )
    .await;
    closed.assert_status(200);
    let retried = with_key(
        &t,
        "POST",
        &close,
        &f.owner,
        Some(confirm.clone()),
        "close-it",
    )
    .await;
    assert_eq!((retried.status, &retried.body), (200, &closed.body));
    // Another request under a fresh key is decided as usual.
    with_key(&t, "POST", &close, &f.owner, Some(confirm), "close-again")
        .await
        .assert_problem(409, Code::OrgClosed);
}
