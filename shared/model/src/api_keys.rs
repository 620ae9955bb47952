//! The API key item: what a key is (name, role, projects, expiry) and the digest of its secret,
//! never the secret. It lives in the organization's partition, so the purge deletes it with the
//! rest, and the organization item lists every key with its creator (`apiKeys`), which bounds
//! their number and tells a member's removal which keys they created without a read.

use crate::domain::{ApiKeyId, DisplayName, OrgId, ProjectId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::orgs::OrgItem;
use crate::permissions::{ProjectRole, Role, RoleRef};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

const KEY_PREFIX: &str = "APIKEY#";

/// A key's use is recorded at most this often.
fn touch_every() -> chrono::Duration {
    chrono::Duration::hours(1)
}

/// The digest a rolled key's old secret keeps verifying with, until `until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Previous {
    pub digest: String,
    pub until: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub key_id: ApiKeyId,
    pub name: DisplayName,
    /// The role as given; with projects, the key's organization role is `guest` and this is the
    /// role it has on each of them (as a project-limited invitation's). A system role's name
    /// or one of the organization's custom roles' ids.
    pub role: RoleRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<ProjectId>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None`: the key never expires (only where the organization's settings allow it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Written by a verification at most once an hour (see `touch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
    /// `HMAC-SHA256(API_KEY_HASH_KEY, ...)` of the current secret (`secret.rs`).
    pub digest: String,
    /// The key's first characters, to recognise it (not enough of the secret to search the rest).
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_at: Option<Timestamp>,
    /// Bumped by every change: an update or a roll is conditional on the key as read.
    pub version: u64,
}

impl Entity for ApiKeyItem {
    const TYPE: &'static str = "api_key";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.key_id)
    }
}

pub fn api_key_not_found() -> ApiError {
    ApiError::new(
        Code::ApiKeyNotFound,
        "No API key with this id in the organization (a revoked key is gone).",
    )
}

fn changed() -> ApiError {
    ApiError::concurrent(
        "The API key changed meanwhile (renamed, re-roled or rolled); reload and retry.",
    )
}

/// What an update changes.
#[derive(Debug, Default)]
pub struct KeyChanges {
    pub name: Option<DisplayName>,
    pub role: Option<RoleRef>,
}

