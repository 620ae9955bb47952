//! One module per command group (as cargo's own CLI lays out its commands): each defines its
//! arguments and runs them.

pub(crate) mod access;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod domains;
pub(crate) mod integrations;
pub(crate) mod invitations;
pub(crate) mod members;
pub(crate) mod orgs;
pub(crate) mod projects;
pub(crate) mod raw;
pub(crate) mod roles;
pub(crate) mod scim;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod teams;
pub(crate) mod web_login;
pub(crate) mod webhooks;
