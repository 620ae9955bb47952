//! Organization routes against DynamoDB Local, through the real pipeline, in-process.

use crate::authorization::Fixture;
use integration_tests::{token_for, TestApp, JWT_SECRET};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "create-org" => (Some(json!({ "name": "New Org" })), 201),
        "list-my-orgs" | "get-org" => (None, 200),
        "update-org" => (Some(json!({ "name": "Renamed" })), 200),
        _ => return None,
    })
}

#[tokio::test]
async fn create_read_and_list_an_organization() {
    let t = TestApp::new().await;
    let alice = t.user("alice");
    let (a, ops) = t
        .call_counted(
            "POST",
            "/orgs",
            &alice,
            Some(json!({ "name": "Acme Corp", "slug": "acme-corp" })),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(ops, vec!["TransactWriteItems"], "create is one transaction");
    assert_eq!(a.body["slug"], "acme-corp");
    assert_eq!(a.body["myRole"], "owner");
    assert_eq!(a.body["status"], "active");
    assert_eq!(a.body["memberCount"], 1);
    let id = a.body["id"].as_str().unwrap().to_string();

    let (a, ops) = t
        .call_counted("GET", &format!("/orgs/{id}"), &alice, None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["name"], "Acme Corp");
    assert_eq!(
        ops,
        vec!["BatchGetItem"],
        "a read is the access-context read only"
    );

    let (a, ops) = t.call_counted("GET", "/orgs", &alice, None).await;
    assert_eq!(a.status, 200);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the created org, and no personal org since alice is in one: {}",
        a.body
    );
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["myRole"], "owner");
    // The page's Query, and beside it the first page's lookup of people the organizations'
    // directories provisioned at alice's email (GSI1; none here), then the organizations.
    assert_eq!(ops, vec!["Query", "Query", "BatchGetItem"]);
}

#[tokio::test]
async fn slug_is_derived_validated_and_unique() {
    let t = TestApp::with_config(|c| c.org_create_limit = 10).await;
    let alice = t.user("alice");
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "Zoë's Lab!" }))
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["slug"], "zo-s-lab");
    // The same name again: the derived slug is taken, a suffix is added.
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "Zoë's Lab!" }))
        .await;
    assert_eq!(a.status, 201);
    assert!(
        a.body["slug"].as_str().unwrap().starts_with("zo-s-lab-"),
        "{}",
        a.body
    );
    // An explicit slug that is taken is refused.
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "X", "slug": "zo-s-lab" }))
        .await;
    a.assert_problem(409, Code::SlugTaken);

    for bad in [
        json!({ "name": "X", "slug": "-bad" }),
        json!({ "name": "X", "slug": "ab" }),
        json!({ "name": "X", "slug": "Has-Caps" }),
        json!({ "name": "X", "slug": "admin" }),
        json!({ "name": "X", "slug": "api" }),
    ] {
        let a = t.as_user(&alice).post("/orgs", bad.clone()).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (400, Some(Code::ValidationFailed.as_str())),
            "{bad}"
        );
        assert_eq!(a.body["field"], "slug");
    }
    // A name that reads other than it is (a right-to-left override) is refused.
    t.as_user(&alice)
        .post("/orgs", json!({ "name": "Acme\u{202E}cni" }))
        .await
        .assert_problem(400, Code::ValidationFailed);
    // A name whose derived slug is reserved gets another slug.
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "Admin" }))
        .await;
    assert_ne!(a.assert_status(201)["slug"], "admin");
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "  " }))
        .await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("name")));
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "slug": "abc" }))
        .await;
    a.assert_problem(400, Code::InvalidBody);
    assert!(
        a.body["detail"].as_str().unwrap().contains("name"),
        "says which field: {}",
        a.body
    );
    let a = t
        .as_user(&alice)
        .post("/orgs", json!({ "name": "X", "extra": 1 }))
        .await;
    assert_eq!(a.status, 400, "unknown fields are refused: {}", a.body);
}

