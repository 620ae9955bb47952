//! Directory sync: SCIM tokens, and the SCIM 2.0 service provider (users, deactivation,
//! reinstatement, seats, filters, PATCH shapes of Okta and Entra ID), against DynamoDB Local.

use crate::authorization::Fixture;
use integration_tests::{Answer, TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success). The SCIM route takes the organization's SCIM token: no person's token opens it.
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "get-directory" => (None, 200),
        "set-directory" => (Some(json!({ "defaultRole": "viewer" })), 200),
        "list-scim-tokens" => (None, 200),
        "create-scim-token" => (Some(json!({ "name": "Okta" })), 201),
        "revoke-scim-token" => (None, 204),
        "scim" => (None, 401),
        _ => return None,
    })
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An organization on `plan` with a SCIM token: (org id, owner, token).
async fn directory(t: &TestApp, plan: &str) -> (String, User, String) {
    let f = t.org_fixture("Directory Inc", plan, &[]).await;
    let token = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/scim-tokens", f.id),
            json!({ "name": "Okta" }),
        )
        .await;
    let token = token.assert_status(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    (f.id, f.owner, token)
}

async fn scim(t: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    t.call(method, path, Some(token), body).await
}

fn user_body(name: &str, email: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "name": { "givenName": "Given", "familyName": "Family" },
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
    })
}

#[tokio::test]
async fn tokens_are_shown_once_limited_and_revoked_tokens_answer_401() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Tokens Inc", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin);
    let path = format!("/orgs/{}/scim-tokens", f.id);
    let a = t
        .as_user(admin)
        .post(&path, json!({ "name": "Okta" }))
        .await;
    let body = a.assert_status(201).clone();
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("orgs_scim_"), "{body}");
    assert_eq!(
        body["baseUrl"],
        format!("https://api.example.com/orgs/{}/scim/v2", f.id)
    );
    assert!(token.starts_with(body["prefix"].as_str().unwrap()));
    // Listed without the token; usable at once.
    let list = t.as_user(admin).get(&path).await;
    let items = list.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert!(items[0].get("token").is_none() && !list.body.to_string().contains(&token));
    let users = format!("/orgs/{}/scim/v2/Users", f.id);
    assert_eq!(scim(&t, &token, "GET", &users, None).await.status, 200);
    // Three at most (two for a rotation, one spare).
    for _ in 0..2 {
        t.as_user(admin)
            .post(&path, json!({ "name": "more" }))
            .await
            .assert_status(201);
    }
    let a = t
        .as_user(admin)
        .post(&path, json!({ "name": "fourth" }))
        .await;
    a.assert_problem(409, Code::LimitReached);
    let a = t
        .as_user(admin)
        .post(&path, json!({ "name": "x", "expiresInDays": 0 }))
        .await;
    a.assert_problem(400, Code::ValidationFailed);
    // Revoked: the next request with it is refused, as any other bad token is.
    let id = body["id"].as_str().unwrap();
    let a = t.as_user(admin).delete(&format!("{path}/{id}")).await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = scim(&t, &token, "GET", &users, None).await;
    a.assert_problem(401, Code::Unauthenticated);
    assert_eq!(a.headers["content-type"], "application/scim+json");
    assert_eq!(a.body["status"], "401");
    // A new token fits again; audit entries name both changes.
    t.as_user(admin)
        .post(&path, json!({ "name": "again" }))
        .await
        .assert_status(201);
    let log = t
        .as_user(&f.owner)
        .get(&format!(
            "/orgs/{}/audit-log?action=scim_token.revoked",
            f.id
        ))
        .await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
    assert!(!log.body.to_string().contains(&token));
}

