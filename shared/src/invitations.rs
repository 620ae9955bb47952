//! Invitations: create (with the email), list, copy code, resend, revoke, clean up; preview and
//! accept by code; my pending invitations.
//!
//! Codes: `base64url(orgId ‖ invitationId ‖ HMAC-SHA256(INVITATION_CODE_KEY, codeNonce)[..16])`.
//! The table stores only the random nonce, so a copy of the table cannot produce a code; the
//! 128-bit MAC is compared in constant time. Every refusal of a code (unknown, garbled, revoked,
//! expired, used up, closed organization) is the same 404.

use crate::auth::Caller;
use crate::domain::{Email, InvitationId, OrgId, OrgStatus};
use crate::email::InvitationEmail;
use crate::error::{ApiError, ApiResult};
use crate::http::{Input, OrgCtx, Reply};
use crate::permissions::Role;
use crate::store::{
    self, keys, EmailStatus, Expr, GrantItem, InvitationItem, MemberEmailItem, MemberItem, OrgItem,
    QuerySpec, SortCond,
};
use crate::App;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

pub const MAX_MESSAGE_CHARS: usize = 1000;
pub const MAX_PROJECTS: usize = 50;
pub const MAX_USES: i64 = 1000;
/// Minimum time between two sends of one invitation.
pub const RESEND_INTERVAL_SECS: i64 = 60;
/// Most emails one invitation may send in its life.
pub const MAX_SENDS: u32 = 10;
/// Invitations examined per cleanup call (a transaction holds at most 100 items).
pub const CLEANUP_BATCH: u32 = 90;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

// ---------------------------------------------------------------------------------------------
// Codes

fn code_mac(key: &[u8], nonce: &str) -> ApiResult<[u8; 16]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(ApiError::internal)?;
    mac.update(b"invitation-code:");
    mac.update(nonce.as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    Ok(out)
}

fn id_bytes(prefix_stripped: &str) -> Option<[u8; 16]> {
    uuid::Uuid::try_parse(prefix_stripped)
        .ok()
        .map(|u| *u.as_bytes())
}

/// The code of an invitation.
pub fn code_of(app: &App, inv: &InvitationItem) -> ApiResult<String> {
    let key = app.config.require_code_key()?;
    let org = id_bytes(&inv.org_id.as_str()[OrgId::PREFIX.len()..])
        .ok_or_else(|| ApiError::internal("bad org id"))?;
    let id = id_bytes(&inv.invitation_id.as_str()[InvitationId::PREFIX.len()..])
        .ok_or_else(|| ApiError::internal("bad invitation id"))?;
    let mut raw = Vec::with_capacity(48);
    raw.extend_from_slice(&org);
    raw.extend_from_slice(&id);
    raw.extend_from_slice(&code_mac(key, &inv.code_nonce)?);
    Ok(B64.encode(raw))
}

pub fn link_of(app: &App, code: &str) -> String {
    format!(
        "{}/invitations/{code}",
        app.config.app_base_url.trim_end_matches('/')
    )
}

/// Splits a code into the invitation's key and its MAC; `None` for anything malformed.
fn parse_code(code: &str) -> Option<(OrgId, InvitationId, [u8; 16])> {
    if code.len() != 64 {
        return None;
    }
    let raw = B64.decode(code).ok()?;
    let uuid = |b: &[u8]| {
        uuid::Uuid::from_slice(b)
            .ok()
            .map(|u| u.simple().to_string())
    };
    let org = OrgId::parse(&format!("{}{}", OrgId::PREFIX, uuid(&raw[..16])?))?;
    let inv = InvitationId::parse(&format!("{}{}", InvitationId::PREFIX, uuid(&raw[16..32])?))?;
    let mut mac = [0u8; 16];
    mac.copy_from_slice(&raw[32..48]);
    Some((org, inv, mac))
}

fn random_nonce() -> ApiResult<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(B64.encode(buf))
}

/// The one answer for every code that cannot be used.
pub fn invalid_invitation() -> ApiError {
    ApiError::not_found(
        "invitation_invalid",
        "This invitation is invalid or can no longer be used. Ask the organization for a new one.",
    )
}

