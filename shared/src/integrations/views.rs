//! Response bodies of the integration routes: metadata, never the secret.

use super::catalog::Kind;
use super::item::IntegrationItem;
use crate::domain::{DisplayName, IntegrationId, Timestamp, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationView {
    pub id: IntegrationId,
    pub kind: Kind,
    pub provider: String,
    pub name: DisplayName,
    pub config: BTreeMap<String, String>,
    /// Whether a secret is stored (it is never shown).
    pub secret_set: bool,
    /// Tells secrets apart without revealing anything of them.
    pub fingerprint: Option<String>,
    pub secret_updated_at: Option<Timestamp>,
    /// This storage provider is the organization's default for backups.
    pub default_storage: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl IntegrationView {
    pub fn new(i: &IntegrationItem, default_storage: Option<&IntegrationId>) -> Self {
        Self {
            id: i.integration_id.clone(),
            kind: i.kind,
            provider: i.provider.clone(),
            name: i.name.clone(),
            config: i.config.clone(),
            secret_set: i.secret_arn.is_some(),
            fingerprint: i.fingerprint.clone(),
            secret_updated_at: i.secret_updated_at,
            default_storage: default_storage == Some(&i.integration_id),
            created_by: i.created_by.clone(),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultStorageView {
    pub default_storage_id: IntegrationId,
}
