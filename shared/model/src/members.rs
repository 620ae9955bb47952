//! Memberships and the item that marks a member's verified email as taken in an organization:
//! their keys, queries and every write made to them.

use crate::domain::{Email, OrgId, ProjectId, TeamId, Timestamp, UserId};
use crate::error::ApiError;
use crate::orgs::UserItem;
use crate::permissions::{Role, RoleRef};
use crate::store::org_pk;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx, GSI1};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const MEMBER_PREFIX: &str = "MEMBER#";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    /// `USER#<userId>`: the user's organizations.
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    /// `ORG#<orgId>`
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    pub org_id: OrgId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A system role's name or one of the organization's custom roles' ids.
    pub role: RoleRef,
    pub joined_at: Timestamp,
    pub updated_at: Timestamp,
    /// The teams this member is on (a string set, kept in the transactions that change the teams'
    /// `members`), so the access read knows them and removing the member leaves no team membership.
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub teams: BTreeSet<TeamId>,
    /// The projects granted to this member directly (the grant itself, with its role, is on the
    /// project), so removing the member removes those grants without a read.
    #[serde(
        rename = "grantedProjects",
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub projects: BTreeSet<ProjectId>,
    /// The organization's API keys this member created and that are not revoked (a string set of
    /// key ids): their removal marks those keys as created by someone who left.
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub keys_created: BTreeSet<String>,
    /// Bumped by every change of `teams`, `projects` or `keysCreated`: a removal requires the
    /// version it read, so a team membership, grant or key added meanwhile makes it retry instead
    /// of being left behind.
    #[serde(default)]
    access_version: u64,
    /// Set while the member is deactivated (by an admin or the organization's directory): they
    /// hold no seat, every route refuses them, and their role, teams and grants wait for a
    /// reactivation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<Timestamp>,
}

impl Entity for MemberItem {
    const TYPE: &'static str = "member";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.user_id)
    }
}

impl MemberItem {
    pub fn key_of(org: &OrgId, user: &UserId) -> Key {
        Key::new(org_pk(org), format!("{MEMBER_PREFIX}{}", user.as_str()))
    }
    /// The key of the membership a path's `{userId}` names, if it can be a user id.
    pub fn key_in_path(org: &OrgId, raw: &str) -> Option<Key> {
        UserId::parse("userId", raw)
            .ok()
            .map(|u| Self::key_of(org, &u))
    }