#[tokio::test]
async fn every_bad_token_gets_the_same_401() {
    let t = TestApp::new().await;
    let (org, owner, token) = directory(&t, "pro").await;
    let (other, _, other_token) = directory(&t, "pro").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    // An expired token, made as the route makes one but with a past expiry.
    let expired = {
        use service::api_keys::secret;
        use service::directory::item::token::ScimTokenItem;
        use service::domain::{DisplayName, OrgId, ScimTokenId, Timestamp, UserId};
        let org_id = OrgId::parse(&org).unwrap();
        let id = ScimTokenId::new();
        let minted = secret::mint(
            &secret::SCIM_TOKEN,
            t.app.config.require_api_key_hash_key().unwrap(),
            &org_id,
            &id,
        )
        .unwrap();
        let now = Timestamp::now();
        let item = ScimTokenItem::new(
            &org_id,
            id,
            DisplayName::parse("name", "old").unwrap(),
            &UserId::parse("u", &owner.id).unwrap(),
            Some(now - chrono::Duration::seconds(1)),
            (minted.digest, minted.prefix),
            now - chrono::Duration::days(2),
        );
        t.app
            .store
            .commit(item.create(t.app.store.tx()).unwrap())
            .await
            .unwrap();
        minted.key
    };
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("none", None),
        ("empty", Some(String::new())),
        ("garbage", Some("orgs_scim_nope".into())),
        ("another organization's", Some(other_token.clone())),
        ("tampered", Some(tampered)),
        ("expired", Some(expired)),
        ("a person's JWT", Some(owner.token.clone())),
    ];
    let mut details = Vec::new();
    for (what, token) in cases {
        let a = t.call("GET", &users, token.as_deref(), None).await;
        assert_eq!(a.status, 401, "{what}: {}", a.body);
        assert_eq!(
            a.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        details.push(a.body["detail"].clone());
    }
    details.dedup();
    assert_eq!(details.len(), 1, "every refusal looks the same");
    // The other organization's token works on its own directory.
    let a = scim(
        &t,
        &other_token,
        "GET",
        &format!("/orgs/{other}/scim/v2/Users"),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Discovery needs the token too; unknown endpoints say so after it.
    let a = t
        .call("GET", &format!("/orgs/{org}/scim/v2/Nope"), None, None)
        .await;
    assert_eq!(a.status, 401);
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("/orgs/{org}/scim/v2/Nope"),
        None,
    )
    .await;
    a.assert_problem(404, Code::ScimResourceNotFound);
}

#[tokio::test]
async fn users_round_trip_with_unique_case_insensitive_user_names() {
    let t = TestApp::new().await;
    let (org, _, token) = directory(&t, "pro").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    let (a, ops) = {
        t.requests.reset();
        let a = scim(
            &t,
            &token,
            "POST",
            &users,
            Some(user_body("Alice@Example.com", "alice@corp.example")),
        )
        .await;
        (a, t.requests.operations())
    };
    let alice = a.assert_status(201).clone();
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    assert_eq!(a.headers["content-type"], "application/scim+json");
    let id = alice["id"].as_str().unwrap();
    assert_eq!(
        a.headers["location"],
        format!("https://api.example.com{users}/{id}")
    );
    assert_eq!(alice["meta"]["location"], a.headers["location"]);
    assert_eq!(alice["meta"]["resourceType"], "User");
    assert_eq!(alice["name"]["givenName"], "Given");
    assert_eq!(alice["active"], true);
    // Read back: the same resource.
    let got = scim(&t, &token, "GET", &format!("{users}/{id}"), None).await;
    assert_eq!(got.assert_status(200), &alice);
    // userName is unique, not case-exact.
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("alice@example.COM", "x@corp.example")),
    )
    .await;
    a.assert_problem(409, Code::ScimUniqueness);
    assert_eq!(a.body["scimType"], "uniqueness");
    // A required attribute missing, a wrong type: invalidValue.
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(json!({ "schemas": [USER], "emails": [] })),
    )
    .await;
    a.assert_problem(400, Code::ScimInvalidValue);
    assert_eq!(a.body["scimType"], "invalidValue");
    // Unknown ids are 404.
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("{users}/dusr_00000000000000000000000000000000"),
        None,
    )
    .await;
    a.assert_problem(404, Code::ScimResourceNotFound);
    let a = scim(&t, &token, "GET", &format!("{users}/nonsense"), None).await;
    a.assert_problem(404, Code::ScimResourceNotFound);
    // PUT replaces (a rename moves the unique name); the old name is free again.
    let mut put = user_body("alice.new@example.com", "alice@corp.example");
    put["displayName"] = json!("Alice");
    let a = scim(&t, &token, "PUT", &format!("{users}/{id}"), Some(put)).await;
    assert_eq!(a.assert_status(200)["userName"], "alice.new@example.com");
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("alice@example.com", "a2@corp.example")),
    )
    .await;
    a.assert_status(201);
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("ALICE.NEW@example.com", "a3@corp.example")),
    )
    .await;
    a.assert_problem(409, Code::ScimUniqueness);
    // DELETE: gone, and 404 after.
    let a = scim(&t, &token, "DELETE", &format!("{users}/{id}"), None).await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = scim(&t, &token, "GET", &format!("{users}/{id}"), None).await;
    a.assert_problem(404, Code::ScimResourceNotFound);
}

