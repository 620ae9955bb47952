//! Custom roles through the API: bounded by their author, held by id, effective at once, never
//! deleted while held, and the hierarchy rule as subset comparison.

use crate::authorization::Fixture;
use integration_tests::faults::{Fault, Faults, Plan};
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::{Permission, Role};
use std::collections::BTreeSet;
use std::time::Duration;

/// The authorization walk's valid request for each of this concept's routes (body, status on
/// success); `None` for a function that is not this concept's.
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-org-roles" => (None, 200),
        "create-role" => (
            Some(
                json!({ "name": "Walk deployer", "permissions": ["projects.read", "deployments.create"], "projectRole": "developer" }),
            ),
            201,
        ),
        "update-role" => (Some(json!({ "name": "Walk auditor (renamed)" })), 200),
        "delete-role" => (None, 204),
        _ => return None,
    })
}

struct Org {
    id: String,
    owner: User,
    admin: User,
    editor: User,
    viewer: User,
}

async fn org(t: &TestApp) -> Org {
    let f = t
        .org_fixture(
            "Roles Inc",
            "pro",
            &[Role::Admin, Role::Editor, Role::Viewer],
        )
        .await;
    Org {
        admin: f.member(Role::Admin).clone(),
        editor: f.member(Role::Editor).clone(),
        viewer: f.member(Role::Viewer).clone(),
        id: f.id,
        owner: f.owner,
    }
}

async fn create_role(t: &TestApp, o: &Org, by: &User, body: Value) -> integration_tests::Answer {
    t.as_user(by)
        .post(&format!("/orgs/{}/roles", o.id), body)
        .await
}

/// Creates a role and returns its id.
async fn role(
    t: &TestApp,
    o: &Org,
    by: &User,
    name: &str,
    permissions: &[&str],
    project_role: &str,
) -> String {
    let a = create_role(
        t,
        o,
        by,
        json!({ "name": name, "permissions": permissions, "projectRole": project_role }),
    )
    .await;
    a.assert_status(201)["id"].as_str().unwrap().to_string()
}

