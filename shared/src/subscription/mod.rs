//! Plans and seats. Seats in use = members + the seats pending invitations hold until they
//! expire; the counters and holds live on the organization item (see `orgs::item`).

pub mod handlers;
pub mod routes;
pub mod views;

use crate::domain::{OrgId, Plan, Timestamp};
use crate::error::{ApiError, Code};
use crate::invitations::item::InvitationItem;
use crate::orgs::item::{InvitationHold, SeatHold, Seats};
use crate::store::Tx;

/// The 402 for an invitation that does not fit the plan, with the numbers.
fn seat_limit_error(seats: &Seats<'_>, limit: u32, requested: u32, now: Timestamp) -> ApiError {
    let org = seats.org;
    let used = seats.seats_in_use(now);
    ApiError::new(
        Code::SeatLimitReached,
        format!(
            "The {} plan allows {limit} seats; {} are in use (members, remaining uses of pending invitations, people the directory provisioned who have not joined yet) and this needs {requested}. Upgrade the plan, revoke invitations or clean up expired ones.",
            org.plan.as_str(),
            used
        ),
    )
    .with("plan", org.plan.as_str())
    .with("seatLimit", limit)
    .with("seatsUsed", used)
    .with("requested", requested)
}

/// Reserves the seats `hold` names for `invitation` (a new invitation, or a resend whose expired
/// hold was reclaimed): checked on the organization as read (402 with the numbers when they do not
/// fit), reserved in the transaction under the same limit (`OrgItem::reserve_seats`), and the
/// invitations whose expired holds that write took back marked so their items may expire.
pub fn reserve_seats(
    tx: Tx,
    seats: &Seats<'_>,
    hold: &InvitationHold,
    now: Timestamp,
) -> Result<Tx, ApiError> {
    let over_limit = check_seats(seats, hold.n, now)?;
    let (tx, released) = seats.reserve_seats(tx, hold, now, over_limit)?;
    mark_released(tx, &seats.org.org_id, &released)
}

/// Takes a free seat for a member who joins without an invitation's hold (through a verified
/// domain): checked as read (402 with the numbers) and in the write (`OrgItem::seat_joined`).
/// The write joins the organization item's other conditions of the join, each answering for
/// itself: the last seat taken meanwhile is the 402.
pub fn take_free_seat(tx: Tx, seats: &Seats<'_>, now: Timestamp) -> Result<Tx, ApiError> {
    let over_limit = check_seats(seats, 1, now)?;
    let (tx, released) = seats.seat_joined(tx, now, over_limit)?;
    mark_released(tx, &seats.org.org_id, &released)
}

/// Takes a seat for a person the directory provisions (or reactivates before they joined):
/// checked as read (402 with the numbers) and in the write (`Seats::directory_seat_taken`).
pub fn take_directory_seat(tx: Tx, seats: &Seats<'_>, now: Timestamp) -> Result<Tx, ApiError> {
    let over_limit = check_seats(seats, 1, now)?;
    let (tx, released) = seats.directory_seat_taken(tx, now, over_limit)?;
    mark_released(tx, &seats.org.org_id, &released)
}

/// Changes the plan in the transaction, conditional on the plan read and on the seats in use
/// fitting the new limit (`too_small` with the numbers, on the read and in the condition); the
/// invitations whose expired holds the write took back are marked as `reserve_seats` does.
pub fn change_plan(
    tx: Tx,
    seats: &Seats<'_>,
    plan: Plan,
    now: Timestamp,
    too_small: impl Fn(u32, u32) -> ApiError,
) -> Result<Tx, ApiError> {
    let limit = plan.seat_limit();
    let used = seats.seats_in_use(now);
    if let Some(limit) = limit.filter(|l| used > *l) {
        return Err(too_small(used, limit));
    }
    let (tx, released) = seats.change_plan(tx, plan, now, too_small(used, limit.unwrap_or(0)))?;
    mark_released(tx, &seats.org.org_id, &released)
}

/// The invitations whose own holds (of an organization from before days) a write took back may
/// expire now (their seats are released in that same transaction).
fn mark_released(mut tx: Tx, org: &OrgId, released: &[(String, SeatHold)]) -> Result<Tx, ApiError> {
    for (id, hold) in released {
        tx = InvitationItem::released(tx, org, id, hold.exp)?;
    }
    Ok(tx)
}

/// Whether `n` more seats fit the plan, as read; the answer when they do not. The write that
/// reserves them re-checks the same limit in its condition (`OrgItem::reserve_seats`).
fn check_seats(seats: &Seats<'_>, n: u32, now: Timestamp) -> Result<ApiError, ApiError> {
    match seats.org.plan.seat_limit() {
        Some(limit) if n > limit || seats.seats_in_use(now) + n > limit => {
            Err(seat_limit_error(seats, limit, n, now))
        }
        Some(limit) => Ok(seat_limit_error(seats, limit, n, now)),
        None => Ok(ApiError::concurrent(
            "The organization changed meanwhile; retry.",
        )),
    }
}
