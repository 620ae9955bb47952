//! The grant walk: every path that gives access, from every kind of giver, in every scope, gives
//! nothing beyond what the giver holds there; and deferred grants (a domain's enrollment) are
//! decided again, on the role as it is now and its giver as they are now, when they are used.

use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::{Permission, Role};
use std::collections::BTreeSet;

/// Every permission of the matrix, by name.
fn all_permissions() -> Vec<&'static str> {
    Permission::ALL.iter().map(|p| p.as_str()).collect()
}

/// The allowed permissions of a verification or an authorization answer.
fn allowed_of(answer: &Value) -> BTreeSet<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["allowed"] == true)
        .map(|r| r["permission"].as_str().unwrap().to_string())
        .collect()
}

/// What `/authorize` allows `user` (optionally in a project).
async fn allowed(t: &TestApp, org: &str, user: &User, project: Option<&str>) -> BTreeSet<String> {
    let mut body = json!({ "permissions": all_permissions() });
    if let Some(p) = project {
        body["projectId"] = json!(p);
    }
    let a = t
        .as_user(user)
        .post(&format!("/orgs/{org}/authorize"), body)
        .await;
    // A project the caller cannot see is one where they hold nothing.
    if project.is_some() && a.status == 404 {
        a.assert_problem(404, Code::ProjectNotFound);
        return BTreeSet::new();
    }
    allowed_of(a.assert_status(200))
}

/// What a key is allowed (optionally in a project), as another service verifies it.
async fn key_allows(t: &TestApp, key: &str, project: Option<&str>) -> BTreeSet<String> {
    let mut body = json!({ "key": key, "permissions": all_permissions() });
    if let Some(p) = project {
        body["projectId"] = json!(p);
    }
    let a = t.call("POST", "/api-keys/verify", None, Some(body)).await;
    let v = a.assert_status(200);
    assert_eq!(v["valid"], true, "{v}");
    allowed_of(v)
}

/// A custom role made by the owner; returns its id.
async fn custom_role(
    t: &TestApp,
    org: &str,
    owner: &User,
    name: &str,
    permissions: &[&str],
    project_role: &str,
) -> String {
    let a = t
        .as_user(owner)
        .post(
            &format!("/orgs/{org}/roles"),
            json!({ "name": name, "permissions": permissions, "projectRole": project_role }),
        )
        .await;
    a.assert_status(201)["id"].as_str().unwrap().to_string()
}

/// A new member holding `role`, invited by the owner and accepting with the code.
async fn join_with(t: &TestApp, org: &str, owner: &User, role: &str, name: &str) -> User {
    let user = t.user(name);
    accept(
        t,
        org,
        owner,
        &user,
        json!({ "email": user.email, "role": role }),
    )
    .await;
    user
}

/// `by` invites `user` with `body`; `user` accepts with the code. Returns the accept's answer.
async fn accept(t: &TestApp, org: &str, by: &User, user: &User, body: Value) -> Value {
    let code = t.invite_code(org, by, body).await;
    let joined = t
        .as_user(user)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    joined.assert_status(201).clone()
}

