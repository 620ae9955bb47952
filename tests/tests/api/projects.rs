//! Teams, projects and project access: guests limited to their projects, teams granting access,
//! the hierarchy rule on grants, exact cleanup (also under races), the explained `/authorize`.

use crate::authorization::Fixture;
use integration_tests::{OrgFixture, TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-projects" | "get-project" | "list-project-access" => (None, 200),
        "create-project" => (Some(json!({ "name": "Fresh" })), 201),
        "update-project" => (Some(json!({ "name": "Renamed" })), 200),
        "delete-project" | "revoke-project-access" => (None, 204),
        "grant-project-access" => (Some(json!({ "role": "viewer" })), 200),
        _ => return None,
    })
}

pub(crate) async fn org(t: &TestApp) -> OrgFixture {
    t.org_fixture(
        "Projects Inc",
        "pro",
        &[Role::Admin, Role::Editor, Role::Developer, Role::Viewer],
    )
    .await
}

/// Invites `who` limited to `projects` with `role` (as the owner) and accepts; returns the answer.
async fn invite_to_projects(
    t: &TestApp,
    f: &OrgFixture,
    who: &User,
    role: &str,
    projects: &[&str],
) -> Value {
    let a = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": who.email, "role": role, "projectIds": projects }),
        )
        .await;
    let id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    let code = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations/{id}/code", f.id))
        .await
        .assert_status(200)["code"]
        .as_str()
        .unwrap()
        .to_string();
    t.as_user(who)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201)
        .clone()
}

async fn authorize(
    t: &TestApp,
    org: &str,
    who: &User,
    permissions: &[&str],
    project: Option<&str>,
) -> Value {
    let mut body = json!({ "permissions": permissions });
    if let Some(p) = project {
        body["projectId"] = json!(p);
    }
    t.as_user(who)
        .post(&format!("/orgs/{org}/authorize"), body)
        .await
        .assert_status(200)
        .clone()
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_guest_invited_to_one_project_sees_that_project_and_nothing_else() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let api = t.create_project(&f.id, &f.owner, "Api").await;
    let guest = t.user("guest");
    let joined = invite_to_projects(&t, &f, &guest, "developer", &[&web]).await;
    assert_eq!(joined["role"], "guest");
    assert_eq!(
        joined["projectGrants"],
        json!([{ "projectId": web, "role": "developer" }])
    );

    let g = t.as_user(&guest);
    let list = g.get(&format!("/orgs/{}/projects", f.id)).await;
    assert_eq!(
        ids(list.assert_status(200)),
        vec![web.clone()],
        "exactly the granted project"
    );
    assert_eq!(list.body["items"][0]["myRole"], "developer");
    g.get(&format!("/orgs/{}/projects/{web}", f.id))
        .await
        .assert_status(200);
    g.get(&format!("/orgs/{}/projects/{api}", f.id))
        .await
        .assert_problem(403, Code::Forbidden);
    for org_wide in ["members", "teams", "invitations", "subscription"] {
        assert_eq!(
            g.get(&format!("/orgs/{}/{org_wide}", f.id)).await.status,
            403,
            "{org_wide}"
        );
    }
    // The organization itself: its name and the guest's own membership, nothing else.
    let o = g.get(&format!("/orgs/{}", f.id)).await;
    let mut keys: Vec<&str> = o
        .assert_status(200)
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, vec!["id", "myRole", "myRoleName", "name"]);
    let listed = g.get("/orgs").await;
    let mine = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == json!(f.id))
        .unwrap()
        .clone();
    assert!(
        mine.get("slug").is_none() && mine.get("status").is_none(),
        "{mine}"
    );

    // In its project the guest deploys; nowhere else.
    let a = authorize(
        &t,
        &f.id,
        &guest,
        &["deployments.create", "servers.manage"],
        Some(&web),
    )
    .await;
    assert_eq!(a["results"][0]["allowed"], true);
    assert_eq!(
        a["results"][0]["via"],
        json!([{ "kind": "direct", "role": "developer" }])
    );
    assert_eq!(a["results"][1]["allowed"], false);
    g.post(
        &format!("/orgs/{}/authorize", f.id),
        json!({ "permissions": ["projects.read"], "projectId": api }),
    )
    .await
    .assert_problem(404, Code::ProjectNotFound);
}