// ---------------------------------------------------------------------------------------------
// Status and views

pub fn status_of(inv: &InvitationItem, now: DateTime<Utc>) -> &'static str {
    if inv.revoked {
        "revoked"
    } else if inv.uses >= inv.max_uses {
        if inv.max_uses == 1 {
            "accepted"
        } else {
            "used_up"
        }
    } else if now >= inv.expires_at {
        "expired"
    } else {
        "pending"
    }
}

fn remaining_uses(inv: &InvitationItem) -> u32 {
    if inv.revoked {
        0
    } else {
        inv.max_uses.saturating_sub(inv.uses)
    }
}

pub fn invitation_view(inv: &InvitationItem) -> Value {
    json!({
        "id": inv.invitation_id,
        "email": inv.email,
        "role": inv.role,
        "projectIds": inv.project_ids,
        "status": status_of(inv, Utc::now()),
        "uses": inv.uses,
        "maxUses": inv.max_uses,
        "expiresAt": inv.expires_at,
        "createdAt": inv.created_at,
        "invitedBy": inv.invited_by,
        "inviterName": inv.inviter_name,
        "message": inv.message,
        "emailStatus": inv.email_status,
        "sendCount": inv.send_count,
        "lastSentAt": inv.last_sent_at,
    })
}

fn inviter_name(caller: &Caller) -> String {
    caller
        .name
        .clone()
        .or_else(|| caller.email.as_ref().map(|e| e.as_str().to_string()))
        .unwrap_or_else(|| caller.user_id.as_str().to_string())
}

/// The 402 for an invitation that does not fit the plan, with the numbers.
fn seat_limit_error(org: &OrgItem, limit: u32, requested: u32) -> ApiError {
    ApiError::new(
        402,
        "seat_limit_reached",
        format!(
            "The {} plan allows {limit} seats; {} are in use (members plus remaining uses of pending invitations) and this invitation needs {requested}. Upgrade the plan, revoke invitations or clean up expired ones.",
            org.plan.as_str(),
            org.seats_used
        ),
    )
    .with("plan", org.plan.as_str())
    .with("seatLimit", limit)
    .with("seatsUsed", org.seats_used)
    .with("requested", requested)
}

/// Releases `n` reserved seats on the organization in a transaction.
fn release_seats(tx: store::Tx, org: &OrgItem, n: u32) -> ApiResult<store::Tx> {
    let (cond, expr) = store::org_active();
    tx.update(
        org.key(),
        "SET pendingSeats = pendingSeats - :n, seatsUsed = seatsUsed - :n",
        Some(cond),
        expr.n(":n", n),
        ApiError::org_read_only(),
    )
}

/// Condition and values that reserve `n` seats on the organization, under the plan read.
fn seat_reservation(org: &OrgItem, n: u32) -> ApiResult<(String, Expr)> {
    let (active, expr) = store::org_active();
    let mut cond = format!("{active} AND #plan = :plan");
    let mut expr = expr
        .s(":plan", org.plan.as_str())
        .name("#plan", "plan")
        .n(":n", n);
    if let Some(limit) = org.plan.seat_limit() {
        if n > limit || org.seats_used + n > limit {
            return Err(seat_limit_error(org, limit, n));
        }
        cond.push_str(" AND seatsUsed <= :max");
        expr = expr.n(":max", limit - n);
    }
    Ok((cond, expr))
}

// ---------------------------------------------------------------------------------------------
// Creating and sending

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    email: String,
    role: String,
    #[serde(default)]
    expires_in_days: Option<i64>,
    #[serde(default)]
    max_uses: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    project_ids: Option<Vec<String>>,
}

/// A validated invitation request.
struct NewInvitation {
    email: Email,
    role: Role,
    expires_in_days: u32,
    max_uses: u32,
    message: Option<String>,
    project_ids: Vec<String>,
}

fn parse_project_id(raw: &str) -> ApiResult<String> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::validation("projectIds", format!("`projectIds` entries must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-' (got `{raw}`).")));
    }
    Ok(raw.to_string())
}

