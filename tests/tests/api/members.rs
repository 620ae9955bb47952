//! Members, role changes, ownership transfer and the audit log, against DynamoDB Local.

use crate::audit::audit;
use crate::authorization::Fixture;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-members" => (None, 200),
        "change-member-role" => (Some(json!({ "role": "developer" })), 200),
        "remove-member" => (None, 204),
        "transfer-ownership" => (Some(json!({ "userId": f.target.id })), 200),
        _ => return None,
    })
}

pub(crate) struct Org {
    pub(crate) id: String,
    pub(crate) owner: User,
    pub(crate) admin: User,
    pub(crate) developer: User,
    pub(crate) viewer: User,
}

pub(crate) async fn org_with_members(t: &TestApp) -> Org {
    let f = t
        .org_fixture(
            "Members Inc",
            "pro",
            &[Role::Admin, Role::Developer, Role::Viewer],
        )
        .await;
    Org {
        admin: f.member(Role::Admin).clone(),
        developer: f.member(Role::Developer).clone(),
        viewer: f.member(Role::Viewer).clone(),
        id: f.id,
        owner: f.owner,
    }
}

async fn roles_of(t: &TestApp, org: &Org) -> Vec<(String, String)> {
    let a = t
        .as_user(&org.owner)
        .get(&format!("/orgs/{}/members?limit=100", org.id))
        .await;
    let a = if a.status == 200 {
        a
    } else {
        t.as_user(&org.admin)
            .get(&format!("/orgs/{}/members?limit=100", org.id))
            .await
    };
    let mut v: Vec<(String, String)> = a.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", a.body))
        .iter()
        .map(|m| {
            (
                m["userId"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn list_members_paginated_and_filtered_by_role() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let extra: Vec<User> = (0..4).map(|i| t.user(&format!("v{i}"))).collect();
    t.add_members(
        &o.id,
        &extra.iter().map(|u| (u, Role::Viewer)).collect::<Vec<_>>(),
    )
    .await;

    let mut seen = Vec::new();
    let mut path = format!("/orgs/{}/members?limit=3", o.id);
    loop {
        let (a, ops) = t.call_counted("GET", &path, &o.viewer, None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(ops, vec!["BatchGetItem", "Query"], "one Query per page");
        seen.extend(
            a.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["userId"].as_str().unwrap().to_string()),
        );
        match a.body["nextCursor"].as_str() {
            Some(c) => path = format!("/orgs/{}/members?limit=3&cursor={c}", o.id),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let a = t
        .as_user(&o.viewer)
        .get(&format!("/orgs/{}/members?role=viewer&limit=100", o.id))
        .await;
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|m| m["role"] == "viewer"));
    assert!(items[0]["joinedAt"].is_string() && items[0]["email"].is_string());
    let a = t
        .as_user(&o.viewer)
        .get(&format!("/orgs/{}/members?role=king", o.id))
        .await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("role")));
}

#[tokio::test]
async fn role_changes_follow_the_hierarchy_and_escalations_are_refused() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let member = |u: &User| format!("/orgs/{}/members/{}", o.id, u.id);

    // Allowed: admin makes the developer an admin (at their own level), in at most 2 requests.
    let (a, ops) = t
        .call_counted(
            "PATCH",
            &member(&o.developer),
            &o.admin,
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(
        (a.status, a.body["role"].as_str()),
        (200, Some("admin")),
        "{}",
        a.body
    );
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    let (a, _) = t
        .call_counted(
            "PATCH",
            &member(&o.developer),
            &o.admin,
            Some(json!({ "role": "developer" })),
        )
        .await;
    assert_eq!(a.status, 200);

    // An admin making someone owner.
    let a = t
        .as_user(&o.admin)
        .patch(&member(&o.viewer), json!({ "role": "owner" }))
        .await;
    a.assert_problem(409, Code::OwnerOnlyByTransfer);
    // Even the owner cannot make an owner here.
    let a = t
        .as_user(&o.owner)
        .patch(&member(&o.viewer), json!({ "role": "owner" }))
        .await;
    a.assert_problem(409, Code::OwnerOnlyByTransfer);
    // A developer promoting themselves.
    let a = t
        .as_user(&o.developer)
        .patch(&member(&o.developer), json!({ "role": "admin" }))
        .await;
    a.assert_problem(403, Code::Forbidden);
    // An admin demoting the owner.
    let a = t
        .as_user(&o.admin)
        .patch(&member(&o.owner), json!({ "role": "viewer" }))
        .await;
    a.assert_problem(409, Code::OwnerRoleFixed);
    // A viewer removing anyone.
    let a = t.as_user(&o.viewer).delete(&member(&o.developer)).await;
    a.assert_problem(403, Code::Forbidden);
    // A member of another organization touching this one.
    let stranger = t.user("stranger");
    t.create_org(&stranger, "Elsewhere").await;
    for (method, body) in [
        ("PATCH", Some(json!({ "role": "admin" }))),
        ("DELETE", None),
    ] {
        let a = t
            .call(method, &member(&o.viewer), Some(&stranger.token), body)
            .await;
        a.assert_problem(404, Code::OrgNotFound);
    }
    let a = t
        .as_user(&stranger)
        .post(
            &format!("/orgs/{}/ownership-transfer", o.id),
            json!({ "userId": stranger.id }),
        )
        .await;
    assert_eq!(a.status, 404);
    // An admin acting on... a role above their own is impossible to grant.
    let editor = t.user("editor");
    t.add_member(&o.id, &editor, Role::Editor).await;
    t.as_user(&o.owner)
        .patch(&member(&editor), json!({ "role": "admin" }))
        .await;
    let a = t
        .as_user(&editor)
        .patch(&member(&o.admin), json!({ "role": "viewer" }))
        .await;
    assert_eq!(a.status, 200, "admins may change other admins: {}", a.body);
    // Unknown member and bad role.
    let a = t
        .as_user(&o.owner)
        .patch(
            &format!("/orgs/{}/members/nobody", o.id),
            json!({ "role": "viewer" }),
        )
        .await;
    a.assert_problem(404, Code::MemberNotFound);
    let a = t
        .as_user(&o.owner)
        .patch(&member(&o.viewer), json!({ "role": "emperor" }))
        .await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("role")));

    // The same role again: 200, no write, no audit entry.
    let before = audit(&t, &o.id, &o.owner, "action=member.role_changed")
        .await
        .len();
    let (a, ops) = t
        .call_counted(
            "PATCH",
            &member(&o.viewer),
            &o.owner,
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(ops, vec!["BatchGetItem"]);
    assert_eq!(
        audit(&t, &o.id, &o.owner, "action=member.role_changed")
            .await
            .len(),
        before
    );
}

#[tokio::test]
async fn removal_and_leaving() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let member = |u: &User| format!("/orgs/{}/members/{}", o.id, u.id);

    let a = t.as_user(&o.owner).delete(&member(&o.owner)).await;
    a.assert_problem(409, Code::OwnerCannotLeave);
    let a = t.as_user(&o.admin).delete(&member(&o.owner)).await;
    a.assert_problem(409, Code::OwnerCannotLeave);

    // The viewer leaves (no members.remove needed for oneself).
    let (a, ops) = t
        .call_counted("DELETE", &member(&o.viewer), &o.viewer, None)
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    // Their next request is refused.
    let a = t.as_user(&o.viewer).get(&format!("/orgs/{}", o.id)).await;
    a.assert_problem(404, Code::OrgNotFound);

    // The admin removes the developer; the developer's next request is refused.
    let a = t.as_user(&o.admin).delete(&member(&o.developer)).await;
    assert_eq!(a.status, 204);
    let a = t
        .as_user(&o.developer)
        .get(&format!("/orgs/{}/me", o.id))
        .await;
    assert_eq!(a.status, 404);
    let a = t.as_user(&o.owner).get(&format!("/orgs/{}", o.id)).await;
    assert_eq!(
        a.body["memberCount"], 2,
        "owner and admin remain: {}",
        a.body
    );

    let entries = audit(&t, &o.id, &o.owner, "").await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "member.removed",
            "member.left",
            "subscription.changed",
            "org.created"
        ],
        "newest first"
    );
}

