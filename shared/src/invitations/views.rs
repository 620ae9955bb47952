//! Response bodies of the invitation routes.

use super::item::{EmailStatus, InvitationItem, InvitationStatus};
use crate::domain::{Email, InvitationId, OrgId, ProjectId, Slug, Timestamp, UserId};
use crate::members::views::MemberView;
use crate::orgs::item::OrgItem;
use crate::permissions::{ProjectRole, RoleRef};
use serde::Serialize;

/// An invitation as its organization's admins see it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub id: InvitationId,
    pub email: Email,
    /// A system role's name or a custom role's id.
    pub role: RoleRef,
    pub role_name: String,
    pub project_ids: Vec<String>,
    pub status: InvitationStatus,
    pub uses: u32,
    pub max_uses: u32,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub invited_by: UserId,
    pub inviter_name: String,
    pub message: Option<String>,
    pub email_status: EmailStatus,
    pub send_count: u32,
    pub last_sent_at: Option<Timestamp>,
}

impl InvitationView {
    pub fn new(inv: &InvitationItem, org: &OrgItem, now: Timestamp) -> Self {
        Self {
            id: inv.invitation_id.clone(),
            email: inv.email.clone(),
            role: inv.role.clone(),
            role_name: org.role_name(&inv.role),
            project_ids: inv.project_ids.clone(),
            status: inv.status_in(org, now),
            uses: inv.uses,
            max_uses: inv.max_uses,
            expires_at: inv.expires_at,
            created_at: inv.created_at,
            invited_by: inv.invited_by.clone(),
            inviter_name: inv.inviter_name.clone(),
            message: inv.message.clone(),
            email_status: inv.email_status,
            send_count: inv.send_count,
            last_sent_at: inv.last_sent_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeView {
    pub invitation_id: InvitationId,
    pub code: String,
    pub url: String,
    pub expires_at: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupView {
    pub removed: u32,
    pub released_seats: u32,
    pub next_cursor: Option<String>,
}

/// What the accept page shows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    pub org_id: OrgId,
    pub org_name: String,
    pub org_slug: Slug,
    pub role: RoleRef,
    pub role_name: String,
    pub project_role: Option<ProjectRole>,
    pub project_ids: Vec<String>,
    /// Null for a multi-use invitation whose inviter has no display name (never their email).
    pub inviter_name: Option<String>,
    pub message: Option<String>,
    /// Null for a verified domain's automatic invitation (it lasts while the enrollment does).
    pub expires_at: Option<Timestamp>,
    pub email_bound: bool,
    pub uses_left: u32,
    /// The verified domain whose automatic invitation this is (a verified email there accepts it).
    pub domain: Option<String>,
}

/// A pending invitation addressed to the caller, with its code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyInvitationView {
    pub invitation_id: InvitationId,
    pub org_id: OrgId,
    pub org_name: String,
    pub role: RoleRef,
    pub role_name: String,
    pub project_ids: Vec<String>,
    pub inviter_name: String,
    pub message: Option<String>,
    /// Null for a verified domain's automatic invitation (it lasts while the enrollment does).
    pub expires_at: Option<Timestamp>,
    /// The verified domain whose automatic invitation this is (null for an invitation by email).
    pub domain: Option<String>,
    pub code: String,
    pub url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRoleView {
    pub project_id: ProjectId,
    pub role: ProjectRole,
}

/// The membership an accepted invitation made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedView {
    #[serde(flatten)]
    pub member: MemberView,
    pub org_id: OrgId,
    pub org_name: String,
    pub project_grants: Vec<ProjectRoleView>,
    /// The invitation's projects deleted since, or at their limit of grants (no grant was made for them).
    pub skipped_project_ids: Vec<ProjectId>,
}
