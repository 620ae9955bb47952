//! Response bodies of the SCIM token routes (never the token, except once in a creation).

use super::item::token::ScimTokenItem;
use crate::domain::{ScimTokenId, Timestamp, UserId};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimTokenView {
    pub id: ScimTokenId,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl ScimTokenView {
    pub fn new(t: &ScimTokenItem) -> Self {
        Self {
            id: t.token_id.clone(),
            name: t.name.as_str().to_string(),
            prefix: t.prefix.clone(),
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// A new token: shown once, with the base URL the identity provider calls.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedScimTokenView {
    #[serde(flatten)]
    pub token_info: ScimTokenView,
    pub token: String,
    pub base_url: String,
}
