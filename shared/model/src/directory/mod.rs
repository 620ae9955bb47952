//! An organization's directory: what its identity provider provisions over SCIM 2.0 (RFC 7643,
//! RFC 7644). `token.rs`: the bearer tokens an identity provider calls with (keyed digests only);
//! `user.rs`: the provisioned people, their unique `userName` and their lookups. Groups are teams
//! the directory manages (`crate::teams`). The `DIRECTORY` item (`ORG#<orgId>`, `DIRECTORY`) counts
//! them (a token limit, SCIM's `totalResults`) and holds the role provisioned people join with;
//! every SCIM request reads it with the organization and the token in one BatchGetItem.

pub mod group;
pub mod token;
pub mod user;

use crate::domain::OrgId;
use crate::error::ApiError;
use crate::permissions::{Role, RoleRef};
use crate::store::{org_pk, Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

const DIRECTORY_SK: &str = "DIRECTORY";

/// SCIM tokens one organization may hold at once (two for a rotation without downtime, and one
/// spare).
pub const TOKENS_PER_ORG: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    #[serde(default)]
    pub token_count: u32,
    /// Provisioned users (SCIM `totalResults` of an unfiltered list).
    #[serde(default)]
    pub user_count: u32,
    /// Groups (teams the directory manages).
    #[serde(default)]
    pub group_count: u32,
    /// The role people join with; `viewer` when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<RoleRef>,
}

impl Entity for DirectoryItem {
    const TYPE: &'static str = "directory";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id)
    }
}

/// A counter of the directory item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Tokens,
    Users,
    Groups,
}

impl Counter {
    fn attribute(self) -> &'static str {
        match self {
            Counter::Tokens => "tokenCount",
            Counter::Users => "userCount",
            Counter::Groups => "groupCount",
        }
    }
}

impl DirectoryItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), DIRECTORY_SK)
    }

    /// An organization's directory before its first token: nothing counted, the default role.
    pub fn empty(org: &OrgId) -> Self {
        let key = Self::key_of(org);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            token_count: 0,
            user_count: 0,
            group_count: 0,
            default_role: None,
        }
    }

    /// The role provisioned people join with.
    pub fn join_role(&self) -> RoleRef {
        self.default_role.clone().unwrap_or(Role::Viewer.into())
    }

    /// Adds `delta` to a counter (creating the item when it is missing); an increase is
    /// conditional on `max` when given (`on_fail` past it).
    pub fn count(
        tx: Tx,
        org: &OrgId,
        counter: Counter,
        delta: i64,
        max: Option<u32>,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let attr = counter.attribute();
        let mut expr = Expr::new()
            .value(":d", &delta)
            .value(":zero", &0)
            .value(":et", Self::TYPE)
            .value(":org", org)
            .name("#c", attr);
        let condition = match (delta < 0, max) {
            (true, _) => {
                expr = expr.value(":least", &-delta);
                Some("#c >= :least".to_string())
            }
            (false, Some(max)) => {
                expr = expr.value(":room", &(i64::from(max) - delta));
                Some("attribute_not_exists(#c) OR #c <= :room".to_string())
            }
            (false, None) => None,
        };
        tx.update(
            Self::key_of(org),
            "SET #c = if_not_exists(#c, :zero) + :d, entity_type = :et, orgId = :org",
            condition.as_deref(),
            expr,
            on_fail,
        )
    }

    /// Sets the role people join with.
    pub fn set_join_role(tx: Tx, org: &OrgId, role: &RoleRef) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org),
            "SET defaultRole = :r, entity_type = :et, orgId = :org",
            None,
            Expr::new()
                .value(":r", role)
                .value(":et", Self::TYPE)
                .value(":org", org),
            ApiError::internal("setting the directory's role failed"),
        )
    }
}
