//! Every integration test, one binary (the AWS SDKs link once): a module per concept, against
//! DynamoDB Local, the SES emulator and moto started by `scripts/test.sh`.

mod access;
mod api_keys;
mod audit;
mod authorization;
mod catalogue;
mod closure;
mod directory;
mod dns;
mod domains;
mod events;
mod fault_run;
mod faults;
mod grants;
mod idempotency;
mod integrations;
mod invitations;
mod machines;
mod members;
mod orgs;
mod projects;
mod roles;
mod route_table;
mod settings;
mod subscription;
mod teams;
mod tls;
mod webhooks;
