//! Teams: a named set of members that project grants can name. The team item holds its members
//! and the projects granted to it (string sets, each bounded by a documented limit), so deleting a
//! team removes every membership and grant it brought in one transaction, without a read.

use crate::domain::{Description, OrgId, OrgName, ProjectId, TeamId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::projects::item::NameChanges;
use crate::store::org_pk;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const TEAM_PREFIX: &str = "TEAM#";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub name: OrgName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub members: BTreeSet<UserId>,
    /// The projects that grant this team a role (the grant itself is on the project).
    #[serde(
        rename = "grantedProjects",
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub projects: BTreeSet<ProjectId>,
    /// Bumped by every change of `members` or `projects`: deleting the team requires what it read.
    #[serde(default)]
    version: u64,
}

impl Entity for TeamItem {
    const TYPE: &'static str = "team";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.team_id)
    }
}

pub fn team_not_found() -> ApiError {
    ApiError::new(
        Code::TeamNotFound,
        "No team with this id in the organization.",
    )
}

fn changed() -> ApiError {
    ApiError::concurrent("The team changed meanwhile; reload and retry.")
}

impl TeamItem {
    pub fn key_of(org: &OrgId, team: &TeamId) -> Key {
        Key::new(org_pk(org), format!("{TEAM_PREFIX}{}", team.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        TeamId::parse(raw).map(|t| Self::key_of(org, &t))
    }

    pub fn new(
        org: &OrgId,
        name: OrgName,
        description: Option<Description>,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let team_id = TeamId::new();
        let key = Self::key_of(org, &team_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            team_id,
            name,
            description,
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
            members: BTreeSet::new(),
            projects: BTreeSet::new(),
            version: 0,
        }
    }

    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("team id collision"))
    }

    pub fn update(&self, tx: Tx, changes: &NameChanges, now: Timestamp) -> Result<Tx, ApiError> {
        let (update, expr) = changes.expression(now);
        tx.update(
            self.key(),
            &update,
            Some("attribute_exists(PK)"),
            expr,
            team_not_found(),
        )
    }

    /// Deletes the team, conditional on its members and grants as read.
    pub fn delete(&self, tx: Tx) -> Result<Tx, ApiError> {
        Ok(tx
            .delete(
                self.key(),
                Some("version = :v"),
                Expr::new().value(":v", &self.version),
                changed(),
            )?
            .or_if_missing(team_not_found()))
    }

    fn bump() -> &'static str {
        "version = if_not_exists(version, :zero) + :one"
    }
    fn counters() -> Expr {
        Expr::new().value(":zero", &0u64).value(":one", &1u64)
    }

    /// Adds a member (their membership's own write is `MemberItem::join_team`), within the limit
    /// of members per team (checked on the read first; a failure here is a change meanwhile).
    pub fn add_member(&self, tx: Tx, user: &UserId, max: usize) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            &format!("ADD members :u SET {}", Self::bump()),
            Some(
                "attribute_exists(PK) AND (attribute_not_exists(members) OR size(members) < :max)",
            ),
            Self::counters()
                .set(":u", [user.as_str()])
                .value(":max", &max),
            changed(),
        )
    }

    /// Guards a transaction: the team still holds no project grant when it commits (someone was
    /// added to it by a caller who could not give those grants).
    pub fn guard_no_grants(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "attribute_not_exists(grantedProjects)",
            Expr::new(),
            on_fail,
        )
    }

    /// Removes a member, by key: the member's record says they are on the team, so they must be.
    pub fn member_gone(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        user: &UserId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, team),
            &format!("DELETE members :u SET {}", Self::bump()),
            Some("contains(members, :uid)"),
            Self::counters()
                .set(":u", [user.as_str()])
                .value(":uid", user),
            on_fail,
        )
    }

    /// Records a grant on `project` to this team, within the limit of projects per team (checked
    /// on the read first; a failure here is a change meanwhile).
    pub fn granted(&self, tx: Tx, project: &ProjectId, max: usize) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            &format!("ADD grantedProjects :p SET {}", Self::bump()),
            Some("attribute_exists(PK) AND (attribute_not_exists(grantedProjects) OR contains(grantedProjects, :pid) OR size(grantedProjects) < :max)"),
            Self::counters()
                .set(":p", [project.as_str()])
                .value(":pid", project)
                .value(":max", &max),
            changed(),
        )
    }

    /// Forgets a grant on `project`, by key.
    pub fn ungranted(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        project: &ProjectId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, team),
            &format!("DELETE grantedProjects :p SET {}", Self::bump()),
            Some("contains(grantedProjects, :pid)"),
            Self::counters()
                .set(":p", [project.as_str()])
                .value(":pid", project),
            on_fail,
        )
    }

    /// One page of the organization's teams.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(org_pk(org), SortCond::BeginsWith(TEAM_PREFIX.into()), limit).after(cursor)
    }
}
