//! Teams: creating, renaming, membership, deletion and their limits, against DynamoDB Local.

use crate::authorization::Fixture;
use crate::projects::org;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

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
        // A removal leaves the member's places on teams to the stream's clean-up.
        integration_tests::finish_removals(&t, &f.id).await;
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
    for i in 0..service::limits::TEAMS_PER_ORG {
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
    assert_eq!(a.body["max"], service::limits::TEAMS_PER_ORG);
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

/// Whether `who` may deploy in `project` (a viewer may only through a grant).
pub(crate) async fn deploys(t: &TestApp, org: &str, who: &User, project: &str) -> bool {
    let a = t
        .as_user(who)
        .post(
            &format!("/orgs/{org}/authorize"),
            json!({ "permissions": ["deployments.create"], "projectId": project }),
        )
        .await;
    a.assert_status(200)["results"][0]["allowed"] == json!(true)
}

/// The membership items of a team that are stored.
pub(crate) async fn places_of(t: &TestApp, org: &str, team: &str) -> usize {
    let q = service::teams::item::TeamMemberItem::page_of_team(
        &service::domain::OrgId::parse(org).unwrap(),
        &service::domain::TeamId::parse(team).unwrap(),
        1000,
        None,
    );
    t.app.store.query_page(q).await.unwrap().0.len()
}

#[tokio::test]
async fn a_team_past_the_old_limit_of_40_is_deleted_at_once_and_cleaned_up_once() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Big team", "pro", &[]).await;
    let users: Vec<User> = (0..45).map(|i| t.user(&format!("big{i}"))).collect();
    let viewers: Vec<(&User, Role)> = users.iter().map(|u| (u, Role::Viewer)).collect();
    t.add_members(&f.id, &viewers).await;
    let team = t.create_team(&f.id, &f.owner, "Everyone").await;
    t.add_to_team(&f.id, &team, &users.iter().collect::<Vec<_>>())
        .await;
    let project = t.create_project(&f.id, &f.owner, "Web").await;
    t.grant(&f.id, &f.owner, &project, &format!("team:{team}"), "editor")
        .await;
    let a = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/teams/{team}", f.id))
        .await;
    assert_eq!(a.assert_status(200)["memberCount"], 45);
    assert_eq!(places_of(&t, &f.id, &team).await, 45);
    assert!(deploys(&t, &f.id, &users[44], &project).await);

    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/teams/{team}", f.id))
        .await
        .assert_status(204);
    // The access the team gave ends with the request, before any clean-up.
    assert!(!deploys(&t, &f.id, &users[44], &project).await);
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}/teams/{team}", f.id))
        .await
        .assert_problem(404, Code::TeamNotFound);

    let report = integration_tests::finish_removals(&t, &f.id).await;
    assert_eq!((report.places_removed, report.records_updated), (45, 45));
    assert_eq!(
        places_of(&t, &f.id, &team).await,
        0,
        "no membership item left"
    );
    for u in [&users[0], &users[44]] {
        let me = t.as_user(u).get(&format!("/orgs/{}/me", f.id)).await;
        assert_eq!(me.assert_status(200)["teamIds"], json!([]));
    }
    // Delivered again (Lambda delivers at least once): nothing left to do.
    let again = integration_tests::finish_removals(&t, &f.id).await;
    assert_eq!((again.places_removed, again.records_updated), (0, 0));
}

#[tokio::test]
async fn a_removed_member_back_on_a_team_is_not_taken_off_by_the_old_removal() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Back", "pro", &[Role::Developer]).await;
    let dev = f.member(Role::Developer).clone();
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    t.add_to_team(&f.id, &team, &[&dev]).await;
    let member = format!("/orgs/{}/members/{}", f.id, dev.id);
    let place = format!("/orgs/{}/teams/{team}/members/{}", f.id, dev.id);
    let team_path = format!("/orgs/{}/teams/{team}", f.id);
    t.as_user(&f.owner).delete(&member).await.assert_status(204);
    // Back in the organization before the clean-up ran: the old place is still there, so
    // putting them on the team again asks for a retry instead of answering for the old place.
    t.add_member(&f.id, &dev, Role::Developer).await;
    t.as_user(&f.owner)
        .put_empty(&place)
        .await
        .assert_problem(409, Code::ConcurrentUpdate);
    let report = integration_tests::finish_removals(&t, &f.id).await;
    assert_eq!(report.places_removed, 1);
    t.as_user(&f.owner)
        .put_empty(&place)
        .await
        .assert_status(200);
    // The removal's entry delivered again: the new place is the new membership's, and stays.
    let again = integration_tests::finish_removals(&t, &f.id).await;
    assert_eq!(again.places_removed, 0);
    let a = t.as_user(&f.owner).get(&team_path).await;
    assert_eq!(a.assert_status(200)["memberCount"], 1);
    assert_eq!(a.body["members"][0]["userId"], json!(dev.id));
    let me = t.as_user(&dev).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.assert_status(200)["teamIds"], json!([team]));
}

