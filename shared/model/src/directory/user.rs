//! A provisioned person: `DIRUSER#<id>` in the organization's partition, with what SCIM says
//! about them (`userName`, `externalId`, `name`, `displayName`, `emails`, `active`) and, once they
//! joined, their membership's user id. Beside it:
//! - `DIRNAME#<userName, lower-cased>`: the uniqueness item of `userName` (not case-exact, RFC
//!   7643 §4.1.1), put under `attribute_not_exists(PK)` in the user's transaction;
//! - `DIREXT#<externalId>#<id>`: the lookup of `externalId eq` filters;
//! - GSI1 `DIREMAIL#<primary email>` / `<orgId>#<id>`: the lookup of `emails.value eq` filters
//!   and of sign-in (whose provisioned users is this verified email, in every organization).

use crate::domain::{DirUserId, Email, InvitationId, OrgId, TeamId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx, GSI1};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const USER_PREFIX: &str = "DIRUSER#";
const NAME_PREFIX: &str = "DIRNAME#";
const EXT_PREFIX: &str = "DIREXT#";
const EMAIL_PREFIX: &str = "DIREMAIL#";

/// Characters of a string attribute at most.
pub const VALUE_MAX_CHARS: usize = 256;
/// Emails of one user at most.
pub const EMAILS_MAX: usize = 10;

/// SCIM's `name` complex attribute (the sub-attributes we keep).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
}

impl PersonName {
    pub fn is_empty(&self) -> bool {
        self.formatted.is_none() && self.family_name.is_none() && self.given_name.is_none()
    }
}

/// One of SCIM's `emails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirEmail {
    pub value: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

/// What SCIM says about a user: the values a PUT replaces and a PATCH changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirUser {
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<DirEmail>,
    /// `false` deactivates; left out (or removed by a PATCH), the person counts as active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl DirUser {
    /// Whether the person is active: unless the directory says `active: false`.
    pub fn is_active(&self) -> bool {
        self.active != Some(false)
    }
    /// The person's email: the primary one, else the first; `None` when it is not an address.
    pub fn primary_email(&self) -> Option<Email> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or(self.emails.first())
            .and_then(|e| Email::parse("emails", &e.value).ok())
    }
    /// `userName` as the uniqueness item keys it (not case-exact).
    pub fn user_name_key(&self) -> String {
        self.user_name.to_lowercase()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirUserItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    pub org_id: OrgId,
    pub id: DirUserId,
    pub user: DirUser,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    /// The member this person became (their user id), once they joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<UserId>,
    /// The groups (teams the directory manages) the directory put them in (a string set, kept
    /// with the groups' member items, bounded by `TEAMS_PER_MEMBER`).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub groups: BTreeSet<TeamId>,
    /// Bumped by every change; each write is conditional on the version it read.
    pub version: u64,
    /// The random nonce of the invitation code a person whose email is not at one of the
    /// organization's verified domains accepts to join (`HMAC(INVITATION_CODE_KEY, nonce)`, as an
    /// invitation's: the table alone makes no code).
    #[serde(default)]
    pub code_nonce: String,
}

/// Groups one user is in at most: joining puts them on each group's team in one transaction
/// (two items per group).
pub const GROUPS_PER_USER: usize = 40;
const _: () = assert!(2 * GROUPS_PER_USER + 12 <= 100);

impl Entity for DirUserItem {
    const TYPE: &'static str = "directory_user";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
}

/// A lookup item of a user: the uniqueness item of a `userName` (and the `userName eq` filter's
/// lookup), or the `externalId eq` filter's.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirLookupItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub id: DirUserId,
}

impl Entity for DirLookupItem {
    const TYPE: &'static str = "directory_user_lookup";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl DirLookupItem {
    fn of(key: Key, id: &DirUserId) -> Self {
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            id: id.clone(),
        }
    }
}

pub fn user_name_taken(user_name: &str) -> ApiError {
    ApiError::new(
        Code::ScimUniqueness,
        format!("A user with userName `{user_name}` exists in this directory already (userName is unique, not case-exact)."),
    )
}

pub fn dir_user_not_found() -> ApiError {
    ApiError::new(
        Code::ScimResourceNotFound,
        "No user with this id in the organization's directory.",
    )
}

fn changed() -> ApiError {
    ApiError::concurrent("The user changed meanwhile; read it again and retry.")
}

