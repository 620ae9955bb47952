//! Groups are teams the directory manages (`TeamItem::directory`). Beside the team:
//! - `DIRGNAME#<displayName, lower-cased>`: the uniqueness item of a group's `displayName` (not
//!   case-exact), put under `attribute_not_exists(PK)` in the group's transaction;
//! - `DIRGEXT#<externalId>#<teamId>`: the lookup of an `externalId eq` filter;
//! - `DIRGMEMBER#<teamId>#<scimUserId>`: one of the group's members as the directory names them
//!   (a user who has not joined yet too: they become a team member when they join). The user
//!   names their groups (`DirUserItem::groups`), so deleting the user, or their joining, needs no
//!   search; a deleted group's are removed by the stream's clean-up, page after page.

use crate::domain::{DirUserId, OrgId, TeamId};
use crate::error::{ApiError, Code};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

const NAME_PREFIX: &str = "DIRGNAME#";
const EXT_PREFIX: &str = "DIRGEXT#";
const MEMBER_PREFIX: &str = "DIRGMEMBER#";

/// A lookup item: a key and the team it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupLookupItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub team_id: TeamId,
}

impl Entity for GroupLookupItem {
    const TYPE: &'static str = "directory_group_lookup";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

/// One member of a group, as the directory names them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub team_id: TeamId,
    pub user: DirUserId,
}

impl Entity for GroupMemberItem {
    const TYPE: &'static str = "directory_group_member";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

pub fn group_name_taken(name: &str) -> ApiError {
    ApiError::new(
        Code::ScimUniqueness,
        format!("A group with displayName `{name}` exists in this directory already (displayName is unique, not case-exact)."),
    )
}

fn lookup(key: Key, team: &TeamId) -> GroupLookupItem {
    GroupLookupItem {
        pk: key.pk,
        sk: key.sk,
        entity_type: GroupLookupItem::TYPE.into(),
        team_id: team.clone(),
    }
}

/// The keys and writes of a group's items beside its team.
pub struct Group;

impl Group {
    pub fn name_key(org: &OrgId, name: &str) -> Key {
        Key::new(org_pk(org), format!("{NAME_PREFIX}{}", name.to_lowercase()))
    }
    fn ext_key(org: &OrgId, ext: &str, team: &TeamId) -> Key {
        Key::new(org_pk(org), format!("{EXT_PREFIX}{ext}#{}", team.as_str()))
    }
    pub fn member_key(org: &OrgId, team: &TeamId, user: &DirUserId) -> Key {
        Key::new(
            org_pk(org),
            format!("{MEMBER_PREFIX}{}#{}", team.as_str(), user.as_str()),
        )
    }

    /// The group's name (409 `uniqueness` when another group has it) and its `externalId`
    /// lookup.
    pub fn named(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        name: &str,
        ext: Option<&str>,
    ) -> Result<Tx, ApiError> {
        let tx = tx.put_new(
            &lookup(Self::name_key(org, name), team),
            group_name_taken(name),
        )?;
        match ext {
            Some(ext) => tx.put(
                &lookup(Self::ext_key(org, ext, team), team),
                None,
                Expr::new(),
                ApiError::internal("lookup"),
            ),
            None => Ok(tx),
        }
    }

    /// A group's `externalId` lookup moves from `old` to `new` (its name unchanged).
    pub fn external_id_moved(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<Tx, ApiError> {
        let mut tx = tx;
        if let Some(old) = old {
            tx = tx.delete(
                Self::ext_key(org, old, team),
                None,
                Expr::new(),
                ApiError::internal("lookup"),
            )?;
        }
        if let Some(new) = new {
            tx = tx.put(
                &lookup(Self::ext_key(org, new, team), team),
                None,
                Expr::new(),
                ApiError::internal("lookup"),
            )?;
        }
        Ok(tx)
    }

    /// The name and lookup a group no longer has (renamed, or deleted).
    pub fn unnamed(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        name: &str,
        ext: Option<&str>,
    ) -> Result<Tx, ApiError> {
        let tx = tx.delete(
            Self::name_key(org, name),
            Some("teamId = :t"),
            Expr::new().value(":t", team),
            ApiError::concurrent("The group was renamed meanwhile; read it again and retry."),
        )?;
        match ext {
            Some(ext) => tx.delete(
                Self::ext_key(org, ext, team),
                None,
                Expr::new(),
                ApiError::internal("lookup"),
            ),
            None => Ok(tx),
        }
    }

    /// `user` is a member of the group (idempotent).
    pub fn member_added(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        user: &DirUserId,
    ) -> Result<Tx, ApiError> {
        let key = Self::member_key(org, team, user);
        let item = GroupMemberItem {
            pk: key.pk,
            sk: key.sk,
            entity_type: GroupMemberItem::TYPE.into(),
            team_id: team.clone(),
            user: user.clone(),
        };
        tx.put(&item, None, Expr::new(), ApiError::internal("group member"))
    }

    /// `user` is no longer a member of the group (idempotent).
    pub fn member_removed(
        tx: Tx,
        org: &OrgId,
        team: &TeamId,
        user: &DirUserId,
    ) -> Result<Tx, ApiError> {
        tx.delete(
            Self::member_key(org, team, user),
            None,
            Expr::new(),
            ApiError::internal("group member"),
        )
    }

    /// One page of a group's members.
    pub fn members_page(
        org: &OrgId,
        team: &TeamId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(format!("{MEMBER_PREFIX}{}#", team.as_str())),
            limit,
        )
        .after(cursor)
    }

    /// The lookups of groups whose `externalId` starts with `ext` (the caller compares).
    pub fn with_external_id(org: &OrgId, ext: &str, limit: u32) -> QuerySpec {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(format!("{EXT_PREFIX}{ext}#")),
            limit,
        )
    }
}
