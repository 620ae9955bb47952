//! Response bodies of the team routes.

use super::item::TeamItem;
use crate::domain::{Description, DisplayName, TeamId, Timestamp, UserId};
use crate::members::views::MemberView;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamView {
    pub id: TeamId,
    pub name: DisplayName,
    pub description: Option<Description>,
    pub member_count: usize,
    pub project_count: usize,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// A group of the organization's directory: its name and members change only through SCIM.
    pub managed_by_directory: bool,
}

impl TeamView {
    pub fn new(t: &TeamItem) -> Self {
        Self {
            id: t.team_id.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            member_count: t.member_total() as usize,
            project_count: t.projects.len(),
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            managed_by_directory: t.directory.is_some(),
        }
    }
}

/// A team with one page of its members (`?limit=&cursor=` page through them).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamDetailView {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<MemberView>,
    pub members_next_cursor: Option<String>,
}