impl ApiKeyItem {
    pub fn key_of(org: &OrgId, key: &ApiKeyId) -> Key {
        Key::new(org_pk(org), format!("{KEY_PREFIX}{}", key.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        ApiKeyId::parse(raw).map(|k| Self::key_of(org, &k))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        org: &OrgId,
        key_id: ApiKeyId,
        name: DisplayName,
        role: RoleRef,
        project_ids: Vec<ProjectId>,
        by: &UserId,
        expires_at: Option<Timestamp>,
        (digest, prefix): (String, String),
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, &key_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            key_id,
            name,
            role,
            project_ids,
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
            expires_at,
            last_used_at: None,
            digest,
            prefix,
            previous: None,
            rolled_at: None,
            version: 0,
        }
    }

    /// The key as an actor: the id its audit entries name (`actorKind: api_key`).
    pub fn actor_id(&self) -> UserId {
        UserId::parse("actorId", self.key_id.as_str()).expect("a key id is a user id")
    }
    /// The key's organization role: a key limited to projects is a guest in the organization.
    pub fn org_role(&self) -> RoleRef {
        if self.project_ids.is_empty() {
            self.role.clone()
        } else {
            Role::Guest.into()
        }
    }
    /// The role on each of its projects, if it is limited to projects.
    pub fn project_role(&self, org: &OrgItem) -> Option<ProjectRole> {
        (!self.project_ids.is_empty()).then(|| org.project_role_for(&self.role))
    }
    /// Whether a presented key opens this one at `now`: `matches` (the presented key's digest
    /// compared in constant time) says so for the current digest, or for the previous one within
    /// its grace after a roll; an expired key opens nothing.
    pub fn opens(
        &self,
        matches: impl Fn(&str) -> Result<bool, ApiError>,
        now: Timestamp,
    ) -> Result<bool, ApiError> {
        if self.is_expired(now) {
            return Ok(false);
        }
        if matches(&self.digest)? {
            return Ok(true);
        }
        match &self.previous {
            Some(p) if p.until > now => matches(&p.digest),
            _ => Ok(false),
        }
    }
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
    /// The entry of this key in the organization's `apiKeys` set: its id and its creator.
    pub fn org_entry(&self) -> String {
        crate::orgs::OrgApiKeys::entry(&self.key_id, &self.created_by)
    }

    /// A decision made for the key as a caller holds only while the key is as read: not revoked
    /// (deleted), renamed, re-roled or rolled meanwhile.
    pub fn guard_unchanged(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "#g_kversion = :g_kversion",
            Expr::new()
                .value(":g_kversion", &self.version)
                .name("#g_kversion", "version"),
            on_fail,
        )
    }

    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("API key id collision"))
    }

    /// Renames or re-roles the key, conditional on the key as read.
    pub fn update(&self, tx: Tx, changes: &KeyChanges, now: Timestamp) -> Result<Tx, ApiError> {
        let mut sets = vec!["updatedAt = :now", "version = version + :one"];
        let mut expr = Expr::new()
            .value(":now", &now)
            .value(":one", &1u64)
            .value(":v", &self.version);
        if let Some(name) = &changes.name {
            sets.push("#name = :name");
            expr = expr.value(":name", name).name("#name", "name");
        }
        if let Some(role) = &changes.role {
            sets.push("#role = :role");
            expr = expr.value(":role", role).name("#role", "role");
        }
        Ok(tx
            .update(
                self.key(),
                &format!("SET {}", sets.join(", ")),
                Some("version = :v"),
                expr,
                changed(),
            )?
            .or_if_missing(api_key_not_found()))
    }

    /// A new secret; the old one keeps verifying until `grace_until` (none: it stops now).
    pub fn roll(
        &self,
        tx: Tx,
        (digest, prefix): (&str, &str),
        grace_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let mut expr = Expr::new()
            .value(":d", digest)
            .value(":p", prefix)
            .value(":now", &now)
            .value(":one", &1u64)
            .value(":v", &self.version);
        let previous = match grace_until {
            Some(until) => {
                expr = expr.value(
                    ":prev",
                    &Previous {
                        digest: self.digest.clone(),
                        until,
                    },
                );
                "previous = :prev"
            }
            None => "",
        };
        let update = if previous.is_empty() {
            "SET digest = :d, prefix = :p, rolledAt = :now, updatedAt = :now, version = version + :one REMOVE previous".to_string()
        } else {
            format!("SET digest = :d, prefix = :p, {previous}, rolledAt = :now, updatedAt = :now, version = version + :one")
        };
        Ok(tx
            .update(self.key(), &update, Some("version = :v"), expr, changed())?
            .or_if_missing(api_key_not_found()))
    }

    /// Revokes the key: whatever it became meanwhile, it is gone.
    pub fn revoke(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.delete(
            self.key(),
            Some("attribute_exists(PK)"),
            Expr::new(),
            api_key_not_found(),
        )
    }

    /// The last use, at most once an hour: the condition lets one of parallel verifications
    /// write and the others do nothing (no contention on the item).
    pub fn touch(&self, now: Timestamp) -> (Key, &'static str, &'static str, Expr) {
        let hour_ago = now - touch_every();
        (
            self.key(),
            "SET lastUsedAt = :now",
            "attribute_exists(PK) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :hourAgo)",
            Expr::new().value(":now", &now).value(":hourAgo", &hour_ago),
        )
    }
    /// Whether a verification at `now` records the use (the last one is an hour old or more).
    pub fn due_for_touch(&self, now: Timestamp) -> bool {
        self.last_used_at.is_none_or(|t| t <= now - touch_every())
    }

    /// One page of the organization's keys.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(org_pk(org), SortCond::BeginsWith(KEY_PREFIX.into()), limit).after(cursor)
    }
}
