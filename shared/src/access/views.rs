//! Response bodies of the access routes.

use crate::domain::{OrgId, Timestamp, UserId};
use crate::orgs::settings::OrgStatus;
use crate::permissions::{Permission, Role};
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
    pub description: &'static str,
}

#[derive(Serialize)]
pub struct MatrixView {
    pub roles: Vec<RoleView>,
    pub permissions: Vec<PermissionView>,
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
                    permissions: r.permissions().map(Permission::as_str).collect(),
                })
                .collect(),
            permissions: Permission::ALL
                .iter()
                .map(|p| PermissionView {
                    name: p.as_str(),
                    area: p.area(),
                    min_role: p.min_role(),
                    description: p.description(),
                })
                .collect(),
        }
    }
}

/// A project role of a member and what it grants inside the project.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantView {
    pub project_id: String,
    pub role: Role,
    pub permissions: Vec<&'static str>,
}

impl ProjectGrantView {
    pub fn new(project: &str, role: Role) -> Self {
        Self {
            project_id: project.to_string(),
            role,
            permissions: role
                .permissions()
                .filter(|p| p.project_scoped())
                .map(Permission::as_str)
                .collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyAccessView {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: Role,
    pub org_status: OrgStatus,
    pub permissions: Vec<&'static str>,
    pub project_grants: Vec<ProjectGrantView>,
    pub joined_at: Timestamp,
}

#[derive(Serialize)]
pub struct PermissionAnswer {
    pub permission: String,
    pub allowed: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeView {
    pub allowed: bool,
    pub role: Role,
    pub project_id: Option<String>,
    pub project_role: Option<Role>,
    pub results: Vec<PermissionAnswer>,
}
