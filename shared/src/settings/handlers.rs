//! Settings sections: read and replace.

use super::cleanup::CleanupPolicy;
use crate::access::Ctx;
use crate::audit::Audited;
use crate::domain::Timestamp;
use crate::error::ApiResult;
use crate::pipeline::{Input, Reply};
use crate::App;
use serde_json::json;

/// `GET /orgs/{orgId}/settings/cleanup-policy`
pub async fn get_cleanup_policy(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&ctx.org.cleanup_policy.unwrap_or_default()))
}

/// `PUT /orgs/{orgId}/settings/cleanup-policy`: the whole policy (unknown keys refused, every
/// `afterDays` 1 to 365); `CleanupPolicyChanged` carries the new policy and the changed rules.
pub async fn put_cleanup_policy(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let policy: CleanupPolicy = input.json::<CleanupPolicy>()?.validate()?;
    let before = ctx.org.cleanup_policy.unwrap_or_default();
    let changed = policy.changed_from(&before);
    if changed.is_empty() {
        return Ok(Reply::ok(&policy));
    }
    let tx = ctx
        .org
        .set_cleanup_policy(ctx.tx()?, &policy, Timestamp::now())?;
    let tx = tx.audit(ctx.audit(
        "settings.cleanup_policy_changed",
        "CleanupPolicyChanged",
        format!("cleanup policy: {} changed", changed.join(", ")),
        json!({ "section": "cleanupPolicy", "changedKeys": changed, "policy": policy }),
    ))?;
    app.store.commit(tx).await?;
    Ok(Reply::ok(&policy))
}
