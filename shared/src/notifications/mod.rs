//! Notification emails, sent from the table's stream (never inside the request that made the
//! change, so a failing SES neither blocks nor undoes it): each new audit entry of an event the
//! organization's preferences name emails its owner and admins, at most once per event and
//! recipient (a `NotifiedItem` is claimed before the email goes out), and at most
//! `NOTIFICATION_EMAILS_PER_HOUR` emails per recipient and organization in an hour (the allowance
//! is taken in the claim's transaction); the events past it are held and told in the
//! recipient's next email, and are in the audit log and on the event bus like every other.

pub mod mail;

pub use model::notifications as item;

use crate::audit::AuditItem;
use crate::domain::Timestamp;
use crate::error::{ApiError, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::permissions::Role;
use crate::settings::notifications::{preference_of, Preference};
use crate::App;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use item::{Held, HeldItem, NotifiedItem, Quota};

/// The recipient's allowance for the hour is spent: the event is held (with its claim, so a
/// redelivery holds it once) and told in their next email. Past `MAX_HELD` it is in the audit log
/// and on the event bus only.
async fn hold(
    app: &App,
    claim: &NotifiedItem,
    entry: &AuditItem,
    member: &MemberItem,
    report: &mut NotifyReport,
) -> Result<(), ApiError> {
    let event = Held {
        event_id: entry.event_id.clone(),
        summary: entry.summary.clone(),
        at: entry.at,
    };
    let tx = claim.claim(app.store.tx())?;
    let tx = HeldItem::append(tx, &entry.org_id, &member.user_id, &[event], true)?;
    match app.store.commit(tx).await {
        Ok(()) => report.held += 1,
        Err(e) if e.code == Code::ConcurrentUpdate => report.duplicates += 1,
        Err(e) if e.code == Code::LimitReached => {
            match app.store.commit(claim.claim(app.store.tx())?).await {
                Ok(()) => report.dropped += 1,
                Err(e) if e.code == Code::ConcurrentUpdate => report.duplicates += 1,
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// What one stream batch did (for the log and the tests).
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct NotifyReport {
    pub sent: u32,
    /// Already sent by an earlier delivery of the same record.
    pub duplicates: u32,
    pub failed: u32,
    /// Held back by the hourly limit, for the recipient's next email.
    pub held: u32,
    /// Past the hourly limit with the held list full: in the audit log and on the bus only.
    pub dropped: u32,
}

/// The batch's line: emails sent, held back and dropped by the hourly limit, and failed.
pub fn report_line(namespace: &str, r: &NotifyReport) -> serde_json::Value {
    use crate::metrics::{job_line, Unit::Count};
    job_line(
        namespace,
        "send-notifications",
        &[
            ("EmailsSent", Count, r.sent.into()),
            ("EmailsHeld", Count, r.held.into()),
            ("EmailsDropped", Count, r.dropped.into()),
            ("EmailsFailed", Count, r.failed.into()),
        ],
        serde_json::to_value(r).unwrap_or_default(),
    )
}

/// Handles a stream batch; returns the record to retry from (the first whose emails could not
/// all be sent), so Lambda redelivers it and the ones after it.
pub async fn on_stream(app: &App, batch: Event) -> (DynamoDbEventResponse, NotifyReport) {
    let mut report = NotifyReport::default();
    let mut response = DynamoDbEventResponse::default();
    for (sequence, entry) in crate::events::audit_entries(batch) {
        if let Err(e) = notify_entry(app, &entry, &mut report).await {
            tracing::warn!(sequence = %sequence, event_id = %entry.event_id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "notification not sent; the record is retried");
            response = crate::events::retry_from(sequence);
            break;
        }
    }
    app.log
        .write(report_line(&app.config.metrics_namespace, &report));
    (response, report)
}

/// The emails of one audit entry: to the owner and admins other than the one who acted, if the
/// preferences want this event; a closure always tells the owner (with the purge date).
async fn notify_entry(
    app: &App,
    entry: &AuditItem,
    report: &mut NotifyReport,
) -> Result<(), ApiError> {
    let Some(preference) = preference_of(&entry.event_type, &entry.details) else {
        return Ok(());
    };
    let Some(org) = app
        .store
        .batch_get_as::<OrgItem>(vec![OrgItem::key_of(&entry.org_id)])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(()); // purged meanwhile
    };
    let wanted = org.notifications.unwrap_or_default().wants(preference);
    let closure = preference == Preference::OrganizationClosed;
    if !wanted && !closure {
        return Ok(());
    }
    let recipients: Vec<MemberItem> = MemberItem::every_of_org(
        &app.store,
        &org.org_id,
        &[Role::Owner.into(), Role::Admin.into()],
    )
    .await?
    .into_iter()
    .filter(|m| {
        let is_owner = m.role.is(Role::Owner);
        if closure {
            is_owner || (wanted && m.user_id != entry.actor_id)
        } else {
            m.user_id != entry.actor_id
        }
    })
    .collect();
    let ses = app
        .ses
        .as_ref()
        .ok_or_else(|| ApiError::internal("send-notifications has no SES client"))?;
    // What the hourly limit held back for each recipient (one BatchGetItem), told in their next email.
    let held: Vec<HeldItem> = app
        .store
        .batch_get_as(
            recipients
                .iter()
                .map(|m| HeldItem::key_of(&org.org_id, &m.user_id))
                .collect(),
        )
        .await?;
    let limit = app.config.notification_emails_per_hour;
    for member in recipients {
        let Some(email) = &member.email else { continue };
        let claim = NotifiedItem::new(
            &org.org_id,
            &entry.event_id,
            &member.user_id,
            Timestamp::now(),
        );
        let told: Vec<Held> = held
            .iter()
            .find(|h| h.user_id == member.user_id)
            .map(|h| h.held.clone())
            .unwrap_or_default();
        // The claim, one email of the hour's allowance and the held events it tells, together.
        let mut tx = claim.claim(app.store.tx())?;
        tx = Quota::take(tx, &org.org_id, &member.user_id, &entry.at, limit)?;
        if !told.is_empty() {
            tx = HeldItem::take_first(tx, &org.org_id, &member.user_id, told.len())?;
        }
        match app.store.commit(tx).await {
            Ok(()) => {}
            Err(e) if e.code == Code::ConcurrentUpdate => {
                report.duplicates += 1;
                continue;
            }
            Err(e) if e.code == Code::LimitReached => {
                hold(app, &claim, entry, &member, report).await?;
                continue;
            }
            Err(e) => return Err(e),
        }
        let mail = mail::event_mail(
            &app.config.app_base_url,
            &org,
            entry,
            preference,
            email.as_str(),
            &told,
        );
        if let Err(e) = mail.send(ses, &app.config).await {
            report.failed += 1;
            // Give the claim, the allowance and the held events back so the retry sends them;
            // if that fails too, this email is lost rather than sent twice.
            let undo = async {
                let tx = claim.release(app.store.tx())?;
                let mut tx = Quota::give_back(tx, &org.org_id, &member.user_id, &entry.at)?;
                if !told.is_empty() {
                    tx = HeldItem::append(tx, &org.org_id, &member.user_id, &told, false)?;
                }
                app.store.commit(tx).await
            };
            if let Err(undo) = undo.await {
                tracing::error!(event_id = %entry.event_id, code = %undo.code, "a notification's claim could not be released; it will not be retried");
            }
            return Err(e);
        }
        report.sent += 1;
    }
    Ok(())
}
