//! The organization's items (the organization, its slug, the creating user's bookkeeping), their
//! keys and every write made to them. Attribute names and expressions of these items live here only.

use super::settings::{BillingProfile, InvitePolicy, OrgStatus, Settings};
use crate::domain::{InvitationId, OrgId, OrgName, Slug, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx, GSI1};
use crate::subscription::Plan;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

const ORG_SK: &str = "ORG";

/// The due index's partition: organizations in grace (and being purged), by purge time.
pub const PURGE_DUE: &str = "PURGE_DUE";

pub fn org_pk(org: &OrgId) -> String {
    format!("ORG#{org}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub name: String,
    pub slug: Slug,
    pub status: OrgStatus,
    pub owner_id: UserId,
    pub plan: Plan,
    /// While closed: the plan closing cancelled, which reactivation restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_at_closure: Option<Plan>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub billing_profile: BillingProfile,
    pub personal: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
    /// `PURGE_DUE` while closed: the sparse index of what the purge job will do (with `GSI1SK`
    /// = `<purgeAt>#<orgId>`).
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    /// Members, counted in the same transaction as every membership write.
    pub member_count: u32,
    /// The cleanup policy the platform's services enforce (`None`: the default, everything off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_policy: Option<crate::settings::cleanup::CleanupPolicy>,
    /// Every route refuses a caller whose token shows no second factor (stored only when on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_mfa: bool,
    /// Invitations go to, and accepting needs a verified email in, these domains (a string set,
    /// absent when anyone may join, so conditions can test `contains`).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub allowed_email_domains: BTreeSet<String>,
    /// Which events email the owner and admins (`None`: the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<crate::settings::notifications::NotificationPreferences>,
    /// The closure reminders sent for the current closure (`7d`, `1d`; removed on reactivation).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub reminders_sent: BTreeSet<String>,
    /// The storage provider integration backups use by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_storage_id: Option<crate::domain::IntegrationId>,
    /// Teams, counted in the transactions that create and delete them (the teams-per-organization limit).
    #[serde(default)]
    pub team_count: u32,
    /// Remaining uses of pending invitations (seats reserved but not yet taken).
    #[serde(default)]
    pub pending_seats: u32,
    /// `memberCount + pendingSeats`, kept as one attribute so a condition can compare it with the
    /// plan's limit (condition expressions cannot add).
    #[serde(default)]
    pub seats_used: u32,
    /// The seats each pending invitation holds (invitation id -> remaining uses and expiry):
    /// `pendingSeats` is their sum. An expired hold no longer counts and is reclaimed by the next
    /// write that reserves seats or changes the plan, in that same write; so expired invitations
    /// never block new ones and nothing depends on anyone running the cleanup. `None` only on
    /// organizations written before holds existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_holds: Option<BTreeMap<String, SeatHold>>,
}

/// Seats an invitation holds until it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHold {
    /// Remaining uses.
    pub n: u32,
    /// The invitation's expiry: from then on the hold no longer counts.
    pub exp: Timestamp,
}

/// Holds reclaimed per write at most (each adds a condition and a removal).
const RECLAIM_MAX: usize = 20;

/// Expired or used-up holds a write takes back: the removals, their conditions (each still as
/// read), and the seats they free.
struct Reclaim {
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

impl Entity for OrgItem {
    const TYPE: &'static str = "org";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id)
    }
}

/// What an update of the organization changes (only the fields that differ).
#[derive(Debug, Default)]
pub struct OrgChanges {
    pub name: Option<OrgName>,
    pub slug: Option<Slug>,
    pub settings: Option<Settings>,
    pub billing_profile: Option<BillingProfile>,
}

