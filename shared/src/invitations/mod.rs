//! Invitations: create (with the email), list, copy code, resend, revoke, clean up; preview and
//! accept by code; my pending invitations.

pub mod by_code;
pub mod code;
pub mod create;
pub mod manage;
pub mod routes;
pub mod views;

pub use model::invitations as item;

use crate::error::{ApiError, Code};
use crate::store::Tx;

/// The answer for an `{invitationId}` that is not one of the organization's invitations.
pub fn invitation_not_found() -> ApiError {
    ApiError::new(
        Code::InvitationNotFound,
        "No invitation with this id in this organization.",
    )
}

/// Counts an invitation email (a new invitation or a resend) against today's limits, in the
/// transaction that records it: per organization (by plan) and per recipient; 429 with
/// `Retry-After` (seconds to the next UTC day) past either.
pub fn count_email(
    tx: Tx,
    config: &crate::config::Config,
    org: &crate::orgs::item::OrgItem,
    to: &crate::domain::Email,
    now: crate::domain::Timestamp,
) -> Result<Tx, ApiError> {
    let limits = config.email_limits;
    // The plan's own number, where the catalogue sets one; else the configured default: the
    // default (free) plan's, or the paid plans'.
    let per_org = match org.plan.invitation_emails_per_day() {
        Some(n) => n,
        None if org.plan == crate::domain::Plan::default_plan() => limits.per_org_free,
        None => limits.per_org_paid,
    };
    let wait = crate::store::seconds_to_next_day(now);
    let org_full = ApiError::new(
        Code::InvitationEmailLimit,
        format!("The organization has sent {per_org} invitation emails today, the most its plan allows per day; retry after midnight UTC."),
    )
    .with("limit", "invitationEmailsPerOrgPerDay")
    .with("max", per_org)
    .retry_after(wait);
    let recipient_full = ApiError::new(
        Code::RecipientEmailLimit,
        format!("{} has been sent {} invitation emails from this organization today, the most allowed per day; retry after midnight UTC.", to.as_str(), limits.per_recipient),
    )
    .with("limit", "invitationEmailsPerRecipientPerDay")
    .with("max", limits.per_recipient)
    .retry_after(wait);
    item::EmailCount::count(
        tx,
        &org.org_id,
        to,
        now,
        (per_org, org_full),
        (limits.per_recipient, recipient_full),
    )
}
