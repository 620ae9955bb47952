//! Managing an organization's invitations: list, copy code, resend, revoke, clean up.

use super::code::{code_of, link_of};
use super::create::send_and_record;
use super::item::{EmailStatus, InvitationItem, InvitationStatus};
use super::views::{CleanupView, CodeView, InvitationView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::OrgItem;
use crate::pipeline::{Input, Reply};
use crate::subscription;
use crate::App;
use serde_json::json;

/// Minimum time between two sends of one invitation.
pub const RESEND_INTERVAL_SECS: i64 = 60;
/// Most emails one invitation may send in its life.
pub const MAX_SENDS: u32 = 10;
/// Invitations examined per cleanup call (a transaction holds at most 100 items).
pub const CLEANUP_BATCH: u32 = 90;

/// `GET /orgs/{orgId}/invitations?status=&limit=&cursor=`
pub async fn list_invitations(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let wanted = input
        .query("status")
        .map(|s| {
            InvitationStatus::parse(s).ok_or_else(|| {
                ApiError::validation(
                    "status",
                    "`status` must be one of pending, accepted, expired, revoked, used_up.",
                )
            })
        })
        .transpose()?;
    let q = InvitationItem::page_of_org(ctx.org_id(), limit, input.cursor())?;
    let page = app.store.page_of::<InvitationItem>(q).await?;
    let now = Timestamp::now();
    let items = page
        .items
        .iter()
        .filter(|i| wanted.is_none_or(|w| i.status_in(&ctx.org, now) == w))
        .map(|i| InvitationView::new(i, &ctx.org, now))
        .collect();
    Ok(Reply::list(items, page.next_cursor))
}

fn not_pending(inv: &InvitationItem, org: &OrgItem, now: Timestamp) -> ApiError {
    let status = inv.status_in(org, now);
    ApiError::new(
        Code::InvitationNotPending,
        format!("The invitation is {status}; only pending invitations can be used for this."),
    )
    .with("invitationStatus", status.as_str())
}

/// `GET /orgs/{orgId}/invitations/{invitationId}/code`: the code and the link to copy.
pub async fn get_code(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let inv: InvitationItem = ctx.subject()?;
    let now = Timestamp::now();
    if inv.status_in(&ctx.org, now) != InvitationStatus::Pending {
        return Err(not_pending(&inv, &ctx.org, now));
    }
    let code = code_of(&app, &inv)?;
    Ok(Reply::ok(&CodeView {
        invitation_id: inv.invitation_id.clone(),
        url: link_of(&app, &code),
        code,
        expires_at: inv.expires_at,
    }))
}

/// `POST /orgs/{orgId}/invitations/{invitationId}/resend`: a new expiry window and the email again,
/// at most once a minute (unless the last send failed) and `MAX_SENDS` times in all.
pub async fn resend(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let inv: InvitationItem = ctx.subject()?;
    let now = Timestamp::now();
    if !matches!(
        inv.status_in(&ctx.org, now),
        InvitationStatus::Pending | InvitationStatus::Expired
    ) {
        return Err(not_pending(&inv, &ctx.org, now));
    }
    // An address the allowed domains no longer take could not accept: no email to it.
    ctx.org.require_allowed_email(&inv.email, "email")?;
    // An expired invitation holds its custom role no longer: the role may have been deleted since.
    if ctx.org.resolve(&inv.role).is_none() {
        return Err(ApiError::new(
            Code::RoleNotFound,
            "The custom role this invitation gives was deleted after the invitation expired; revoke it and invite again with another role.",
        ));
    }
    if inv.send_count >= MAX_SENDS {
        return Err(ApiError::new(Code::ResendLimitReached, format!("This invitation was sent {MAX_SENDS} times, the most allowed; revoke it and invite again.")));
    }
    if inv.email_status != EmailStatus::Failed {
        if let Some(last) = inv.last_sent_at {
            let wait = RESEND_INTERVAL_SECS - (now - last).num_seconds();
            if wait > 0 {
                return Err(ApiError::new(
                    Code::ResendTooSoon,
                    format!("The invitation was sent less than a minute ago; retry in {wait} s."),
                )
                .retry_after(wait as u64));
            }
        }
    }
    let mut updated = inv.renewed(now);
    let tx = inv.renew(
        ctx.tx()?,
        &updated,
        ApiError::concurrent("The invitation changed meanwhile (another resend, a revocation or its last use); reload it."),
    )?;
    // Its seats follow the new expiry or, when they were taken back after it expired, the
    // remaining uses are reserved again (within the plan's limit).
    let hold = inv.hold();
    let seats = ctx.seats()?;
    let tx = match seats.holds_seats(&hold) {
        true => seats.extend_hold(tx, &hold, updated.expires_at)?,
        false => subscription::reserve_seats(tx, &seats, &updated.hold(), now)?,
    };
    let tx = super::count_email(tx, &app.config, &ctx.org, &inv.email, now)?
        .audit(ctx.audit(
            "invitation.resent",
            "InvitationResent",
            format!("resent the invitation of {}; expires {}", inv.email.as_str(), updated.expires_at.format("%Y-%m-%d")),
            json!({ "invitationId": inv.invitation_id, "expiresAt": { "before": inv.expires_at, "after": updated.expires_at } }),
        ))?;
    // Under an Idempotency-Key the answer recorded is the invitation as committed (its email
    // not sent yet); this answer also says how the sending went.
    app.commit(tx, Reply::ok(&InvitationView::new(&updated, &ctx.org, now)))
        .await?;
    send_and_record(&app, &ctx.org, &mut updated).await?;
    Ok(Reply::ok(&InvitationView::new(
        &updated,
        &ctx.org,
        Timestamp::now(),
    )))
}

/// `DELETE /orgs/{orgId}/invitations/{invitationId}`: revoke; its remaining seats are released.
pub async fn revoke(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let inv: InvitationItem = ctx.subject()?;
    let now = Timestamp::now();
    if matches!(
        inv.status_in(&ctx.org, now),
        InvitationStatus::Revoked | InvitationStatus::Accepted | InvitationStatus::UsedUp
    ) {
        return Err(not_pending(&inv, &ctx.org, now));
    }
    let tx = inv
        .revoke(
            ctx.tx()?,
            now,
            ApiError::concurrent("The invitation was used or revoked meanwhile; reload it."),
        )?
        .or_if_missing(super::invitation_not_found());
    // The seats its hold still keeps (none once an expired hold was reclaimed).
    let (tx, released) = ctx.seats()?.release_hold(tx, &inv.hold())?;
    let tx = tx.audit(ctx.audit(
        "invitation.revoked",
        "InvitationRevoked",
        format!("revoked the invitation of {}", inv.email.as_str()),
        json!({ "invitationId": inv.invitation_id, "email": inv.email, "releasedSeats": released }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `POST /orgs/{orgId}/invitations/cleanup?cursor=`: removes expired, revoked and used-up
/// invitations among the next `CLEANUP_BATCH`, releasing the seats expired ones still held.
/// Answers how many it removed and, while there is more to examine, a `nextCursor`.
pub async fn cleanup(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = InvitationItem::page_of_org(ctx.org_id(), CLEANUP_BATCH, input.cursor())?;
    let page = app.store.page_of::<InvitationItem>(q).await?;
    let now = Timestamp::now();
    let mut tx = ctx.tx()?;
    let mut deleted = Vec::new();
    for inv in &page.items {
        if inv.status_in(&ctx.org, now) == InvitationStatus::Pending {
            continue;
        }
        // Each delete re-checks the state it was decided on, so a resend or use meanwhile stops it.
        tx = inv.delete_settled(
            tx,
            now,
            ApiError::concurrent("An invitation changed during the cleanup; run it again."),
        )?;
        deleted.push(inv.invitation_id.clone());
    }
    // Expired invitations' seats are taken back by their day, with every other past day.
    let removed = deleted.len() as u32;
    let (tx, released) = ctx.seats()?.seats_cleaned_up(tx, &deleted, now)?;
    let reply = Reply::ok(&CleanupView {
        removed,
        released_seats: released,
        next_cursor: page.next_cursor,
    });
    if removed > 0 || released > 0 {
        let tx = tx.audit(ctx.audit(
            "invitations.cleaned_up",
            "InvitationsCleanedUp",
            format!("removed {removed} expired, revoked or used-up invitation(s); released {released} seat(s)"),
            json!({ "removed": removed, "releasedSeats": released }),
        ))?;
        return app.commit(tx, reply).await;
    }
    Ok(reply)
}
