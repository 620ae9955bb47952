//! Seats: what pending invitations hold, reserving, releasing and taking them, and the plan
//! change that must fit them. Seats in use = members + the seats pending invitations hold.
//!
//! Invitations expire at a UTC midnight (`Timestamp::ceil_day`), so what they hold is kept by
//! that day (`seatDays`, on the organization's `SEATS` item: `seats_item`): `<day>` is the seats of the invitations
//! expiring at the start of `<day>`, `<day> <roleId>` how many of them give that custom role. A
//! day counts while it is in the future and is taken back (its seats freed, its role counts
//! counted off) by the next write that reserves seats or changes the plan, in that same write;
//! so expired invitations never block new ones and nothing depends on anyone running the
//! cleanup. The map holds at most 31 days (invitations expire within 30 days, past days go
//! with the next reservation) plus, per day, the custom roles invitations expiring then give:
//! its size does not grow with the number of invitations.
//!
//! Organizations written before days kept one hold per invitation (`seatHolds`): those are
//! still counted, released and used; the writes that reserve seats move them to their day.

use super::seats_item::{OrgPart, Seats};
use super::OrgItem;
use crate::domain::{InvitationId, Plan, RoleId, Timestamp};
use crate::error::ApiError;
use crate::roles::role::Holder;
use crate::store::{Entity, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A hold of an organization written before `seatDays`: one pending invitation's seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHold {
    /// Remaining uses.
    pub n: u32,
    /// The invitation's expiry: from then on the hold no longer counts.
    pub exp: Timestamp,
    /// The custom role the invitation gives, if it gives one: the invitation holds that role
    /// while its hold has uses left (`roleHolders`), so taking the hold away counts it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleId>,
}

impl SeatHold {
    /// The role count this hold's removal takes off (none once its uses are spent: the last use
    /// counted it off).
    fn role_taken(&self) -> Option<(RoleId, i64)> {
        self.role.clone().filter(|_| self.n > 0).map(|id| (id, -1))
    }
}

/// What an invitation holds, as its item says: its remaining uses (the seats it holds while
/// pending), until it expires, and the custom role it gives.
#[derive(Debug, Clone)]
pub struct InvitationHold {
    pub invitation: InvitationId,
    /// Remaining uses (0 once revoked or used up).
    pub n: u32,
    pub expires_at: Timestamp,
    pub role: Option<RoleId>,
    /// When its current window started (`InvitationItem::window_start`).
    pub window_start: Timestamp,
}

impl InvitationHold {
    /// The day its seats are kept under.
    fn day(&self) -> String {
        expiry_day(self.expires_at)
    }
}

/// Where an invitation's seats are counted on the item as read.
enum Held {
    /// In its own hold (an organization written before days).
    Own(SeatHold),
    /// In its day.
    Day(String),
    /// Nowhere: revoked, used up, taken back after it expired, or revoked by a closure.
    Gone,
}

/// The key of the count of invitations expiring on `day` that give custom role `role`.
fn role_key(day: &str, role: &RoleId) -> String {
    format!("{day} {role}")
}

/// Whether a `seatDays` key counts seats (not a role's invitations).
fn is_seats(key: &str) -> bool {
    !key.contains(' ')
}

/// The day the seats of an invitation expiring at `exp` are kept under: the midnight it expires at.
fn expiry_day(exp: Timestamp) -> String {
    exp.ceil_day().day()
}

/// A `seatDays` key's day and, for a role count, its role.
fn parse_key(key: &str) -> (&str, Option<RoleId>) {
    match key.split_once(' ') {
        Some((day, role)) => (day, RoleId::parse(role)),
        None => (key, None),
    }
}

/// Entries (past days, expired own holds) taken back per write at most: each adds a condition
/// and a removal. The days alone are at most 31 plus their role counts.
const RECLAIM_MAX: usize = 40;

