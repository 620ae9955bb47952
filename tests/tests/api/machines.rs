//! API keys as callers of the API (issue 42): a key is decided on every call exactly as a member
//! with its role would be, within its organization only, never for what only a person does. Keys
//! are made and changed through the API, as production makes them.

use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// A key made through the API by `by`, as a caller (`id` is the key's id, `token` the key).
pub(crate) async fn key_caller(t: &TestApp, org: &str, by: &User, body: Value) -> User {
    let made = t
        .as_user(by)
        .post(&format!("/orgs/{org}/api-keys"), body)
        .await
        .assert_status(201)
        .clone();
    User {
        id: made["id"].as_str().unwrap().to_string(),
        email: String::new(),
        token: made["key"].as_str().unwrap().to_string(),
    }
}

/// The organization lets its keys call the API (a person with settings.manage decides).
pub(crate) async fn allow_keys(t: &TestApp, org: &str, by: &User, allowed: bool) {
    t.as_user(by)
        .patch(
            &format!("/orgs/{org}"),
            json!({ "settings": { "apiKeysMayCallApi": allowed } }),
        )
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_key_calls_only_while_its_organization_allows_it_and_invites_within_its_role() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Machines", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let key = key_caller(
        &t,
        &f.id,
        &admin,
        json!({ "name": "Provisioner", "role": "admin" }),
    )
    .await;
    let members = format!("/orgs/{}/members", f.id);
    // Off by default.
    t.as_user(&key)
        .get(&members)
        .await
        .assert_problem(403, Code::ApiKeyCallsDisabled);
    allow_keys(&t, &f.id, &f.owner, true).await;
    t.as_user(&key).get(&members).await.assert_status(200);

    // It invites within its role (admin: not owner) and its audit entry and event name it.
    let invited = t
        .as_user(&key)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "contractor@example.com", "role": "developer" }),
        )
        .await
        .assert_status(201)
        .clone();
    t.as_user(&key)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "boss@example.com", "role": "owner" }),
        )
        .await
        .assert_problem(400, Code::ValidationFailed);
    let log = t
        .as_user(&f.owner)
        .get(&format!(
            "/orgs/{}/audit-log?action=invitation.created",
            f.id
        ))
        .await
        .assert_status(200)
        .clone();
    let entry = &log["items"][0];
    assert_eq!(entry["actorId"], key.id.as_str(), "{entry}");
    assert_eq!(entry["actorKind"], "api_key", "{entry}");
    assert_eq!(entry["details"]["invitationId"], invited["id"], "{entry}");
    // Filtered by the key, the log shows what it did.
    let by_key = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?actorId={}", f.id, key.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(by_key["items"].as_array().unwrap().len(), 1, "{by_key}");

    // Turned off, the very next call is refused.
    allow_keys(&t, &f.id, &f.owner, false).await;
    t.as_user(&key)
        .get(&members)
        .await
        .assert_problem(403, Code::ApiKeyCallsDisabled);
}

#[tokio::test]
async fn a_lowered_revoked_or_rolled_key_is_refused_on_its_next_call() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Lowered", "pro", &[]).await;
    allow_keys(&t, &f.id, &f.owner, true).await;
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "admin" }),
    )
    .await;
    let teams = format!("/orgs/{}/teams", f.id);
    t.as_user(&key)
        .post(&teams, json!({ "name": "Platform" }))
        .await
        .assert_status(201);
    // Lowered to viewer: reads, no more changes.
    let this_key = format!("/orgs/{}/api-keys/{}", f.id, key.id);
    t.as_user(&f.owner)
        .patch(&this_key, json!({ "role": "viewer" }))
        .await
        .assert_status(200);
    t.as_user(&key)
        .post(&teams, json!({ "name": "Another" }))
        .await
        .assert_problem(403, Code::Forbidden);
    t.as_user(&key).get(&teams).await.assert_status(200);
    // Rolled without grace: the old secret stops, the new one works.
    let rolled = t
        .as_user(&f.owner)
        .post(&format!("{this_key}/roll"), json!({ "graceMinutes": 0 }))
        .await
        .assert_status(200)
        .clone();
    t.as_user(&key)
        .get(&teams)
        .await
        .assert_problem(401, Code::Unauthenticated);
    let new = User {
        token: rolled["key"].as_str().unwrap().to_string(),
        ..key.clone()
    };
    t.as_user(&new).get(&teams).await.assert_status(200);
    // Revoked: not valid on its next call.
    t.as_user(&f.owner)
        .delete(&this_key)
        .await
        .assert_status(204);
    t.as_user(&new)
        .get(&teams)
        .await
        .assert_problem(401, Code::Unauthenticated);
}

