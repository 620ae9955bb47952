//! Invitations, SES emails, seats and accepting, against DynamoDB Local and the SES emulator.

use crate::authorization::Fixture;
use integration_tests::{emails_to, token_for, TestApp, User, JWT_SECRET};
use serde_json::{json, Value};
use service::error::Code;
use service::invitations::item::InvitationItem;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "create-invitation" => (
            Some(json!({ "email": "invitee@example.com", "role": "guest" })),
            201,
        ),
        "list-invitations" | "get-invitation-code" | "list-my-invitations" => (None, 200),
        "resend-invitation" => (None, 200),
        "revoke-invitation" => (None, 204),
        "cleanup-invitations" => (None, 200),
        "preview-invitation" => (None, 200),
        "accept-invitation" => (None, 201),
        _ => return None,
    })
}

pub(crate) struct Org {
    pub(crate) id: String,
    pub(crate) owner: User,
    pub(crate) admin: User,
    pub(crate) developer: User,
}

pub(crate) async fn org(t: &TestApp, plan: &str) -> Org {
    let f = t
        .org_fixture("Invite Co", plan, &[Role::Admin, Role::Developer])
        .await;
    Org {
        admin: f.member(Role::Admin).clone(),
        developer: f.member(Role::Developer).clone(),
        id: f.id,
        owner: f.owner,
    }
}

pub(crate) fn invitee(t: &TestApp, name: &str) -> User {
    t.user(name)
}

pub(crate) async fn invite(
    t: &TestApp,
    o: &Org,
    by: &User,
    body: Value,
) -> integration_tests::Answer {
    t.as_user(by)
        .post(&format!("/orgs/{}/invitations", o.id), body)
        .await
}

pub(crate) async fn code_of(t: &TestApp, o: &Org, invitation: &str) -> String {
    let a = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations/{invitation}/code", o.id))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["code"].as_str().unwrap().to_string()
}

/// Seats used equals members plus the remaining uses of invitations neither revoked nor expired
/// (expired ones hold nothing, reclaimed or not), and every counter matches the items it counts.
pub(crate) async fn assert_seats_consistent(t: &TestApp, o: &Org) {
    let sub = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/subscription", o.id))
        .await;
    let seats = &sub.body["seats"];
    let members = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/members?limit=100", o.id))
        .await;
    let invitations = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/invitations?limit=100", o.id))
        .await;
    let member_count = members.body["items"].as_array().unwrap().len() as i64;
    let pending: i64 = invitations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] != "revoked" && i["status"] != "expired")
        .map(|i| i["maxUses"].as_i64().unwrap() - i["uses"].as_i64().unwrap())
        .sum();
    assert_eq!(
        seats["members"].as_i64(),
        Some(member_count),
        "{}",
        sub.body
    );
    assert_eq!(
        seats["pendingInvitations"].as_i64(),
        Some(pending),
        "{}",
        sub.body
    );
    assert_eq!(
        seats["used"].as_i64(),
        Some(member_count + pending),
        "{}",
        sub.body
    );
    assert!(seats["used"].as_i64().unwrap() >= 0);
    // The stored counters agree with each other: `seatsUsed` = members + pending seats.
    let stored = t.seat_state(&o.id).await;
    let org = t.org_item(&o.id).await;
    assert_eq!(
        stored.seats_used,
        org.member_count + stored.pending_seats,
        "{stored:?}"
    );
}

