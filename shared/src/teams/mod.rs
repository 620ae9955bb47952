//! Teams: named groups of members that project grants can name. Guests are never on teams.

pub mod cleanup;
pub mod handlers;
pub mod routes;
pub mod views;

pub use model::teams as item;