#[tokio::test]
async fn filters_pagination_and_attribute_projection() {
    let t = TestApp::new().await;
    let (org, _, token) = directory(&t, "pro").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    let mut ids = Vec::new();
    for i in 0..7 {
        let a = scim(
            &t,
            &token,
            "POST",
            &users,
            Some(user_body(
                &format!("user{i}@example.com"),
                &format!("u{i}@corp.example"),
            )),
        )
        .await;
        ids.push(a.assert_status(201)["id"].as_str().unwrap().to_string());
    }
    let get = |q: &str| {
        let (t, token, users) = (t.clone(), token.clone(), users.clone());
        let q = q.to_string();
        async move { scim(&t, &token, "GET", &format!("{users}?{q}"), None).await }
    };
    // userName eq, not case-exact; two requests.
    t.requests.reset();
    let a = get("filter=userName%20eq%20%22USER3@example.com%22").await;
    let body = a.assert_status(200);
    assert_eq!(t.requests.operations().len(), 2);
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(body["totalResults"], 1);
    assert_eq!(body["Resources"][0]["id"], ids[3].as_str());
    // externalId, emails.value, emails[type eq "work"].value, joined by and.
    for f in [
        "externalId%20eq%20%22ext-user4@example.com%22",
        "emails.value%20eq%20%22U4@corp.example%22",
        "emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22u4@corp.example%22",
        "userName%20eq%20%22user4@example.com%22%20and%20externalId%20eq%20%22ext-user4@example.com%22",
    ] {
        let a = get(&format!("filter={f}")).await;
        let body = a.assert_status(200);
        assert_eq!(body["totalResults"], 1, "{f}: {body}");
        assert_eq!(body["Resources"][0]["id"], ids[4].as_str());
    }
    let a =
        get("filter=userName%20eq%20%22user4@example.com%22%20and%20externalId%20eq%20%22other%22")
            .await;
    assert_eq!(a.assert_status(200)["totalResults"], 0);
    let a = get("filter=userName%20eq%20%22nobody%22").await;
    assert_eq!(a.assert_status(200)["Resources"], json!([]));
    // Anything else: 400 invalidFilter.
    for f in [
        "userName%20sw%20%22u%22",
        "title%20eq%20%22x%22",
        "userName%20eq%20%22a%22%20or%20userName%20eq%20%22b%22",
    ] {
        let a = get(&format!("filter={f}")).await;
        a.assert_problem(400, Code::ScimInvalidFilter);
        assert_eq!(a.body["scimType"], "invalidFilter");
    }
    // Pages: startIndex is 1-based, count bounded, totalResults the whole.
    let a = get("startIndex=3&count=2").await;
    let body = a.assert_status(200);
    assert_eq!(
        (
            body["totalResults"].clone(),
            body["itemsPerPage"].clone(),
            body["startIndex"].clone()
        ),
        (json!(7), json!(2), json!(3))
    );
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(body["Resources"][0]["id"], sorted[2].as_str());
    let a = get("startIndex=7&count=5").await;
    assert_eq!(a.assert_status(200)["itemsPerPage"], 1);
    let a = get("count=0").await;
    assert_eq!(
        (a.body["totalResults"].clone(), a.body["Resources"].clone()),
        (json!(7), json!([]))
    );
    // attributes / excludedAttributes.
    let a = get("attributes=userName&count=1").await;
    let r = &a.assert_status(200)["Resources"][0];
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, vec!["id", "schemas", "userName"]);
    let a = get("excludedAttributes=emails,name.familyName&count=1").await;
    let r = &a.assert_status(200)["Resources"][0];
    assert!(
        r.get("emails").is_none()
            && r["name"].get("familyName").is_none()
            && r["name"]["givenName"] == "Given",
        "{r}"
    );
}

