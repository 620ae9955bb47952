//! Joining through a verified domain, the one transaction both paths commit (an automatic
//! invitation accepted, a membership request approved): the membership, a free seat under the
//! plan, the domain's entry as read (still verified, the enrollment unchanged), the role's count,
//! the allowed-domain rule and the audit entry. The same rules as an invitation's accept. And what
//! an invitation's code path needs of a domain: the organization that verified an email's domain,
//! the automatic invitation it offers, accepting it.

use super::block::JoinBlockItem;
use super::entry::{Enrollment, EnrollmentMode, OrgDomain};
use super::item::DomainClaimItem;
use super::name::DomainName;
use crate::audit::{AuditEntry, Audited};
use crate::auth::Caller;
use crate::domain::{Email, OrgId, Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::orgs::settings::OrgStatus;
use crate::permissions::{Permission, Role, RoleRef};
use crate::roles::{HeldRole, Holder};
use crate::store::Tx;
use crate::App;
use serde_json::json;

/// Who joins: a verified email at the domain, their id and display name.
pub struct Joiner<'a> {
    pub user_id: &'a UserId,
    pub email: &'a Email,
    pub name: Option<String>,
}

/// The verified domain an email is at (exact: a subdomain is its own domain), if it can be one.
pub fn domain_of(email: &Email) -> Option<DomainName> {
    DomainName::parse("email", email.domain()).ok()
}

/// The most a domain gives: editor's permissions (nobody administers an organization by owning
/// an address). Checked when an enrollment is set and again whenever it is used.
pub fn domain_bound() -> HeldRole {
    HeldRole::system(Role::Editor)
}

/// The enrollment's role as the organization defines it now, still within [`domain_bound`]: a
/// custom role deleted or widened since refuses the join until an admin sets the enrollment
/// again.
pub fn enrollment_role(org: &OrgItem, e: &Enrollment) -> ApiResult<HeldRole> {
    let held = org.resolve(&e.role).ok_or_else(|| {
        ApiError::new(
            Code::RoleNotFound,
            "The role this domain's enrollment gives no longer exists; an admin must set the enrollment again (PUT /orgs/{orgId}/domains/{domain}/enrollment).",
        )
    })?;
    if !domain_bound().covers(&held) {
        return Err(ApiError::new(
            Code::EnrollmentLapsed,
            format!("The role {} this domain's enrollment gives has grown beyond what a domain gives (editor's permissions) since the enrollment was set; an admin must set the enrollment again (PUT /orgs/{{orgId}}/domains/{{domain}}/enrollment).", held.name),
        ));
    }
    Ok(held)
}

/// Rights do not outlive their holder: whoever set the enrollment still holds a role that may
/// set it (`verified_domains.manage`) and covers its role as it is now, when the join commits
/// (decided on the organization's roles as read, which must not change before then).
pub fn require_setter_holds(
    tx: Tx,
    org: &OrgItem,
    enrollment: &Enrollment,
    role: &HeldRole,
    on_fail: ApiError,
) -> ApiResult<Tx> {
    let may_set: Vec<RoleRef> = org
        .roles()
        .filter(|r| r.has(Permission::VerifiedDomainsManage) && r.covers(role))
        .map(|r| r.role)
        .collect();
    let tx = MemberItem::require_role_in(
        tx,
        &org.org_id,
        &enrollment.set_by,
        &may_set,
        on_fail.clone(),
    )?;
    if org.custom_roles.any() {
        org.guard_roles_unchanged(tx, on_fail)
    } else {
        Ok(tx)
    }
}

/// What is refused before any write: a closed organization, an address outside the allowed
/// domains.
pub fn check(org: &OrgItem, joiner: &Joiner<'_>, closed: ApiError) -> ApiResult<()> {
    if org.status != OrgStatus::Active {
        return Err(closed);
    }
    org.require_allowed_email(joiner.email, "email")
}