#[tokio::test]
async fn twenty_parallel_creates_of_one_slug_yield_one_201_and_nineteen_409s() {
    let t = TestApp::new().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let t = t.clone();
        let user = t.user(&format!("racer{i}"));
        tasks.spawn(async move {
            t.as_user(&user)
                .post("/orgs", json!({ "name": "Race", "slug": "the-slug" }))
                .await
        });
    }
    let mut statuses = Vec::new();
    while let Some(a) = tasks.join_next().await {
        let a = a.unwrap();
        if a.status == 409 {
            assert_eq!(a.body["code"], Code::SlugTaken.as_str(), "{}", a.body);
        }
        statuses.push(a.status);
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn creation_limit_per_user_holds_under_concurrency_and_ignores_the_personal_org() {
    let t = TestApp::with_config(|c| c.org_create_limit = 2).await;
    let bob = t.user("bob");
    // The personal organization first: it does not count.
    let a = t.as_user(&bob).get("/orgs").await;
    assert_eq!(a.body["items"][0]["personal"], true);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (t, token) = (t.clone(), bob.token.clone());
        tasks.spawn(async move {
            t.call(
                "POST",
                "/orgs",
                Some(&token),
                Some(json!({ "name": format!("Org {i}"), "slug": format!("bob-org-{i}") })),
            )
            .await
        });
    }
    let mut created = 0;
    while let Some(a) = tasks.join_next().await {
        let a = a.unwrap();
        match a.status {
            201 => created += 1,
            403 => assert_eq!(a.body["code"], Code::OrgLimitReached.as_str()),
            other => panic!("unexpected {other}: {}", a.body),
        }
    }
    assert_eq!(created, 2);
}

#[tokio::test]
async fn personal_org_is_created_once_even_by_parallel_first_requests() {
    let t = TestApp::new().await;
    let carol = t.user("carol");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (t, token) = (t.clone(), carol.token.clone());
        tasks.spawn(async move { t.call("GET", "/orgs", Some(&token), None).await });
    }
    while let Some(a) = tasks.join_next().await {
        let a = a.unwrap();
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let a = t.as_user(&carol).get("/orgs").await;
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "exactly one personal org: {}", a.body);
    assert_eq!(items[0]["personal"], true);
    assert_eq!(items[0]["myRole"], "owner");
    assert!(items[0]["slug"].as_str().unwrap().starts_with("personal-"));
}

#[tokio::test]
async fn cognito_trigger_creates_the_personal_org_idempotently() {
    let t = TestApp::new().await;
    let event: aws_lambda_events_shim::Event = serde_json::from_str(
        &std::fs::read_to_string(
            integration_tests::repo_root().join("events/cognito-post-confirmation.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for _ in 0..2 {
        let back = service::orgs::personal::on_post_confirmation(&t.app, event.clone())
            .await
            .unwrap();
        assert_eq!(
            back.request.user_attributes.get("sub").unwrap(),
            "cognito-user-1"
        );
    }
    let token = token_for(
        JWT_SECRET,
        "cognito-user-1",
        Some("new.user@example.com"),
        true,
    );
    let a = t.call("GET", "/orgs", Some(&token), None).await;
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", a.body);
    assert_eq!(items[0]["name"], "New User's workspace");
}

mod aws_lambda_events_shim {
    pub use lambda_http::aws_lambda_events::event::cognito::CognitoEventUserPoolsPostConfirmation as Event;
}

#[tokio::test]
async fn my_orgs_are_paginated() {
    let t = TestApp::with_config(|c| c.org_create_limit = 10).await;
    let dana = t.user("dana");
    for i in 0..5 {
        t.create_org(&dana, &format!("Dana {i}")).await;
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/orgs?limit=2&cursor={c}"),
            None => "/orgs?limit=2".to_string(),
        };
        let (a, ops) = t.call_counted("GET", &path, &dana, None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        // One Query per page; the first page also looks up the directories' provisioned users.
        assert_eq!(
            ops.iter().filter(|o| **o == "Query").count(),
            if cursor.is_none() { 2 } else { 1 },
            "one Query per page"
        );
        for item in a.body["items"].as_array().unwrap() {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_string()),
                "no duplicates across pages"
            );
        }
        pages += 1;
        match a.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(pages >= 3);
    let a = t.as_user(&dana).get("/orgs?limit=0").await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("limit")));
    let a = t.as_user(&dana).get("/orgs?cursor=garbage").await;
    a.assert_problem(400, Code::InvalidCursor);
}