impl OrgItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), ORG_SK)
    }

    pub fn new(
        org_id: OrgId,
        name: OrgName,
        slug: Slug,
        owner: &UserId,
        personal: bool,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(&org_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id,
            name: name.as_str().to_string(),
            slug,
            status: OrgStatus::Active,
            owner_id: owner.clone(),
            plan: Plan::Free,
            plan_at_closure: None,
            settings: Settings::default(),
            billing_profile: BillingProfile::default(),
            personal,
            created_by: owner.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            purge_at: None,
            gsi1pk: None,
            gsi1sk: None,
            member_count: 1,
            cleanup_policy: None,
            require_mfa: false,
            allowed_email_domains: BTreeSet::new(),
            notifications: None,
            reminders_sent: BTreeSet::new(),
            default_storage_id: None,
            team_count: 0,
            pending_seats: 0,
            seats_used: 1,
            seat_holds: Some(BTreeMap::new()),
        }
    }

    /// Seats pending invitations really hold at `now` (expired and used-up holds excluded).
    pub fn held_seats(&self, now: Timestamp) -> u32 {
        self.seat_holds
            .iter()
            .flatten()
            .filter(|(_, h)| h.exp > now)
            .map(|(_, h)| h.n)
            .sum()
    }
    /// Seats in use at `now`: members plus the seats pending invitations really hold.
    pub fn seats_in_use(&self, now: Timestamp) -> u32 {
        self.member_count + self.held_seats(now)
    }
    /// The hold of an invitation, if it still has one.
    pub fn hold_of(&self, invitation: &InvitationId) -> Option<SeatHold> {
        self.seat_holds
            .as_ref()
            .and_then(|h| h.get(invitation.as_str()).copied())
    }

    /// What a write at `now` takes back: expired or used-up holds (at most `RECLAIM_MAX`).
    fn reclaim(&self, now: Timestamp) -> Reclaim {
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
            r.released.push((id.clone(), *hold));
        }
        r
    }

    fn active() -> (&'static str, Expr) {
        (
            "#status = :active",
            Expr::new()
                .value(":active", &OrgStatus::Active)
                .name("#status", "status"),
        )
    }

    /// Guards a transaction: the organization is still active when it commits (the pipeline
    /// checked the state it read; this keeps a concurrent closure from slipping in).
    pub fn guard_active(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "#g_status = :g_active",
            Expr::new()
                .value(":g_active", &OrgStatus::Active)
                .name("#g_status", "status"),
            ApiError::org_closed(),
        )
    }

    /// Guards a transaction made for a caller whose token shows no second factor: the
    /// organization still does not require one when it commits.
    pub fn guard_mfa_not_required(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "attribute_not_exists(requireMfa)",
            Expr::new(),
            on_fail,
        )
    }

    /// Whether an address may join under the allowed domains (any, when none are set).
    pub fn allows_email(&self, email: &crate::domain::Email) -> bool {
        crate::settings::authentication::domain_allowed(&self.allowed_email_domains, email)
    }

    /// Refuses an address outside the allowed domains (`field`: where the address came from).
    pub fn require_allowed_email(
        &self,
        email: &crate::domain::Email,
        field: &str,
    ) -> Result<(), ApiError> {
        if self.allows_email(email) {
            return Ok(());
        }
        let domains: Vec<&str> = self
            .allowed_email_domains
            .iter()
            .map(String::as_str)
            .collect();
        Err(ApiError::new(
            Code::EmailDomainNotAllowed,
            format!(
                "This organization accepts members only with an email address in {}; `{field}` ({}) is not one.",
                domains.join(", "),
                email.domain()
            ),
        )
        .with("field", field)
        .with("allowedEmailDomains", domains))
    }

    /// Guards a transaction: the address's domain is still allowed when it commits (the allowed
    /// domains unset, or containing it): the rule itself, checked by the database. Without an
    /// address, only while no domains are set.
    pub fn guard_email_domain(
        &self,
        tx: Tx,
        email: Option<&crate::domain::Email>,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        match email {
            Some(email) => tx.guard(
                self.key(),
                "attribute_not_exists(allowedEmailDomains) OR contains(allowedEmailDomains, :g_domain)",
                Expr::new().value(":g_domain", &email.domain()),
                on_fail,
            ),
            None => tx.guard(
                self.key(),
                "attribute_not_exists(allowedEmailDomains)",
                Expr::new(),
                on_fail,
            ),
        }
    }

    /// Sets the authentication policy, conditional on the organization being active and the
    /// policy being what it was read as (two administrators changing it at once: one retries).
    pub fn set_authentication(
        &self,
        tx: Tx,
        require_mfa: bool,
        domains: &BTreeSet<String>,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, mut expr) = Self::active();
        let mut sets = vec!["updatedAt = :now"];
        let mut removes = Vec::new();
        let mut cond = vec![active.to_string()];
        expr = expr.value(":now", &now);
        if require_mfa {
            sets.push("requireMfa = :true");
            expr = expr.value(":true", &true);
        } else {
            removes.push("requireMfa");
        }
        if domains.is_empty() {
            removes.push("allowedEmailDomains");
        } else {
            sets.push("allowedEmailDomains = :domains");
            expr = expr.set(":domains", domains.iter().cloned());
        }
        if self.require_mfa {
            cond.push("requireMfa = :was_mfa".into());
            expr = expr.value(":was_mfa", &true);
        } else {
            cond.push("attribute_not_exists(requireMfa)".into());
        }
        if self.allowed_email_domains.is_empty() {
            cond.push("attribute_not_exists(allowedEmailDomains)".into());
        } else {
            cond.push("allowedEmailDomains = :was_domains".into());
            expr = expr.set(":was_domains", self.allowed_email_domains.iter().cloned());
        }
        let mut update = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        tx.update(
            self.key(),
            &update,
            Some(&cond.join(" AND ")),
            expr,
            ApiError::concurrent("The authentication policy changed meanwhile; reload and retry."),
        )
    }

    /// Sets the notification preferences, conditional on the organization being active.
    pub fn set_notifications(
        &self,
        tx: Tx,
        prefs: &crate::settings::notifications::NotificationPreferences,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET notifications = :prefs, updatedAt = :now",
            Some(active),
            expr.value(":prefs", prefs).value(":now", &now),
            ApiError::org_closed(),
        )
    }

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

    /// Guards a transaction: the organization's invite policy is still `policy`.
    pub fn guard_invite_policy(
        &self,
        tx: Tx,
        policy: InvitePolicy,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "settings.#g_policy = :g_policy",
            Expr::new()
                .value(":g_policy", &policy)
                .name("#g_policy", "invitePolicy"),
            on_fail,
        )
    }

    /// Updates what `changes` names (and moves the slug's uniqueness item when the slug changes),
    /// conditional on the slug read and the organization being active.
    pub fn update(
        &self,
        tx: Tx,
        changes: &OrgChanges,
        now: Timestamp,
        slug_taken: fn(&Slug) -> ApiError,
    ) -> Result<Tx, ApiError> {
        let (active, mut expr) = Self::active();
        let mut sets = vec!["updatedAt = :now"];
        expr = expr.value(":now", &now).value(":oldSlug", &self.slug);
        if let Some(name) = &changes.name {
            sets.push("#name = :name");
            expr = expr.value(":name", name).name("#name", "name");
        }
        if let Some(slug) = &changes.slug {
            sets.push("slug = :slug");
            expr = expr.value(":slug", slug);
        }
        if let Some(settings) = &changes.settings {
            sets.push("settings = :settings");
            expr = expr.value(":settings", settings);
        }
        if let Some(billing) = &changes.billing_profile {
            sets.push("billingProfile = :billing");
            expr = expr.value(":billing", billing);
        }
        let mut tx = tx.update(
            self.key(),
            &format!("SET {}", sets.join(", ")),
            Some(&format!("slug = :oldSlug AND {active}")),
            expr,
            ApiError::concurrent(
                "The organization changed while you were updating it; reload and retry.",
            ),
        )?;
        if let Some(slug) = &changes.slug {
            tx = SlugItem::release(tx, &self.slug, &self.org_id)?
                .put_new(&SlugItem::new(slug, &self.org_id), slug_taken(slug))?;
        }
        Ok(tx)
    }

    /// Closes the organization: read-only from now, in the due index until purged after `grace`;
    /// the subscription is cancelled (the plan is free while closed; the plan it had is kept for
    /// reactivation) and every seat hold released (their invitations are revoked in the same
    /// transaction, `InvitationItem::revoked_at_closure`).
    /// Conditional on the state read: active, the plan and the holds as read.
    pub fn close(
        &self,
        tx: Tx,
        by: &UserId,
        now: Timestamp,
        grace: chrono::Duration,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let purge_at = now + grace;
        tx.update(
            self.key(),
            "SET #status = :closed, closedAt = :now, closedBy = :by, purgeAt = :purge, GSI1PK = :due, GSI1SK = :duesk, \
             #plan = :free, planAtClosure = :had, seatHolds = :none, pendingSeats = :zero, seatsUsed = memberCount, updatedAt = :now",
            Some(&format!("{active} AND pendingSeats = :pending AND #plan = :had")),
            expr.value(":closed", &OrgStatus::Grace)
                .value(":now", &now)
                .value(":by", by)
                .value(":purge", &purge_at)
                .value(":due", PURGE_DUE)
                .value(":duesk", &Self::due_sort_key(purge_at, &self.org_id))
                .value(":free", &Plan::Free)
                .value(":none", &BTreeMap::<String, SeatHold>::new())
                .value(":zero", &0)
                .value(":pending", &self.pending_seats)
                .value(":had", &self.plan)
                .name("#plan", "plan"),
            ApiError::concurrent("Invitations or the organization changed meanwhile; retry."),
        )
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
                .value(":free", &Plan::Free)
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
        let (active, expr) = Self::active();
        let r = self.reclaim(now);
        let mut cond = vec![active.to_string(), "#plan = :plan".to_string()];
        let mut expr = expr
            .value(":plan", &self.plan)
            .name("#plan", "plan")
            // One operator per SET action: the net change of the counters.
            .value(":delta", &(i64::from(hold.n) - i64::from(r.freed)));
        if let Some(limit) = self.plan.seat_limit() {
            cond.push("seatsUsed <= :max".into());
            expr = expr.value(":max", &(limit + r.freed).saturating_sub(hold.n));
        }
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
                expr = expr.value(":holds", &BTreeMap::from([(invitation.to_string(), hold)]));
            }
        }
        r.write(tx, self.key(), update, cond, expr, over_limit)
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
        let (mut removals, mut freed) = (Vec::new(), 0u32);
        for (i, id) in invitations.iter().enumerate() {
            if let Some(hold) = self.hold_of(id) {
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
        tx.update(
            self.key(),
            "SET memberCount = memberCount + :n, pendingSeats = pendingSeats - :n, seatHolds.#inv.n = seatHolds.#inv.n - :n",
            Some(&format!("{active} AND pendingSeats >= :n AND seatHolds.#inv.n >= :n")),
            expr.name("#inv", invitation.as_str()).value(":n", &n),
            on_fail,
        )
    }

    /// A member left or was removed: their seat is free.
    /// Sets the default storage for backups (the integration's kind is checked in the same transaction).
    pub fn set_default_storage(
        &self,
        tx: Tx,
        integration: &crate::domain::IntegrationId,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET defaultStorageId = :id, updatedAt = :now",
            Some(active),
            expr.value(":id", integration).value(":now", &now),
            ApiError::org_closed(),
        )
    }

    /// Replaces the cleanup policy (while active).
    pub fn set_cleanup_policy(
        &self,
        tx: Tx,
        policy: &crate::settings::cleanup::CleanupPolicy,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET cleanupPolicy = :policy, updatedAt = :now",
            Some(active),
            expr.value(":policy", policy).value(":now", &now),
            ApiError::org_closed(),
        )
    }

    /// Forgets the default storage when its integration is deleted (if it still is the default).
    pub fn clear_default_storage(
        &self,
        tx: Tx,
        integration: &crate::domain::IntegrationId,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "REMOVE defaultStorageId",
            Some(&format!("{active} AND defaultStorageId = :id")),
            expr.value(":id", integration),
            ApiError::concurrent("The default storage changed meanwhile; retry."),
        )
    }

    /// One more team, within the limit of teams per organization (checked on the read first; a
    /// failure here is a change meanwhile).
    pub fn team_created(&self, tx: Tx, max: usize) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET teamCount = if_not_exists(teamCount, :zero) + :one",
            Some(&format!(
                "{active} AND (attribute_not_exists(teamCount) OR teamCount < :max)"
            )),
            expr.value(":one", &1)
                .value(":zero", &0)
                .value(":max", &max),
            ApiError::limit(
                "teamsPerOrganization",
                max,
                format!("An organization has at most {max} teams; delete one first."),
            ),
        )
    }

    /// One team fewer.
    pub fn team_deleted(&self, tx: Tx) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET teamCount = teamCount - :one",
            Some(&format!("{active} AND teamCount >= :one")),
            expr.value(":one", &1),
            ApiError::org_closed(),
        )
    }

    pub fn member_left(&self, tx: Tx) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET memberCount = memberCount - :one, seatsUsed = seatsUsed - :one",
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
        r.write(tx, self.key(), update, cond, expr, on_fail)
    }
}