#[tokio::test]
async fn invitation_email_names_everything_and_the_link_joins() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let guest = invitee(&t, "newcomer");
    let (a, ops) = t
        .call_counted(
            "POST",
            &format!("/orgs/{}/invitations", o.id),
            &o.admin,
            Some(json!({ "email": guest.email, "role": "developer", "expiresInDays": 3, "message": "Welcome <b>aboard</b> & enjoy" })),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        ops,
        vec!["BatchGetItem", "TransactWriteItems", "TransactWriteItems"],
        "read, create, record the email outcome"
    );
    assert_eq!(
        (a.body["status"].as_str(), a.body["emailStatus"].as_str()),
        (Some("pending"), Some("sent"))
    );
    assert!(
        a.body.get("code").is_none(),
        "the listing never carries the code"
    );

    let mail = emails_to(&guest.email);
    assert_eq!(mail.len(), 1);
    let text = mail[0]["body"]["text"].as_str().unwrap();
    let html = mail[0]["body"]["html"].as_str().unwrap();
    let subject = mail[0]["subject"].as_str().unwrap();
    println!("captured invitation email\nSubject: {subject}\n\n{text}");
    assert!(subject.contains("Invite Co") && subject.contains(&o.admin.email));
    for needle in [
        "Invite Co",
        "developer",
        "Welcome <b>aboard</b> & enjoy",
        "http://localhost:3000/invitations/",
        "expires on",
    ] {
        assert!(text.contains(needle), "text part lacks {needle}: {text}");
    }
    assert!(
        html.contains("Welcome &lt;b&gt;aboard&lt;/b&gt; &amp; enjoy"),
        "html escapes: {html}"
    );
    let link = text
        .lines()
        .find(|l| l.starts_with("http://localhost:3000/invitations/"))
        .unwrap();
    let code = link.rsplit('/').next().unwrap();
    assert_eq!(
        code,
        code_of(&t, &o, a.body["id"].as_str().unwrap()).await,
        "copy-code gives the emailed code"
    );

    let (p, ops) = t
        .call_counted("GET", &format!("/invitations/{code}"), &guest, None)
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(ops, vec!["BatchGetItem"]);
    assert_eq!(
        (
            p.body["orgName"].as_str(),
            p.body["role"].as_str(),
            p.body["emailBound"].as_bool()
        ),
        (Some("Invite Co"), Some("developer"), Some(true))
    );

    let (j, ops) = t
        .call_counted("POST", &format!("/invitations/{code}/accept"), &guest, None)
        .await;
    assert_eq!(j.status, 201, "{}", j.body);
    assert_eq!(
        ops,
        vec!["BatchGetItem", "TransactWriteItems"],
        "accept is one read and one transaction"
    );
    assert_eq!(j.body["role"], "developer");
    let me = t.as_user(&guest).get(&format!("/orgs/{}/me", o.id)).await;
    assert_eq!(me.body["role"], "developer");
    // Accepting again: already a member, nothing used.
    let again = t
        .as_user(&guest)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    // Its own user is told they are a member (issue 8); anyone else gets the one refusal.
    again.assert_problem(409, Code::AlreadyMember);
    let joined = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/audit-log?action=member.joined", o.id))
        .await;
    assert_eq!(joined.body["items"][0]["actorId"], guest.id.as_str());
    assert_seats_consistent(&t, &o).await;
}

#[tokio::test]
async fn invitation_input_is_validated_with_clear_errors() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let cases = [
        (json!({ "email": "nope", "role": "viewer" }), "email"),
        (json!({ "email": "a@b.co", "role": "owner" }), "role"),
        (json!({ "email": "a@b.co", "role": "boss" }), "role"),
        (
            json!({ "email": "a@b.co", "role": "viewer", "expiresInDays": 0 }),
            "expiresInDays",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "expiresInDays": 31 }),
            "expiresInDays",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "maxUses": 0 }),
            "maxUses",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "message": "x".repeat(1001) }),
            "message",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "message": "bell\u{7}" }),
            "message",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "message": "Click \u{202E}gpj.exe" }),
            "message",
        ),
        (
            json!({ "email": "a@b.co", "role": "viewer", "projectIds": ["ok", "not ok"] }),
            "projectIds",
        ),
    ];
    for (body, field) in cases {
        let a = invite(&t, &o, &o.admin, body.clone()).await;
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (400, Some(field)),
            "{body}: {}",
            a.body
        );
    }
    let a = invite(&t, &o, &o.admin, json!({ "email": "a@b.co" })).await;
    a.assert_problem(400, Code::InvalidBody);
    // An email that belongs to a member.
    let a = invite(
        &t,
        &o,
        &o.admin,
        json!({ "email": o.developer.email, "role": "viewer" }),
    )
    .await;
    a.assert_problem(409, Code::AlreadyMember);
}