impl NewInvitation {
    fn parse(body: CreateBody) -> ApiResult<Self> {
        let email = Email::parse("email", &body.email)?;
        let role = Role::parse(&body.role).ok_or_else(|| {
            ApiError::validation(
                "role",
                format!(
                    "`role` must be one of admin, editor, developer, viewer, guest (got `{}`).",
                    body.role
                ),
            )
        })?;
        if role == Role::Owner {
            return Err(ApiError::validation(
                "role",
                "Nobody is invited as owner; invite them as admin and transfer ownership.",
            ));
        }
        let expires_in_days = body.expires_in_days.unwrap_or(7);
        if !(1..=30).contains(&expires_in_days) {
            return Err(ApiError::validation(
                "expiresInDays",
                "`expiresInDays` must be a whole number from 1 to 30 (default 7).",
            ));
        }
        let max_uses = body.max_uses.unwrap_or(1);
        if !(1..=MAX_USES).contains(&max_uses) {
            return Err(ApiError::validation(
                "maxUses",
                format!("`maxUses` must be a whole number from 1 to {MAX_USES} (default 1)."),
            ));
        }
        let message = match body
            .message
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
        {
            Some(m) if m.chars().count() > MAX_MESSAGE_CHARS => {
                return Err(ApiError::validation(
                    "message",
                    format!("`message` must be at most {MAX_MESSAGE_CHARS} characters."),
                ))
            }
            Some(m) if m.chars().any(|c| c.is_control() && c != '\n') => {
                return Err(ApiError::validation(
                    "message",
                    "`message` is plain text: no control characters except line breaks.",
                ))
            }
            m => m,
        };
        let mut project_ids = Vec::new();
        for p in body.project_ids.unwrap_or_default() {
            let p = parse_project_id(&p)?;
            if !project_ids.contains(&p) {
                project_ids.push(p);
            }
        }
        if project_ids.len() > MAX_PROJECTS {
            return Err(ApiError::validation(
                "projectIds",
                format!("`projectIds` may name at most {MAX_PROJECTS} projects."),
            ));
        }
        Ok(Self {
            email,
            role,
            expires_in_days: expires_in_days as u32,
            max_uses: max_uses as u32,
            message,
            project_ids,
        })
    }
}

