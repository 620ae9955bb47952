//! The uniqueness item of a verified domain: `DOMAIN#<domain>`, holding the one organization that
//! verified it. Verifying puts it conditionally (absent, or already this organization's), so of
//! parallel verifications by several organizations exactly one commits; removing a domain, its
//! re-check failing and the purge delete it conditionally on it still being that organization's.
//! While verified it is in the `VERIFIED_DOMAINS` partition of GSI1 (sorted by domain), which
//! the daily re-check pages through (no Scan).

use super::name::DomainName;
use crate::domain::{OrgId, Timestamp};
use crate::error::ApiError;
use crate::store::{Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

const DOMAIN_PREFIX: &str = "DOMAIN#";
const CLAIM_SK: &str = "DOMAIN";
/// GSI1's partition of every verified domain.
pub const VERIFIED_DOMAINS: &str = "VERIFIED_DOMAINS";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainClaimItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
    pub domain: String,
    pub org_id: OrgId,
    pub verified_at: Timestamp,
}

impl Entity for DomainClaimItem {
    const TYPE: &'static str = "domain_claim";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl DomainClaimItem {
    pub fn key_of(domain: &DomainName) -> Key {
        Key::new(format!("{DOMAIN_PREFIX}{}", domain.as_str()), CLAIM_SK)
    }

    pub fn new(domain: &DomainName, org_id: &OrgId, verified_at: Timestamp) -> Self {
        let key = Self::key_of(domain);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            gsi1pk: VERIFIED_DOMAINS.into(),
            gsi1sk: domain.as_str().to_string(),
            domain: domain.as_str().to_string(),
            org_id: org_id.clone(),
            verified_at,
        }
    }

    /// The domain becomes `org`'s: only if no organization holds it, or `org` already does (a
    /// verification repeated); `taken` is the answer when another organization holds it.
    pub fn claim(
        tx: Tx,
        domain: &DomainName,
        org: &OrgId,
        now: Timestamp,
        taken: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.put(
            &Self::new(domain, org, now),
            Some("attribute_not_exists(PK) OR orgId = :claim_org"),
            Expr::new().value(":claim_org", org),
            taken,
        )
    }

    /// Frees the domain, only if it is still `org`'s (a domain another organization verified
    /// since is left alone: the condition fails with `on_fail`).
    pub fn release(
        tx: Tx,
        domain: &DomainName,
        org: &OrgId,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(domain),
            Some("orgId = :claim_org"),
            Expr::new().value(":claim_org", org),
            on_fail,
        )
    }
}
