//! Organization API keys: machine principals of an organization. A key is a member-like
//! principal with a role (and optionally projects), checked on every use exactly like a member
//! (`POST /api-keys/verify`, for the platform's other services), never stored (only its HMAC
//! under `API_KEY_HASH_KEY`), and gone the moment it is revoked. Keys take no member seats.

pub mod handlers;
pub mod routes;
pub mod verify;
pub mod views;

pub use model::api_keys as item;
/// The format of the keys (and SCIM tokens): a layer of the model, since the pipeline reads a
/// presented key too.
pub use model::credentials as secret;
