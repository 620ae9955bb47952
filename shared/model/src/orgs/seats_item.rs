//! Where the seats are kept. An organization's seat state (`seatsUsed`, `pendingSeats`,
//! `seatDays`, the legacy `seatHolds`) lives on an item of its own, `SEATS` (`ORG#<orgId>`,
//! `SEATS`, well under 1 KB), so a write of seats (every invitation) writes that small item and
//! only checks the organization's (its status, plan and last closure; a ConditionCheck reads it,
//! a write would pay its whole size twice). `memberCount` stays on the organization: `GET
//! /orgs/{orgId}` shows it and reads nothing else.
//!
//! Organizations written before `SEATS` keep the state on their own item until their first seat
//! write, which moves it (puts `SEATS` with the state the write leaves, removes the attributes
//! from the organization under their values as read, in the same transaction). A removal of a
//! member only decrements `seatsUsed` where it is, without reading it.

use super::seats::{SeatHold, SeatWrite};
use super::OrgItem;
use crate::domain::OrgId;
use crate::error::ApiError;
use crate::store::{org_pk, Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SEATS_SK: &str = "SEATS";

/// The organization's seats item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    /// Remaining uses of pending invitations (seats reserved but not yet taken).
    pub pending_seats: u32,
    /// Members plus `pendingSeats`, one attribute so a condition can compare it with the plan's
    /// limit (condition expressions cannot add, nor read another item).
    pub seats_used: u32,
    /// The seats pending invitations hold by the day they expire (`seats`).
    #[serde(default)]
    pub seat_days: BTreeMap<String, u32>,
    /// Holds moved here from an organization written before days (`seats`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_holds: Option<BTreeMap<String, SeatHold>>,
    /// Seats the directory's provisioned people hold until they join (SCIM users that are
    /// active and not yet members); part of `seatsUsed`.
    #[serde(default)]
    pub directory_seats: u32,
}

impl Entity for SeatsItem {
    const TYPE: &'static str = "seats";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id)
    }
}

impl SeatsItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), SEATS_SK)
    }

    /// The seats of a new organization: its owner's.
    pub fn new(org: &OrgId) -> Self {
        Self::with_state(
            org,
            SeatState {
                seats_used: 1,
                seat_days: Some(BTreeMap::new()),
                ..SeatState::default()
            },
        )
    }

    fn with_state(org: &OrgId, state: SeatState) -> Self {
        let key = Self::key_of(org);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            pending_seats: state.pending_seats,
            seats_used: state.seats_used,
            seat_days: state.seat_days.unwrap_or_default(),
            seat_holds: state.seat_holds.filter(|h| !h.is_empty()),
            directory_seats: state.directory_seats,
        }
    }
}

/// The seat state, wherever it is kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeatState {
    pub pending_seats: u32,
    pub seats_used: u32,
    /// `None` only on organizations written before days.
    pub seat_days: Option<BTreeMap<String, u32>>,
    pub seat_holds: Option<BTreeMap<String, SeatHold>>,
    /// Seats held by the directory's provisioned people who have not joined yet.
    pub directory_seats: u32,
}

/// An organization's seats as read, with the organization they count for (its plan, members,
/// status and last closure decide with them).
pub struct Seats<'a> {
    pub org: &'a OrgItem,
    pub state: SeatState,
    /// Kept on the organization item (written before `SEATS`): the next seat write moves them.
    on_org: bool,
}

impl OrgItem {
    /// The organization's seats, from its `SEATS` item as read with it (`None`: there is none,
    /// so they are still on this item).
    pub fn seats(&self, own: Option<SeatsItem>) -> Result<Seats<'_>, ApiError> {
        // One BatchGetItem reads both, item by item, not as a snapshot: a move committing between
        // the two reads shows the seats on both. The move writes both at once, so `SEATS` is the
        // state then (this item's copy is gone). The other way round (neither seen), the state
        // below is taken for the organization's, and the write that moves it fails on `SEATS`
        // existing (409): nothing is decided on it.
        let (state, on_org) = match own {
            Some(item) => (
                SeatState {
                    pending_seats: item.pending_seats,
                    seats_used: item.seats_used,
                    seat_days: Some(item.seat_days),
                    seat_holds: item.seat_holds,
                    directory_seats: item.directory_seats,
                },
                false,
            ),
            None => {
                let pending = self.pending_seats.unwrap_or(0);
                (
                    SeatState {
                        pending_seats: pending,
                        seats_used: self.seats_used.unwrap_or(self.member_count + pending),
                        seat_days: self.seat_days.clone(),
                        seat_holds: self.seat_holds.clone(),
                        directory_seats: 0,
                    },
                    true,
                )
            }
        };
        Ok(Seats {
            org: self,
            state,
            on_org,
        })
    }

    /// A member left or was removed: one seat fewer in use, where the seats are kept (this item
    /// when it still has them, else `SEATS`), without reading them.
    pub(super) fn seat_left(&self, tx: Tx) -> Result<Tx, ApiError> {
        let key = match self.seats_used {
            Some(_) => self.key(),
            None => SeatsItem::key_of(&self.org_id),
        };
        tx.update(
            key,
            "SET seatsUsed = seatsUsed - :one",
            Some("attribute_exists(seatsUsed)"),
            Expr::new().value(":one", &1),
            ApiError::concurrent("The organization's seats moved meanwhile; retry."),
        )
    }
}

