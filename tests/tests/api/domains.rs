//! Verified domains, as far as they are built: the uniqueness item through its own operations
//! (what verifying and removing a domain will commit), raced for real.

use crate::authorization::Fixture;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::domain::{OrgId, Timestamp};
use service::domains::item::DomainClaimItem;
use service::domains::name::DomainName;
use service::error::{ApiError, Code};
use service::store::Entity;

pub(crate) fn walk_sample(f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-domains" | "list-my-suggestions" | "list-membership-requests" => (None, 200),
        "add-domain" => (Some(json!({ "domain": format!("new.{}", f.domain) })), 201),
        "verify-domain" => (None, 200),
        "set-domain-enrollment" => (
            Some(json!({ "mode": "automatic_invitation", "role": "viewer" })),
            200,
        ),
        "remove-domain" => (None, 204),
        // None of the walk's principals has an email at the fixture's domain: for each of them
        // the organization suggests nothing (the join itself is tested below).
        "request-membership" => (None, 404),
        "approve-membership-request" => (None, 201),
        "reject-membership-request" => (None, 200),
        _ => return None,
    })
}

/// A new domain of its own, lowercase, under `.example`.
fn unique_domain(label: &str) -> String {
    format!(
        "{label}-{}.example",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Adds `domain` as `by`, publishes its record on the test DNS server; returns the record.
async fn add_and_publish(t: &TestApp, org: &str, by: &User, domain: &str) -> Value {
    let a = t
        .as_user(by)
        .post(&format!("/orgs/{org}/domains"), json!({ "domain": domain }))
        .await;
    let body = a.assert_status(201).clone();
    let v = &body["verification"];
    t.dns
        .set_txt(v["name"].as_str().unwrap(), &[v["value"].as_str().unwrap()]);
    body
}

async fn verify(t: &TestApp, org: &str, by: &User, domain: &str) -> integration_tests::Answer {
    t.as_user(by)
        .post(&format!("/orgs/{org}/domains/{domain}/verify"), json!({}))
        .await
}

async fn enroll(t: &TestApp, org: &str, by: &User, domain: &str, mode: &str, role: &str) {
    t.as_user(by)
        .put(
            &format!("/orgs/{org}/domains/{domain}/enrollment"),
            json!({ "mode": mode, "role": role }),
        )
        .await
        .assert_status(200);
}

/// The walk's domains, made through the API: a verified domain with `automatic_suggestion`, a
/// pending request through it, and a pending domain with its record published.
pub(crate) async fn walk_domains(t: &TestApp, org: &str, owner: &User) -> (String, String, String) {
    let domain = unique_domain("walk");
    add_and_publish(t, org, owner, &domain).await;
    verify(t, org, owner, &domain).await.assert_status(200);
    enroll(t, org, owner, &domain, "automatic_suggestion", "viewer").await;
    let requester = t.user_at("requester", &domain);
    let r = t
        .as_user(&requester)
        .post(&format!("/orgs/{org}/membership-requests"), json!({}))
        .await;
    let request_id = r.assert_status(201)["id"].as_str().unwrap().to_string();
    let pending = format!("pending.{domain}");
    add_and_publish(t, org, owner, &pending).await;
    (domain, pending, request_id)
}

/// The domain's status and days missing, as the organization item holds them.
async fn entry_state(
    t: &TestApp,
    org: &str,
    d: &DomainName,
) -> (service::domains::entry::DomainStatus, u32) {
    let item = t.org_item(org).await;
    let e = item.domains.get(d).unwrap().clone();
    (e.status, e.missing_days)
}

/// The event types of the organization's audit log, newest first (through the API).
async fn audit_events(t: &TestApp, org: &str, owner: &User) -> Vec<String> {
    let log = t
        .as_user(owner)
        .get(&format!("/orgs/{org}/audit-log?limit=100"))
        .await;
    log.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_string())
        .collect()
}

fn taken() -> ApiError {
    ApiError::new(Code::ConcurrentUpdate, "taken")
}

fn a_domain() -> DomainName {
    DomainName::parse(
        "domain",
        &format!("d{}.example", uuid::Uuid::new_v4().simple()),
    )
    .unwrap()
}

async fn claim(t: &TestApp, d: &DomainName, org: &OrgId) -> Result<(), ApiError> {
    let tx = DomainClaimItem::claim(t.app.store.tx(), d, org, Timestamp::now(), taken())?;
    t.app.store.commit(tx).await
}

async fn holder(t: &TestApp, d: &DomainName) -> Option<OrgId> {
    t.app
        .store
        .batch_get_as::<DomainClaimItem>(vec![DomainClaimItem::key_of(d)])
        .await
        .unwrap()
        .pop()
        .map(|c| c.org_id)
}

#[tokio::test]
async fn of_parallel_claims_of_one_domain_exactly_one_wins() {
    let t = TestApp::new().await;
    let d = a_domain();
    let orgs: Vec<OrgId> = (0..8).map(|_| OrgId::new()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for org in orgs.clone() {
        let (t, d) = (t.clone(), d.clone());
        tasks.spawn(async move { (org.clone(), claim(&t, &d, &org).await) });
    }
    let results = tasks.join_all().await;
    let winners: Vec<&OrgId> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(o, _)| o)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, r) in results.iter().filter(|(_, r)| r.is_err()) {
        assert_eq!(r.as_ref().unwrap_err().code, Code::ConcurrentUpdate);
    }
    let winner = winners[0].clone();
    assert_eq!(holder(&t, &d).await.as_ref(), Some(&winner));

    // The holder may verify again; another organization may not free it.
    claim(&t, &d, &winner).await.unwrap();
    let loser = orgs.iter().find(|o| **o != winner).unwrap();
    let tx = DomainClaimItem::release(t.app.store.tx(), &d, loser, taken()).unwrap();
    assert_eq!(
        t.app.store.commit(tx).await.unwrap_err().code,
        Code::ConcurrentUpdate
    );
    assert_eq!(holder(&t, &d).await.as_ref(), Some(&winner));

    // Once its holder frees it, another organization can claim it.
    let tx = DomainClaimItem::release(t.app.store.tx(), &d, &winner, taken()).unwrap();
    t.app.store.commit(tx).await.unwrap();
    assert_eq!(holder(&t, &d).await, None);
    claim(&t, &d, loser).await.unwrap();
    assert_eq!(holder(&t, &d).await.as_ref(), Some(loser));
    assert_eq!(DomainClaimItem::TYPE, "domain_claim");
}

