//! Teams: a named set of members that project grants can name. Each membership is an item of
//! its own (`TeamMemberItem`, counted by the team's `memberCount` in the same transaction), so a
//! team holds any number of members; the team item keeps the projects granted to it (a string
//! set bounded by `GRANTS_PER_TEAM`), so deleting a team removes its grants in one transaction and
//! leaves its memberships to the stream's clean-up (`super::cleanup`). Teams from before the
//! membership items keep theirs in the team's `members` set (read, removed, never added to).

use crate::domain::{Description, DisplayName, OrgId, ProjectId, TeamId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::members::MemberItem;
use crate::projects::NameChanges;
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
    pub name: DisplayName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Memberships from before the membership items (read and removed, never added to).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub members: BTreeSet<UserId>,
    /// The team's `TeamMemberItem`s, counted in the transactions that add and remove them.
    #[serde(default)]
    member_count: i64,
    /// The projects that grant this team a role (the grant itself is on the project).
    #[serde(
        rename = "grantedProjects",
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub projects: BTreeSet<ProjectId>,
    /// Bumped by every change of `members` (the legacy set) or `projects`: deleting the team
    /// requires the grants it read (its memberships are cleaned up after it, whatever they are).
    #[serde(default)]
    version: u64,
    /// Set on a team the organization's directory manages (a SCIM group): its name and members
    /// change only through SCIM (`crate::directory::group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<TeamDirectory>,
}

/// What the directory says of a group beside its name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamDirectory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

