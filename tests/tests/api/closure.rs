//! Closing an organization: impact, typed-name confirmation, read-only grace, reactivation; the
//! scheduled purge: nothing before `purgeAt`, everything but a tombstone after, resumable.

use crate::authorization::Fixture;
use integration_tests::{secrets_client, OrgFixture, TestApp};
use serde_json::{json, Value};
use service::closure::purge::purge_due;
use service::domain::{IntegrationId, OrgId, Timestamp};
use service::error::Code;
use service::integrations::secret::{self, Secret};
use service::permissions::Role;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "closure-impact" => (None, 200),
        "close-org" => (Some(json!({ "confirmName": "Walked" })), 200),
        // The walk's organization is active: its owner is told there is nothing to reactivate.
        "reactivate-org" => (None, 409),
        _ => return None,
    })
}

/// An organization with something of everything: members, a team with a project grant, a direct
/// grant, an integration with a secret, a pending invitation; all through the API.
async fn populated(t: &TestApp, name: &str) -> (OrgFixture, String) {
    let f = t
        .org_fixture(name, "pro", &[Role::Admin, Role::Developer, Role::Viewer])
        .await;
    let project = t
        .create_project(&f.id, f.member(Role::Developer), "Web")
        .await;
    let team = t.create_team(&f.id, &f.owner, "Team").await;
    t.add_to_team(&f.id, &team, &[f.member(Role::Viewer)]).await;
    t.grant(&f.id, &f.owner, &project, &format!("team:{team}"), "editor")
        .await;
    t.grant(
        &f.id,
        &f.owner,
        &project,
        &format!("user:{}", f.member(Role::Admin).id),
        "viewer",
    )
    .await;
    let integration = t
        .create_integration(
            &f.id,
            &f.owner,
            json!({ "kind": "storage_provider", "provider": "s3", "name": "Backups",
                    "config": { "bucket": "closing", "region": "eu-west-1" }, "secret": "closing-secret" }),
        )
        .await;
    (f, integration)
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

/// The items of one organization: its partition and its audit months.
fn of_org(items: &BTreeMap<String, String>, org: &str) -> BTreeMap<String, String> {
    items
        .iter()
        .filter(|(k, _)| {
            k.starts_with(&format!("ORG#{org}|")) || k.starts_with(&format!("AUDIT#{org}#"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[tokio::test]
async fn an_owner_sees_the_impact_closes_with_the_exact_name_and_the_org_turns_read_only() {
    let t = TestApp::new().await;
    let (f, _) = populated(&t, "Closing Co").await;
    let invite = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": "late@example.com", "role": "viewer" }),
        )
        .await;
    let invitation = invite.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations/{invitation}/code", f.id))
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_string();
    t.as_user(&f.owner)
        .post(
            &format!("/orgs/{}/api-keys", f.id),
            json!({ "name": "CI", "role": "viewer" }),
        )
        .await
        .assert_status(201);

    let impact = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/closure-impact", f.id))
        .await;
    let i = impact.assert_status(200);
    assert_eq!(i["apiKeys"], 1, "{i}");
    assert_eq!(
        (
            i["projects"].as_u64(),
            i["members"].as_u64(),
            i["teams"].as_u64(),
            i["pendingInvitations"].as_u64()
        ),
        (Some(1), Some(3), Some(1), Some(1)),
        "{i}"
    );
    assert_eq!(
        (
            i["integrations"].as_u64(),
            i["integrationsWithCredentials"].as_u64()
        ),
        (Some(1), Some(1))
    );
    t.as_user(f.member(Role::Admin))
        .get(&format!("/orgs/{}/closure-impact", f.id))
        .await
        .assert_problem(403, Code::Forbidden);

    let close = format!("/orgs/{}/close", f.id);
    for wrong in ["closing co", "Closing Co ", "Closing  Co"] {
        t.as_user(&f.owner)
            .post(&close, json!({ "confirmName": wrong }))
            .await
            .assert_problem(400, Code::ConfirmationMismatch);
    }
    let closed = t
        .as_user(&f.owner)
        .post(&close, json!({ "confirmName": "Closing Co" }))
        .await;
    assert_eq!(closed.assert_status(200)["status"], "grace");
    let purge_at = closed.body["purgeAt"].as_str().unwrap().to_string();

    // Every change is refused, naming purgeAt; reads work; the invitation is dead.
    let refused = t
        .as_user(&f.owner)
        .patch(&format!("/orgs/{}", f.id), json!({ "name": "Renamed" }))
        .await;
    refused.assert_problem(409, Code::OrgClosed);
    assert_eq!(refused.body["purgeAt"], json!(purge_at));
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("reactivate"));
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}/members", f.id))
        .await
        .assert_status(200);
    let joiner = t.user("late");
    t.as_user(&joiner)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    let listed = t.as_user(&f.owner).get("/orgs").await;
    let mine = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == json!(f.id))
        .unwrap()
        .clone();
    assert_eq!(
        (mine["status"].as_str(), mine["purgeAt"].as_str()),
        (Some("grace"), Some(purge_at.as_str()))
    );

    // Other services are told to stop writing too.
    let a = t
        .as_user(f.member(Role::Admin))
        .post(
            &format!("/orgs/{}/authorize", f.id),
            json!({ "permissions": ["members.read", "members.update"] }),
        )
        .await;
    assert_eq!(a.assert_status(200)["results"][0]["allowed"], true);
    assert_eq!(a.body["results"][1]["allowed"], false);
    assert_eq!(a.body["results"][1]["reason"], "org_closed");
    let me = t.as_user(&f.owner).get(&format!("/orgs/{}/me", f.id)).await;
    assert_eq!(me.assert_status(200)["suspended"]["reason"], "org_closed");
    assert!(me.body["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("org.reactivate")));
    assert!(!me.body["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("members.update")));
}

#[tokio::test]
async fn reactivation_restores_every_item_as_it_was() {
    let t = TestApp::new().await;
    let (f, _) = populated(&t, "Back Again").await;
    let before = of_org(&t.table_items().await, &f.id);
    let org_before = t.org_item(&f.id).await;
    t.close_through_api(&f.id).await;
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_status(200);
    let after = of_org(&t.table_items().await, &f.id);
    // Every item but the organization's own and its seats' (and the two new audit entries)
    // byte for byte. The seats are the members' alone: the closure revoked the invitations.
    let org_key = format!("ORG#{}|ORG", f.id);
    let seats_key = format!("ORG#{}|SEATS", f.id);
    for (k, v) in &before {
        if *k != org_key && *k != seats_key {
            assert_eq!(after.get(k), Some(v), "{k} changed");
        }
    }
    let seats = t.seat_state(&f.id).await;
    assert_eq!(
        (seats.seats_used, seats.pending_seats),
        (org_before.member_count, 0),
        "{seats:?}"
    );
    assert_eq!(
        after.len(),
        before.len() + 2,
        "only the closed and reactivated entries are new"
    );
    let org_after = t.org_item(&f.id).await;
    assert_eq!(org_after.status, org_before.status);
    assert_eq!(
        (
            org_after.name,
            org_after.slug,
            org_after.member_count,
            org_after.team_count,
            org_after.settings,
            org_after.default_storage_id
        ),
        (
            org_before.name,
            org_before.slug,
            org_before.member_count,
            org_before.team_count,
            org_before.settings,
            org_before.default_storage_id
        )
    );
    assert!(org_after.purge_at.is_none() && org_after.closed_at.is_none());
    // Reactivating an active organization is refused.
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_problem(409, Code::OrgNotClosed);
    // Once the purge has marked it (its first step), a closed organization stays closed.
    t.close_through_api(&f.id).await;
    let org = t.org_item(&f.id).await;
    let later = Timestamp::now() + chrono::Duration::days(31);
    t.app
        .store
        .commit(org.start_purge(t.app.store.tx(), later).unwrap())
        .await
        .unwrap();
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_problem(409, Code::PurgeStarted);
}

#[tokio::test]
async fn the_purge_waits_for_purge_at_then_leaves_only_a_tombstone_and_touches_nothing_else() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let (f, integration) = populated(&t, "Doomed").await;
    // A thousand other organizations, with the creation's own writes.
    let others = t.create_orgs(1000, "other").await;
    assert_eq!(others.len(), 1000);
    t.close_through_api(&f.id).await;
    let slug = t.org_item(&f.id).await.slug;
    let creator_key = format!("USER#{}|USER", f.owner.id);
    let untouched = |items: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        items
            .iter()
            .filter(|(k, _)| {
                !k.starts_with(&format!("ORG#{}|", f.id))
                    && !k.starts_with(&format!("AUDIT#{}#", f.id))
                    && **k != format!("SLUG#{}|SLUG", slug.as_str())
                    && **k != creator_key
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let before = t.table_items().await;

    // Before purgeAt (and before its reminders, 7 days ahead): nothing.
    let report = purge_due(
        &t.app,
        Timestamp::now() + chrono::Duration::days(22),
        deadline(),
    )
    .await
    .unwrap();
    assert_eq!(report.orgs_purged, 0);
    assert!(
        t.table_items().await == before,
        "nothing changed before purgeAt"
    );
    // A secret a crash left behind after that run (the hourly sweep of that run would have
    // removed an older one): tagged with the organization, no item points to it.
    let leftover = IntegrationId::new();
    let org_id = OrgId::parse(&f.id).unwrap();
    let client = secrets_client().await;
    secret::create(
        Some(&client),
        &t.table,
        &org_id,
        &leftover,
        &Secret::parse("left-behind".into()).unwrap(),
        None,
    )
    .await
    .unwrap()
    .expect("a new secret");

    // 31 days later: everything of it is gone but the tombstone.
    let report = purge_due(
        &t.app,
        Timestamp::now() + chrono::Duration::days(31),
        deadline(),
    )
    .await
    .unwrap();
    println!("purge: {report:?}");
    assert_eq!((report.orgs_purged, report.unfinished), (1, false));
    assert_eq!(
        report.secrets_scrubbed, 2,
        "the integration's secret and the leftover"
    );
    let after = t.table_items().await;
    let left: Vec<&String> = after.keys().filter(|k| k.contains(&f.id)).collect();
    assert_eq!(
        left,
        vec![&format!("ORG#{}|TOMBSTONE", f.id)],
        "only the tombstone"
    );
    let tombstone = &after[&format!("ORG#{}|TOMBSTONE", f.id)];
    for personal in [
        f.owner.id.as_str(),
        "Doomed",
        slug.as_str(),
        f.owner.email.as_str(),
    ] {
        assert!(
            !tombstone.contains(personal),
            "the tombstone holds {personal}: {tombstone}"
        );
    }
    assert!(!after.contains_key(&format!("SLUG#{}|SLUG", slug.as_str())));
    assert_eq!(
        untouched(&after),
        untouched(&before),
        "1,000 other organizations byte-identical"
    );
    for id in [integration.as_str(), leftover.as_str()] {
        let gone = client
            .get_secret_value()
            .secret_id(format!("orgs/{}/integrations/{id}", f.id))
            .send()
            .await;
        assert!(gone.is_err(), "secret {id} scrubbed");
    }
    // The slug can be taken; the creator may create an organization again.
    let a = t
        .as_user(&f.owner)
        .post("/orgs", json!({ "name": "Reborn", "slug": slug.as_str() }))
        .await;
    a.assert_status(201);
    // A second run finds nothing to do.
    let again = purge_due(
        &t.app,
        Timestamp::now() + chrono::Duration::days(31),
        deadline(),
    )
    .await
    .unwrap();
    assert_eq!(again.orgs_purged, 0);
}

#[tokio::test]
async fn a_purge_stopped_or_killed_midway_is_finished_by_the_next_run() {
    let t = TestApp::new().await;
    let (f, _) = populated(&t, "Interrupted").await;
    // More items than one batch of deletes: projects through the API.
    for i in 0..60 {
        t.create_project(&f.id, &f.owner, &format!("P {i}")).await;
    }
    t.close_through_api(&f.id).await;
    let later = Timestamp::now() + chrono::Duration::days(31);

    // A run that is out of time at once does nothing.
    let report = purge_due(&t.app, later, Instant::now()).await.unwrap();
    assert!(report.unfinished && report.orgs_purged == 0);

    // A run killed in the middle of its deletes (the future dropped between requests, as a
    // process killed mid-flight): aborted as soon as the first projects are gone, while the
    // audit months are still to come.
    let app = t.app.clone();
    let run = tokio::spawn(async move { purge_due(&app, later, deadline()).await });
    let org_id = OrgId::parse(&f.id).unwrap();
    loop {
        let q = service::projects::item::ProjectItem::page_of_org(&org_id, 100, None).unwrap();
        let (projects, _) = t.app.store.count(q).await.unwrap();
        if projects < 61 {
            run.abort();
            break;
        }
        assert!(
            !run.is_finished(),
            "the run ended before it was seen deleting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = run.await;
    let status = t.org_item(&f.id).await.status;
    assert_eq!(
        status,
        service::orgs::settings::OrgStatus::Purging,
        "marked before anything was deleted"
    );
    // ... has already taken the memberships (its owner can no longer even see it), and the next
    // run finishes it.
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_problem(404, Code::OrgNotFound);
    let report = purge_due(&t.app, later, deadline()).await.unwrap();
    assert_eq!(report.orgs_purged, 1);
    let left: Vec<String> = t
        .table_items()
        .await
        .into_keys()
        .filter(|k| k.contains(&f.id))
        .collect();
    assert_eq!(left, vec![format!("ORG#{}|TOMBSTONE", f.id)]);
}

#[tokio::test]
async fn the_schedule_event_gives_the_purge_its_now() {
    // The sample event the README invokes the function with: its `time` is the run's "now".
    let text =
        std::fs::read_to_string(integration_tests::repo_root().join("events/scheduled-purge.json"))
            .unwrap();
    let event: service::closure::purge::ScheduleEvent = serde_json::from_str(&text).unwrap();
    let now = service::closure::purge::now_of(&event).unwrap();
    assert_eq!(now.canonical(), "2026-12-24T00:00:00.000000Z");
    let mut no_time: Value = serde_json::from_str(&text).unwrap();
    no_time.as_object_mut().unwrap().remove("time");
    let event: service::closure::purge::ScheduleEvent = serde_json::from_value(no_time).unwrap();
    assert_eq!(
        service::closure::purge::now_of(&event).unwrap_err().code,
        Code::InvalidEvent
    );
}

#[tokio::test]
async fn reactivation_puts_the_organization_back_on_its_plan_so_its_members_fit() {
    let t = TestApp::new().await;
    // Four members and the owner: over the free plan's 2 seats.
    let (f, _) = populated(&t, "Five Seats").await;
    assert_eq!(
        t.org_item(&f.id).await.plan,
        service::domain::Plan::parse("pro").unwrap()
    );
    let impact = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/closure-impact", f.id))
        .await;
    assert_eq!(impact.body["subscription"]["restoredByReactivation"], true);
    t.close_through_api(&f.id).await;
    assert_eq!(
        t.org_item(&f.id).await.plan,
        service::domain::Plan::parse("free").unwrap()
    );
    let back = t
        .as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await;
    assert_eq!(back.assert_status(200)["plan"], "pro");
    let org = t.org_item(&f.id).await;
    assert_eq!(
        (org.plan, org.plan_at_closure),
        (service::domain::Plan::parse("pro").unwrap(), None)
    );
    let usage = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/subscription", f.id))
        .await;
    let usage = usage.assert_status(200);
    assert_eq!(usage["plan"], "pro", "{usage}");
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?action=org.reactivated", f.id))
        .await;
    assert_eq!(
        log.body["items"][0]["details"]["restoredPlan"], "pro",
        "{}",
        log.body
    );
}

/// The impact counts only invitations pending now, and closing revokes only those: an accepted
/// invitation stays accepted and an expired one expired (their holds go with the closure all the
/// same). `members` leaves out the owner closing it; `totalMembers` counts them.
#[tokio::test]
async fn closing_counts_and_revokes_only_the_invitations_pending_now() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Settled Co", "pro", &[Role::Admin]).await;
    let joiner = t.user("joiner");
    let (accepted, code) = t
        .insert_invitation(&f.id, &f.owner, &joiner.email, Role::Viewer, 1)
        .await;
    t.as_user(&joiner)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    let (expired, _) = t
        .insert_invitation(&f.id, &f.owner, "expired@example.com", Role::Viewer, 1)
        .await;
    t.expire_invitation(&f.id, &expired).await;
    let impact = format!("/orgs/{}/closure-impact", f.id);
    let counts = |i: &Value| {
        (
            i["pendingInvitations"].as_u64(),
            i["members"].as_u64(),
            i["totalMembers"].as_u64(),
        )
    };
    let i = t.as_user(&f.owner).get(&impact).await;
    assert_eq!(
        counts(i.assert_status(200)),
        (Some(0), Some(2), Some(3)),
        "{}",
        i.body
    );
    let (pending, _) = t
        .insert_invitation(&f.id, &f.owner, "pending@example.com", Role::Viewer, 2)
        .await;
    let i = t.as_user(&f.owner).get(&impact).await;
    assert_eq!(counts(i.assert_status(200)), (Some(1), Some(2), Some(3)));

    let closed = t
        .as_user(&f.owner)
        .post(
            &format!("/orgs/{}/close", f.id),
            json!({ "confirmName": "Settled Co" }),
        )
        .await;
    closed.assert_status(200);
    let listed = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/invitations", f.id))
        .await;
    let status_of = |id: &str| {
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == json!(id))
            .map(|i| i["status"].as_str().unwrap().to_string())
    };
    listed.assert_status(200);
    assert_eq!(
        (
            status_of(&accepted),
            status_of(&expired),
            status_of(&pending)
        ),
        (
            Some("accepted".into()),
            Some("expired".into()),
            Some("revoked".into())
        ),
        "{}",
        listed.body
    );
    assert!(!t.invitation_item(&f.id, &accepted).await.revoked);
    assert!(!t.invitation_item(&f.id, &expired).await.revoked);
    // Every hold went with the closure: the seats in use are the members'.
    let org = t.org_item(&f.id).await;
    let seats = org.seats(t.seats_item(&f.id).await).unwrap();
    assert!(seats.state.seat_holds.iter().flatten().next().is_none());
    assert!(seats.state.seat_days.iter().flatten().next().is_none());
    assert_eq!(seats.seats_in_use(Timestamp::now()), 3);
}

/// A closure revokes every invitation pending then, however many (it reads none of them: they
/// are revoked by the time they were created at, `invitationsRevokedAt`), and reactivating brings
/// none back: their codes, resends and the invitees' lists refuse them, while an invitation that
/// had already expired stays expired and may be resent and accepted as before.
#[tokio::test]
async fn a_closure_revokes_every_pending_invitation_however_many_and_reactivation_brings_none_back()
{
    let t = TestApp::new().await;
    let f = t.org_fixture("Many Invites", "pro", &[]).await;
    let invitee = t.user("invitee");
    let (to_invitee, code) = t
        .insert_invitation(&f.id, &f.owner, &invitee.email, Role::Viewer, 1)
        .await;
    // More than the 90 a closure's transaction could revoke one by one.
    let pending = 120;
    let mut others = Vec::new();
    for i in 0..pending {
        let email = format!("pending-{i}@example.com");
        let (id, _) = t
            .insert_invitation(&f.id, &f.owner, &email, Role::Viewer, 1)
            .await;
        others.push(id);
    }
    let late = t.user("late");
    let (expired, late_code) = t
        .insert_invitation(&f.id, &f.owner, &late.email, Role::Viewer, 1)
        .await;
    t.expire_invitation(&f.id, &expired).await;
    let owner = t.as_user(&f.owner);
    let impact = owner
        .get(&format!("/orgs/{}/closure-impact", f.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(impact["pendingInvitations"], pending + 1, "{impact}");
    owner
        .post(
            &format!("/orgs/{}/close", f.id),
            json!({ "confirmName": "Many Invites" }),
        )
        .await
        .assert_status(200);
    let seats = t.seat_state(&f.id).await;
    assert_eq!(
        (seats.pending_seats, seats.seats_used),
        (0, 1),
        "only the owner"
    );
    owner
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_status(200);

    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page = owner
            .get(&format!("/orgs/{}/invitations?limit=100{cursor}", f.id))
            .await
            .assert_status(200)
            .clone();
        for i in page["items"].as_array().unwrap() {
            *statuses
                .entry(i["status"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        statuses,
        BTreeMap::from([("revoked".to_string(), pending + 1), ("expired".into(), 1)]),
    );
    let impact = owner
        .get(&format!("/orgs/{}/closure-impact", f.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(impact["pendingInvitations"], 0, "{impact}");
    // The invitee sees nothing, and the code is refused.
    let mine = t.as_user(&invitee).get("/me/invitations").await;
    assert_eq!(mine.assert_status(200)["items"], json!([]), "{}", mine.body);
    t.as_user(&invitee)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    owner
        .post_empty(&format!("/orgs/{}/invitations/{to_invitee}/resend", f.id))
        .await
        .assert_problem(409, Code::InvitationNotPending);
    owner
        .delete(&format!("/orgs/{}/invitations/{}", f.id, others[0]))
        .await
        .assert_problem(409, Code::InvitationNotPending);
    // The one that had expired before the closure: resent, it is pending again and accepted.
    owner
        .post_empty(&format!("/orgs/{}/invitations/{expired}/resend", f.id))
        .await
        .assert_status(200);
    let mine = t.as_user(&late).get("/me/invitations").await;
    assert_eq!(
        mine.assert_status(200)["items"].as_array().unwrap().len(),
        1,
        "{}",
        mine.body
    );
    t.as_user(&late)
        .post_empty(&format!("/invitations/{late_code}/accept"))
        .await
        .assert_status(201);
    let org = t.org_item(&f.id).await;
    let seats = t.seat_state(&f.id).await;
    assert_eq!(
        (org.member_count, seats.pending_seats, seats.seats_used),
        (2, 0, 2)
    );
    // The cleanup removes the revoked ones (their seats went with the closure).
    let clean = owner
        .post_empty(&format!("/orgs/{}/invitations/cleanup", f.id))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(clean["releasedSeats"], 0, "{clean}");
    assert_eq!(clean["removed"], 90, "a batch: {clean}");
}
