//! The daily re-check of verified domains, run by the hourly job: it pages the
//! `VERIFIED_DOMAINS` partition of GSI1 (no Scan) and looks up each domain not yet checked this
//! UTC day. A record found resets the count; a record missing counts a day; at 3 days running the
//! domain becomes `unverified`: its uniqueness item is released, its enrollment stops, and the
//! audit entry `DomainUnverified` (which always emails the owner, see `send-notifications`) goes
//! in the same transaction. A lookup that fails counts nothing (the next run asks again).

use super::entry::{DomainStatus, OrgDomain};
use super::item::{DomainClaimItem, VERIFIED_DOMAINS};
use super::name::{record_found, record_value, DomainName};
use crate::audit::{AuditEntry, Audited};
use crate::domain::{Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::OrgItem;
use crate::store::{from_item, QuerySpec, SortCond, GSI1};
use crate::App;
use serde::Serialize;
use serde_json::json;
use std::time::Instant;

/// Days in a row without the record that unverify a domain.
pub const MISSING_DAYS_TO_UNVERIFY: u32 = 3;
/// Domains read per page.
const PAGE: u32 = 25;
/// The audit entries of the re-check name this actor (no user acted).
pub const RECHECK_ACTOR: &str = "system:domain-recheck";

#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecheckReport {
    /// Domains looked up this run.
    pub checked: u32,
    /// Domains whose record was missing this run (counted a day).
    pub missing: u32,
    /// Domains marked unverified this run.
    pub unverified: u32,
    /// Lookups or writes that failed (logged; the next run tries again).
    pub failed: u32,
    pub unfinished: bool,
}

/// The UTC day of `now` as the entries keep it.
pub fn day_of(now: Timestamp) -> String {
    now.as_datetime().format("%Y-%m-%d").to_string()
}

/// Re-checks the verified domains not yet checked on `now`'s UTC day, until `deadline`.
pub async fn recheck_due(app: &App, now: Timestamp, deadline: Instant) -> ApiResult<RecheckReport> {
    let mut report = RecheckReport::default();
    let resolver = app.config.resolver()?;
    let today = day_of(now);
    let mut start = None;
    loop {
        if Instant::now() >= deadline {
            report.unfinished = true;
            break;
        }
        let mut q = QuerySpec::new(VERIFIED_DOMAINS, SortCond::Any, PAGE).on_index(GSI1);
        q.start = start.take();
        let (items, next) = app.store.query_page(q).await?;
        let claims: Vec<DomainClaimItem> =
            items.into_iter().map(from_item).collect::<ApiResult<_>>()?;
        let orgs: Vec<OrgItem> = match claims.is_empty() {
            true => Vec::new(),
            false => {
                app.store
                    .batch_get_as(claims.iter().map(|c| OrgItem::key_of(&c.org_id)).collect())
                    .await?
            }
        };
        for claim in &claims {
            let Some(org) = orgs.iter().find(|o| o.org_id == claim.org_id) else {
                continue;
            };
            let Ok(domain) = DomainName::parse("domain", &claim.domain) else {
                continue;
            };
            let Some(entry) = org.domains.get(&domain) else {
                continue;
            };
            if entry.status != DomainStatus::Verified
                || entry.checked_on.as_deref() == Some(today.as_str())
            {
                continue;
            }
            report.checked += 1;
            let found = match resolver.txt(&domain.record_name()).await {
                Ok(found) => record_found(&found, &record_value(&entry.token)),
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(domain = domain.as_str(), error = %e, "domain re-check lookup failed");
                    continue;
                }
            };
            if let Err(e) = record(app, org, &domain, entry, found, &today, now, &mut report).await
            {
                report.failed += 1;
                tracing::error!(domain = domain.as_str(), code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "domain re-check write failed");
            }
        }
        match next {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    Ok(report)
}

/// Writes what one lookup saw: the day, the count, and at the third day running the
/// unverification with the release of the uniqueness item and its audit entry.
#[allow(clippy::too_many_arguments)]
async fn record(
    app: &App,
    org: &OrgItem,
    domain: &DomainName,
    entry: &OrgDomain,
    found: bool,
    today: &str,
    now: Timestamp,
    report: &mut RecheckReport,
) -> ApiResult<()> {
    let missing_days = if found { 0 } else { entry.missing_days + 1 };
    let unverify = missing_days >= MISSING_DAYS_TO_UNVERIFY;
    let tx = org.domain_rechecked(app.store.tx(), domain, entry, today, missing_days, unverify)?;
    let tx = if unverify {
        let tx = DomainClaimItem::release(
            tx,
            domain,
            &org.org_id,
            ApiError::concurrent("the domain's item changed meanwhile"),
        )?;
        tx.audit(AuditEntry {
            org_id: org.org_id.clone(),
            actor_id: UserId::parse("actorId", RECHECK_ACTOR)?,
            actor_kind: crate::audit::ActorKind::System,
            action: "domain.unverified",
            event_type: "DomainUnverified",
            at: now,
            summary: format!(
                "{} is no longer verified: its TXT record {} was missing {MISSING_DAYS_TO_UNVERIFY} days running; people there can no longer join through it. Publish the record again and verify the domain.",
                domain.as_str(),
                domain.record_name()
            ),
            details: json!({ "domain": domain.as_str(), "missingDays": missing_days }),
        })?
    } else {
        tx
    };
    match app.store.commit(tx).await {
        Ok(()) => {}
        // Changed meanwhile (removed, verified again, checked by a run in parallel): next run.
        Err(e) if e.code == Code::ConcurrentUpdate => return Ok(()),
        Err(e) => return Err(e),
    }
    if !found {
        report.missing += 1;
    }
    if unverify {
        report.unverified += 1;
    }
    Ok(())
}