/// The permissions of a system role (in the catalogue in force) plus `extra`.
fn role_plus(role: Role, extra: &[&'static str]) -> Vec<&'static str> {
    let mut p: Vec<&str> = role.permission_set().names();
    p.extend_from_slice(extra);
    p
}

const KEY_MANAGER: [&str; 4] = [
    "api_keys.read",
    "api_keys.manage",
    "projects.access_manage",
    "invitations.create",
];

#[tokio::test]
async fn every_key_and_invitation_a_giver_can_make_is_within_what_the_giver_holds_in_each_scope() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Grant walk", "pro", &[Role::Admin]).await;
    let (org, owner) = (f.id.clone(), f.owner.clone());
    let project = t.create_project(&org, &owner, "Web").await;
    let other = t.create_project(&org, &owner, "Api").await;
    // The givers: system admin; custom roles that manage keys with a viewer project role, with
    // none and without reads; a holder whose only project access is a grant on one project.
    let viewer_proj = custom_role(
        &t,
        &org,
        &owner,
        "Keys (viewer in projects)",
        &role_plus(Role::Developer, &KEY_MANAGER),
        "viewer",
    )
    .await;
    let no_proj = custom_role(
        &t,
        &org,
        &owner,
        "Keys (no project role)",
        &[&["org.read"][..], &KEY_MANAGER].concat(),
        "none",
    )
    .await;
    let granted = custom_role(
        &t,
        &org,
        &owner,
        "Keys (granted one project)",
        &[&["org.read", "projects.read"][..], &KEY_MANAGER].concat(),
        "none",
    )
    .await;
    let mut givers = vec![("admin".to_string(), f.member(Role::Admin).clone())];
    for (role, name) in [
        (&viewer_proj, "viewer-proj"),
        (&no_proj, "no-proj"),
        (&granted, "granted"),
    ] {
        givers.push((role.clone(), join_with(&t, &org, &owner, role, name).await));
    }
    let holder = givers.last().unwrap().1.clone();
    t.grant(
        &org,
        &owner,
        &project,
        &format!("user:{}", holder.id),
        "admin",
    )
    .await;
    // What is given: every system role a key may hold and the custom roles.
    let mut given: Vec<String> = ["admin", "editor", "developer", "viewer", "guest"]
        .iter()
        .map(|r| r.to_string())
        .collect();
    given.extend([viewer_proj.clone(), no_proj.clone(), granted.clone()]);

    let mut made = 0;
    let mut refused = 0;
    for (giver_role, giver) in &givers {
        let holds_org = allowed(&t, &org, giver, None).await;
        let holds_in = allowed(&t, &org, giver, Some(&project)).await;
        let holds_other = allowed(&t, &org, giver, Some(&other)).await;
        for role in &given {
            for limited in [false, true] {
                let mut body = json!({ "name": "walk", "role": role });
                if limited {
                    body["projectIds"] = json!([project]);
                }
                let a = t
                    .as_user(giver)
                    .post(&format!("/orgs/{org}/api-keys"), body)
                    .await;
                if a.status != 201 {
                    assert!(
                        [403, 400].contains(&a.status),
                        "{giver_role} giving {role} (limited: {limited}): {}",
                        a.body
                    );
                    refused += 1;
                    continue;
                }
                made += 1;
                let key = a.body["key"].as_str().unwrap().to_string();
                for (scope, holds) in [
                    (None, &holds_org),
                    (Some(project.as_str()), &holds_in),
                    (Some(other.as_str()), &holds_other),
                ] {
                    let gives = key_allows(&t, &key, scope).await;
                    let beyond: Vec<_> = gives.difference(holds).collect();
                    assert!(
                        beyond.is_empty(),
                        "{giver_role} made a key with {role} (limited: {limited}) that holds {beyond:?} in {scope:?}, beyond its giver"
                    );
                }
                let id = a.body["id"].as_str().unwrap();
                t.as_user(&owner)
                    .delete(&format!("/orgs/{org}/api-keys/{id}"))
                    .await
                    .assert_status(204);
            }
        }
    }
    assert!(
        made >= 10 && refused >= 10,
        "made {made}, refused {refused}"
    );

    // The same givers invite, and each invitee holds, once joined, nothing beyond its giver in
    // any scope (an invitation limited to projects makes a guest with grants there).
    let (mut joined, mut refused) = (0, 0);
    for (giver_role, giver) in &givers {
        let holds_org = allowed(&t, &org, giver, None).await;
        let holds_in = allowed(&t, &org, giver, Some(&project)).await;
        for role in &given {
            for limited in [false, true] {
                let invitee = t.user("invitee");
                let mut body = json!({ "email": invitee.email, "role": role });
                if limited {
                    body["projectIds"] = json!([project]);
                }
                let inv = t
                    .as_user(giver)
                    .post(&format!("/orgs/{org}/invitations"), body)
                    .await;
                if inv.status != 201 {
                    assert!(
                        [403, 400].contains(&inv.status),
                        "{giver_role} inviting as {role} (limited: {limited}): {}",
                        inv.body
                    );
                    refused += 1;
                    continue;
                }
                let code = t
                    .invitation_code(&org, inv.body["id"].as_str().unwrap())
                    .await;
                t.as_user(&invitee)
                    .post_empty(&format!("/invitations/{code}/accept"))
                    .await
                    .assert_status(201);
                joined += 1;
                for (scope, holds) in [(None, &holds_org), (Some(project.as_str()), &holds_in)] {
                    let gets = allowed(&t, &org, &invitee, scope).await;
                    let beyond: Vec<_> = gets.difference(holds).collect();
                    assert!(
                        beyond.is_empty(),
                        "{giver_role} invited {role} (limited: {limited}), who holds {beyond:?} in {scope:?}, beyond its giver"
                    );
                }
            }
        }
    }
    assert!(
        joined >= 10 && refused >= 10,
        "joined {joined}, refused {refused}"
    );
}

#[tokio::test]
async fn a_project_limited_key_or_invitation_beyond_its_giver_there_is_refused() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Limited", "pro", &[]).await;
    let (org, owner) = (f.id.clone(), f.owner.clone());
    let project = t.create_project(&org, &owner, "Web").await;
    let role = custom_role(
        &t,
        &org,
        &owner,
        "Key maker",
        &role_plus(Role::Developer, &KEY_MANAGER),
        "viewer",
    )
    .await;
    let maker = join_with(&t, &org, &owner, &role, "maker").await;
    // A developer key (or invitation) limited to the project would deploy there; its maker
    // only views it.
    let a = t
        .as_user(&maker)
        .post(
            &format!("/orgs/{org}/api-keys"),
            json!({ "name": "deployer", "role": "developer", "projectIds": [project] }),
        )
        .await;
    a.assert_problem(403, Code::GrantAboveYou);
    assert!(
        a.body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("deployments.create")),
        "{}",
        a.body
    );
    let invitee = t.user("invitee");
    t.as_user(&maker)
        .post(
            &format!("/orgs/{org}/invitations"),
            json!({ "email": invitee.email, "role": "developer", "projectIds": [project] }),
        )
        .await
        .assert_problem(403, Code::GrantAboveYou);
    // Within what the maker holds in every project: a viewer key, a viewer invitation.
    let a = t
        .as_user(&maker)
        .post(
            &format!("/orgs/{org}/api-keys"),
            json!({ "name": "reader", "role": "viewer", "projectIds": [project] }),
        )
        .await;
    a.assert_status(201);
    let joined = accept(
        &t,
        &org,
        &maker,
        &invitee,
        json!({ "email": invitee.email, "role": "viewer", "projectIds": [project] }),
    )
    .await;
    assert_eq!(joined["projectGrants"][0]["role"], "viewer");

    // A deferred grant is decided again on acceptance: a guest invited to the project views it;
    // the maker's role narrowed in between (no project role, no reads; guest is still below it)
    // refuses an invitation made while it could give that.
    let later = t.user("later");
    let code = t
        .invite_code(
            &org,
            &maker,
            json!({ "email": later.email, "role": "guest", "projectIds": [project] }),
        )
        .await;
    let narrow = [&["org.read"][..], &KEY_MANAGER].concat();
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}/roles/{role}"),
            json!({ "permissions": narrow, "projectRole": "none" }),
        )
        .await
        .assert_status(200);
    t.as_user(&later)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
}

