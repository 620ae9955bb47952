//! The audit log: every change's entry, appended in the change's own transaction; read newest
//! first, month partition by month partition.

pub mod handlers;
pub mod routes;
pub mod views;

pub use model::audit as item;

pub use item::{ActorKind, AuditEntry, AuditItem, Audited};