#[tokio::test]
async fn escalation_by_invitation_is_refused() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    // Default policy: developers do not invite.
    let a = invite(
        &t,
        &o,
        &o.developer,
        json!({ "email": "x@example.com", "role": "viewer" }),
    )
    .await;
    a.assert_problem(403, Code::Forbidden);
    // invitePolicy = members: developers invite at or below their own role only.
    let p = t
        .as_user(&o.admin)
        .patch(
            &format!("/orgs/{}", o.id),
            json!({ "settings": { "invitePolicy": "members" } }),
        )
        .await;
    assert_eq!(p.status, 200);
    let a = invite(
        &t,
        &o,
        &o.developer,
        json!({ "email": "x@example.com", "role": "admin" }),
    )
    .await;
    a.assert_problem(403, Code::RoleAboveYours);
    let a = invite(
        &t,
        &o,
        &o.developer,
        json!({ "email": "y@example.com", "role": "developer" }),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // Nobody invites an owner, not even the owner.
    let a = invite(
        &t,
        &o,
        &o.owner,
        json!({ "email": "z@example.com", "role": "owner" }),
    )
    .await;
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("role")));
    // Admins invite admins but not above.
    let a = invite(
        &t,
        &o,
        &o.admin,
        json!({ "email": "w@example.com", "role": "admin" }),
    )
    .await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn every_refusal_of_a_code_looks_the_same() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let user = invitee(&t, "prober");
    // Revoked.
    let (revoked_id, revoked) = t
        .insert_invitation(&o.id, &o.admin, "revoked@example.com", Role::Viewer, 3)
        .await;
    assert_eq!(
        t.as_user(&o.admin)
            .delete(&format!("/orgs/{}/invitations/{revoked_id}", o.id))
            .await
            .status,
        204
    );
    // Used up: a single-use invitation accepted by its addressee.
    let (_, used) = t
        .insert_invitation(&o.id, &o.admin, "used@example.com", Role::Viewer, 1)
        .await;
    let holder = token_for(JWT_SECRET, "holder", Some("used@example.com"), true);
    assert_eq!(
        t.call(
            "POST",
            &format!("/invitations/{used}/accept"),
            Some(&holder),
            None
        )
        .await
        .status,
        201
    );
    // Expired.
    let (expired_id, expired) = t
        .insert_invitation(&o.id, &o.admin, "expired@example.com", Role::Viewer, 2)
        .await;
    t.expire_invitation(&o.id, &expired_id).await;
    // Garbled (one character of the MAC changed) and unknown.
    let (_, valid) = t
        .insert_invitation(&o.id, &o.admin, "valid@example.com", Role::Viewer, 2)
        .await;
    let mut garbled = valid.clone();
    garbled.replace_range(60..61, if &garbled[60..61] == "A" { "B" } else { "A" });
    let unknown = "A".repeat(64);

    let mut answers = Vec::new();
    for code in [
        revoked.as_str(),
        used.as_str(),
        expired.as_str(),
        garbled.as_str(),
        unknown.as_str(),
        "short",
    ] {
        for (method, path) in [
            ("GET", format!("/invitations/{code}")),
            ("POST", format!("/invitations/{code}/accept")),
        ] {
            let mut a = t.call(method, &path, Some(&user.token), None).await;
            // Each answer names its own request; everything else must be the same.
            a.body.as_object_mut().unwrap().remove("requestId");
            answers.push((code.to_string(), method, a.status, a.body));
        }
    }
    let reference = (answers[0].2, answers[0].3.clone());
    assert_eq!(reference.0, 404);
    assert_eq!(reference.1["code"], Code::InvitationInvalid.as_str());
    for (code, method, status, body) in &answers {
        assert_eq!(
            (*status, body),
            (reference.0, &reference.1),
            "{method} {code}: every refusal is identical"
        );
    }
    // The valid one still works.
    assert_eq!(
        t.as_user(&user)
            .get(&format!("/invitations/{valid}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_copy_of_the_table_is_not_enough_to_accept() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let (id, code) = t
        .insert_invitation(&o.id, &o.admin, "copy@example.com", Role::Viewer, 5)
        .await;
    // Everything the table holds about the invitation.
    let org_id = service::domain::OrgId::parse(&o.id).unwrap();
    let inv_id = service::domain::InvitationId::parse(&id).unwrap();
    let item = t
        .app
        .store
        .batch_get(vec![InvitationItem::key_of(&org_id, &inv_id)])
        .await
        .unwrap()
        .pop()
        .unwrap();
    let dump = format!("{item:?}");
    assert!(!dump.contains(&code), "the code is not stored");
    // An attacker with the table but another key derives a different code: refused.
    let attacker =
        TestApp::with_config(|c| c.invitation_code_key = b"attacker-guess-of-the-key".to_vec())
            .await;
    let inv: InvitationItem = service::store::from_item(item).unwrap();
    let forged = service::invitations::code::code_of(&attacker.app, &inv).unwrap();
    assert_ne!(forged, code);
    let user = t.user("attacker");
    let a = t
        .as_user(&user)
        .post_empty(&format!("/invitations/{forged}/accept"))
        .await;
    a.assert_problem(404, Code::InvitationInvalid);
    let a = t
        .as_user(&user)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(a.status, 201, "the real code works: {}", a.body);
}

#[tokio::test]
async fn single_use_invitations_are_bound_to_the_verified_email() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let (_, code) = t
        .insert_invitation(&o.id, &o.admin, "bound@example.com", Role::Viewer, 1)
        .await;
    let other = t.user("other");
    let a = t
        .as_user(&other)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    a.assert_problem(403, Code::InvitationEmailMismatch);
    let unverified = token_for(JWT_SECRET, "unverified", Some("bound@example.com"), false);
    let a = t
        .call(
            "POST",
            &format!("/invitations/{code}/accept"),
            Some(&unverified),
            None,
        )
        .await;
    a.assert_problem(403, Code::InvitationEmailMismatch);
    // A member is told so and uses nothing.
    let member = token_for(JWT_SECRET, &o.developer.id, Some("bound@example.com"), true);
    let a = t
        .call(
            "POST",
            &format!("/invitations/{code}/accept"),
            Some(&member),
            None,
        )
        .await;
    a.assert_problem(409, Code::AlreadyMember);
    let right = token_for(JWT_SECRET, "rightful", Some("Bound@Example.com"), true);
    let a = t
        .call(
            "POST",
            &format!("/invitations/{code}/accept"),
            Some(&right),
            None,
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_seats_consistent(&t, &o).await;
}

#[tokio::test]
async fn ses_failure_keeps_the_invitation_and_resend_recovers() {
    // This test's own SES emulator, started, then stopped before the invitation is sent.
    let mut ses = integration_tests::OwnSesEmulator::start();
    let mut t = TestApp::new().await;
    t.app.ses = Some(integration_tests::ses_client(&ses.endpoint()).await);
    let o = org(&t, "pro").await;
    ses.stop();
    let guest = invitee(&t, "unlucky");
    let a = t
        .as_user(&o.admin)
        .post(
            &format!("/orgs/{}/invitations", o.id),
            json!({ "email": guest.email, "role": "viewer" }),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["emailStatus"], "failed");
    let id = a.body["id"].as_str().unwrap().to_string();
    let listed = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations", o.id))
        .await;
    assert_eq!(
        listed.body["items"][0]["emailStatus"], "failed",
        "the failure is recorded"
    );

    // The emulator is back on the same port.
    let ses = integration_tests::OwnSesEmulator::start_on(ses.port);
    assert!(integration_tests::emails_at(&ses.endpoint(), &guest.email).is_empty());
    // SES is back: resend right away (a failed send is not rate-limited).
    let r = t
        .as_user(&o.admin)
        .post_empty(&format!("/orgs/{}/invitations/{id}/resend", o.id))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["emailStatus"].as_str(), r.body["sendCount"].as_i64()),
        (Some("sent"), Some(2))
    );
    assert_eq!(
        integration_tests::emails_at(&ses.endpoint(), &guest.email).len(),
        1
    );
    // A second resend within the minute is rate-limited.
    let r = t
        .as_user(&o.admin)
        .post_empty(&format!("/orgs/{}/invitations/{id}/resend", o.id))
        .await;
    r.assert_problem(429, Code::ResendTooSoon);
    assert!(r
        .headers
        .get("retry-after")
        .is_some_and(|s| s.parse::<u64>().unwrap() <= 60));
    // Nothing duplicated.
    let list = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations", o.id))
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_seats_consistent(&t, &o).await;
}