#[tokio::test]
async fn okta_and_entra_patch_shapes() {
    let t = TestApp::new().await;
    let (org, _, token) = directory(&t, "pro").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("pat@example.com", "pat@corp.example")),
    )
    .await;
    let id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    let user = format!("{users}/{id}");
    // Okta: replace with a value object.
    let a = scim(&t, &token, "PATCH", &user, Some(json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "active": false } }] }))).await;
    assert_eq!(a.assert_status(200)["active"], false);
    // Entra: capitalised op, "True" as a string, paths with filters, dotted names.
    let a = scim(&t, &token, "PATCH", &user, Some(json!({ "schemas": [PATCH], "Operations": [
        { "op": "Replace", "path": "active", "value": "True" },
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "pat.new@corp.example" },
        { "op": "Add", "value": { "name.familyName": "Newname", "displayName": "Pat" } },
        { "op": "Remove", "path": "externalId" },
    ] }))).await;
    let body = a.assert_status(200);
    assert_eq!(body["active"], true);
    assert_eq!(body["emails"][0]["value"], "pat.new@corp.example");
    assert_eq!(body["name"]["familyName"], "Newname");
    assert_eq!(body["displayName"], "Pat");
    assert!(body.get("externalId").is_none());
    // Persisted, and findable by the new email.
    let got = scim(&t, &token, "GET", &user, None).await;
    assert_eq!(got.assert_status(200), body);
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("{users}?filter=emails.value%20eq%20%22pat.new@corp.example%22"),
        None,
    )
    .await;
    assert_eq!(a.body["totalResults"], 1);
    // Malformed: not a PatchOp, an unknown op, an invalid result.
    let a = scim(
        &t,
        &token,
        "PATCH",
        &user,
        Some(json!({ "Operations": [] })),
    )
    .await;
    a.assert_problem(400, Code::ScimInvalidSyntax);
    let a = scim(&t, &token, "PATCH", &user, Some(json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "userName", "value": "" }] }))).await;
    a.assert_problem(400, Code::ScimInvalidValue);
    let a = scim(&t, &token, "PATCH", &user, Some(json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": "perhaps" }] }))).await;
    a.assert_problem(400, Code::ScimInvalidValue);
}

#[tokio::test]
async fn provisioned_people_hold_seats_and_parallel_bursts_keep_names_unique_and_seats_exact() {
    let t = TestApp::new().await;
    // starter: 5 seats; the owner holds one.
    let (org, owner, token) = directory(&t, "starter").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    // A burst of the same userName: one is created.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (t, token, users) = (t.clone(), token.clone(), users.clone());
        tasks.spawn(async move {
            scim(
                &t,
                &token,
                "POST",
                &users,
                Some(user_body("same@example.com", &format!("s{i}@corp.example"))),
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers.iter().map(|a| a.body.clone()).collect::<Vec<_>>()
    );
    assert!(answers
        .iter()
        .filter(|a| a.status != 201)
        .all(|a| a.status == 409));
    // A burst of distinct people: exactly the free seats (3) are taken.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (t, token, users) = (t.clone(), token.clone(), users.clone());
        tasks.spawn(async move {
            scim(
                &t,
                &token,
                "POST",
                &users,
                Some(user_body(
                    &format!("p{i}@example.com"),
                    &format!("p{i}@corp.example"),
                )),
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let ok: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(
        ok.len(),
        3,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.body["code"].clone()))
            .collect::<Vec<_>>()
    );
    assert!(answers
        .iter()
        .filter(|a| a.status != 201)
        .all(|a| a.status == 402 || a.status == 409));
    let sub = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/subscription"))
        .await;
    assert_eq!(sub.body["seats"]["used"], 5, "{}", sub.body);
    // Deactivating one frees its seat; reactivating needs one.
    let id = ok[0].body["id"].as_str().unwrap();
    let patch = |active: bool| json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": active }] });
    let a = scim(
        &t,
        &token,
        "PATCH",
        &format!("{users}/{id}"),
        Some(patch(false)),
    )
    .await;
    a.assert_status(200);
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("late@example.com", "late@corp.example")),
    )
    .await;
    a.assert_status(201);
    let a = scim(
        &t,
        &token,
        "PATCH",
        &format!("{users}/{id}"),
        Some(patch(true)),
    )
    .await;
    a.assert_problem(402, Code::SeatLimitReached);
    assert!(a.body["detail"].as_str().unwrap().contains("seats"));
    let a = scim(&t, &token, "GET", &users, None).await;
    assert_eq!(a.body["totalResults"], 5, "{}", a.body);
}

#[tokio::test]
async fn a_member_linked_by_email_is_deactivated_reinstated_and_removed_by_the_directory() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Linked Inc", "starter", &[Role::Developer])
        .await;
    let dev = f.member(Role::Developer);
    let token = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/scim-tokens", f.id),
            json!({ "name": "Entra" }),
        )
        .await
        .assert_status(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let users = format!("/orgs/{}/scim/v2/Users", f.id);
    // Provisioning someone already a member (their verified email): linked, no second seat.
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body(&dev.email, &dev.email)),
    )
    .await;
    let id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    let seats = |t: TestApp| {
        let (org, owner) = (f.id.clone(), f.owner.clone());
        async move {
            t.as_user(&owner)
                .get(&format!("/orgs/{org}/subscription"))
                .await
                .body["seats"]["used"]
                .clone()
        }
    };
    assert_eq!(seats(t.clone()).await, 2);
    let me = format!("/orgs/{}/me", f.id);
    assert_eq!(t.as_user(dev).get(&me).await.status, 200);
    // Entra deactivates: refused on the next request, seat free.
    let op = |v: &str| json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "active", "value": v }] });
    t.requests.reset();
    let a = scim(
        &t,
        &token,
        "PATCH",
        &format!("{users}/{id}"),
        Some(op("False")),
    )
    .await;
    a.assert_status(200);
    assert_eq!(
        t.requests.operations(),
        vec!["BatchGetItem", "BatchGetItem", "TransactWriteItems"]
    );
    t.as_user(dev)
        .get(&me)
        .await
        .assert_problem(403, Code::MemberDeactivated);
    assert_eq!(seats(t.clone()).await, 1);
    let listed = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/members/?limit=100", f.id))
        .await;
    let row = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == dev.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["status"], "deactivated");
    // Reinstated with the same role.
    let a = scim(
        &t,
        &token,
        "PATCH",
        &format!("{users}/{id}"),
        Some(op("True")),
    )
    .await;
    a.assert_status(200);
    let a = t.as_user(dev).get(&me).await;
    assert_eq!(a.assert_status(200)["role"], "developer");
    // The owner is never deactivated by the directory.
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body(&f.owner.email, &f.owner.email)),
    )
    .await;
    let owner_id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    let a = scim(
        &t,
        &token,
        "PATCH",
        &format!("{users}/{owner_id}"),
        Some(op("False")),
    )
    .await;
    a.assert_problem(409, Code::CannotDeactivate);
    // Deleted in the directory: the member is removed.
    let a = scim(&t, &token, "DELETE", &format!("{users}/{id}"), None).await;
    assert_eq!(a.status, 204, "{}", a.body);
    t.as_user(dev)
        .get(&me)
        .await
        .assert_problem(404, Code::OrgNotFound);
    assert_eq!(seats(t.clone()).await, 1);
    // Each change has its audit entries, the actor the token.
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log", f.id))
        .await;
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "directory.user_provisioned",
        "directory.user_updated",
        "member.deactivated",
        "member.reactivated",
        "member.removed",
        "directory.user_deleted",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let entry = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "member.removed")
        .unwrap();
    assert!(entry["actorId"].as_str().unwrap().starts_with("scimtok_"));
}

