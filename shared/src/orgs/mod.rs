//! Organizations: their items, creation (with the personal organization), reading and updating.

pub mod handlers;
pub mod personal;
pub mod routes;
pub mod views;

pub use model::orgs as item;
pub use model::orgs::settings;
