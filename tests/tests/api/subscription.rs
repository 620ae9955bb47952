//! The subscription: plans, seat limits and the seats pending invitations hold, against DynamoDB
//! Local (the organizations and helpers of the invitation tests).

use crate::authorization::Fixture;
use crate::invitations::{assert_seats_consistent, org, Org};
use integration_tests::TestApp;
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "get-subscription" => (None, 200),
        "set-plan" => (Some(json!({ "plan": "agency" })), 200),
        _ => return None,
    })
}

#[tokio::test]
async fn subscription_and_plan_changes() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    t.insert_invitation(&o.id, &o.admin, "s@example.com", Role::Viewer, 3)
        .await;
    let s = t
        .as_user(&o.developer)
        .get(&format!("/orgs/{}/subscription", o.id))
        .await;
    assert_eq!(s.status, 200);
    assert_eq!(
        s.body["seats"],
        json!({ "used": 6, "limit": null, "members": 3, "pendingInvitations": 3 })
    );
    // Nobody in the organization changes the plan, the owner neither: only the billing system
    // (the owner reads it, and gets the billing portal's address to change it there).
    assert!(
        service::routes::ROUTES
            .iter()
            .all(|r| r.path != "/orgs/{orgId}/subscription" || r.method == "GET"),
        "no member's route writes the plan"
    );
    assert_eq!(
        s.body["billingPortalUrl"], "https://billing.example.com/portal",
        "from the catalogue"
    );
    let a = t.set_plan_by_billing(&o.id, "starter").await;
    a.assert_problem(409, Code::SeatsExceedPlan);
    assert_eq!(
        (a.body["seatLimit"].as_i64(), a.body["seatsUsed"].as_i64()),
        (Some(5), Some(6))
    );
    assert!(a.body["detail"].as_str().unwrap().contains("5 seats but 6"));
    let a = t.set_plan_by_billing(&o.id, "agency").await;
    assert_eq!((a.status, a.body["plan"].as_str()), (200, Some("agency")));
    let a = t.set_plan_by_billing(&o.id, "gold").await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("plan")));
    // The catalogue's 25-seat plan: 6 seats in use fit.
    let a = t.set_plan_by_billing(&o.id, "team").await;
    assert_eq!(a.assert_status(200)["seats"]["limit"], 25);
    let unknown = "org_00000000000000000000000000000000";
    t.set_plan_by_billing(unknown, "pro")
        .await
        .assert_problem(404, Code::OrgNotFound);
    let audit = t
        .as_user(&o.owner)
        .get(&format!(
            "/orgs/{}/audit-log?action=subscription.changed",
            o.id
        ))
        .await;
    let items = audit.body["items"].as_array().unwrap();
    assert!(
        items.iter().any(
            |i| i["summary"] == "plan: pro -> agency (by the billing service local)"
                && i["actorId"] == "service:local"
        ),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn ten_parallel_invitations_for_the_last_free_seat_create_one() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let id = t.create_org(&owner, "Tiny").await; // free: 2 seats, 1 used
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (t, token, id) = (t.clone(), owner.token.clone(), id.clone());
        tasks.spawn(async move {
            t.call(
                "POST",
                &format!("/orgs/{id}/invitations"),
                Some(&token),
                Some(json!({ "email": format!("seat{i}@example.com"), "role": "viewer" })),
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.body["code"].clone()))
            .collect::<Vec<_>>()
    );
    assert!(answers
        .iter()
        .filter(|a| a.status != 201)
        .all(|a| a.status == 402 && a.body["code"] == Code::SeatLimitReached.as_str()));
    let o = Org {
        id,
        owner: owner.clone(),
        admin: owner.clone(),
        developer: owner,
    };
    assert_seats_consistent(&t, &o).await;
}

