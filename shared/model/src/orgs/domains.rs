//! The organization's domains as its item embeds them ([`OrgDomains`]: `domains`, by domain):
//! adding one within the limit, marking it verified or unverified, setting its enrollment,
//! removing it. Each write is a fragment of the organization's one write ([`OrgWrite`]),
//! conditional on the entry as read (its `version`), so a decision made on a domain's state
//! cannot commit over a change made meanwhile; all but the daily re-check's also on the
//! organization being active. The uniqueness item that makes a domain one organization's goes
//! into the same transaction (`domains::item::DomainClaimItem`).

use super::{OrgItem, OrgWrite};
use crate::domain::Timestamp;
use crate::domains::entry::{DomainStatus, Enrollment, OrgDomain};
use crate::domains::name::DomainName;
use crate::error::ApiError;
use crate::store::{Entity, Expr, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn domain_changed() -> ApiError {
    ApiError::concurrent(
        "The organization's domains changed meanwhile (a domain was added, verified or removed); nothing changed. Reload and retry.",
    )
}

/// The organization's domains by domain, pending or verified (absent on organizations written
/// before domains; their first domain starts the map).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgDomains(Option<BTreeMap<String, OrgDomain>>);

impl OrgDomains {
    /// A new organization's: an empty map, written with the item.
    pub fn none_yet() -> Self {
        Self(Some(BTreeMap::new()))
    }

    /// Whether the item holds no map at all (it is then not written).
    pub fn is_absent(&self) -> bool {
        self.0.is_none()
    }

    /// The entry of `domain`, as read.
    pub fn get(&self, domain: &DomainName) -> Option<&OrgDomain> {
        self.0.as_ref().and_then(|d| d.get(domain.as_str()))
    }

    /// Every domain, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &OrgDomain)> {
        self.0.iter().flatten()
    }

    /// A new domain, while the organization holds fewer than `max` (the count is a condition
    /// of this write, so parallel additions cannot pass the limit).
    pub fn added(&self, domain: &DomainName, entry: &OrgDomain, max: usize) -> OrgWrite {
        let (update, cond, expr) = match &self.0 {
            Some(_) => (
                "SET domains.#dom = :entry",
                "attribute_not_exists(domains.#dom) AND size(domains) < :dmax",
                Expr::new()
                    .name("#dom", domain.as_str())
                    .value(":entry", entry)
                    .value(":dmax", &max),
            ),
            // An organization from before domains: its first domain starts the map.
            None => (
                "SET domains = :domains",
                "attribute_not_exists(domains)",
                Expr::new().value(
                    ":domains",
                    &BTreeMap::from([(domain.as_str().to_string(), entry.clone())]),
                ),
            ),
        };
        OrgWrite::new(update.into(), Some(cond.into()), expr, domain_changed())
    }

    /// A change of the entry as read (`version`), bumping its version.
    fn entry_changed(
        domain: &DomainName,
        as_read: &OrgDomain,
        update: String,
        expr: Expr,
    ) -> OrgWrite {
        OrgWrite::new(
            update,
            Some("domains.#dom.version = :dv".into()),
            expr.name("#dom", domain.as_str())
                .value(":dv", &as_read.version),
            domain_changed(),
        )
    }

    /// The domain's new state (`verified` with its time, or `unverified`).
    pub fn marked(
        &self,
        domain: &DomainName,
        as_read: &OrgDomain,
        status: DomainStatus,
        now: Timestamp,
    ) -> OrgWrite {
        let mut update = "SET domains.#dom.#dst = :dst, domains.#dom.version = :dv1".to_string();
        let mut expr = Expr::new()
            .name("#dst", "status")
            .value(":dst", &status)
            .value(":dv1", &(as_read.version + 1));
        if status == DomainStatus::Verified {
            // A domain verified (again) starts the re-check's count afresh.
            update.push_str(", domains.#dom.verifiedAt = :dat, domains.#dom.missingDays = :dzero");
            expr = expr.value(":dat", &now).value(":dzero", &0);
        }
        Self::entry_changed(domain, as_read, update, expr)
    }

    /// The domain removed.
    pub fn removed(&self, domain: &DomainName, as_read: &OrgDomain) -> OrgWrite {
        Self::entry_changed(domain, as_read, "REMOVE domains.#dom".into(), Expr::new())
    }

    /// The domain's enrollment (`None`: manual).
    pub fn enrollment_set(
        &self,
        domain: &DomainName,
        as_read: &OrgDomain,
        enrollment: Option<&Enrollment>,
    ) -> OrgWrite {
        let expr = Expr::new().value(":dv1", &(as_read.version + 1));
        let (update, expr) = match enrollment {
            Some(e) => (
                "SET domains.#dom.enrollment = :den, domains.#dom.version = :dv1",
                expr.value(":den", e),
            ),
            None => (
                "SET domains.#dom.version = :dv1 REMOVE domains.#dom.enrollment",
                expr,
            ),
        };
        Self::entry_changed(domain, as_read, update.into(), expr)
    }

    /// What the daily re-check saw (the day and the days in a row without the record), and the
    /// entry marked `unverified` when `unverify`.
    pub fn rechecked(
        &self,
        domain: &DomainName,
        as_read: &OrgDomain,
        day: &str,
        missing_days: u32,
        unverify: bool,
    ) -> OrgWrite {
        let mut update = "SET domains.#dom.checkedOn = :dday, domains.#dom.missingDays = :dmiss, domains.#dom.version = :dv1".to_string();
        let mut expr = Expr::new()
            .value(":dday", &day)
            .value(":dmiss", &missing_days)
            .value(":dv1", &(as_read.version + 1));
        if unverify {
            update.push_str(", domains.#dom.#dst = :dst");
            expr = expr
                .name("#dst", "status")
                .value(":dst", &DomainStatus::Unverified);
        }
        Self::entry_changed(domain, as_read, update, expr)
    }

    /// The condition that the domain's entry is still as read (placeholders of their own, so a
    /// guard composes with a write of the same item).
    pub fn still_as_read(domain: &DomainName, as_read: &OrgDomain) -> (String, Expr) {
        (
            "domains.#gdom.version = :gdv".into(),
            Expr::new()
                .name("#gdom", domain.as_str())
                .value(":gdv", &as_read.version),
        )
    }
}

