//! By code: preview and accept an invitation; my pending invitations.
//! Every refusal of a code (unknown, garbled, revoked, expired, used up, closed organization)
//! is the same 404.

use super::code::{code_for, code_of, link_of, mac_matches, parse_code};
use super::item::{InvitationItem, InvitationStatus};
use super::views::{AcceptedView, MyInvitationView, PreviewView, ProjectRoleView};
use crate::audit::{AuditEntry, Audited};
use crate::auth::Caller;
use crate::directory::item::user::DirUserItem;
use crate::directory::item::DirectoryItem;
use crate::domain::ProjectId;
use crate::domain::Timestamp;
use crate::domains::block::JoinBlockItem;
use crate::domains::entry::{Enrollment, OrgDomain};
use crate::domains::join::{accept_automatic, automatic_invitation, verified_by};
use crate::domains::name::DomainName;
use crate::error::{ApiError, ApiResult, Code};
use crate::limits::GRANTS_PER_PROJECT;
use crate::members::item::MemberItem;
use crate::members::views::MemberView;
use crate::orgs::item::{OrgItem, SeatsItem};
use crate::orgs::settings::{InvitePolicy, OrgStatus};
use crate::pipeline::{Input, Reply};
use crate::projects::item::{project_not_found, Grant, Principal, ProjectItem};
use crate::roles::Holder;
use crate::store::{entity_type, from_item, Entity, Key};
use crate::App;
use serde_json::json;

/// What a genuine code names: an invitation item, or a verified domain's automatic invitation
/// (its enrollment's invitation id, with no item of its own).
enum ByCode {
    Invitation(InvitationItem),
    Domain(DomainName, OrgDomain, Enrollment),
    /// A person the organization's directory provisioned at an email outside its verified domains.
    Directory(Box<crate::directory::link::Offer>),
}

