//! Walks every route of the route table with every principal and checks the status each must get.
//! A route without a sample request here fails the test, so every new route is covered at once.

use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use shared::permissions::Role;
use shared::routes::{Access, Effect, Need, RouteDef, ROUTES};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Principal {
    Member(Role),
    NonMember,
    OtherOrgMember,
    NoToken,
}

const PRINCIPALS: [Principal; 9] = [
    Principal::Member(Role::Owner),
    Principal::Member(Role::Admin),
    Principal::Member(Role::Editor),
    Principal::Member(Role::Developer),
    Principal::Member(Role::Viewer),
    Principal::Member(Role::Guest),
    Principal::NonMember,
    Principal::OtherOrgMember,
    Principal::NoToken,
];

/// One organization with a member of every role, a target member, and a second organization.
struct Fixture {
    org: String,
    members: Vec<(Role, User)>,
    /// A viewer that member routes act on.
    target: User,
    outsider: User,
    other_org_owner: User,
    invitation_id: String,
    code: String,
}

async fn fixture(t: &TestApp) -> Fixture {
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Walked").await;
    let mut members = vec![(Role::Owner, owner)];
    for role in [
        Role::Admin,
        Role::Editor,
        Role::Developer,
        Role::Viewer,
        Role::Guest,
    ] {
        members.push((role, t.user(role.as_str())));
    }
    let target = t.user("target");
    let mut added: Vec<(&User, Role)> = members[1..].iter().map(|(r, u)| (u, *r)).collect();
    added.push((&target, Role::Viewer));
    t.set_plan(&org, "pro").await;
    t.add_members(&org, &added).await;
    let (invitation_id, code) = t
        .insert_invitation(
            &org,
            &members[0].1,
            "walk-invitee@example.com",
            Role::Viewer,
            5,
        )
        .await;
    let other_org_owner = t.user("elsewhere");
    t.create_org(&other_org_owner, "Elsewhere").await;
    Fixture {
        org,
        members,
        target,
        outsider: t.user("outsider"),
        other_org_owner,
        invitation_id,
        code,
    }
}

/// A valid request for the route: (path, body, status on success).
fn sample(route: &RouteDef, f: &Fixture) -> (String, Option<Value>, u16) {
    let org = &f.org;
    let target = &f.target.id;
    let fill = |p: &str| {
        p.replace("{orgId}", org)
            .replace("{userId}", target)
            .replace("{invitationId}", &f.invitation_id)
            .replace("{code}", &f.code)
    };
    let (body, status) = match route.function {
        "create-org" => (Some(json!({ "name": "New Org" })), 201),
        "list-my-orgs" | "get-org" | "get-my-access" | "list-roles" => (None, 200),
        "update-org" => (Some(json!({ "name": "Renamed" })), 200),
        "authorize" => (Some(json!({ "permissions": ["org.read"] })), 200),
        "list-members" | "list-audit-log" => (None, 200),
        "change-member-role" => (Some(json!({ "role": "developer" })), 200),
        "remove-member" => (None, 204),
        "transfer-ownership" => (Some(json!({ "userId": target })), 200),
        "create-invitation" => (
            Some(json!({ "email": "invitee@example.com", "role": "guest" })),
            201,
        ),
        "list-invitations" | "get-invitation-code" | "get-subscription" | "list-my-invitations" => {
            (None, 200)
        }
        "resend-invitation" => (None, 200),
        "revoke-invitation" => (None, 204),
        "cleanup-invitations" => (None, 200),
        "change-plan" => (Some(json!({ "plan": "agency" })), 200),
        "preview-invitation" => (None, 200),
        "accept-invitation" => (None, 201),
        other => {
            panic!("route {other} has no sample request in tests/tests/authorization.rs: add one")
        }
    };
    (fill(route.path), body, status)
}

