//! Organizations: their items, creation (with the personal organization), reading and updating.

pub mod handlers;
pub mod item;
pub mod personal;
pub mod routes;
pub mod settings;
pub mod views;