/// Reads the invitation a code names with its organization and the caller's membership in ONE
/// BatchGetItem, and checks the code and the invitation's state. A caller who is a member already
/// (for example through this very invitation) is told so, whatever the invitation's state, once
/// the code is proven genuine. A code with no invitation item may be a verified domain's
/// automatic invitation: genuine when its MAC is that of the enrollment's nonce, usable by a
/// verified email at that domain while it is in force.
/// With `seats` (an accept), the organization's seats item is read too.
async fn load_by_code(
    app: &App,
    code: &str,
    caller: &Caller,
    seats: bool,
) -> ApiResult<(OrgItem, Option<SeatsItem>, ByCode)> {
    let key = app.config.require_code_key()?;
    let (org_id, inv_id, mac) = parse_code(code).ok_or_else(ApiError::invitation_invalid)?;
    let mut wanted = vec![
        OrgItem::key_of(&org_id),
        InvitationItem::key_of(&org_id, &inv_id),
        MemberItem::key_of(&org_id, &caller.user_id),
        JoinBlockItem::key_of(&org_id, &caller.user_id),
    ];
    if seats {
        wanted.push(SeatsItem::key_of(&org_id));
    }
    // A directory user's invitation has the user's id bits: read with the rest.
    if let Some(user) = DirUserItem::id_of_invitation(&inv_id) {
        wanted.push(DirUserItem::key_of(&org_id, &user));
        wanted.push(DirectoryItem::key_of(&org_id));
    }
    let (mut org, mut inv, mut member, mut blocked) = (None, None, None, false);
    let (mut own_seats, mut dir_user, mut directory) = (None, None, None);
    for item in app.store.batch_get(wanted).await? {
        match entity_type(&item) {
            Some(OrgItem::TYPE) => org = Some(from_item::<OrgItem>(item)?),
            Some(SeatsItem::TYPE) => own_seats = Some(from_item::<SeatsItem>(item)?),
            Some(InvitationItem::TYPE) => inv = Some(from_item::<InvitationItem>(item)?),
            Some(MemberItem::TYPE) => member = Some(from_item::<MemberItem>(item)?),
            Some(JoinBlockItem::TYPE) => blocked = true,
            Some(DirUserItem::TYPE) => dir_user = Some(from_item::<DirUserItem>(item)?),
            Some(DirectoryItem::TYPE) => directory = Some(from_item::<DirectoryItem>(item)?),
            _ => {}
        }
    }
    let Some(org) = org else {
        return Err(ApiError::invitation_invalid());
    };
    if let Some(user) = dir_user.filter(|_| inv.is_none()) {
        // Genuine, for the caller's verified email, not joined yet, active, in an active
        // organization: else refused like any unusable code.
        if !mac_matches(key, &user.code_nonce, &mac)? || user.code_nonce.is_empty() {
            return Err(ApiError::invitation_invalid());
        }
        if member.is_some() {
            return Err(ApiError::already_member(&org.name, org.org_id.as_str()));
        }
        let mine = caller.verified_email().is_some()
            && user.user.primary_email().as_ref() == caller.verified_email();
        if !mine
            || blocked
            || user.member.is_some()
            || !user.user.is_active()
            || org.status != OrgStatus::Active
        {
            return Err(ApiError::invitation_invalid());
        }
        let offer =
            crate::directory::link::Offer::of(user, org.clone(), directory, own_seats.clone());
        return Ok((org, own_seats, ByCode::Directory(Box::new(offer))));
    }
    let Some(inv) = inv else {
        // Only the caller's own domain is looked at: a code for another domain's enrollment
        // (or a retired one) is refused like any unusable code.
        let Some((domain, entry, enrollment)) = automatic_invitation(&org, caller)
            .filter(|(_, _, e)| e.invitation_id == inv_id)
            .map(|(d, en, e)| (d, en.clone(), e.clone()))
        else {
            return Err(ApiError::invitation_invalid());
        };
        if !mac_matches(key, &enrollment.code_nonce, &mac)? {
            return Err(ApiError::invitation_invalid());
        }
        if member.is_some() {
            return Err(ApiError::already_member(&org.name, org.org_id.as_str()));
        }
        // Removed or rejected by an admin: no automatic way back in until invited.
        if blocked {
            return Err(ApiError::invitation_invalid());
        }
        return Ok((org, own_seats, ByCode::Domain(domain, entry, enrollment)));
    };
    if !mac_matches(key, inv.code_nonce(), &mac)? {
        return Err(ApiError::invitation_invalid());
    }
    if member.is_some() {
        return Err(ApiError::already_member(&org.name, org.org_id.as_str()));
    }
    if inv.status_in(&org, Timestamp::now()) != InvitationStatus::Pending
        || org.status != OrgStatus::Active
    {
        return Err(ApiError::invitation_invalid());
    }
    Ok((org, own_seats, ByCode::Invitation(inv)))
}

/// `GET /invitations/{code}`: what the accept page shows.
pub async fn preview(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let (org, inv) = match load_by_code(&app, input.path_param("code"), &caller, false).await? {
        (org, _, ByCode::Invitation(inv)) => (org, inv),
        (org, _, ByCode::Directory(offer)) => {
            let role = offer.directory.join_role();
            return Ok(Reply::ok(&PreviewView {
                org_id: org.org_id.clone(),
                org_name: org.name.clone(),
                org_slug: org.slug.clone(),
                role_name: org.role_name(&role),
                project_role: None,
                role,
                project_ids: Vec::new(),
                inviter_name: None,
                message: None,
                expires_at: None,
                email_bound: true,
                uses_left: 1,
                domain: None,
            }));
        }
        (org, _, ByCode::Domain(domain, _, e)) => {
            return Ok(Reply::ok(&PreviewView {
                org_id: org.org_id.clone(),
                org_name: org.name.clone(),
                org_slug: org.slug.clone(),
                role_name: org.role_name(&e.role),
                project_role: None,
                role: e.role,
                project_ids: Vec::new(),
                inviter_name: None,
                message: None,
                expires_at: None,
                email_bound: true,
                uses_left: 1,
                domain: Some(domain.as_str().to_string()),
            }))
        }
    };
    Ok(Reply::ok(&PreviewView {
        org_id: org.org_id.clone(),
        org_name: org.name.clone(),
        org_slug: org.slug.clone(),
        role_name: org.role_name(&inv.org_role()),
        role: inv.org_role(),
        project_role: inv.project_role(&org),
        project_ids: inv.project_ids.clone(),
        inviter_name: inv.inviter_shown(),
        message: inv.message.clone(),
        expires_at: Some(inv.expires_at),
        email_bound: inv.max_uses == 1,
        uses_left: inv.remaining_uses(),
        domain: None,
    }))
}

