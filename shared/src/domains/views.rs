//! Response bodies of the domain routes and of the join paths they open.

use super::entry::{DomainStatus, EnrollmentMode, OrgDomain};
use super::name::{record_name, record_value, DomainName};
use crate::domain::{OrgId, Timestamp, UserId};
use crate::orgs::item::OrgItem;
use crate::permissions::RoleRef;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentView {
    pub mode: EnrollmentMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_by: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_at: Option<Timestamp>,
    /// Whether people at the domain can use it now (the domain is verified).
    pub in_force: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainView {
    pub domain: String,
    pub status: DomainStatus,
    pub verification: VerificationView,
    pub enrollment: EnrollmentView,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub verified_at: Option<Timestamp>,
    /// Days in a row the daily re-check found no record (3 make a verified domain unverified).
    pub missing_days: u32,
    /// The TXT strings the lookup found at the record's name (the verify route's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<Vec<String>>,
}

impl DomainView {
    pub fn new(domain: &str, d: &OrgDomain, org: &OrgItem) -> Self {
        let enrollment = match &d.enrollment {
            Some(e) => EnrollmentView {
                mode: e.mode,
                role: Some(e.role.clone()),
                role_name: Some(org.role_name(&e.role)),
                set_by: Some(e.set_by.clone()),
                set_at: Some(e.set_at),
                in_force: d.status == DomainStatus::Verified,
            },
            None => EnrollmentView {
                mode: EnrollmentMode::Manual,
                role: None,
                role_name: None,
                set_by: None,
                set_at: None,
                in_force: d.status == DomainStatus::Verified,
            },
        };
        Self {
            domain: domain.to_string(),
            status: d.status,
            verification: VerificationView {
                kind: "TXT",
                name: record_name(domain),
                value: record_value(&d.token),
            },
            enrollment,
            created_by: d.created_by.clone(),
            created_at: d.created_at,
            verified_at: d.verified_at,
            missing_days: d.missing_days,
            found: None,
        }
    }
}

/// `GET /me/organization-suggestions`: an organization that verified my email's domain and
/// suggests itself to the people there.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionView {
    pub org_id: OrgId,
    pub org_name: String,
    pub domain: String,
    pub role: RoleRef,
    pub role_name: String,
    /// Whether I asked to join already (pending, or rejected within the last 30 days).
    pub requested: bool,
}

impl SuggestionView {
    pub fn new(org: &OrgItem, domain: &DomainName, role: &RoleRef, requested: bool) -> Self {
        Self {
            org_id: org.org_id.clone(),
            org_name: org.name.to_string(),
            domain: domain.as_str().to_string(),
            role: role.clone(),
            role_name: org.role_name(role),
            requested,
        }
    }
}
