//! Provisioned people becoming members. A directory user becomes a member the first time the
//! person calls with a verified email equal to the user's primary email:
//! - at one of the organization's verified domains: at once, on their `GET /orgs` (the
//!   switcher every client calls after sign-in), with the directory's role (`viewer` unless set);
//! - anywhere else: an invitation in their `GET /me/invitations`, accepted by its code like any
//!   other (`POST /invitations/{code}/accept`); an identity provider's word is enough only for the
//!   organization's own domains. Never by an unverified email.
//!
//! Joining is one transaction: the membership (and the email's item), the seat the user held
//! becoming the member's, the user linked (conditional on its version: a change meanwhile
//! retries), a place on the team of each of the user's groups, the role's count and the audit
//! entry. Someone an admin removed (a block) is not joined again automatically; an organization
//! that requires a second factor or allows only some email domains applies its rules as for an
//! invitation.

use super::item::user::DirUserItem;
use super::item::DirectoryItem;
use crate::audit::{AuditEntry, Audited};
use crate::auth::Caller;
use crate::domain::{Email, OrgId, Timestamp};
use crate::domains::block::JoinBlockItem;
use crate::domains::entry::DomainStatus;
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::{OrgItem, SeatsItem};
use crate::orgs::settings::OrgStatus;
use crate::permissions::Role;
use crate::roles::Holder;
use crate::store::{entity_type, from_item, Entity, Key, Tx};
use crate::teams::item::{TeamItem, TeamMemberItem};
use crate::App;
use serde_json::json;
use std::collections::BTreeMap;

/// Provisioned users of one email looked at per call, at most.
const OFFERS_MAX: u32 = 20;

/// A provisioned user the caller may become, with what the join is decided on.
pub struct Offer {
    pub user: DirUserItem,
    pub org: OrgItem,
    pub directory: DirectoryItem,
    seats: Option<SeatsItem>,
    /// The caller's email is at one of the organization's verified domains.
    pub at_verified_domain: bool,
}

/// Whether `email` is at a domain `org` verified.
fn at_verified_domain(org: &OrgItem, email: &Email) -> bool {
    crate::domains::join::domain_of(email)
        .and_then(|d| org.domains.get(&d))
        .is_some_and(|e| e.status == DomainStatus::Verified)
}

