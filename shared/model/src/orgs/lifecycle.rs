//! The organization's life: closing with grace, the closure reminders, reactivation, the purge's
//! marks and due index, and ownership.

use super::{OrgItem, PURGE_DUE};
use crate::domain::{OrgId, Plan, RoleId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::orgs::settings::OrgStatus;
use crate::roles::role::Holder;
use crate::store::{Entity, Expr, QuerySpec, SortCond, Tx, GSI1};

impl OrgItem {
    /// Records that the closure reminder `which` was sent for this closure; conditional on the
    /// organization still being in grace with this purge time and the reminder not yet recorded,
    /// so two runs of the job send it once.
    pub fn mark_reminder(&self, tx: Tx, which: &str, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "ADD remindersSent :which",
            Some("#status = :grace AND purgeAt = :purge AND NOT contains(remindersSent, :one)"),
            Expr::new()
                .set(":which", [which])
                .value(":one", &which)
                .value(":grace", &OrgStatus::Grace)
                .value(":purge", &self.purge_at)
                .name("#status", "status"),
            on_fail,
        )
    }

    /// Takes a reminder's record back (its email could not be sent: the next run tries again).
    pub fn unmark_reminder(&self, tx: Tx, which: &str) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "DELETE remindersSent :which",
            Some("contains(remindersSent, :one)"),
            Expr::new().set(":which", [which]).value(":one", &which),
            ApiError::concurrent("The reminder's record is gone."),
        )
    }

    /// Closes the organization: read-only from now, in the due index until purged after `grace`;
    /// the subscription is cancelled (the plan is free while closed; the plan it had is kept for
    /// reactivation) and every pending invitation revoked: `invitationsRevokedAt` says which
    /// (those created until now, `InvitationItem::status_in`), their seats and the custom roles
    /// they held are released. Conditional on the state read: active, the plan and the seats
    /// held as read (so no invitation was created, used or revoked meanwhile).
    pub fn close(
        &self,
        tx: Tx,
        seats: &super::Seats<'_>,
        by: &UserId,
        now: Timestamp,
        grace: chrono::Duration,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let purge_at = now + grace;
        let cond = format!("{active} AND #plan = :had");
        let expr = expr
            .value(":closed", &OrgStatus::Grace)
            .value(":now", &now)
            .value(":by", by)
            .value(":purge", &purge_at)
            .value(":due", PURGE_DUE)
            .value(":duesk", &Self::due_sort_key(purge_at, &self.org_id))
            .value(":free", &Plan::default_plan())
            .value(":had", &self.plan)
            .name("#plan", "plan");
        let tx = tx.update(
            self.key(),
            "SET #status = :closed, closedAt = :now, closedBy = :by, purgeAt = :purge, GSI1PK = :due, GSI1SK = :duesk, \
             #plan = :free, planAtClosure = :had, invitationsRevokedAt = :now, updatedAt = :now",
            Some(&cond),
            expr,
            ApiError::concurrent("Invitations or the organization changed meanwhile; retry."),
        )?;
        let tx = seats.revoke_all(tx)?;
        // The revoked invitations no longer hold their roles (every count of them goes: the
        // days and holds as read are all there is).
        let held: Vec<(RoleId, Holder, i64)> = self
            .custom_roles
            .iter()
            .map(|(id, _)| {
                let n = self.custom_roles.holders_of(&id, Holder::Invitations);
                (id, Holder::Invitations, -n)
            })
            .collect();
        self.count_custom_holders(tx, held.iter().map(|(id, h, n)| (id, *h, *n)))
    }

    /// The due index's sort key: purge time first, so `GSI1SK <= <now>#~` is what is due.
    pub fn due_sort_key(purge_at: Timestamp, org: &OrgId) -> String {
        format!("{}#{}", purge_at.canonical(), org.as_str())
    }

    /// Reopens a closed organization (only in grace: not once the purge has started), on the
    /// plan it had when it closed, so its members fit its seat limit as they did.
    pub fn reactivate(&self, tx: Tx, now: Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET #status = :active, updatedAt = :now, #plan = if_not_exists(planAtClosure, :free) \
             REMOVE closedAt, closedBy, purgeAt, GSI1PK, GSI1SK, remindersSent, planAtClosure",
            Some("#status = :grace"),
            Expr::new()
                .value(":active", &OrgStatus::Active)
                .value(":grace", &OrgStatus::Grace)
                .value(":now", &now)
                .value(":free", &Plan::default_plan())
                .name("#status", "status")
                .name("#plan", "plan"),
            ApiError::new(
                Code::PurgeStarted,
                "The organization's purge has started; it can no longer be reactivated.",
            ),
        )
    }

    /// Marks a due organization as being purged (from here on it cannot be reactivated);
    /// conditional on it still being closed and due at `now`.
    pub fn start_purge(&self, tx: Tx, now: Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET #status = :purging",
            Some("#status IN (:grace, :purging) AND purgeAt <= :now"),
            Expr::new()
                .value(":purging", &OrgStatus::Purging)
                .value(":grace", &OrgStatus::Grace)
                .value(":now", &now)
                .name("#status", "status"),
            ApiError::concurrent("The organization was reactivated meanwhile."),
        )
    }

    /// Deletes the organization item itself, the last of its partition (only while purging).
    pub fn delete_purged(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.delete(
            self.key(),
            Some("#status = :purging"),
            Expr::new()
                .value(":purging", &OrgStatus::Purging)
                .name("#status", "status"),
            ApiError::concurrent("The organization is not being purged."),
        )
    }

    /// One page of the organizations due for purge at `now` (the sparse due index).
    pub fn page_due(now: Timestamp, limit: u32) -> QuerySpec {
        // Every key of the index starts with a time ("2..."), so "0" is below them all; "~" sorts
        // after every org id at the same instant.
        QuerySpec::new(
            PURGE_DUE,
            SortCond::Between("0".into(), format!("{}#~", now.canonical())),
            limit,
        )
        .on_index(GSI1)
    }

    /// Organizations in grace whose purge comes after `now` and by `now + within`, in purge order
    /// (the due index; `after`: the last key of the previous page).
    pub fn page_purged_within(
        now: Timestamp,
        within: chrono::Duration,
        limit: u32,
        after: Option<crate::store::Item>,
    ) -> QuerySpec {
        let mut q = QuerySpec::new(
            PURGE_DUE,
            SortCond::Between(
                format!("{}#~", now.canonical()),
                format!("{}#~", (now + within).canonical()),
            ),
            limit,
        )
        .on_index(GSI1);
        q.start = after;
        q
    }

    /// Moves ownership from `from` to `to`, conditional on `from` still being the owner.
    pub fn set_owner(
        &self,
        tx: Tx,
        from: &UserId,
        to: &UserId,
        now: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET ownerId = :new, updatedAt = :now",
            Some(&format!("ownerId = :me AND {active}")),
            expr.value(":new", to)
                .value(":me", from)
                .value(":now", &now),
            on_fail,
        )
    }
}
