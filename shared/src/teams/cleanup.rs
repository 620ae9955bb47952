//! The clean-up of team memberships, from the table's stream: a change that ends any number of
//! them at once commits without them and its audit entry says what is left to remove.
//! - `team.deleted`: the team and its grants are gone (nothing it gave is granted any more); its
//!   membership items are read page after page, each member's record forgets the team, then the
//!   page's items are deleted (what is done is gone, so a crashed or failed run resumes where it
//!   stopped and a redelivery finds nothing left). Members of a legacy `members` set are named by
//!   the entry (`legacyMembers`).
//! - `member.removed` / `member.left`: the membership is gone (nothing it gave is granted any
//!   more); its place on each team it named (`teamIds`) goes with the team's count, only if that
//!   place belongs to the removed membership (`joinedAt`): a redelivery after the person joined
//!   again and was put on the team leaves the new place alone.
//!
//! Every step is idempotent; a record whose clean-up fails is reported for redelivery, with the
//! ones after it.

use super::item::{TeamItem, TeamMemberItem};
use crate::audit::AuditItem;
use crate::domain::{OrgId, TeamId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::members::item::MemberItem;
use crate::store::{from_item, Entity};
use crate::App;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use serde_json::Value;

/// The actions whose audit entries leave team memberships to clean up (the stream filter's).
pub const CLEANED_UP_ACTIONS: &[&str] = &["team.deleted", "member.removed", "member.left"];

/// Membership items read (and removed) per page of a deleted team.
const PAGE: u32 = 100;
/// Members' records updated at once while a deleted team's page is cleaned up.
const AT_ONCE: usize = 16;

/// What one stream batch did (for the log and the tests).
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupReport {
    /// Deleted teams and removed members whose clean-up finished in this batch.
    pub finished: u32,
    /// Places on teams removed (membership items; legacy set entries of removed members).
    pub places_removed: u32,
    /// Members' records that forgot a deleted team.
    pub records_updated: u32,
}

/// The batch's line: clean-ups finished and places removed.
pub fn report_line(namespace: &str, r: &CleanupReport) -> Value {
    use crate::metrics::{job_line, Unit::Count};
    job_line(
        namespace,
        "finish-removals",
        &[
            ("RemovalsFinished", Count, r.finished.into()),
            ("TeamPlacesRemoved", Count, r.places_removed.into()),
        ],
        serde_json::to_value(r).unwrap_or_default(),
    )
}

/// Handles a stream batch; returns the record to retry from (the first whose clean-up failed).
pub async fn on_stream(app: &App, batch: Event) -> (DynamoDbEventResponse, CleanupReport) {
    let mut report = CleanupReport::default();
    let mut response = DynamoDbEventResponse::default();
    for (sequence, entry) in crate::events::audit_entries(batch) {
        if !CLEANED_UP_ACTIONS.contains(&entry.action.as_str()) {
            continue;
        }
        // Type-erased: the clean-up's nested futures are deeper than the compiler's layout limit
        // for the function's `main`.
        let finishing: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
            Box::pin(finish(app, &entry, &mut report));
        if let Err(e) = finishing.await {
            tracing::warn!(sequence = %sequence, event_id = %entry.event_id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "clean-up not finished; the record is retried");
            response = crate::events::retry_from(sequence);
            break;
        }
        report.finished += 1;
    }
    app.log
        .write(report_line(&app.config.metrics_namespace, &report));
    (response, report)
}

/// What the entry left to clean up. An entry whose details do not say it (written before the
/// clean-up existed, when the change removed everything itself) has nothing left.
async fn finish(app: &App, entry: &AuditItem, report: &mut CleanupReport) -> Result<(), ApiError> {
    let d = &entry.details;
    let org = &entry.org_id;
    match entry.action.as_str() {
        "team.deleted" => {
            let Some(team) = d["teamId"].as_str().and_then(TeamId::parse) else {
                return Ok(());
            };
            let legacy = users(&d["legacyMembers"]);
            finish_team_deletion(app, org, &team, &legacy, report).await?;
            if d["directory"] == true {
                finish_group_deletion(app, org, &team, report).await?;
            }
            Ok(())
        }
        _ => {
            let (Some(user), Some(joined_at)) = (
                d["userId"]
                    .as_str()
                    .and_then(|u| UserId::parse("userId", u).ok()),
                d.get("joinedAt")
                    .and_then(|j| serde_json::from_value::<Timestamp>(j.clone()).ok()),
            ) else {
                return Ok(());
            };
            let teams: Vec<TeamId> = d["teamIds"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().and_then(TeamId::parse))
                        .collect()
                })
                .unwrap_or_default();
            for team in &teams {
                finish_member_removal(app, org, team, &user, joined_at, report).await?;
            }
            Ok(())
        }
    }
}

