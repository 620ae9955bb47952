//! Test support, split by job: the emulators, DynamoDB Local (client, request counter, a table
//! per test from the template), the in-process client, and fixtures that use the concepts' own
//! writes. The integration tests are ONE binary (`tests/tests/api/`), so the SDKs link once.

pub mod client;
pub use devtool::dns;
pub mod dynamodb;
pub mod emulators;
pub mod faults;
pub mod fixtures;
pub mod generate;
pub mod receiver;
pub mod stream;

pub use client::{token_for, token_valid_for, Answer, AsUser, TestApp, User, JWT_SECRET};
pub use dynamodb::{
    create_table_from_template, dynamodb_client, dynamodb_endpoint, table_definition,
    RequestCounter, TxItem,
};
pub use emulators::{
    emails_at, emails_to, emulator_config, events_endpoint, moto_json, secrets_client, ses_client,
    ses_endpoint, OwnSesEmulator,
};
pub use fixtures::OrgFixture;
pub use receiver::Receiver;
pub use stream::{
    finish_removals, latest_stream_event, run_webhooks, run_webhooks_latest, stream_batch_of,
    stream_event_of,
};

pub use devtool::repo_root;