/// A new member of `o` holding `role`, added as production adds one: invited with that role
/// (by the admin) and accepting with the emailed code.
async fn join_with(t: &TestApp, o: &Org, role: &str, name: &str) -> User {
    let user = t.user(name);
    let inv = t
        .as_user(&o.admin)
        .post(
            &format!("/orgs/{}/invitations", o.id),
            json!({ "email": user.email, "role": role }),
        )
        .await;
    let id = inv.assert_status(201)["id"].as_str().unwrap().to_string();
    let code = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations/{id}/code", o.id))
        .await;
    let code = code.assert_status(200)["code"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = t
        .as_user(&user)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(joined.assert_status(201)["role"], role);
    user
}

async fn set_role(
    t: &TestApp,
    o: &Org,
    by: &User,
    user: &User,
    role: &str,
) -> integration_tests::Answer {
    t.as_user(by)
        .patch(
            &format!("/orgs/{}/members/{}", o.id, user.id),
            json!({ "role": role }),
        )
        .await
}

/// What `/authorize` allows `user` of every permission in the matrix (optionally in a project).
async fn allowed(t: &TestApp, o: &Org, user: &User, project: Option<&str>) -> BTreeSet<String> {
    let mut body =
        json!({ "permissions": Permission::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>() });
    if let Some(p) = project {
        body["projectId"] = json!(p);
    }
    let a = t
        .as_user(user)
        .post(&format!("/orgs/{}/authorize", o.id), body)
        .await;
    a.assert_status(200)["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["allowed"] == true)
        .map(|r| r["permission"].as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn holders(t: &TestApp, o: &Org, role: &str) -> Value {
    let a = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/roles", o.id))
        .await;
    a.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == role)
        .map(|r| r["holders"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_invitee_with_a_custom_role_is_allowed_exactly_its_permissions() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let billing = role(
        &t,
        &o,
        &o.admin,
        "billing-viewer",
        &["usage.read", "subscription.read"],
        "none",
    )
    .await;
    assert!(billing.starts_with("role_"));
    let listed = t
        .as_user(&o.viewer)
        .get(&format!("/orgs/{}/roles", o.id))
        .await;
    let items = listed.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 7, "six system roles and the custom one");
    assert_eq!(items[0]["id"], "owner");
    let custom = &items[6];
    assert_eq!(
        (
            custom["kind"].as_str(),
            custom["name"].as_str(),
            custom["projectRole"].as_str()
        ),
        (Some("custom"), Some("billing-viewer"), Some("none"))
    );
    assert_eq!(
        custom["permissions"],
        json!(["org.read", "usage.read", "subscription.read"])
    );

    let member = join_with(&t, &o, &billing, "billing").await;
    assert_eq!(
        allowed(&t, &o, &member, None).await,
        set(&["org.read", "usage.read", "subscription.read"])
    );
    let a = t
        .as_user(&member)
        .post(
            &format!("/orgs/{}/authorize", o.id),
            json!({ "permissions": ["usage.read", "members.read"] }),
        )
        .await;
    let body = a.assert_status(200);
    assert_eq!(
        (
            body["allowed"].as_bool(),
            body["role"].as_str(),
            body["roleName"].as_str()
        ),
        (Some(false), Some(billing.as_str()), Some("billing-viewer"))
    );
    assert_eq!(
        body["results"][0]["via"],
        json!([{ "kind": "org_role", "role": billing, "roleName": "billing-viewer" }])
    );
    let me = t.as_user(&member).get(&format!("/orgs/{}/me", o.id)).await;
    let me = me.assert_status(200);
    assert_eq!(
        (me["role"].as_str(), me["roleName"].as_str()),
        (Some(billing.as_str()), Some("billing-viewer"))
    );
    assert_eq!(
        me["permissions"],
        json!(["org.read", "usage.read", "subscription.read"])
    );
    // The routes decide as /authorize explains: the subscription reads, the members list does not.
    t.as_user(&member)
        .get(&format!("/orgs/{}/subscription", o.id))
        .await
        .assert_status(200);
    t.as_user(&member)
        .get(&format!("/orgs/{}/members", o.id))
        .await
        .assert_problem(403, Code::Forbidden);
    // Views name the role by id and by name.
    let members = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/members?role={billing}", o.id))
        .await;
    let listed = members.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0]["userId"].as_str(), listed[0]["roleName"].as_str()),
        (Some(member.id.as_str()), Some("billing-viewer"))
    );
    assert_eq!(
        holders(&t, &o, &billing).await,
        json!({ "members": 1, "invitations": 0, "apiKeys": 0, "enrollments": 0 })
    );
    // The audit log and the event carry the role's permissions.
    let log = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/audit-log?action=role.created", o.id))
        .await;
    let entry = &log.assert_status(200)["items"][0];
    assert_eq!(entry["eventType"], "RoleCreated");
    assert_eq!(
        entry["details"]["permissions"]["after"],
        json!(["org.read", "subscription.read", "usage.read"])
    );
}

#[tokio::test]
async fn a_role_is_bounded_by_its_author() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    // Editors do not manage roles at all.
    create_role(
        &t,
        &o,
        &o.editor,
        json!({ "name": "x", "permissions": ["members.update"], "projectRole": "none" }),
    )
    .await
    .assert_problem(403, Code::Forbidden);
    // Owner-only permissions are never part of a custom role, not even the owner's.
    let a = create_role(&t, &o, &o.owner, json!({ "name": "closer", "permissions": ["org.close", "billing.read", "projects.read"], "projectRole": "none" })).await;
    a.assert_problem(400, Code::ValidationFailed);
    assert_eq!(a.body["ownerOnly"], json!(["org.close", "billing.read"]));
    create_role(
        &t,
        &o,
        &o.admin,
        json!({ "name": "x", "permissions": ["nope.read"], "projectRole": "none" }),
    )
    .await
    .assert_problem(400, Code::UnknownPermission);
    // A role manager with a custom role creates roles within their own permissions only.
    let curator = role(
        &t,
        &o,
        &o.admin,
        "role curator",
        &[
            "roles.read",
            "roles.manage",
            "members.read",
            "projects.read",
        ],
        "viewer",
    )
    .await;
    let manager = join_with(&t, &o, &curator, "curator").await;
    let a = create_role(&t, &o, &manager, json!({ "name": "too much", "permissions": ["members.read", "members.update", "deployments.create"], "projectRole": "none" })).await;
    a.assert_problem(403, Code::RoleAboveYours);
    assert_eq!(
        a.body["permissions"],
        json!(["members.update", "deployments.create"]),
        "{}",
        a.body
    );
    assert!(a.body["detail"]
        .as_str()
        .unwrap()
        .contains("members.update"));
    // ... and a project role not above theirs.
    create_role(&t, &o, &manager, json!({ "name": "project dev", "permissions": ["projects.read"], "projectRole": "developer" }))
        .await
        .assert_problem(403, Code::RoleAboveYours);
    role(&t, &o, &manager, "reader", &["members.read"], "viewer").await;
    // Names are unique, case-insensitively, and no system role's.
    create_role(
        &t,
        &o,
        &o.admin,
        json!({ "name": "READER", "permissions": [], "projectRole": "none" }),
    )
    .await
    .assert_problem(409, Code::RoleNameTaken);
    create_role(
        &t,
        &o,
        &o.admin,
        json!({ "name": "Admin", "permissions": [], "projectRole": "none" }),
    )
    .await
    .assert_problem(409, Code::RoleNameTaken);
    // Nobody changes a role they do not cover: the curator cannot edit a stronger one.
    let deployer = role(
        &t,
        &o,
        &o.admin,
        "deployer",
        &["deployments.create"],
        "developer",
    )
    .await;
    t.as_user(&manager)
        .patch(
            &format!("/orgs/{}/roles/{deployer}", o.id),
            json!({ "name": "mine now" }),
        )
        .await
        .assert_problem(403, Code::RoleAboveYours);
    // System roles are not custom roles.
    t.as_user(&o.admin)
        .patch(
            &format!("/orgs/{}/roles/admin", o.id),
            json!({ "name": "boss" }),
        )
        .await
        .assert_problem(404, Code::RoleNotFound);
}