/// Expired invitations stop holding seats without anyone running the cleanup: the next
/// invitation takes their day back in its own write; TTL removes them 30 days after they expire.
#[tokio::test]
async fn expired_invitations_stop_holding_seats_without_a_cleanup() {
    let t = TestApp::new().await;
    let o = org(&t, "starter").await; // 5 seats, 3 used by members
    let admin = t.as_user(&o.admin);
    let invitations = format!("/orgs/{}/invitations", o.id);
    // Sent two minutes ago, so it may be resent below.
    let (first, _) = t
        .insert_invitation(&o.id, &o.admin, "first@example.com", Role::Viewer, 2)
        .await;
    admin
        .post(
            &invitations,
            json!({ "email": "x@example.com", "role": "viewer" }),
        )
        .await
        .assert_problem(402, Code::SeatLimitReached);
    // Its seats are counted by the day it expires, not by its item: TTL may remove the item
    // only 30 days after it expired, long after the seats stopped counting.
    let ttl = |item: &service::invitations::item::InvitationItem| {
        let stored = service::store::to_item(item).unwrap();
        let ttl = stored["ttl"].as_n().unwrap().parse::<i64>().unwrap();
        ttl - item.expires_at.epoch_seconds()
    };
    assert_eq!(
        ttl(&t.invitation_item(&o.id, &first).await),
        30 * 24 * 3600,
        "removed by TTL 30 days after it expired"
    );

    t.expire_invitation(&o.id, &first).await;
    // No cleanup: the next invitation fits, reclaiming the expired hold in its own transaction.
    let (second, ops) = t
        .call_counted(
            "POST",
            &invitations,
            &o.admin,
            Some(json!({ "email": "second@example.com", "role": "viewer", "maxUses": 2 })),
        )
        .await;
    second.assert_status(201);
    assert_eq!(
        ops,
        vec!["BatchGetItem", "TransactWriteItems", "TransactWriteItems"],
        "no extra request"
    );
    let seats = t.seat_state(&o.id).await;
    assert_eq!(
        (seats.seats_used, seats.pending_seats),
        (5, 2),
        "the expired hold is gone"
    );
    assert_eq!(
        ttl(&t.invitation_item(&o.id, &first).await),
        30 * 24 * 3600,
        "the expired invitation's own expiry moved its TTL with it"
    );
    assert_seats_consistent(&t, &o).await;
    // Resending it asks for its seats again, within the plan.
    t.as_user(&o.admin)
        .post_empty(&format!("{invitations}/{first}/resend"))
        .await
        .assert_problem(402, Code::SeatLimitReached);
}

/// An organization written before seats were kept by day holds one hold per invitation
/// (`seatHolds`, the shape those versions stored): its holds still count, its invitations are
/// used, revoked and cleaned up as before, and the next reservation moves what is still pending
/// to its day and takes back what expired.
#[tokio::test]
async fn holds_written_before_days_still_count_and_move_to_their_day() {
    use service::domain::Timestamp;
    use service::orgs::item::SeatHold;
    let t = TestApp::new().await;
    let o = org(&t, "pro").await; // 3 members
    let invitations = format!("/orgs/{}/invitations", o.id);
    let admin = t.as_user(&o.admin);
    let mut ids = Vec::new();
    for (email, uses) in [
        ("a@example.com", 2),
        ("b@example.com", 1),
        ("c@example.com", 1),
    ] {
        let a = admin
            .post(
                &invitations,
                json!({ "email": email, "role": "viewer", "maxUses": uses }),
            )
            .await;
        ids.push(a.assert_status(201)["id"].as_str().unwrap().to_string());
    }
    t.expire_invitation(&o.id, &ids[2]).await;
    // The organization as an older version stored it: a hold per invitation, no days, no
    // `SEATS` item.
    let mut item = t.org_before_seats_item(&o.id).await;
    let mut holds = std::collections::BTreeMap::new();
    for id in &ids {
        let inv = t.invitation_item(&o.id, id).await;
        let hold = SeatHold {
            n: inv.remaining_uses(),
            exp: inv.expires_at,
            role: None,
        };
        holds.insert(id.clone(), hold);
    }
    assert_eq!(item.pending_seats, Some(4));
    item.seat_days = None;
    item.seat_holds = Some(holds);
    let tx = t.store_org_as_before(&item);
    t.app.store.commit(tx).await.unwrap();
    let seats = |body: &Value| body["seats"].clone();
    let sub = admin.get(&format!("/orgs/{}/subscription", o.id)).await;
    assert_eq!(
        seats(sub.assert_status(200)),
        json!({ "used": 6, "limit": null, "members": 3, "pendingInvitations": 3 }),
        "the expired hold no longer counts"
    );
    // One use of the two-use invitation: the hold's rest moves to its day.
    let joiner = t.user("joiner");
    let code = crate::invitations::code_of(&t, &o, &ids[0]).await;
    t.as_user(&joiner)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    let item = t.seat_state(&o.id).await;
    assert!(!item.seat_holds.as_ref().unwrap().contains_key(&ids[0]));
    assert_eq!(item.seat_days.as_ref().unwrap().values().sum::<u32>(), 1);
    // Revoking releases its own hold.
    admin
        .delete(&format!("{invitations}/{}", ids[1]))
        .await
        .assert_status(204);
    // The next invitation takes the expired hold back.
    admin
        .post(
            &invitations,
            json!({ "email": "d@example.com", "role": "viewer" }),
        )
        .await
        .assert_status(201);
    let item = t.seat_state(&o.id).await;
    assert_eq!(item.seat_holds.iter().flatten().count(), 0, "{item:?}");
    assert_eq!(
        (
            t.org_item(&o.id).await.member_count,
            item.pending_seats,
            item.seats_used
        ),
        (4, 2, 6)
    );
    let expired = t.invitation_item(&o.id, &ids[2]).await;
    assert!(expired.expires_at <= Timestamp::now());
    assert_seats_consistent(&t, &o).await;
}

