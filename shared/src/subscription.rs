//! Plans and seats. Seats used = members + remaining uses of invitations not yet revoked or cleaned up.

use crate::error::{ApiError, ApiResult};
use crate::http::{Input, OrgCtx, Reply};
use crate::store::{Expr, OrgItem, Plan};
use crate::App;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn subscription_view(org: &OrgItem) -> Value {
    json!({
        "plan": org.plan,
        "seats": {
            "used": org.seats_used,
            "limit": org.plan.seat_limit(),
            "members": org.member_count,
            "pendingInvitations": org.pending_seats,
        },
        "plans": Plan::ALL.iter().map(|p| json!({ "plan": p, "seatLimit": p.seat_limit() })).collect::<Vec<_>>(),
    })
}

/// `GET /orgs/{orgId}/subscription`
pub async fn get_subscription(_app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(subscription_view(&ctx.org)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanBody {
    plan: String,
}

/// `PUT /orgs/{orgId}/subscription` `{plan}` (owner; in production the billing system calls it).
/// A plan whose limit is below the seats in use is refused with the numbers.
pub async fn change_plan(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let body: PlanBody = input.json()?;
    let plan = Plan::ALL
        .into_iter()
        .find(|p| p.as_str() == body.plan)
        .ok_or_else(|| {
            ApiError::validation(
                "plan",
                format!(
                    "`plan` must be one of free, starter, pro, agency (got `{}`).",
                    body.plan
                ),
            )
        })?;
    let org = &ctx.org;
    if plan == org.plan {
        return Ok(Reply::ok(subscription_view(org)));
    }
    let too_small = |used: u32, limit: u32| {
        ApiError::conflict(
            "seats_exceed_plan",
            format!(
                "The {} plan allows {limit} seats but {used} are in use (members plus remaining uses of pending invitations). Remove members or revoke invitations first.",
                plan.as_str()
            ),
        )
        .with("plan", plan.as_str())
        .with("seatLimit", limit)
        .with("seatsUsed", used)
    };
    let mut cond = "#plan = :old AND #status = :active".to_string();
    let mut expr = Expr::new()
        .s(":old", org.plan.as_str())
        .s(":new", plan.as_str())
        .s(":active", "active")
        .name("#plan", "plan")
        .name("#status", "status");
    let mut on_fail = ApiError::conflict(
        "concurrent_update",
        "The subscription changed meanwhile; reload and retry.",
    );
    if let Some(limit) = plan.seat_limit() {
        if org.seats_used > limit {
            return Err(too_small(org.seats_used, limit));
        }
        cond.push_str(" AND seatsUsed <= :limit");
        expr = expr.n(":limit", limit);
        on_fail = too_small(org.seats_used, limit);
    }
    let tx = app
        .store
        .tx()
        .update(org.key(), "SET #plan = :new", Some(&cond), expr, on_fail)?
        .audit(ctx.audit(
            "subscription.changed",
            "SubscriptionChanged",
            format!("plan: {} -> {}", org.plan.as_str(), plan.as_str()),
            json!({ "plan": { "before": org.plan, "after": plan } }),
        ))?;
    app.store.commit(tx).await?;
    let mut updated = org.clone();
    updated.plan = plan;
    Ok(Reply::ok(subscription_view(&updated)))
}