#[tokio::test]
async fn a_closed_organization_refuses_provisioning_and_serves_reads() {
    let t = TestApp::new().await;
    let (org, _, token) = directory(&t, "pro").await;
    let users = format!("/orgs/{org}/scim/v2/Users");
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("c@example.com", "c@corp.example")),
    )
    .await;
    let id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    t.close_org(&org).await;
    let a = scim(
        &t,
        &token,
        "POST",
        &users,
        Some(user_body("d@example.com", "d@corp.example")),
    )
    .await;
    a.assert_problem(409, Code::OrgClosed);
    let a = scim(&t, &token, "DELETE", &format!("{users}/{id}"), None).await;
    a.assert_problem(409, Code::OrgClosed);
    assert_eq!(
        scim(&t, &token, "GET", &format!("{users}/{id}"), None)
            .await
            .status,
        200
    );
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("/orgs/{org}/scim/v2/ServiceProviderConfig"),
        None,
    )
    .await;
    let body = a.assert_status(200);
    assert_eq!(body["patch"]["supported"], true);
    assert_eq!(body["bulk"]["supported"], false);
    assert_eq!(body["etag"]["supported"], false);
    assert_eq!(body["sort"]["supported"], false);
}

#[tokio::test]
async fn discovery_advertises_exactly_the_stored_attributes() {
    let t = TestApp::new().await;
    let (org, _, token) = directory(&t, "pro").await;
    let base = format!("/orgs/{org}/scim/v2");
    let a = scim(&t, &token, "GET", &format!("{base}/Schemas/{USER}"), None).await;
    let names: Vec<&str> = a.assert_status(200)["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "userName",
            "externalId",
            "name",
            "displayName",
            "emails",
            "active"
        ]
    );
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("{base}/ResourceTypes/User"),
        None,
    )
    .await;
    assert_eq!(a.assert_status(200)["endpoint"], "/Users");
    let a = scim(&t, &token, "GET", &format!("{base}/Schemas"), None).await;
    assert!(a.assert_status(200)["totalResults"].as_u64().unwrap() >= 1);
    let a = scim(&t, &token, "GET", &format!("{base}/Me"), None).await;
    a.assert_problem(501, Code::ScimNotImplemented);
    // A client's request for what is not implemented: no 5xx alarm counts it.
    let line = t.request_line(&a.headers["x-request-id"]);
    assert_eq!(
        (line["status"].clone(), line["Errors5xx"].clone()),
        (json!("501"), json!(0))
    );
}

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An organization on `pro` with a SCIM token and a verified domain: (org, owner, token, domain).
async fn directory_with_domain(t: &TestApp) -> (String, User, String, String) {
    let (org, owner, token) = directory(t, "pro").await;
    let domain = crate::domains::verified_domain(t, &org, &owner).await;
    (org, owner, token, domain)
}

async fn provision(t: &TestApp, token: &str, org: &str, email: &str) -> String {
    let a = scim(
        t,
        token,
        "POST",
        &format!("/orgs/{org}/scim/v2/Users"),
        Some(user_body(email, email)),
    )
    .await;
    a.assert_status(201)["id"].as_str().unwrap().to_string()
}