#[tokio::test]
async fn revoke_cleanup_and_statuses() {
    let t = TestApp::new().await;
    let o = org(&t, "starter").await; // 5 seats, 3 used by members
    let (a_id, _) = t
        .insert_invitation(&o.id, &o.admin, "a@example.com", Role::Viewer, 1)
        .await;
    let (b_id, _) = t
        .insert_invitation(&o.id, &o.admin, "b@example.com", Role::Viewer, 1)
        .await;
    // Full: a third invitation does not fit.
    let full = invite(
        &t,
        &o,
        &o.admin,
        json!({ "email": "c@example.com", "role": "viewer" }),
    )
    .await;
    full.assert_problem(402, Code::SeatLimitReached);
    assert_eq!(
        (
            full.body["plan"].as_str(),
            full.body["seatLimit"].as_i64(),
            full.body["seatsUsed"].as_i64()
        ),
        (Some("starter"), Some(5), Some(5))
    );

    // Revoking releases the seat.
    let (r, ops) = t
        .call_counted(
            "DELETE",
            &format!("/orgs/{}/invitations/{a_id}", o.id),
            &o.admin,
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(ops, vec!["BatchGetItem", "TransactWriteItems"]);
    let again = t
        .as_user(&o.admin)
        .delete(&format!("/orgs/{}/invitations/{a_id}", o.id))
        .await;
    again.assert_problem(409, Code::InvitationNotPending);
    let c = invite(
        &t,
        &o,
        &o.admin,
        json!({ "email": "c@example.com", "role": "viewer" }),
    )
    .await;
    assert_eq!(c.status, 201, "{}", c.body);

    // An expired invitation still holds its seat until the cleanup.
    t.expire_invitation(&o.id, &b_id).await;
    let list = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations?status=expired", o.id))
        .await;
    assert_eq!(list.body["items"][0]["id"], b_id.as_str());
    let code = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations/{b_id}/code", o.id))
        .await;
    assert_eq!(code.status, 409, "no code for an expired invitation");
    assert_seats_consistent(&t, &o).await;
    let clean = t
        .as_user(&o.admin)
        .post_empty(&format!("/orgs/{}/invitations/cleanup", o.id))
        .await;
    assert_eq!(clean.status, 200, "{}", clean.body);
    assert_eq!(
        (
            clean.body["removed"].as_i64(),
            clean.body["releasedSeats"].as_i64()
        ),
        (Some(2), Some(1)),
        "revoked a, expired b"
    );
    let remaining = t
        .as_user(&o.admin)
        .get(&format!("/orgs/{}/invitations", o.id))
        .await;
    let statuses: Vec<&str> = remaining.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["pending"]);
    let clean = t
        .as_user(&o.admin)
        .post_empty(&format!("/orgs/{}/invitations/cleanup", o.id))
        .await;
    assert_eq!(
        clean.body["removed"], 0,
        "nothing left to remove, nothing written"
    );
    let audit = t
        .as_user(&o.owner)
        .get(&format!(
            "/orgs/{}/audit-log?action=invitations.cleaned_up",
            o.id
        ))
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
    assert_seats_consistent(&t, &o).await;
}

