//! Organizations: creation (with the personal organization), reading and updating. Their items
//! and writes are the model's (`model::orgs`, re-exported here as `item`).

pub mod handlers;
pub mod personal;
pub mod routes;
pub mod views;

pub use model::orgs as item;
pub use model::orgs::settings;
