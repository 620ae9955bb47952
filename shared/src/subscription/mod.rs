//! Plans and seats. Seats in use = members + the seats pending invitations hold until they
//! expire; the counters and holds live on the organization item (see `orgs::item`).

pub mod handlers;
mod plan;
pub mod routes;
pub mod views;

pub use plan::Plan;

use crate::domain::Timestamp;
use crate::error::{ApiError, Code};
use crate::orgs::item::OrgItem;

/// The 402 for an invitation that does not fit the plan, with the numbers.
pub fn seat_limit_error(org: &OrgItem, limit: u32, requested: u32, now: Timestamp) -> ApiError {
    let used = org.seats_in_use(now);
    ApiError::new(
        Code::SeatLimitReached,
        format!(
            "The {} plan allows {limit} seats; {} are in use (members plus remaining uses of pending invitations) and this invitation needs {requested}. Upgrade the plan, revoke invitations or clean up expired ones.",
            org.plan.as_str(),
            used
        ),
    )
    .with("plan", org.plan.as_str())
    .with("seatLimit", limit)
    .with("seatsUsed", used)
    .with("requested", requested)
}

/// Whether `n` more seats fit the plan, as read; the answer when they do not. The write that
/// reserves them re-checks the same limit in its condition (`OrgItem::reserve_seats`).
pub fn check_seats(org: &OrgItem, n: u32, now: Timestamp) -> Result<ApiError, ApiError> {
    match org.plan.seat_limit() {
        Some(limit) if n > limit || org.seats_in_use(now) + n > limit => {
            Err(seat_limit_error(org, limit, n, now))
        }
        Some(limit) => Ok(seat_limit_error(org, limit, n, now)),
        None => Ok(ApiError::concurrent(
            "The organization changed meanwhile; retry.",
        )),
    }
}
