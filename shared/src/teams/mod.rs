//! Teams: named groups of members that project grants can name. Guests are never on teams.

pub mod cleanup;
pub mod handlers;
pub mod item;
pub mod routes;
pub mod views;