#[tokio::test]
async fn renaming_keeps_access_and_a_removed_permission_is_gone_on_the_next_request() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let deployer = role(
        &t,
        &o,
        &o.admin,
        "deployer",
        &["projects.read", "deployments.create"],
        "viewer",
    )
    .await;
    set_role(&t, &o, &o.admin, &o.viewer, &deployer)
        .await
        .assert_status(200);
    assert!(allowed(&t, &o, &o.viewer, None)
        .await
        .contains("deployments.create"));
    let renamed = t
        .as_user(&o.admin)
        .patch(
            &format!("/orgs/{}/roles/{deployer}", o.id),
            json!({ "name": "release manager" }),
        )
        .await;
    assert_eq!(renamed.assert_status(200)["name"], "release manager");
    assert!(
        allowed(&t, &o, &o.viewer, None)
            .await
            .contains("deployments.create"),
        "renaming keeps access"
    );
    let me = t
        .as_user(&o.viewer)
        .get(&format!("/orgs/{}/me", o.id))
        .await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["roleName"].as_str()),
        (Some(deployer.as_str()), Some("release manager"))
    );
    let changed = t
        .as_user(&o.admin)
        .patch(
            &format!("/orgs/{}/roles/{deployer}", o.id),
            json!({ "permissions": ["projects.read"] }),
        )
        .await;
    assert_eq!(changed.assert_status(200)["version"], 3);
    assert_eq!(
        allowed(&t, &o, &o.viewer, None).await,
        set(&["org.read", "projects.read"])
    );
    let log = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/audit-log?action=role.updated", o.id))
        .await;
    let details = &log.assert_status(200)["items"][0]["details"];
    assert_eq!(
        details["permissions"],
        json!({ "before": ["deployments.create", "org.read", "projects.read"], "after": ["org.read", "projects.read"] })
    );
}