/// The organization item's domain entries through their own writes (what adding, verifying and
/// removing a domain will commit): the limit holds under parallel additions, and every write is
/// conditional on the entry as read.
#[tokio::test]
async fn the_domain_limit_holds_under_parallel_additions_and_stale_writes_fail() {
    use service::domain::UserId;
    use service::domains::entry::{DomainStatus, OrgDomain, DOMAINS_PER_ORG};
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org_id = t.create_org(&owner, "Domains").await;
    let org = t.org_item(&org_id).await;
    let by = UserId::parse("userId", &owner.id).unwrap();
    let domains: Vec<DomainName> = (0..DOMAINS_PER_ORG + 2).map(|_| a_domain()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for d in domains.clone() {
        let (t, org, by) = (t.clone(), org.clone(), by.clone());
        tasks.spawn(async move {
            let entry = OrgDomain::new(&by, Timestamp::now());
            let tx = org
                .domain_added(t.app.store.tx(), &d, &entry, DOMAINS_PER_ORG)
                .unwrap();
            t.app.store.commit(tx).await
        });
    }
    let results = tasks.join_all().await;
    let added = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(added, DOMAINS_PER_ORG, "{results:?}");
    let org = t.org_item(&org_id).await;
    assert_eq!(org.domains.iter().count(), DOMAINS_PER_ORG);
    let (name, entry) = org
        .domains
        .iter()
        .next()
        .map(|(n, e)| (n.clone(), e.clone()))
        .unwrap();
    assert_eq!(entry.status, DomainStatus::Pending);
    assert_eq!(entry.token.len(), 32);
    let d = DomainName::parse("domain", &name).unwrap();

    // Verified: the entry and the uniqueness item in one transaction.
    let now = Timestamp::now();
    let tx = org
        .domain_marked(t.app.store.tx(), &d, &entry, DomainStatus::Verified, now)
        .unwrap();
    let tx = DomainClaimItem::claim(tx, &d, &org.org_id, now, taken()).unwrap();
    t.app.store.commit(tx).await.unwrap();
    let after = t.org_item(&org_id).await;
    let verified = after.domains.get(&d).unwrap();
    assert_eq!(
        (verified.status, verified.version),
        (DomainStatus::Verified, 2)
    );
    assert_eq!(holder(&t, &d).await.as_ref(), Some(&org.org_id));

    // A decision made on the pending entry cannot commit now.
    let stale = org.domain_removed(t.app.store.tx(), &d, &entry).unwrap();
    assert_eq!(
        t.app.store.commit(stale).await.unwrap_err().code,
        Code::ConcurrentUpdate
    );
    // Removed as read now, with its uniqueness item.
    let tx = after
        .domain_removed(t.app.store.tx(), &d, verified)
        .unwrap();
    let tx = DomainClaimItem::release(tx, &d, &org.org_id, taken()).unwrap();
    t.app.store.commit(tx).await.unwrap();
    assert!(t.org_item(&org_id).await.domains.get(&d).is_none());
    assert_eq!(holder(&t, &d).await, None);
}

#[tokio::test]
async fn a_domain_is_pending_until_its_record_is_published_then_verified() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Acme").await;
    let me = t.as_user(&owner);
    for public in ["gmail.com", "Outlook.com", "mail.gmail.com"] {
        let a = me
            .post(&format!("/orgs/{org}/domains"), json!({ "domain": public }))
            .await;
        a.assert_problem(400, Code::ValidationFailed);
        assert_eq!(a.body["publicDomain"], true, "{public}: {}", a.body);
    }
    let domain = unique_domain("acme");
    let a = me
        .post(
            &format!("/orgs/{org}/domains"),
            json!({ "domain": domain.to_uppercase() }),
        )
        .await;
    let added = a.assert_status(201).clone();
    assert_eq!(added["domain"], domain.as_str(), "lowercased");
    assert_eq!(added["status"], "pending");
    assert_eq!(added["verification"]["type"], "TXT");
    assert_eq!(
        added["verification"]["name"],
        format!("_orgs-verification.{domain}")
    );
    let value = added["verification"]["value"].as_str().unwrap().to_string();
    assert!(value.starts_with("orgs-verification="), "{value}");
    me.post(&format!("/orgs/{org}/domains"), json!({ "domain": domain }))
        .await
        .assert_problem(409, Code::DomainExists);

    // No record yet: still pending, nothing written, and what was found is said.
    let record = format!("_orgs-verification.{domain}");
    t.dns.set_txt(&record, &["v=spf1 -all"]);
    let a = verify(&t, &org, &owner, &domain).await;
    let body = a.assert_status(200);
    assert_eq!(body["status"], "pending");
    assert_eq!(body["found"], json!(["v=spf1 -all"]));
    // A nameserver that fails is a 503 to retry, never "missing".
    let failing = unique_domain("failing");
    add_and_publish(&t, &org, &owner, &failing).await;
    t.dns.fail(&format!("_orgs-verification.{failing}"));
    let a = verify(&t, &org, &owner, &failing).await;
    a.assert_problem(503, Code::ServiceUnavailable);
    assert!(a.headers.contains_key("retry-after"), "Retry-After");

    t.dns.set_txt(&record, &["v=spf1 -all", &value]);
    let a = verify(&t, &org, &owner, &domain).await;
    let body = a.assert_status(200);
    assert_eq!(body["status"], "verified", "{body}");
    assert!(body["verifiedAt"].is_string());
    let listed = me.get(&format!("/orgs/{org}/domains")).await;
    let items = listed.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .any(|d| d["domain"] == domain.as_str() && d["status"] == "verified"));
    let d = DomainName::parse("domain", &domain).unwrap();
    assert_eq!(
        holder(&t, &d).await.map(|o| o.to_string()),
        Some(org.clone())
    );
    assert_eq!(
        audit_events(&t, &org, &owner)
            .await
            .iter()
            .filter(|e| *e == "DomainVerified")
            .count(),
        1
    );
    // A viewer reads, never changes.
    let viewer = t.user("viewer");
    t.add_members(&org, &[(&viewer, service::permissions::Role::Viewer)])
        .await;
    t.as_user(&viewer)
        .get(&format!("/orgs/{org}/domains"))
        .await
        .assert_status(200);
    t.as_user(&viewer)
        .delete(&format!("/orgs/{org}/domains/{domain}"))
        .await
        .assert_problem(403, Code::Forbidden);
    me.delete(&format!("/orgs/{org}/domains/{domain}"))
        .await
        .assert_status(204);
    assert_eq!(holder(&t, &d).await, None, "removing frees the domain");
    me.delete(&format!("/orgs/{org}/domains/{domain}"))
        .await
        .assert_problem(404, Code::DomainNotFound);
}