fn users(v: &Value) -> Vec<UserId> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().and_then(|u| UserId::parse("userId", u).ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// A deleted team's memberships: each page's members forget the team, then the page goes.
async fn finish_team_deletion(
    app: &App,
    org: &OrgId,
    team: &TeamId,
    legacy: &[UserId],
    report: &mut CleanupReport,
) -> Result<(), ApiError> {
    // A legacy set's places went with the team item: only the members' records are left.
    for user in legacy {
        if MemberItem::forget_team(&app.store, org, user, team).await? {
            report.records_updated += 1;
        }
    }
    loop {
        let q = TeamMemberItem::page_of_team(org, team, PAGE, None);
        let (items, more) = app.store.query_page(q).await?;
        let places: Vec<TeamMemberItem> =
            items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        // The page's members forget the team, `AT_ONCE` requests at a time (in this task, so a
        // failure of any stops the page before its items go).
        use futures_util::{StreamExt, TryStreamExt};
        let users: Vec<UserId> = places.iter().map(|p| p.user_id.clone()).collect();
        let updated: Vec<bool> = futures_util::stream::iter(users)
            .map(|user| async move { MemberItem::forget_team(&app.store, org, &user, team).await })
            .buffer_unordered(AT_ONCE)
            .try_collect()
            .await?;
        report.records_updated += updated.iter().filter(|u| **u).count() as u32;
        let keys: Vec<_> = places.iter().map(Entity::key).collect();
        app.store.batch_delete(&keys).await?;
        report.places_removed += places.len() as u32;
        if more.is_none() {
            return Ok(());
        }
    }
}

/// A deleted directory group's member items: each page's users forget the group, then the page
/// goes (as a team's memberships do).
async fn finish_group_deletion(
    app: &App,
    org: &OrgId,
    team: &TeamId,
    report: &mut CleanupReport,
) -> Result<(), ApiError> {
    use crate::directory::item::group::{Group, GroupMemberItem};
    use crate::directory::item::user::DirUserItem;
    use futures_util::{StreamExt, TryStreamExt};
    loop {
        let q = Group::members_page(org, team, PAGE, None)?;
        let page = app.store.page_of::<GroupMemberItem>(q).await?;
        let ids: Vec<_> = page.items.iter().map(|m| m.user.clone()).collect();
        let updated: Vec<bool> = futures_util::stream::iter(ids)
            .map(|id| async move { DirUserItem::forget_group(&app.store, org, &id, team).await })
            .buffer_unordered(AT_ONCE)
            .try_collect()
            .await?;
        report.records_updated += updated.iter().filter(|u| **u).count() as u32;
        let keys: Vec<_> = page.items.iter().map(Entity::key).collect();
        app.store.batch_delete(&keys).await?;
        report.places_removed += keys.len() as u32;
        if page.next_cursor.is_none() {
            return Ok(());
        }
    }
}

/// A removed membership's place on one team: its membership item and the team's count (only if
/// it is that membership's), or its entry in the team's legacy set.
async fn finish_member_removal(
    app: &App,
    org: &OrgId,
    team: &TeamId,
    user: &UserId,
    joined_at: Timestamp,
    report: &mut CleanupReport,
) -> Result<(), ApiError> {
    if TeamItem::forget_legacy_member(&app.store, org, team, user).await? {
        report.places_removed += 1;
        return Ok(());
    }
    let not_there = || ApiError::new(Code::TeamMemberNotFound, "no place of this membership");
    let tx = TeamMemberItem::remove_of_membership(
        app.store.tx(),
        org,
        team,
        user,
        joined_at,
        not_there(),
    )?;
    match app.store.commit(tx).await {
        Ok(()) => {
            report.places_removed += 1;
            Ok(())
        }
        // Already removed, a later membership's place, or the team is deleted (its own
        // clean-up removes the place).
        Err(e) if e.code == Code::TeamMemberNotFound => Ok(()),
        Err(e) => Err(e),
    }
}
