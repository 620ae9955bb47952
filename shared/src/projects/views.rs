//! Response bodies of the project routes.

use super::item::{Grant, Principal, ProjectItem};
use crate::domain::{Description, DisplayName, ProjectId, Timestamp, UserId};
use crate::permissions::ProjectRole;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    pub id: ProjectId,
    pub name: DisplayName,
    pub description: Option<Description>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The caller's effective role on the project (`null`: none).
    pub my_role: Option<ProjectRole>,
}

impl ProjectView {
    pub fn new(p: &ProjectItem, my_role: Option<ProjectRole>) -> Self {
        Self {
            id: p.project_id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            created_by: p.created_by.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            my_role,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantView {
    /// `user:<userId>` or `team:<teamId>`.
    pub principal: String,
    /// `user` or `team`.
    pub kind: &'static str,
    pub id: String,
    pub role: ProjectRole,
    pub granted_by: UserId,
    pub granted_at: Timestamp,
}

impl GrantView {
    pub fn new(principal: &Principal, g: &Grant) -> Self {
        let (kind, id) = match principal {
            Principal::User(u) => ("user", u.as_str().to_string()),
            Principal::Team(t) => ("team", t.as_str().to_string()),
        };
        Self {
            principal: principal.as_string(),
            kind,
            id,
            role: g.role,
            granted_by: g.granted_by.clone(),
            granted_at: g.granted_at,
        }
    }
}