#[tokio::test]
async fn removal_deletes_what_the_membership_brought_along() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    // The developer creates a project (a direct admin grant), is put on a team that is granted
    // another project, and is granted a third directly: all through the API.
    let created = t.create_project(&o.id, &o.developer, "Mine").await;
    let via_team = t.create_project(&o.id, &o.admin, "Theirs").await;
    let direct = t.create_project(&o.id, &o.admin, "Shared").await;
    let team = t.create_team(&o.id, &o.admin, "Crew").await;
    t.add_to_team(&o.id, &team, &[&o.developer]).await;
    t.grant(
        &o.id,
        &o.admin,
        &via_team,
        &format!("team:{team}"),
        "editor",
    )
    .await;
    let me = format!("user:{}", o.developer.id);
    t.grant(&o.id, &o.admin, &direct, &me, "developer").await;
    let access = |p: &str| format!("/orgs/{}/projects/{p}/access", o.id);
    let principals = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["principal"].as_str().unwrap().to_string())
            .collect()
    };

    t.as_user(&o.admin)
        .delete(&format!("/orgs/{}/members/{}", o.id, o.developer.id))
        .await
        .assert_status(204);
    for p in [&created, &direct] {
        let a = t.as_user(&o.admin).get(&access(p)).await;
        assert!(
            !principals(a.assert_status(200)).contains(&me),
            "the grant on {p} went with the membership"
        );
    }
    // Their places on teams are removed by the stream's clean-up.
    integration_tests::finish_removals(&t, &o.id).await;
    let a = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/teams/{team}", o.id))
        .await;
    assert_eq!(
        a.assert_status(200)["memberCount"],
        0,
        "the team membership went too"
    );
    let a = t.as_user(&o.admin).get(&access(&via_team)).await;
    assert_eq!(
        principals(a.assert_status(200)),
        vec![format!("team:{team}")],
        "the team's own grant stays"
    );
    let entry = &audit(&t, &o.id, &o.owner, "action=member.removed").await[0];
    assert_eq!(entry["details"]["teamIds"], json!([team]));
    assert_eq!(entry["details"]["projectIds"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn twenty_parallel_removals_of_one_member_yield_one_success() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let t = t.clone();
        let who = if i % 2 == 0 {
            o.owner.token.clone()
        } else {
            o.admin.token.clone()
        };
        let path = format!("/orgs/{}/members/{}", o.id, o.developer.id);
        tasks.spawn(async move { t.call("DELETE", &path, Some(&who), None).await });
    }
    let answers = tasks.join_all().await;
    let ok = answers.iter().filter(|a| a.status == 204).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.body["code"].clone()))
            .collect::<Vec<_>>()
    );
    assert!(answers
        .iter()
        .filter(|a| a.status != 204)
        .all(|a| a.status == 404 && a.body["code"] == Code::MemberNotFound.as_str()));
    let a = t.as_user(&o.owner).get(&format!("/orgs/{}", o.id)).await;
    assert_eq!(a.body["memberCount"], 3, "counted once: {}", a.body);
    assert_eq!(
        audit(&t, &o.id, &o.owner, "action=member.removed")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn ownership_transfer() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let path = format!("/orgs/{}/ownership-transfer", o.id);

    let a = t
        .as_user(&o.admin)
        .post(&path, json!({ "userId": o.admin.id }))
        .await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (403, Some(Code::Forbidden.as_str())),
        "admins cannot take ownership"
    );
    let a = t
        .as_user(&o.owner)
        .post(&path, json!({ "userId": "not-a-member" }))
        .await;
    a.assert_problem(404, Code::MemberNotFound);
    let a = t
        .as_user(&o.owner)
        .post(&path, json!({ "userId": o.owner.id }))
        .await;
    a.assert_problem(400, Code::AlreadyOwner);
    let a = t.as_user(&o.owner).post(&path, json!({})).await;
    assert_eq!(a.status, 400);

    let (a, ops) = t
        .call_counted(
            "POST",
            &path,
            &o.owner,
            Some(json!({ "userId": o.developer.id })),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    let roles = roles_of(&t, &o).await;
    assert!(roles.contains(&(o.developer.id.clone(), "owner".into())));
    assert!(roles.contains(&(o.owner.id.clone(), "admin".into())));
    let a = t
        .as_user(&o.developer)
        .get(&format!("/orgs/{}", o.id))
        .await;
    assert_eq!(a.body["ownerId"], o.developer.id.as_str());
    // The old owner is an admin now: no more transfers.
    let a = t
        .as_user(&o.owner)
        .post(&path, json!({ "userId": o.owner.id }))
        .await;
    assert_eq!(a.status, 403);
    let entry = &audit(&t, &o.id, &o.developer, "action=org.ownership_transferred").await[0];
    assert_eq!(entry["details"]["from"], o.owner.id.as_str());
    assert_eq!(entry["details"]["to"], o.developer.id.as_str());
    assert_eq!(entry["eventType"], "OwnershipTransferred");
}

