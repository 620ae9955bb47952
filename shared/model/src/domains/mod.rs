//! Verified domains as the model holds them:
//! - `name`: the claimable domain (never a public or disposable provider's) and its record.
//! - `entry`: a domain as the organization item holds it, with its enrollment.
//! - `item`: the uniqueness item of a verified domain (one organization at a time).
//! - `request`: a membership request, and the daily limit of requests per person.
//! - `block`: who an admin removed or rejected, kept out of the automatic paths until invited.

pub mod block;
pub mod entry;
pub mod item;
pub mod name;
pub mod request;
