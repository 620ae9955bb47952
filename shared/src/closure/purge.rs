//! The scheduled purge (`purge-closed-orgs`, hourly): every organization whose grace ended by
//! "now" (the schedule event's `time`) is found on the sparse due index (a Query, never a Scan) and,
//! in this order, each step idempotent:
//! 1. marked `purging` (no reactivation from here on);
//! 2. scrubbed: every integration secret force-deleted, and every secret tagged with the
//!    organization that no item points to (crash leftovers);
//! 3. emptied: its partition (all but the organization item), every audit month since its
//!    creation, in BatchWriteItem deletes of keys read by Query;
//! 4. finished in ONE transaction: the organization item deleted, its slug and its verified
//!    domains freed, its creator's record updated, and the tombstone written, whose insert the stream publishes as
//!    `OrganizationPurged` (so the event cannot be lost after the purge committed, nor sent twice).
//!
//! Then the owners of organizations purged within 7 days (and within 1 day) are reminded, each
//! reminder once (see `reminders`), and every integration secret is swept: leftovers no item
//! names are deleted, promotions a rotation could not finish are made (see `integrations::sweep`);
//! and the verified domains not yet re-checked today are looked up (see `domains::recheck`).
//!
//! Killed anywhere, the next run finds the organization still on the due index and repeats what is
//! left. Near its deadline it stops between batches and leaves the rest to the next run (no
//! self-invocation: an hour later is soon enough, and a run that never ends cannot pile up).

use crate::audit::item::previous_month;
use crate::audit::item::{month_of, AuditItem};
use crate::domain::{OrgId, Timestamp};
use crate::domains::entry::DomainStatus;
use crate::domains::item::DomainClaimItem;
use crate::domains::name::DomainName;
use crate::domains::recheck::{recheck_due, RecheckReport};
use crate::error::{ApiError, ApiResult, Code};
use crate::integrations::item::IntegrationItem;
use crate::integrations::secret::{self, ORG_TAG};
use crate::integrations::sweep::{sweep_secrets, SweepReport};
use crate::orgs::item::{OrgItem, SlugItem, TombstoneItem, UserItem};
use crate::orgs::settings::OrgStatus;
use crate::store::org_pk;
use crate::store::{from_item, Key, QuerySpec, SortCond};
use crate::App;
use serde::Serialize;
use std::time::Instant;

/// The hourly schedule's event (EventBridge): its `time` is the run's "now".
pub type ScheduleEvent = aws_lambda_events::event::eventbridge::EventBridgeEvent<serde_json::Value>;

/// "Now" for a run: the event's time, so a replayed event purges what was due then.
pub fn now_of(event: &ScheduleEvent) -> ApiResult<Timestamp> {
    event
        .time
        .map(Timestamp::from)
        .ok_or_else(|| ApiError::new(Code::InvalidEvent, "the schedule event has no `time`"))
}

/// What a run did.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    pub orgs_purged: u32,
    pub items_deleted: u64,
    pub secrets_scrubbed: u32,
    pub millis: u128,
    /// The run stopped before its deadline with work left (the next run continues).
    pub unfinished: bool,
    /// Organizations whose purge failed this run (logged; they stay due).
    pub failed: u32,
    /// Closure reminders (7 days and 1 day before the purge) sent this run.
    pub reminders_sent: u32,
    /// Reminders that could not be sent (the next run tries again).
    pub reminders_failed: u32,
    /// The sweep of living organizations' integration secrets that followed (see
    /// `integrations::sweep`).
    pub sweep: SweepReport,
    /// The daily re-check of verified domains that followed (see `domains::recheck`).
    pub domains: RecheckReport,
}

/// Keys read per Query while emptying (one BatchWriteItem takes 25).
const KEYS_PER_QUERY: u32 = 1000;

struct Run<'a> {
    app: &'a App,
    now: Timestamp,
    deadline: Instant,
    report: PurgeReport,
}

impl Run<'_> {
    fn out_of_time(&mut self) -> bool {
        if Instant::now() >= self.deadline {
            self.report.unfinished = true;
        }
        self.report.unfinished
    }
}