/// What the requests since the last reset did (a transaction by its items) is within the IAM
/// actions `function` declares: the template's least-privilege policy is enough for it.
fn assert_within_iam(t: &TestApp, function: &str) {
    let declared: Vec<&str> = service::routes::route(function)
        .dynamo
        .iter()
        .map(|d| d.operation())
        .collect();
    let used = t.requests.actions();
    let undeclared: Vec<_> = used.iter().filter(|a| !declared.contains(a)).collect();
    assert!(
        undeclared.is_empty(),
        "{function} used {undeclared:?}, beyond its declared {declared:?}"
    );
}

async fn my_org_ids(t: &TestApp, user: &User) -> Vec<String> {
    let a = t.as_user(user).get("/orgs").await;
    a.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn at_a_verified_domain_the_person_joins_on_their_first_get_orgs_with_their_groups() {
    let t = TestApp::new().await;
    let (org, owner, token, domain) = directory_with_domain(&t).await;
    // The role people join with: at most editor's permissions.
    let dir = format!("/orgs/{org}/directory");
    let a = t
        .as_user(&owner)
        .put(&dir, json!({ "defaultRole": "admin" }))
        .await;
    a.assert_problem(400, Code::ValidationFailed);
    let a = t
        .as_user(&owner)
        .put(&dir, json!({ "defaultRole": "developer" }))
        .await;
    assert_eq!(a.assert_status(200)["defaultRole"], "developer");
    let a = t.as_user(&owner).get(&dir).await;
    let d = a.assert_status(200);
    assert_eq!(
        (d["tokenCount"].clone(), d["defaultRoleName"].clone()),
        (json!(1), json!("developer"))
    );
    assert_eq!(
        d["baseUrl"],
        format!("https://api.example.com/orgs/{org}/scim/v2")
    );
    let person = t.user_at("okta", &domain);
    let id = provision(&t, &token, &org, &person.email).await;
    // A group with them (not joined yet): the team has no member until they join.
    let g = scim(
        &t,
        &token,
        "POST",
        &format!("/orgs/{org}/scim/v2/Groups"),
        Some(json!({
            "schemas": [GROUP], "displayName": "Engineering", "members": [{ "value": id }]
        })),
    )
    .await;
    let team = g.assert_status(201)["id"].as_str().unwrap().to_string();
    let seats = |t: TestApp| {
        let (org, owner) = (org.clone(), owner.clone());
        async move {
            t.as_user(&owner)
                .get(&format!("/orgs/{org}/subscription"))
                .await
                .body["seats"]["used"]
                .clone()
        }
    };
    assert_eq!(
        seats(t.clone()).await,
        2,
        "the provisioned person holds a seat"
    );
    // Their first GET /orgs joins them, with the directory's role and their group's team.
    t.requests.reset();
    assert!(my_org_ids(&t, &person).await.contains(&org));
    assert_within_iam(&t, "list-my-orgs");
    let me = t.as_user(&person).get(&format!("/orgs/{org}/me")).await;
    let me = me.assert_status(200);
    assert_eq!(me["role"], "developer", "{me}");
    assert!(
        me["teamIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == team.as_str()),
        "{me}"
    );
    assert_eq!(seats(t.clone()).await, 2, "their seat became the member's");
    let a = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/teams/{team}"))
        .await;
    assert_eq!(a.assert_status(200)["memberCount"], 1);
    // Linked: the directory's deactivation reaches them on the next request.
    let op = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    scim(
        &t,
        &token,
        "PATCH",
        &format!("/orgs/{org}/scim/v2/Users/{id}"),
        Some(op),
    )
    .await
    .assert_status(200);
    t.as_user(&person)
        .get(&format!("/orgs/{org}/me"))
        .await
        .assert_problem(403, Code::MemberDeactivated);
    // Joining again is nothing (GET /orgs again changes nothing).
    assert!(my_org_ids(&t, &person).await.contains(&org));
    let log = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/audit-log?action=member.joined"))
        .await;
    let joined: Vec<&Value> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["via"] == "directory")
        .collect();
    assert_eq!(joined.len(), 1, "{}", log.body);
}

#[tokio::test]
async fn elsewhere_it_is_an_invitation_to_accept_never_a_membership_by_an_unverified_email() {
    let t = TestApp::new().await;
    let (org, owner, token, _) = directory_with_domain(&t).await;
    let person = t.user_at("gmail", "elsewhere.example");
    provision(&t, &token, &org, &person.email).await;
    // Not joined by GET /orgs: their email is not at the organization's domains.
    assert!(!my_org_ids(&t, &person).await.contains(&org));
    // Their invitations list it, with a code.
    let list = t.as_user(&person).get("/me/invitations").await;
    let items = list.assert_status(200)["items"].as_array().unwrap().clone();
    let inv = items
        .iter()
        .find(|i| i["orgId"] == org.as_str())
        .expect("the directory's invitation")
        .clone();
    assert_eq!(inv["role"], "viewer");
    let code = inv["code"].as_str().unwrap();
    // Someone else with the code: the same answer as any unusable code.
    let other = t.user("other");
    t.as_user(&other)
        .post(&format!("/invitations/{code}/accept"), json!({}))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // The same address, unverified: no invitation, no membership.
    let unverified = User {
        token: integration_tests::token_for(
            integration_tests::JWT_SECRET,
            &person.id,
            Some(&person.email),
            false,
        ),
        ..person.clone()
    };
    t.as_user(&unverified)
        .get("/me/invitations")
        .await
        .assert_problem(403, Code::EmailNotVerified);
    t.as_user(&unverified)
        .post(&format!("/invitations/{code}/accept"), json!({}))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // They accept: a member, once.
    let preview = t
        .as_user(&person)
        .get(&format!("/invitations/{code}"))
        .await;
    assert_eq!(preview.assert_status(200)["orgId"], org.as_str());
    t.requests.reset();
    let a = t
        .as_user(&person)
        .post(&format!("/invitations/{code}/accept"), json!({}))
        .await;
    assert_eq!(a.assert_status(201)["role"], "viewer");
    assert_within_iam(&t, "accept-invitation");
    t.as_user(&person)
        .post(&format!("/invitations/{code}/accept"), json!({}))
        .await
        .assert_problem(409, Code::AlreadyMember);
    let sub = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/subscription"))
        .await;
    assert_eq!(sub.body["seats"]["used"], 2, "{}", sub.body);
}

#[tokio::test]
async fn groups_are_teams_the_directory_manages() {
    let t = TestApp::new().await;
    let (org, owner, token, domain) = directory_with_domain(&t).await;
    let groups = format!("/orgs/{org}/scim/v2/Groups");
    // Two people: one joins (a member), one not yet.
    let joined = t.user_at("joined", &domain);
    let joined_id = provision(&t, &token, &org, &joined.email).await;
    my_org_ids(&t, &joined).await;
    let pending_id = provision(&t, &token, &org, &format!("pending@{domain}")).await;
    let g = scim(
        &t,
        &token,
        "POST",
        &groups,
        Some(json!({
            "schemas": [GROUP], "displayName": "Platform", "externalId": "okta-g1",
            "members": [{ "value": joined_id }, { "value": pending_id }]
        })),
    )
    .await;
    let group = g.assert_status(201).clone();
    let gid = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    // displayName is unique, not case-exact; unknown members are refused.
    let a = scim(
        &t,
        &token,
        "POST",
        &groups,
        Some(json!({ "schemas": [GROUP], "displayName": "PLATFORM" })),
    )
    .await;
    a.assert_problem(409, Code::ScimUniqueness);
    let a = scim(&t, &token, "POST", &groups, Some(json!({ "schemas": [GROUP], "displayName": "X", "members": [{ "value": "dusr_00000000000000000000000000000000" }] }))).await;
    a.assert_problem(400, Code::ScimInvalidValue);
    // The team: managed by the directory, one member (the one who joined).
    let team = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/teams/{gid}"))
        .await;
    let team = team.assert_status(200);
    assert_eq!(
        (
            team["managedByDirectory"].clone(),
            team["memberCount"].clone()
        ),
        (json!(true), json!(1))
    );
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}/teams/{gid}"),
            json!({ "name": "Mine" }),
        )
        .await
        .assert_problem(409, Code::ManagedByDirectory);
    t.as_user(&owner)
        .put_empty(&format!("/orgs/{org}/teams/{gid}/members/{}", owner.id))
        .await
        .assert_problem(409, Code::ManagedByDirectory);
    t.as_user(&owner)
        .delete(&format!("/orgs/{org}/teams/{gid}"))
        .await
        .assert_problem(409, Code::ManagedByDirectory);
    // Filters; Entra asks without members.
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("{groups}?filter=displayName%20eq%20%22platform%22&excludedAttributes=members"),
        None,
    )
    .await;
    let body = a.assert_status(200);
    assert_eq!(body["totalResults"], 1);
    assert!(body["Resources"][0].get("members").is_none());
    let a = scim(
        &t,
        &token,
        "GET",
        &format!("{groups}?filter=externalId%20eq%20%22okta-g1%22"),
        None,
    )
    .await;
    assert_eq!(a.body["Resources"][0]["id"], gid.as_str());
    // Okta removes one by a filter path; the team loses its member.
    let op = json!({ "schemas": [PATCH], "Operations": [{ "op": "remove", "path": format!("members[value eq \"{joined_id}\"]") }] });
    assert_eq!(
        scim(&t, &token, "PATCH", &format!("{groups}/{gid}"), Some(op))
            .await
            .status,
        204
    );
    let me = t.as_user(&joined).get(&format!("/orgs/{org}/me")).await;
    assert!(
        !me.body["teamIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == gid.as_str()),
        "{}",
        me.body
    );
    // Entra: capitalised ops, a rename, adds of many (applied 20 per transaction).
    let mut many = Vec::new();
    for i in 0..45 {
        many.push(json!({ "value": provision(&t, &token, &org, &format!("m{i}@{domain}")).await }));
    }
    many.push(json!({ "value": joined_id }));
    let op = json!({ "schemas": [PATCH], "Operations": [
        { "op": "Replace", "path": "displayName", "value": "Platform Team" },
        { "op": "Add", "path": "members", "value": many },
    ] });
    t.requests.reset();
    assert_eq!(
        scim(&t, &token, "PATCH", &format!("{groups}/{gid}"), Some(op))
            .await
            .status,
        204
    );
    assert_within_iam(&t, "scim");
    let a = scim(&t, &token, "GET", &format!("{groups}/{gid}"), None).await;
    let body = a.assert_status(200);
    assert_eq!(body["displayName"], "Platform Team");
    assert_eq!(body["members"].as_array().unwrap().len(), 47);
    let team = t
        .as_user(&owner)
        .get(&format!("/orgs/{org}/teams/{gid}"))
        .await;
    assert_eq!(
        team.body["memberCount"], 1,
        "only the one who joined is on the team"
    );
    // The same user added twice and removed in one PATCH: the last operation wins.
    let twice = json!({ "schemas": [PATCH], "Operations": [
        { "op": "add", "path": "members", "value": [{ "value": pending_id }] },
        { "op": "add", "path": "members", "value": [{ "value": pending_id }] },
        { "op": "remove", "path": format!("members[value eq \"{pending_id}\"]") },
        { "op": "add", "path": "members", "value": [{ "value": pending_id }] },
    ] });
    let a = scim(&t, &token, "PATCH", &format!("{groups}/{gid}"), Some(twice)).await;
    assert_eq!(a.status, 204, "{}", a.body);
    // Entra removes by listing; the rest stay.
    let op = json!({ "schemas": [PATCH], "Operations": [{ "op": "Remove", "path": "members", "value": [{ "value": pending_id }, { "value": joined_id }] }] });
    assert_eq!(
        scim(&t, &token, "PATCH", &format!("{groups}/{gid}"), Some(op))
            .await
            .status,
        204
    );
    let a = scim(&t, &token, "GET", &format!("{groups}/{gid}"), None).await;
    assert_eq!(a.body["members"].as_array().unwrap().len(), 45);
    // Deleted: the team is gone (its memberships after it, by the stream's clean-up).
    assert_eq!(
        scim(&t, &token, "DELETE", &format!("{groups}/{gid}"), None)
            .await
            .status,
        204
    );
    scim(&t, &token, "GET", &format!("{groups}/{gid}"), None)
        .await
        .assert_problem(404, Code::ScimResourceNotFound);
    t.as_user(&owner)
        .get(&format!("/orgs/{org}/teams/{gid}"))
        .await
        .assert_problem(404, Code::TeamNotFound);
}