/// The join's transaction (`tx` may hold the caller's guard); `changed` answers the domain's
/// entry or the allowed domains changed meanwhile (unverified, removed, another enrollment);
/// the last seat taken meanwhile answers 402. Returns it with the member.
#[allow(clippy::too_many_arguments)]
pub fn join(
    tx: Tx,
    seats: &crate::orgs::item::Seats<'_>,
    domain: &DomainName,
    entry: &OrgDomain,
    role: &HeldRole,
    joiner: &Joiner<'_>,
    (actor, actor_kind): (&UserId, crate::audit::ActorKind),
    how: &str,
    now: Timestamp,
    changed: ApiError,
) -> ApiResult<(Tx, MemberItem)> {
    let org = seats.org;
    let member = MemberItem::new(
        &org.org_id,
        joiner.user_id,
        Some(joiner.email.clone()),
        joiner.name.clone(),
        role.role.clone(),
        now,
    );
    let already = ApiError::new(
        Code::AlreadyMember,
        format!(
            "{} is already a member of {}; nothing changed.",
            joiner.user_id.as_str(),
            org.name
        ),
    )
    .with("orgId", org.org_id.as_str());
    let tx = member.join(
        tx,
        already,
        ApiError::new(
            Code::AlreadyMember,
            "A member of this organization already has this email address; nothing changed.",
        ),
    )?;
    let tx = crate::subscription::take_free_seat(tx, seats, now)?;
    let tx = org.guard_domain(tx, domain, entry, changed.clone())?;
    let tx = org.guard_email_domain(tx, Some(joiner.email), changed)?;
    let tx = org.count_holders(tx, &[(&role.role, Holder::Members, 1)])?;
    let tx = tx.audit(AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: actor.clone(),
        actor_kind,
        action: "member.joined",
        event_type: "MemberJoined",
        at: now,
        summary: format!(
            "{} joined as {} ({how} at {})",
            joiner.user_id.as_str(),
            role.name,
            domain.as_str()
        ),
        details: json!({ "userId": joiner.user_id, "role": role.role, "domain": domain.as_str(), "via": how }),
    })?;
    Ok((tx, member))
}

/// The organization that verified `email`'s domain, with the domain, its entry as read and the
/// enrollment in force in `mode`, if any.
pub fn enrollment_for<'a>(
    org: &'a OrgItem,
    email: &Email,
    mode: EnrollmentMode,
) -> Option<(DomainName, &'a OrgDomain, &'a Enrollment)> {
    let domain = domain_of(email)?;
    let entry = org.domains.get(&domain)?;
    let enrollment = entry.enrollment_in_force(mode)?;
    // An enrollment whose role grew beyond a domain's bound (or went) offers nothing.
    (org.status == OrgStatus::Active && enrollment_role(org, enrollment).is_ok())
        .then_some((domain, entry, enrollment))
}

/// The organization id of the uniqueness item of `email`'s domain (one request), if verified.
pub async fn verified_by(app: &App, email: &Email) -> ApiResult<Option<OrgId>> {
    let Some(domain) = domain_of(email) else {
        return Ok(None);
    };
    let claim: Vec<DomainClaimItem> = app
        .store
        .batch_get_as(vec![DomainClaimItem::key_of(&domain)])
        .await?;
    Ok(claim.into_iter().next().map(|c| c.org_id))
}

/// The automatic invitation `org` offers the caller, if its domain is theirs (the organization
/// as read, active, the domain verified with `automatic_invitation`).
pub fn automatic_invitation<'a>(
    org: &'a OrgItem,
    caller: &Caller,
) -> Option<(DomainName, &'a OrgDomain, &'a Enrollment)> {
    let email = caller.verified_email()?;
    enrollment_for(org, email, EnrollmentMode::AutomaticInvitation)
}

/// Accepting an automatic invitation (the code proven genuine by the caller): the join's one
/// transaction, with the same refusals as an invitation's accept.
pub async fn accept_automatic(
    app: &App,
    caller: &Caller,
    seats: &crate::orgs::item::Seats<'_>,
    domain: &DomainName,
    entry: &OrgDomain,
    enrollment: &Enrollment,
    answer: impl FnOnce(&MemberItem) -> crate::pipeline::Reply,
) -> ApiResult<crate::pipeline::Reply> {
    let org = seats.org;
    let email = caller
        .verified_email()
        .ok_or_else(ApiError::invitation_invalid)?;
    if org.require_mfa && !caller.second_factor {
        return Err(ApiError::mfa_required());
    }
    let role = enrollment_role(org, enrollment)?;
    let joiner = Joiner {
        user_id: &caller.user_id,
        email,
        name: caller.name.clone(),
    };
    check(org, &joiner, ApiError::invitation_invalid())?;
    let now = Timestamp::now();
    let tx = app.store.tx();
    let tx = if caller.second_factor {
        tx
    } else {
        org.guard_mfa_not_required(tx, ApiError::mfa_required())?
    };
    let tx = require_setter_holds(tx, org, enrollment, &role, ApiError::invitation_invalid())?;
    let tx = JoinBlockItem::require_absent(
        tx,
        &org.org_id,
        &caller.user_id,
        ApiError::invitation_invalid(),
    )?;
    let (tx, member) = join(
        tx,
        seats,
        domain,
        entry,
        &role,
        &joiner,
        (&caller.user_id, caller.actor_kind()),
        "automatic invitation",
        now,
        ApiError::invitation_invalid(),
    )?;
    app.commit(tx, answer(&member)).await
}
