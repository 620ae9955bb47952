//! Organization settings: the authentication policy (second factor, allowed email domains),
//! notification preferences and the emails sent from the stream, closure reminders.

use crate::authorization::Fixture;
use integration_tests::{emails_to, ses_client, stream_event_of, TestApp, User};
use serde_json::{json, Value};
use service::closure::purge::purge_due;
use service::error::Code;
use service::permissions::Role;
use std::time::{Duration, Instant};

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "get-cleanup-policy" | "get-authentication-policy" | "get-notification-preferences" => {
            (None, 200)
        }
        "put-cleanup-policy" => (
            Some(json!({
                "stopIdleEnvironments": { "enabled": true, "afterDays": 10 },
                "deleteStoppedPreviews": { "enabled": false, "afterDays": 7 },
                "deleteUnattachedVolumes": { "enabled": false, "afterDays": 30 }
            })),
            200,
        ),
        "put-authentication-policy" => (
            Some(json!({ "requireMfa": false, "allowedEmailDomains": ["example.com"] })),
            200,
        ),
        "put-notification-preferences" => (
            Some(json!({
                "memberJoined": true, "memberLeft": true, "roleChangedToAdmin": true,
                "ownershipTransferred": true, "integrationChanged": false, "organizationClosed": true
            })),
            200,
        ),
        _ => return None,
    })
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

async fn audit_entries(t: &TestApp, owner: &User, org: &str, action: &str) -> Vec<Value> {
    let log = t
        .as_user(owner)
        .get(&format!("/orgs/{org}/audit-log?action={action}"))
        .await;
    log.assert_status(200)["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_authentication_policy_is_validated_audited_and_counts_members_outside() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Policy", "pro", &[Role::Admin, Role::Viewer])
        .await;
    let path = format!("/orgs/{}/settings/authentication", f.id);
    let viewer = t.as_user(f.member(Role::Viewer));
    let current = viewer.get(&path).await;
    assert_eq!(
        current.assert_status(200),
        &json!({ "requireMfa": false, "allowedEmailDomains": [] })
    );
    viewer
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": ["acme.com"] }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    let admin = t.as_user(f.member(Role::Admin));
    // Malformed domains and unknown keys: 400 naming the field.
    for bad in ["acme", "https://acme.com", "@acme.com", "a..com"] {
        let a = admin
            .put(
                &path,
                json!({ "requireMfa": false, "allowedEmailDomains": [bad] }),
            )
            .await;
        a.assert_problem(400, Code::ValidationFailed);
        assert_eq!(a.body["field"], "allowedEmailDomains", "{bad}");
        assert_eq!(a.body["value"], bad);
    }
    let a = admin
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": [], "requireSso": true }),
        )
        .await;
    a.assert_problem(400, Code::InvalidBody);
    assert!(a.body["detail"].as_str().unwrap().contains("requireSso"));
    // Every member's address is at example.com: restricting to acme.com leaves all three outside
    // (they stay members), and the domains come back lowercased.
    let a = admin
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": ["ACME.com", "acme.io"] }),
        )
        .await;
    let body = a.assert_status(200);
    assert_eq!(body["allowedEmailDomains"], json!(["acme.com", "acme.io"]));
    assert_eq!(body["membersOutsideDomains"], 3);
    let both = admin
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": ["example.com", "acme.com"] }),
        )
        .await;
    assert_eq!(both.assert_status(200)["membersOutsideDomains"], 0);
    assert_eq!(
        viewer.get(&path).await.body["allowedEmailDomains"],
        json!(["acme.com", "example.com"])
    );
    // Audited and evented with the section and the changed keys.
    let entries = audit_entries(&t, &f.owner, &f.id, "settings.changed").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["eventType"], "OrganizationSettingsChanged");
    assert_eq!(entries[0]["details"]["section"], "authentication");
    assert_eq!(
        entries[0]["details"]["changedKeys"],
        json!(["allowedEmailDomains"])
    );
    assert_eq!(
        entries[0]["details"]["after"]["allowedEmailDomains"],
        json!(["acme.com", "example.com"])
    );
    // The same policy again changes nothing and records nothing.
    admin
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": ["acme.com", "example.com"] }),
        )
        .await
        .assert_status(200);
    assert_eq!(
        audit_entries(&t, &f.owner, &f.id, "settings.changed")
            .await
            .len(),
        2
    );
    // Closed: refused like every change.
    t.close_through_api(&f.id).await;
    t.as_user(&f.owner)
        .put(
            &path,
            json!({ "requireMfa": false, "allowedEmailDomains": [] }),
        )
        .await
        .assert_problem(409, Code::OrgClosed);
}

