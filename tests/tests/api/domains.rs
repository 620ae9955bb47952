//! Verified domains, as far as they are built: the uniqueness item through its own operations
//! (what verifying and removing a domain will commit), raced for real.

use integration_tests::TestApp;
use shared::domain::{OrgId, Timestamp};
use shared::domains::item::DomainClaimItem;
use shared::domains::name::DomainName;
use shared::error::{ApiError, Code};
use shared::store::Entity;

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
    use shared::domain::UserId;
    use shared::domains::entry::{DomainStatus, OrgDomain, DOMAINS_PER_ORG};
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
    assert_eq!(org.domains_iter().count(), DOMAINS_PER_ORG);
    let (name, entry) = org
        .domains_iter()
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
    let verified = after.domain(&d).unwrap();
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
    assert!(t.org_item(&org_id).await.domain(&d).is_none());
    assert_eq!(holder(&t, &d).await, None);
}
