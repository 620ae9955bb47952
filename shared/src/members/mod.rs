//! Members: list, change role, remove or leave, transfer ownership.

pub mod handlers;
pub mod routes;
pub mod views;

pub use model::members as item;

use crate::domain::{ApiKeyId, Timestamp, UserId};
use crate::domains::block::{BlockReason, JoinBlockItem};
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::{OrgItem, Seats};
use crate::projects::item::{Principal, ProjectItem};
use crate::roles::Holder;
use crate::store::Tx;
use item::{MemberItem, MemberStatus};

/// The answer for a `{userId}` that is not a member.
pub fn member_not_found() -> ApiError {
    ApiError::new(
        Code::MemberNotFound,
        "No member with this user id in this organization.",
    )
}

fn concurrent() -> ApiError {
    ApiError::concurrent("The membership changed while you were changing it; reload and retry.")
}

/// The writes of a member's status change (the membership and the seat it frees or takes:
/// `seats`, as read, for a reactivation), for the members route and the directory; returns the
/// member as it will be.
pub fn status_changed(
    tx: Tx,
    org: &OrgItem,
    seats: Option<Seats<'_>>,
    target: &MemberItem,
    status: MemberStatus,
    now: Timestamp,
) -> ApiResult<(Tx, MemberItem)> {
    let mut updated = target.clone();
    let tx = match (status, seats) {
        (MemberStatus::Deactivated, _) => {
            let tx = target.deactivate(tx, now, concurrent())?;
            updated.deactivated_at = Some(now);
            // Their seat is free; the API keys they created stay valid (the organization's).
            org.member_left(tx, &[], true)?
        }
        (MemberStatus::Active, Some(seats)) => {
            let tx = target.reactivate(tx, now, concurrent())?;
            updated.deactivated_at = None;
            crate::subscription::take_free_seat(tx, &seats, now)?
        }
        (MemberStatus::Active, None) => {
            return Err(ApiError::internal(
                "a reactivation decided without the seats",
            ))
        }
    };
    Ok((tx, updated))
}

/// The writes of a membership's end (a removal, leaving, or the directory's deletion): the
/// membership under the version read, the organization's counters (a deactivated member held no
/// seat), the email item, the member's direct grants, and, when someone else removed them
/// (`removed_by`), the block of automatic ways back in. Their places on teams (any number) are
/// removed by the stream's clean-up from the change's audit entry (`crate::teams::cleanup`).
/// Returns the transaction and the API keys they created (they stay: the organization's).
pub fn removal(
    tx: Tx,
    org: &OrgItem,
    target: &MemberItem,
    removed_by: Option<&UserId>,
) -> ApiResult<(Tx, Vec<ApiKeyId>)> {
    let tx = target.remove_membership(
        tx,
        member_not_found(),
        ApiError::concurrent(
            "The member's role, teams or project access changed while they were being removed; they are still a member. Retry.",
        ),
    )?;
    let mut keys_created = org.api_keys.listed_created_by(&target.user_id);
    keys_created.extend(
        target
            .keys_created
            .iter()
            .filter_map(|k| ApiKeyId::parse(k)),
    );
    let tx = org.member_left(tx, &keys_created, !target.is_deactivated())?;
    let tx = org.count_holders(tx, &[(&target.role, Holder::Members, -1)])?;
    let mut tx = target.remove_email(tx)?;
    let principal = Principal::User(target.user_id.clone());
    for project in &target.projects {
        tx = ProjectItem::grant_gone(tx, &org.org_id, project, &principal, concurrent())?;
    }
    if let Some(by) = removed_by {
        tx = JoinBlockItem::new(
            &org.org_id,
            &target.user_id,
            BlockReason::Removed,
            by,
            Timestamp::now(),
        )
        .write(tx)?;
    }
    Ok((tx, keys_created))
}