/// Sends (or re-sends) the email and records the outcome on the invitation. An SES failure
/// leaves the invitation in place with `emailStatus = failed`, ready for a resend.
async fn send_and_record(app: &App, org: &OrgItem, inv: &mut InvitationItem) -> ApiResult<()> {
    let code = code_of(app, inv)?;
    let link = link_of(app, &code);
    let email = InvitationEmail {
        to: inv.email.as_str(),
        org_name: &org.name,
        inviter: &inv.inviter_name,
        role: inv.role.as_str(),
        message: inv.message.as_deref(),
        expires_at: inv.expires_at,
        link: &link,
        project_count: inv.project_ids.len(),
    };
    let outcome = match &app.ses {
        Some(ses) => email.send(ses, &app.config.ses_from_address).await,
        None => Err(ApiError::internal(
            "this function was built without an SES client",
        )),
    };
    let now = Utc::now();
    let status = match &outcome {
        Ok(()) => EmailStatus::Sent,
        Err(e) => {
            tracing::warn!(invitation_id = %inv.invitation_id, cause = e.cause.as_deref().unwrap_or(""), "invitation email failed");
            EmailStatus::Failed
        }
    };
    let tx = app.store.tx().update(
        inv.key(),
        "SET emailStatus = :status, lastSentAt = :now",
        Some("attribute_exists(PK) AND sendCount = :count"),
        Expr::new()
            .v(":status", &status)?
            .s(":now", now.to_rfc3339())
            .n(":count", inv.send_count),
        ApiError::conflict(
            "concurrent_update",
            "The invitation changed while its email was sent.",
        ),
    )?;
    match app.store.commit(tx).await {
        Ok(()) => {
            inv.email_status = status;
            inv.last_sent_at = Some(now);
        }
        // A newer send or a revocation got there first; its record wins.
        Err(e) if e.status == 409 => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// `POST /orgs/{orgId}/invitations`
pub async fn create_invitation(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let req = NewInvitation::parse(input.json()?)?;
    ctx.require_can_grant(req.role)?;
    let org = &ctx.org;
    let (org_cond, org_expr) = seat_reservation(org, req.max_uses)?;

    let now = Utc::now();
    let id = InvitationId::new();
    let expires_at = now + Duration::days(i64::from(req.expires_in_days));
    let (gsi1pk, gsi1sk) = InvitationItem::invitee_index(&req.email, &now, &org.org_id, &id);
    let mut inv = InvitationItem {
        pk: keys::org_pk(&org.org_id),
        sk: keys::invitation_sk(&id),
        entity_type: "invitation".into(),
        gsi1pk: Some(gsi1pk),
        gsi1sk: Some(gsi1sk),
        invitation_id: id,
        org_id: org.org_id.clone(),
        email: req.email,
        role: req.role,
        project_ids: req.project_ids,
        max_uses: req.max_uses,
        uses: 0,
        revoked: false,
        expires_in_days: req.expires_in_days,
        expires_at,
        message: req.message,
        invited_by: ctx.caller.user_id.clone(),
        inviter_name: inviter_name(&ctx.caller),
        created_at: now,
        code_nonce: random_nonce()?,
        email_status: EmailStatus::Sending,
        send_count: 1,
        last_sent_at: None,
        ttl: InvitationItem::ttl_for(&expires_at),
    };
    let seat_error = match org.plan.seat_limit() {
        Some(limit) => seat_limit_error(org, limit, inv.max_uses),
        None => ApiError::conflict(
            "concurrent_update",
            "The organization changed meanwhile; retry.",
        ),
    };
    let tx = app
        .store
        .tx()
        .put_new(&inv, ApiError::internal("invitation id collision"))?
        .check(
            MemberEmailItem::key_of(&org.org_id, &inv.email),
            "attribute_not_exists(PK)",
            Expr::new(),
            ApiError::conflict("already_member", format!("{} already belongs to a member of this organization.", inv.email.as_str())),
        )?
        .update(org.key(), "SET pendingSeats = pendingSeats + :n, seatsUsed = seatsUsed + :n", Some(&org_cond), org_expr, seat_error)?
        .audit(ctx.audit(
            "invitation.created",
            "InvitationCreated",
            format!("invited {} as {} ({} use(s), {} day(s))", inv.email.as_str(), inv.role, inv.max_uses, inv.expires_in_days),
            json!({
                "invitationId": inv.invitation_id, "email": inv.email, "role": inv.role, "maxUses": inv.max_uses,
                "expiresAt": inv.expires_at, "projectIds": inv.project_ids,
            }),
        ))?;
    app.store.commit(tx).await?;
    send_and_record(&app, org, &mut inv).await?;
    Ok(Reply::created(invitation_view(&inv)))
}

/// `GET /orgs/{orgId}/invitations?status=&limit=&cursor=`
pub async fn list_invitations(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let wanted = input.query("status");
    if let Some(s) = wanted {
        if !["pending", "accepted", "expired", "revoked", "used_up"].contains(&s) {
            return Err(ApiError::validation(
                "status",
                "`status` must be one of pending, accepted, expired, revoked, used_up.",
            ));
        }
    }
    let page = app
        .store
        .org_invitations(ctx.org_id(), limit, input.cursor())
        .await?;
    let now = Utc::now();
    let items = page
        .items
        .iter()
        .filter(|i| wanted.is_none_or(|w| status_of(i, now) == w))
        .map(invitation_view)
        .collect();
    Ok(Reply::list(items, page.next_cursor))
}

fn the_invitation(ctx: &OrgCtx) -> ApiResult<&InvitationItem> {
    ctx.invitation
        .as_ref()
        .ok_or_else(crate::http::invitation_not_found)
}

fn not_pending(inv: &InvitationItem) -> ApiError {
    let status = status_of(inv, Utc::now());
    ApiError::conflict(
        "invitation_not_pending",
        format!("The invitation is {status}; only pending invitations can be used for this."),
    )
    .with("status", status)
}

/// `GET /orgs/{orgId}/invitations/{invitationId}/code`: the code and the link to copy.
pub async fn get_code(app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    let inv = the_invitation(&ctx)?;
    if status_of(inv, Utc::now()) != "pending" {
        return Err(not_pending(inv));
    }
    let code = code_of(&app, inv)?;
    Ok(Reply::ok(
        json!({ "invitationId": inv.invitation_id, "code": code, "url": link_of(&app, &code), "expiresAt": inv.expires_at }),
    ))
}

/// `POST /orgs/{orgId}/invitations/{invitationId}/resend`: a new expiry window and the email again,
/// at most once a minute (unless the last send failed) and `MAX_SENDS` times in all.
pub async fn resend(app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    let inv = the_invitation(&ctx)?;
    let now = Utc::now();
    if !matches!(status_of(inv, now), "pending" | "expired") {
        return Err(not_pending(inv));
    }
    if inv.send_count >= MAX_SENDS {
        return Err(ApiError::new(429, "resend_limit_reached", format!("This invitation was sent {MAX_SENDS} times, the most allowed; revoke it and invite again.")));
    }
    if inv.email_status != EmailStatus::Failed {
        if let Some(last) = inv.last_sent_at {
            let wait = RESEND_INTERVAL_SECS - (now - last).num_seconds();
            if wait > 0 {
                return Err(ApiError::new(
                    429,
                    "resend_too_soon",
                    format!("The invitation was sent less than a minute ago; retry in {wait} s."),
                )
                .retry_after(wait as u64));
            }
        }
    }
    let mut updated = inv.clone();
    updated.expires_at = now + Duration::days(i64::from(inv.expires_in_days));
    updated.ttl = InvitationItem::ttl_for(&updated.expires_at);
    updated.send_count = inv.send_count + 1;
    updated.email_status = EmailStatus::Sending;
    let tx = app
        .store
        .tx()
        .update(
            inv.key(),
            "SET expiresAt = :exp, #ttl = :ttl, sendCount = :next, emailStatus = :sending",
            Some("sendCount = :count AND revoked = :false AND uses < maxUses"),
            Expr::new()
                .s(":exp", updated.expires_at.to_rfc3339())
                .n(":ttl", updated.ttl)
                .n(":next", updated.send_count)
                .v(":sending", &EmailStatus::Sending)?
                .n(":count", inv.send_count)
                .v(":false", &false)?
                .name("#ttl", "ttl"),
            ApiError::conflict("concurrent_update", "The invitation changed meanwhile (another resend, a revocation or its last use); reload it."),
        )?
        .audit(ctx.audit(
            "invitation.resent",
            "InvitationResent",
            format!("resent the invitation of {}; expires {}", inv.email.as_str(), updated.expires_at.format("%Y-%m-%d")),
            json!({ "invitationId": inv.invitation_id, "expiresAt": { "before": inv.expires_at, "after": updated.expires_at } }),
        ))?;
    app.store.commit(tx).await?;
    send_and_record(&app, &ctx.org, &mut updated).await?;
    Ok(Reply::ok(invitation_view(&updated)))
}

/// `DELETE /orgs/{orgId}/invitations/{invitationId}`: revoke; its remaining seats are released.
pub async fn revoke(app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    let inv = the_invitation(&ctx)?;
    if inv.revoked || inv.uses >= inv.max_uses {
        return Err(not_pending(inv));
    }
    let remaining = remaining_uses(inv);
    let tx = app.store.tx().update(
        inv.key(),
        "SET revoked = :true REMOVE GSI1PK, GSI1SK",
        Some("revoked = :false AND uses = :uses"),
        Expr::new()
            .v(":true", &true)?
            .v(":false", &false)?
            .n(":uses", inv.uses),
        ApiError::conflict(
            "concurrent_update",
            "The invitation was used or revoked meanwhile; reload it.",
        ),
    )?;
    let tx = release_seats(tx, &ctx.org, remaining)?.audit(ctx.audit(
            "invitation.revoked",
            "InvitationRevoked",
            format!("revoked the invitation of {}", inv.email.as_str()),
            json!({ "invitationId": inv.invitation_id, "email": inv.email, "releasedSeats": remaining }),
        ))?;
    app.store.commit(tx).await?;
    Ok(Reply::no_content())
}

/// `POST /orgs/{orgId}/invitations/cleanup?cursor=`: removes expired, revoked and used-up
/// invitations among the next `CLEANUP_BATCH`, releasing the seats expired ones still held.
/// Answers how many it removed and, while there is more to examine, a `nextCursor`.
pub async fn cleanup(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let page = app
        .store
        .org_invitations(ctx.org_id(), CLEANUP_BATCH, input.cursor())
        .await?;
    let now = Utc::now();
    let mut tx = app.store.tx();
    let (mut removed, mut released) = (0u32, 0u32);
    for inv in &page.items {
        let status = status_of(inv, now);
        if status == "pending" {
            continue;
        }
        // Each delete re-checks the state it was decided on, so a resend or use meanwhile stops it.
        let (cond, expr) = match status {
            "expired" => (
                "revoked = :false AND uses = :uses AND expiresAt = :exp",
                Expr::new()
                    .v(":false", &false)?
                    .n(":uses", inv.uses)
                    .s(":exp", inv.expires_at.to_rfc3339()),
            ),
            _ => (
                "uses = :uses AND revoked = :revoked",
                Expr::new()
                    .n(":uses", inv.uses)
                    .v(":revoked", &inv.revoked)?,
            ),
        };
        tx = tx.delete(
            inv.key(),
            Some(cond),
            expr,
            ApiError::conflict(
                "concurrent_update",
                "An invitation changed during the cleanup; run it again.",
            ),
        )?;
        removed += 1;
        if status == "expired" {
            released += remaining_uses(inv);
        }
    }
    if removed > 0 {
        tx = release_seats(tx, &ctx.org, released)?.audit(ctx.audit(
                "invitations.cleaned_up",
                "InvitationsCleanedUp",
                format!("removed {removed} expired, revoked or used-up invitation(s); released {released} seat(s)"),
                json!({ "removed": removed, "releasedSeats": released }),
            ))?;
        app.store.commit(tx).await?;
    }
    Ok(Reply::ok(
        json!({ "removed": removed, "releasedSeats": released, "nextCursor": page.next_cursor }),
    ))
}

// ---------------------------------------------------------------------------------------------
// By code

/// Reads the invitation a code names (with its organization and, for accept, the caller's
/// membership) in ONE BatchGetItem, and checks the code and the invitation's state.
async fn load_by_code(
    app: &App,
    code: &str,
    caller: Option<&Caller>,
) -> ApiResult<(OrgItem, InvitationItem, Option<MemberItem>)> {
    let key = app.config.require_code_key()?;
    let (org_id, inv_id, mac) = parse_code(code).ok_or_else(invalid_invitation)?;
    let mut keys_wanted = vec![
        keys::key(keys::org_pk(&org_id), keys::ORG_SK),
        InvitationItem::key_of(&org_id, &inv_id),
    ];
    if let Some(c) = caller {
        keys_wanted.push(keys::key(
            keys::org_pk(&org_id),
            keys::member_sk(&c.user_id),
        ));
    }
    let (mut org, mut inv, mut member) = (None, None, None);
    for item in app.store.batch_get(keys_wanted).await? {
        match item
            .get("entity_type")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
        {
            Some("org") => org = Some(store::from_item::<OrgItem>(item)?),
            Some("invitation") => inv = Some(store::from_item::<InvitationItem>(item)?),
            Some("member") => member = Some(store::from_item::<MemberItem>(item)?),
            _ => {}
        }
    }
    let (Some(org), Some(inv)) = (org, inv) else {
        return Err(invalid_invitation());
    };
    let expected = code_mac(key, &inv.code_nonce)?;
    let mac_ok: bool = subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..]).into();
    if !mac_ok || status_of(&inv, Utc::now()) != "pending" || org.status != OrgStatus::Active {
        return Err(invalid_invitation());
    }
    Ok((org, inv, member))
}