#[tokio::test]
async fn a_held_role_cannot_be_deleted_and_the_counts_say_what_holds_it() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let auditor = role(
        &t,
        &o,
        &o.admin,
        "auditor",
        &["audit.read", "members.read"],
        "viewer",
    )
    .await;
    set_role(&t, &o, &o.admin, &o.viewer, &auditor)
        .await
        .assert_status(200);
    let inv = t
        .as_user(&o.admin)
        .post(
            &format!("/orgs/{}/invitations", o.id),
            json!({ "email": "aud@example.com", "role": auditor, "maxUses": 3 }),
        )
        .await;
    let inv = inv.assert_status(201).clone();
    assert_eq!(inv["roleName"], "auditor");
    let key = t
        .as_user(&o.admin)
        .post(
            &format!("/orgs/{}/api-keys", o.id),
            json!({ "name": "SIEM", "role": auditor }),
        )
        .await;
    let key = key.assert_status(201).clone();
    assert_eq!(
        (key["role"].as_str(), key["roleName"].as_str()),
        (Some(auditor.as_str()), Some("auditor"))
    );
    // The key is verified as the role decides.
    let v = t
        .call(
            "POST",
            "/api-keys/verify",
            None,
            Some(json!({ "key": key["key"], "permissions": ["audit.read", "members.update"] })),
        )
        .await;
    let v = v.assert_status(200);
    assert_eq!(
        (
            v["roleName"].as_str(),
            v["allowed"]["audit.read"].as_bool(),
            v["allowed"]["members.update"].as_bool()
        ),
        (Some("auditor"), Some(true), Some(false))
    );

    let path = format!("/orgs/{}/roles/{auditor}", o.id);
    let a = t.as_user(&o.admin).delete(&path).await;
    a.assert_problem(409, Code::RoleInUse);
    assert_eq!(
        a.body["holders"],
        json!({ "members": 1, "invitations": 1, "apiKeys": 1, "enrollments": 0 })
    );
    // Each holder let go: the member gets another role, the invitation and the key are revoked.
    set_role(&t, &o, &o.admin, &o.viewer, "viewer")
        .await
        .assert_status(200);
    t.as_user(&o.admin)
        .delete(&format!(
            "/orgs/{}/invitations/{}",
            o.id,
            inv["id"].as_str().unwrap()
        ))
        .await
        .assert_status(204);
    assert_eq!(
        holders(&t, &o, &auditor).await,
        json!({ "members": 0, "invitations": 0, "apiKeys": 1, "enrollments": 0 })
    );
    t.as_user(&o.admin)
        .delete(&path)
        .await
        .assert_problem(409, Code::RoleInUse);
    t.as_user(&o.admin)
        .delete(&format!(
            "/orgs/{}/api-keys/{}",
            o.id,
            key["id"].as_str().unwrap()
        ))
        .await
        .assert_status(204);
    t.as_user(&o.admin).delete(&path).await.assert_status(204);
    // Gone: nothing can be given it any more.
    set_role(&t, &o, &o.admin, &o.viewer, &auditor)
        .await
        .assert_problem(404, Code::RoleNotFound);
    let log = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/audit-log?action=role.deleted", o.id))
        .await;
    assert_eq!(
        log.assert_status(200)["items"][0]["eventType"],
        "RoleDeleted"
    );
}