#[tokio::test]
async fn update_changes_fields_frees_the_old_slug_and_skips_no_ops() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let (owner, admin, other) = (t.user("owner"), t.user("admin"), t.user("other"));
    let org = t.create_org(&owner, "First Name").await;
    t.add_member(&org, &admin, Role::Admin).await;
    let path = format!("/orgs/{org}");

    let (a, ops) = t.call_counted("PATCH", &path, &admin, Some(json!({ "name": "Second", "slug": "second-slug", "settings": { "invitePolicy": "members" } }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        ops,
        vec!["BatchGetItem", "TransactWriteItems"],
        "at most 2 requests"
    );
    assert_eq!(
        (a.body["name"].as_str(), a.body["slug"].as_str()),
        (Some("Second"), Some("second-slug"))
    );
    assert_eq!(a.body["settings"]["invitePolicy"], "members");
    assert!(
        a.body.get("billingProfile").is_none(),
        "admins do not see billing"
    );

    // The old slug is free again.
    let a = t
        .as_user(&other)
        .post("/orgs", json!({ "name": "Taker", "slug": "first-name" }))
        .await;
    assert_eq!(a.status, 201, "old slug freed: {}", a.body);
    // The new one is not.
    let a = t
        .as_user(&other)
        .post("/orgs", json!({ "name": "Taker", "slug": "second-slug" }))
        .await;
    assert_eq!(a.status, 409);

    // Billing profile: owner only.
    let a = t
        .as_user(&admin)
        .patch(
            &path,
            json!({ "billingProfile": { "companyName": "Acme GmbH" } }),
        )
        .await;
    a.assert_problem(403, Code::Forbidden);
    let a = t.as_user(&owner).patch(&path, json!({ "billingProfile": { "companyName": "Acme GmbH", "email": "billing@acme.test" } })).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["billingProfile"]["companyName"], "Acme GmbH");

    // No-op: same values, one read and no write.
    let (a, ops) = t
        .call_counted(
            "PATCH",
            &path,
            &owner,
            Some(json!({ "name": "Second", "slug": "second-slug" })),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        ops,
        vec!["BatchGetItem"],
        "nothing changed, nothing written"
    );

    let a = t.as_user(&owner).patch(&path, json!({})).await;
    a.assert_problem(400, Code::NothingToUpdate);
    let a = t
        .as_user(&owner)
        .patch(&path, json!({ "settings": { "invitePolicy": "everyone" } }))
        .await;
    assert_eq!(a.status, 400);
    // Slug taken by another organization.
    let a = t
        .as_user(&owner)
        .patch(&path, json!({ "slug": "first-name" }))
        .await;
    a.assert_problem(409, Code::SlugTaken);
}

#[tokio::test]
async fn me_authorize_and_roles() {
    let t = TestApp::new().await;
    let (owner, viewer) = (t.user("owner"), t.user("viewer"));
    let org = t.create_org(&owner, "Acme").await;
    t.add_member(&org, &viewer, Role::Viewer).await;

    let (a, ops) = t
        .call_counted("GET", &format!("/orgs/{org}/me"), &viewer, None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(ops.len(), 1);
    assert_eq!(a.body["role"], "viewer");
    let perms: Vec<&str> = a.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"members.read") && !perms.contains(&"members.update"));

    let a = t
        .as_user(&viewer)
        .post(
            &format!("/orgs/{org}/authorize"),
            json!({ "permissions": ["projects.read", "projects.delete"] }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["allowed"], false);
    assert_eq!(
        a.body["results"][0],
        json!({ "permission": "projects.read", "allowed": true, "via": [{ "kind": "org_role", "role": "viewer", "roleName": "viewer" }] })
    );
    assert_eq!(
        a.body["results"][1],
        json!({ "permission": "projects.delete", "allowed": false, "via": [], "reason": "not_granted" })
    );
    let a = t
        .as_user(&viewer)
        .post(
            &format!("/orgs/{org}/authorize"),
            json!({ "permissions": ["nope.nothing"] }),
        )
        .await;
    a.assert_problem(400, Code::UnknownPermission);

    let a = t.as_user(&viewer).get("/roles").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["roles"].as_array().unwrap().len(), 6);
    assert!(a.body["permissions"].as_array().unwrap().len() >= 55);
}

