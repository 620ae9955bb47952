//! The organizations service's domain crate: types, rules, the permission model, the single-table
//! store and the HTTP pipeline. Each Lambda binary in `functions/` wires one route from here.

pub mod access;
pub mod audit;
pub mod auth;
pub mod config;
pub mod domain;
pub mod email;
pub mod error;
pub mod events;
pub mod http;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod permissions;
pub mod personal;
pub mod routes;
pub mod runtime;
pub mod store;
pub mod subscription;

use config::Config;
use std::sync::Arc;
use store::Store;

/// What every handler shares: configuration and clients, built once at cold start.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    /// Only the functions that send email have one (it keeps the SES client out of the others).
    pub ses: Option<aws_sdk_ses::Client>,
}

impl App {
    pub fn new(
        config: Config,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: Option<aws_sdk_ses::Client>,
    ) -> Self {
        let store = Store::new(dynamodb, config.table_name.clone());
        Self {
            config: Arc::new(config),
            store,
            ses,
        }
    }
}