#[tokio::test]
async fn two_incomparable_custom_roles_are_not_below_each_other() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let a_role = role(
        &t,
        &o,
        &o.admin,
        "people and deploys",
        &["members.read", "members.update", "deployments.create"],
        "viewer",
    )
    .await;
    let b_role = role(
        &t,
        &o,
        &o.admin,
        "people and dns",
        &["members.read", "members.update", "dns.manage"],
        "viewer",
    )
    .await;
    let a = join_with(&t, &o, &a_role, "a").await;
    let b = join_with(&t, &o, &b_role, "b").await;
    // A custom role without a viewer's reads is not above a viewer: its holders act on guests.
    set_role(&t, &o, &a, &o.viewer, "guest")
        .await
        .assert_problem(403, Code::MemberAboveYou);
    set_role(&t, &o, &o.admin, &o.viewer, "guest")
        .await
        .assert_status(200);
    // Neither grants the other's role, nor acts on the other's holder.
    set_role(&t, &o, &a, &o.viewer, &b_role)
        .await
        .assert_problem(403, Code::RoleAboveYours);
    set_role(&t, &o, &b, &o.viewer, &a_role)
        .await
        .assert_problem(403, Code::RoleAboveYours);
    set_role(&t, &o, &a, &b, "guest")
        .await
        .assert_problem(403, Code::MemberAboveYou);
    set_role(&t, &o, &b, &a, "guest")
        .await
        .assert_problem(403, Code::MemberAboveYou);
    // Each grants their own role and the roles below it (subsets), never one above it.
    set_role(&t, &o, &a, &o.viewer, &a_role)
        .await
        .assert_status(200);
    set_role(&t, &o, &a, &o.viewer, "guest")
        .await
        .assert_status(200);
    let a_answer = set_role(&t, &o, &a, &o.viewer, "viewer").await;
    a_answer.assert_problem(403, Code::RoleAboveYours);
    assert!(a_answer.body["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("projects.read")));
    // The admin's permissions contain both.
    set_role(&t, &o, &o.admin, &a, &b_role)
        .await
        .assert_status(200);
    assert_eq!(holders(&t, &o, &a_role).await["members"], 0);
    assert_eq!(holders(&t, &o, &b_role).await["members"], 2);
    // Removal and the ownership transfer take the role from its count too.
    t.as_user(&o.admin)
        .delete(&format!("/orgs/{}/members/{}", o.id, a.id))
        .await
        .assert_status(204);
    assert_eq!(holders(&t, &o, &b_role).await["members"], 1);
    t.as_user(&o.owner)
        .post(
            &format!("/orgs/{}/ownership-transfer", o.id),
            json!({ "userId": b.id }),
        )
        .await
        .assert_status(200);
    assert_eq!(holders(&t, &o, &b_role).await["members"], 0);
    t.as_user(&b)
        .delete(&format!("/orgs/{}/roles/{b_role}", o.id))
        .await
        .assert_status(204);
}

#[tokio::test]
async fn a_custom_roles_project_role_applies_in_every_project() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let project = t.create_project(&o.id, &o.admin, "Web").await;
    let dev = role(
        &t,
        &o,
        &o.admin,
        "project developer",
        &["projects.read"],
        "developer",
    )
    .await;
    let member = join_with(&t, &o, &dev, "dev").await;
    let org_wide = allowed(&t, &o, &member, None).await;
    assert!(!org_wide.contains("deployments.create"));
    let there = allowed(&t, &o, &member, Some(&project)).await;
    assert!(
        there.contains("deployments.create") && there.contains("environments.manage"),
        "{there:?}"
    );
    assert!(
        !there.contains("servers.manage") && !there.contains("projects.delete"),
        "{there:?}"
    );
    let a = t
        .as_user(&member)
        .post(
            &format!("/orgs/{}/authorize", o.id),
            json!({ "permissions": ["deployments.create"], "projectId": project }),
        )
        .await;
    let body = a.assert_status(200);
    assert_eq!(body["projectRole"], "developer");
    assert_eq!(
        body["results"][0]["via"],
        json!([{ "kind": "org_role", "role": dev, "roleName": "project developer" }])
    );
    // A role without a project role sees no project it is not granted.
    let none = role(&t, &o, &o.admin, "no projects", &["members.read"], "none").await;
    set_role(&t, &o, &o.admin, &member, &none)
        .await
        .assert_status(200);
    t.as_user(&member)
        .post(
            &format!("/orgs/{}/authorize", o.id),
            json!({ "permissions": ["projects.read"], "projectId": project }),
        )
        .await
        .assert_problem(404, Code::ProjectNotFound);
}

#[tokio::test]
async fn parallel_role_writes_and_a_deletion_racing_an_assignment_leave_nothing_holding_a_missing_role(
) {
    let t = TestApp::new().await;
    let o = org(&t).await;
    // Two creations of one name: one role.
    let (x, y) = tokio::join!(
        create_role(
            &t,
            &o,
            &o.admin,
            json!({ "name": "twin", "permissions": [], "projectRole": "none" })
        ),
        create_role(
            &t,
            &o,
            &o.owner,
            json!({ "name": "Twin", "permissions": [], "projectRole": "none" })
        ),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} {}", x.body, y.body);
    // A deletion racing assignments of the role, several times over.
    for round in 0..4 {
        let r = role(
            &t,
            &o,
            &o.admin,
            &format!("short-lived {round}"),
            &["members.read"],
            "viewer",
        )
        .await;
        let path = format!("/orgs/{}/roles/{r}", o.id);
        let admin = t.as_user(&o.admin);
        let (deleted, assigned) = tokio::join!(
            admin.delete(&path),
            set_role(&t, &o, &o.owner, &o.editor, &r)
        );
        let roles = t
            .as_user(&o.owner)
            .get(&format!("/orgs/{}/roles", o.id))
            .await;
        let exists = roles.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == r);
        let members = t
            .as_user(&o.owner)
            .get(&format!("/orgs/{}/members", o.id))
            .await;
        let held = members.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == r);
        assert!(
            exists || !held,
            "round {round}: a member holds a deleted role"
        );
        assert_eq!(
            deleted.status == 204,
            !exists,
            "round {round}: {}",
            deleted.body
        );
        assert_eq!(
            assigned.status == 200,
            held,
            "round {round}: {}",
            assigned.body
        );
        assert!(
            deleted.status == 204 || assigned.status == 200,
            "round {round}: one of them wins: {} {}",
            deleted.body,
            assigned.body
        );
        if held {
            assert_eq!(holders(&t, &o, &r).await["members"], 1);
            set_role(&t, &o, &o.owner, &o.editor, "editor")
                .await
                .assert_status(200);
        }
    }
}