/// The provisioned users of the caller's verified email who have not joined and may: active,
/// of an active organization the caller is not a member of and not blocked from, whose rules
/// (allowed email domains) admit the email. Two requests: a Query of GSI1, one BatchGetItem.
pub async fn offers_for(app: &App, caller: &Caller) -> ApiResult<Vec<Offer>> {
    let Some(email) = caller.verified_email() else {
        return Ok(Vec::new());
    };
    let q = DirUserItem::everywhere_with_email(email, OFFERS_MAX);
    let users: Vec<DirUserItem> = app
        .store
        .page_of::<DirUserItem>(q)
        .await?
        .items
        .into_iter()
        .filter(|u| u.member.is_none() && u.user.is_active())
        .collect();
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<Key> = Vec::new();
    for u in &users {
        let org = &u.org_id;
        for k in [
            OrgItem::key_of(org),
            DirectoryItem::key_of(org),
            SeatsItem::key_of(org),
            MemberItem::key_of(org, &caller.user_id),
            JoinBlockItem::key_of(org, &caller.user_id),
        ] {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut orgs: BTreeMap<OrgId, OrgItem> = BTreeMap::new();
    let mut directories: BTreeMap<OrgId, DirectoryItem> = BTreeMap::new();
    let mut seats: BTreeMap<OrgId, SeatsItem> = BTreeMap::new();
    let mut excluded: Vec<OrgId> = Vec::new();
    for chunk in keys.chunks(100) {
        for item in app.store.batch_get(chunk.to_vec()).await? {
            match entity_type(&item) {
                Some(OrgItem::TYPE) => {
                    let o: OrgItem = from_item(item)?;
                    orgs.insert(o.org_id.clone(), o);
                }
                Some(DirectoryItem::TYPE) => {
                    let d: DirectoryItem = from_item(item)?;
                    directories.insert(d.org_id.clone(), d);
                }
                Some(SeatsItem::TYPE) => {
                    let s: SeatsItem = from_item(item)?;
                    seats.insert(s.org_id.clone(), s);
                }
                Some(MemberItem::TYPE) => excluded.push(from_item::<MemberItem>(item)?.org_id),
                Some(JoinBlockItem::TYPE) => {
                    excluded.push(from_item::<JoinBlockItem>(item)?.org_id)
                }
                _ => {}
            }
        }
    }
    let mut offers = Vec::new();
    for user in users {
        let org_id = user.org_id.clone();
        let Some(org) = orgs.get(&org_id).filter(|o| o.status == OrgStatus::Active) else {
            continue;
        };
        if excluded.contains(&org_id) || org.require_allowed_email(email, "email").is_err() {
            continue;
        }
        offers.push(Offer {
            at_verified_domain: at_verified_domain(org, email),
            org: org.clone(),
            directory: directories
                .get(&org_id)
                .cloned()
                .unwrap_or_else(|| DirectoryItem::empty(&org_id)),
            seats: seats.get(&org_id).cloned(),
            user,
        });
    }
    Ok(offers)
}

/// The one transaction of the caller becoming `offer`'s user's member. Returns the member.
pub fn join(app: &App, caller: &Caller, offer: &Offer, how: &str) -> ApiResult<(Tx, MemberItem)> {
    let org = &offer.org;
    let email = caller
        .verified_email()
        .ok_or_else(|| ApiError::new(Code::EmailNotVerified, "Verify your email address first."))?;
    if org.require_mfa && !caller.second_factor {
        return Err(ApiError::mfa_required());
    }
    let role = org.resolve(&offer.directory.join_role()).ok_or_else(|| {
        ApiError::new(
            Code::RoleNotFound,
            "The role the organization's directory gives no longer exists; an admin must set it again.",
        )
    })?;
    // Set within a domain's bound; a custom role widened since then refuses the join.
    if !crate::domains::join::domain_bound().covers(&role) {
        return Err(ApiError::new(
            Code::EnrollmentLapsed,
            "The role the organization's directory gives has grown beyond editor's permissions since it was set; an admin must set it again (PUT /orgs/{orgId}/directory).",
        ));
    }
    let now = Timestamp::now();
    let mut member = MemberItem::new(
        &org.org_id,
        &caller.user_id,
        Some(email.clone()),
        offer
            .user
            .user
            .display_name
            .clone()
            .or_else(|| caller.name.clone()),
        role.role.clone(),
        now,
    );
    // On the team of each of the user's groups (a guest is on no team).
    let teams: Vec<_> = match role.role.is(Role::Guest) {
        true => Vec::new(),
        false => offer.user.groups.iter().cloned().collect(),
    };
    member.teams = teams.iter().cloned().collect();
    let already = || ApiError::already_member(&org.name, org.org_id.as_str());
    let changed = || ApiError::concurrent("The directory changed this person meanwhile; retry.");
    let mut tx = app.store.tx();
    if !caller.second_factor {
        tx = org.guard_mfa_not_required(tx, ApiError::mfa_required())?;
    }
    tx = member.join(tx, already(), already())?;
    tx = JoinBlockItem::require_absent(
        tx,
        &org.org_id,
        &caller.user_id,
        ApiError::invitation_invalid(),
    )?;
    let seats = org.seats(offer.seats.clone())?;
    tx = seats.directory_seat_joined(tx)?;
    tx = org.guard_email_domain(tx, Some(email), changed())?;
    tx = offer.user.joined(tx, &caller.user_id, now)?;
    for team in &teams {
        let place = TeamMemberItem::new(&org.org_id, team, &member, &caller.user_id, now);
        tx = tx.put_new(&place, changed())?;
        tx = TeamItem::member_joined(tx, &org.org_id, team, changed())?;
    }
    tx = org.count_holders(tx, &[(&role.role, Holder::Members, 1)])?;
    tx = tx.audit(AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: caller.user_id.clone(),
        actor_kind: caller.actor_kind(),
        action: "member.joined",
        event_type: "MemberJoined",
        at: now,
        summary: format!(
            "{} joined as {} (directory user {}, {how})",
            caller.user_id.as_str(),
            role.name,
            offer.user.user.user_name
        ),
        details: json!({ "userId": caller.user_id, "role": role.role, "via": "directory", "scimUserId": offer.user.id, "teamIds": teams }),
    })?;
    Ok((tx, member))
}

/// Joins the caller to every organization whose directory provisioned them at one of its
/// verified domains (their `GET /orgs`). A join that cannot happen now (a race, a rule) is left
/// for the next call; only an outage is an error.
pub async fn join_at_verified_domains(app: &App, caller: &Caller) -> ApiResult<u32> {
    let mut joined = 0;
    for offer in offers_for(app, caller).await? {
        if !offer.at_verified_domain {
            continue;
        }
        let Ok((tx, _)) = join(app, caller, &offer, "at a verified domain") else {
            continue;
        };
        match app.store.commit(tx).await {
            Ok(()) => joined += 1,
            Err(e) if e.status() >= 500 => return Err(e),
            Err(_) => {}
        }
    }
    Ok(joined)
}

impl Offer {
    /// An offer of `user`, read by an invitation code with its organization.
    pub fn of(
        user: DirUserItem,
        org: OrgItem,
        directory: Option<DirectoryItem>,
        seats: Option<SeatsItem>,
    ) -> Self {
        let org_id = org.org_id.clone();
        Self {
            at_verified_domain: false,
            user,
            org,
            directory: directory.unwrap_or_else(|| DirectoryItem::empty(&org_id)),
            seats,
        }
    }
}