#[tokio::test]
async fn a_viewer_on_a_team_with_an_editor_grant_changes_that_project_until_taken_off_the_team() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let viewer = f.member(Role::Viewer);
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let other = t.create_project(&f.id, &f.owner, "Other").await;
    let team = t.create_team(&f.id, &f.owner, "Web team").await;
    t.add_to_team(&f.id, &team, &[viewer]).await;
    t.grant(&f.id, &f.owner, &web, &format!("team:{team}"), "editor")
        .await;

    let perms = [
        "environments.manage",
        "servers.manage",
        "projects.delete",
        "members.read",
        "members.update",
    ];
    let a = authorize(&t, &f.id, viewer, &perms, Some(&web)).await;
    let allowed: Vec<bool> = a["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["allowed"].as_bool().unwrap())
        .collect();
    assert_eq!(allowed, vec![true, true, false, true, false], "{a}");
    assert_eq!(a["projectRole"], "editor");
    assert_eq!(
        a["results"][0]["via"],
        json!([{ "kind": "team", "teamId": team, "role": "editor" }])
    );
    assert_eq!(
        a["results"][3]["via"],
        json!([{ "kind": "org_role", "role": "viewer", "roleName": "viewer" }])
    );
    let elsewhere = authorize(&t, &f.id, viewer, &["environments.manage"], Some(&other)).await;
    assert_eq!(elsewhere["allowed"], false, "only in the granted project");
    let org_wide = authorize(&t, &f.id, viewer, &["environments.manage"], None).await;
    assert_eq!(org_wide["allowed"], false, "not org-wide");
    let me = t
        .as_user(viewer)
        .get(&format!("/orgs/{}/me?projectId={web}", f.id))
        .await;
    assert_eq!(me.assert_status(200)["project"]["role"], "editor");
    assert_eq!(me.body["teamIds"], json!([team]));

    // The editor grant does not let the viewer rename the project (admin) but a project admin could.
    t.as_user(viewer)
        .patch(
            &format!("/orgs/{}/projects/{web}", f.id),
            json!({ "name": "Nope" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);

    // Taken off the team: the next request knows it.
    t.as_user(&f.owner)
        .delete(&format!(
            "/orgs/{}/teams/{team}/members/{}",
            f.id, viewer.id
        ))
        .await
        .assert_status(204);
    let after = authorize(&t, &f.id, viewer, &["environments.manage"], Some(&web)).await;
    assert_eq!(after["allowed"], false);
    assert_eq!(after["projectRole"], "viewer");
}

#[tokio::test]
async fn authorize_for_a_project_reads_once_for_a_member_of_three_teams() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let dev = f.member(Role::Developer);
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    for (i, role) in ["viewer", "developer", "editor"].iter().enumerate() {
        let team = t.create_team(&f.id, &f.owner, &format!("Team {i}")).await;
        t.add_to_team(&f.id, &team, &[dev]).await;
        t.grant(&f.id, &f.owner, &web, &format!("team:{team}"), role)
            .await;
    }
    t.requests.reset();
    let a = authorize(
        &t,
        &f.id,
        dev,
        &["servers.manage", "environments.manage"],
        Some(&web),
    )
    .await;
    let ops = t.requests.operations();
    println!(
        "POST /authorize with projectId, member of 3 teams: {} request(s): {ops:?}",
        ops.len()
    );
    assert_eq!(
        ops,
        vec!["BatchGetItem"],
        "the access read holds the grants (on the project item)"
    );
    assert_eq!(a["allowed"], true);
    assert_eq!(a["projectRole"], "editor");
    assert_eq!(
        a["results"][1]["via"].as_array().unwrap().len(),
        2,
        "developer and editor teams both allow it"
    );
}

#[tokio::test]
async fn the_hierarchy_rule_holds_on_project_grants() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let (dev, viewer, editor) = (
        f.member(Role::Developer),
        f.member(Role::Viewer),
        f.member(Role::Editor),
    );
    // The developer created the project: its admin, who may grant up to admin.
    let web = t.create_project(&f.id, dev, "Web").await;
    t.grant(&f.id, dev, &web, &format!("user:{}", viewer.id), "editor")
        .await;
    // The viewer is editor on the project: no access management at all.
    t.as_user(viewer)
        .put(
            &format!("/orgs/{}/projects/{web}/access/user:{}", f.id, editor.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    // An org editor is project editor (derived), and cannot manage access either.
    t.as_user(editor)
        .delete(&format!(
            "/orgs/{}/projects/{web}/access/user:{}",
            f.id, viewer.id
        ))
        .await
        .assert_problem(403, Code::Forbidden);
    // A team granted admin makes its members project admins; a project admin grants admin...
    let team = t.create_team(&f.id, &f.owner, "Admins").await;
    t.add_to_team(&f.id, &team, &[editor]).await;
    t.grant(&f.id, dev, &web, &format!("team:{team}"), "admin")
        .await;
    t.grant(&f.id, editor, &web, &format!("user:{}", viewer.id), "admin")
        .await;
    // ...and the principal must exist.
    t.as_user(dev)
        .put(
            &format!("/orgs/{}/projects/{web}/access/user:nobody", f.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_problem(404, Code::MemberNotFound);
    t.as_user(dev)
        .put(
            &format!(
                "/orgs/{}/projects/{web}/access/team:team_00000000000000000000000000000000",
                f.id
            ),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_problem(404, Code::TeamNotFound);
    t.as_user(dev)
        .put(
            &format!("/orgs/{}/projects/{web}/access/group:x", f.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_problem(400, Code::ValidationFailed);
    t.as_user(dev)
        .put(
            &format!("/orgs/{}/projects/{web}/access/user:{}", f.id, viewer.id),
            json!({ "role": "owner" }),
        )
        .await
        .assert_problem(400, Code::ValidationFailed);
}

#[tokio::test]
async fn a_project_grant_above_your_own_role_is_refused() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let (viewer, dev) = (f.member(Role::Viewer), f.member(Role::Developer));
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    // The viewer administers the project through a direct admin grant; the developer is its editor.
    t.grant(
        &f.id,
        &f.owner,
        &web,
        &format!("user:{}", viewer.id),
        "admin",
    )
    .await;
    t.grant(&f.id, viewer, &web, &format!("user:{}", dev.id), "editor")
        .await;
    // Demoted to editor, the viewer can no longer grant admin, nor change or revoke an admin grant.
    t.grant(
        &f.id,
        &f.owner,
        &web,
        &format!("user:{}", viewer.id),
        "editor",
    )
    .await;
    t.as_user(viewer)
        .put(
            &format!("/orgs/{}/projects/{web}/access/user:{}", f.id, dev.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    t.grant(
        &f.id,
        &f.owner,
        &web,
        &format!("user:{}", viewer.id),
        "admin",
    )
    .await;
    let a = t
        .as_user(viewer)
        .put(
            &format!(
                "/orgs/{}/projects/{web}/access/user:{}",
                f.id,
                f.member(Role::Admin).id
            ),
            json!({ "role": "admin" }),
        )
        .await;
    a.assert_status(200);
    // A grant on the owner (admin of every project) is above nobody; revoking it is allowed.
    let owner_grant = format!("/orgs/{}/projects/{web}/access/user:{}", f.id, f.owner.id);
    t.as_user(viewer)
        .put(&owner_grant, json!({ "role": "viewer" }))
        .await
        .assert_status(200);
    t.as_user(viewer)
        .delete(&owner_grant)
        .await
        .assert_status(204);
    t.as_user(viewer)
        .delete(&owner_grant)
        .await
        .assert_problem(404, Code::GrantNotFound);
}

#[tokio::test]
async fn invitations_name_real_projects_and_accepting_skips_deleted_ones() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let gone = t.create_project(&f.id, &f.owner, "Gone").await;
    let missing = "prj_00000000000000000000000000000000";
    let a = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "x@example.com", "role": "viewer", "projectIds": [web, missing] }),
        )
        .await;
    a.assert_problem(404, Code::ProjectNotFound);
    assert_eq!(a.body["projectId"], missing);
    // Only those who manage project access invite to projects.
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}", f.id),
            json!({ "settings": { "invitePolicy": "members" } }),
        )
        .await
        .assert_status(200);
    t.as_user(f.member(Role::Developer))
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "y@example.com", "role": "viewer", "projectIds": [web] }),
        )
        .await
        .assert_problem(403, Code::Forbidden);

    // A project deleted between invitation and acceptance is skipped and named.
    let guest = t.user("late");
    let inv = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": guest.email, "role": "editor", "projectIds": [web, gone] }),
        )
        .await;
    let id = inv.assert_status(201)["id"].as_str().unwrap().to_string();
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/projects/{gone}", f.id))
        .await
        .assert_status(204);
    let code = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations/{id}/code", f.id))
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = t
        .as_user(&guest)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(
        joined.assert_status(201)["skippedProjectIds"],
        json!([gone])
    );
    assert_eq!(
        joined.body["projectGrants"],
        json!([{ "projectId": web, "role": "editor" }])
    );
    let list = t
        .as_user(&guest)
        .get(&format!("/orgs/{}/projects", f.id))
        .await;
    assert_eq!(ids(list.assert_status(200)), vec![web]);
}