#[tokio::test]
async fn concurrent_transfers_and_role_changes_leave_exactly_one_owner() {
    for round in 0..3 {
        let t = TestApp::new().await;
        let o = org_with_members(&t).await;
        let mut tasks = tokio::task::JoinSet::new();
        let candidates = [
            o.admin.id.clone(),
            o.developer.id.clone(),
            o.viewer.id.clone(),
        ];
        for i in 0..10 {
            let t = t.clone();
            let (id, owner, admin) = (o.id.clone(), o.owner.token.clone(), o.admin.token.clone());
            let candidate = candidates[i % 3].clone();
            tasks.spawn(async move {
                match i % 5 {
                    // The owner transfers to one of three members.
                    0..=2 => {
                        t.call(
                            "POST",
                            &format!("/orgs/{id}/ownership-transfer"),
                            Some(&owner),
                            Some(json!({ "userId": candidate })),
                        )
                        .await
                    }
                    // The admin changes the role of a transfer candidate at the same time.
                    3 => {
                        t.call(
                            "PATCH",
                            &format!("/orgs/{id}/members/{candidate}"),
                            Some(&admin),
                            Some(json!({ "role": "viewer" })),
                        )
                        .await
                    }
                    // The owner demotes a candidate at the same time.
                    _ => {
                        t.call(
                            "PATCH",
                            &format!("/orgs/{id}/members/{candidate}"),
                            Some(&owner),
                            Some(json!({ "role": "developer" })),
                        )
                        .await
                    }
                }
            });
        }
        let answers = tasks.join_all().await;
        for a in &answers {
            assert!(a.status < 500, "round {round}: {}", a.body);
        }
        let transfers = answers
            .iter()
            .filter(|a| a.status == 200 && a.body.get("ownerId").is_some())
            .count();
        assert!(
            transfers <= 1,
            "round {round}: the first owner can transfer only once, got {transfers}"
        );
        let roles = roles_of(&t, &o).await;
        let owners: Vec<_> = roles.iter().filter(|(_, r)| r == "owner").collect();
        assert_eq!(
            owners.len(),
            1,
            "round {round}: exactly one owner: {roles:?}"
        );
        let org = t.as_user(&o.admin).get(&format!("/orgs/{}", o.id)).await;
        let org = if org.status == 200 {
            org
        } else {
            t.as_user(&o.owner).get(&format!("/orgs/{}", o.id)).await
        };
        assert_eq!(
            org.body["ownerId"].as_str(),
            Some(owners[0].0.as_str()),
            "round {round}: ownerId matches the owner membership"
        );
    }
}