#[tokio::test]
async fn of_organizations_verifying_one_domain_in_parallel_exactly_one_wins() {
    let t = TestApp::with_config(|c| c.org_create_limit = 10).await;
    let domain = unique_domain("contested");
    let mut orgs = Vec::new();
    let mut values = Vec::new();
    for i in 0..6 {
        let owner = t.user(&format!("owner{i}"));
        let org = t.create_org(&owner, &format!("Org {i}")).await;
        let added = t
            .as_user(&owner)
            .post(&format!("/orgs/{org}/domains"), json!({ "domain": domain }))
            .await;
        values.push(
            added.assert_status(201)["verification"]["value"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        orgs.push((org, owner));
    }
    // Every organization's record is published: each one's lookup succeeds.
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    t.dns
        .set_txt(&format!("_orgs-verification.{domain}"), &refs);
    let mut tasks = tokio::task::JoinSet::new();
    for (org, owner) in orgs.clone() {
        let (t, domain) = (t.clone(), domain.clone());
        tasks.spawn(async move { (org.clone(), verify(&t, &org, &owner, &domain).await) });
    }
    let results = tasks.join_all().await;
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, a)| a.status == 200 && a.body["status"] == "verified")
        .map(|(o, _)| o)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        results
            .iter()
            .map(|(_, a)| (a.status, a.body.clone()))
            .collect::<Vec<_>>()
    );
    for (_, a) in results.iter().filter(|(o, _)| o != winners[0]) {
        assert!(
            a.status == 409
                && [Code::DomainTaken.as_str(), Code::ConcurrentUpdate.as_str()]
                    .contains(&a.body["code"].as_str().unwrap()),
            "{} {}",
            a.status,
            a.body
        );
    }
    let d = DomainName::parse("domain", &domain).unwrap();
    assert_eq!(
        holder(&t, &d)
            .await
            .as_ref()
            .map(|o| o.to_string())
            .as_ref(),
        Some(winners[0])
    );
    // The others stay pending, and a later attempt is told who has it.
    let (loser, loser_owner) = orgs.iter().find(|(o, _)| o != winners[0]).unwrap();
    verify(&t, loser, loser_owner, &domain)
        .await
        .assert_problem(409, Code::DomainTaken);
    // Once the winner removes it, another organization can verify it.
    let (_, winner_owner) = orgs.iter().find(|(o, _)| o == winners[0]).unwrap();
    t.as_user(winner_owner)
        .delete(&format!("/orgs/{}/domains/{domain}", winners[0]))
        .await
        .assert_status(204);
    let a = verify(&t, loser, loser_owner, &domain).await;
    assert_eq!(a.assert_status(200)["status"], "verified");
}