/// `POST /invitations/{code}/accept`: one read, then one transaction that uses the invitation
/// (`uses < maxUses`, not revoked, not expired), checks that its inviter may still grant it (still
/// a member, with a role that may grant the invitation's role and invite, under the invite policy
/// read), creates the membership (and project grants), keeps the seat counters and appends the
/// audit entry; the organization must be active.
pub async fn accept(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let (org, own_seats, inv) =
        match load_by_code(&app, input.path_param("code"), &caller, true).await? {
            (org, own, ByCode::Invitation(inv)) => (org, own, inv),
            (org, _, ByCode::Directory(offer)) => {
                let (tx, member) =
                    crate::directory::link::join(&app, &caller, &offer, "invitation accepted")?;
                let reply = Reply::created(&AcceptedView {
                    member: MemberView::new(&member, &org),
                    org_id: org.org_id.clone(),
                    org_name: org.name.clone(),
                    project_grants: Vec::new(),
                    skipped_project_ids: Vec::new(),
                });
                return app.commit(tx, reply).await;
            }
            (org, own, ByCode::Domain(domain, entry, e)) => {
                let seats = org.seats(own)?;
                let answer = |member: &MemberItem| {
                    Reply::created(&AcceptedView {
                        member: MemberView::new(member, &org),
                        org_id: org.org_id.clone(),
                        org_name: org.name.clone(),
                        project_grants: Vec::new(),
                        skipped_project_ids: Vec::new(),
                    })
                };
                return accept_automatic(&app, &caller, &seats, &domain, &entry, &e, answer).await;
            }
        };
    let seats = org.seats(own_seats)?;
    let already = || ApiError::already_member(&org.name, org.org_id.as_str());
    if inv.max_uses == 1 && caller.verified_email() != Some(&inv.email) {
        return Err(ApiError::new(
            Code::InvitationEmailMismatch,
            "This invitation is for another email address. Sign in with the invited address (verified) to accept it.",
        ));
    }
    // An organization that requires a second factor takes members who sign in with one (the
    // transaction re-checks the setting for a token without one).
    if org.require_mfa && !caller.second_factor {
        return Err(ApiError::mfa_required());
    }
    // An organization that takes members only from some domains needs a verified email in one
    // of them, whatever the invitation (a multi-use link too).
    if !org.allowed_email_domains.is_empty() {
        let Some(email) = caller.verified_email() else {
            return Err(ApiError::new(
                Code::EmailNotVerified,
                "This organization accepts members only with a verified email address in its allowed domains; verify your email address and retry.",
            ));
        };
        org.require_allowed_email(email, "email")?;
    }
    let now = Timestamp::now();
    let org_role = inv.org_role();
    let project_role = org.project_role_for(&inv.role);
    let grant = Grant {
        role: project_role,
        granted_by: inv.invited_by.clone(),
        granted_at: now,
    };
    let principal = Principal::User(caller.user_id.clone());
    // The invitation's projects that still exist get a grant. The projects are not read first:
    // the transaction requires each of them, and a project deleted meanwhile (or full) makes it
    // fail on that item, which is then skipped and named in the answer (one more attempt per
    // such project; none in the common case).
    let mut projects: Vec<ProjectId> = inv
        .project_ids
        .iter()
        .filter_map(|p| ProjectId::parse(p))
        .collect();
    let mut skipped: Vec<ProjectId> = Vec::new();
    let reply = loop {
        let mut member = MemberItem::new(
            &org.org_id,
            &caller.user_id,
            caller.verified_email().cloned(),
            caller.name.clone(),
            org_role.clone(),
            now,
        );
        member.projects = projects.iter().cloned().collect();
        // The invitation's ConditionalCheckFailed (used up meanwhile) and an organization closed
        // meanwhile both answer with the one refusal.
        let tx = inv.use_once(app.store.tx(), now, ApiError::invitation_invalid())?;
        let tx = member.join(
            tx,
            already(),
            ApiError::new(
                Code::AlreadyMember,
                "A member of this organization already has your email address; nothing changed.",
            ),
        )?;
        // Rights do not outlive their holder: an inviter demoted or removed since, or a policy that
        // allowed them and changed since, makes the invitation refused like any unusable one.
        let by_policy = org.settings.invite_policy == InvitePolicy::Members;
        let tx = MemberItem::require_role_in(
            tx,
            &org.org_id,
            &inv.invited_by,
            &inv.roles_that_may_grant(by_policy, &org),
            ApiError::invitation_invalid(),
        )?;
        // That was decided on the organization's custom roles as read: they must not change
        // before this commits (and a custom role given is counted).
        let tx = if org.custom_roles.any() {
            org.guard_roles_unchanged(tx, ApiError::invitation_invalid())?
        } else {
            tx
        };
        let tx = if by_policy {
            org.guard_invite_policy(tx, InvitePolicy::Members, ApiError::invitation_invalid())?
        } else {
            tx
        };
        let tx =
            org.guard_email_domain(tx, caller.verified_email(), ApiError::invitation_invalid())?;
        let tx = if caller.second_factor {
            tx
        } else {
            org.guard_mfa_not_required(tx, ApiError::mfa_required())?
        };
        let tx = seats.seats_taken(tx, &inv.hold(), 1, ApiError::invitation_invalid())?;
        // An invitation accepted is the organization's decision: it lifts a block of the
        // automatic paths (an admin's removal or rejection of this person before).
        let tx = JoinBlockItem::lift(tx, &org.org_id, &caller.user_id)?;
        let mut tx = org.count_holders(tx, &[(&member.role, Holder::Members, 1)])?;
        for p in &projects {
            tx = ProjectItem::grant_new(
                tx,
                &org.org_id,
                p,
                &principal,
                &grant,
                GRANTS_PER_PROJECT,
                project_not_found().with("projectId", p.as_str()),
            )?;
        }
        let tx = tx.audit(AuditEntry {
            org_id: org.org_id.clone(),
            actor_id: caller.user_id.clone(),
            actor_kind: caller.actor_kind(),
            action: "member.joined",
            event_type: "MemberJoined",
            at: now,
            summary: format!("{} joined as {} (invited by {})", caller.user_id.as_str(), org.role_name(&org_role), inv.inviter_name),
            details: json!({ "userId": caller.user_id, "role": org_role, "invitationId": inv.invitation_id, "invitedBy": inv.invited_by, "projectIds": projects, "projectRole": (!projects.is_empty()).then_some(project_role), "skippedProjectIds": skipped }),
        })?;
        let reply = Reply::created(&AcceptedView {
            member: MemberView::new(&member, &org),
            org_id: org.org_id.clone(),
            org_name: org.name.clone(),
            project_grants: projects
                .iter()
                .map(|p| ProjectRoleView {
                    project_id: p.clone(),
                    role: project_role,
                })
                .collect(),
            skipped_project_ids: skipped.clone(),
        });
        match app.commit(tx, reply).await {
            Ok(reply) => break reply,
            Err(e) if e.code == Code::ProjectNotFound => {
                let gone = e
                    .extra
                    .get("projectId")
                    .and_then(|v| v.as_str())
                    .and_then(ProjectId::parse);
                match gone {
                    Some(gone) if projects.contains(&gone) => {
                        projects.retain(|p| p != &gone);
                        skipped.push(gone);
                    }
                    _ => {
                        return Err(ApiError::internal(
                            "a project condition failed without its id",
                        ))
                    }
                }
            }
            Err(e) => return Err(e),
        }
    };
    Ok(reply)
}