/// What a seat write does to the organization item itself: its conditions (the state the
/// decision was made on) and its own changes (a plan).
pub(super) struct OrgPart {
    pub sets: Vec<String>,
    pub cond: Vec<String>,
    pub expr: Expr,
}

/// One write of seat attributes: the update's actions, its values, and the conditions on the
/// entries it moves as read (`kept`, their own placeholders).
#[derive(Default)]
struct SeatUpdate {
    sets: Vec<String>,
    removals: Vec<String>,
    expr: Expr,
    kept: Vec<String>,
    kexpr: Expr,
}

impl SeatUpdate {
    fn expression(&self) -> String {
        let mut update = String::new();
        if !self.sets.is_empty() {
            update.push_str(&format!("SET {}", self.sets.join(", ")));
        }
        if !self.removals.is_empty() {
            update.push_str(&format!(" REMOVE {}", self.removals.join(", ")));
        }
        update.trim_start().to_string()
    }
}

fn changed_meanwhile() -> ApiError {
    ApiError::concurrent(
        "The seats pending invitations hold changed meanwhile; nothing changed. Retry.",
    )
}

impl Seats<'_> {
    /// The seat attributes' update `w` describes, conditional on what it moves as read.
    fn update(&self, w: &SeatWrite) -> Result<SeatUpdate, ApiError> {
        let mut u = SeatUpdate::default();
        let pending = w.pending_delta();
        let used = pending + i64::from(w.joined) + w.provisioned;
        if pending != 0 {
            u.sets.push("pendingSeats = pendingSeats + :sw_p".into());
            u.expr = std::mem::take(&mut u.expr).value(":sw_p", &pending);
        }
        if w.provisioned != 0 {
            u.sets
                .push("directorySeats = if_not_exists(directorySeats, :sw_dz) + :sw_ds".into());
            u.expr = std::mem::take(&mut u.expr)
                .value(":sw_dz", &0)
                .value(":sw_ds", &w.provisioned);
            if w.provisioned < 0 {
                u.kept.push("directorySeats >= :k_ds".into());
                u.kexpr = std::mem::take(&mut u.kexpr).value(":k_ds", &-w.provisioned);
            }
        }
        if used != 0 {
            u.sets.push("seatsUsed = seatsUsed + :sw_u".into());
            u.expr = std::mem::take(&mut u.expr).value(":sw_u", &used);
        }
        let changed: Vec<_> = w.deltas.iter().filter(|(_, d)| **d != 0).collect();
        match &self.state.seat_days {
            Some(_) if !changed.is_empty() => {
                u.expr = std::mem::take(&mut u.expr).value(":sw_zero", &0);
                for (i, (key, d)) in changed.iter().enumerate() {
                    u.sets.push(format!(
                        "seatDays.#sw_d{i} = if_not_exists(seatDays.#sw_d{i}, :sw_zero) + :sw_d{i}"
                    ));
                    u.expr = std::mem::take(&mut u.expr)
                        .name(&format!("#sw_d{i}"), key)
                        .value(&format!(":sw_d{i}"), &**d);
                    if **d < 0 {
                        u.kept.push(format!("seatDays.#k_d{i} >= :k_d{i}"));
                        u.kexpr = std::mem::take(&mut u.kexpr)
                            .name(&format!("#k_d{i}"), key)
                            .value(&format!(":k_d{i}"), &-**d);
                    }
                }
            }
            None if !changed.is_empty() => {
                // An organization from before days: its first days start the map.
                let days: BTreeMap<&String, i64> = changed.iter().map(|(k, d)| (*k, **d)).collect();
                if days.values().any(|d| *d < 0) {
                    return Err(ApiError::internal(
                        "taking seats from a day that is not there",
                    ));
                }
                u.sets.push("seatDays = :sw_days".into());
                u.kept.push("attribute_not_exists(seatDays)".into());
                u.expr = std::mem::take(&mut u.expr).value(":sw_days", &days);
            }
            _ => {}
        }
        for (i, (key, n)) in w.removed.iter().enumerate() {
            u.removals.push(format!("seatDays.#sw_r{i}"));
            u.expr = std::mem::take(&mut u.expr).name(&format!("#sw_r{i}"), key);
            u.kept.push(format!("seatDays.#k_r{i} = :k_r{i}"));
            u.kexpr = std::mem::take(&mut u.kexpr)
                .name(&format!("#k_r{i}"), key)
                .value(&format!(":k_r{i}"), n);
        }
        for (i, (id, hold)) in w.own.iter().enumerate() {
            u.removals.push(format!("seatHolds.#sw_h{i}"));
            u.expr = std::mem::take(&mut u.expr).name(&format!("#sw_h{i}"), id);
            u.kept.push(format!(
                "seatHolds.#k_h{i}.n = :k_hn{i} AND seatHolds.#k_h{i}.exp = :k_he{i}"
            ));
            u.kexpr = std::mem::take(&mut u.kexpr)
                .name(&format!("#k_h{i}"), id)
                .value(&format!(":k_hn{i}"), &hold.n)
                .value(&format!(":k_he{i}"), &hold.exp);
        }
        Ok(u)
    }

    /// The state `w` leaves (what the update above does, computed on the state as read).
    fn applied(&self, w: &SeatWrite) -> Result<SeatState, ApiError> {
        let add = |n: u32, d: i64| {
            u32::try_from(i64::from(n) + d).map_err(|_| ApiError::internal("seats below zero"))
        };
        let mut s = self.state.clone();
        s.pending_seats = add(s.pending_seats, w.pending_delta())?;
        s.seats_used = add(
            s.seats_used,
            w.pending_delta() + i64::from(w.joined) + w.provisioned,
        )?;
        s.directory_seats = add(s.directory_seats, w.provisioned)?;
        let days = s.seat_days.get_or_insert_with(BTreeMap::new);
        for (key, d) in w.deltas.iter().filter(|(_, d)| **d != 0) {
            let now = add(days.get(key).copied().unwrap_or(0), *d)?;
            days.insert(key.clone(), now);
        }
        for key in w.removed.keys() {
            days.remove(key);
        }
        if let Some(holds) = s.seat_holds.as_mut() {
            for id in w.own.keys() {
                holds.remove(id);
            }
        }
        Ok(s)
    }

    /// The one write of the seats `w` describes: on `SEATS`, with the organization item only
    /// checked (or written, for `org.sets` and members who joined); `limit`, when given, is the
    /// most `seatsUsed` may be for the write to fit (`on_fail` otherwise, as for the
    /// organization's conditions). On an organization that still keeps its seats, the write
    /// moves them to `SEATS`. The custom role counts it changes follow on the organization.
    pub(super) fn write(
        &self,
        tx: Tx,
        w: &SeatWrite,
        org: OrgPart,
        limit: Option<u32>,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let OrgPart {
            mut sets,
            cond,
            mut expr,
        } = org;
        if w.joined > 0 {
            sets.push("memberCount = memberCount + :sw_m".into());
            expr = expr.value(":sw_m", &w.joined);
        }
        let org_key = self.org.key();
        let tx = if self.on_org {
            self.move_to_own_item(tx, w, (sets, cond, expr), limit, on_fail)?
        } else {
            let seats_key = SeatsItem::key_of(&self.org.org_id);
            let u = self.update(w)?;
            let mut seat_cond = "attribute_exists(PK)".to_string();
            let mut seat_expr = u.expr.clone();
            if let Some(max) = limit {
                seat_cond.push_str(" AND seatsUsed <= :sw_max");
                seat_expr = seat_expr.value(":sw_max", &max);
            }
            let tx = match u.sets.is_empty() && u.removals.is_empty() {
                true => tx.guard(seats_key.clone(), &seat_cond, seat_expr, on_fail.clone())?,
                false => tx.update(
                    seats_key.clone(),
                    &u.expression(),
                    Some(&seat_cond),
                    seat_expr,
                    on_fail.clone(),
                )?,
            };
            let tx = match u.kept.is_empty() {
                true => tx,
                false => tx.guard(
                    seats_key,
                    &u.kept.join(" AND "),
                    u.kexpr,
                    changed_meanwhile(),
                )?,
            };
            match sets.is_empty() {
                true => tx.guard(org_key, &cond.join(" AND "), expr, on_fail)?,
                false => tx.update(
                    org_key,
                    &format!("SET {}", sets.join(", ")),
                    Some(&cond.join(" AND ")),
                    expr,
                    on_fail,
                )?,
            }
        };
        self.org
            .count_custom_holders(tx, w.role_changes().iter().map(|(id, h, n)| (id, *h, *n)))
    }

    /// The first seat write of an organization from before `SEATS`: `SEATS` is put with the
    /// state the write leaves, and the organization's seat attributes are removed under their
    /// values as read (a change meanwhile answers 409 `concurrent_update`; the limit is checked
    /// on the state as read, which those conditions keep true).
    fn move_to_own_item(
        &self,
        tx: Tx,
        w: &SeatWrite,
        (sets, cond, expr): (Vec<String>, Vec<String>, Expr),
        limit: Option<u32>,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        if limit.is_some_and(|max| self.state.seats_used > max) {
            return Err(on_fail);
        }
        let moved = SeatsItem::with_state(&self.org.org_id, self.applied(w)?);
        let tx = tx.put_new(&moved, changed_meanwhile())?;
        let org = self.org;
        let mut kept = Vec::new();
        let mut kexpr = Expr::new();
        let mut as_read = |attr: &str, value: Option<Expr>| match value {
            Some(v) => {
                kept.push(format!("{attr} = :m_{attr}"));
                kexpr = kexpr.clone().merge(&v);
            }
            None => kept.push(format!("attribute_not_exists({attr})")),
        };
        as_read(
            "seatsUsed",
            org.seats_used
                .map(|n| Expr::new().value(":m_seatsUsed", &n)),
        );
        as_read(
            "pendingSeats",
            org.pending_seats
                .map(|n| Expr::new().value(":m_pendingSeats", &n)),
        );
        as_read(
            "seatDays",
            org.seat_days
                .as_ref()
                .map(|d| Expr::new().value(":m_seatDays", d)),
        );
        as_read(
            "seatHolds",
            org.seat_holds
                .as_ref()
                .map(|h| Expr::new().value(":m_seatHolds", h)),
        );
        let mut update = String::new();
        if !sets.is_empty() {
            update.push_str(&format!("SET {} ", sets.join(", ")));
        }
        update.push_str("REMOVE seatsUsed, pendingSeats, seatDays, seatHolds");
        let tx = tx.update(org.key(), &update, Some(&cond.join(" AND ")), expr, on_fail)?;
        tx.guard(org.key(), &kept.join(" AND "), kexpr, changed_meanwhile())
    }

    /// A closure: every pending invitation revoked, their seats and days gone (`seatsUsed` back
    /// to the members), conditional on the pending seats and days as read (an invitation made,
    /// used, moved or revoked meanwhile answers 409).
    pub fn revoke_all(&self, tx: Tx) -> Result<Tx, ApiError> {
        let (key, used) = match self.on_org {
            true => (self.org.key(), "seatsUsed = memberCount"),
            false => (
                SeatsItem::key_of(&self.org.org_id),
                "seatsUsed = seatsUsed - :pending",
            ),
        };
        let mut expr = Expr::new()
            .value(":none", &BTreeMap::<String, u32>::new())
            .value(":zero", &0);
        let mut cond = match (self.on_org, self.org.pending_seats) {
            // Written before `pendingSeats` was: nothing pending, and nothing to subtract.
            (true, None) => "attribute_not_exists(pendingSeats)".to_string(),
            _ => {
                expr = expr.value(":pending", &self.state.pending_seats);
                "pendingSeats = :pending".to_string()
            }
        };
        // The days as read, whole: an invitation moved to another day meanwhile changes them.
        match &self.state.seat_days {
            Some(days) => {
                cond.push_str(" AND seatDays = :days");
                expr = expr.value(":days", days);
            }
            None => cond.push_str(" AND attribute_not_exists(seatDays)"),
        }
        tx.update(
            key,
            &format!("SET seatDays = :none, pendingSeats = :zero, {used} REMOVE seatHolds"),
            Some(&cond),
            expr,
            ApiError::concurrent("Invitations or the organization changed meanwhile; retry."),
        )
    }
}