/// A domain of `org`, added and verified through the API as an owner does.
pub(crate) async fn verified_domain(t: &TestApp, org: &str, owner: &User) -> String {
    let domain = unique_domain("corp");
    add_and_publish(t, org, owner, &domain).await;
    verify(t, org, owner, &domain).await.assert_status(200);
    domain
}

fn my_domain_invitations(a: &integration_tests::Answer) -> Vec<Value> {
    a.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["domain"].is_null())
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_automatic_invitation_shows_for_a_verified_address_at_the_domain_and_is_accepted_like_any(
) {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    let domain = verified_domain(&t, &org, &owner).await;
    // Above editor is refused, whoever sets it.
    let a = t
        .as_user(&owner)
        .put(
            &format!("/orgs/{org}/domains/{domain}/enrollment"),
            json!({ "mode": "automatic_invitation", "role": "admin" }),
        )
        .await;
    a.assert_problem(400, Code::ValidationFailed);
    enroll(
        &t,
        &org,
        &owner,
        &domain,
        "automatic_invitation",
        "developer",
    )
    .await;

    let alice = t.user_at("alice", &domain);
    let mine = t.as_user(&alice).get("/me/invitations").await;
    let found = my_domain_invitations(&mine);
    assert_eq!(found.len(), 1, "{}", mine.body);
    assert_eq!(found[0]["orgId"], org.as_str());
    assert_eq!(found[0]["role"], "developer");
    assert_eq!(found[0]["domain"], domain.as_str());
    let code = found[0]["code"].as_str().unwrap().to_string();

    // Not for an unverified address, another domain, or a subdomain the organization did not verify.
    let unverified = integration_tests::token_for(
        integration_tests::JWT_SECRET,
        "unverified-bob",
        Some(&format!("bob@{domain}")),
        false,
    );
    let a = t
        .call("GET", "/me/invitations", Some(&unverified), None)
        .await;
    a.assert_problem(403, Code::EmailNotVerified);
    let a = t
        .call(
            "POST",
            &format!("/invitations/{code}/accept"),
            Some(&unverified),
            None,
        )
        .await;
    a.assert_problem(404, Code::InvitationInvalid);
    for other in [
        t.user("elsewhere"),
        t.user_at("sub", &format!("eu.{domain}")),
    ] {
        let a = t.as_user(&other).get("/me/invitations").await;
        assert!(my_domain_invitations(&a).is_empty(), "{}", a.body);
        t.as_user(&other)
            .post_empty(&format!("/invitations/{code}/accept"))
            .await
            .assert_problem(404, Code::InvitationInvalid);
    }
    // The code proves itself like any invitation's: one bit off is refused.
    let mut forged = code.clone().into_bytes();
    forged[60] = if forged[60] == b'A' { b'B' } else { b'A' };
    t.as_user(&alice)
        .post_empty(&format!(
            "/invitations/{}/accept",
            String::from_utf8(forged).unwrap()
        ))
        .await
        .assert_problem(404, Code::InvitationInvalid);

    let preview = t.as_user(&alice).get(&format!("/invitations/{code}")).await;
    assert_eq!(preview.assert_status(200)["domain"], domain.as_str());
    let a = t
        .as_user(&alice)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(a.assert_status(201)["role"], "developer");
    t.as_user(&alice)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(409, Code::AlreadyMember);
    assert!(my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await).is_empty());
    assert!(audit_events(&t, &org, &owner)
        .await
        .contains(&"MemberJoined".to_string()));

    // Seats hold: the free plan's 2 seats are the owner's and alice's.
    let carol = t.user_at("carol", &domain);
    let a = t
        .as_user(&carol)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    a.assert_problem(402, Code::SeatLimitReached);
    // Setting the enrollment again retires the code; manual stops the invitation.
    enroll(&t, &org, &owner, &domain, "automatic_invitation", "viewer").await;
    t.set_plan(&org, "pro").await;
    t.as_user(&carol)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    t.as_user(&owner)
        .put(
            &format!("/orgs/{org}/domains/{domain}/enrollment"),
            json!({ "mode": "manual" }),
        )
        .await
        .assert_status(200);
    assert!(my_domain_invitations(&t.as_user(&carol).get("/me/invitations").await).is_empty());
}

