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
