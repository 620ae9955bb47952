//! Notification emails, sent from the table's stream (never inside the request that made the
//! change, so a failing SES neither blocks nor undoes it): each new audit entry of an event the
//! organization's preferences name emails its owner and admins, at most once per event and
//! recipient (a `NotifiedItem` is claimed before the email goes out).

pub mod item;
pub mod mail;

use crate::audit::AuditItem;
use crate::domain::Timestamp;
use crate::error::{ApiError, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::permissions::Role;
use crate::settings::notifications::{preference_of, Preference};
use crate::store::Entity;
use crate::App;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use item::NotifiedItem;

/// What one stream batch did (for the log and the tests).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct NotifyReport {
    pub sent: u32,
    /// Already sent by an earlier delivery of the same record.
    pub duplicates: u32,
    pub failed: u32,
}

/// Handles a stream batch; returns the record to retry from (the first whose emails could not
/// all be sent), so Lambda redelivers it and the ones after it.
pub async fn on_stream(app: &App, batch: Event) -> (DynamoDbEventResponse, NotifyReport) {
    let mut report = NotifyReport::default();
    let mut response = DynamoDbEventResponse::default();
    for record in batch.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        if crate::events::inserted_entity(&record).as_deref() != Some(AuditItem::TYPE) {
            continue;
        }
        let entry = match serde_dynamo::from_item::<_, AuditItem>(record.change.new_image) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(sequence = %sequence, error = %e, "skipping an audit record that does not parse");
                continue;
            }
        };
        if let Err(e) = notify_entry(app, &entry, &mut report).await {
            tracing::warn!(sequence = %sequence, event_id = %entry.event_id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "notification not sent; the record is retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence);
            response.batch_item_failures.push(failure);
            break;
        }
    }
    tracing::info!(report = ?report, "send-notifications");
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
    let recipients: Vec<MemberItem> =
        MemberItem::every_of_org(&app.store, &org.org_id, &[Role::Owner, Role::Admin])
            .await?
            .into_iter()
            .filter(|m| {
                let is_owner = m.role == Role::Owner;
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
    for member in recipients {
        let Some(email) = &member.email else { continue };
        let claim = NotifiedItem::new(
            &org.org_id,
            &entry.event_id,
            &member.user_id,
            Timestamp::now(),
        );
        match app.store.commit(claim.claim(app.store.tx())?).await {
            Ok(()) => {}
            Err(e) if e.code == Code::ConcurrentUpdate => {
                report.duplicates += 1;
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
        );
        if let Err(e) = mail.send(ses, &app.config.ses_from_address).await {
            report.failed += 1;
            // Give the claim back so the retry sends it; if that fails too, this email is lost
            // rather than sent twice.
            if let Err(undo) = app.store.commit(claim.release(app.store.tx())?).await {
                tracing::error!(event_id = %entry.event_id, code = %undo.code, "a notification's claim could not be released; it will not be retried");
            }
            return Err(e);
        }
        report.sent += 1;
    }
    Ok(())
}
