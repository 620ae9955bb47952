//! Invitations: create (with the email), list, copy code, resend, revoke, clean up; preview and
//! accept by code; my pending invitations.

pub mod by_code;
pub mod code;
pub mod create;
pub mod item;
pub mod manage;
pub mod routes;
pub mod views;

use crate::error::{ApiError, Code};
use crate::orgs::item::SeatHold;
use crate::store::Tx;

/// The invitations whose holds a write reclaimed may expire now (their seats are released in
/// that same transaction).
pub fn mark_released(
    mut tx: Tx,
    org: &crate::domain::OrgId,
    released: &[(String, SeatHold)],
) -> Result<Tx, ApiError> {
    for (id, hold) in released {
        tx = item::InvitationItem::released(tx, org, id, hold.exp)?;
    }
    Ok(tx)
}

/// The one answer for every code that cannot be used.
pub fn invalid_invitation() -> ApiError {
    ApiError::new(
        Code::InvitationInvalid,
        "This invitation is invalid or can no longer be used. Ask the organization for a new one.",
    )
}

/// The answer for an `{invitationId}` that is not one of the organization's invitations.
pub fn invitation_not_found() -> ApiError {
    ApiError::new(
        Code::InvitationNotFound,
        "No invitation with this id in this organization.",
    )
}
