//! Signed webhooks: every event delivered to the organization's own endpoints, signed as the
//! Standard Webhooks specification says. `handlers.rs`: the endpoint routes (create, list, change,
//! delete, rotate the secret, test, the delivery log, resend); `deliver.rs`: the stream function
//! that turns each committed audit entry into a message per endpoint and sends every new attempt;
//! `retry.rs`: the scheduled function that claims the retries due and disables endpoints failing
//! for 5 days; `send.rs`: one attempt over the network, refusing non-public addresses;
//! `secret.rs`: signing secrets (derived, never stored) and signatures.

pub mod deliver;
pub mod handlers;
pub mod retry;
pub mod routes;
pub mod secret;
pub mod send;
pub mod views;

pub use model::webhooks as item;
