//! Creating an invitation and sending (or re-sending) its email.

use super::code::{code_of, link_of};
use super::item::{EmailStatus, InvitationItem, InvitationTerms};
use super::views::InvitationView;
use crate::access::Ctx;
use crate::audit::Audited;
use crate::auth::Caller;
use crate::body::{Parse, Parsed};
use crate::domain::random_nonce;
use crate::domain::{refuse_spoofing, Email, Timestamp};
use crate::domain::{ProjectId, ProjectIds};
use crate::email::InvitationEmail;
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberEmailItem;
use crate::orgs::item::OrgItem;
use crate::permissions::{Role, RoleAsked};
use crate::pipeline::{Input, Reply};
use crate::projects::item::ProjectItem;
use crate::roles::HeldRole;
use crate::subscription;
use crate::App;
use serde::Deserialize;
use serde_json::json;

pub const MAX_MESSAGE_CHARS: usize = 1000;
pub const MAX_PROJECTS: usize = 50;
// An invitation's projects become the member's direct grants when it is accepted.
const _: () = assert!(MAX_PROJECTS <= crate::limits::GRANTS_PER_MEMBER);
pub const MAX_USES: i64 = 1000;
/// Uses of an invitation when `maxUses` is not given.
pub const DEFAULT_MAX_USES: i64 = 1;
/// The invitation window: `expiresInDays` from the first to the last, the default when not given.
pub const EXPIRES_IN_DAYS: (i64, i64) = (1, 30);
pub const DEFAULT_EXPIRES_IN_DAYS: i64 = 7;

/// `POST /orgs/{orgId}/invitations`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInvitation {
    email: Parsed<Email>,
    role: Parsed<RoleAsked>,
    /// Days until the invitation expires (default 7): it is valid until the end of that day, at
    /// the next UTC midnight.
    expires_in_days: Option<Parsed<InvitationDays>>,
    /// How many people can join with it (default 1).
    max_uses: Option<Parsed<MaxUses>>,
    /// Plain text, shown in the email.
    message: Option<Parsed<InvitationMessage>>,
    /// Projects the invitee is granted (their role then applies on these projects only, as a
    /// guest of the organization).
    project_ids: Option<Parsed<ProjectIds<MAX_PROJECTS>>>,
}

/// `expiresInDays`: from the first to the last day of `EXPIRES_IN_DAYS`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvitationDays(u32);

impl Default for InvitationDays {
    fn default() -> Self {
        Self(DEFAULT_EXPIRES_IN_DAYS as u32)
    }
}

impl Parse for InvitationDays {
    type Raw = i64;
    fn parse(field: &str, raw: i64) -> ApiResult<Self> {
        let (first, last) = EXPIRES_IN_DAYS;
        if !(first..=last).contains(&raw) {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be a whole number from {first} to {last} (default {DEFAULT_EXPIRES_IN_DAYS})."),
            ));
        }
        Ok(Self(raw as u32))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let (first, last) = EXPIRES_IN_DAYS;
        json!({ "type": "integer", "minimum": first, "maximum": last })
    }
}

/// `maxUses`: 1 to `MAX_USES`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxUses(u32);

impl Default for MaxUses {
    fn default() -> Self {
        Self(DEFAULT_MAX_USES as u32)
    }
}

impl Parse for MaxUses {
    type Raw = i64;
    fn parse(field: &str, raw: i64) -> ApiResult<Self> {
        if !(1..=MAX_USES).contains(&raw) {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be a whole number from 1 to {MAX_USES} (default {DEFAULT_MAX_USES})."),
            ));
        }
        Ok(Self(raw as u32))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "integer", "minimum": 1, "maximum": MAX_USES })
    }
}

/// The invitation's message: plain text up to `MAX_MESSAGE_CHARS`, trimmed; blank is none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvitationMessage(Option<String>);

impl Parse for InvitationMessage {
    type Raw = String;
    fn parse(field: &str, raw: String) -> ApiResult<Self> {
        let m = raw.trim();
        if m.is_empty() {
            return Ok(Self(None));
        }
        if m.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be at most {MAX_MESSAGE_CHARS} characters."),
            ));
        }
        if m.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ApiError::validation(
                field,
                format!("`{field}` is plain text: no control characters except line breaks."),
            ));
        }
        refuse_spoofing(field, m)?;
        Ok(Self(Some(m.to_string())))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "string", "maxLength": MAX_MESSAGE_CHARS })
    }
}

impl CreateInvitation {
    fn into_terms(self, org: &OrgItem) -> ApiResult<(InvitationTerms, HeldRole)> {
        let held = org.role_asked("role", &self.role.0 .0)?;
        if held.is(Role::Owner) {
            return Err(ApiError::validation(
                "role",
                "Nobody is invited as owner; invite them as admin and transfer ownership.",
            ));
        }
        Ok((
            InvitationTerms {
                email: self.email.into_inner(),
                role: held.role.clone(),
                expires_in_days: self.expires_in_days.unwrap_or_default().0 .0,
                max_uses: self.max_uses.unwrap_or_default().0 .0,
                message: self.message.unwrap_or_default().0 .0,
                project_ids: self
                    .project_ids
                    .unwrap_or_default()
                    .0
                     .0
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            },
            held,
        ))
    }
}

