//! The operator's catalogue in force (the integration tests run with the README's example,
//! `infra/catalogue.example.json`): its permissions held by the roles it names, in custom roles,
//! API keys and project roles, answered by `/authorize`, `/me` and the key verification like the
//! service's own; its plans set by the billing route.

use integration_tests::TestApp;
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

async fn authorize(t: &TestApp, org: &str, user: &integration_tests::User, body: Value) -> Value {
    t.as_user(user)
        .post(&format!("/orgs/{org}/authorize"), body)
        .await
        .assert_status(200)
        .clone()
}

fn allowed(answer: &Value) -> Vec<bool> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["allowed"] == true)
        .collect()
}

#[tokio::test]
async fn the_operators_permissions_are_held_by_the_roles_it_names() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture(
            "Catalogue",
            "pro",
            &[
                Role::Admin,
                Role::Editor,
                Role::Developer,
                Role::Viewer,
                Role::Guest,
            ],
        )
        .await;
    let roles = t.as_user(&f.owner).get("/roles").await;
    let matrix = roles.assert_status(200);
    let create = matrix["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "databases.create")
        .unwrap();
    assert_eq!(create["source"], "operator");
    assert_eq!(create["minRole"], "developer");
    assert_eq!(create["minProjectRole"], "developer");
    let developer = &matrix["roles"].as_array().unwrap()[3];
    assert_eq!(developer["name"], "developer");
    assert!(developer["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("databases.create")));
    assert!(matrix["plans"]
        .as_array()
        .unwrap()
        .contains(&json!({ "name": "team", "seatLimit": 25, "default": false })));

    let asked = json!({ "permissions": ["databases.read", "databases.create", "databases.delete", "gpu_jobs.quota_manage"] });
    for (role, expect) in [
        (Role::Owner, [true, true, true, true]),
        (Role::Admin, [true, true, true, true]),
        (Role::Editor, [true, true, true, false]),
        (Role::Developer, [true, true, false, false]),
        (Role::Viewer, [true, false, false, false]),
        (Role::Guest, [false, false, false, false]),
    ] {
        let a = authorize(&t, &f.id, f.member(role), asked.clone()).await;
        assert_eq!(allowed(&a), expect, "{role}: {a}");
    }
    // Inside a project, its project roles hold them: a guest granted developer there creates
    // databases in it, and not elsewhere.
    let project = t.create_project(&f.id, &f.owner, "Web").await;
    let guest = f.member(Role::Guest);
    t.grant(
        &f.id,
        &f.owner,
        &project,
        &format!("user:{}", guest.id),
        "developer",
    )
    .await;
    let a = authorize(
        &t,
        &f.id,
        guest,
        json!({ "permissions": ["databases.create", "databases.delete"], "projectId": project }),
    )
    .await;
    assert_eq!(allowed(&a), [true, false], "{a}");
    assert_eq!(a["results"][0]["via"][0]["kind"], "direct");
    let me = t
        .as_user(f.member(Role::Viewer))
        .get(&format!("/orgs/{}/me", f.id))
        .await;
    assert!(me.assert_status(200)["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("databases.read")));
}

#[tokio::test]
async fn a_custom_role_and_an_api_key_hold_an_operators_permission() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Catalogue roles", "pro", &[Role::Editor])
        .await;
    let a = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/roles", f.id),
            json!({ "name": "DB admins", "permissions": ["databases.create", "databases.delete", "gpu_jobs.quota_manage"], "projectRole": "none" }),
        )
        .await;
    let role = a.assert_status(201)["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.body["permissions"],
        json!([
            "org.read",
            "databases.create",
            "databases.delete",
            "gpu_jobs.quota_manage"
        ]),
        "in catalogue order"
    );
    // A key with the role answers its permissions, and only those.
    let key = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/api-keys", f.id),
            json!({ "name": "db-bot", "role": role }),
        )
        .await;
    let key = key.assert_status(201)["key"].as_str().unwrap().to_string();
    let v = t
        .call(
            "POST",
            "/api-keys/verify",
            None,
            Some(json!({ "key": key, "permissions": ["databases.delete", "databases.read"] })),
        )
        .await;
    let v = v.assert_status(200);
    assert_eq!(
        v["allowed"],
        json!({ "databases.delete": true, "databases.read": false }),
        "{v}"
    );
    assert_eq!(v["results"][1]["reason"], "not_granted");
    // Unknown names are still refused, naming them.
    let a = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["databases.drop"] }),
        )
        .await;
    a.assert_problem(400, Code::UnknownPermission);
    assert_eq!(a.body["unknown"], json!(["databases.drop"]));
    // During grace the operator's writes are refused, its reads served.
    t.close_through_api(&f.id).await;
    let a = authorize(
        &t,
        &f.id,
        &f.owner,
        json!({ "permissions": ["databases.read", "databases.create"] }),
    )
    .await;
    assert_eq!(allowed(&a), [true, false]);
    assert_eq!(a["results"][1]["reason"], "org_closed");
}
