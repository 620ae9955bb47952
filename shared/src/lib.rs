//! The organizations service: the request pipeline (identity, the access context, the
//! organization's state, the reply), each concept's handlers, views and routes, the route table,
//! and the runtime the Lambda binaries in `functions/` start. Values, errors, permissions, the
//! store and the items with their writes are the model crate's (`shared/model/`), re-exported here
//! under the names the concepts use; the model cannot import from this crate.

// The model's generic layers, under the names every concept uses.
pub use model::{
    aws, body, catalogue, credentials, domain, error, idempotency, json, limits, permissions, store,
};

// Generic layers of the service: they know no concept.
pub mod auth;
pub mod authorizer;
pub mod config;
pub mod dns;
pub mod metrics;
pub mod pipeline;

// One folder per concept: its handlers, views and routes (its item is the model's, re-exported
// as `item`).
pub mod access;
pub mod api_keys;
pub mod audit;
pub mod closure;
pub mod directory;
pub mod domains;
pub mod email;
pub mod events;
pub mod integrations;
pub mod invitations;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod projects;
pub mod roles;
pub mod settings;
pub mod subscription;
pub mod teams;
pub mod webhooks;

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
    /// Only the functions that write integration secrets have one.
    pub secrets: Option<aws_sdk_secretsmanager::Client>,
    /// Where the request lines and job reports (embedded metric documents) go: stdout, or a
    /// list in tests.
    pub log: metrics::LogSink,
    /// The request's `Idempotency-Key`, on a write that sent one: [`App::commit`] records the
    /// answer in the change's transaction.
    pub idempotent: Option<Arc<pipeline::idempotency::Pending>>,
}

impl App {
    pub fn new(
        config: Config,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: Option<aws_sdk_ses::Client>,
        secrets: Option<aws_sdk_secretsmanager::Client>,
    ) -> Self {
        let store = Store::new(dynamodb, config.table_name.clone());
        Self {
            config: Arc::new(config),
            store,
            ses,
            secrets,
            log: metrics::LogSink::Stdout,
            idempotent: None,
        }
    }

    /// Commits a change and answers `reply`: every write route's last step. Under an
    /// `Idempotency-Key`, the answer's record rides in the same transaction, so the change and
    /// the answer to replay are written together or not at all.
    pub async fn commit(
        &self,
        tx: store::Tx,
        reply: pipeline::Reply,
    ) -> error::ApiResult<pipeline::Reply> {
        let tx = match &self.idempotent {
            Some(pending) => pending.record(tx, &reply)?,
            None => tx,
        };
        self.store.commit(tx).await?;
        Ok(reply)
    }
}

#[cfg(test)]
mod house;