#[tokio::test]
async fn deactivation_cuts_access_frees_the_seat_and_reactivation_restores_role_and_teams() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Deactivate Inc", "starter", &[Role::Admin, Role::Developer])
        .await;
    let (owner, admin, dev) = (&f.owner, f.member(Role::Admin), f.member(Role::Developer));
    let member = format!("/orgs/{}/members/{}", f.id, dev.id);
    let team = t
        .as_user(owner)
        .post(&format!("/orgs/{}/teams", f.id), json!({ "name": "Core" }))
        .await;
    assert_eq!(team.status, 201, "{}", team.body);
    let team_id = team.body["id"].as_str().unwrap().to_string();
    let a = t
        .as_user(owner)
        .put_empty(&format!(
            "/orgs/{}/teams/{team_id}/members/{}",
            f.id, dev.id
        ))
        .await;
    assert!(a.status < 300, "{}", a.body);
    let seats = |t: TestApp| {
        let (id, owner) = (f.id.clone(), owner.clone());
        async move {
            let a = t
                .as_user(&owner)
                .get(&format!("/orgs/{id}/subscription"))
                .await;
            a.body["seats"]["used"].as_u64().unwrap()
        }
    };
    assert_eq!(seats(t.clone()).await, 3);

    // Nobody deactivates the owner or themselves; both fields at once is refused.
    let a = t
        .as_user(admin)
        .patch(
            &format!("/orgs/{}/members/{}", f.id, owner.id),
            json!({ "status": "deactivated" }),
        )
        .await;
    a.assert_problem(409, Code::CannotDeactivate);
    let a = t
        .as_user(admin)
        .patch(
            &format!("/orgs/{}/members/{}", f.id, admin.id),
            json!({ "status": "deactivated" }),
        )
        .await;
    a.assert_problem(409, Code::CannotDeactivate);
    let a = t
        .as_user(admin)
        .patch(
            &member,
            json!({ "status": "deactivated", "role": "viewer" }),
        )
        .await;
    a.assert_problem(400, Code::ValidationFailed);
    let a = t
        .as_user(admin)
        .patch(&member, json!({ "status": "asleep" }))
        .await;
    a.assert_problem(400, Code::ValidationFailed);

    // Deactivated: two requests, listed so, refused on the next request everywhere.
    let (a, ops) = t
        .call_counted(
            "PATCH",
            &member,
            admin,
            Some(json!({ "status": "deactivated" })),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    assert_eq!(a.body["status"], "deactivated");
    assert_eq!(a.body["role"], "developer");
    for (method, path, body) in [
        ("GET", format!("/orgs/{}/me", f.id), None),
        (
            "POST",
            format!("/orgs/{}/authorize", f.id),
            Some(json!({ "permissions": ["projects.read"] })),
        ),
        ("GET", format!("/orgs/{}", f.id), None),
        ("GET", format!("/orgs/{}/teams", f.id), None),
    ] {
        let a = t.call(method, &path, Some(&dev.token), body).await;
        a.assert_problem(403, Code::MemberDeactivated);
    }
    let a = t.as_user(dev).get("/orgs").await;
    let listed = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == f.id.as_str())
        .expect("still listed");
    assert_eq!(listed["deactivated"], true, "{listed}");
    assert_eq!(
        seats(t.clone()).await,
        2,
        "a deactivated member holds no seat"
    );
    let a = t
        .as_user(owner)
        .get(&format!("/orgs/{}/members?limit=100", f.id))
        .await;
    let listed = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == dev.id.as_str())
        .unwrap();
    assert_eq!(listed["status"], "deactivated");
    // Nobody makes a deactivated member the owner.
    let a = t
        .as_user(owner)
        .post(
            &format!("/orgs/{}/ownership-transfer", f.id),
            json!({ "userId": dev.id }),
        )
        .await;
    a.assert_problem(409, Code::CannotDeactivate);

    // Fill the plan (5 seats: owner, admin, and three pending), then reactivation needs a seat.
    let invite = t
        .as_user(owner)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "three@example.com", "role": "viewer", "maxUses": 3 }),
        )
        .await;
    assert_eq!(invite.status, 201, "{}", invite.body);
    let a = t
        .as_user(admin)
        .patch(&member, json!({ "status": "active" }))
        .await;
    a.assert_problem(402, Code::SeatLimitReached);
    let id = invite.body["id"].as_str().unwrap();
    let a = t
        .as_user(owner)
        .delete(&format!("/orgs/{}/invitations/{id}", f.id))
        .await;
    assert!(a.status < 300, "{}", a.body);

    // Reactivated with the same role and team.
    let a = t
        .as_user(admin)
        .patch(&member, json!({ "status": "active" }))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "active");
    let me = t.as_user(dev).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["role"], "developer", "{}", me.body);
    assert!(me.body.to_string().contains(&team_id), "{}", me.body);
    assert_eq!(seats(t.clone()).await, 3);

    let actions: Vec<String> = audit(&t, &f.id, owner, "")
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .filter(|a| a.ends_with("activated"))
        .collect();
    assert_eq!(actions, vec!["member.reactivated", "member.deactivated"]);

    // Removing a deactivated member frees no second seat.
    let a = t
        .as_user(admin)
        .patch(&member, json!({ "status": "deactivated" }))
        .await;
    assert_eq!(a.status, 200);
    let a = t.as_user(admin).delete(&member).await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(seats(t.clone()).await, 2);
    let a = t.as_user(owner).get(&format!("/orgs/{}", f.id)).await;
    assert_eq!(a.body["memberCount"], 2, "{}", a.body);
}

