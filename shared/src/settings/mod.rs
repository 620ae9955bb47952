//! Organization settings kept as typed, validated sections, each read and replaced on its own
//! route (`/orgs/{orgId}/settings/<section>`), each change audited and evented: the
//! authentication policy, notification preferences and the cleanup policy (the default storage
//! for backups is the integrations' own section; the invite policy stays in `PATCH /orgs/{orgId}`).

pub mod handlers;
pub mod routes;

pub use model::settings::{authentication, changed_keys, cleanup, notifications};