/// The defect of the hand-formatted condition: an invitation created through the API that expires
/// with time (its stored expiry in the production format) could never be cleaned up (409 forever,
/// seats held for good).
#[tokio::test]
async fn an_invitation_that_expired_with_time_is_cleaned_up_and_frees_its_seats() {
    let t = TestApp::new().await;
    let o = org(&t, "starter").await; // 5 seats, 3 used by members
    let admin = t.as_user(&o.admin);
    let invitations = format!("/orgs/{}/invitations", o.id);
    let created = admin
        .post(
            &invitations,
            json!({ "email": "late@example.com", "role": "viewer", "maxUses": 2 }),
        )
        .await;
    let id = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.expire_invitation(&o.id, &id).await;
    let stored = t
        .app
        .store
        .batch_get(vec![InvitationItem::key_of(
            &service::domain::OrgId::parse(&o.id).unwrap(),
            &service::domain::InvitationId::parse(&id).unwrap(),
        )])
        .await
        .unwrap()
        .pop()
        .unwrap();
    let expiry = stored["expiresAt"].as_s().unwrap();
    assert!(
        expiry.ends_with('Z') && expiry.len() == "2026-01-01T00:00:00.000000Z".len(),
        "stored as production stores it: {expiry}"
    );
    // Expired, it holds no seat any more (issue 8), though its hold is still on the counters.
    let sub = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/subscription", o.id))
        .await;
    assert_eq!(sub.assert_status(200)["seats"]["used"], 3);
    assert_seats_consistent(&t, &o).await;

    let clean = admin
        .post_empty(&format!("{invitations}/cleanup"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(
        (clean["removed"].as_i64(), clean["releasedSeats"].as_i64()),
        (Some(1), Some(2)),
        "removed, its hold released from the counters"
    );
    assert_eq!(t.seat_state(&o.id).await.seats_used, 3);
    admin
        .post(
            &invitations,
            json!({ "email": "x@example.com", "role": "viewer", "maxUses": 2 }),
        )
        .await
        .assert_status(201);
    assert_seats_consistent(&t, &o).await;
}

#[tokio::test]
async fn my_invitations_and_project_limited_invitations() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let guest = invitee(&t, "guest");
    let (web, api) = (
        t.create_project(&o.id, &o.admin, "Web").await,
        t.create_project(&o.id, &o.admin, "Api").await,
    );
    let other = t.create_project(&o.id, &o.admin, "Other").await;
    let a = invite(
        &t,
        &o,
        &o.admin,
        json!({ "email": guest.email, "role": "developer", "projectIds": [web, api] }),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let mine = t.as_user(&guest).get("/me/invitations").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["orgName"].as_str(), items[0]["role"].as_str()),
        (Some("Invite Co"), Some("guest"))
    );
    let code = items[0]["code"].as_str().unwrap();
    let j = t
        .as_user(&guest)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(j.status, 201, "{}", j.body);
    assert_eq!(j.body["role"], "guest");
    assert_eq!(j.body["projectGrants"].as_array().unwrap().len(), 2);
    let mine = t.as_user(&guest).get("/me/invitations").await;
    assert!(
        mine.body["items"].as_array().unwrap().is_empty(),
        "used invitations leave the list"
    );
    // The grants show in /me and count in /authorize for their project only.
    let me = t.as_user(&guest).get(&format!("/orgs/{}/me", o.id)).await;
    let mut granted = vec![web.clone(), api.clone()];
    granted.sort();
    assert_eq!(me.body["grantedProjectIds"], json!(granted));
    let check = |project: String| {
        let (t, o, token) = (&t, &o, guest.token.clone());
        async move {
            t.call(
                "POST",
                &format!("/orgs/{}/authorize", o.id),
                Some(&token),
                Some(
                    json!({ "permissions": ["projects.read", "logs.read"], "projectId": project }),
                ),
            )
            .await
        }
    };
    let allowed = check(web.clone()).await;
    assert_eq!(allowed.body["allowed"], true, "{}", allowed.body);
    assert_eq!(allowed.body["projectRole"], "developer");
    // A project the guest was not granted is, to them, no project at all.
    assert_eq!(
        check(other).await.body["code"],
        Code::ProjectNotFound.as_str()
    );
    let unverified = token_for(JWT_SECRET, "someone", Some(&guest.email), false);
    let a = t
        .call("GET", "/me/invitations", Some(&unverified), None)
        .await;
    a.assert_problem(403, Code::EmailNotVerified);

    // Removing the guest removes the grants their invitation brought.
    let r = t
        .as_user(&o.admin)
        .delete(&format!("/orgs/{}/members/{}", o.id, guest.id))
        .await;
    assert_eq!(r.status, 204);
    let removed = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/audit-log?action=member.removed", o.id))
        .await;
    assert_eq!(
        removed.body["items"][0]["details"]["projectIds"],
        json!(granted)
    );
}

