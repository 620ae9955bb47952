//! Settings sections: read and replace. Every change is audited and evented in the transaction
//! that makes it: `CleanupPolicyChanged` (with the whole policy) for the cleanup policy,
//! `OrganizationSettingsChanged` (the section, the changed keys and the new values) for the others.

use super::authentication::AuthenticationPolicy;
use super::cleanup::CleanupPolicy;
use super::notifications::NotificationPreferences;
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::Parsed;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Serialize;
use serde_json::json;

/// `GET /orgs/{orgId}/settings/cleanup-policy`
pub async fn get_cleanup_policy(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&ctx.org.cleanup_policy.unwrap_or_default()))
}

/// `PUT /orgs/{orgId}/settings/cleanup-policy`: the whole policy (unknown keys refused, every
/// `afterDays` 1 to 365); `CleanupPolicyChanged` carries the new policy and the changed rules.
pub async fn put_cleanup_policy(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let policy: CleanupPolicy = input.json::<Parsed<CleanupPolicy>>()?.into_inner();
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
    app.commit(tx, Reply::ok(&policy)).await
}

fn authentication_of(ctx: &Ctx) -> AuthenticationPolicy {
    AuthenticationPolicy {
        require_mfa: ctx.org.require_mfa,
        allowed_email_domains: ctx.org.allowed_email_domains.clone(),
    }
}

/// `GET /orgs/{orgId}/settings/authentication`
pub async fn get_authentication(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&authentication_of(&ctx)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationAnswer {
    #[serde(flatten)]
    policy: AuthenticationPolicy,
    /// Members whose email is outside the allowed domains (they stay; none when no domains are set).
    members_outside_domains: u64,
}

/// `PUT /orgs/{orgId}/settings/authentication`: `{requireMfa, allowedEmailDomains}`, replaced whole.
/// Turning `requireMfa` on needs the caller's own token to show a second factor (nobody locks
/// themselves out). The answer counts the members outside the allowed domains (they are not removed).
pub async fn put_authentication(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let policy = input.json::<Parsed<AuthenticationPolicy>>()?.into_inner();
    if policy.require_mfa && !ctx.org.require_mfa && !ctx.caller.second_factor {
        return Err(ApiError::new(
            Code::MfaRequired,
            "Turning on requireMfa needs your own token to show a second factor, so you cannot lock yourself out: sign in again with a second factor and retry.",
        )
        .with("field", "requireMfa"));
    }
    let members_outside_domains = if policy.allowed_email_domains.is_empty() {
        0
    } else {
        let members = MemberItem::every_of_org(&app.store, ctx.org_id(), &[]).await?;
        members
            .iter()
            .filter(|m| {
                !m.email
                    .as_ref()
                    .is_some_and(|e| policy.allowed_email_domains.contains(e.domain()))
            })
            .count() as u64
    };
    // Counted before the change commits (it removes nobody): the answer is recorded with it.
    let reply = Reply::ok(&AuthenticationAnswer {
        policy: policy.clone(),
        members_outside_domains,
    });
    let before = authentication_of(&ctx);
    let changed = policy.changed_from(&before);
    if !changed.is_empty() {
        let tx = ctx.org.set_authentication(
            ctx.tx()?,
            policy.require_mfa,
            &policy.allowed_email_domains,
            Timestamp::now(),
        )?;
        let tx = tx.audit(ctx.audit(
            "settings.changed",
            "OrganizationSettingsChanged",
            format!("authentication: {} changed", changed.join(", ")),
            json!({ "section": "authentication", "changedKeys": changed, "before": before, "after": policy }),
        ))?;
        return app.commit(tx, reply).await;
    }
    Ok(reply)
}

/// `GET /orgs/{orgId}/settings/notifications`
pub async fn get_notifications(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&ctx.org.notifications.unwrap_or_default()))
}

/// `PUT /orgs/{orgId}/settings/notifications`: which events email the owner and admins, replaced whole.
pub async fn put_notifications(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let prefs: NotificationPreferences = input.json()?;
    let before = ctx.org.notifications.unwrap_or_default();
    let changed = prefs.changed_from(&before);
    if changed.is_empty() {
        return Ok(Reply::ok(&prefs));
    }
    let tx = ctx
        .org
        .set_notifications(ctx.tx()?, &prefs, Timestamp::now())?;
    let tx = tx.audit(ctx.audit(
        "settings.changed",
        "OrganizationSettingsChanged",
        format!("notifications: {} changed", changed.join(", ")),
        json!({ "section": "notifications", "changedKeys": changed, "before": before, "after": prefs }),
    ))?;
    app.commit(tx, Reply::ok(&prefs)).await
}
