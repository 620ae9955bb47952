//! A domain as the organization item holds it (`domains.<domain>`): its state and the token of
//! the TXT record that proves it. The token is not a secret (it is published in DNS); it only
//! ties the record to this organization, so a record left by an earlier holder proves nothing.

use crate::domain::{InvitationId, Timestamp, UserId};
use crate::permissions::RoleRef;
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
    /// How people with a verified email at the domain join (none: `manual`, by invitation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment: Option<Enrollment>,
    /// The daily re-check: the UTC day it last looked (`YYYY-MM-DD`) and how many days in a row
    /// it found no record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_on: Option<String>,
    #[serde(default)]
    pub missing_days: u32,
    /// Bumped by every write of this entry; each is conditional on the version it read.
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentMode {
    /// Only by invitation (the default).
    Manual,
    /// People with a verified email at the domain find a pending invitation in `/me/invitations`.
    AutomaticInvitation,
    /// They find a suggestion and may ask to join; an admin approves or rejects.
    AutomaticSuggestion,
}

impl crate::body::Parse for EnrollmentMode {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, crate::error::ApiError> {
        EnrollmentMode::parse(&raw).ok_or_else(|| {
            crate::error::ApiError::validation(
                field,
                format!("`{field}` is one of manual, automatic_invitation, automatic_suggestion."),
            )
        })
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let names: Vec<&str> = EnrollmentMode::ALL.iter().map(|m| m.as_str()).collect();
        serde_json::json!({ "type": "string", "enum": names })
    }
}

impl EnrollmentMode {
    pub const ALL: [EnrollmentMode; 3] = [
        EnrollmentMode::Manual,
        EnrollmentMode::AutomaticInvitation,
        EnrollmentMode::AutomaticSuggestion,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentMode::Manual => "manual",
            EnrollmentMode::AutomaticInvitation => "automatic_invitation",
            EnrollmentMode::AutomaticSuggestion => "automatic_suggestion",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }
}

/// The enrollment a domain's entry holds: the mode, the role people join with, who set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub mode: EnrollmentMode,
    pub role: RoleRef,
    pub set_by: UserId,
    pub set_at: Timestamp,
    /// The automatic invitation's id and the nonce its code is the HMAC of (with
    /// `INVITATION_CODE_KEY`, as any invitation's): a copy of the table cannot make the code.
    /// Fresh whenever the enrollment is set, so an earlier code stops working.
    pub invitation_id: InvitationId,
    pub code_nonce: String,
    /// Whether its role is counted among the role's holders (`roleHolders`, so a custom role an
    /// enrollment gives is not deleted); enrollments set before they were counted are not, and
    /// are not taken off the count either.
    #[serde(default)]
    pub counted: bool,
}

impl Enrollment {
    /// The count this enrollment takes off its role's holders when it goes (replaced or its
    /// domain removed).
    pub fn uncounted(&self) -> Option<(&RoleRef, crate::roles::role::Holder, i64)> {
        self.counted
            .then_some((&self.role, crate::roles::role::Holder::Enrollments, -1))
    }
}

impl OrgDomain {
    /// The enrollment in force: a verified domain's, other than `manual`.
    pub fn enrollment_in_force(&self, mode: EnrollmentMode) -> Option<&Enrollment> {
        self.enrollment
            .as_ref()
            .filter(|e| self.status == DomainStatus::Verified && e.mode == mode)
    }
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
            enrollment: None,
            checked_on: None,
            missing_days: 0,
            version: 1,
        }
    }
}