/// `GET /invitations/{code}`: what the accept page shows.
pub async fn preview(app: App, _caller: Caller, input: Input) -> ApiResult<Reply> {
    let (org, inv, _) = load_by_code(&app, input.path_param("code"), None).await?;
    Ok(Reply::ok(json!({
        "orgId": org.org_id,
        "orgName": org.name,
        "orgSlug": org.slug,
        "role": if inv.project_ids.is_empty() { inv.role } else { Role::Guest },
        "projectRole": (!inv.project_ids.is_empty()).then_some(inv.role),
        "projectIds": inv.project_ids,
        "inviterName": inv.inviter_name,
        "message": inv.message,
        "expiresAt": inv.expires_at,
        "emailBound": inv.max_uses == 1,
        "usesLeft": remaining_uses(&inv),
    })))
}

/// `POST /invitations/{code}/accept`: one read, then one transaction that uses the invitation
/// (`uses < maxUses`, not revoked, not expired), creates the membership (and project grants),
/// keeps the seat counters and appends the audit entry; the organization must be active.
pub async fn accept(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let (org, inv, existing) = load_by_code(&app, input.path_param("code"), Some(&caller)).await?;
    let already = || {
        ApiError::conflict(
            "already_member",
            format!("You are already a member of {}; nothing changed.", org.name),
        )
        .with("orgId", org.org_id.as_str())
    };
    if existing.is_some() {
        return Err(already());
    }
    if inv.max_uses == 1 && caller.verified_email() != Some(&inv.email) {
        return Err(ApiError::new(
            403,
            "invitation_email_mismatch",
            "This invitation is for another email address. Sign in with the invited address (verified) to accept it.",
        ));
    }
    let now = Utc::now();
    let org_role = if inv.project_ids.is_empty() {
        inv.role
    } else {
        Role::Guest
    };
    let mut member = MemberItem::new(
        &org.org_id,
        &caller.user_id,
        caller.verified_email().cloned(),
        caller.name.clone(),
        org_role,
        now,
    );
    let grants: Vec<GrantItem> = inv
        .project_ids
        .iter()
        .map(|p| {
            GrantItem::for_user(
                &org.org_id,
                p,
                &caller.user_id,
                inv.role,
                &inv.invited_by,
                now,
            )
        })
        .collect();
    member.refs = grants.iter().map(|g| g.sk.clone()).collect();
    member.project_roles = grants
        .iter()
        .map(|g| (g.project_id.clone(), g.role))
        .collect();

    let mut tx = app
        .store
        .tx()
        .update(
            inv.key(),
            "SET uses = uses + :one",
            Some("uses < maxUses AND revoked = :false AND expiresAt > :now"),
            Expr::new()
                .n(":one", 1)
                .v(":false", &false)?
                .s(":now", now.to_rfc3339()),
            invalid_invitation(),
        )?
        .put_new(&member, already())?;
    if let Some(email) = member.email_item() {
        tx = tx.put_new(
            &email,
            ApiError::conflict(
                "already_member",
                "A member of this organization already has your email address; nothing changed.",
            ),
        )?;
    }
    let (active, expr) = store::org_active();
    tx = tx.update(
        org.key(),
        "SET memberCount = memberCount + :one, pendingSeats = pendingSeats - :one",
        Some(&format!("{active} AND pendingSeats >= :one")),
        expr.n(":one", 1),
        invalid_invitation(),
    )?;
    for g in &grants {
        tx = tx.put(
            g,
            None,
            Expr::new(),
            ApiError::internal("grant write failed"),
        )?;
    }
    let tx = tx.audit(crate::store::AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: caller.user_id.clone(),
        action: "member.joined",
        event_type: "MemberJoined",
        at: now,
        summary: format!("{} joined as {} (invited by {})", caller.user_id.as_str(), org_role, inv.inviter_name),
        details: json!({ "userId": caller.user_id, "role": org_role, "invitationId": inv.invitation_id, "invitedBy": inv.invited_by, "projectIds": inv.project_ids, "projectRole": inv.role }),
    })?;
    // The invitation's ConditionalCheckFailed (used up meanwhile) and an organization closed
    // meanwhile both answer with the one refusal.
    app.store.commit(tx).await?;
    let mut view = crate::members::member_view(&member);
    view["orgId"] = json!(org.org_id);
    view["orgName"] = json!(org.name);
    view["projectGrants"] = json!(grants
        .iter()
        .map(|g| json!({ "projectId": g.project_id, "role": g.role }))
        .collect::<Vec<_>>());
    Ok(Reply::created(view))
}

