//! The subscription: plan and seat usage; plan changes.

use super::views::SubscriptionView;
use crate::access::Ctx;
use crate::audit::{AuditEntry, Audited};
use crate::body::Parsed;
use crate::domain::{OrgId, Plan, Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::{OrgItem, SeatsItem};
use crate::orgs::settings::OrgStatus;
use crate::pipeline::{Input, Reply};
use crate::store::{entity_type, from_item, Entity};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `GET /orgs/{orgId}/subscription`
pub async fn get_subscription(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&SubscriptionView::new(
        &ctx.seats()?,
        Timestamp::now(),
    )))
}

/// `PUT /billing/orgs/{orgId}/subscription`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPlan {
    plan: Parsed<Plan>,
}

/// `PUT /billing/orgs/{orgId}/subscription` `{plan}`: the platform's billing system sets an
/// organization's plan (IAM authorization in production, open in a local run); owners read it
/// and change it through the billing portal. A plan whose limit is below the seats in use is
/// refused with the numbers; a closed organization's plan is not changed (reactivation restores
/// the plan it had). The audit entry names the service as the actor (`service:<role>`).
pub async fn set_plan(app: App, input: Input) -> ApiResult<Reply> {
    let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(no_such_org)?;
    let plan = input.json::<SetPlan>()?.plan.into_inner();
    // The organization and its seats, in one request.
    let (mut org, mut own) = (None, None);
    for item in app
        .store
        .batch_get(vec![OrgItem::key_of(&org_id), SeatsItem::key_of(&org_id)])
        .await?
    {
        match entity_type(&item) {
            Some(OrgItem::TYPE) => org = Some(from_item::<OrgItem>(item)?),
            Some(SeatsItem::TYPE) => own = Some(from_item::<SeatsItem>(item)?),
            _ => {}
        }
    }
    let org = org.ok_or_else(no_such_org)?;
    let seats = org.seats(own)?;
    let now = Timestamp::now();
    if org.status != OrgStatus::Active {
        return Err(ApiError::org_closed());
    }
    if plan == org.plan {
        return Ok(Reply::ok(&SubscriptionView::new(&seats, now)));
    }
    let too_small = |used: u32, limit: u32| {
        ApiError::new(
            Code::SeatsExceedPlan,
            format!(
                "The {} plan allows {limit} seats but {used} are in use (members plus remaining uses of pending invitations). The organization must remove members or revoke invitations first.",
                plan.as_str()
            ),
        )
        .with("plan", plan.as_str())
        .with("seatLimit", limit)
        .with("seatsUsed", used)
    };
    let service = input.service.as_deref().unwrap_or("unknown");
    let actor = UserId::parse("service", &format!("service:{service}"))?;
    let tx = super::change_plan(app.store.tx(), &seats, plan, now, too_small)?;
    let tx = org.guard_active(tx)?.audit(AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: actor,
        actor_kind: crate::audit::ActorKind::Service,
        action: "subscription.changed",
        event_type: "SubscriptionChanged",
        at: now,
        summary: format!(
            "plan: {} -> {} (by the billing service {service})",
            org.plan.as_str(),
            plan.as_str()
        ),
        details: json!({ "plan": { "before": org.plan, "after": plan }, "service": service }),
    })?;
    let mut updated = org.clone();
    updated.plan = plan;
    let mut after = updated.seats(None)?;
    after.state = seats.state.clone();
    app.commit(tx, Reply::ok(&SubscriptionView::new(&after, now)))
        .await
}

fn no_such_org() -> ApiError {
    ApiError::new(Code::OrgNotFound, "No organization with this id.")
}
