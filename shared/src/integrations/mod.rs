//! Integrations: the organization's connections to cloud accounts, DNS and storage providers, git
//! and addon repositories. Metadata in the table; the credential in AWS Secrets Manager, written
//! once and never shown again.

pub mod handlers;
pub mod routes;
pub mod secret;
pub mod sweep;
pub mod views;

pub use model::integrations::{catalog, item};