    pub fn new(
        org_id: &OrgId,
        user_id: &UserId,
        email: Option<Email>,
        display_name: Option<String>,
        role: RoleRef,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org_id, user_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            gsi1pk: UserItem::memberships_pk(user_id),
            gsi1sk: org_pk(org_id),
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            email,
            display_name,
            role,
            joined_at: now,
            updated_at: now,
            teams: BTreeSet::new(),
            projects: BTreeSet::new(),
            keys_created: BTreeSet::new(),
            access_version: 0,
            deactivated_at: None,
        }
    }

    pub fn is_deactivated(&self) -> bool {
        self.deactivated_at.is_some()
    }

    /// Deactivates the member, conditional on the role read and on being active.
    pub fn deactivate(&self, tx: Tx, now: Timestamp, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET deactivatedAt = :now, updatedAt = :now",
            Some("attribute_exists(PK) AND #role = :role AND attribute_not_exists(deactivatedAt)"),
            Expr::new()
                .value(":now", &now)
                .value(":role", &self.role)
                .name("#role", "role"),
            on_fail,
        )
    }

    /// Reactivates the member with the role, teams and grants they had, conditional on the
    /// deactivation read.
    pub fn reactivate(&self, tx: Tx, now: Timestamp, on_fail: ApiError) -> Result<Tx, ApiError> {
        let Some(at) = self.deactivated_at else {
            return Err(ApiError::internal("reactivating an active member"));
        };
        tx.update(
            self.key(),
            "SET updatedAt = :now REMOVE deactivatedAt",
            Some("#role = :role AND deactivatedAt = :at"),
            Expr::new()
                .value(":now", &now)
                .value(":at", &at)
                .value(":role", &self.role)
                .name("#role", "role"),
            on_fail,
        )
    }

    /// The item that marks this member's verified email as taken in the organization.
    pub fn email_item(&self) -> Option<MemberEmailItem> {
        self.email.as_ref().map(|e| {
            let key = MemberEmailItem::key_of(&self.org_id, e);
            MemberEmailItem {
                pk: key.pk,
                sk: key.sk,
                entity_type: MemberEmailItem::TYPE.into(),
                user_id: self.user_id.clone(),
            }
        })
    }

    /// Adds the membership (`exists` when it is there already) and its email item
    /// (`email_taken` when another member has the email).
    pub fn join(&self, tx: Tx, exists: ApiError, email_taken: ApiError) -> Result<Tx, ApiError> {
        let mut tx = tx.put_new(self, exists)?;
        if let Some(email) = self.email_item() {
            tx = tx.put_new(&email, email_taken)?;
        }
        Ok(tx)
    }

    /// Sets the role, conditional on the role read (and, for a guest, on being on no team: guests
    /// are not on teams).
    pub fn change_role(
        &self,
        tx: Tx,
        new_role: &RoleRef,
        now: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let condition = if new_role.is(Role::Guest) {
            "#role = :old AND attribute_not_exists(teams)"
        } else {
            "#role = :old"
        };
        tx.update(
            self.key(),
            "SET #role = :new, updatedAt = :now",
            Some(condition),
            Expr::new()
                .value(":new", new_role)
                .value(":old", &self.role)
                .value(":now", &now)
                .name("#role", "role"),
            on_fail,
        )
    }

    /// The membership of `user` exists with one of `roles` when the transaction commits (a
    /// membership the request did not read).
    pub fn require_role_in(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        roles: &[RoleRef],
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        if roles.is_empty() {
            return Err(on_fail);
        }
        let mut expr = Expr::new().name("#role", "role");
        let mut placeholders = Vec::new();
        for (i, role) in roles.iter().enumerate() {
            let p = format!(":role{i}");
            expr = expr.value(&p, role);
            placeholders.push(p);
        }
        tx.check(
            Self::key_of(org, user),
            &format!("#role IN ({})", placeholders.join(", ")),
            expr,
            on_fail,
        )
    }

    /// Guards a transaction: the membership still exists with the role it was read with, and
    /// active, when the transaction commits (merged into any write of this membership in the
    /// same transaction).
    pub fn guard_role(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "#g_role = :g_role AND attribute_not_exists(deactivatedAt)",
            Expr::new()
                .value(":g_role", &self.role)
                .name("#g_role", "role"),
            on_fail,
        )
    }

    /// Deletes the membership, conditional on the role and the teams and grants read (their
    /// version), so nothing added meanwhile outlives it. A membership that is gone answers
    /// `missing`; one that changed meanwhile answers `changed` (it is still there).
    pub fn remove_membership(
        &self,
        tx: Tx,
        missing: ApiError,
        changed: ApiError,
    ) -> Result<Tx, ApiError> {
        // Memberships from before the version existed have no attribute: never bumped.
        let (condition, expr) = if self.access_version == 0 {
            (
                "attribute_exists(PK) AND #role = :role AND (attribute_not_exists(accessVersion) OR accessVersion = :v)",
                Expr::new().value(":v", &0u64),
            )
        } else {
            (
                "attribute_exists(PK) AND #role = :role AND accessVersion = :v",
                Expr::new().value(":v", &self.access_version),
            )
        };
        Ok(tx
            .delete(
                self.key(),
                Some(condition),
                expr.value(":role", &self.role).name("#role", "role"),
                changed,
            )?
            .or_if_missing(missing))
    }

    /// Puts the member on a team (the team's own write is `TeamItem::add_member`), conditional on
    /// the role read (a guest is never on a team), on the membership read (its `joinedAt`: the
    /// team's membership item names it, so a membership removed and begun again meanwhile makes
    /// this fail) and on the member's limit of teams.
    pub fn join_team(
        &self,
        tx: Tx,
        team: &TeamId,
        max: usize,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "ADD teams :t SET accessVersion = if_not_exists(accessVersion, :zero) + :one",
            Some("attribute_exists(PK) AND #role = :role AND joinedAt = :joined AND (attribute_not_exists(teams) OR size(teams) < :max)"),
            Expr::new()
                .set(":t", [team.as_str()])
                .value(":role", &self.role)
                .value(":joined", &self.joined_at)
                .value(":max", &max)
                .value(":zero", &0u64)
                .value(":one", &1u64)
                .name("#role", "role"),
            on_fail,
        )
    }

    /// Takes the member off a team, by key (the membership need not have been read).
    pub fn leave_team(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        team: &TeamId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (update, condition, expr) = Self::team_left(team);
        tx.update(
            Self::key_of(org, user),
            update,
            Some(condition),
            expr,
            on_fail,
        )
    }

    /// Forgets a deleted team (the stream's clean-up, outside any transaction): `Ok(false)` when
    /// the member is gone or no longer names it.
    pub async fn forget_team(
        store: &crate::store::Store,
        org: &OrgId,
        user: &UserId,
        team: &TeamId,
    ) -> Result<bool, ApiError> {
        let (update, condition, expr) = Self::team_left(team);
        store
            .update_if(Self::key_of(org, user), update, condition, expr)
            .await
    }

    /// The write that takes `team` off a membership that names it (a missing membership names
    /// nothing, so the condition fails on it too).
    fn team_left(team: &TeamId) -> (&'static str, &'static str, Expr) {
        (
            "DELETE teams :t SET accessVersion = if_not_exists(accessVersion, :zero) + :one",
            "contains(teams, :tid)",
            Expr::new()
                .set(":t", [team.as_str()])
                .value(":tid", team)
                .value(":zero", &0u64)
                .value(":one", &1u64),
        )
    }

    /// Records a direct grant on `project` (the grant is on the project), by key, conditional on
    /// the membership existing and on the member's limit of direct grants.
    pub fn granted(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        project: &ProjectId,
        max: usize,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, user),
            "ADD grantedProjects :p SET accessVersion = if_not_exists(accessVersion, :zero) + :one",
            Some("attribute_exists(PK) AND (attribute_not_exists(grantedProjects) OR contains(grantedProjects, :pid) OR size(grantedProjects) < :max)"),
            Expr::new()
                .set(":p", [project.as_str()])
                .value(":pid", project)
                .value(":max", &max)
                .value(":zero", &0u64)
                .value(":one", &1u64),
            on_fail,
        )
    }

    /// Records that `user` (a member) created API key `key` (`created`), or forgets it once it is
    /// revoked while its creator is a member; conditional on the membership existing.
    pub fn keys_changed(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        key: &crate::domain::ApiKeyId,
        created: bool,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let verb = if created { "ADD" } else { "DELETE" };
        tx.update(
            Self::key_of(org, user),
            &format!(
                "{verb} keysCreated :k SET accessVersion = if_not_exists(accessVersion, :zero) + :one"
            ),
            Some("attribute_exists(PK)"),
            Expr::new()
                .set(":k", [key.as_str()])
                .value(":zero", &0u64)
                .value(":one", &1u64),
            on_fail,
        )
    }

    /// Forgets a direct grant on `project`, by key.
    pub fn ungranted(
        tx: Tx,
        org: &OrgId,
        user: &UserId,
        project: &ProjectId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, user),
            "DELETE grantedProjects :p SET accessVersion = if_not_exists(accessVersion, :zero) + :one",
            Some("contains(grantedProjects, :pid)"),
            Expr::new()
                .set(":p", [project.as_str()])
                .value(":pid", project)
                .value(":zero", &0u64)
                .value(":one", &1u64),
            on_fail,
        )
    }

    /// Guards a transaction: the member is still on `team` when it commits (access through it).
    pub fn guard_on_team(&self, tx: Tx, team: &TeamId, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "contains(teams, :g_team)",
            Expr::new().value(":g_team", team),
            on_fail,
        )
    }

    /// Deletes the item that marks the member's email as taken.
    pub fn remove_email(&self, tx: Tx) -> Result<Tx, ApiError> {
        match self.email_item() {
            Some(email) => tx.delete(
                email.key(),
                None,
                Expr::new(),
                ApiError::internal("deleting a member's email item failed"),
            ),
            None => Ok(tx),
        }
    }

    /// One page of an organization's members, optionally of one role.
    pub fn page_of_org(
        org: &OrgId,
        role: Option<RoleRef>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        let mut q = QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(MEMBER_PREFIX.into()),
            limit,
        )
        .after(cursor)?;
        if let Some(role) = role {
            q = q.filter(
                "#role = :role",
                Expr::new().value(":role", &role).name("#role", "role"),
            );
        }
        Ok(q)
    }

    /// Every member of the organization with one of `roles` (all members when empty), reading
    /// page after page: for jobs and the rare settings answer that need them all.
    pub async fn every_of_org(
        store: &crate::store::Store,
        org: &OrgId,
        roles: &[RoleRef],
    ) -> Result<Vec<MemberItem>, ApiError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = Self::page_of_org(org, None, 100, cursor.as_deref())?;
            if !roles.is_empty() {
                let mut expr = Expr::new().name("#role", "role");
                let mut names = Vec::new();
                for (i, role) in roles.iter().enumerate() {
                    let p = format!(":role{i}");
                    expr = expr.value(&p, role);
                    names.push(p);
                }
                q = q.filter(format!("#role IN ({})", names.join(", ")), expr);
            }
            let page = store.page_of::<MemberItem>(q).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// One page of a user's memberships (GSI1), in organization id order.
    pub fn page_of_user(
        user: &UserId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            UserItem::memberships_pk(user),
            SortCond::BeginsWith("ORG#".into()),
            limit,
        )
        .on_index(GSI1)
        .after(cursor)
    }
}