#[tokio::test]
async fn a_key_never_does_what_only_a_person_does_whatever_its_role() {
    let t = TestApp::new().await;
    let f = t.org_fixture("People only", "pro", &[Role::Admin]).await;
    allow_keys(&t, &f.id, &f.owner, true).await;
    let admin = f.member(Role::Admin).clone();
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Ops", "role": "admin" }),
    )
    .await;
    let other = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Other", "role": "viewer" }),
    )
    .await;
    let org = format!("/orgs/{}", f.id);
    let person_only: Vec<(&str, String, Option<Value>)> = vec![
        // Never mints, rolls, re-roles or revokes a key (itself included).
        (
            "POST",
            format!("{org}/api-keys"),
            Some(json!({ "name": "Minted", "role": "admin" })),
        ),
        (
            "POST",
            format!("{org}/api-keys/{}/roll", other.id),
            Some(json!({})),
        ),
        (
            "PATCH",
            format!("{org}/api-keys/{}", other.id),
            Some(json!({ "role": "admin" })),
        ),
        (
            "PATCH",
            format!("{org}/api-keys/{}", key.id),
            Some(json!({ "name": "Me" })),
        ),
        ("DELETE", format!("{org}/api-keys/{}", other.id), None),
        // SCIM tokens, webhook endpoints, integrations, roles, settings.
        (
            "POST",
            format!("{org}/scim-tokens"),
            Some(json!({ "name": "IdP" })),
        ),
        (
            "POST",
            format!("{org}/webhooks"),
            Some(json!({ "url": "https://hooks.example.com/x" })),
        ),
        (
            "POST",
            format!("{org}/roles"),
            Some(json!({ "name": "Deployer", "permissions": ["projects.read"] })),
        ),
        (
            "PATCH",
            org.clone(),
            Some(json!({ "settings": { "apiKeysMayCallApi": false } })),
        ),
        // Ownership and closure.
        (
            "POST",
            format!("{org}/ownership-transfer"),
            Some(json!({ "userId": admin.id })),
        ),
        (
            "POST",
            format!("{org}/close"),
            Some(json!({ "confirmName": "People only" })),
        ),
    ];
    for (method, path, body) in person_only {
        let a = t.call(method, &path, Some(&key.token), body).await;
        assert_eq!(a.status, 403, "{method} {path}: {}", a.body);
        assert_eq!(
            a.body["code"], "person_required",
            "{method} {path}: {}",
            a.body
        );
    }
    // Nothing was made.
    let keys = t
        .as_user(&f.owner)
        .get(&format!("{org}/api-keys"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(keys["items"].as_array().unwrap().len(), 2, "{keys}");
    // What it may do as an admin still works (reads of the keys too: never their secrets).
    t.as_user(&key)
        .get(&format!("{org}/api-keys"))
        .await
        .assert_status(200);
    t.as_user(&key)
        .patch(&org, json!({ "name": "Renamed by a key" }))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_key_reaches_nothing_outside_its_organization() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Mine", "pro", &[]).await;
    let g = t.org_fixture("Theirs", "pro", &[]).await;
    allow_keys(&t, &f.id, &f.owner, true).await;
    allow_keys(&t, &g.id, &g.owner, true).await;
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Mine", "role": "admin" }),
    )
    .await;
    // Another organization's routes: not found, whatever they are.
    for path in [
        format!("/orgs/{}", g.id),
        format!("/orgs/{}/members", g.id),
        format!("/orgs/{}/api-keys", g.id),
    ] {
        t.as_user(&key)
            .get(&path)
            .await
            .assert_problem(404, Code::OrgNotFound);
    }
    t.as_user(&key)
        .post(
            &format!("/orgs/{}/invitations", g.id),
            json!({ "email": "x@example.com", "role": "viewer" }),
        )
        .await
        .assert_problem(404, Code::OrgNotFound);
    // A person's routes: not for a key.
    for path in ["/orgs", "/me/invitations", "/me/organization-suggestions"] {
        t.as_user(&key)
            .get(path)
            .await
            .assert_problem(401, Code::Unauthenticated);
    }
    t.as_user(&key)
        .post("/orgs", json!({ "name": "Made by a key" }))
        .await
        .assert_problem(401, Code::Unauthenticated);
    // A look-alike of a key: refused before anything is read.
    let mut forged = key.token.clone();
    forged.replace_range(20..21, if &forged[20..21] == "a" { "b" } else { "a" });
    t.call("GET", &format!("/orgs/{}", f.id), Some(&forged), None)
        .await
        .assert_problem(401, Code::Unauthenticated);
    // Its own organization: yes.
    t.as_user(&key)
        .get(&format!("/orgs/{}", f.id))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_project_limited_key_sees_its_projects_and_mfa_is_a_persons_rule() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Scoped", "pro", &[]).await;
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let api = t.create_project(&f.id, &f.owner, "Api").await;
    allow_keys(&t, &f.id, &f.owner, true).await;
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Web deployer", "role": "admin", "projectIds": [web] }),
    )
    .await;
    let listed = t
        .as_user(&key)
        .get(&format!("/orgs/{}/projects", f.id))
        .await
        .assert_status(200)
        .clone();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![web.as_str()], "{listed}");
    t.as_user(&key)
        .patch(
            &format!("/orgs/{}/projects/{web}", f.id),
            json!({ "description": "deployed by CI" }),
        )
        .await
        .assert_status(200);
    t.as_user(&key)
        .patch(
            &format!("/orgs/{}/projects/{api}", f.id),
            json!({ "description": "not mine" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    // /me answers for the key: its id, its projects.
    let me = t
        .as_user(&key)
        .get(&format!("/orgs/{}/me", f.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(me["userId"], key.id.as_str());
    assert_eq!(me["principal"]["kind"], "api_key", "{me}");
    assert_eq!(me["grantedProjectIds"], json!([web]), "{me}");
    // An organization that requires a second factor of people still lets its keys call.
    let owner = t.with_mfa(&f.owner);
    t.as_user(&owner)
        .put(
            &format!("/orgs/{}/settings/authentication", f.id),
            json!({ "requireMfa": true, "allowedEmailDomains": [] }),
        )
        .await
        .assert_status(200);
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}", f.id))
        .await
        .assert_problem(403, Code::MfaRequired);
    t.as_user(&key)
        .get(&format!("/orgs/{}/projects/{web}", f.id))
        .await
        .assert_status(200);
}

/// `POST /service/orgs/{orgId}/authorize` as another service calls it (no token locally).
async fn on_behalf(t: &TestApp, org: &str, body: Value) -> Value {
    t.call(
        "POST",
        &format!("/service/orgs/{org}/authorize"),
        None,
        Some(body),
    )
    .await
    .assert_status(200)
    .clone()
}

#[tokio::test]
async fn a_service_checks_a_member_or_a_key_as_their_own_check_would_answer() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("On behalf", "pro", &[Role::Developer, Role::Viewer])
        .await;
    let dev = f.member(Role::Developer).clone();
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let asked = json!(["projects.read", "projects.create", "members.update"]);
    // The member's own check and the check on their behalf: one shape, the same decision.
    let own = t
        .as_user(&dev)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": asked }),
        )
        .await
        .assert_status(200)
        .clone();
    let theirs = on_behalf(
        &t,
        &f.id,
        json!({ "subject": format!("user:{}", dev.id), "permissions": asked }),
    )
    .await;
    for field in [
        "principal",
        "orgId",
        "allowed",
        "role",
        "roleName",
        "projectId",
        "projectRole",
        "results",
    ] {
        assert_eq!(own[field], theirs[field], "{field}: {own} / {theirs}");
    }
    assert_eq!(theirs["principal"], json!({ "kind": "user", "id": dev.id }));
    let allowed: Vec<bool> = theirs["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["allowed"].as_bool().unwrap())
        .collect();
    assert_eq!(allowed, vec![true, true, false], "{theirs}");
    // In a project: the same as the member's own check there.
    let in_web = on_behalf(
        &t,
        &f.id,
        json!({ "subject": format!("user:{}", dev.id), "permissions": ["projects.read"], "projectId": web }),
    )
    .await;
    assert_eq!(in_web["projectId"], web.as_str(), "{in_web}");
    assert_eq!(in_web["allowed"], true, "{in_web}");

    // A person's token may not ask about someone else (naming themselves is fine).
    t.as_user(&dev)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["org.read"], "subject": format!("user:{}", f.owner.id) }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    t.as_user(&dev)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["org.read"], "subject": format!("user:{}", dev.id) }),
        )
        .await
        .assert_status(200);

    // Removed: allowed nothing, on the very next check.
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, dev.id))
        .await
        .assert_status(204);
    let gone = on_behalf(
        &t,
        &f.id,
        json!({ "subject": format!("user:{}", dev.id), "permissions": ["org.read"] }),
    )
    .await;
    assert_eq!(gone["allowed"], false, "{gone}");
    assert_eq!(gone["role"], Value::Null, "{gone}");
    assert_eq!(gone["results"][0]["reason"], "not_granted", "{gone}");

    // A key: decided by its role; what only a person does is refused; revoked: nothing.
    let key = key_caller(
        &t,
        &f.id,
        &f.owner,
        json!({ "name": "Ops", "role": "admin" }),
    )
    .await;
    let as_key = on_behalf(
        &t,
        &f.id,
        json!({ "subject": format!("key:{}", key.id), "permissions": ["members.update", "api_keys.manage"] }),
    )
    .await;
    assert_eq!(
        as_key["principal"],
        json!({ "kind": "api_key", "id": key.id })
    );
    assert_eq!(as_key["results"][0]["allowed"], true, "{as_key}");
    assert_eq!(as_key["results"][1]["allowed"], false, "{as_key}");
    assert_eq!(
        as_key["results"][1]["reason"], "person_required",
        "{as_key}"
    );
    // The key's own check (where keys may call) answers the same.
    allow_keys(&t, &f.id, &f.owner, true).await;
    let own_key = t
        .as_user(&key)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["members.update", "api_keys.manage"] }),
        )
        .await
        .assert_status(200)
        .clone();
    assert_eq!(own_key["results"], as_key["results"]);
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/api-keys/{}", f.id, key.id))
        .await
        .assert_status(204);
    let revoked = on_behalf(
        &t,
        &f.id,
        json!({ "subject": format!("key:{}", key.id), "permissions": ["members.read"] }),
    )
    .await;
    assert_eq!(revoked["allowed"], false, "{revoked}");

    // Bad subjects and organizations.
    t.call(
        "POST",
        &format!("/service/orgs/{}/authorize", f.id),
        None,
        Some(json!({ "subject": "group:x", "permissions": ["org.read"] })),
    )
    .await
    .assert_problem(400, Code::ValidationFailed);
    t.call(
        "POST",
        "/service/orgs/org_00000000000000000000000000000000/authorize",
        None,
        Some(json!({ "subject": format!("user:{}", f.owner.id), "permissions": ["org.read"] })),
    )
    .await
    .assert_problem(404, Code::OrgNotFound);
}

