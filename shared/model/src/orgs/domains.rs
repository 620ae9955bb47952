//! The organization's domains (`domains`, by domain): adding one within the limit, marking it
//! verified or unverified, removing it. Each write is conditional on the organization being
//! active and on the entry as read (its `version`), so a decision made on a domain's state
//! cannot commit over a change made meanwhile. The uniqueness item that makes a domain one
//! organization's goes into the same transaction (`domains::item::DomainClaimItem`).

use super::OrgItem;
use crate::domain::Timestamp;
use crate::domains::entry::{DomainStatus, Enrollment, OrgDomain};
use crate::domains::name::DomainName;
use crate::error::ApiError;
use crate::store::{Entity, Expr, Tx};
use std::collections::BTreeMap;

fn domain_changed() -> ApiError {
    ApiError::concurrent(
        "The organization's domains changed meanwhile (a domain was added, verified or removed); nothing changed. Reload and retry.",
    )
}

impl OrgItem {
    /// The entry of `domain`, as read.
    pub fn domain(&self, domain: &DomainName) -> Option<&OrgDomain> {
        self.domains.as_ref().and_then(|d| d.get(domain.as_str()))
    }

    /// Every domain, in order.
    pub fn domains_iter(&self) -> impl Iterator<Item = (&String, &OrgDomain)> {
        self.domains.iter().flatten()
    }

    /// A new domain, while the organization holds fewer than `max` (the count is a condition
    /// of this write, so parallel additions cannot pass the limit).
    pub fn domain_added(
        &self,
        tx: Tx,
        domain: &DomainName,
        entry: &OrgDomain,
        max: usize,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let (update, cond, expr) = match &self.domains {
            Some(_) => (
                "SET domains.#dom = :entry",
                format!(
                    "{active} AND attribute_not_exists(domains.#dom) AND size(domains) < :dmax"
                ),
                expr.name("#dom", domain.as_str())
                    .value(":entry", entry)
                    .value(":dmax", &max),
            ),
            // An organization from before domains: its first domain starts the map.
            None => (
                "SET domains = :domains",
                format!("{active} AND attribute_not_exists(domains)"),
                expr.value(
                    ":domains",
                    &BTreeMap::from([(domain.as_str().to_string(), entry.clone())]),
                ),
            ),
        };
        tx.update(self.key(), update, Some(&cond), expr, domain_changed())
    }

    /// The domain's new state (`verified` with its time, or `unverified`), conditional on the
    /// entry as read.
    pub fn domain_marked(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        status: DomainStatus,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let mut update = "SET domains.#dom.#dst = :dst, domains.#dom.version = :dv1".to_string();
        let mut expr = expr
            .name("#dom", domain.as_str())
            .name("#dst", "status")
            .value(":dst", &status)
            .value(":dv", &as_read.version)
            .value(":dv1", &(as_read.version + 1));
        if status == DomainStatus::Verified {
            // A domain verified (again) starts the re-check's count afresh.
            update.push_str(", domains.#dom.verifiedAt = :dat, domains.#dom.missingDays = :dzero");
            expr = expr.value(":dat", &now).value(":dzero", &0);
        }
        tx.update(
            self.key(),
            &update,
            Some(&format!("{active} AND domains.#dom.version = :dv")),
            expr,
            domain_changed(),
        )
    }

    /// The domain removed, conditional on the entry as read.
    pub fn domain_removed(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "REMOVE domains.#dom",
            Some(&format!("{active} AND domains.#dom.version = :dv")),
            expr.name("#dom", domain.as_str())
                .value(":dv", &as_read.version),
            domain_changed(),
        )
    }

    /// The domain's enrollment (`None`: manual), conditional on the entry as read.
    pub fn domain_enrollment_set(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        enrollment: Option<&Enrollment>,
    ) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let expr = expr
            .name("#dom", domain.as_str())
            .value(":dv", &as_read.version)
            .value(":dv1", &(as_read.version + 1));
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
        tx.update(
            self.key(),
            update,
            Some(&format!("{active} AND domains.#dom.version = :dv")),
            expr,
            domain_changed(),
        )
    }

    /// What the daily re-check saw (the day and the days in a row without the record), and the
    /// entry marked `unverified` when `unverify`; conditional on the entry as read. The
    /// organization need not be active: a closed one's domains are re-checked too.
    pub fn domain_rechecked(
        &self,
        tx: Tx,
        domain: &DomainName,
        as_read: &OrgDomain,
        day: &str,
        missing_days: u32,
        unverify: bool,
    ) -> Result<Tx, ApiError> {
        let mut update = "SET domains.#dom.checkedOn = :dday, domains.#dom.missingDays = :dmiss, domains.#dom.version = :dv1".to_string();
        let mut expr = Expr::new()
            .name("#dom", domain.as_str())
            .value(":dday", &day)
            .value(":dmiss", &missing_days)
            .value(":dv", &as_read.version)
            .value(":dv1", &(as_read.version + 1));
        if unverify {
            update.push_str(", domains.#dom.#dst = :dst");
            expr = expr
                .name("#dst", "status")
                .value(":dst", &DomainStatus::Unverified);
        }
        tx.update(
            self.key(),
            &update,
            Some("domains.#dom.version = :dv"),
            expr,
            domain_changed(),
        )
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
        tx.guard(
            self.key(),
            "domains.#gdom.version = :gdv",
            Expr::new()
                .name("#gdom", domain.as_str())
                .value(":gdv", &as_read.version),
            on_fail,
        )
    }
}