/// A reservation takes back a past day as it read it: when that day changed meanwhile (an
/// expired invitation on it revoked), the reservation fails as a concurrent change (409), not as
/// the seat limit its other condition guards, and changes nothing.
#[tokio::test]
async fn a_day_changed_meanwhile_fails_a_reservation_as_concurrent_not_as_the_seat_limit() {
    use service::domain::Timestamp;
    use service::invitations::item::{InvitationItem, InvitationTerms};
    let t = TestApp::new().await;
    let o = org(&t, "starter").await; // 5 seats, 3 used by members
    let (expired, _) = t
        .insert_invitation(&o.id, &o.admin, "late@example.com", Role::Viewer, 1)
        .await;
    t.expire_invitation(&o.id, &expired).await;
    let stale = t.org_item(&o.id).await;
    let stale_seats = t.seats_item(&o.id).await;
    let stale_seats = stale.seats(stale_seats).unwrap();
    assert_eq!(
        stale_seats.state.pending_seats, 1,
        "today's day still holds the expired one"
    );
    t.as_user(&o.admin)
        .delete(&format!("/orgs/{}/invitations/{expired}", o.id))
        .await
        .assert_status(204);
    // An invitation decided on the item as read before the revocation.
    let now = Timestamp::now();
    let inv = InvitationItem::new(
        &stale.org_id,
        InvitationTerms {
            email: service::domain::Email::parse("email", "next@example.com").unwrap(),
            role: Role::Viewer.into(),
            expires_in_days: 7,
            max_uses: 1,
            message: None,
            project_ids: Vec::new(),
        },
        &service::domain::UserId::parse("userId", &o.admin.id).unwrap(),
        (o.admin.id.clone(), None),
        "nonce".into(),
        now,
    );
    let tx = inv.create(t.app.store.tx()).unwrap();
    let (tx, _) = stale_seats
        .reserve_seats(
            tx,
            &inv.hold(),
            now,
            service::error::ApiError::new(Code::SeatLimitReached, "no seat"),
        )
        .unwrap();
    let err = t.app.store.commit(tx).await.unwrap_err();
    assert_eq!(err.code, Code::ConcurrentUpdate, "{err:?}");
    let seats = t.seat_state(&o.id).await;
    assert_eq!(
        (seats.pending_seats, seats.seats_used),
        (0, 3),
        "nothing changed"
    );
    assert_seats_consistent(&t, &o).await;
}