/// What one write does to the seats: changes of days, past entries taken back, own holds
/// removed (released, used up or moved to their day), seats that became members. The counters
/// (`pendingSeats`, `seatsUsed`, `memberCount`) and the custom role counts follow from it.
#[derive(Default)]
pub(super) struct SeatWrite {
    /// Changes of `seatDays` entries by key (seats, or role counts).
    pub deltas: BTreeMap<String, i64>,
    /// Entries of past days taken back, with their values as read.
    pub removed: BTreeMap<String, u32>,
    /// Own holds taken off the item, as read.
    pub own: BTreeMap<String, SeatHold>,
    /// The own holds taken back because they expired or were used up (their invitations' items
    /// may now expire).
    released: Vec<(String, SeatHold)>,
    /// Seats that became members.
    pub joined: u32,
    /// Seats the directory's provisioned people took (1) or gave back (-1); a provisioned
    /// person joining is `joined: 1, provisioned: -1`.
    pub provisioned: i64,
}

impl SeatWrite {
    /// Adds (`sign` 1) or takes away (-1) `n` seats on `day` and, for a custom role, one holder.
    fn day(&mut self, day: &str, n: u32, role: Option<&RoleId>, sign: i64) {
        *self.deltas.entry(day.to_string()).or_default() += sign * i64::from(n);
        if let Some(role) = role {
            *self.deltas.entry(role_key(day, role)).or_default() += sign;
        }
    }

    /// Seats of the past days taken back.
    fn removed_seats(&self) -> u32 {
        self.removed
            .iter()
            .filter(|(k, _)| is_seats(k))
            .map(|(_, n)| n)
            .sum()
    }

    /// Seats freed by the entries taken back.
    fn freed(&self) -> u32 {
        self.removed_seats() + self.released.iter().map(|(_, h)| h.n).sum::<u32>()
    }

    /// The change of `pendingSeats`: seats added to or taken from days, minus what was taken back.
    pub(super) fn pending_delta(&self) -> i64 {
        let days: i64 = self
            .deltas
            .iter()
            .filter(|(k, _)| is_seats(k))
            .map(|(_, d)| d)
            .sum();
        let own: i64 = self.own.values().map(|h| i64::from(h.n)).sum();
        days - i64::from(self.removed_seats()) - own
    }

    /// The changes of the custom roles' invitation counts (`roleHolders`).
    pub(super) fn role_changes(&self) -> Vec<(RoleId, Holder, i64)> {
        let keyed = |(k, d): (&String, i64)| parse_key(k).1.map(|r| (r, Holder::Invitations, d));
        let added = self.deltas.iter().filter_map(|(k, d)| keyed((k, *d)));
        let removed = self
            .removed
            .iter()
            .filter_map(|(k, n)| keyed((k, -i64::from(*n))));
        let own = self
            .own
            .values()
            .filter_map(SeatHold::role_taken)
            .map(|(r, d)| (r, Holder::Invitations, d));
        added.chain(removed).chain(own).collect()
    }

    fn is_empty(&self) -> bool {
        self.deltas.is_empty()
            && self.removed.is_empty()
            && self.own.is_empty()
            && self.joined == 0
            && self.provisioned == 0
    }
}

impl OrgItem {
    /// Whether the last closure of the organization revoked an invitation whose current window
    /// runs from `start` to `expires_at` (it was pending when the organization closed).
    pub fn revoked_by_closure(&self, start: Timestamp, expires_at: Timestamp) -> bool {
        self.invitations_revoked_at
            .is_some_and(|at| start <= at && at < expires_at)
    }

    /// The organization active and not closed since the read (a closure revokes every pending
    /// invitation: their days are gone, and a new day of the same date is someone else's).
    fn invitations_as_read(&self) -> OrgPart {
        let (active, expr) = Self::active();
        let (cond, expr) = match self.invitations_revoked_at {
            None => (
                vec![
                    active.into(),
                    "attribute_not_exists(invitationsRevokedAt)".into(),
                ],
                expr,
            ),
            Some(at) => (
                vec![active.into(), "invitationsRevokedAt = :sw_ra".into()],
                expr.value(":sw_ra", &at),
            ),
        };
        OrgPart {
            sets: Vec::new(),
            cond,
            expr,
        }
    }