fn expected(route: &RouteDef, principal: Principal, success: u16) -> u16 {
    // Members are told they are members already; everyone else sees or joins.
    if let (Principal::Member(_), "accept-invitation" | "preview-invitation") =
        (principal, route.function)
    {
        return 409;
    }
    match (principal, route.access) {
        (Principal::NoToken, _) => 401,
        (_, Access::User) => success,
        (Principal::NonMember | Principal::OtherOrgMember, Access::Org(_)) => 404,
        (Principal::Member(role), Access::Org(rule)) => {
            let allowed = match rule.need {
                Need::Any => true,
                Need::Perm(p) | Need::PermOrSelf(p) => role.has(p),
            };
            if allowed {
                success
            } else {
                403
            }
        }
    }
}

fn token_of(f: &Fixture, principal: Principal) -> Option<String> {
    match principal {
        Principal::Member(role) => f
            .members
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, u)| u.token.clone()),
        Principal::NonMember => Some(f.outsider.token.clone()),
        Principal::OtherOrgMember => Some(f.other_org_owner.token.clone()),
        Principal::NoToken => None,
    }
}

#[tokio::test]
async fn every_route_with_every_principal() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let mut tasks = tokio::task::JoinSet::new();
    for route in ROUTES {
        let t = t.clone();
        tasks.spawn(async move {
            // Cases expected to succeed at a change get a fresh organization each, so no success can
            // affect another case; the others share one (a refusal changes nothing, and reads neither).
            let shared_fixture = fixture(&t).await;
            let mut results = Vec::new();
            for principal in PRINCIPALS {
                let (_, _, success) = sample(route, &shared_fixture);
                let changes = route.method != "GET" && expected(route, principal, success) < 300;
                let own;
                let f = if changes {
                    own = fixture(&t).await;
                    &own
                } else {
                    &shared_fixture
                };
                let (path, body, success) = sample(route, f);
                let want = expected(route, principal, success);
                let a = t
                    .call(route.method, &path, token_of(f, principal).as_deref(), body)
                    .await;
                results.push((route.method, route.path, principal, want, a.status, a.body));
            }
            results
        });
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    let results: Vec<_> = tasks.join_all().await.into_iter().flatten().collect();
    for (method, path, principal, want, got, body) in results {
        cases += 1;
        if want != got {
            failures.push(format!(
                "{method} {path} as {principal:?}: want {want}, got {got} {body}"
            ));
        }
        if got == 403 {
            assert_eq!(body["code"], "forbidden");
        }
        if got == 404 {
            assert_eq!(
                body["code"], "org_not_found",
                "non-members cannot tell a missing org from a foreign one"
            );
        }
    }
    assert_eq!(cases, ROUTES.len() * PRINCIPALS.len());
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_closed_organization_refuses_every_write_and_serves_reads() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    for route in ROUTES.iter().filter(|r| matches!(r.access, Access::Org(_))) {
        let f = fixture(&t).await;
        t.close_org(&f.org).await;
        let (path, body, success) = sample(route, &f);
        let owner = token_of(&f, Principal::Member(Role::Owner));
        let a = t.call(route.method, &path, owner.as_deref(), body).await;
        let Access::Org(rule) = route.access else {
            unreachable!()
        };
        match rule.effect {
            Effect::Write => assert_eq!(
                (a.status, a.body["code"].as_str()),
                (409, Some("org_read_only")),
                "{} {}",
                route.method,
                route.path
            ),
            Effect::Read => assert_eq!(
                a.status, success,
                "{} {} reads work in grace: {}",
                route.method, route.path, a.body
            ),
            Effect::Reactivate => assert!(
                a.status < 300,
                "{} {}: {}",
                route.method,
                route.path,
                a.body
            ),
        }
    }
}