#[tokio::test]
async fn deleting_a_team_or_a_project_removes_every_grant_and_membership_it_had() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let (viewer, dev) = (f.member(Role::Viewer), f.member(Role::Developer));
    let web = t.create_project(&f.id, &f.owner, "Web").await;
    let api = t.create_project(&f.id, dev, "Api").await;
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    t.add_to_team(&f.id, &team, &[viewer, dev]).await;
    for p in [&web, &api] {
        t.grant(&f.id, &f.owner, p, &format!("team:{team}"), "developer")
            .await;
    }
    t.grant(
        &f.id,
        &f.owner,
        &web,
        &format!("user:{}", viewer.id),
        "viewer",
    )
    .await;
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/teams/{team}", f.id))
        .await
        .assert_status(204);
    for p in [&web, &api] {
        let a = t
            .as_user(&f.owner)
            .get(&format!("/orgs/{}/projects/{p}/access", f.id))
            .await;
        let principals: Vec<&str> = a.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["kind"].as_str().unwrap())
            .collect();
        assert!(!principals.contains(&"team"), "{p}: {}", a.body);
    }
    // The team's memberships are removed by the stream's clean-up.
    integration_tests::finish_removals(&t, &f.id).await;
    let me = t.as_user(viewer).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.assert_status(200)["teamIds"], json!([]));
    // Deleting the project removes the viewer's direct grant from their membership too.
    assert_eq!(me.body["grantedProjectIds"], json!([web]));
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/projects/{web}", f.id))
        .await
        .assert_status(204);
    let me = t.as_user(viewer).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.assert_status(200)["grantedProjectIds"], json!([]));
    let me = t.as_user(dev).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(
        me.body["grantedProjectIds"],
        json!([api]),
        "the creator's grant stays on the live project"
    );
    let entry = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=team.deleted", f.id))
        .await;
    // The entry counts the members (a team may hold 100,000: their ids are not listed).
    assert_eq!(entry.body["items"][0]["details"]["memberCount"], 2);
}

#[tokio::test]
async fn project_changes_are_audited_and_become_events() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let web = t
        .create_project(&f.id, f.member(Role::Developer), "Web")
        .await;
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    t.add_to_team(&f.id, &team, &[f.member(Role::Viewer)]).await;
    t.grant(&f.id, &f.owner, &web, &format!("team:{team}"), "viewer")
        .await;
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}/projects/{web}", f.id),
            json!({ "description": "The site" }),
        )
        .await
        .assert_status(200);
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/projects/{web}/access/team:{team}", f.id))
        .await
        .assert_status(204);
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?limit=100", f.id))
        .await;
    let actions: Vec<&str> = log.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    for want in [
        "ProjectCreated",
        "TeamCreated",
        "TeamMemberAdded",
        "ProjectAccessGranted",
        "ProjectUpdated",
        "ProjectAccessRevoked",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}
