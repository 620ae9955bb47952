//! Response bodies of the access routes.

use super::Reason;
use crate::catalogue::{current, PermId};
use crate::domain::{OrgId, ProjectId, TeamId, Timestamp, UserId};
use crate::orgs::settings::OrgStatus;
use crate::permissions::{ProjectRole, Role, RoleRef};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    pub name: Role,
    pub rank: u8,
    pub description: &'static str,
    pub permissions: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionView {
    pub name: &'static str,
    pub area: &'static str,
    pub min_role: Role,
    /// The weakest project role that holds it inside a project (`null`: not project-scoped).
    pub min_project_role: Option<ProjectRole>,
    pub description: &'static str,
    /// `service`: one of the service's own; `operator`: the platform's, from its catalogue.
    pub source: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub name: &'static str,
    /// `null`: unlimited.
    pub seat_limit: Option<u32>,
    pub default: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRoleView {
    pub name: ProjectRole,
    pub rank: u8,
    pub description: &'static str,
    pub permissions: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixView {
    pub roles: Vec<RoleView>,
    /// Project-scoped roles: what a team or direct grant adds inside one project.
    pub project_roles: Vec<ProjectRoleView>,
    pub permissions: Vec<PermissionView>,
    /// The plans an organization can be on (set by the platform's billing system).
    pub plans: Vec<PlanView>,
}

impl MatrixView {
    pub fn of_roles() -> Self {
        Self {
            roles: Role::ALL
                .iter()
                .map(|r| RoleView {
                    name: *r,
                    rank: r.rank(),
                    description: r.description(),
                    permissions: r.permission_set().names(),
                })
                .collect(),
            project_roles: ProjectRole::ALL
                .iter()
                .map(|r| ProjectRoleView {
                    name: *r,
                    rank: r.rank(),
                    description: r.description(),
                    permissions: r.permission_set().names(),
                })
                .collect(),
            permissions: current()
                .all()
                .map(|p: PermId| PermissionView {
                    name: p.as_str(),
                    area: p.area(),
                    min_role: p.min_role(),
                    min_project_role: p.min_project_role(),
                    description: p.description(),
                    source: if p.service().is_some() {
                        "service"
                    } else {
                        "operator"
                    },
                })
                .collect(),
            plans: current()
                .plans()
                .iter()
                .map(|p| PlanView {
                    name: p.name,
                    seat_limit: p.seat_limit,
                    default: p.name == current().default_plan(),
                })
                .collect(),
        }
    }
}

/// What reaches the caller in one project.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectAccessView {
    pub project_id: ProjectId,
    /// The effective project role (`null`: none; organization permissions may still apply).
    pub role: Option<ProjectRole>,
    /// Every permission allowed there, with where it comes from.
    pub permissions: Vec<ExplainedPermission>,
}

#[derive(Serialize)]
pub struct ExplainedPermission {
    pub permission: &'static str,
    pub via: Vec<Reason>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyAccessView {
    pub org_id: OrgId,
    /// The caller's id: a person's user id, or an API key's id.
    pub user_id: UserId,
    pub principal: PrincipalView,
    /// A system role's name or a custom role's id.
    pub role: RoleRef,
    pub role_name: String,
    /// The project role the organization role gives on every project (`null`: none).
    #[serde(rename = "projectRole")]
    pub project_role_everywhere: Option<ProjectRole>,
    /// For members who read the settings (a guest sees the name and their own membership only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_status: Option<OrgStatus>,
    /// What the caller may do now (during grace: reads and reactivation only).
    pub permissions: Vec<&'static str>,
    /// During grace, the role's permissions that change something, refused with `org_closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspended>,
    pub team_ids: Vec<TeamId>,
    /// Projects granted to me directly (teams' grants are on the projects).
    pub granted_project_ids: Vec<ProjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectAccessView>,
    pub joined_at: Timestamp,
    pub authentication: AuthenticationView,
}

/// The organization's sign-in rules as they apply to this caller, so other services can enforce
/// the same on their own sessions.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationView {
    /// Every route of the organization refuses a token without a second factor.
    pub require_mfa: bool,
    /// Whether the caller's token shows one.
    pub second_factor: bool,
    /// For members who read the settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_email_domains: Option<Vec<String>>,
}

impl AuthenticationView {
    pub fn of(access: &super::Access) -> Self {
        Self {
            require_mfa: access.org.require_mfa,
            second_factor: access.second_factor,
            allowed_email_domains: access
                .held
                .has(crate::permissions::Permission::SettingsRead)
                .then(|| access.org.allowed_email_domains.iter().cloned().collect()),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct PermissionAnswer {
    pub permission: &'static str,
    pub allowed: bool,
    /// Where an allowed permission comes from (empty when refused).
    pub via: Vec<Reason>,
    /// Why a permission the caller holds is refused now (`org_closed` during grace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// Permissions the caller holds but cannot use now, and why.
#[derive(Serialize)]
pub struct Suspended {
    pub reason: &'static str,
    pub permissions: Vec<&'static str>,
}

/// Who a decision is about: a person (`user`, their user id) or an API key (`api_key`, its id).
#[derive(Serialize, Debug, Clone)]
pub struct PrincipalView {
    pub kind: crate::audit::ActorKind,
    pub id: UserId,
}

/// A decision on a batch of permissions for one principal, optionally in a project: the one shape
/// `POST /orgs/{orgId}/authorize`, `POST /service/orgs/{orgId}/authorize` and
/// `POST /api-keys/verify` (its `decision`) answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    pub principal: PrincipalView,
    pub org_id: OrgId,
    /// Every permission asked is allowed.
    pub allowed: bool,
    /// The principal's organization role (`null`: none, a removed member or an unusable key).
    pub role: Option<RoleRef>,
    pub role_name: Option<String>,
    pub project_id: Option<ProjectId>,
    /// The principal's effective role in the project asked about (`null`: none).
    pub project_role: Option<ProjectRole>,
    pub results: Vec<PermissionAnswer>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeView {
    #[serde(flatten)]
    pub decision: DecisionView,
    pub authentication: AuthenticationView,
}