    /// The organization active on the plan as read.
    fn on_plan_as_read(&self) -> OrgPart {
        let (active, expr) = Self::active();
        OrgPart {
            sets: Vec::new(),
            cond: vec![active.to_string(), "#plan = :plan".to_string()],
            expr: expr.value(":plan", &self.plan).name("#plan", "plan"),
        }
    }

    /// A member left or was removed: their seat is free (unless they were deactivated: a
    /// deactivated member holds none), and the API keys they created (still valid: they belong
    /// to the organization) are marked as created by someone who left.
    pub fn member_left(
        &self,
        tx: Tx,
        keys_created: &[crate::domain::ApiKeyId],
        held_seat: bool,
    ) -> Result<Tx, ApiError> {
        let (active, mut expr) = Self::active();
        let mut update = Vec::new();
        if held_seat {
            update.push("SET memberCount = memberCount - :one".to_string());
            expr = expr.value(":one", &1);
        }
        if !keys_created.is_empty() {
            update.push("ADD apiKeysOrphaned :orphans".to_string());
            expr = expr.set(":orphans", keys_created.iter().map(|k| k.as_str()));
        }
        if update.is_empty() {
            return tx.guard(self.key(), active, expr, ApiError::org_closed());
        }
        let tx = tx.update(
            self.key(),
            &update.join(" "),
            Some(active),
            expr,
            ApiError::org_closed(),
        )?;
        match held_seat {
            true => self.seat_left(tx),
            false => Ok(tx),
        }
    }
}

