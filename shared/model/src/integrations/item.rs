//! An integration's metadata: kind, provider, name, validated non-secret config, and where its
//! secret is (ARN, version, fingerprint). Never the secret.

use super::catalog::Kind;
use crate::domain::{DisplayName, IntegrationId, OrgId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::org_pk;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const INTEGRATION_PREFIX: &str = "INTEGRATION#";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub integration_id: IntegrationId,
    pub kind: Kind,
    pub provider: String,
    pub name: DisplayName,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// The secret in Secrets Manager (absent for an addon repository without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
    /// The secret's version this item describes (its `AWSCURRENT` once promoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_updated_at: Option<Timestamp>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Entity for IntegrationItem {
    const TYPE: &'static str = "integration";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.integration_id)
    }
}

pub fn integration_not_found() -> ApiError {
    ApiError::new(
        Code::IntegrationNotFound,
        "No integration with this id in the organization.",
    )
}

fn changed() -> ApiError {
    ApiError::concurrent("The integration changed meanwhile; reload and retry.")
}

/// Where a new secret value is, once written to Secrets Manager.
pub struct SecretRef {
    pub arn: String,
    pub version: String,
    pub fingerprint: String,
}

impl IntegrationItem {
    pub fn key_of(org: &OrgId, integration: &IntegrationId) -> Key {
        Key::new(
            org_pk(org),
            format!("{INTEGRATION_PREFIX}{}", integration.as_str()),
        )
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        IntegrationId::parse(raw).map(|i| Self::key_of(org, &i))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        org: &OrgId,
        integration_id: IntegrationId,
        kind: Kind,
        provider: String,
        name: DisplayName,
        config: BTreeMap<String, String>,
        secret: Option<SecretRef>,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, &integration_id);
        let (secret_arn, secret_version, fingerprint, secret_updated_at) = match secret {
            Some(s) => (Some(s.arn), Some(s.version), Some(s.fingerprint), Some(now)),
            None => (None, None, None, None),
        };
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            integration_id,
            kind,
            provider,
            name,
            config,
            secret_arn,
            secret_version,
            fingerprint,
            secret_updated_at,
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("integration id collision"))
    }

    /// Renames it or replaces its config (it must still exist).
    pub fn update(
        &self,
        tx: Tx,
        name: Option<&DisplayName>,
        config: Option<&BTreeMap<String, String>>,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let mut sets = vec!["updatedAt = :now"];
        let mut expr = Expr::new().value(":now", &now);
        if let Some(name) = name {
            sets.push("#name = :name");
            expr = expr.value(":name", name).name("#name", "name");
        }
        if let Some(config) = config {
            sets.push("config = :config");
            expr = expr.value(":config", config);
        }
        tx.update(
            self.key(),
            &format!("SET {}", sets.join(", ")),
            Some("attribute_exists(PK)"),
            expr,
            integration_not_found(),
        )
    }

    /// Points the item at a new secret value, conditional on the version read (two rotations at
    /// once: one wins, the other is told).
    pub fn secret_changed(
        &self,
        tx: Tx,
        secret: &SecretRef,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (condition, expr) = self.secret_as_read();
        Ok(tx
            .update(
                self.key(),
                "SET secretArn = :arn, secretVersion = :v, fingerprint = :fp, secretUpdatedAt = :now, updatedAt = :now",
                Some(condition),
                expr.value(":arn", &secret.arn)
                    .value(":v", &secret.version)
                    .value(":fp", &secret.fingerprint)
                    .value(":now", &now),
                changed(),
            )?
            .or_if_missing(integration_not_found()))
    }

    /// Deletes it, conditional on the secret version read: a rotation meanwhile (a first secret
    /// created, or a new value) makes the deletion answer `concurrent_update` instead of leaving
    /// a secret nothing points to; an item already gone answers `integration_not_found`.
    pub fn delete(&self, tx: Tx) -> Result<Tx, ApiError> {
        let (condition, expr) = self.secret_as_read();
        Ok(tx
            .delete(self.key(), Some(condition), expr, changed())?
            .or_if_missing(integration_not_found()))
    }

    /// The condition that the item still names the secret version read (or still has none).
    fn secret_as_read(&self) -> (&'static str, Expr) {
        match &self.secret_version {
            Some(v) => ("secretVersion = :old", Expr::new().value(":old", v)),
            None => (
                "attribute_exists(PK) AND attribute_not_exists(secretVersion)",
                Expr::new(),
            ),
        }
    }

    /// The integration exists with `kind` when the transaction commits.
    pub fn require_kind(&self, tx: Tx, kind: Kind, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.check(
            self.key(),
            "#kind = :kind",
            Expr::new().value(":kind", &kind).name("#kind", "kind"),
            on_fail,
        )
    }

    /// One page of the organization's integrations, optionally of one kind.
    pub fn page_of_org(
        org: &OrgId,
        kind: Option<Kind>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        let mut q = QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(INTEGRATION_PREFIX.into()),
            limit,
        )
        .after(cursor)?;
        if let Some(kind) = kind {
            q = q.filter(
                "#kind = :kind",
                Expr::new().value(":kind", &kind).name("#kind", "kind"),
            );
        }
        Ok(q)
    }

    /// The organization's integrations, counting (with a filter) those that hold a credential in
    /// Secrets Manager: what closing the organization will scrub.
    pub fn page_with_credentials(org: &OrgId, limit: u32) -> Result<QuerySpec, ApiError> {
        Ok(Self::page_of_org(org, None, limit, None)?
            .filter("attribute_exists(secretArn)", Expr::new()))
    }
}