/// Purges everything due at `now`, stopping cleanly at `deadline`.
pub async fn purge_due(app: &App, now: Timestamp, deadline: Instant) -> ApiResult<PurgeReport> {
    let started = Instant::now();
    let mut run = Run {
        app,
        now,
        deadline,
        report: PurgeReport::default(),
    };
    loop {
        let (items, _) = app.store.query_page(OrgItem::page_due(now, 25)).await?;
        if items.is_empty() {
            break;
        }
        let mut progressed = false;
        for item in items {
            let org: OrgItem = from_item(item)?;
            if run.out_of_time() {
                break;
            }
            let id = org.org_id.clone();
            match purge_one(&mut run, org).await {
                Ok(true) => progressed = true,
                Ok(false) => {}
                // One organization's failure does not hold up the others; it stays due, so
                // the next run tries it again.
                Err(e) => {
                    run.report.failed += 1;
                    tracing::error!(org_id = %id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "purging an organization failed");
                }
            }
        }
        if run.report.unfinished || !progressed {
            break;
        }
    }
    if !run.out_of_time() {
        let (sent, failed, unfinished) = super::reminders::send_due(app, now, deadline).await?;
        run.report.reminders_sent = sent;
        run.report.reminders_failed = failed;
        run.report.unfinished |= unfinished;
    }
    if !run.out_of_time() {
        run.report.sweep = sweep_secrets(app, now, deadline).await?;
        run.report.unfinished |= run.report.sweep.unfinished;
    }
    if !run.out_of_time() {
        // The re-check is the run's last job; its failure (a page that cannot be read) fails
        // nothing else: it is logged, counted, and the next run re-checks.
        match recheck_due(app, now, deadline).await {
            Ok(report) => run.report.domains = report,
            Err(e) => {
                run.report.domains.failed += 1;
                tracing::error!(code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "re-checking verified domains failed");
            }
        }
        run.report.unfinished |= run.report.domains.unfinished;
    }
    run.report.millis = started.elapsed().as_millis();
    app.log
        .write(report_line(&app.config.metrics_namespace, &run.report));
    Ok(run.report)
}

/// The run's line: its report, and the metrics the alarms and the dashboard read (`Runs` is 1
/// per run that got to the end, so "no run for 3 hours" is a missing `Runs`; `Failed` counts
/// every failure of the run: organizations, reminders, secrets swept and domains re-checked).
pub fn report_line(namespace: &str, r: &PurgeReport) -> serde_json::Value {
    use crate::metrics::{job_line, Unit::*};
    let failed = r.failed + r.reminders_failed + r.sweep.failed + r.domains.failed;
    job_line(
        namespace,
        "purge-closed-orgs",
        &[
            ("Runs", Count, 1),
            ("OrgsPurged", Count, r.orgs_purged.into()),
            ("ItemsDeleted", Count, r.items_deleted),
            ("RunMillis", Milliseconds, r.millis as u64),
            ("Unfinished", Count, r.unfinished.into()),
            ("Failed", Count, failed.into()),
            ("RemindersSent", Count, r.reminders_sent.into()),
            ("DomainsUnverified", Count, r.domains.unverified.into()),
        ],
        serde_json::to_value(r).unwrap_or_default(),
    )
}

/// Purges one organization; `false` when it is not to be purged after all (reactivated meanwhile)
/// or the run ran out of time.
async fn purge_one(run: &mut Run<'_>, mut org: OrgItem) -> ApiResult<bool> {
    let app = run.app;
    // 1. From here on, no reactivation.
    if org.status == OrgStatus::Grace {
        match app
            .store
            .commit(org.start_purge(app.store.tx(), run.now)?)
            .await
        {
            Ok(()) => org.status = OrgStatus::Purging,
            Err(e) if e.code == Code::ConcurrentUpdate => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    // 2. Credentials.
    scrub_secrets(run, &org).await?;
    // 3. Everything but the organization item itself.
    let partition = QuerySpec::new(org_pk(&org.org_id), SortCond::Any, KEYS_PER_QUERY);
    if !empty(run, partition, Some(OrgItem::key_of(&org.org_id))).await? {
        return Ok(false);
    }
    let mut month = month_of(&run.now);
    let first = month_of(&org.created_at);
    while month >= first {
        let q = QuerySpec::new(
            AuditItem::partition(&org.org_id, &month),
            SortCond::Any,
            KEYS_PER_QUERY,
        );
        if !empty(run, q, None).await? {
            return Ok(false);
        }
        month = match previous_month(&month) {
            Some(m) => m,
            None => break,
        };
    }
    // 4. The last transaction: the organization item, its slug, its creator's record, the tombstone.
    let (slug_is_ours, creator) = final_reads(app, &org).await?;
    let mut tx = org.delete_purged(app.store.tx())?;
    if slug_is_ours {
        tx = SlugItem::free(tx, &org.slug, &org.org_id)?;
    }
    if let Some(personal) = creator {
        tx = UserItem::org_purged(tx, &org.created_by, &org.org_id, personal)?;
    }
    // Its verified domains are free for other organizations.
    for (domain, entry) in org.domains.iter() {
        if entry.status == DomainStatus::Verified {
            if let Ok(domain) = DomainName::parse("domain", domain) {
                tx = DomainClaimItem::release(
                    tx,
                    &domain,
                    &org.org_id,
                    ApiError::concurrent("a domain of the organization changed meanwhile"),
                )?;
            }
        }
    }
    let tx = TombstoneItem::new(&org.org_id, run.now).write(tx)?;
    match app.store.commit(tx).await {
        Ok(()) => {}
        // Finished by another run meanwhile (the due index lags the table a little).
        Err(e) if e.code == Code::ConcurrentUpdate => return Ok(false),
        Err(e) => return Err(e),
    }
    run.report.orgs_purged += 1;
    run.report.items_deleted += 1 + u64::from(slug_is_ours);
    Ok(true)
}

/// What the last transaction may touch besides the organization: whether its slug item is still
/// its own, and whether its creator's record points to it (`Some(true)` as their personal
/// organization, `Some(false)` as one they created and are counted for). One BatchGetItem.
async fn final_reads(app: &App, org: &OrgItem) -> ApiResult<(bool, Option<bool>)> {
    let (slug_key, user_key) = (
        SlugItem::key_of(&org.slug),
        UserItem::key_of(&org.created_by),
    );
    let found = app
        .store
        .batch_get(vec![slug_key.clone(), user_key.clone()])
        .await?;
    let of = |key: &Key| found.iter().find(|i| Key::of_item(i).as_ref() == Some(key));
    let slug_is_ours = of(&slug_key)
        .and_then(|i| i.get("orgId"))
        .and_then(|v| v.as_s().ok())
        .is_some_and(|id| id == org.org_id.as_str());
    let creator = of(&user_key).and_then(|user| {
        if org.personal {
            let points = user
                .get("personalOrgId")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|id| id == org.org_id.as_str());
            points.then_some(true)
        } else {
            let counted = user
                .get("orgsCreated")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n >= 1);
            counted.then_some(false)
        }
    });
    Ok((slug_is_ours, creator))
}

