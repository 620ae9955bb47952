//! Members: list, change role, remove or leave, transfer ownership.

pub mod handlers;
pub mod routes;
pub mod views;

pub use model::members as item;

use crate::error::{ApiError, Code};

/// The answer for a `{userId}` that is not a member.
pub fn member_not_found() -> ApiError {
    ApiError::new(
        Code::MemberNotFound,
        "No member with this user id in this organization.",
    )
}
