//! The organizations service's domain crate: generic layers (validated values, errors, the
//! permission model, the request pipeline, the single-table store) and one folder per concept.
//! Each Lambda binary in `functions/` wires one route from here.

// Generic layers: they know no concept.
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod permissions;
pub mod pipeline;
pub mod store;

// One folder per concept: its items, store operations, handlers, views and routes.
pub mod access;
pub mod audit;
pub mod email;
pub mod events;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod subscription;

// The index of every function, and the cold-start wiring of the binaries.
pub mod routes;
pub mod runtime;

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