#[tokio::test]
async fn a_team_of_the_members_set_from_before_keeps_working() {
    use service::members::item::MemberItem;
    use service::teams::item::TeamItem;
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Legacy", "pro", &[Role::Developer, Role::Viewer])
        .await;
    let (dev, viewer) = (
        f.member(Role::Developer).clone(),
        f.member(Role::Viewer).clone(),
    );
    let team = t.create_team(&f.id, &f.owner, "Old").await;
    // As the team's memberships were stored before their items: the team's `members` set and
    // each member's `teams`, written by the member's own operation.
    let org = service::domain::OrgId::parse(&f.id).unwrap();
    let team_id = service::domain::TeamId::parse(&team).unwrap();
    let mut item: TeamItem = t
        .app
        .store
        .batch_get_as(vec![TeamItem::key_of(&org, &team_id)])
        .await
        .unwrap()
        .pop()
        .unwrap();
    let mut tx = t.app.store.tx();
    for u in [&dev, &viewer] {
        let user = service::domain::UserId::parse("userId", &u.id).unwrap();
        item.members.insert(user.clone());
        let m: MemberItem = t
            .app
            .store
            .batch_get_as(vec![MemberItem::key_of(&org, &user)])
            .await
            .unwrap()
            .pop()
            .unwrap();
        tx = m
            .join_team(
                tx,
                &team_id,
                100,
                service::error::ApiError::internal("join"),
            )
            .unwrap();
    }
    t.app.store.commit(tx).await.unwrap();
    t.app.store.commit(t.store_as_before(&item)).await.unwrap();

    let team_path = format!("/orgs/{}/teams/{team}", f.id);
    let page = t
        .as_user(&f.owner)
        .get(&format!("{team_path}?limit=1"))
        .await;
    assert_eq!(page.assert_status(200)["memberCount"], 2);
    let next = page.body["membersNextCursor"].as_str().unwrap().to_string();
    let rest = t
        .as_user(&f.owner)
        .get(&format!("{team_path}?limit=1&cursor={next}"))
        .await;
    let mut seen = vec![
        page.body["members"][0]["userId"].clone(),
        rest.assert_status(200)["members"][0]["userId"].clone(),
    ];
    seen.sort_by_key(|v| v.as_str().unwrap().to_string());
    let mut want = vec![json!(dev.id), json!(viewer.id)];
    want.sort_by_key(|v| v.as_str().unwrap().to_string());
    assert_eq!(seen, want);
    assert!(rest.body["membersNextCursor"].is_null());
    // Adding again is a no-op; taking off and removing from the organization work on the set.
    t.as_user(&f.owner)
        .put_empty(&format!("{team_path}/members/{}", dev.id))
        .await
        .assert_status(200);
    t.as_user(&f.owner)
        .delete(&format!("{team_path}/members/{}", viewer.id))
        .await
        .assert_status(204);
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, dev.id))
        .await
        .assert_status(204);
    integration_tests::finish_removals(&t, &f.id).await;
    let a = t.as_user(&f.owner).get(&team_path).await;
    assert_eq!(a.assert_status(200)["memberCount"], 0);
    // The viewer is back through an item; deleting the team cleans it up.
    t.add_to_team(&f.id, &team, &[&viewer]).await;
    assert_eq!(
        t.as_user(&f.owner).get(&team_path).await.body["memberCount"],
        1
    );
    t.as_user(&f.owner)
        .delete(&team_path)
        .await
        .assert_status(204);
    integration_tests::finish_removals(&t, &f.id).await;
    let me = t.as_user(&viewer).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.assert_status(200)["teamIds"], json!([]));
    assert_eq!(places_of(&t, &f.id, &team).await, 0);
}

#[tokio::test]
async fn putting_on_a_team_a_membership_that_ended_and_began_again_meanwhile_fails() {
    use service::members::item::MemberItem;
    use service::teams::item::TeamItem;
    let t = TestApp::new().await;
    let f = t.org_fixture("Again", "pro", &[Role::Developer]).await;
    let dev = f.member(Role::Developer).clone();
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    let org = service::domain::OrgId::parse(&f.id).unwrap();
    let (team_id, user) = (
        service::domain::TeamId::parse(&team).unwrap(),
        service::domain::UserId::parse("userId", &dev.id).unwrap(),
    );
    // The add's read: the team and the membership as they are now.
    let read_team: TeamItem = t
        .app
        .store
        .batch_get_as(vec![TeamItem::key_of(&org, &team_id)])
        .await
        .unwrap()
        .pop()
        .unwrap();
    let read_member: MemberItem = t
        .app
        .store
        .batch_get_as(vec![MemberItem::key_of(&org, &user)])
        .await
        .unwrap()
        .pop()
        .unwrap();
    // Meanwhile the member is removed and joins again with the same role.
    t.as_user(&f.owner)
        .delete(&format!("/orgs/{}/members/{}", f.id, dev.id))
        .await
        .assert_status(204);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    t.add_member(&f.id, &dev, Role::Developer).await;
    // The add's write, decided on the old membership: refused, so no place on the team names
    // the old membership (a redelivered clean-up of its removal would take it from the new one).
    let now = service::domain::Timestamp::now();
    let tx = read_team
        .add_member(
            t.app.store.tx(),
            &read_member,
            &service::domain::UserId::parse("userId", &f.owner.id).unwrap(),
            now,
            10,
        )
        .unwrap();
    let tx = read_member
        .join_team(
            tx,
            &team_id,
            100,
            service::error::ApiError::concurrent("changed"),
        )
        .unwrap();
    let err = t.app.store.commit(tx).await.unwrap_err();
    assert_eq!(err.code, Code::ConcurrentUpdate);
    assert_eq!(places_of(&t, &f.id, &team).await, 0);
}
