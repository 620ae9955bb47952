//! Response bodies of the organization routes.

use super::item::OrgItem;
use super::settings::{BillingProfile, OrgStatus, Settings};
use crate::domain::Plan;
use crate::domain::{OrgId, Slug, Timestamp, UserId};
use crate::members::item::MemberItem;
use crate::permissions::{Permission, Role, RoleRef};
use crate::roles::HeldRole;
use serde::Serialize;

/// The organization as a caller with a given role may see it: guests see the name only (and
/// their own membership, in [`MyOrgView`]);
/// settings need `settings.read`, the billing profile `billing.read`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgView {
    pub id: OrgId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrgStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_profile: Option<BillingProfile>,
    /// The storage provider integration backups use by default (with `settings.read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_storage_id: Option<crate::domain::IntegrationId>,
}

impl OrgView {
    pub fn new(org: &OrgItem, role: &HeldRole) -> Self {
        let members = role.has(Permission::MembersRead);
        let details = role.has(Permission::OrgDetailsRead);
        Self {
            id: org.org_id.clone(),
            name: org.name.clone(),
            slug: details.then(|| org.slug.clone()),
            status: details.then_some(org.status),
            personal: details.then_some(org.personal),
            owner_id: members.then(|| org.owner_id.clone()),
            member_count: members.then_some(org.member_count),
            plan: members.then_some(org.plan),
            created_at: members.then_some(org.created_at),
            updated_at: members.then_some(org.updated_at),
            closed_at: org.closed_at.filter(|_| members),
            purge_at: org.purge_at.filter(|_| members),
            closed_by: org.closed_by.clone().filter(|_| members),
            settings: role
                .has(Permission::SettingsRead)
                .then(|| org.settings.clone()),
            billing_profile: role
                .has(Permission::BillingRead)
                .then(|| org.billing_profile.clone()),
            default_storage_id: org
                .default_storage_id
                .clone()
                .filter(|_| role.has(Permission::SettingsRead)),
        }
    }
}

/// The organization with the caller's role in it (and when they joined, in lists).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyOrgView {
    #[serde(flatten)]
    pub org: OrgView,
    /// A system role's name or a custom role's id.
    pub my_role: RoleRef,
    pub my_role_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<Timestamp>,
    /// The organization requires a second factor the caller's token does not show: it is
    /// listed as a guest sees it (its name, the caller's role) and nothing more.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mfa_required: bool,
    /// The caller's membership is deactivated: listed as a guest sees it, every route refuses
    /// them until an admin (or the directory) reactivates it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deactivated: bool,
}

impl MyOrgView {
    pub fn new(org: &OrgItem, role: &HeldRole, joined_at: Option<Timestamp>) -> Self {
        Self {
            org: OrgView::new(org, role),
            my_role: role.role.clone(),
            my_role_name: role.name.clone(),
            joined_at,
            mfa_required: false,
            deactivated: false,
        }
    }
    /// The organization in the caller's list: as their role sees it, or, when it requires a
    /// second factor their token lacks, as a guest does.
    pub fn listed(org: &OrgItem, member: &MemberItem, second_factor: bool) -> Self {
        let (role, joined_at) = (&member.role, member.joined_at);
        let deactivated = member.is_deactivated();
        let mfa_locked = org.require_mfa && !second_factor;
        let locked = mfa_locked || deactivated;
        let guest = HeldRole::system(Role::Guest);
        let held = org.resolve(role).filter(|_| !locked);
        Self {
            org: OrgView::new(org, held.as_ref().unwrap_or(&guest)),
            my_role: role.clone(),
            my_role_name: org.role_name(role),
            joined_at: Some(joined_at),
            mfa_required: mfa_locked,
            deactivated,
        }
    }
}