#[tokio::test]
async fn someone_who_left_holds_no_seat_until_the_directory_makes_them_active_again() {
    let t = TestApp::new().await;
    let (org, owner, token, domain) = directory_with_domain(&t).await;
    let person = t.user_at("leaver", &domain);
    let id = provision(&t, &token, &org, &person.email).await;
    let seats = |t: TestApp| {
        let (org, owner) = (org.clone(), owner.clone());
        async move {
            t.as_user(&owner)
                .get(&format!("/orgs/{org}/subscription"))
                .await
                .body["seats"]["used"]
                .clone()
        }
    };
    assert!(my_org_ids(&t, &person).await.contains(&org));
    assert_eq!(seats(t.clone()).await, 2);
    // They leave: their seat goes with the membership.
    let a = t
        .as_user(&person)
        .delete(&format!("/orgs/{org}/members/{}", person.id))
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(seats(t.clone()).await, 1);
    // The directory deactivates them: nothing to free.
    let op = |v: bool| json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": v }] });
    let user = format!("/orgs/{org}/scim/v2/Users/{id}");
    scim(&t, &token, "PATCH", &user, Some(op(false)))
        .await
        .assert_status(200);
    assert_eq!(seats(t.clone()).await, 1);
    // Active again: a provisioned person who has not joined holds a seat, and joins again.
    scim(&t, &token, "PATCH", &user, Some(op(true)))
        .await
        .assert_status(200);
    assert_eq!(seats(t.clone()).await, 2);
    assert!(my_org_ids(&t, &person).await.contains(&org));
    assert_eq!(seats(t.clone()).await, 2);
    let me = t.as_user(&person).get(&format!("/orgs/{org}/me")).await;
    me.assert_status(200);
}