#[tokio::test]
async fn a_second_factor_is_required_once_on_and_turning_it_off_needs_one_too() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Strict", "pro", &[Role::Admin]).await;
    let path = format!("/orgs/{}/settings/authentication", f.id);
    let admin_mfa = t.with_mfa(f.member(Role::Admin));
    let on = json!({ "requireMfa": true, "allowedEmailDomains": [] });
    t.as_user(&admin_mfa)
        .put(&path, on)
        .await
        .assert_status(200);
    let me = t
        .as_user(f.member(Role::Admin))
        .get(&format!("/orgs/{}/me", f.id))
        .await;
    me.assert_problem(403, Code::MfaRequired);
    // A token whose amr shows only a password does not count.
    let pwd_only = service::auth::sign_hs256(
        &json!({ "sub": f.owner.id, "email": f.owner.email, "email_verified": true, "amr": ["pwd"],
                 "exp": chrono::Utc::now().timestamp() + 600 }),
        integration_tests::JWT_SECRET.as_bytes(),
    );
    let a = t
        .call("GET", &format!("/orgs/{}", f.id), Some(&pwd_only), None)
        .await;
    a.assert_problem(403, Code::MfaRequired);
    // Turning it off is a change of the organization like any other: it needs the second factor.
    let off = json!({ "requireMfa": false, "allowedEmailDomains": [] });
    t.as_user(&f.owner)
        .put(&path, off.clone())
        .await
        .assert_problem(403, Code::MfaRequired);
    let owner_mfa = t.with_mfa(&f.owner);
    t.as_user(&owner_mfa)
        .put(&path, off)
        .await
        .assert_status(200);
    t.as_user(&f.owner)
        .get(&format!("/orgs/{}", f.id))
        .await
        .assert_status(200);
    let entries = audit_entries(&t, &f.owner, &f.id, "settings.changed").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["details"]["changedKeys"], json!(["requireMfa"]));
}

#[tokio::test]
async fn invitations_and_accepting_keep_to_the_allowed_domains() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Domains", "pro", &[]).await;
    let owner = t.as_user(&f.owner);
    let invitations = format!("/orgs/{}/invitations", f.id);
    // A multi-use link made before the restriction.
    let link = owner
        .post(
            &invitations,
            json!({ "email": "team@acme.com", "role": "viewer", "maxUses": 5 }),
        )
        .await;
    let link_id = link.assert_status(201)["id"].as_str().unwrap().to_string();
    let code = owner
        .get(&format!("{invitations}/{link_id}/code"))
        .await
        .assert_status(200)["code"]
        .as_str()
        .unwrap()
        .to_string();
    owner
        .put(
            &format!("/orgs/{}/settings/authentication", f.id),
            json!({ "requireMfa": false, "allowedEmailDomains": ["acme.com"] }),
        )
        .await
        .assert_status(200);
    // Invitations to other domains are refused, naming the field and the domains.
    let a = owner
        .post(
            &invitations,
            json!({ "email": "someone@other.org", "role": "viewer" }),
        )
        .await;
    a.assert_problem(403, Code::EmailDomainNotAllowed);
    assert_eq!(a.body["field"], "email");
    assert_eq!(a.body["allowedEmailDomains"], json!(["acme.com"]));
    owner
        .post(
            &invitations,
            json!({ "email": "ok@acme.com", "role": "viewer" }),
        )
        .await
        .assert_status(201);
    // Accepting the multi-use link needs a verified address in the domains.
    let outsider = t.user_at("outsider", "other.org");
    let a = t
        .as_user(&outsider)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    a.assert_problem(403, Code::EmailDomainNotAllowed);
    let unverified = integration_tests::token_for(
        integration_tests::JWT_SECRET,
        "unverified-acme",
        Some("unverified@acme.com"),
        false,
    );
    let a = t
        .call(
            "POST",
            &format!("/invitations/{code}/accept"),
            Some(&unverified),
            None,
        )
        .await;
    a.assert_problem(403, Code::EmailNotVerified);
    let insider = t.user_at("insider", "acme.com");
    t.as_user(&insider)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_status(201);
    // Nothing of the refused attempts joined.
    let members = owner.get(&format!("/orgs/{}/members", f.id)).await;
    let ids: Vec<&str> = members.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&insider.id.as_str()) && !ids.contains(&outsider.id.as_str()));
}