impl OrgItem {
    /// A new domain within `max`, while the organization is active.
    pub fn domain_added(
        &self,
        tx: Tx,
        domain: &DomainName,
        entry: &OrgDomain,
        max: usize,
    ) -> Result<Tx, ApiError> {
        self.apply(tx, self.domains.added(domain, entry, max).while_active())
    }

    /// The domain's new state, while the organization is active.
    pub fn domain_marked(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        status: DomainStatus,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let write = self.domains.marked(domain, as_read, status, now);
        self.apply(tx, write.while_active())
    }

    /// The domain removed, while the organization is active.
    pub fn domain_removed(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
    ) -> Result<Tx, ApiError> {
        self.apply(tx, self.domains.removed(domain, as_read).while_active())
    }

    /// The domain's enrollment, while the organization is active.
    pub fn domain_enrollment_set(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        enrollment: Option<&Enrollment>,
    ) -> Result<Tx, ApiError> {
        let write = self.domains.enrollment_set(domain, as_read, enrollment);
        self.apply(tx, write.while_active())
    }

    /// What the daily re-check saw. The organization need not be active: a closed one's
    /// domains are re-checked too.
    pub fn domain_rechecked(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        day: &str,
        missing_days: u32,
        unverify: bool,
    ) -> Result<Tx, ApiError> {
        let write = self
            .domains
            .rechecked(domain, as_read, day, missing_days, unverify);
        self.apply(tx, write)
    }

    /// Guards a transaction: the domain's entry is still as read (a join decided on its
    /// enrollment and its verification).
    pub fn guard_domain(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (cond, expr) = OrgDomains::still_as_read(domain, as_read);
        tx.guard(self.key(), &cond, expr, on_fail)
    }
}