/// `GET /me/invitations`: pending invitations addressed to my verified email, with their codes.
pub async fn list_mine(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let Some(email) = caller.verified_email() else {
        return Err(ApiError::new(
            403,
            "email_not_verified",
            "Verify your email address to see the invitations sent to it.",
        ));
    };
    let partition = keys::invitee_pk(email);
    let mut q = QuerySpec::new(&partition, SortCond::Any, limit).after(input.cursor())?;
    q.index = Some("GSI1");
    q.filter = Some("uses < maxUses AND revoked = :false AND expiresAt > :now");
    q.expr = Expr::new()
        .v(":false", &false)?
        .s(":now", Utc::now().to_rfc3339());
    let page = app.store.page_of::<InvitationItem>(q).await?;
    let orgs: Vec<OrgItem> = app
        .store
        .batch_get(dedup(
            page.items
                .iter()
                .map(|i| keys::key(keys::org_pk(&i.org_id), keys::ORG_SK)),
        ))
        .await?
        .into_iter()
        .map(store::from_item)
        .collect::<ApiResult<_>>()?;
    let mut items = Vec::new();
    for inv in &page.items {
        let Some(org) = orgs
            .iter()
            .find(|o| o.org_id == inv.org_id && o.status == OrgStatus::Active)
        else {
            continue;
        };
        let code = code_of(&app, inv)?;
        items.push(json!({
            "invitationId": inv.invitation_id,
            "orgId": org.org_id,
            "orgName": org.name,
            "role": if inv.project_ids.is_empty() { inv.role } else { Role::Guest },
            "projectIds": inv.project_ids,
            "inviterName": inv.inviter_name,
            "message": inv.message,
            "expiresAt": inv.expires_at,
            "code": code,
            "url": link_of(&app, &code),
        }));
    }
    Ok(Reply::list(items, page.next_cursor))
}