#[tokio::test]
async fn notifications_are_validated_and_email_exactly_the_chosen_events_once() {
    let t = TestApp::new().await;
    let f = t
        .org_fixture("Notify", "pro", &[Role::Admin, Role::Viewer])
        .await;
    let (admin, viewer) = (
        f.member(Role::Admin).clone(),
        f.member(Role::Viewer).clone(),
    );
    let owner = t.as_user(&f.owner);
    let path = format!("/orgs/{}/settings/notifications", f.id);
    let defaults = owner.get(&path).await;
    assert_eq!(defaults.assert_status(200)["memberJoined"], false);
    assert_eq!(defaults.body["roleChangedToAdmin"], true);
    let prefs = json!({
        "memberJoined": false, "memberLeft": true, "roleChangedToAdmin": true,
        "ownershipTransferred": false, "integrationChanged": false, "organizationClosed": true
    });
    let mut missing = prefs.clone();
    missing.as_object_mut().unwrap().remove("memberLeft");
    owner
        .put(&path, missing)
        .await
        .assert_problem(400, Code::InvalidBody);
    t.as_user(&viewer)
        .put(&path, prefs.clone())
        .await
        .assert_problem(403, Code::Forbidden);
    assert_eq!(
        owner.put(&path, prefs.clone()).await.assert_status(200),
        &prefs
    );
    let entries = audit_entries(&t, &f.owner, &f.id, "settings.changed").await;
    assert_eq!(entries[0]["details"]["section"], "notifications");
    assert_eq!(
        entries[0]["details"]["changedKeys"],
        json!(["memberLeft", "ownershipTransferred", "integrationChanged"])
    );

    // The owner makes the viewer an admin, demotes them again (no email: not to admin), then
    // removes them. Recipients are the owner and admins when the email goes out, except who
    // acted: the admin gets both emails; the removed member and the owner none.
    let member = |u: &User| format!("/orgs/{}/members/{}", f.id, u.id);
    owner
        .patch(&member(&viewer), json!({ "role": "admin" }))
        .await
        .assert_status(200);
    owner
        .patch(&member(&viewer), json!({ "role": "viewer" }))
        .await
        .assert_status(200);
    owner.delete(&member(&viewer)).await.assert_status(204);
    let (batch, _) = stream_event_of(&t, &f.id).await;

    // SES down: nothing is sent, the record is reported for retry, the changes stand.
    let down = service::App {
        ses: Some(ses_client("http://127.0.0.1:9").await),
        ..t.app.clone()
    };
    let (response, report) = service::notifications::on_stream(&down, batch.clone()).await;
    assert_eq!(response.batch_item_failures.len(), 1, "{report:?}");
    assert_eq!(report.sent, 0);
    assert!(emails_to(&admin.email).is_empty());
    let members = owner.get(&format!("/orgs/{}/members", f.id)).await;
    assert_eq!(
        members.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the removal stands"
    );

    // Delivered: exactly the chosen events, to exactly the owner's admins but the actor.
    let (response, report) = service::notifications::on_stream(&t.app, batch.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!(report.sent, 2, "{report:?}");
    let to_admin = emails_to(&admin.email);
    let subjects = |mails: &[Value]| -> Vec<String> {
        mails
            .iter()
            .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        subjects(&to_admin),
        vec![
            "[Notify] A member is now an admin",
            "[Notify] A member left or was removed"
        ]
    );
    assert!(emails_to(&viewer.email).is_empty(), "no longer a member");
    assert!(
        emails_to(&f.owner.email).is_empty(),
        "the actor is not told what they did"
    );
    let first = &to_admin[0];
    let (text, html) = (
        first["body"]["text"].as_str().unwrap_or_default(),
        first["body"]["html"].as_str().unwrap_or_default(),
    );
    assert!(
        text.contains(&format!("/orgs/{}/settings/notifications", f.id)),
        "{first}"
    );
    assert!(
        html.contains("<a href=") && html.contains("settings/notifications"),
        "{first}"
    );

    // Delivered again (the stream redelivers): nothing more.
    let (_, again) = service::notifications::on_stream(&t.app, batch).await;
    assert_eq!((again.sent, again.duplicates), (0, 2));
    assert_eq!(emails_to(&admin.email).len(), 2);
}

#[tokio::test]
async fn closure_emails_the_owner_and_reminds_them_once_7_days_and_1_day_before_the_purge() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Reminded", "pro", &[Role::Admin]).await;
    t.close_through_api(&f.id).await;
    let (batch, _) = stream_event_of(&t, &f.id).await;
    let (_, report) = service::notifications::on_stream(&t.app, batch).await;
    assert_eq!(
        report.sent, 2,
        "the owner and, by default, the admins: {report:?}"
    );
    let closed = emails_to(&f.owner.email);
    assert_eq!(closed.len(), 1);
    let purge_at = t.org_item(&f.id).await.purge_at.unwrap();
    let text = closed[0]["body"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&purge_at.as_datetime().format("%Y-%m-%d").to_string()),
        "{text}"
    );
    assert!(
        text.contains(&format!("/orgs/{}/reactivate", f.id)),
        "{text}"
    );

    let at = |before: chrono::Duration| purge_at + (-before) + chrono::Duration::minutes(1);
    // Eight days ahead: nothing yet.
    let report = purge_due(&t.app, at(chrono::Duration::days(8)), deadline())
        .await
        .unwrap();
    assert_eq!(report.reminders_sent, 0);
    for (days, subject) in [(7, "in 7 days"), (1, "tomorrow")] {
        let now = at(chrono::Duration::days(days));
        let report = purge_due(&t.app, now, deadline()).await.unwrap();
        assert_eq!(
            (report.reminders_sent, report.orgs_purged),
            (1, 0),
            "{days}d"
        );
        let again = purge_due(&t.app, now, deadline()).await.unwrap();
        assert_eq!(again.reminders_sent, 0, "the {days}-day reminder goes once");
        let mails = emails_to(&f.owner.email);
        let last = mails.last().unwrap()["subject"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(last.contains(subject), "{last}");
    }
    assert_eq!(emails_to(&f.owner.email).len(), 3);
    assert_eq!(
        emails_to(&f.member(Role::Admin).email).len(),
        1,
        "reminders go to the owner"
    );
    // Reactivated, then closed again: a new closure gets its own reminders.
    t.as_user(&f.owner)
        .post_empty(&format!("/orgs/{}/reactivate", f.id))
        .await
        .assert_status(200);
    assert!(t.org_item(&f.id).await.reminders_sent.is_empty());
}

