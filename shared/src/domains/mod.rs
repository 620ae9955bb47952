//! Verified domains: an organization proves it controls a domain with a DNS TXT record, so that
//! people with a verified email there can join it without an invitation (issue 24). This stop
//! holds what the routes will stand on: the claimable domain and its record (`name`), and the
//! lookup (`crate::dns`). The routes, the uniqueness item and the enrollment modes follow.

pub mod entry;
pub mod item;
pub mod name;
