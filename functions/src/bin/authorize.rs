// Generated from shared/src/routes.rs. The handler lives in the shared crate.
#[tokio::main]
async fn main() -> Result<(), shared::runtime::Error> {
    shared::runtime::serve_route(&shared::routes::AUTHORIZE).await
}