#[tokio::test]
async fn a_second_factor_is_required_to_join_and_to_see_the_organization_in_my_list() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Strict Join", "pro", &[Role::Admin]).await;
    let owner_mfa = t.with_mfa(&f.owner);
    t.as_user(&owner_mfa)
        .put(
            &format!("/orgs/{}/settings/authentication", f.id),
            json!({ "requireMfa": true, "allowedEmailDomains": [] }),
        )
        .await
        .assert_status(200);
    // Invited through the API by the owner (signed in with a second factor).
    let invitee = t.user("invitee");
    let created = t
        .as_user(&owner_mfa)
        .post(
            &format!("/orgs/{}/invitations", f.id),
            json!({ "email": invitee.email, "role": "viewer" }),
        )
        .await;
    let invitation = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = t
        .as_user(&owner_mfa)
        .get(&format!("/orgs/{}/invitations/{invitation}/code", f.id))
        .await;
    let code = code.assert_status(200)["code"]
        .as_str()
        .unwrap()
        .to_string();
    let accept = format!("/invitations/{code}/accept");
    t.as_user(&invitee)
        .post_empty(&accept)
        .await
        .assert_problem(403, Code::MfaRequired);
    t.as_user(&t.with_mfa(&invitee))
        .post_empty(&accept)
        .await
        .assert_status(201);
    // In the switcher, without a second factor: the name and my role, nothing more.
    let listed = t.as_user(f.member(Role::Admin)).get("/orgs").await;
    let item = listed.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == f.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(item["mfaRequired"], true, "{item}");
    assert_eq!(item["myRole"], "admin");
    for hidden in ["slug", "plan", "ownerId", "settings", "memberCount"] {
        assert!(item.get(hidden).is_none(), "{hidden} shown: {item}");
    }
    let listed = t
        .as_user(&t.with_mfa(f.member(Role::Admin)))
        .get("/orgs")
        .await;
    let item = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == f.id.as_str())
        .cloned()
        .unwrap();
    assert!(
        item.get("mfaRequired").is_none() && item.get("plan").is_some(),
        "{item}"
    );
}

