//! Integrations: the organization's connections to cloud accounts, DNS and storage providers, git
//! and addon repositories. Metadata in the table; the credential in AWS Secrets Manager, written
//! once and never shown again.
//! The model's part: the catalogue of kinds and providers with their validated configuration
//! (`catalog`), and the integration's item (`item`).

pub mod catalog;
pub mod item;
