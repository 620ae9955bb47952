//! Closure routes: the impact, closing with the typed name, reactivation.

use super::grace_period;
use super::views::{ImpactView, SubscriptionImpact};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::integrations::item::IntegrationItem;
use crate::invitations::item::InvitationItem;
use crate::orgs::views::MyOrgView;
use crate::pipeline::{Input, Reply};
use crate::projects::item::ProjectItem;
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `GET /orgs/{orgId}/closure-impact`: the counters the organization item keeps, plus COUNT
/// Queries, side by side: projects, integrations (its filter counts those with a credential) and
/// the invitations pending now.
pub async fn closure_impact(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let org = ctx.org_id();
    let now = Timestamp::now();
    let seats = ctx.seats()?;
    let with_secret = IntegrationItem::page_with_credentials(org, 100)?;
    let (projects, integrations, pending) = tokio::join!(
        app.store.count(ProjectItem::page_of_org(org, 100, None)?),
        app.store.count(with_secret),
        app.store
            .count(InvitationItem::page_pending_in(&ctx.org, now, 1000)?),
    );
    let ((projects, _), (with_credentials, integrations), (pending, _)) =
        (projects?, integrations?, pending?);
    Ok(Reply::ok(&ImpactView {
        projects,
        members: ctx.org.member_count.saturating_sub(1),
        total_members: ctx.org.member_count,
        teams: ctx.org.team_count,
        pending_invitations: pending as usize,
        integrations,
        integrations_with_credentials: with_credentials,
        api_keys: ctx.org.api_keys.total(),
        subscription: SubscriptionImpact {
            plan: ctx.org.plan,
            seats_used: seats.seats_in_use(now),
            cancelled_by_closing: true,
            restored_by_reactivation: true,
        },
        purge_at: now + grace_period(),
        stopped_by_other_services: vec!["environments", "deployments", "backups", "servers"],
        note: "Environments, backups and servers belong to other services: they stop them when they receive the OrganizationClosed event. Reactivating within 30 days restores everything here; after that the organization is purged and its credentials scrubbed.",
    }))
}

/// `POST /orgs/{orgId}/close`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseOrg {
    /// The organization's name exactly (case and spaces included).
    confirm_name: String,
}

/// `POST /orgs/{orgId}/close` `{confirmName}`: one transaction closes the organization (read-only,
/// in the due index, plan cancelled, the seats invitations held released), revokes every pending
/// invitation (by the time it closed, `invitationsRevokedAt`: no invitation is read or written) and
/// appends the entry that becomes `OrganizationClosed`.
pub async fn close(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CloseOrg = input.json()?;
    let org = &ctx.org;
    if body.confirm_name != org.name {
        return Err(ApiError::new(
            Code::ConfirmationMismatch,
            "`confirmName` must be the organization's name exactly (case and spaces included).",
        ));
    }
    // Every pending invitation is revoked with it: those created until now (`status_in`).
    let now = Timestamp::now();
    let seats = ctx.seats()?;
    let tx = org.close(ctx.tx()?, &seats, ctx.user_id(), now, grace_period())?;
    let purge_at = now + grace_period();
    let tx = tx.audit(ctx.audit(
        "org.closed",
        "OrganizationClosed",
        format!("closed {} (purge at {purge_at})", org.name),
        json!({ "purgeAt": purge_at, "closedBy": ctx.user_id(), "cancelledPlan": org.plan, "invitationsRevokedAt": now, "releasedSeats": seats.held_seats(now) }),
    ))?;
    let mut closed = org.clone();
    closed.status = crate::orgs::settings::OrgStatus::Grace;
    closed.closed_at = Some(now);
    closed.closed_by = Some(ctx.user_id().clone());
    closed.purge_at = Some(purge_at);
    closed.plan_at_closure = Some(org.plan);
    closed.plan = crate::domain::Plan::default_plan();
    closed.updated_at = now;
    app.commit(tx, Reply::ok(&MyOrgView::new(&closed, &ctx.held, None)))
        .await
}

/// `POST /orgs/{orgId}/reactivate`: back to active, out of the due index, on the plan it had when
/// it closed (`OrganizationReactivated` names it, for billing); everything else is as it was.
/// Refused once the purge started.
pub async fn reactivate(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let org = &ctx.org;
    if org.status == crate::orgs::settings::OrgStatus::Purging {
        return Err(ApiError::new(
            Code::PurgeStarted,
            "The organization's purge has started; it can no longer be reactivated.",
        ));
    }
    let now = Timestamp::now();
    let tx = org.reactivate(ctx.tx()?, now)?;
    let tx = tx.audit(ctx.audit(
        "org.reactivated",
        "OrganizationReactivated",
        format!("reactivated {}", org.name),
        json!({ "closedAt": org.closed_at, "purgeAt": org.purge_at, "restoredPlan": org.plan_at_closure.unwrap_or(crate::domain::Plan::default_plan()) }),
    ))?;
    let mut active = org.clone();
    active.status = crate::orgs::settings::OrgStatus::Active;
    active.closed_at = None;
    active.closed_by = None;
    active.purge_at = None;
    active.plan = org
        .plan_at_closure
        .unwrap_or(crate::domain::Plan::default_plan());
    active.plan_at_closure = None;
    active.updated_at = now;
    app.commit(tx, Reply::ok(&MyOrgView::new(&active, &ctx.held, None)))
        .await
}