#[tokio::test]
async fn identity_is_only_a_valid_token() {
    let t = TestApp::new().await;
    let a = t.call("GET", "/orgs", None, None).await;
    a.assert_problem(401, Code::Unauthenticated);
    let forged = token_for("another-secret", "mallory", None, false);
    let a = t.call("GET", "/orgs", Some(&forged), None).await;
    assert_eq!(a.status, 401);
    let a = t.call("GET", "/orgs", Some("not.a.jwt"), None).await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn production_identity_comes_from_the_jwt_authorizer_claims_only() {
    let t = TestApp::with_config(|c| c.auth = service::config::AuthMode::Jwt).await;
    let event = std::fs::read_to_string(
        integration_tests::repo_root().join("events/apigw-create-org.json"),
    )
    .unwrap();
    let req = lambda_http::request::from_str(&event).unwrap();
    let resp = service::pipeline::handle(&t.app, service::routes::route("create-org"), req).await;
    assert_eq!(resp.status(), 201);
    let lambda_http::Body::Text(body) = resp.body() else {
        panic!("text body")
    };
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["ownerId"], "user-alice");

    // Without the authorizer's claims a bearer token or an X-User-Id header identifies nobody.
    let mut unauth: serde_json::Value = serde_json::from_str(&event).unwrap();
    unauth["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    unauth["headers"]["x-user-id"] = json!("user-alice");
    unauth["headers"]["authorization"] = json!(format!(
        "Bearer {}",
        token_for(JWT_SECRET, "user-alice", None, false)
    ));
    let req = lambda_http::request::from_str(&unauth.to_string()).unwrap();
    let resp = service::pipeline::handle(&t.app, service::routes::route("create-org"), req).await;
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn the_cleanup_policy_is_validated_audited_and_evented_whole() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Tidy", "pro", &[Role::Viewer]).await;
    let path = format!("/orgs/{}/settings/cleanup-policy", f.id);
    let viewer = t.as_user(f.member(Role::Viewer));
    let current = viewer.get(&path).await;
    assert_eq!(
        current.assert_status(200)["stopIdleEnvironments"]["enabled"],
        false
    );
    let mut policy = current.body.clone();
    policy["deleteUnattachedVolumes"] = json!({ "enabled": true, "afterDays": 45 });
    viewer.put(&path, policy.clone()).await.assert_status(403);
    let owner = t.as_user(&f.owner);
    owner.put(&path, policy.clone()).await.assert_status(200);
    assert_eq!(viewer.get(&path).await.body, policy);
    // Out of range and unknown keys are refused, naming the field.
    let mut bad = policy.clone();
    bad["stopIdleEnvironments"]["afterDays"] = json!(0);
    let a = owner.put(&path, bad).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["field"], "stopIdleEnvironments.afterDays");
    let mut unknown = policy.clone();
    unknown["deleteEverything"] = json!({ "enabled": true, "afterDays": 1 });
    let a = owner.put(&path, unknown).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("deleteEverything"),
        "{}",
        a.body
    );
    // The event carries the whole policy and what changed; the same policy again changes nothing.
    owner.put(&path, policy.clone()).await.assert_status(200);
    let log = owner
        .get(&format!(
            "/orgs/{}/audit-log?action=settings.cleanup_policy_changed",
            f.id
        ))
        .await;
    let entries = log.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["eventType"], "CleanupPolicyChanged");
    assert_eq!(entries[0]["details"]["policy"], policy);
    assert_eq!(
        entries[0]["details"]["changedKeys"],
        json!(["deleteUnattachedVolumes"])
    );
}

/// Every answer names its request: the Lambda invocation's id, in the `x-request-id` header and
/// in a problem's `requestId`, so an incident can be followed from the answer to the log line.
#[tokio::test]
async fn every_answer_names_the_invocations_request_id() {
    use lambda_http::RequestExt;
    let t = TestApp::new().await;
    let (route, _) = service::routes::match_route("GET", "/orgs").unwrap();
    let call = |token: Option<String>| {
        let mut ctx = lambda_http::Context::default();
        ctx.request_id = "8f1c2d9e-request".to_string();
        let mut b = lambda_http::http::Request::builder()
            .method("GET")
            .uri("https://api.example.com/orgs");
        if let Some(token) = token {
            b = b.header("authorization", format!("Bearer {token}"));
        }
        lambda_http::Request::from(b.body(lambda_http::Body::Empty).unwrap())
            .with_lambda_context(ctx)
    };
    let refused = service::pipeline::handle(&t.app, route, call(None)).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["x-request-id"], "8f1c2d9e-request");
    let body: Value = match refused.body() {
        lambda_http::Body::Text(b) => serde_json::from_str(b).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(body["requestId"], "8f1c2d9e-request", "{body}");
    let user = t.user("traced");
    let ok = service::pipeline::handle(&t.app, route, call(Some(user.token))).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-request-id"], "8f1c2d9e-request");
}