/// Marks a verified email as belonging to a member of the organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberEmailItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub user_id: UserId,
}

impl Entity for MemberEmailItem {
    const TYPE: &'static str = "member_email";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl MemberEmailItem {
    pub fn key_of(org: &OrgId, email: &Email) -> Key {
        Key::new(org_pk(org), format!("EMAIL#{}", email.as_str()))
    }
    /// No member of the organization has `email` when the transaction commits.
    pub fn require_absent(
        tx: Tx,
        org: &OrgId,
        email: &Email,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.check(
            Self::key_of(org, email),
            "attribute_not_exists(PK)",
            Expr::new(),
            on_fail,
        )
    }
}

/// Whether a member may act: `active`, or `deactivated` (by an admin or the directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Deactivated,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Deactivated => "deactivated",
        }
    }
    pub fn of(member: &MemberItem) -> Self {
        match member.is_deactivated() {
            true => MemberStatus::Deactivated,
            false => MemberStatus::Active,
        }
    }
}

impl crate::body::Parse for MemberStatus {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, ApiError> {
        match raw.as_str() {
            "active" => Ok(MemberStatus::Active),
            "deactivated" => Ok(MemberStatus::Deactivated),
            _ => Err(ApiError::validation(
                field,
                format!("`{field}` is `active` or `deactivated`."),
            )),
        }
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "enum": ["active", "deactivated"] })
    }
}