impl DirUserItem {
    pub fn key_of(org: &OrgId, id: &DirUserId) -> Key {
        Key::new(org_pk(org), format!("{USER_PREFIX}{}", id.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        DirUserId::parse(raw).map(|id| Self::key_of(org, &id))
    }
    pub fn name_key(org: &OrgId, user_name: &str) -> Key {
        Key::new(
            org_pk(org),
            format!("{NAME_PREFIX}{}", user_name.to_lowercase()),
        )
    }
    fn ext_key(org: &OrgId, external_id: &str, id: &DirUserId) -> Key {
        Key::new(
            org_pk(org),
            format!("{EXT_PREFIX}{external_id}#{}", id.as_str()),
        )
    }
    fn email_partition(email: &Email) -> String {
        format!("{EMAIL_PREFIX}{}", email.as_str())
    }

    pub fn new(org: &OrgId, user: DirUser, now: Timestamp, code_nonce: String) -> Self {
        let id = DirUserId::new();
        let key = Self::key_of(org, &id);
        let mut item = Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            gsi1pk: None,
            gsi1sk: None,
            org_id: org.clone(),
            id,
            user,
            created: now,
            last_modified: now,
            member: None,
            groups: BTreeSet::new(),
            version: 0,
            code_nonce,
        };
        item.index_email();
        item
    }

    /// The same user with `user`'s values (a replace or a patch), one version on.
    pub fn with(&self, user: DirUser, now: Timestamp) -> Self {
        let mut next = self.clone();
        next.user = user;
        next.last_modified = now;
        next.version = self.version + 1;
        next.index_email();
        next
    }

    fn index_email(&mut self) {
        match self.user.primary_email() {
            Some(email) => {
                self.gsi1pk = Some(Self::email_partition(&email));
                self.gsi1sk = Some(format!("{}#{}", self.org_id.as_str(), self.id.as_str()));
            }
            None => {
                self.gsi1pk = None;
                self.gsi1sk = None;
            }
        }
    }

    /// The id of the invitation this person accepts to join (the same 128 bits as the user's).
    pub fn invitation_id(&self) -> InvitationId {
        InvitationId::parse(&format!(
            "{}{}",
            InvitationId::PREFIX,
            &self.id.as_str()[DirUserId::PREFIX.len()..]
        ))
        .expect("a directory user's id makes an invitation id")
    }
    /// The user an invitation id names, if it is a directory user's.
    pub fn id_of_invitation(inv: &InvitationId) -> Option<DirUserId> {
        DirUserId::parse(&format!(
            "{}{}",
            DirUserId::PREFIX,
            &inv.as_str()[InvitationId::PREFIX.len()..]
        ))
    }

    /// Whether the person holds a seat: active and not yet a member (a member's seat is their
    /// membership's).
    pub fn holds_seat(&self) -> bool {
        self.user.is_active() && self.member.is_none()
    }

    fn name_item(&self) -> DirLookupItem {
        DirLookupItem::of(Self::name_key(&self.org_id, &self.user.user_name), &self.id)
    }
    fn ext_item(&self) -> Option<DirLookupItem> {
        self.user
            .external_id
            .as_ref()
            .map(|ext| DirLookupItem::of(Self::ext_key(&self.org_id, ext, &self.id), &self.id))
    }

    /// Provisions the user: the user, its `userName` (409 `uniqueness` when taken) and its
    /// `externalId` lookup.
    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        let tx = tx.put_new(self, ApiError::internal("directory user id collision"))?;
        let tx = tx.put_new(&self.name_item(), user_name_taken(&self.user.user_name))?;
        match self.ext_item() {
            Some(ext) => tx.put_new(&ext, ApiError::internal("external id lookup collision")),
            None => Ok(tx),
        }
    }

    /// Writes `self` over `before` (the user as read): conditional on its version; a changed
    /// `userName` moves its uniqueness item, a changed `externalId` its lookup.
    pub fn replace(&self, tx: Tx, before: &DirUserItem) -> Result<Tx, ApiError> {
        let mut tx = tx
            .put(
                self,
                Some("version = :v"),
                Expr::new().value(":v", &before.version),
                changed(),
            )?
            .or_if_missing(dir_user_not_found());
        if self.user.user_name_key() != before.user.user_name_key() {
            tx = tx.delete(
                before.name_item().key(),
                Some("id = :id"),
                Expr::new().value(":id", &self.id),
                changed(),
            )?;
            tx = tx.put_new(&self.name_item(), user_name_taken(&self.user.user_name))?;
        }
        if self.user.external_id != before.user.external_id {
            if let Some(old) = before.ext_item() {
                tx = tx.delete(old.key(), None, Expr::new(), changed())?;
            }
            if let Some(new) = self.ext_item() {
                tx = tx.put(&new, None, Expr::new(), changed())?;
            }
        }
        Ok(tx)
    }

