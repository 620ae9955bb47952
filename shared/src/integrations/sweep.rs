//! The sweep of integration secrets, run by the hourly job after the purge: every secret this
//! deployment created (tagged with its table, its organization and its integration) is checked
//! against the item that should point to it, one BatchGetItem per page of 100 secrets. Secrets of
//! another deployment in the same account (another table) are never touched.
//! - A secret no item names (a creation whose item was never written, a deletion whose secret
//!   could not be removed, a crash between the two) is force-deleted once it is older than
//!   [`SWEEP_GRACE`], so a creation in flight keeps its secret.
//! - A secret whose current value is older than the version its item names (a rotation that
//!   committed and then could not promote) gets that version promoted; promotions never move
//!   back to an older value (see `secret::promote`).
//!
//! It reads Secrets Manager's list, never the table's: no Scan. Each step is idempotent; a run
//! killed midway is finished by the next.

use super::item::IntegrationItem;
use super::secret::{self, sequence_of, INTEGRATION_TAG, ORG_TAG, TABLE_TAG};
use crate::domain::{IntegrationId, OrgId, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::store::{Entity, Key};
use crate::App;
use serde::Serialize;
use std::time::Instant;

/// How old a secret without an item must be before it is deleted: longer than any request
/// that creates a secret and then writes its item.
pub const SWEEP_GRACE: chrono::Duration = chrono::Duration::minutes(15);

/// What a sweep did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub secrets_checked: u32,
    /// Secrets no item named, force-deleted.
    pub leftovers_deleted: u32,
    /// Secrets whose item's version was made current.
    pub promotions_repaired: u32,
    /// Secrets that could not be deleted or promoted (logged; the next sweep tries again).
    pub failed: u32,
    /// Stopped at the deadline with secrets left unchecked.
    pub unfinished: bool,
}

/// One of our secrets as listed.
struct Listed {
    arn: String,
    key: Key,
    created: Option<Timestamp>,
    current: Option<String>,
}

/// Sweeps every integration secret (see the module). `now` is the run's "now".
pub async fn sweep_secrets(app: &App, now: Timestamp, deadline: Instant) -> ApiResult<SweepReport> {
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let client = app
        .secrets
        .as_ref()
        .ok_or_else(|| ApiError::internal("the sweep runs with a Secrets Manager client"))?;
    let mut report = SweepReport::default();
    let mut next: Option<String> = None;
    loop {
        if Instant::now() >= deadline {
            report.unfinished = true;
            return Ok(report);
        }
        let page = client
            .list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::TagValue)
                    .values(&app.config.table_name)
                    .build(),
            )
            .max_results(100)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| crate::aws::failure("Secrets Manager ListSecrets", &e))?;
        let table = app.config.table_name.as_str();
        let listed: Vec<Listed> = page
            .secret_list()
            .iter()
            .filter_map(|s| listed(s, table))
            .collect();
        report.secrets_checked += listed.len() as u32;
        let items = app
            .store
            .batch_get_as::<IntegrationItem>(listed.iter().map(|l| l.key.clone()).collect())
            .await?;
        for secret in &listed {
            let item = items
                .iter()
                .find(|i| i.key() == secret.key && i.secret_arn.as_deref() == Some(&secret.arn));
            let outcome = match item {
                None if secret.created.is_some_and(|c| c + SWEEP_GRACE <= now) => {
                    secret::delete(app.secrets.as_ref(), &secret.arn)
                        .await
                        .map(|()| report.leftovers_deleted += 1)
                }
                None => Ok(()),
                Some(item) => match item.secret_version.as_deref() {
                    Some(v)
                        if secret.current.as_deref() != Some(v)
                            && sequence_of(v)
                                > secret.current.as_deref().map_or(0, sequence_of) =>
                    {
                        secret::promote(app.secrets.as_ref(), &secret.arn, v)
                            .await
                            .map(|p| {
                                if p == secret::Promoted::Current {
                                    report.promotions_repaired += 1;
                                }
                            })
                    }
                    _ => Ok(()),
                },
            };
            if let Err(e) = outcome {
                report.failed += 1;
                tracing::warn!(key = %secret.key.sk, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "sweeping an integration secret failed");
            }
        }
        match page.next_token() {
            Some(t) => next = Some(t.to_string()),
            None => return Ok(report),
        }
    }
}

/// The secret as the sweep sees it, if it is one of this deployment's (its three tags, ids that
/// parse).
fn listed(s: &aws_sdk_secretsmanager::types::SecretListEntry, table: &str) -> Option<Listed> {
    let tag = |key: &str| {
        s.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
    };
    if tag(TABLE_TAG) != Some(table) {
        return None;
    }
    let org = OrgId::parse(tag(ORG_TAG)?)?;
    let integration = IntegrationId::parse(tag(INTEGRATION_TAG)?)?;
    let created = s.created_date().and_then(|d| {
        chrono::DateTime::from_timestamp(d.secs(), d.subsec_nanos()).map(Timestamp::from)
    });
    let current = s.secret_versions_to_stages().and_then(|versions| {
        versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|st| st == "AWSCURRENT"))
            .map(|(v, _)| v.clone())
    });
    Some(Listed {
        arn: s.arn()?.to_string(),
        key: IntegrationItem::key_of(&org, &integration),
        created,
        current,
    })
}
