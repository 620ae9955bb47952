//! Response bodies of the closure routes.

use crate::domain::Plan;
use crate::domain::Timestamp;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionImpact {
    pub plan: Plan,
    pub seats_used: u32,
    /// Closing cancels it (the organization is on the free plan while closed) ...
    pub cancelled_by_closing: bool,
    /// ... and reactivation restores this plan (`OrganizationReactivated` names it).
    pub restored_by_reactivation: bool,
}

/// What closing the organization affects, counted from this service's data.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactView {
    pub projects: u64,
    /// Members other than the owner closing it (other owners included): they lose access at once.
    pub members: u32,
    /// Every member, the owner closing it included.
    pub total_members: u32,
    pub teams: u32,
    /// Invitations pending now (not expired, not accepted or used up): revoked by the closure.
    pub pending_invitations: usize,
    pub integrations: u64,
    /// Their secrets are scrubbed by the purge.
    pub integrations_with_credentials: u64,
    /// API keys: during grace they verify for reads only; the purge deletes them.
    pub api_keys: usize,
    pub subscription: SubscriptionImpact,
    /// When the organization would be purged if closed now.
    pub purge_at: Timestamp,
    /// What other services stop when they receive `OrganizationClosed`.
    pub stopped_by_other_services: Vec<&'static str>,
    pub note: &'static str,
}
