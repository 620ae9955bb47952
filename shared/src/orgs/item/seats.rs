//! Seats: what pending invitations hold, reserving, releasing and taking them, and the plan
//! change that must fit them. Seats in use = members + the seats pending invitations hold.

use super::OrgItem;
use crate::domain::{InvitationId, Plan, Timestamp};
use crate::error::ApiError;
use crate::roles::role::Holder;
use crate::store::{Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Seats an invitation holds until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHold {
    /// Remaining uses.
    pub n: u32,
    /// The invitation's expiry: from then on the hold no longer counts.
    pub exp: Timestamp,
    /// The custom role the invitation gives, if it gives one: the invitation holds that role
    /// while its hold has uses left (`roleHolders`), so taking the hold away counts it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::domain::RoleId>,
}

impl SeatHold {
    /// Its invitation is pending at `now`: not expired, uses left.
    pub fn pending_at(&self, now: Timestamp) -> bool {
        self.exp > now && self.n > 0
    }
    /// The role count this hold's removal takes off (none once its uses are spent: the last use
    /// counted it off).
    pub(super) fn role_taken(&self) -> Option<(&crate::domain::RoleId, Holder, i64)> {
        self.role
            .as_ref()
            .filter(|_| self.n > 0)
            .map(|id| (id, Holder::Invitations, -1))
    }
}

/// Holds reclaimed per write at most (each adds a condition and a removal).
pub(super) const RECLAIM_MAX: usize = 20;

/// Expired or used-up holds a write takes back: the removals, their conditions (each still as
/// read), and the seats they free.
pub(super) struct Reclaim {
    removals: Vec<String>,
    conditions: Vec<String>,
    expr: Expr,
    freed: u32,
    released: Vec<(String, SeatHold)>,
}

impl Reclaim {
    /// The one write that makes `update` under `cond` and takes these holds back (their removals
    /// and conditions added); returns it with the holds released.
    fn write(
        self,
        tx: Tx,
        key: Key,
        mut update: String,
        mut cond: Vec<String>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        cond.extend(self.conditions);
        if !self.removals.is_empty() {
            update.push_str(&format!(" REMOVE {}", self.removals.join(", ")));
        }
        let expr = expr.merge(&self.expr);
        let tx = tx.update(key, &update, Some(&cond.join(" AND ")), expr, on_fail)?;
        Ok((tx, self.released))
    }
}

impl OrgItem {
    /// Seats pending invitations really hold at `now` (expired and used-up holds excluded).
    pub fn held_seats(&self, now: Timestamp) -> u32 {
        self.seat_holds
            .iter()
            .flatten()
            .filter(|(_, h)| h.exp > now)
            .map(|(_, h)| h.n)
            .sum()
    }
    /// The holds of invitations pending at `now` (not expired, uses left), by invitation id.
    pub fn pending_holds(&self, now: Timestamp) -> impl Iterator<Item = (&String, &SeatHold)> {
        self.seat_holds
            .iter()
            .flatten()
            .filter(move |(_, h)| h.pending_at(now))
    }
    /// Seats in use at `now`: members plus the seats pending invitations really hold.
    pub fn seats_in_use(&self, now: Timestamp) -> u32 {
        self.member_count + self.held_seats(now)
    }
    /// The hold of an invitation, if it still has one.
    pub fn hold_of(&self, invitation: &InvitationId) -> Option<SeatHold> {
        self.seat_holds
            .as_ref()
            .and_then(|h| h.get(invitation.as_str()).cloned())
    }

    /// What a write at `now` takes back: expired or used-up holds (at most `RECLAIM_MAX`).
    pub(super) fn reclaim(&self, now: Timestamp) -> Reclaim {
        let mut r = Reclaim {
            removals: Vec::new(),
            conditions: Vec::new(),
            expr: Expr::new(),
            freed: 0,
            released: Vec::new(),
        };
        let due = self
            .seat_holds
            .iter()
            .flatten()
            .filter(|(_, h)| h.exp <= now || h.n == 0)
            .take(RECLAIM_MAX);
        for (i, (id, hold)) in due.enumerate() {
            r.removals.push(format!("seatHolds.#r{i}"));
            r.conditions.push(format!(
                "seatHolds.#r{i}.n = :r{i}n AND seatHolds.#r{i}.exp = :r{i}e"
            ));
            r.expr = std::mem::take(&mut r.expr)
                .name(&format!("#r{i}"), id)
                .value(&format!(":r{i}n"), &hold.n)
                .value(&format!(":r{i}e"), &hold.exp);
            r.freed += hold.n;
            r.released.push((id.clone(), hold.clone()));
        }
        r
    }

    /// The conditions under which `n` more seats fit: the organization active, the plan as read
    /// and, for a limited plan, `seatsUsed - freed + n <= limit` (the holds `r` takes back freed).
    fn seats_fit(&self, r: &Reclaim, n: u32) -> (Vec<String>, Expr) {
        let (active, expr) = Self::active();
        let mut cond = vec![active.to_string(), "#plan = :plan".to_string()];
        let mut expr = expr.value(":plan", &self.plan).name("#plan", "plan");
        if let Some(limit) = self.plan.seat_limit() {
            cond.push("seatsUsed <= :max".into());
            expr = expr.value(":max", &(limit + r.freed).saturating_sub(n));
        }
        (cond, expr)
    }

    /// Reserves `n` seats for `invitation` until `exp`, under the plan read and within its limit,
    /// reclaiming expired holds in the same write (`seatsUsed - freed + n <= limit`); `over_limit`
    /// is the answer when they do not fit. Returns the transaction and the holds it released
    /// (their invitations' items may now expire).
    pub fn reserve_seats(
        &self,
        tx: Tx,
        invitation: &InvitationId,
        hold: SeatHold,
        now: Timestamp,
        over_limit: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let r = self.reclaim(now);
        let (mut cond, expr) = self.seats_fit(&r, hold.n);
        // One operator per SET action: the net change of the counters.
        let mut expr = expr.value(":delta", &(i64::from(hold.n) - i64::from(r.freed)));
        let mut update =
            "SET pendingSeats = pendingSeats + :delta, seatsUsed = seatsUsed + :delta".to_string();
        match &self.seat_holds {
            Some(_) => {
                update.push_str(", seatHolds.#new = :hold");
                expr = expr.name("#new", invitation.as_str()).value(":hold", &hold);
            }
            None => {
                // An organization from before holds: its first hold starts the map.
                update.push_str(", seatHolds = :holds");
                cond.push("attribute_not_exists(seatHolds)".into());
                expr = expr.value(
                    ":holds",
                    &BTreeMap::from([(invitation.to_string(), hold.clone())]),
                );
            }
        }
        let (tx, released) = r.write(tx, self.key(), update, cond, expr, over_limit)?;
        let tx = self.holds_counted(tx, hold.role.as_ref(), released.iter().map(|(_, h)| h))?;
        Ok((tx, released))
    }

    /// Counts the custom role a new hold gives and the roles of the holds a write takes away.
    fn holds_counted<'a>(
        &self,
        tx: Tx,
        gives: Option<&'a crate::domain::RoleId>,
        taken: impl Iterator<Item = &'a SeatHold>,
    ) -> Result<Tx, ApiError> {
        let given = gives.map(|id| (id, Holder::Invitations, 1));
        self.count_custom_holders(tx, taken.filter_map(SeatHold::role_taken).chain(given))
    }

    /// Releases the seats `invitation` holds (revocation), conditional on the hold as read;
    /// returns the transaction and the seats released.
    pub fn release_hold(&self, tx: Tx, invitation: &InvitationId) -> Result<(Tx, u32), ApiError> {
        self.release_holds(tx, std::slice::from_ref(invitation))
    }

    /// Releases the holds of several invitations (cleanup), each conditional on the hold as read;
    /// invitations without a hold release nothing. Returns the transaction and the seats released.
    pub fn release_holds(
        &self,
        tx: Tx,
        invitations: &[InvitationId],
    ) -> Result<(Tx, u32), ApiError> {
        let (active, mut expr) = Self::active();
        let mut cond = vec![active.to_string()];
        let (mut removals, mut freed, mut taken) = (Vec::new(), 0u32, Vec::new());
        for (i, id) in invitations.iter().enumerate() {
            if let Some(hold) = self.hold_of(id) {
                taken.push(hold.clone());
                removals.push(format!("seatHolds.#h{i}"));
                cond.push(format!("seatHolds.#h{i}.n = :h{i}n"));
                expr = expr
                    .name(&format!("#h{i}"), id.as_str())
                    .value(&format!(":h{i}n"), &hold.n);
                freed += hold.n;
            }
        }
        if removals.is_empty() {
            return Ok((tx, 0));
        }
        let tx = tx.update(
            self.key(),
            &format!(
                "SET pendingSeats = pendingSeats - :freed, seatsUsed = seatsUsed - :freed REMOVE {}",
                removals.join(", ")
            ),
            Some(&cond.join(" AND ")),
            expr.value(":freed", &freed),
            ApiError::concurrent("The invitations' seats changed meanwhile; reload and retry."),
        )?;
        let tx = self.holds_counted(tx, None, taken.iter())?;
        Ok((tx, freed))
    }

    /// Moves the expiry of `invitation`'s hold (a resend), conditional on the hold still being there.
    pub fn extend_hold(
        &self,
        tx: Tx,
        invitation: &InvitationId,
        exp: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET seatHolds.#inv.exp = :exp",
            Some(&format!("{active} AND attribute_exists(seatHolds.#inv)")),
            expr.name("#inv", invitation.as_str()).value(":exp", &exp),
            ApiError::org_closed(),
        )
    }

    /// `n` seats held by `invitation` become members (an invitation used: `n = 1`).
    pub fn seats_taken(
        &self,
        tx: Tx,
        invitation: &InvitationId,
        n: u32,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let tx = tx.update(
            self.key(),
            "SET memberCount = memberCount + :n, pendingSeats = pendingSeats - :n, seatHolds.#inv.n = seatHolds.#inv.n - :n",
            Some(&format!("{active} AND pendingSeats >= :n AND seatHolds.#inv.n >= :n")),
            expr.name("#inv", invitation.as_str()).value(":n", &n),
            on_fail,
        )?;
        // The last use: the invitation no longer holds its role.
        let last = self.hold_of(invitation).filter(|h| h.n <= n);
        self.holds_counted(tx, None, last.iter())
    }

    /// A member joins without an invitation's hold (through a verified domain): a free seat
    /// under the plan read (`seatsUsed - freed + 1 <= limit`), reclaiming expired holds in the
    /// same write; `over_limit` when none is free. Returns the holds it released.
    pub fn seat_joined(
        &self,
        tx: Tx,
        now: Timestamp,
        over_limit: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let r = self.reclaim(now);
        let (cond, expr) = self.seats_fit(&r, 1);
        let expr = expr
            .value(":sj_one", &1)
            .value(":sj_delta", &(1 - i64::from(r.freed)))
            .value(":sj_freed", &r.freed);
        let update = "SET memberCount = memberCount + :sj_one, pendingSeats = pendingSeats - :sj_freed, seatsUsed = seatsUsed + :sj_delta".to_string();
        let (tx, released) = r.write(tx, self.key(), update, cond, expr, over_limit)?;
        let tx = self.holds_counted(tx, None, released.iter().map(|(_, h)| h))?;
        Ok((tx, released))
    }

    /// A member left or was removed: their seat is free, and the API keys they created (still
    /// valid: they belong to the organization) are marked as created by someone who left.
    pub fn member_left(
        &self,
        tx: Tx,
        keys_created: &[crate::domain::ApiKeyId],
    ) -> Result<Tx, ApiError> {
        let (active, mut expr) = Self::active();
        let mut update =
            "SET memberCount = memberCount - :one, seatsUsed = seatsUsed - :one".to_string();
        if !keys_created.is_empty() {
            update.push_str(" ADD apiKeysOrphaned :orphans");
            expr = expr.set(":orphans", keys_created.iter().map(|k| k.as_str()));
        }
        tx.update(
            self.key(),
            &update,
            Some(active),
            expr.value(":one", &1),
            ApiError::org_closed(),
        )
    }

    /// Changes the plan, conditional on the plan read and, for a limited plan, on the seats in use
    /// fitting it (`too_small` otherwise), reclaiming expired holds in the same write.
    pub fn change_plan(
        &self,
        tx: Tx,
        plan: Plan,
        now: Timestamp,
        too_small: ApiError,
    ) -> Result<(Tx, Vec<(String, SeatHold)>), ApiError> {
        let (active, expr) = Self::active();
        let r = self.reclaim(now);
        let mut cond = vec!["#plan = :old".to_string(), active.to_string()];
        let mut expr = expr
            .value(":old", &self.plan)
            .value(":new", &plan)
            .value(":freed", &r.freed)
            .name("#plan", "plan");
        let on_fail = match plan.seat_limit() {
            Some(limit) => {
                cond.push("seatsUsed <= :limit".into());
                expr = expr.value(":limit", &(limit + r.freed));
                too_small
            }
            None => ApiError::concurrent("The subscription changed meanwhile; reload and retry."),
        };
        let update = "SET #plan = :new, pendingSeats = pendingSeats - :freed, seatsUsed = seatsUsed - :freed".to_string();
        let (tx, released) = r.write(tx, self.key(), update, cond, expr, on_fail)?;
        let tx = self.holds_counted(tx, None, released.iter().map(|(_, h)| h))?;
        Ok((tx, released))
    }
}