#[tokio::test]
async fn fifty_parallel_accepts_of_five_uses_make_five_members() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let (_, code) = t
        .insert_invitation(&o.id, &o.admin, "team@example.com", Role::Viewer, 5)
        .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let t = t.clone();
        let (code, user) = (code.clone(), t.user(&format!("racer{i}")));
        tasks.spawn(async move {
            t.as_user(&user)
                .post_empty(&format!("/invitations/{code}/accept"))
                .await
        });
    }
    let answers = tasks.join_all().await;
    let joined = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        joined,
        5,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 201) {
        assert!(
            a.status == 404
                || (a.status == 409 && a.body["code"] == Code::ConcurrentUpdate.as_str()),
            "{}",
            a.body
        );
    }
    let members = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/members?role=viewer&limit=100", o.id))
        .await;
    assert_eq!(members.body["items"].as_array().unwrap().len(), 5);
    assert_seats_consistent(&t, &o).await;
}

/// Creates an invitation through the API as `by` and returns its id and code.
async fn invitation_with_code(t: &TestApp, o: &Org, by: &User, body: Value) -> (String, String) {
    let a = invite(t, o, by, body).await;
    let id = a.assert_status(201)["id"].as_str().unwrap().to_string();
    let code = t
        .as_user(&o.owner)
        .get(&format!("/orgs/{}/invitations/{id}/code", o.id))
        .await
        .assert_status(200)["code"]
        .as_str()
        .unwrap()
        .to_string();
    (id, code)
}