    /// Records the member this person became, conditional on the user as read.
    pub fn joined(&self, tx: Tx, member: &UserId, now: Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET #m = :m, lastModified = :now, version = version + :one",
            Some("version = :v AND attribute_not_exists(#m)"),
            Expr::new()
                .value(":m", member)
                .value(":now", &now)
                .value(":one", &1u64)
                .value(":v", &self.version)
                .name("#m", "member"),
            changed(),
        )
    }

    /// The user joins (`true`) or leaves a group, by key; joining is conditional on the user
    /// existing and on their limit of groups (`max`).
    pub fn in_group(
        tx: Tx,
        org: &OrgId,
        id: &DirUserId,
        team: &TeamId,
        joins: bool,
        max: usize,
    ) -> Result<Tx, ApiError> {
        let (update, condition) = match joins {
            true => (
                "ADD #g :t SET version = version + :one",
                "attribute_exists(PK) AND (attribute_not_exists(#g) OR contains(#g, :tid) OR size(#g) < :max)",
            ),
            false => (
                "DELETE #g :t SET version = version + :one",
                "attribute_exists(PK)",
            ),
        };
        // The version moves: a replace of the user (a whole put) made on what it read fails
        // instead of bringing back the groups as they were.
        let mut expr = Expr::new()
            .set(":t", [team.as_str()])
            .value(":one", &1u64)
            .name("#g", "groups");
        if joins {
            expr = expr.value(":tid", team).value(":max", &max);
        }
        tx.update(
            Self::key_of(org, id),
            update,
            Some(condition),
            expr,
            ApiError::new(
                Code::ScimInvalidValue,
                format!("A member of the group is not a user of this directory (or is in {max} groups already)."),
            ),
        )
    }

    /// Forgets a deleted group (the stream's clean-up, outside any transaction).
    pub async fn forget_group(
        store: &crate::store::Store,
        org: &OrgId,
        id: &DirUserId,
        team: &TeamId,
    ) -> Result<bool, ApiError> {
        store
            .update_if(
                Self::key_of(org, id),
                "DELETE #g :t SET version = version + :one",
                "contains(#g, :tid)",
                Expr::new()
                    .set(":t", [team.as_str()])
                    .value(":tid", team)
                    .value(":one", &1u64)
                    .name("#g", "groups"),
            )
            .await
    }

    /// Deletes the user, its `userName` and its lookup, conditional on the version read.
    pub fn delete(&self, tx: Tx) -> Result<Tx, ApiError> {
        let tx = tx
            .delete(
                self.key(),
                Some("version = :v"),
                Expr::new().value(":v", &self.version),
                changed(),
            )?
            .or_if_missing(dir_user_not_found());
        let tx = tx.delete(
            self.name_item().key(),
            Some("id = :id"),
            Expr::new().value(":id", &self.id),
            changed(),
        )?;
        match self.ext_item() {
            Some(ext) => tx.delete(ext.key(), None, Expr::new(), changed()),
            None => Ok(tx),
        }
    }

    /// One page of the directory's users, in id order.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(org_pk(org), SortCond::BeginsWith(USER_PREFIX.into()), limit).after(cursor)
    }
    /// The lookups of users whose `externalId` starts with `external_id` (the caller compares
    /// the users' own values).
    pub fn with_external_id(org: &OrgId, external_id: &str, limit: u32) -> QuerySpec {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(format!("{EXT_PREFIX}{external_id}#")),
            limit,
        )
    }
    /// The organization's users whose primary email is `email` (GSI1).
    pub fn with_email(org: &OrgId, email: &Email, limit: u32) -> QuerySpec {
        QuerySpec::new(
            Self::email_partition(email),
            SortCond::BeginsWith(format!("{}#", org.as_str())),
            limit,
        )
        .on_index(GSI1)
    }
    /// Every organization's users whose primary email is `email` (GSI1): sign-in's lookup.
    pub fn everywhere_with_email(email: &Email, limit: u32) -> QuerySpec {
        QuerySpec::new(Self::email_partition(email), SortCond::Any, limit).on_index(GSI1)
    }
}