#[tokio::test]
async fn a_suggestion_becomes_a_request_that_an_admin_approves_within_the_seats() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", "viewer").await;

    let dana = t.user_at("dana", &domain);
    let s = t.as_user(&dana).get("/me/organization-suggestions").await;
    let items = s.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{}", s.body);
    assert_eq!(items[0]["orgId"], org.as_str());
    assert_eq!(items[0]["requested"], false);
    // Nothing for someone elsewhere, and no request from them.
    let other = t.user("elsewhere");
    let s = t.as_user(&other).get("/me/organization-suggestions").await;
    assert!(s.assert_status(200)["items"].as_array().unwrap().is_empty());
    t.as_user(&other)
        .post(&format!("/orgs/{org}/membership-requests"), json!({}))
        .await
        .assert_problem(404, Code::OrgNotFound);

    let path = format!("/orgs/{org}/membership-requests");
    let r = t.as_user(&dana).post(&path, json!({})).await;
    let request = r.assert_status(201)["id"].as_str().unwrap().to_string();
    t.as_user(&dana)
        .post(&path, json!({}))
        .await
        .assert_problem(409, Code::MembershipRequestExists);
    let s = t.as_user(&dana).get("/me/organization-suggestions").await;
    assert_eq!(s.assert_status(200)["items"][0]["requested"], true);
    let listed = t.as_user(&owner).get(&path).await;
    assert_eq!(
        listed.assert_status(200)["items"][0]["userId"],
        dana.id.as_str()
    );

    // A second request, then the seats run out: free plan, 2 seats, the owner and dana.
    let erin = t.user_at("erin", &domain);
    let r = t.as_user(&erin).post(&path, json!({})).await;
    let erin_request = r.assert_status(201)["id"].as_str().unwrap().to_string();
    let a = t
        .as_user(&owner)
        .post_empty(&format!("{path}/{request}/approve"))
        .await;
    let member = a.assert_status(201);
    assert_eq!(member["userId"], dana.id.as_str());
    assert_eq!(member["role"], "viewer");
    let a = t
        .as_user(&owner)
        .post_empty(&format!("{path}/{erin_request}/approve"))
        .await;
    a.assert_problem(402, Code::SeatLimitReached);
    let events = audit_events(&t, &org, &owner).await;
    for e in [
        "MembershipRequested",
        "MembershipRequestApproved",
        "MemberJoined",
    ] {
        assert!(events.contains(&e.to_string()), "{e}: {events:?}");
    }
    // Rejected: no new request for 30 days.
    let a = t
        .as_user(&owner)
        .post_empty(&format!("{path}/{erin_request}/reject"))
        .await;
    assert_eq!(a.assert_status(200)["status"], "rejected");
    t.as_user(&erin)
        .post(&path, json!({}))
        .await
        .assert_problem(409, Code::MembershipRequestExists);
    t.as_user(&owner)
        .post_empty(&format!("{path}/{erin_request}/approve"))
        .await
        .assert_problem(409, Code::InvitationNotPending);
}