/// The uniqueness item of a slug.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlugItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
}

impl Entity for SlugItem {
    const TYPE: &'static str = "slug";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl SlugItem {
    pub fn key_of(slug: &Slug) -> Key {
        Key::new(format!("SLUG#{}", slug.as_str()), "SLUG")
    }
    /// Frees a purged organization's slug (if it is still that organization's).
    pub fn free(tx: Tx, slug: &Slug, org: &OrgId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(slug),
            Some("orgId = :org"),
            Expr::new().value(":org", org),
            ApiError::concurrent("The slug changed meanwhile."),
        )
    }
    pub fn new(slug: &Slug, org_id: &OrgId) -> Self {
        let key = Self::key_of(slug);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org_id.clone(),
        }
    }
    /// Frees a slug, conditional on it still belonging to the organization.
    pub fn release(tx: Tx, slug: &Slug, org: &OrgId) -> Result<Tx, ApiError> {
        tx.delete(
            Self::key_of(slug),
            Some("orgId = :org"),
            Expr::new().value(":org", org),
            ApiError::concurrent("The organization's slug changed meanwhile; reload and retry."),
        )
    }
}

/// Per-user bookkeeping: organizations created (for the creation limit) and the personal organization.
pub struct UserItem;

impl UserItem {
    pub const TYPE: &'static str = "user";
    pub fn key_of(user: &UserId) -> Key {
        Key::new(format!("USER#{}", user.as_str()), "USER")
    }
    /// GSI1 partition of a user's memberships.
    pub fn memberships_pk(user: &UserId) -> String {
        format!("USER#{}", user.as_str())
    }

