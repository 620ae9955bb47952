//! Projects and project access: a project's grants to teams and users add project roles to the
//! organization role (effective permissions = the union); guests see only what is granted to them.

pub mod handlers;
pub mod routes;
pub mod views;

pub use model::projects as item;
