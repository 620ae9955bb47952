//! The uniqueness item of an organization's slug.

use crate::domain::{OrgId, Slug};
use crate::error::ApiError;
use crate::store::{Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

/// The uniqueness item of a slug.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlugItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
}

impl Entity for SlugItem {
    const TYPE: &'static str = "slug";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl SlugItem {
    pub fn key_of(slug: &Slug) -> Key {
        Key::new(format!("SLUG#{}", slug.as_str()), "SLUG")
    }
    /// Frees a purged organization's slug (if it is still that organization's).
    pub fn free(tx: Tx, slug: &Slug, org: &OrgId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(slug),
            Some("orgId = :org"),
            Expr::new().value(":org", org),
            ApiError::concurrent("The slug changed meanwhile."),
        )
    }
    pub fn new(slug: &Slug, org_id: &OrgId) -> Self {
        let key = Self::key_of(slug);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org_id.clone(),
        }
    }
    /// Frees a slug, conditional on it still belonging to the organization.
    pub fn release(tx: Tx, slug: &Slug, org: &OrgId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(slug),
            Some("orgId = :org"),
            Expr::new().value(":org", org),
            ApiError::concurrent("The organization's slug changed meanwhile; reload and retry."),
        )
    }
}