    /// Counts one more organization created by `user`, refused at `limit`.
    pub fn count_created(tx: Tx, user: &UserId, limit: u32) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(user),
            "SET orgsCreated = if_not_exists(orgsCreated, :zero) + :one, entity_type = :type",
            Some("attribute_not_exists(orgsCreated) OR orgsCreated < :limit"),
            Expr::new()
                .value(":zero", &0)
                .value(":one", &1)
                .value(":limit", &limit)
                .value(":type", Self::TYPE),
            ApiError::new(
                Code::OrgLimitReached,
                format!("You have created {limit} organization(s), the most allowed per user. Ask an operator to raise ORG_CREATE_LIMIT or close one."),
            )
            .with("limit", limit),
        )
    }

    /// Records `org` as the user's personal organization, once.
    pub fn set_personal(tx: Tx, user: &UserId, org: &OrgId) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(user),
            "SET personalOrgId = :org, entity_type = :type",
            Some("attribute_not_exists(personalOrgId)"),
            Expr::new().value(":org", org).value(":type", Self::TYPE),
            ApiError::new(
                Code::PersonalOrgExists,
                "The personal organization exists already.",
            ),
        )
    }

    /// Forgets a purged organization on its creator's item: the personal-organization pointer, or
    /// one organization created. Conditional on what was read, so a re-run changes nothing twice.
    pub fn org_purged(tx: Tx, user: &UserId, org: &OrgId, personal: bool) -> Result<Tx, ApiError> {
        let fail = || ApiError::concurrent("The creator's record changed meanwhile.");
        if personal {
            tx.update(
                Self::key_of(user),
                "REMOVE personalOrgId",
                Some("personalOrgId = :org"),
                Expr::new().value(":org", org),
                fail(),
            )
        } else {
            tx.update(
                Self::key_of(user),
                "SET orgsCreated = orgsCreated - :one",
                Some("orgsCreated >= :one"),
                Expr::new().value(":one", &1),
                fail(),
            )
        }
    }
}

/// What is left of a purged organization: its id and when (no name, slug, email or user id). Its
/// insert is also the `OrganizationPurged` event (the stream publishes it), written once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub purged_at: Timestamp,
}

impl Entity for TombstoneItem {
    const TYPE: &'static str = "tombstone";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl TombstoneItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), "TOMBSTONE")
    }
    pub fn new(org: &OrgId, purged_at: Timestamp) -> Self {
        let key = Self::key_of(org);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            purged_at,
        }
    }
    pub fn write(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(
            self,
            ApiError::concurrent("The organization was purged already."),
        )
    }
}
