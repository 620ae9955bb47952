// Generated from shared/src/routes.rs. The handler lives in the shared crate.
use shared::runtime;

#[rustfmt::skip]
#[tokio::main]
async fn main() -> Result<(), runtime::Error> {
    runtime::serve_route(&shared::routes::PUT_AUTHENTICATION_POLICY, runtime::Clients::default()).await
}