/// Production: the organization routes sit behind the Lambda authorizer (`authorize-caller`),
/// which passes a person's claims in its context (`requestContext.authorizer.lambda`) and admits
/// an API key by its shape; the function decides the rest, as locally.
#[tokio::test]
async fn production_takes_people_and_keys_from_the_lambda_authorizer() {
    let local = TestApp::new().await;
    // The organization is made through the local pipeline, as a person would; production's
    // functions (AUTH_MODE=jwt) then read the same table.
    let f = local.org_fixture("Behind the authorizer", "pro", &[]).await;
    let mut config = (*local.app.config).clone();
    config.auth = service::config::AuthMode::Jwt;
    let production = service::App {
        config: std::sync::Arc::new(config),
        ..local.app.clone()
    };
    allow_keys(&local, &f.id, &f.owner, true).await;
    let key = key_caller(
        &local,
        &f.id,
        &f.owner,
        json!({ "name": "CI", "role": "viewer" }),
    )
    .await;
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(integration_tests::repo_root().join("events/apigw-get-org.json"))
            .unwrap(),
    )
    .unwrap();
    let path = format!("/orgs/{}", f.id);
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["pathParameters"]["orgId"] = json!(f.id);
    let route = service::routes::route("get-org");
    let answer = |event: Value| {
        let app = production.clone();
        async move {
            let req = lambda_http::request::from_str(&event.to_string()).unwrap();
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
    let now = chrono::Utc::now().timestamp();
    let person = |exp: i64| {
        let mut e = event.clone();
        e["requestContext"]["authorizer"] = json!({ "lambda": {
            "callerKind": "person", "sub": f.owner.id, "email": f.owner.email,
            "email_verified": "true", "exp": exp.to_string(),
        }});
        e
    };
    let (status, body) = answer(person(now + 300)).await;
    assert_eq!((status, &body["id"]), (200, &json!(f.id)), "{body}");
    // An answer the authorizer cached past the token's expiry admits nobody.
    let (status, body) = answer(person(now - 1)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    // A key: admitted by its shape, verified by the route against its item.
    let mut as_key = event.clone();
    as_key["requestContext"]["authorizer"] = json!({ "lambda": { "callerKind": "api_key" } });
    as_key["headers"]["authorization"] = json!(format!("Bearer {}", key.token));
    let (status, body) = answer(as_key.clone()).await;
    assert_eq!((status, &body["id"]), (200, &json!(f.id)), "{body}");
    local
        .as_user(&f.owner)
        .delete(&format!("/orgs/{}/api-keys/{}", f.id, key.id))
        .await
        .assert_status(204);
    let (status, body) = answer(as_key).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    // Nothing from an authorizer: nobody.
    let mut bare = event.clone();
    bare["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, _) = answer(bare).await;
    assert_eq!(status, 401);
}