#[tokio::test]
async fn an_expired_invitation_stops_holding_its_role_once_its_seats_are_reclaimed() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    let temp = role(&t, &o, &o.admin, "temporary", &["members.read"], "viewer").await;
    let inv = t
        .as_user(&o.admin)
        .post(
            &format!("/orgs/{}/invitations", o.id),
            json!({ "email": "late@example.com", "role": temp }),
        )
        .await;
    let inv_id = inv.assert_status(201)["id"].as_str().unwrap().to_string();
    t.expire_invitation(&o.id, &inv_id).await;
    // Expired but still resendable: it holds the role until its seats are taken back.
    assert_eq!(holders(&t, &o, &temp).await["invitations"], 1);
    t.as_user(&o.admin)
        .delete(&format!("/orgs/{}/roles/{temp}", o.id))
        .await
        .assert_problem(409, Code::RoleInUse);
    // The next invitation's write reclaims the expired hold, and its role count with it.
    t.as_user(&o.admin)
        .post(
            &format!("/orgs/{}/invitations", o.id),
            json!({ "email": "next@example.com", "role": "viewer" }),
        )
        .await
        .assert_status(201);
    assert_eq!(
        holders(&t, &o, &temp).await,
        json!({ "members": 0, "invitations": 0, "apiKeys": 0, "enrollments": 0 })
    );
    t.as_user(&o.admin)
        .delete(&format!("/orgs/{}/roles/{temp}", o.id))
        .await
        .assert_status(204);
    // The expired invitation cannot come back with a role that is gone.
    t.as_user(&o.admin)
        .post_empty(&format!("/orgs/{}/invitations/{inv_id}/resend", o.id))
        .await
        .assert_problem(404, Code::RoleNotFound);
}

#[tokio::test]
async fn a_change_decided_on_a_targets_custom_role_fails_if_that_role_grows_meanwhile() {
    let t = TestApp::with_faults(|_| {}).await;
    let o = org(&t).await;
    let people = role(
        &t,
        &o,
        &o.admin,
        "people",
        &["members.read", "members.update"],
        "none",
    )
    .await;
    let manager = join_with(&t, &o, &people, "manager").await;
    let small = role(&t, &o, &o.admin, "small", &["members.read"], "none").await;
    let target = join_with(&t, &o, &small, "target").await;
    // The manager's change is decided on `small` as read (below their role); its commit is held
    // up while the admin gives `small` a permission the manager lacks.
    let slow = Some(Plan {
        operation: Some("TransactWriteItems"),
        call: 0,
        fault: Fault::Slow(Duration::from_millis(700)),
        every_attempt: true,
    });
    let change = Faults::scope(slow, set_role(&t, &o, &manager, &target, "guest"));
    let grow = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        t.as_user(&o.admin)
            .patch(
                &format!("/orgs/{}/roles/{small}", o.id),
                json!({ "permissions": ["members.read", "dns.manage"] }),
            )
            .await
    };
    let ((changed, _), grown) = tokio::join!(change, grow);
    grown.assert_status(200);
    changed.assert_problem(409, Code::ConcurrentUpdate);
    let members = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/members", o.id))
        .await;
    let held = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == target.id.as_str())
        .unwrap()["role"]
        .clone();
    assert_eq!(held, json!(small), "nothing changed");
    // Retried, it is refused: the target's role is no longer at or below the manager's.
    set_role(&t, &o, &manager, &target, "guest")
        .await
        .assert_problem(403, Code::MemberAboveYou);
}

#[tokio::test]
async fn a_role_name_that_reads_as_another_roles_is_taken() {
    let t = TestApp::new().await;
    let o = org(&t).await;
    for name in ["аdmin", "ɑdmin", "ADMİN", "Viewer"] {
        create_role(
            &t,
            &o,
            &o.owner,
            json!({ "name": name, "permissions": ["projects.read"], "projectRole": "none" }),
        )
        .await
        .assert_problem(409, Code::RoleNameTaken);
    }
    create_role(
        &t,
        &o,
        &o.owner,
        json!({ "name": "Deployers", "permissions": ["projects.read"], "projectRole": "none" }),
    )
    .await
    .assert_status(201);
    create_role(
        &t,
        &o,
        &o.owner,
        json!({ "name": "Dеployers", "permissions": ["projects.read"], "projectRole": "none" }),
    )
    .await
    .assert_problem(409, Code::RoleNameTaken);
}