#[tokio::test]
async fn a_member_who_opens_a_link_they_used_is_told_they_are_a_member() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let joiner = invitee(&t, "joiner");
    let (_, code) = invitation_with_code(
        &t,
        &o,
        &o.admin,
        json!({ "email": joiner.email, "role": "viewer" }),
    )
    .await;
    let me = t.as_user(&joiner);
    me.post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    // The invitation is used up now; its user is a member.
    me.get(&format!("/invitations/{code}"))
        .await
        .assert_problem(409, Code::AlreadyMember);
    me.post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(409, Code::AlreadyMember);
    // Anyone else still gets the one refusal.
    t.as_user(&invitee(&t, "stranger"))
        .get(&format!("/invitations/{code}"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
}

#[tokio::test]
async fn an_invitation_does_not_outlive_its_inviters_right_to_grant() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let members = format!("/orgs/{}/members", o.id);
    let count = |a: &integration_tests::Answer| a.body["items"].as_array().unwrap().len();
    let (_, code) = invitation_with_code(
        &t,
        &o,
        &o.admin,
        json!({ "email": "team@example.com", "role": "admin", "maxUses": 10 }),
    )
    .await;
    let first = invitee(&t, "first");
    t.as_user(&first)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    // The inviter is demoted: their admin invitation makes no more admins.
    t.as_user(&o.owner)
        .patch(
            &format!("{members}/{}", o.admin.id),
            json!({ "role": "viewer" }),
        )
        .await
        .assert_status(200);
    let before = count(
        &t.as_user(&o.owner)
            .get(&format!("{members}?limit=100"))
            .await,
    );
    let second = invitee(&t, "second");
    t.as_user(&second)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // Promoted back, the invitation works again; removed, it does not.
    t.as_user(&o.owner)
        .patch(
            &format!("{members}/{}", o.admin.id),
            json!({ "role": "admin" }),
        )
        .await
        .assert_status(200);
    t.as_user(&second)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    t.as_user(&o.owner)
        .delete(&format!("{members}/{}", o.admin.id))
        .await
        .assert_status(204);
    t.as_user(&invitee(&t, "third"))
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    let after = count(
        &t.as_user(&o.owner)
            .get(&format!("{members}?limit=100"))
            .await,
    );
    assert_eq!(
        after, before,
        "second joined, the admin left, nobody else came in"
    );
}

