//! Organization settings kept as typed, validated sections, each read and replaced on its own
//! route (`/orgs/{orgId}/settings/<section>`), each change audited and evented. Today: the cleanup
//! policy (the default storage for backups is the integrations' own section).

pub mod cleanup;
pub mod handlers;
pub mod routes;
