//! Policies on the organization item: authentication (second factor, allowed email domains),
//! invite policy, notifications, cleanup and the default storage.

use super::OrgItem;
use crate::domain::Timestamp;
use crate::error::{ApiError, Code};
use crate::orgs::settings::InvitePolicy;
use crate::store::{Entity, Expr, Tx};
use std::collections::BTreeSet;

impl OrgItem {
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

    /// A decision made for an API key holds only while the organization lets keys call the API.
    pub fn guard_keys_may_call(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "#g_settings.#g_keys_call = :g_true",
            Expr::new()
                .value(":g_true", &true)
                .name("#g_settings", "settings")
                .name("#g_keys_call", "apiKeysMayCallApi"),
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
}
