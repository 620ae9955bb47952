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
