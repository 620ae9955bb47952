//! The access a write was decided on still holds when it commits: requests in flight from a
//! member who is demoted or removed, or into an organization that is closed, change nothing.
//! Each test runs the real pipeline (`run_org`: the access read and checks) and the real handler,
//! and makes the change between the two, exactly where a concurrent request would land.

use crate::authorization::Fixture;
use integration_tests::{OrgFixture, TestApp, User};
use serde_json::{json, Value};
use service::access::Ctx;
use service::auth::Caller;
use service::error::{ApiError, Code};
use service::permissions::Role;
use service::pipeline::{run_org, Input, Reply, RouteDef};
use std::collections::HashMap;
use std::future::Future;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "get-my-access" | "list-roles" => (None, 200),
        "authorize" => (Some(json!({ "permissions": ["org.read"] })), 200),
        "authorize-on-behalf" => (
            Some(
                json!({ "subject": format!("user:{}", f.target.id), "permissions": ["org.read"] }),
            ),
            200,
        ),
        _ => return None,
    })
}

fn caller(user: &User) -> Caller {
    Caller::from_claims(&HashMap::from([
        ("sub".to_string(), user.id.clone()),
        ("email".to_string(), user.email.clone()),
        ("email_verified".to_string(), "true".to_string()),
    ]))
    .unwrap()
}

/// Runs `route` as `user` with `path` parameters and `body`; `meanwhile` runs after the
/// pipeline read and checked the caller's access and before the handler writes.
async fn in_flight<H, HF, M, MF>(
    t: &TestApp,
    user: &User,
    route: &RouteDef,
    path: &[(&str, &str)],
    body: Option<Value>,
    handler: H,
    meanwhile: M,
) -> Result<Reply, ApiError>
where
    H: FnOnce(service::App, Ctx, Input) -> HF,
    HF: Future<Output = Result<Reply, ApiError>>,
    M: FnOnce() -> MF,
    MF: Future<Output = ()>,
{
    let input = Input {
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        query: HashMap::new(),
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        ..Input::default()
    };
    let rule = route.org_rule().expect("an organization route");
    run_org(
        t.app.clone(),
        caller(user),
        input,
        rule,
        |app, ctx: Ctx, input| async move {
            meanwhile().await;
            handler(app, ctx, input).await
        },
    )
    .await
}

async fn demote(t: &TestApp, f: &OrgFixture, user: &User, role: &str) {
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}/members/{}", f.id, user.id),
            json!({ "role": role }),
        )
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_admin_demoted_while_renaming_changes_nothing() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Flight Co", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let got = in_flight(
        &t,
        &admin,
        &service::routes::UPDATE_ORG,
        &[("orgId", &f.id)],
        Some(json!({ "name": "Renamed" })),
        service::orgs::handlers::update_org,
        || demote(&t, &f, &admin, "viewer"),
    )
    .await;
    assert_eq!(got.unwrap_err().code, Code::YourRoleChanged);
    let org = t.as_user(&f.owner).get(&format!("/orgs/{}", f.id)).await;
    assert_eq!(
        org.assert_status(200)["name"],
        "Flight Co",
        "nothing changed"
    );
}

#[tokio::test]
async fn an_admin_removed_while_revoking_changes_nothing() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Flight Co", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let (invitation, _) = t
        .insert_invitation(&f.id, &f.owner, "someone@example.com", Role::Viewer, 1)
        .await;
    let got = in_flight(
        &t,
        &admin,
        &service::routes::REVOKE_INVITATION,
        &[("orgId", &f.id), ("invitationId", &invitation)],
        None,
        service::invitations::manage::revoke,
        || async {
            t.as_user(&f.owner)
                .delete(&format!("/orgs/{}/members/{}", f.id, admin.id))
                .await
                .assert_status(204);
        },
    )
    .await;
    assert_eq!(got.unwrap_err().code, Code::YourRoleChanged);
    let list = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations", f.id))
        .await;
    assert_eq!(list.assert_status(200)["items"][0]["status"], "pending");
}

#[tokio::test]
async fn an_inviter_demoted_while_inviting_invites_nobody() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Flight Co", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let got = in_flight(
        &t,
        &admin,
        &service::routes::CREATE_INVITATION,
        &[("orgId", &f.id)],
        Some(json!({ "email": "new@example.com", "role": "admin" })),
        service::invitations::create::create_invitation,
        || demote(&t, &f, &admin, "developer"),
    )
    .await;
    assert_eq!(got.unwrap_err().code, Code::YourRoleChanged);
    let list = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations", f.id))
        .await;
    assert_eq!(list.assert_status(200)["items"], json!([]));
}

#[tokio::test]
async fn a_resend_into_an_organization_closed_meanwhile_changes_nothing() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Flight Co", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let (invitation, _) = t
        .insert_invitation(&f.id, &f.owner, "someone@example.com", Role::Viewer, 1)
        .await;
    let got = in_flight(
        &t,
        &admin,
        &service::routes::RESEND_INVITATION,
        &[("orgId", &f.id), ("invitationId", &invitation)],
        None,
        service::invitations::manage::resend,
        || t.close_org(&f.id),
    )
    .await;
    assert_eq!(got.unwrap_err().code, Code::OrgClosed);
    assert_eq!(
        t.invitation_item(&f.id, &invitation).await.send_count,
        1,
        "not resent"
    );
}
