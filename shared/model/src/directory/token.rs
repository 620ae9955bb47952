//! A SCIM token: the bearer token an identity provider calls one organization's directory with.
//! The table keeps its keyed digest (`HMAC-SHA256(API_KEY_HASH_KEY, "scim-token:" ‖ org ‖ id ‖
//! secret)`, the API keys' format under its own prefix and label), never the token.

use crate::domain::{DisplayName, OrgId, ScimTokenId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

const TOKEN_PREFIX: &str = "SCIMTOKEN#";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimTokenItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub token_id: ScimTokenId,
    pub name: DisplayName,
    pub created_by: UserId,
    pub created_at: Timestamp,
    /// `None`: the token never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    pub digest: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
}

impl Entity for ScimTokenItem {
    const TYPE: &'static str = "scim_token";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.token_id)
    }
}

pub fn scim_token_not_found() -> ApiError {
    ApiError::new(
        Code::ScimTokenNotFound,
        "No SCIM token with this id in the organization (a revoked token is gone).",
    )
}

impl ScimTokenItem {
    pub fn key_of(org: &OrgId, token: &ScimTokenId) -> Key {
        Key::new(org_pk(org), format!("{TOKEN_PREFIX}{}", token.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        ScimTokenId::parse(raw).map(|t| Self::key_of(org, &t))
    }

    pub fn new(
        org: &OrgId,
        token_id: ScimTokenId,
        name: DisplayName,
        by: &UserId,
        expires_at: Option<Timestamp>,
        (digest, prefix): (String, String),
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, &token_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            token_id,
            name,
            created_by: by.clone(),
            created_at: now,
            expires_at,
            digest,
            prefix,
        }
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("SCIM token id collision"))
    }

    /// Revokes the token: the next request with it answers 401.
    pub fn revoke(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.delete(
            self.key(),
            Some("attribute_exists(PK)"),
            Expr::new(),
            scim_token_not_found(),
        )
    }

    /// One page of the organization's tokens.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(TOKEN_PREFIX.into()),
            limit,
        )
        .after(cursor)
    }
}
