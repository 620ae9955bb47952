//! Verified domains: an organization proves it controls an email domain with a DNS TXT record,
//! so that people with a verified email there can join it without an invitation.
//! - `handlers`, `routes`: add, list, verify, set the enrollment, remove.
//! - `enroll`, `join`: the automatic invitation and the membership requests, joining in one
//!   transaction with the same rules as an invitation's accept.
//! - `recheck`: the daily re-check the hourly job runs.
//! - From the model (`model::domains`, re-exported): `name` (the claimable domain and its record),
//!   `entry` (a domain as the organization item holds it), `item` (the uniqueness item of a
//!   verified domain), `request` (a membership request), `block` (who an admin removed or rejected,
//!   kept out of the automatic paths until invited).
//!
//! The lookup itself is `crate::dns`.

pub mod enroll;
pub mod handlers;
pub mod join;
pub mod recheck;
pub mod routes;
pub mod views;

pub use model::domains::{block, entry, item, name, request};