#[tokio::test]
async fn the_daily_recheck_unverifies_a_domain_whose_record_is_gone_three_days_running() {
    use service::domains::recheck::recheck_due;
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", "viewer").await;
    let d = DomainName::parse("domain", &domain).unwrap();
    let record = format!("_orgs-verification.{domain}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let day = |n: i64| Timestamp::now() + chrono::Duration::days(n);
    // Found on day 1; missing on days 2 and 3 (checked twice on day 3: it counts once).
    recheck_due(&t.app, day(1), deadline).await.unwrap();
    assert_eq!(
        entry_state(&t, &org, &d).await,
        (service::domains::entry::DomainStatus::Verified, 0)
    );
    t.dns.set_txt(&record, &[]);
    for n in [2, 3, 3] {
        recheck_due(&t.app, day(n), deadline).await.unwrap();
    }
    assert_eq!(
        entry_state(&t, &org, &d).await,
        (service::domains::entry::DomainStatus::Verified, 2)
    );
    assert_eq!(
        holder(&t, &d).await.map(|o| o.to_string()),
        Some(org.clone())
    );
    recheck_due(&t.app, day(4), deadline).await.unwrap();
    assert_eq!(
        entry_state(&t, &org, &d).await,
        (service::domains::entry::DomainStatus::Unverified, 3)
    );
    assert_eq!(holder(&t, &d).await, None, "the domain is free again");
    assert!(audit_events(&t, &org, &owner)
        .await
        .contains(&"DomainUnverified".to_string()));
    // Joins through it stop: its suggestion is gone.
    let dana = t.user_at("dana", &domain);
    let s = t.as_user(&dana).get("/me/organization-suggestions").await;
    assert!(s.assert_status(200)["items"].as_array().unwrap().is_empty());
    // The record back, verified again: the count starts afresh.
    let value = t
        .org_item(&org)
        .await
        .domains
        .get(&d)
        .unwrap()
        .token
        .clone();
    t.dns
        .set_txt(&record, &[&format!("orgs-verification={value}")]);
    let a = verify(&t, &org, &owner, &domain).await;
    assert_eq!(a.assert_status(200)["status"], "verified");
    assert_eq!(
        entry_state(&t, &org, &d).await,
        (service::domains::entry::DomainStatus::Verified, 0)
    );
}

#[tokio::test]
async fn the_purge_frees_the_organizations_verified_domains() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Leaving").await;
    let domain = verified_domain(&t, &org, &owner).await;
    let d = DomainName::parse("domain", &domain).unwrap();
    t.close_through_api(&org).await;
    // Closed, the domain is still the organization's (reactivation would bring it back).
    assert_eq!(
        holder(&t, &d).await.map(|o| o.to_string()),
        Some(org.clone())
    );
    let later = Timestamp::now() + chrono::Duration::days(31);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let report = service::closure::purge::purge_due(&t.app, later, deadline)
        .await
        .unwrap();
    assert_eq!(report.orgs_purged, 1, "{report:?}");
    assert_eq!(holder(&t, &d).await, None, "purged: the domain is free");
    let other = t.user("next-owner");
    let next = t.create_org(&other, "Next").await;
    let added = add_and_publish(&t, &next, &other, &domain).await;
    assert_eq!(added["status"], "pending");
    let a = verify(&t, &next, &other, &domain).await;
    assert_eq!(a.assert_status(200)["status"], "verified");
}

/// A join decided on the domain's entry as read cannot commit over a change made meanwhile (the
/// enrollment set to manual, the domain removed): the join's transaction is conditional on it.
#[tokio::test]
async fn a_join_decided_on_a_stale_enrollment_commits_nothing() {
    use service::domains::entry::EnrollmentMode;
    use service::domains::join::{enrollment_role, join, Joiner};
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_invitation", "viewer").await;
    let d = DomainName::parse("domain", &domain).unwrap();
    let as_read = t.org_item(&org).await;
    let entry = as_read.domains.get(&d).unwrap().clone();
    let enrollment = entry
        .enrollment_in_force(EnrollmentMode::AutomaticInvitation)
        .unwrap()
        .clone();
    let role = enrollment_role(&as_read, &enrollment).unwrap();
    let seats_as_read = as_read.seats(t.seats_item(&org).await).unwrap();
    // Meanwhile an admin stops the automatic invitation.
    t.as_user(&owner)
        .put(
            &format!("/orgs/{org}/domains/{domain}/enrollment"),
            json!({ "mode": "manual" }),
        )
        .await
        .assert_status(200);
    let user = service::domain::UserId::parse("userId", "late-joiner").unwrap();
    let email = service::domain::Email::parse("email", &format!("late@{domain}")).unwrap();
    let joiner = Joiner {
        user_id: &user,
        email: &email,
        name: None,
    };
    let (tx, _) = join(
        t.app.store.tx(),
        &seats_as_read,
        &d,
        &entry,
        &role,
        &joiner,
        (&user, service::audit::ActorKind::User),
        "automatic invitation",
        Timestamp::now(),
        ApiError::new(Code::ConcurrentUpdate, "changed"),
    )
    .unwrap();
    let e = t.app.store.commit(tx).await.unwrap_err();
    assert_eq!(e.code, Code::ConcurrentUpdate, "{e:?}");
    let after = t.org_item(&org).await;
    assert_eq!(after.member_count, as_read.member_count, "no seat taken");
}

