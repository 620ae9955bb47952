//! The join paths a verified domain opens to people with a verified email there:
//! - `automatic_invitation`: a pending invitation in `GET /me/invitations`, accepted like any
//!   other by its code (`POST /invitations/{code}/accept`). Its code is the invitation code
//!   format over the enrollment's own invitation id and nonce, so a copy of the table cannot
//!   make one, and setting the enrollment again (or removing the domain) retires it.
//! - `automatic_suggestion`: a suggestion in `GET /me/organization-suggestions`; the person asks
//!   (`POST /orgs/{orgId}/membership-requests`) and an admin approves or rejects.
//!
//! Both join in [`super::join::join`]'s one transaction.

use super::block::{BlockReason, JoinBlockItem};
use super::entry::EnrollmentMode;
use super::join::{self, enrollment_for, enrollment_role, verified_by, Joiner};
use super::request::{MembershipRequestItem, RequestStatus};
use super::views::SuggestionView;
use crate::access::Ctx;
use crate::audit::{AuditEntry, Audited};
use crate::auth::Caller;
use crate::domain::{Email, OrgId, RequestId, Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::members::views::MemberView;
use crate::orgs::item::OrgItem;
use crate::pipeline::{Input, Reply};
use crate::store::{entity_type, from_item, Entity};
use crate::App;
use serde::Serialize;
use serde_json::json;

fn verified_email(caller: &Caller, what: &str) -> ApiResult<Email> {
    caller.verified_email().cloned().ok_or_else(|| {
        ApiError::new(
            Code::EmailNotVerified,
            format!("Verify your email address to {what}: only a verified address counts for an organization's domain."),
        )
    })
}

fn no_suggestion() -> ApiError {
    ApiError::new(
        Code::OrgNotFound,
        "No organization with this id suggests itself to your verified email's domain; GET /me/organization-suggestions lists those that do.",
    )
}

fn enrollment_changed() -> ApiError {
    ApiError::concurrent(
        "The organization's domain or its enrollment changed meanwhile; nothing changed. Reload and retry.",
    )
}

/// What the caller's own read found: the organization, whether they are a member, their request.
struct Mine {
    org: Option<OrgItem>,
    member: bool,
    request: Option<MembershipRequestItem>,
    /// An admin removed them or rejected their request: no automatic path until invited.
    blocked: bool,
}

async fn read_mine(app: &App, org: &OrgId, user: &UserId) -> ApiResult<Mine> {
    let keys = vec![
        OrgItem::key_of(org),
        MemberItem::key_of(org, user),
        MembershipRequestItem::key_of(org, &RequestId::of(org, user)),
        JoinBlockItem::key_of(org, user),
    ];
    let mut mine = Mine {
        org: None,
        member: false,
        request: None,
        blocked: false,
    };
    for item in app.store.batch_get(keys).await? {
        match entity_type(&item) {
            Some(OrgItem::TYPE) => mine.org = Some(from_item(item)?),
            Some(MemberItem::TYPE) => mine.member = true,
            Some(MembershipRequestItem::TYPE) => mine.request = Some(from_item(item)?),
            Some(JoinBlockItem::TYPE) => mine.blocked = true,
            _ => {}
        }
    }
    Ok(mine)
}

/// `GET /me/organization-suggestions`: the organization that verified my verified email's
/// domain and suggests itself there (at most one: a domain is one organization's), unless I am
/// a member. Two requests: the domain's item, then the organization with my membership.
pub async fn list_suggestions(app: App, caller: Caller, _input: Input) -> ApiResult<Reply> {
    let email = verified_email(&caller, "see the organizations of your domain")?;
    let mut items = Vec::new();
    if let Some(org_id) = verified_by(&app, &email).await? {
        let mine = read_mine(&app, &org_id, &caller.user_id).await?;
        if let (Some(org), false, false) = (&mine.org, mine.member, mine.blocked) {
            if let Some((domain, _, e)) =
                enrollment_for(org, &email, EnrollmentMode::AutomaticSuggestion)
            {
                let requested = mine
                    .request
                    .as_ref()
                    .is_some_and(|r| r.blocks_new(Timestamp::now()));
                items.push(SuggestionView::new(org, &domain, &e.role, requested));
            }
        }
    }
    Ok(Reply::list(items, None))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub id: RequestId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub email: Email,
    pub display_name: Option<String>,
    pub domain: String,
    pub status: RequestStatus,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

impl RequestView {
    pub fn new(r: &MembershipRequestItem) -> Self {
        Self {
            id: r.request_id.clone(),
            org_id: r.org_id.clone(),
            user_id: r.user_id.clone(),
            email: r.email.clone(),
            display_name: r.display_name.clone(),
            domain: r.domain.clone(),
            status: r.status,
            created_at: r.created_at,
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at,
        }
    }
}

/// `POST /orgs/{orgId}/membership-requests`: asks to join an organization that suggests itself
/// to my verified email's domain. One read (the organization, my membership, my request), one
/// transaction (the request, the domain's entry as read, the audit entry).
pub async fn request_membership(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(no_suggestion)?;
    let email = verified_email(&caller, "ask to join an organization")?;
    let mine = read_mine(&app, &org_id, &caller.user_id).await?;
    let Some(org) = mine.org else {
        return Err(no_suggestion());
    };
    let Some((domain, entry, _)) =
        enrollment_for(&org, &email, EnrollmentMode::AutomaticSuggestion)
    else {
        return Err(no_suggestion());
    };
    if mine.member {
        return Err(ApiError::already_member(&org.name, org.org_id.as_str()));
    }
    let now = Timestamp::now();
    let exists = || {
        ApiError::new(
            Code::MembershipRequestExists,
            "You asked to join this organization already: wait for an admin's answer (a rejected request can be made again 30 days later).",
        )
    };
    if mine.request.as_ref().is_some_and(|r| r.blocks_new(now)) {
        return Err(exists());
    }
    // Removed or rejected by an admin: the organization suggests nothing to them until invited.
    if mine.blocked {
        return Err(no_suggestion());
    }
    if org.require_mfa && !caller.second_factor {
        return Err(ApiError::mfa_required());
    }
    org.require_allowed_email(&email, "email")?;
    let request = MembershipRequestItem::new(
        &org.org_id,
        &caller.user_id,
        &email,
        caller.name.clone(),
        &domain,
        now,
    );
    let tx = request.create(app.store.tx(), now, exists())?;
    let tx = request.count_today(tx, now)?;
    let tx = JoinBlockItem::require_absent(tx, &org.org_id, &caller.user_id, no_suggestion())?;
    let tx = org.guard_domain(tx, &domain, entry, enrollment_changed())?;
    let tx = org.guard_active(tx)?;
    let tx = tx.audit(AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: caller.user_id.clone(),
        actor_kind: caller.actor_kind(),
        action: "membership_request.created",
        event_type: "MembershipRequested",
        at: now,
        summary: format!("{} asked to join (verified email at {})", caller.user_id.as_str(), domain.as_str()),
        details: json!({ "requestId": request.request_id, "userId": caller.user_id, "domain": domain.as_str() }),
    })?;
    app.commit(tx, Reply::created(&RequestView::new(&request)))
        .await
}

/// `GET /orgs/{orgId}/membership-requests`: one Query per page (pending, and rejected ones
/// within their 30 days).
pub async fn list_requests(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = MembershipRequestItem::page_of_org(ctx.org_id(), input.limit()?, input.cursor())?;
    let page = app.store.page_of::<MembershipRequestItem>(q).await?;
    Ok(Reply::list(
        page.items.iter().map(RequestView::new).collect(),
        page.next_cursor,
    ))
}

fn pending(r: &MembershipRequestItem) -> ApiResult<()> {
    if r.status == RequestStatus::Pending {
        return Ok(());
    }
    Err(ApiError::new(
        Code::InvitationNotPending,
        "This request was rejected already; nothing changed.",
    ))
}

fn decided_meanwhile() -> ApiError {
    ApiError::concurrent("The request was approved or rejected meanwhile; reload.")
}

/// `POST /orgs/{orgId}/membership-requests/{requestId}/approve`: the requester joins with the
/// enrollment's role, through the join's one transaction (seats, the domain still verified with
/// this enrollment, the allowed domains, the approver's own access), and the request goes.
pub async fn approve_request(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let request: MembershipRequestItem = ctx.subject()?;
    pending(&request)?;
    let Some((domain, entry, enrollment)) = enrollment_for(
        &ctx.org,
        &request.email,
        EnrollmentMode::AutomaticSuggestion,
    ) else {
        return Err(ApiError::new(
            Code::EnrollmentLapsed,
            format!("The organization no longer suggests itself at {}: the domain is no longer verified, its enrollment is no longer automatic_suggestion, or the role it gives was deleted or grew beyond editor's permissions since it was set. Verify the domain and set its enrollment again, or reject the request.", request.domain),
        ));
    };
    let role = enrollment_role(&ctx.org, enrollment)?;
    ctx.require_can_grant(&role)?;
    let lapsed = ApiError::new(
        Code::EnrollmentLapsed,
        format!("The enrollment of {} was set by someone who no longer holds a role that may give its role (removed, or their role changed); an admin must set it again before requests through it are approved.", request.domain),
    );
    let joiner = Joiner {
        user_id: &request.user_id,
        email: &request.email,
        name: request.display_name.clone(),
    };
    join::check(&ctx.org, &joiner, ApiError::org_closed())?;
    let now = Timestamp::now();
    let tx = request.approved(ctx.tx()?, decided_meanwhile())?;
    let tx = join::require_setter_holds(tx, &ctx.org, enrollment, &role, lapsed)?;
    let (tx, member) = join::join(
        tx,
        &ctx.seats()?,
        &domain,
        entry,
        &role,
        &joiner,
        (ctx.user_id(), ctx.caller.actor_kind()),
        "request approved",
        now,
        enrollment_changed(),
    )?;
    let tx = tx.audit(ctx.audit(
        "membership_request.approved",
        "MembershipRequestApproved",
        format!("approved {}'s request to join as {}", request.user_id.as_str(), role.name),
        json!({ "requestId": request.request_id, "userId": request.user_id, "role": role.role, "domain": domain.as_str() }),
    ))?;
    app.commit(tx, Reply::created(&MemberView::new(&member, &ctx.org)))
        .await
}

/// `POST /orgs/{orgId}/membership-requests/{requestId}/reject`: kept 30 days, so the person
/// cannot ask again at once.
pub async fn reject_request(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let mut request: MembershipRequestItem = ctx.subject()?;
    pending(&request)?;
    let now = Timestamp::now();
    let tx = request.rejected(ctx.tx()?, ctx.user_id(), now, decided_meanwhile())?;
    // Rejected: kept out of the automatic paths (an automatic invitation too, if the mode
    // changes) until an admin invites them.
    let tx = JoinBlockItem::new(
        ctx.org_id(),
        &request.user_id,
        BlockReason::RequestRejected,
        ctx.user_id(),
        now,
    )
    .write(tx)?;
    let tx = tx.audit(ctx.audit(
        "membership_request.rejected",
        "MembershipRequestRejected",
        format!("rejected {}'s request to join", request.user_id.as_str()),
        json!({ "requestId": request.request_id, "userId": request.user_id, "domain": request.domain }),
    ))?;
    request.status = RequestStatus::Rejected;
    request.decided_by = Some(ctx.user_id().clone());
    request.decided_at = Some(now);
    app.commit(tx, Reply::ok(&RequestView::new(&request))).await
}