impl Seats<'_> {
    /// Seats pending invitations really hold at `now` (past days and expired holds excluded).
    pub fn held_seats(&self, now: Timestamp) -> u32 {
        let today = now.day();
        let days: u32 = self
            .state
            .seat_days
            .iter()
            .flatten()
            .filter(|(k, _)| is_seats(k) && k.as_str() > today.as_str())
            .map(|(_, n)| n)
            .sum();
        let own: u32 = self
            .state
            .seat_holds
            .iter()
            .flatten()
            .filter(|(_, h)| h.exp > now)
            .map(|(_, h)| h.n)
            .sum();
        days + own
    }
    /// Seats in use at `now`: members plus the seats pending invitations really hold.
    pub fn seats_in_use(&self, now: Timestamp) -> u32 {
        self.org.member_count + self.held_seats(now) + self.state.directory_seats
    }

    fn where_held(&self, hold: &InvitationHold) -> Held {
        if let Some(own) = self
            .state
            .seat_holds
            .as_ref()
            .and_then(|h| h.get(hold.invitation.as_str()))
        {
            return Held::Own(own.clone());
        }
        if hold.n == 0
            || self
                .org
                .revoked_by_closure(hold.window_start, hold.expires_at)
        {
            return Held::Gone;
        }
        // A day that is still there was not taken back: the invitation's seats are in it.
        let day = hold.day();
        match self.state.seat_days.as_ref().and_then(|d| d.get(&day)) {
            Some(seats) if *seats >= hold.n => Held::Day(day),
            _ => Held::Gone,
        }
    }
    /// Whether the invitation's seats are still counted (else a resend reserves them again).
    pub fn holds_seats(&self, hold: &InvitationHold) -> bool {
        !matches!(self.where_held(hold), Held::Gone)
    }

    /// Takes back past days and expired or used-up own holds (at most `RECLAIM_MAX` entries),
    /// and moves own holds still pending to their day; entries this write changes otherwise are
    /// left alone.
    fn reclaim(&self, w: &mut SeatWrite, now: Timestamp) {
        let today = now.day();
        let mut budget = RECLAIM_MAX;
        let past = self
            .state
            .seat_days
            .iter()
            .flatten()
            .filter(|(k, _)| *parse_key(k).0 <= *today && !w.deltas.contains_key(*k));
        for (key, n) in past.take(budget) {
            w.removed.insert(key.clone(), *n);
        }
        budget -= w.removed.len();
        let own = self
            .state
            .seat_holds
            .iter()
            .flatten()
            .filter(|(id, _)| !w.own.contains_key(*id))
            .take(budget)
            .map(|(id, h)| (id.clone(), h.clone()))
            .collect::<Vec<_>>();
        for (id, hold) in own {
            w.own.insert(id.clone(), hold.clone());
            if hold.exp <= now || hold.n == 0 {
                w.released.push((id, hold));
            } else {
                w.day(&expiry_day(hold.exp), hold.n, hold.role.as_ref(), 1);
            }
        }
    }

    /// The most `seatsUsed` may be for `n` more seats to fit, with `freed` taken back in the
    /// same write (`seatsUsed - freed + n <= limit`); none on an unlimited plan.
    fn fits(&self, freed: u32, n: u32) -> Option<u32> {
        self.org
            .plan
            .seat_limit()
            .map(|limit| (limit + freed).saturating_sub(n))
    }

    /// Reserves the seats of `hold` (a new invitation, or a resend whose seats were taken back)
    /// under the plan read and within its limit, taking back past days in the same write
    /// (`seatsUsed - freed + n <= limit`); `over_limit` is the answer when they do not fit.
    /// Returns the transaction and the own holds it released (their invitations' items may now
    /// expire).
    pub fn reserve_seats(
        &self,
        tx: Tx,
        hold: &InvitationHold,
        now: Timestamp,
        over_limit: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let mut w = SeatWrite::default();
        w.day(&hold.day(), hold.n, hold.role.as_ref(), 1);
        self.reclaim(&mut w, now);
        let limit = self.fits(w.freed(), hold.n);
        let tx = self.write(tx, &w, self.org.on_plan_as_read(), limit, over_limit)?;
        Ok((tx, w.released))
    }

    /// Releases the seats `hold` still keeps (a revocation), conditional on them as read;
    /// returns the transaction and the seats released (none once they were taken back).
    pub fn release_hold(&self, tx: Tx, hold: &InvitationHold) -> Result<(Tx, u32), ApiError> {
        let mut w = SeatWrite::default();
        match self.where_held(hold) {
            Held::Gone => return Ok((tx, 0)),
            Held::Own(own) => {
                w.own.insert(hold.invitation.to_string(), own);
            }
            Held::Day(day) => w.day(&day, hold.n, hold.role.as_ref(), -1),
        }
        let tx = self.write(
            tx,
            &w,
            self.org.invitations_as_read(),
            None,
            ApiError::concurrent("The invitation's seats changed meanwhile; reload and retry."),
        )?;
        Ok((tx, hold.n))
    }

    /// A cleanup: takes back past days and expired holds, and releases the own holds of the
    /// invitations it deletes. Returns the transaction and the seats freed.
    pub fn seats_cleaned_up(
        &self,
        tx: Tx,
        deleted: &[InvitationId],
        now: Timestamp,
    ) -> Result<(Tx, u32), ApiError> {
        let mut w = SeatWrite::default();
        for id in deleted {
            if let Some(own) = self
                .state
                .seat_holds
                .as_ref()
                .and_then(|h| h.get(id.as_str()))
            {
                w.own.insert(id.to_string(), own.clone());
                w.released.push((id.to_string(), own.clone()));
            }
        }
        self.reclaim(&mut w, now);
        if w.is_empty() {
            return Ok((tx, 0));
        }
        let (active, expr) = OrgItem::active();
        let freed = w.freed();
        let org = OrgPart {
            sets: Vec::new(),
            cond: vec![active.into()],
            expr,
        };
        let tx = self.write(
            tx,
            &w,
            org,
            None,
            ApiError::concurrent(
                "The invitations' seats changed meanwhile; run the cleanup again.",
            ),
        )?;
        Ok((tx, freed))
    }

    /// Moves `hold`'s seats to its new expiry `exp` (a resend), conditional on them as read.
    /// Its seats must still be counted (`holds_seats`); else the resend reserves them again.
    pub fn extend_hold(
        &self,
        tx: Tx,
        hold: &InvitationHold,
        exp: Timestamp,
    ) -> Result<Tx, ApiError> {
        let to = expiry_day(exp);
        let mut w = SeatWrite::default();
        match self.where_held(hold) {
            Held::Gone => {
                return Err(ApiError::internal(
                    "extending seats that are no longer held",
                ))
            }
            Held::Own(own) => {
                w.own.insert(hold.invitation.to_string(), own.clone());
                w.day(&to, own.n, own.role.as_ref(), 1);
            }
            Held::Day(day) if day == to => return Ok(tx),
            Held::Day(day) => {
                w.day(&day, hold.n, hold.role.as_ref(), -1);
                w.day(&to, hold.n, hold.role.as_ref(), 1);
            }
        }
        self.write(
            tx,
            &w,
            self.org.invitations_as_read(),
            None,
            ApiError::org_closed(),
        )
    }

    /// `n` seats held by `hold` become members (an invitation used: `n = 1`); `on_fail` when
    /// they are no longer held.
    pub fn seats_taken(
        &self,
        tx: Tx,
        hold: &InvitationHold,
        n: u32,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let mut w = SeatWrite {
            joined: n,
            ..SeatWrite::default()
        };
        match self.where_held(hold) {
            Held::Gone => return Err(on_fail),
            Held::Own(own) => {
                // The rest moves to its day.
                if own.n < n {
                    return Err(on_fail);
                }
                let rest = own.n - n;
                let role = own.role.clone().filter(|_| rest > 0);
                w.own.insert(hold.invitation.to_string(), own.clone());
                if rest > 0 {
                    w.day(&expiry_day(own.exp), rest, role.as_ref(), 1);
                }
            }
            Held::Day(day) => {
                // The last use: the invitation no longer holds its role.
                let last = hold.n <= n;
                w.day(&day, n, None, -1);
                if let Some(role) = hold.role.as_ref().filter(|_| last) {
                    w.deltas.insert(role_key(&day, role), -1);
                }
            }
        }
        self.write(tx, &w, self.org.invitations_as_read(), None, on_fail)
    }

    /// A member joins without an invitation's hold (through a verified domain): a free seat
    /// under the plan read (`seatsUsed - freed + 1 <= limit`), taking back past days in the
    /// same write; `over_limit` when none is free. Returns the own holds it released.
    pub fn seat_joined(
        &self,
        tx: Tx,
        now: Timestamp,
        over_limit: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let mut w = SeatWrite {
            joined: 1,
            ..SeatWrite::default()
        };
        self.reclaim(&mut w, now);
        let limit = self.fits(w.freed(), 1);
        let tx = self.write(tx, &w, self.org.on_plan_as_read(), limit, over_limit)?;
        Ok((tx, w.released))
    }

    /// A person the directory provisions (or reactivates before they join) takes a seat under
    /// the plan read (`seatsUsed - freed + 1 <= limit`, `over_limit` otherwise), as a pending
    /// invitation holds one. Returns the own holds it released.
    pub fn directory_seat_taken(
        &self,
        tx: Tx,
        now: Timestamp,
        over_limit: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let mut w = SeatWrite {
            provisioned: 1,
            ..SeatWrite::default()
        };
        self.reclaim(&mut w, now);
        let limit = self.fits(w.freed(), 1);
        let tx = self.write(tx, &w, self.org.on_plan_as_read(), limit, over_limit)?;
        Ok((tx, w.released))
    }

    /// A provisioned person who had not joined is deactivated or deleted: their seat is free.
    pub fn directory_seat_released(&self, tx: Tx) -> Result<Tx, ApiError> {
        let w = SeatWrite {
            provisioned: -1,
            ..SeatWrite::default()
        };
        let (active, expr) = OrgItem::active();
        let org = OrgPart {
            sets: Vec::new(),
            cond: vec![active.to_string()],
            expr,
        };
        self.write(tx, &w, org, None, ApiError::org_closed())
    }

    /// A provisioned person joins: their seat becomes a member's (`memberCount` + 1, the
    /// directory's seats - 1, `seatsUsed` unchanged).
    pub fn directory_seat_joined(&self, tx: Tx) -> Result<Tx, ApiError> {
        let w = SeatWrite {
            provisioned: -1,
            joined: 1,
            ..SeatWrite::default()
        };
        let (active, expr) = OrgItem::active();
        let org = OrgPart {
            sets: Vec::new(),
            cond: vec![active.to_string()],
            expr,
        };
        self.write(tx, &w, org, None, ApiError::org_closed())
    }

    /// Changes the plan, conditional on the plan read and, for a limited plan, on the seats in use
    /// fitting it (`too_small` otherwise), taking back past days in the same write.
    pub fn change_plan(
        &self,
        tx: Tx,
        plan: Plan,
        now: Timestamp,
        too_small: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let (active, expr) = OrgItem::active();
        let mut w = SeatWrite::default();
        self.reclaim(&mut w, now);
        let org = OrgPart {
            sets: vec!["#plan = :new".to_string()],
            cond: vec!["#plan = :old".to_string(), active.to_string()],
            expr: expr
                .value(":old", &self.org.plan)
                .value(":new", &plan)
                .name("#plan", "plan"),
        };
        let (limit, on_fail) = match plan.seat_limit() {
            Some(limit) => (Some(limit + w.freed()), too_small),
            None => (
                None,
                ApiError::concurrent("The subscription changed meanwhile; reload and retry."),
            ),
        };
        let tx = self.write(tx, &w, org, limit, on_fail)?;
        Ok((tx, w.released))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(n: u32, exp: &str, role: Option<&RoleId>) -> SeatHold {
        SeatHold {
            n,
            exp: Timestamp::parse(exp).unwrap(),
            role: role.cloned(),
        }
    }

    #[test]
    fn a_write_counts_what_it_moves_takes_back_and_releases() {
        let role = RoleId::new();
        let mut w = SeatWrite::default();
        // A new invitation of 3 seats with a custom role, on the 14th.
        w.day("2026-12-14", 3, Some(&role), 1);
        // A past day taken back: 2 seats, one invitation of them giving the role.
        w.removed.insert("2026-12-01".into(), 2);
        w.removed.insert(role_key("2026-12-01", &role), 1);
        // An own hold moved to its day (2 seats, the role), one released (1 seat, expired).
        let moved = hold(2, "2026-12-10T09:00:00Z", Some(&role));
        w.own.insert("inv_a".into(), moved.clone());
        w.day("2026-12-11", 2, Some(&role), 1);
        let expired = hold(1, "2026-12-02T09:00:00Z", None);
        w.own.insert("inv_b".into(), expired.clone());
        w.released.push(("inv_b".into(), expired));
        assert_eq!(w.freed(), 3, "the past day's 2 and the released hold's 1");
        // +3 new, +2 moved in, -2 past day, -2 moved out, -1 released.
        assert_eq!(w.pending_delta(), 0);
        let mut roles: BTreeMap<RoleId, i64> = BTreeMap::new();
        for (r, h, d) in w.role_changes() {
            assert_eq!(h, Holder::Invitations);
            *roles.entry(r).or_default() += d;
        }
        // +1 new, +1 moved in, -1 moved out, -1 past day.
        assert_eq!(roles.get(&role), Some(&0));
    }

    #[test]
    fn keys_name_their_day_and_role() {
        let role = RoleId::new();
        assert_eq!(parse_key("2026-12-14"), ("2026-12-14", None));
        let key = role_key("2026-12-14", &role);
        assert_eq!(parse_key(&key), ("2026-12-14", Some(role)));
    }
}