/// A custom role made by `owner` (through the API); returns its id.
async fn role_of(t: &TestApp, org: &str, owner: &User, name: &str, permissions: &[&str]) -> String {
    let a = t
        .as_user(owner)
        .post(
            &format!("/orgs/{org}/roles"),
            json!({ "name": name, "permissions": permissions, "projectRole": "viewer" }),
        )
        .await;
    a.assert_status(201)["id"].as_str().unwrap().to_string()
}

fn viewer_plus(extra: &[&'static str]) -> Vec<&'static str> {
    let mut p: Vec<&str> = service::permissions::Role::Viewer.permission_set().names();
    p.extend_from_slice(extra);
    p
}

#[tokio::test]
async fn an_enrollment_whose_role_grew_or_whose_setter_left_admits_nobody() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    t.set_plan(&org, "pro").await;
    let domain = verified_domain(&t, &org, &owner).await;
    let role = role_of(&t, &org, &owner, "Domain people", &viewer_plus(&[])).await;
    enroll(&t, &org, &owner, &domain, "automatic_invitation", &role).await;
    let alice = t.user_at("alice", &domain);
    let code = my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await)[0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    // The role an enrollment gives is held: not deleted under it.
    let a = t
        .as_user(&owner)
        .delete(&format!("/orgs/{org}/roles/{role}"))
        .await;
    a.assert_problem(409, Code::RoleInUse);
    assert_eq!(a.body["holders"]["enrollments"], 1, "{}", a.body);
    // The role widened past a domain's bound after the enrollment was set: nobody joins with it.
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}/roles/{role}"),
            json!({ "permissions": viewer_plus(&["members.remove", "api_keys.manage"]) }),
        )
        .await
        .assert_status(200);
    assert!(my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await).is_empty());
    t.as_user(&alice)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // Narrowed again, it admits again.
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}/roles/{role}"),
            json!({ "permissions": viewer_plus(&[]) }),
        )
        .await
        .assert_status(200);
    let a = t
        .as_user(&alice)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await;
    assert_eq!(a.assert_status(201)["role"], role.as_str());

    // Set by an admin who is removed since: rights do not outlive their holder.
    let admin = t.user("admin");
    t.add_member(&org, &admin, service::permissions::Role::Admin)
        .await;
    enroll(&t, &org, &admin, &domain, "automatic_invitation", "viewer").await;
    let bob = t.user_at("bob", &domain);
    let code = my_domain_invitations(&t.as_user(&bob).get("/me/invitations").await)[0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    t.as_user(&owner)
        .delete(&format!("/orgs/{org}/members/{}", admin.id))
        .await
        .assert_status(204);
    t.as_user(&bob)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // Replaced by the owner's, the enrollment no longer counts the custom role: it can go.
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", "viewer").await;
    let a = t.as_user(&owner).get(&format!("/orgs/{org}/roles")).await;
    let held = a.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == role.as_str())
        .unwrap()["holders"]
        .clone();
    assert_eq!(held["enrollments"], 0, "{held}");
}

