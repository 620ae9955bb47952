//! Teams: creating, renaming, membership, deletion and their limits, against DynamoDB Local.

use crate::authorization::Fixture;
use crate::projects::org;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use shared::error::Code;
use shared::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-teams" | "get-team" => (None, 200),
        "create-team" => (Some(json!({ "name": "Fresh" })), 201),
        "update-team" => (Some(json!({ "name": "Renamed" })), 200),
        "delete-team" | "remove-team-member" => (None, 204),
        "add-team-member" => (None, 200),
        _ => return None,
    })
}

#[tokio::test]
async fn guests_are_not_on_teams_and_members_on_teams_are_not_made_guests() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Guests", "pro", &[Role::Viewer, Role::Guest])
        .await;
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    t.as_user(&f.owner)
        .put_empty(&format!(
            "/orgs/{}/teams/{team}/members/{}",
            f.id,
            f.member(Role::Guest).id
        ))
        .await
        .assert_problem(409, Code::GuestCannotJoinTeam);
    t.as_user(&f.owner)
        .put_empty(&format!("/orgs/{}/teams/{team}/members/stranger", f.id))
        .await
        .assert_problem(404, Code::MemberNotFound);
    let viewer = f.member(Role::Viewer);
    t.add_to_team(&f.id, &team, &[viewer]).await;
    t.add_to_team(&f.id, &team, &[viewer]).await; // idempotent
    let a = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/teams/{team}", f.id))
        .await;
    assert_eq!(a.assert_status(200)["memberCount"], 1);
    assert_eq!(a.body["members"][0]["userId"], json!(viewer.id));
    t.as_user(&f.owner)
        .patch(
            &format!("/orgs/{}/members/{}", f.id, viewer.id),
            json!({ "role": "guest" }),
        )
        .await
        .assert_problem(409, Code::MemberOnTeams);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adding_to_a_team_while_the_member_is_removed_leaves_no_orphan() {
    let t = TestApp::new().await;
    for round in 0..6 {
        let f = t
            .org_fixture(&format!("Race {round}"), "pro", &[Role::Developer])
            .await;
        let dev = f.member(Role::Developer).clone();
        let team = t.create_team(&f.id, &f.owner, "Team").await;
        let project = t.create_project(&f.id, &f.owner, "P").await;
        t.grant(&f.id, &f.owner, &project, &format!("team:{team}"), "editor")
            .await;
        // Two tasks on the runtime's threads: truly parallel requests.
        let add = {
            let (t, owner) = (t.clone(), f.owner.clone());
            let path = format!("/orgs/{}/teams/{team}/members/{}", f.id, dev.id);
            tokio::spawn(async move { t.as_user(&owner).put_empty(&path).await })
        };
        let remove = {
            let (t, owner) = (t.clone(), f.owner.clone());
            let path = format!("/orgs/{}/members/{}", f.id, dev.id);
            tokio::spawn(async move { t.as_user(&owner).delete(&path).await })
        };
        let (add, remove) = (add.await.unwrap(), remove.await.unwrap());
        let team_view = t
            .as_user(&f.owner)
            .get(&format!("/orgs/{}/teams/{team}", f.id))
            .await;
        let on_team = team_view.assert_status(200)["memberCount"]
            .as_u64()
            .unwrap();
        let member = t
            .as_user(&f.owner)
            .get(&format!("/orgs/{}/members?limit=100", f.id))
            .await;
        let still_member = member.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["userId"] == json!(dev.id));
        // Whatever won, both sides agree: on the team only as a member, and no member is left half-removed.
        assert_eq!(
            on_team == 1,
            still_member,
            "round {round}: add {} remove {}: team {team_view:?} member {still_member}",
            add.status,
            remove.status
        );
        if remove.status == 204 {
            assert_eq!(on_team, 0, "round {round}: removed, yet on the team");
            t.as_user(&dev)
                .get(&format!("/orgs/{}/projects/{project}", f.id))
                .await
                .assert_problem(404, Code::OrgNotFound);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_team_while_it_is_granted_leaves_no_grant_to_a_missing_team() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    for round in 0..6 {
        let team = t
            .create_team(&f.id, &f.owner, &format!("Team {round}"))
            .await;
        let project = t
            .create_project(&f.id, &f.owner, &format!("P {round}"))
            .await;
        let grant = {
            let (t, owner) = (t.clone(), f.owner.clone());
            let path = format!("/orgs/{}/projects/{project}/access/team:{team}", f.id);
            tokio::spawn(async move {
                t.as_user(&owner)
                    .put(&path, json!({ "role": "admin" }))
                    .await
            })
        };
        let delete = {
            let (t, owner) = (t.clone(), f.owner.clone());
            let path = format!("/orgs/{}/teams/{team}", f.id);
            tokio::spawn(async move { t.as_user(&owner).delete(&path).await })
        };
        let (grant, delete) = (grant.await.unwrap(), delete.await.unwrap());
        let team_exists = t
            .as_user(&f.owner)
            .get(&format!("/orgs/{}/teams/{team}", f.id))
            .await
            .status
            == 200;
        let access = t
            .as_user(&f.owner)
            .get(&format!("/orgs/{}/projects/{project}/access", f.id))
            .await;
        let granted = access.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["principal"] == json!(format!("team:{team}")));
        assert!(
            !granted || team_exists,
            "round {round}: grant {} delete {}: a grant to a deleted team",
            grant.status,
            delete.status
        );
        assert!(delete.status == 204 || team_exists, "round {round}");
    }
}

#[tokio::test]
async fn teams_per_organization_are_limited_with_a_clear_error() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Many teams", "pro", &[]).await;
    for i in 0..shared::limits::TEAMS_PER_ORG {
        t.create_team(&f.id, &f.owner, &format!("Team {i}")).await;
    }
    let a = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/teams", f.id),
            json!({ "name": "One too many" }),
        )
        .await;
    a.assert_problem(409, Code::LimitReached);
    assert_eq!(a.body["limit"], "teamsPerOrganization");
    assert_eq!(a.body["max"], shared::limits::TEAMS_PER_ORG);
    // Pages of teams and of a team's members.
    let page = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/teams?limit=30", f.id))
        .await;
    assert_eq!(
        page.assert_status(200)["items"].as_array().unwrap().len(),
        30
    );
    let next = page.body["nextCursor"].as_str().unwrap();
    let rest = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/teams?limit=30&cursor={next}", f.id))
        .await;
    assert_eq!(
        rest.assert_status(200)["items"].as_array().unwrap().len(),
        20
    );
}

#[tokio::test]
async fn a_teams_members_are_paged() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture(
            "Paged",
            "pro",
            &[Role::Admin, Role::Editor, Role::Developer, Role::Viewer],
        )
        .await;
    let team = t.create_team(&f.id, &f.owner, "All").await;
    let all: Vec<&User> = f.members.iter().map(|(_, u)| u).collect();
    t.add_to_team(&f.id, &team, &all).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/orgs/{}/teams/{team}?limit=3&cursor={c}", f.id),
            None => format!("/orgs/{}/teams/{team}?limit=3", f.id),
        };
        let a = t.as_user(&f.owner).get(&path).await;
        a.assert_status(200);
        seen.extend(
            a.body["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["userId"].as_str().unwrap().to_string()),
        );
        match a.body["membersNextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut want: Vec<String> = all.iter().map(|u| u.id.clone()).collect();
    want.sort();
    assert_eq!(seen, want);
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}/teams/{team}?cursor=garbage", f.id))
        .await
        .assert_problem(400, Code::InvalidCursor);
}