#[tokio::test]
async fn notification_emails_are_limited_per_recipient_per_hour_and_the_rest_is_told_next() {
    let t = TestApp::new().await;
    let f = t.org_fixture("Flapping", "pro", &[Role::Admin]).await;
    let admin = f.member(Role::Admin).clone();
    let connect = |i: usize| json!({ "kind": "dns_provider", "provider": "cloudflare", "name": format!("Flap {i}"), "secret": "cf" });
    // Thirteen changes the admins are told about by default, in one hour.
    for i in 0..13 {
        t.create_integration(&f.id, &f.owner, connect(i)).await;
    }
    let (batch, _) = stream_event_of(&t, &f.id).await;
    let (response, report) = service::notifications::on_stream(&t.app, batch.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!((report.sent, report.held), (10, 3), "{report:?}");
    assert_eq!(emails_to(&admin.email).len(), 10);
    // The batch's line gives the counts as metrics by job.
    let line = t
        .app
        .log
        .last_where(|l| l["job"] == "send-notifications")
        .expect("the batch's line");
    assert_eq!(
        (
            &line["EmailsSent"],
            &line["EmailsHeld"],
            &line["EmailsDropped"]
        ),
        (&json!(10), &json!(3), &json!(0)),
        "{line}"
    );
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["job"]])
    );
    // Redelivered: nothing sent or held twice.
    let (_, again) = service::notifications::on_stream(&t.app, batch).await;
    assert_eq!(
        (again.sent, again.held, again.duplicates),
        (0, 0, 13),
        "{again:?}"
    );
    // Nothing is lost from the audit log.
    let log = audit_entries(&t, &f.owner, &f.id, "integration.created").await;
    assert_eq!(log.len(), 13);
    // The next email the admin gets tells the three held back (here: the limit raised, as an
    // operator would; in production, the next hour).
    let raised = service::App {
        config: std::sync::Arc::new(service::config::Config {
            notification_emails_per_hour: 20,
            ..(*t.app.config).clone()
        }),
        ..t.app.clone()
    };
    t.create_integration(&f.id, &f.owner, connect(13)).await;
    let (batch, _) = stream_event_of(&t, &f.id).await;
    let (_, report) = service::notifications::on_stream(&raised, batch.clone()).await;
    assert_eq!((report.sent, report.held), (1, 0), "{report:?}");
    let mails = emails_to(&admin.email);
    assert_eq!(mails.len(), 11);
    let text = mails[10]["body"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Also since your last email (3 more"),
        "{text}"
    );
    for i in 10..13 {
        assert!(text.contains(&format!("Flap {i}")), "Flap {i} told: {text}");
    }
    // Told once: the email after it tells nothing held.
    t.create_integration(&f.id, &f.owner, connect(14)).await;
    let (batch, _) = stream_event_of(&t, &f.id).await;
    let (_, report) = service::notifications::on_stream(&raised, batch).await;
    assert_eq!(report.sent, 1, "{report:?}");
    let mails = emails_to(&admin.email);
    let text = mails[11]["body"]["text"].as_str().unwrap_or_default();
    assert!(!text.contains("Also since your last email"), "{text}");
}