/// `GET /me/invitations`: pending invitations addressed to my verified email, with their codes.
pub async fn list_mine(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let Some(email) = caller.verified_email() else {
        return Err(ApiError::new(
            Code::EmailNotVerified,
            "Verify your email address to see the invitations sent to it.",
        ));
    };
    let q = InvitationItem::page_pending_for(email, Timestamp::now(), limit, input.cursor())?;
    // The first page also shows the automatic invitation of the organization that verified my
    // email's domain, if it offers one: its domain item is read beside the page's Query.
    let first_page = input.cursor().is_none();
    let (page, by_domain) = tokio::join!(app.store.page_of::<InvitationItem>(q), async {
        match first_page {
            true => verified_by(&app, email).await,
            false => Ok(None),
        }
    });
    let (page, by_domain) = (page?, by_domain?);
    let mut keys: Vec<Key> = page
        .items
        .iter()
        .map(|i| OrgItem::key_of(&i.org_id))
        .collect();
    if let Some(org) = &by_domain {
        keys.push(OrgItem::key_of(org));
        keys.push(MemberItem::key_of(org, &caller.user_id));
        keys.push(JoinBlockItem::key_of(org, &caller.user_id));
    }
    let (mut orgs, mut member_of_domain_org) = (Vec::<OrgItem>::new(), false);
    if !keys.is_empty() {
        for item in app.store.batch_get(keys).await? {
            match entity_type(&item) {
                Some(OrgItem::TYPE) => orgs.push(from_item(item)?),
                // A member, or blocked: no automatic invitation of that organization.
                Some(MemberItem::TYPE) | Some(JoinBlockItem::TYPE) => member_of_domain_org = true,
                _ => {}
            }
        }
    }
    let mut items = Vec::new();
    let domain_org = by_domain
        .filter(|_| !member_of_domain_org)
        .and_then(|id| orgs.iter().find(|o| o.org_id == id));
    if let Some((org, (domain, _, e))) =
        domain_org.and_then(|o| automatic_invitation(o, &caller).map(|a| (o, a)))
    {
        let code = code_for(&app, &org.org_id, &e.invitation_id, &e.code_nonce)?;
        items.push(MyInvitationView {
            invitation_id: e.invitation_id.clone(),
            org_id: org.org_id.clone(),
            org_name: org.name.clone(),
            role_name: org.role_name(&e.role),
            role: e.role.clone(),
            project_ids: Vec::new(),
            inviter_name: org.name.clone(),
            message: None,
            expires_at: None,
            domain: Some(domain.as_str().to_string()),
            url: link_of(&app, &code),
            code,
        });
    }
    // People the organizations' directories provisioned at this email, outside their verified
    // domains (those join on GET /orgs): an invitation each, on the first page.
    if first_page {
        for offer in crate::directory::link::offers_for(&app, &caller).await? {
            if offer.at_verified_domain {
                continue;
            }
            let inv_id = offer.user.invitation_id();
            let code = code_for(&app, &offer.org.org_id, &inv_id, &offer.user.code_nonce)?;
            let role = offer.directory.join_role();
            items.push(MyInvitationView {
                invitation_id: inv_id,
                org_id: offer.org.org_id.clone(),
                org_name: offer.org.name.clone(),
                role_name: offer.org.role_name(&role),
                role,
                project_ids: Vec::new(),
                inviter_name: offer.org.name.clone(),
                message: None,
                expires_at: None,
                domain: None,
                url: link_of(&app, &code),
                code,
            });
        }
    }
    for inv in &page.items {
        let Some(org) = orgs
            .iter()
            .find(|o| o.org_id == inv.org_id && o.status == OrgStatus::Active)
            .filter(|o| inv.status_in(o, Timestamp::now()) == InvitationStatus::Pending)
        else {
            continue;
        };
        let code = code_of(&app, inv)?;
        items.push(MyInvitationView {
            invitation_id: inv.invitation_id.clone(),
            org_id: org.org_id.clone(),
            org_name: org.name.clone(),
            role_name: org.role_name(&inv.org_role()),
            role: inv.org_role(),
            project_ids: inv.project_ids.clone(),
            inviter_name: inv.inviter_name.clone(),
            message: inv.message.clone(),
            expires_at: Some(inv.expires_at),
            domain: None,
            url: link_of(&app, &code),
            code,
        });
    }
    Ok(Reply::list(items, page.next_cursor))
}