/// The inviter as the email names them, and their display name alone.
fn inviter_names(caller: &Caller) -> (String, Option<String>) {
    let shown = caller
        .name
        .clone()
        .or_else(|| caller.email.as_ref().map(|e| e.as_str().to_string()))
        .unwrap_or_else(|| caller.user_id.as_str().to_string());
    (shown, caller.name.clone())
}

/// Sends (or re-sends) the email and records the outcome on the invitation. An SES failure
/// leaves the invitation in place with `emailStatus = failed`, ready for a resend.
pub(super) async fn send_and_record(
    app: &App,
    org: &OrgItem,
    inv: &mut InvitationItem,
) -> ApiResult<()> {
    let code = code_of(app, inv)?;
    let link = link_of(app, &code);
    let email = InvitationEmail {
        to: inv.email.as_str(),
        org_name: &org.name,
        inviter: &inv.inviter_name,
        role: &org.role_name(&inv.role),
        message: inv.message.as_deref(),
        expires_at: inv.expires_at.as_datetime(),
        link: &link,
        project_count: inv.project_ids.len(),
    };
    let outcome = match &app.ses {
        Some(ses) => email.send(ses, &app.config).await,
        None => Err(ApiError::internal(
            "this function was built without an SES client",
        )),
    };
    let now = Timestamp::now();
    let status = match &outcome {
        Ok(()) => EmailStatus::Sent,
        Err(e) => {
            tracing::warn!(invitation_id = %inv.invitation_id, cause = e.cause.as_deref().unwrap_or(""), "invitation email failed");
            EmailStatus::Failed
        }
    };
    let tx = inv.record_send(
        app.store.tx(),
        status,
        now,
        ApiError::concurrent("The invitation changed while its email was sent."),
    )?;
    match app.store.commit(tx).await {
        Ok(()) => {
            inv.email_status = status;
            inv.last_sent_at = Some(now);
        }
        // A newer send or a revocation got there first; its record wins.
        Err(e) if e.code == Code::ConcurrentUpdate => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// `POST /orgs/{orgId}/invitations`: one transaction writes the invitation, checks the address
/// is no member's, reserves its seats and appends the audit entry; then the email goes out.
pub async fn create_invitation(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateInvitation = input.json()?;
    let (terms, held) = body.into_terms(&ctx.org)?;
    ctx.org.require_allowed_email(&terms.email, "email")?;
    ctx.require_can_grant(&held)?;
    if !terms.project_ids.is_empty() {
        // Project grants are made by those who manage project access (org-wide).
        ctx.require(crate::permissions::Permission::ProjectsAccessManage)?;
        ctx.require_can_grant_in_projects(&held)?;
    }
    let org = &ctx.org;
    let now = Timestamp::now();
    let mut inv = InvitationItem::new(
        &org.org_id,
        terms,
        ctx.user_id(),
        match &ctx.actor {
            // The email names the key (its name, which admins chose) and says what it is.
            crate::access::Actor::Key(key) => (format!("{} (an API key)", key.name.as_str()), None),
            crate::access::Actor::Member(_) => inviter_names(&ctx.caller),
        },
        random_nonce()?,
        now,
    );
    let tx = inv.create(ctx.tx()?)?;
    let tx = MemberEmailItem::require_absent(
        tx,
        &org.org_id,
        &inv.email,
        ApiError::new(
            Code::AlreadyMember,
            format!(
                "{} already belongs to a member of this organization.",
                inv.email.as_str()
            ),
        ),
    )?;
    // The domain rule as read, checked again by the database when the invitation is written.
    let tx = org.guard_email_domain(
        tx,
        Some(&inv.email),
        ApiError::concurrent("The organization's allowed email domains changed meanwhile; retry."),
    )?;
    let mut tx = subscription::reserve_seats(tx, &ctx.seats()?, &inv.hold(), now)?;
    // Each named project must exist when the invitation is written.
    for p in inv.project_ids.iter().filter_map(|p| ProjectId::parse(p)) {
        tx = ProjectItem::require_exists(tx, &org.org_id, &p)?;
    }
    let tx = super::count_email(tx, &app.config, org, &inv.email, now)?
        .audit(ctx.audit(
            "invitation.created",
            "InvitationCreated",
            format!("invited {} as {} ({} use(s), {} day(s))", inv.email.as_str(), held.name, inv.max_uses, inv.expires_in_days),
            json!({
                "invitationId": inv.invitation_id, "email": inv.email, "role": inv.role, "maxUses": inv.max_uses,
                "expiresAt": inv.expires_at, "projectIds": inv.project_ids,
            }),
        ))?;
    // Under an Idempotency-Key the answer recorded is the invitation as committed (its email
    // not sent yet); this answer also says how the sending went.
    app.commit(tx, Reply::created(&InvitationView::new(&inv, org, now)))
        .await?;
    send_and_record(&app, org, &mut inv).await?;
    Ok(Reply::created(&InvitationView::new(
        &inv,
        org,
        Timestamp::now(),
    )))
}