pub fn managed_by_directory() -> ApiError {
    ApiError::new(
        Code::ManagedByDirectory,
        "This team is a group of the organization's directory: its name and members change only through the identity provider (SCIM). Its project access is managed here as any team's.",
    )
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
        name: DisplayName,
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
            member_count: 0,
            projects: BTreeSet::new(),
            version: 0,
            directory: None,
        }
    }

    /// A team the directory manages (a SCIM group), created by its token.
    pub fn for_directory(
        org: &OrgId,
        name: DisplayName,
        external_id: Option<String>,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let mut team = Self::new(org, name, None, by, now);
        team.directory = Some(TeamDirectory { external_id });
        team
    }

    /// A group renamed (or its `externalId` changed) by the directory, conditional on the team
    /// being there and the directory's.
    pub fn directory_renamed(
        &self,
        tx: Tx,
        name: &DisplayName,
        external_id: Option<&str>,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET #name = :name, directory = :d, updatedAt = :now",
            Some("attribute_exists(PK) AND attribute_exists(directory)"),
            Expr::new()
                .value(":name", name)
                .value(
                    ":d",
                    &TeamDirectory {
                        external_id: external_id.map(str::to_string),
                    },
                )
                .value(":now", &now)
                .name("#name", "name"),
            team_not_found(),
        )
    }

    /// One more member on `team`, by key (someone the directory put in the group joined),
    /// conditional on the team being there.
    pub fn member_joined(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, team),
            "ADD memberCount :one",
            Some("attribute_exists(PK)"),
            Expr::new().value(":one", &1i64),
            on_fail,
        )
    }

    /// The directory changed the group's members by `delta` (their membership items are written
    /// beside), conditional on the team being there.
    pub fn directory_members_counted(&self, tx: Tx, delta: i64) -> Result<Tx, ApiError> {
        match delta {
            0 => tx.guard(
                self.key(),
                "attribute_exists(PK)",
                Expr::new(),
                team_not_found(),
            ),
            d => tx.update(
                self.key(),
                "ADD memberCount :d",
                Some("attribute_exists(PK)"),
                Expr::new().value(":d", &d),
                team_not_found(),
            ),
        }
    }

    /// Its members: the membership items and the legacy set's.
    pub fn member_total(&self) -> u64 {
        self.member_count.max(0) as u64 + self.members.len() as u64
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

    /// Adds a member: their membership item (refused while one is there: a parallel add, or a
    /// removed membership the clean-up has not reached yet) and the team's count, within the
    /// limit of members per team (checked on the read first; a failure here is a change
    /// meanwhile). The member's own record is `MemberItem::join_team`.
    pub fn add_member(
        &self,
        tx: Tx,
        member: &MemberItem,
        by: &UserId,
        now: Timestamp,
        max: usize,
    ) -> Result<Tx, ApiError> {
        let item = TeamMemberItem::new(&self.org_id, &self.team_id, member, by, now);
        let tx = tx.put_new(&item, changed())?;
        let room = (max as u64).saturating_sub(self.members.len() as u64);
        tx.update(
            self.key(),
            "ADD memberCount :one",
            Some("attribute_exists(PK) AND (attribute_not_exists(memberCount) OR memberCount < :room)"),
            Expr::new().value(":one", &1u64).value(":room", &room),
            changed(),
        )
    }

    /// Takes `user` off the team: their membership item and the team's count (or, for a
    /// membership from before the items, the team's `members` set), by key.
    pub fn remove_member(&self, tx: Tx, user: &UserId, on_fail: ApiError) -> Result<Tx, ApiError> {
        if self.members.contains(user) {
            return Self::legacy_member_gone(tx, &self.org_id, &self.team_id, user, on_fail);
        }
        let tx = tx.delete(
            TeamMemberItem::key_of(&self.org_id, &self.team_id, user),
            Some("attribute_exists(PK)"),
            Expr::new(),
            on_fail.clone(),
        )?;
        Self::counted_gone(tx, &self.org_id, &self.team_id, on_fail)
    }

    /// One membership item fewer on the team, which exists.
    pub fn counted_gone(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, team),
            "ADD memberCount :minus",
            Some("attribute_exists(PK)"),
            Expr::new().value(":minus", &-1i64),
            on_fail,
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

    /// Removes a membership from the team's legacy `members` set, by key.
    pub fn legacy_member_gone(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        user: &UserId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (update, condition, expr) = Self::legacy_member_left(user);
        tx.update(
            Self::key_of(org, team),
            &update,
            Some(condition),
            expr,
            on_fail,
        )
    }

    /// Takes a removed member out of the team's legacy `members` set (the stream's clean-up,
    /// outside any transaction): `Ok(false)` when the team is gone or does not hold them there.
    pub async fn forget_legacy_member(
        store: &crate::store::Store,
        org: &OrgId,
        team: &TeamId,
        user: &UserId,
    ) -> Result<bool, ApiError> {
        let (update, condition, expr) = Self::legacy_member_left(user);
        store
            .update_if(Self::key_of(org, team), &update, condition, expr)
            .await
    }

    /// The write that takes `user` out of the team's legacy `members` set, if it is there.
    fn legacy_member_left(user: &UserId) -> (String, &'static str, Expr) {
        (
            format!("DELETE members :u SET {}", Self::bump()),
            "contains(members, :uid)",
            Self::counters()
                .set(":u", [user.as_str()])
                .value(":uid", user),
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

const TEAM_MEMBER_PREFIX: &str = "TMEMBER#";

/// One member's place on a team (`TMEMBER#<teamId>#<userId>`): the team's pages of members are a
/// Query of these, and the clean-up of a deleted team or a removed member finds them by key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub user_id: UserId,
    /// When the membership it belongs to began: the clean-up of that membership's removal takes
    /// only this item, never one of a later membership of the same person.
    pub member_joined_at: Timestamp,
    pub added_by: UserId,
    pub added_at: Timestamp,
}

impl Entity for TeamMemberItem {
    const TYPE: &'static str = "team_member";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.team_id, &self.user_id)
    }
}

impl TeamMemberItem {
    pub fn key_of(org: &OrgId, team: &TeamId, user: &UserId) -> Key {
        Key::new(
            org_pk(org),
            format!("{TEAM_MEMBER_PREFIX}{}#{}", team.as_str(), user.as_str()),
        )
    }

    pub fn new(
        org: &OrgId,
        team: &TeamId,
        member: &MemberItem,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, team, &member.user_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            team_id: team.clone(),
            user_id: member.user_id.clone(),
            member_joined_at: member.joined_at,
            added_by: by.clone(),
            added_at: now,
        }
    }

    /// One page of a team's membership items, in user id order, after `after`'s.
    pub fn page_of_team(
        org: &OrgId,
        team: &TeamId,
        limit: u32,
        after: Option<&UserId>,
    ) -> QuerySpec {
        let mut q = QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(format!("{TEAM_MEMBER_PREFIX}{}#", team.as_str())),
            limit,
        );
        q.start = after.map(|u| Self::key_of(org, team, u).to_item());
        q
    }

    /// The membership item of `user` on `team` goes, if it belongs to the membership that began
    /// at `joined_at` (the clean-up of that membership's removal), with the team's count.
    pub fn remove_of_membership(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        user: &UserId,
        joined_at: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let tx = tx.delete(
            Self::key_of(org, team, user),
            Some("memberJoinedAt = :joined"),
            Expr::new().value(":joined", &joined_at),
            on_fail.clone(),
        )?;
        TeamItem::counted_gone(tx, org, team, on_fail)
    }
}