fn dedup(keys: impl Iterator<Item = store::Item>) -> Vec<store::Item> {
    let mut out: Vec<store::Item> = Vec::new();
    for k in keys {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_48_bytes_and_garbage_is_rejected() {
        assert!(parse_code("short").is_none());
        assert!(parse_code(&"!".repeat(64)).is_none(), "not base64url");
        // All-zero ids are well-formed; such a code is refused when no invitation has that key.
        assert!(parse_code(&"A".repeat(64)).is_some());
        let org = OrgId::new();
        let inv = InvitationId::new();
        let mut raw = Vec::new();
        raw.extend_from_slice(&id_bytes(&org.as_str()[4..]).unwrap());
        raw.extend_from_slice(&id_bytes(&inv.as_str()[4..]).unwrap());
        raw.extend_from_slice(&[7u8; 16]);
        let code = B64.encode(&raw);
        assert_eq!(code.len(), 64);
        let (o, i, mac) = parse_code(&code).unwrap();
        assert_eq!((o, i, mac), (org, inv, [7u8; 16]));
    }

    #[test]
    fn mac_depends_on_key_and_nonce() {
        let a = code_mac(b"key-one-0123456789", "n1").unwrap();
        assert_ne!(a, code_mac(b"key-two-0123456789", "n1").unwrap());
        assert_ne!(a, code_mac(b"key-one-0123456789", "n2").unwrap());
        assert_eq!(a, code_mac(b"key-one-0123456789", "n1").unwrap());
    }
}