#[tokio::test]
async fn a_request_made_while_the_role_was_narrow_is_not_approved_once_it_grew() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    t.set_plan(&org, "pro").await;
    let domain = verified_domain(&t, &org, &owner).await;
    let role = role_of(&t, &org, &owner, "Requesters", &viewer_plus(&[])).await;
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", &role).await;
    let path = format!("/orgs/{org}/membership-requests");
    let dana = t.user_at("dana", &domain);
    let r = t.as_user(&dana).post(&path, json!({})).await;
    let request = r.assert_status(201)["id"].as_str().unwrap().to_string();
    t.as_user(&owner)
        .patch(
            &format!("/orgs/{org}/roles/{role}"),
            json!({ "permissions": viewer_plus(&["roles.manage", "settings.manage"]) }),
        )
        .await
        .assert_status(200);
    let a = t
        .as_user(&owner)
        .post_empty(&format!("{path}/{request}/approve"))
        .await;
    a.assert_problem(409, Code::EnrollmentLapsed);
    let members = t.as_user(&owner).get(&format!("/orgs/{org}/members")).await;
    assert_eq!(
        members.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn membership_requests_are_bounded_per_organization_per_day() {
    use service::domains::request::REQUESTS_PER_ORG_PER_DAY;
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", "viewer").await;
    let path = format!("/orgs/{org}/membership-requests");
    let mut made = 0;
    for chunk in (0..REQUESTS_PER_ORG_PER_DAY).collect::<Vec<_>>().chunks(20) {
        let users: Vec<User> = chunk
            .iter()
            .map(|i| t.user_at(&format!("r{i}"), &domain))
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for u in users {
            let (t, path) = (t.clone(), path.clone());
            tasks.spawn(async move {
                let a = t.as_user(&u).post(&path, json!({})).await;
                (a.status, a.body)
            });
        }
        for (status, body) in tasks.join_all().await {
            assert_eq!(status, 201, "{body}");
            made += 1;
        }
    }
    assert_eq!(made, REQUESTS_PER_ORG_PER_DAY);
    let late = t.user_at("late", &domain);
    let a = t.as_user(&late).post(&path, json!({})).await;
    a.assert_problem(429, Code::MembershipRequestLimit);
    assert!(a.headers.contains_key("retry-after"), "{:?}", a.headers);
}

#[tokio::test]
async fn a_removed_member_or_rejected_requester_stays_out_of_the_automatic_paths_until_invited() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Corp").await;
    t.set_plan(&org, "pro").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_invitation", "viewer").await;
    let alice = t.user_at("alice", &domain);
    let code = my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await)[0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let accept = |u: &User| {
        let (t, code) = (&t, code.clone());
        let u = u.clone();
        async move {
            t.as_user(&u)
                .post_empty(&format!("/invitations/{code}/accept"))
                .await
        }
    };
    accept(&alice).await.assert_status(201);
    t.as_user(&owner)
        .delete(&format!("/orgs/{org}/members/{}", alice.id))
        .await
        .assert_status(204);
    // Removed: no automatic invitation, and the code she kept does not let her back in.
    assert!(my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await).is_empty());
    accept(&alice)
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // Nor a suggestion or a request, once the mode is switched.
    enroll(&t, &org, &owner, &domain, "automatic_suggestion", "viewer").await;
    let s = t.as_user(&alice).get("/me/organization-suggestions").await;
    assert!(s.assert_status(200)["items"].as_array().unwrap().is_empty());
    let path = format!("/orgs/{org}/membership-requests");
    t.as_user(&alice)
        .post(&path, json!({}))
        .await
        .assert_problem(404, Code::OrgNotFound);
    // A rejected requester is out of the automatic invitation the mode switches to.
    let erin = t.user_at("erin", &domain);
    let r = t.as_user(&erin).post(&path, json!({})).await;
    let request = r.assert_status(201)["id"].as_str().unwrap().to_string();
    t.as_user(&owner)
        .post_empty(&format!("{path}/{request}/reject"))
        .await
        .assert_status(200);
    enroll(&t, &org, &owner, &domain, "automatic_invitation", "viewer").await;
    assert!(my_domain_invitations(&t.as_user(&erin).get("/me/invitations").await).is_empty());
    let fresh = my_domain_invitations(
        &t.as_user(&t.user_at("fresh", &domain))
            .get("/me/invitations")
            .await,
    );
    let code = fresh[0]["code"].as_str().unwrap().to_string();
    t.as_user(&erin)
        .post_empty(&format!("/invitations/{code}/accept"))
        .await
        .assert_problem(404, Code::InvitationInvalid);
    // An admin's invitation lifts the block: alice accepts it, leaves by herself, and the
    // automatic invitation is hers again.
    let invited = t
        .invite_code(
            &org,
            &owner,
            json!({ "email": alice.email, "role": "viewer" }),
        )
        .await;
    t.as_user(&alice)
        .post_empty(&format!("/invitations/{invited}/accept"))
        .await
        .assert_status(201);
    t.as_user(&alice)
        .delete(&format!("/orgs/{org}/members/{}", alice.id))
        .await
        .assert_status(204);
    assert_eq!(
        my_domain_invitations(&t.as_user(&alice).get("/me/invitations").await).len(),
        1
    );
}

/// Issue 38's race: people at a verified domain joining in parallel through the automatic
/// invitation when one seat is left. One joins; everyone else is told the seats are taken (a
/// failed seat condition answers the seats, never "invitation invalid").
#[tokio::test]
async fn parallel_automatic_joins_at_the_last_seat_are_told_the_seats_are_taken() {
    let t = TestApp::new().await;
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Last seat").await;
    let domain = verified_domain(&t, &org, &owner).await;
    enroll(&t, &org, &owner, &domain, "automatic_invitation", "viewer").await;
    let people: Vec<User> = (0..8)
        .map(|i| t.user_at(&format!("joiner{i}"), &domain))
        .collect();
    let found = my_domain_invitations(&t.as_user(&people[0]).get("/me/invitations").await);
    let accept = format!("/invitations/{}/accept", found[0]["code"].as_str().unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for p in &people {
        let (t, accept, token) = (t.clone(), accept.clone(), p.token.clone());
        tasks.spawn(async move { t.call("POST", &accept, Some(&token), None).await });
    }
    let answers = tasks.join_all().await;
    let joined = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(joined, 1, "the free plan's second seat: {answers:?}");
    for a in answers.iter().filter(|a| a.status != 201) {
        a.assert_problem(402, Code::SeatLimitReached);
    }
}
