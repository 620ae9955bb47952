//! The end of an organization's life: what closing affects, closing with the typed name (30 days
//! read-only), reactivation during grace, and the scheduled purge that scrubs credentials and
//! deletes everything but a tombstone.

pub mod handlers;
pub mod purge;
pub mod reminders;
pub mod routes;
pub mod views;

/// How long a closed organization stays read-only before the purge.
pub fn grace_period() -> chrono::Duration {
    chrono::Duration::days(30)
}
