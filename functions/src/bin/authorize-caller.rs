// Generated from shared/src/routes.rs. The handler lives in the service crate (shared/).
use service::runtime;

// One event at a time per instance: a single-threaded runtime starts no worker threads.
#[rustfmt::skip]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), runtime::Error> {
    runtime::serve_authorizer().await
}