#[tokio::test]
async fn parallel_deactivations_and_reactivations_count_the_seat_once() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let path = format!("/orgs/{}/members/{}", o.id, o.developer.id);
    for status in ["deactivated", "active"] {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..12 {
            let (t, path) = (t.clone(), path.clone());
            let who = if i % 2 == 0 { &o.owner } else { &o.admin }.token.clone();
            let body = json!({ "status": status });
            tasks.spawn(async move { t.call("PATCH", &path, Some(&who), Some(body)).await });
        }
        let answers = tasks.join_all().await;
        assert!(
            answers
                .iter()
                .all(|a| a.status == 200 || a.body["code"] == Code::ConcurrentUpdate.as_str()),
            "{:?}",
            answers.iter().map(|a| a.body.clone()).collect::<Vec<_>>()
        );
        let a = t.as_user(&o.owner).get(&format!("/orgs/{}", o.id)).await;
        let expected = if status == "active" { 4 } else { 3 };
        assert_eq!(a.body["memberCount"], expected, "{status}: {}", a.body);
        let action = format!(
            "action=member.{}",
            if status == "active" {
                "reactivated"
            } else {
                "deactivated"
            }
        );
        assert_eq!(audit(&t, &o.id, &o.owner, &action).await.len(), 1);
    }
}