/// Each request's line is its metrics document (CloudWatch's embedded metric format): the
/// route's `Errors5xx` and `DynamoRequests`, the answer by status and by problem code, with the
/// values at the top level where the `_aws` directives name them.
#[tokio::test]
async fn every_request_line_is_an_embedded_metric_document() {
    let t = TestApp::new().await;
    let owner = t.user("metrics");
    let (created, ops) = t
        .call_counted("POST", "/orgs", &owner, Some(json!({"name": "Metrics"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let line = t.request_line(&created.headers["x-request-id"]);
    assert_eq!(line["DynamoRequests"], ops.len());
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["caller"], owner.id.as_str());
    assert!(
        line.get("cause").is_none() && line.get("code").is_none(),
        "{line}"
    );
    let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    let by_route = &directives[0];
    assert_eq!(by_route["Namespace"], service::metrics::DEFAULT_NAMESPACE);
    assert_eq!(by_route["Dimensions"], json!([["route"]]));
    assert_eq!(
        by_route["Metrics"],
        json!([{"Name": "Errors5xx", "Unit": "Count"}, {"Name": "DynamoRequests", "Unit": "Count"}])
    );
    assert_eq!(directives[1]["Dimensions"], json!([["status"]]));
    assert_eq!(
        (line["Errors5xx"].clone(), line["Answers"].clone()),
        (json!(0), json!(1))
    );

    let missing = t
        .as_user(&owner)
        .get("/orgs/org_00000000000000000000000000")
        .await;
    let line = t.request_line(&missing.headers["x-request-id"]);
    assert_eq!(line["status"], missing.status.to_string());
    assert_eq!(line["code"], missing.body["code"]);
    assert_eq!(
        directives_of(&line),
        vec![json!([["route"]]), json!([["status"], ["code"]])]
    );
    // Every name a directive uses is a top-level field of the line.
    for d in line["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
        for set in d["Dimensions"].as_array().unwrap() {
            for dim in set.as_array().unwrap() {
                assert!(
                    line[dim.as_str().unwrap()].is_string(),
                    "dimension {dim} in {line}"
                );
            }
        }
        for m in d["Metrics"].as_array().unwrap() {
            assert!(
                line[m["Name"].as_str().unwrap()].is_number(),
                "metric {m} in {line}"
            );
        }
    }

    // A 5xx is an ERROR line with its cause (which the answer never shows).
    let doc = service::pipeline::request_line(
        "Orgs/test",
        &service::pipeline::RequestLine {
            request_id: "r-1",
            route: "get-org",
            status: 503,
            code: Some("service_unavailable"),
            latency_ms: 12,
            dynamo_requests: 1,
            counts: &[("EmailsSent", 1)],
            caller: None,
            cause: Some("GetItem: throttled"),
        },
    );
    assert_eq!(
        (
            &doc["level"],
            &doc["Errors5xx"],
            &doc["cause"],
            &doc["caller"]
        ),
        (
            &json!("ERROR"),
            &json!(1),
            &json!("GetItem: throttled"),
            &json!("")
        )
    );
    // A handler's counts are metrics by route too.
    assert_eq!(doc["EmailsSent"], 1);
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][2],
        json!({"Name": "EmailsSent", "Unit": "Count"})
    );

    // Measured for real: an invitation's email, an API key verified and refused.
    let org = created.body["id"].as_str().unwrap();
    let invited = t
        .as_user(&owner)
        .post(
            &format!("/orgs/{org}/invitations"),
            json!({"email": "counted@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let line = t.request_line(&invited.headers["x-request-id"]);
    assert_eq!(
        (&line["EmailsSent"], line.get("EmailsFailed")),
        (&json!(1), None),
        "{line}"
    );
    let refused = t
        .call(
            "POST",
            "/api-keys/verify",
            None,
            Some(json!({"key": "orgs_k_not-a-key"})),
        )
        .await;
    assert_eq!(refused.body["valid"], false);
    let line = t.request_line(&refused.headers["x-request-id"]);
    assert_eq!(
        (&line["ApiKeysInvalid"], line.get("ApiKeysValid")),
        (&json!(1), None),
        "{line}"
    );
}

fn directives_of(line: &Value) -> Vec<Value> {
    line["_aws"]["CloudWatchMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Dimensions"].clone())
        .collect()
}
