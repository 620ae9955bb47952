//! Directory sync: an organization's identity provider (Okta, Entra ID, Google through a
//! connector) provisions people and groups over SCIM 2.0. `tokens.rs`: the routes of the tokens
//! it calls with; `scim/`: the SCIM service provider at `/orgs/{orgId}/scim/v2` (one function
//! behind `ANY /orgs/{orgId}/scim/v2/{proxy+}`: a protocol endpoint with its own access step,
//! media type and error format); `link.rs`: provisioned people becoming members.

pub mod link;
pub mod routes;
pub mod scim;
pub mod tokens;
pub mod views;

pub use model::directory as item;