#[tokio::test]
async fn a_team_with_project_access_takes_members_only_from_who_could_grant_it() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Teams walk", "pro", &[]).await;
    let (org, owner) = (f.id.clone(), f.owner.clone());
    let project = t.create_project(&org, &owner, "Web").await;
    let lead_role = custom_role(
        &t,
        &org,
        &owner,
        "Team lead",
        &role_plus(Role::Viewer, &["teams.manage"]),
        "viewer",
    )
    .await;
    let lead = join_with(&t, &org, &owner, &lead_role, "lead").await;
    let admins = t.create_team(&org, &owner, "Web admins").await;
    let plain = t.create_team(&org, &owner, "Readers").await;
    t.grant(&org, &owner, &project, &format!("team:{admins}"), "admin")
        .await;
    // Joining the team would make the lead admin of the project.
    let a = t
        .as_user(&lead)
        .put_empty(&format!("/orgs/{org}/teams/{admins}/members/{}", lead.id))
        .await;
    a.assert_problem(403, Code::GrantAboveYou);
    assert!(!allowed(&t, &org, &lead, Some(&project))
        .await
        .contains("projects.delete"));
    // A team without project access is the lead's to fill.
    t.as_user(&lead)
        .put_empty(&format!("/orgs/{org}/teams/{plain}/members/{}", lead.id))
        .await
        .assert_status(200);
    // The owner (admin in every project) adds anyone; the team's grant then reaches them.
    t.as_user(&owner)
        .put_empty(&format!("/orgs/{org}/teams/{admins}/members/{}", lead.id))
        .await
        .assert_status(200);
    assert!(allowed(&t, &org, &lead, Some(&project))
        .await
        .contains("projects.delete"));
    // A principal percent-encoded by a generated client names the same grant.
    let encoded = format!("team%3A{admins}");
    let a = t
        .as_user(&owner)
        .put(
            &format!("/orgs/{org}/projects/{project}/access/{encoded}"),
            json!({ "role": "editor" }),
        )
        .await;
    assert_eq!(a.assert_status(200)["role"], "editor", "{}", a.body);
    t.as_user(&owner)
        .delete(&format!("/orgs/{org}/projects/{project}/access/{encoded}"))
        .await
        .assert_status(204);
}

#[tokio::test]
async fn authorize_says_why_a_permission_is_refused() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Reasons", "pro", &[Role::Viewer]).await;
    let a = t
        .as_user(f.member(Role::Viewer))
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["projects.read", "members.remove"] }),
        )
        .await;
    let v = a.assert_status(200);
    assert_eq!(v["results"][0]["allowed"], true);
    assert!(v["results"][0]["reason"].is_null(), "{v}");
    assert_eq!(v["results"][1]["allowed"], false);
    assert_eq!(v["results"][1]["reason"], "not_granted");
}
