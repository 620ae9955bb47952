//! A domain as the organization item holds it (`domains.<domain>`): its state and the token of
//! the TXT record that proves it. The token is not a secret (it is published in DNS); it only
//! ties the record to this organization, so a record left by an earlier holder proves nothing.

use crate::domain::{Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// Domains one organization may hold, pending or verified.
pub const DOMAINS_PER_ORG: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainStatus {
    /// Added; its record was not found yet.
    Pending,
    /// Its record was found and the organization holds the domain's uniqueness item.
    Verified,
    /// It was verified, then its record was gone at the daily re-check for 3 days running.
    Unverified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDomain {
    pub status: DomainStatus,
    /// 32 hex characters of a random UUID, as minted ids are: the record's value is
    /// `orgs-verification=<token>`.
    pub token: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Timestamp>,
    /// Bumped by every write of this entry; each is conditional on the version it read.
    pub version: u64,
}

impl OrgDomain {
    /// A new, pending domain with a fresh token.
    pub fn new(by: &UserId, now: Timestamp) -> Self {
        Self {
            status: DomainStatus::Pending,
            token: uuid::Uuid::new_v4().simple().to_string(),
            created_by: by.clone(),
            created_at: now,
            verified_at: None,
            version: 1,
        }
    }
}