/// Deletes every item a query reads (but `keep`), page after page from the start, until none is
/// left; `false` if the run ran out of time first.
async fn empty(run: &mut Run<'_>, q: QuerySpec, keep: Option<Key>) -> ApiResult<bool> {
    loop {
        if run.out_of_time() {
            return Ok(false);
        }
        let (mut keys, _) = run.app.store.keys_page(q.clone()).await?;
        keys.retain(|k| Some(k) != keep.as_ref() && k.sk != "TOMBSTONE");
        if keys.is_empty() {
            return Ok(true);
        }
        run.app.store.batch_delete(&keys).await?;
        run.report.items_deleted += keys.len() as u64;
    }
}

/// Force-deletes the secrets of the organization's integrations, then any secret still tagged
/// with it (a create that died between Secrets Manager and the table).
async fn scrub_secrets(run: &mut Run<'_>, org: &OrgItem) -> ApiResult<()> {
    let app = run.app;
    let mut arns = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = IntegrationItem::page_of_org(&org.org_id, None, 100, cursor.as_deref())?;
        let page = app.store.page_of::<IntegrationItem>(q).await?;
        arns.extend(page.items.into_iter().filter_map(|i| i.secret_arn));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    arns.extend(tagged_secrets(app, &org.org_id).await?);
    arns.sort();
    arns.dedup();
    for arn in arns {
        match secret::delete(app.secrets.as_ref(), &arn).await {
            Ok(()) => run.report.secrets_scrubbed += 1,
            // Deleted already (a previous run): nothing to scrub.
            Err(e) if e.code == Code::ServiceUnavailable && secret_gone(app, &arn).await => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn secret_gone(app: &App, arn: &str) -> bool {
    let Some(client) = app.secrets.as_ref() else {
        return false;
    };
    match client.describe_secret().secret_id(arn).send().await {
        Ok(d) => d.deleted_date().is_some(),
        Err(e) => e
            .as_service_error()
            .is_some_and(|s| s.is_resource_not_found_exception()),
    }
}

/// The ARNs of the secrets tagged with the organization's id.
async fn tagged_secrets(app: &App, org: &OrgId) -> ApiResult<Vec<String>> {
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let client = app
        .secrets
        .as_ref()
        .ok_or_else(|| ApiError::internal("the purge runs with a Secrets Manager client"))?;
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::TagValue)
                    .values(org.as_str())
                    .build(),
            )
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|_| ApiError::unavailable("Secrets Manager ListSecrets failed"))?;
        for s in page.secret_list() {
            let tagged = s
                .tags()
                .iter()
                .any(|t| t.key() == Some(ORG_TAG) && t.value() == Some(org.as_str()));
            if let (true, Some(arn)) = (tagged, s.arn()) {
                arns.push(arn.to_string());
            }
        }
        match page.next_token() {
            Some(t) => next = Some(t.to_string()),
            None => return Ok(arns),
        }
    }
}