#[tokio::test]
async fn invitations_made_under_the_members_policy_end_with_it() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let org_path = format!("/orgs/{}", o.id);
    t.as_user(&o.owner)
        .patch(
            &org_path,
            json!({ "settings": { "invitePolicy": "members" } }),
        )
        .await
        .assert_status(200);
    let (_, code) = invitation_with_code(
        &t,
        &o,
        &o.developer,
        json!({ "email": "dev-friends@example.com", "role": "viewer", "maxUses": 5 }),
    )
    .await;
    t.as_user(&invitee(&t, "friend"))
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    t.as_user(&o.owner)
        .patch(
            &org_path,
            json!({ "settings": { "invitePolicy": "admins" } }),
        )
        .await
        .assert_status(200);
    t.as_user(&invitee(&t, "late-friend"))
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
}

#[tokio::test]
async fn the_preview_of_a_shareable_link_does_not_show_the_inviters_email() {
    let t = TestApp::new().await;
    let o = org(&t, "pro").await;
    let viewer = invitee(&t, "viewer");
    let (_, shared_code) = invitation_with_code(
        &t,
        &o,
        &o.admin,
        json!({ "email": "crowd@example.com", "role": "viewer", "maxUses": 20 }),
    )
    .await;
    let preview = t
        .as_user(&viewer)
        .get(&format!("/invitations/{shared_code}"))
        .await;
    let body = preview.assert_status(200);
    assert_eq!(
        body["inviterName"],
        Value::Null,
        "no display name: nobody is named"
    );
    assert!(
        !body.to_string().contains(&o.admin.email),
        "the inviter's email is not in {body}"
    );
    // A single-use invitation goes to one address, which sees who invited it.
    let (_, own_code) = invitation_with_code(
        &t,
        &o,
        &o.admin,
        json!({ "email": viewer.email, "role": "viewer" }),
    )
    .await;
    let preview = t
        .as_user(&viewer)
        .get(&format!("/invitations/{own_code}"))
        .await;
    assert_eq!(
        preview.assert_status(200)["inviterName"],
        o.admin.email.as_str()
    );
}

/// An invite-then-revoke loop cannot mail an address without end, nor an organization send
/// without end: daily limits, counted atomically in the invitation's own transaction.
#[tokio::test]
async fn invitation_emails_are_limited_per_day_per_organization_and_per_recipient() {
    let t = TestApp::with_config(|c| {
        c.email_limits = service::config::EmailLimits {
            per_org_free: 50,
            per_org_paid: 4,
            per_recipient: 2,
        }
    })
    .await;
    let o = org(&t, "pro").await;
    let admin = t.as_user(&o.admin);
    let invitations = format!("/orgs/{}/invitations", o.id);
    let victim = format!(
        "victim-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let target = json!({ "email": victim, "role": "viewer" });
    for _ in 0..2 {
        let id = admin
            .post(&invitations, target.clone())
            .await
            .assert_status(201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        admin
            .delete(&format!("{invitations}/{id}"))
            .await
            .assert_status(204);
    }
    let refused = admin.post(&invitations, target).await;
    refused.assert_problem(429, Code::RecipientEmailLimit);
    let wait: u64 = refused.headers["retry-after"].parse().unwrap();
    assert!((1..=86_400).contains(&wait), "until midnight UTC: {wait}");
    assert_eq!(emails_to(&victim).len(), 2, "two emails, not three");

    // The organization: 2 sent, 2 more to other addresses, then none.
    for i in 0..2 {
        admin
            .post(
                &invitations,
                json!({ "email": format!("other{i}@example.com"), "role": "viewer" }),
            )
            .await
            .assert_status(201);
    }
    admin
        .post(
            &invitations,
            json!({ "email": "one-more@example.com", "role": "viewer" }),
        )
        .await
        .assert_problem(429, Code::InvitationEmailLimit);
    assert_seats_consistent(&t, &o).await;
}