/// An organization written before `SEATS` keeps its seat state on its own item (the shape those
/// versions stored): it counts as before, a removal takes its seat there, and its first seat write
/// moves the state to `SEATS` whole, in the same transaction, leaving nothing on the organization.
#[tokio::test]
async fn seats_kept_on_the_organization_move_to_their_own_item_with_the_first_seat_write() {
    let t = TestApp::new().await;
    let o = org(&t, "starter").await; // 5 seats, 3 members
    let invitations = format!("/orgs/{}/invitations", o.id);
    let admin = t.as_user(&o.admin);
    admin
        .post(
            &invitations,
            json!({ "email": "a@example.com", "role": "viewer" }),
        )
        .await
        .assert_status(201);
    let before = t.org_before_seats_item(&o.id).await;
    t.app
        .store
        .commit(t.store_org_as_before(&before))
        .await
        .unwrap();
    assert!(t.seats_item(&o.id).await.is_none());
    assert_eq!(t.org_item(&o.id).await.seats_used, Some(4));
    let seats = |body: &Value| body["seats"].clone();
    let sub = admin.get(&format!("/orgs/{}/subscription", o.id)).await;
    assert_eq!(
        seats(sub.assert_status(200)),
        json!({ "used": 4, "limit": 5, "members": 3, "pendingInvitations": 1 })
    );
    // A removal takes its seat where the seats are, without moving them.
    t.as_user(&o.owner)
        .delete(&format!("/orgs/{}/members/{}", o.id, o.developer.id))
        .await
        .assert_status(204);
    assert!(t.seats_item(&o.id).await.is_none());
    assert_eq!(t.org_item(&o.id).await.seats_used, Some(3));
    // The limit is the one read there: 2 free seats, not 3.
    admin
        .post(
            &invitations,
            json!({ "email": "big@example.com", "role": "viewer", "maxUses": 3 }),
        )
        .await
        .assert_problem(402, Code::SeatLimitReached);
    assert!(
        t.seats_item(&o.id).await.is_none(),
        "a refusal moves nothing"
    );
    admin
        .post(
            &invitations,
            json!({ "email": "b@example.com", "role": "viewer", "maxUses": 2 }),
        )
        .await
        .assert_status(201);
    let org_item = t.org_item(&o.id).await;
    assert_eq!(
        (
            org_item.seats_used,
            org_item.pending_seats,
            org_item.seat_days.is_some(),
            org_item.seat_holds.is_some()
        ),
        (None, None, false, false),
        "nothing left on the organization"
    );
    let moved = t.seats_item(&o.id).await.expect("moved to SEATS");
    assert_eq!((moved.seats_used, moved.pending_seats), (5, 3));
    assert_eq!(moved.seat_days.values().sum::<u32>(), 3, "{moved:?}");
    assert_seats_consistent(&t, &o).await;
    // From then on the limit holds on SEATS.
    admin
        .post(
            &invitations,
            json!({ "email": "c@example.com", "role": "viewer" }),
        )
        .await
        .assert_problem(402, Code::SeatLimitReached);
}

/// Parallel seat writes on an organization that still keeps its seats: each either moves them,
/// follows on `SEATS` or answers 409 `concurrent_update` (never a lost count), and a removal racing
/// the move lands on one side or is refused the same way.
#[tokio::test]
async fn parallel_writes_on_seats_being_moved_lose_no_count() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let before = t.org_before_seats_item(&o.id).await;
    t.app
        .store
        .commit(t.store_org_as_before(&before))
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (t, o) = (t.clone(), o.admin.clone());
        let url = format!("/orgs/{}/invitations", before.org_id);
        tasks.spawn(async move {
            t.as_user(&o)
                .post(
                    &url,
                    json!({ "email": format!("p{i}@example.com"), "role": "viewer" }),
                )
                .await
        });
    }
    {
        let (t, owner) = (t.clone(), o.owner.clone());
        let url = format!("/orgs/{}/members/{}", o.id, o.developer.id);
        tasks.spawn(async move { t.as_user(&owner).delete(&url).await });
    }
    let answers = tasks.join_all().await;
    for a in &answers {
        assert!(
            [201, 204].contains(&a.status)
                || (a.status == 409 && a.body["code"] == Code::ConcurrentUpdate.as_str()),
            "{} {}",
            a.status,
            a.body
        );
    }
    let mut created = answers.iter().filter(|a| a.status == 201).count() as u32;
    // Progress is not promised under this contention: every write may meet another's transaction
    // and answer 409 (to retry). What is promised: a 201 moved the seats or found them moved.
    assert_eq!(t.seats_item(&o.id).await.is_some(), created > 0);
    assert_seats_consistent(&t, &o).await;
    if created == 0 {
        t.as_user(&o.admin)
            .post(
                &format!("/orgs/{}/invitations", o.id),
                json!({ "email": "retry@example.com", "role": "viewer" }),
            )
            .await
            .assert_status(201);
        created = 1;
    }
    assert!(t.seats_item(&o.id).await.is_some());
    assert_eq!(t.org_item(&o.id).await.seats_used, None);
    assert_eq!(t.seat_state(&o.id).await.pending_seats, created);
    assert_seats_consistent(&t, &o).await;
}
