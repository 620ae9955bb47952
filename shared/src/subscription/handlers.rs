//! The subscription: plan and seat usage; plan changes.

use super::views::SubscriptionView;
use crate::access::Ctx;
use crate::audit::Audited;
use crate::domain::Plan;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `GET /orgs/{orgId}/subscription`
pub async fn get_subscription(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&SubscriptionView::new(
        &ctx.org,
        Timestamp::now(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanBody {
    plan: String,
}

/// `PUT /orgs/{orgId}/subscription` `{plan}` (owner; in production the billing system calls it).
/// A plan whose limit is below the seats in use is refused with the numbers.
pub async fn change_plan(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: PlanBody = input.json()?;
    let plan = Plan::parse(&body.plan).ok_or_else(|| {
        ApiError::validation(
            "plan",
            format!(
                "`plan` must be one of free, starter, pro, agency (got `{}`).",
                crate::domain::shown(&body.plan)
            ),
        )
    })?;
    let org = &ctx.org;
    let now = Timestamp::now();
    if plan == org.plan {
        return Ok(Reply::ok(&SubscriptionView::new(org, now)));
    }
    let too_small = |used: u32, limit: u32| {
        ApiError::new(
            Code::SeatsExceedPlan,
            format!(
                "The {} plan allows {limit} seats but {used} are in use (members plus remaining uses of pending invitations). Remove members or revoke invitations first.",
                plan.as_str()
            ),
        )
        .with("plan", plan.as_str())
        .with("seatLimit", limit)
        .with("seatsUsed", used)
    };
    let tx = super::change_plan(ctx.tx()?, org, plan, now, too_small)?.audit(ctx.audit(
        "subscription.changed",
        "SubscriptionChanged",
        format!("plan: {} -> {}", org.plan.as_str(), plan.as_str()),
        json!({ "plan": { "before": org.plan, "after": plan } }),
    ))?;
    app.store.commit(tx).await?;
    let mut updated = org.clone();
    updated.plan = plan;
    Ok(Reply::ok(&SubscriptionView::new(&updated, now)))
}