#[tokio::test]
async fn malformed_org_ids_look_like_unknown_orgs() {
    let t = TestApp::new().await;
    let u = t.user("u");
    for id in ["nope", "org_00000000000000000000000000000000", "ORG%23x"] {
        let a = t
            .call("GET", &format!("/orgs/{id}"), Some(&u.token), None)
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (404, Some("org_not_found")),
            "{id}"
        );
    }
    // Ids that cannot exist deeper in the path are refused only after the membership check.
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Real").await;
    for path in [
        format!("/orgs/{org}/members/bad%23id"),
        format!("/orgs/{org}/invitations/nope/code"),
    ] {
        let method = if path.ends_with("/code") {
            "GET"
        } else {
            "DELETE"
        };
        let a = t.call(method, &path, Some(&u.token), None).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (404, Some("org_not_found")),
            "outsider {path}"
        );
    }
    let a = t
        .call(
            "GET",
            &format!("/orgs/{org}/invitations/nope/code"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (404, Some("invitation_not_found"))
    );
}

/// DynamoDB requests per route, counted on the SDK client: every single-item route makes at most
/// two (the access read and one write); the exceptions are listed with their reason.
#[tokio::test]
async fn dynamodb_requests_per_route() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let mut table = Vec::new();
    for route in ROUTES {
        let f = fixture(&t).await;
        if route.function == "cleanup-invitations" {
            // Something to remove, so the cleanup's transaction (deletes, seats, audit) is measured too.
            t.expire_invitation(&f.org, &f.invitation_id).await;
        }
        let (path, body, success) = sample(route, &f);
        let principal = if matches!(route.function, "accept-invitation" | "preview-invitation") {
            Principal::NonMember
        } else {
            Principal::Member(Role::Owner)
        };
        t.requests.reset();
        let a = t
            .call(
                route.method,
                &path,
                token_of(&f, principal).as_deref(),
                body,
            )
            .await;
        assert_eq!(
            a.status, success,
            "{} {}: {}",
            route.method, route.path, a.body
        );
        let ops = t.requests.operations();
        let allowed = match route.function {
            // The email's outcome (sent/failed) is recorded after SES answers.
            "create-invitation" | "resend-invitation" => 3,
            // Lists: one Query per page, plus one BatchGetItem (access read, or the page's organizations).
            // Cleanup reads one page of invitations and removes what is due in one transaction.
            "cleanup-invitations" => 3,
            _ => 2,
        };
        assert!(
            ops.len() <= allowed,
            "{} {} made {} requests: {ops:?}",
            route.method,
            route.path,
            ops.len()
        );
        assert!(!ops.contains(&"Scan"), "no Scan anywhere");
        // What the requests did (a transaction counted by its items) is within the IAM actions
        // the route declares, so the template's least-privilege policy is enough for it.
        let actions = t.requests.actions();
        let declared: Vec<&str> = route.dynamo.iter().map(|d| d.operation()).collect();
        let undeclared: Vec<&&str> = actions.iter().filter(|a| !declared.contains(a)).collect();
        assert!(
            undeclared.is_empty(),
            "{} {} used {undeclared:?}, which its route does not declare (declared: {declared:?})",
            route.method,
            route.path
        );
        // Every change an organization route commits is conditional on the caller's access as it
        // was read: the transaction holds a condition on the caller's membership.
        if route.org_rule().is_some_and(|r| r.effect == Effect::Write) {
            let me = shared::members::item::MemberItem::key_of(
                &shared::domain::OrgId::parse(&f.org).unwrap(),
                &shared::domain::UserId::parse("userId", &f.members[0].1.id).unwrap(),
            );
            let items = t.requests.transaction_items();
            assert!(
                items
                    .iter()
                    .any(|i| i.pk == me.pk && i.sk == me.sk && i.condition.is_some()),
                "{} {}: no condition on the caller's membership in {items:?}",
                route.method,
                route.path
            );
        }
        table.push(format!(
            "{:<7} {:<50} {} {:?} actions {:?}",
            route.method,
            route.path,
            ops.len(),
            ops,
            actions
        ));
    }
    println!("{}", table.join("\n"));
}
