//! Cold-start wiring shared by every binary: tracing, one `SdkConfig`, the clients, then run.

use crate::config::Config;
use crate::App;
pub use lambda_http::Error;
use lambda_http::{service_fn, Request};

/// Logs as `lambda_http`'s default subscriber does (stdout, no time, no target; JSON when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`; level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO),
/// with `RUST_LOG`'s per-target directives (`service=debug,aws_smithy_runtime=warn`) read by
/// `tracing-subscriber`'s `Targets` instead of `EnvFilter`, which links two regex engines (about
/// 250 KB of code and tables) for directive features a function does not use (span-field matching).
pub fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let filter = log_filter(&var);
    let logs = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE) // `filter` decides
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json {
        logs.json().finish().with(filter).try_init()
    } else {
        logs.finish().with(filter).try_init()
    };
}

fn log_filter(var: &dyn Fn(&str) -> Option<String>) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let filter = var("RUST_LOG")
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_default();
    match var("AWS_LAMBDA_LOG_LEVEL").and_then(|l| l.parse::<LevelFilter>().ok()) {
        Some(level) => filter.with_default(level),
        None if filter.default_level().is_none() => filter.with_default(LevelFilter::INFO),
        None => filter,
    }
}

#[cfg(test)]
mod log_levels {
    use super::log_filter;
    use tracing::Level;

    fn filter_of(vars: &[(&str, &str)]) -> tracing_subscriber::filter::Targets {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        log_filter(&move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn info_by_default_rust_log_directives_per_target_and_lambdas_level_first() {
        let none = filter_of(&[]);
        assert!(
            none.would_enable("service", &Level::INFO)
                && !none.would_enable("service", &Level::DEBUG)
        );
        let directives = filter_of(&[("RUST_LOG", "service=debug,aws_smithy_runtime=warn")]);
        assert!(directives.would_enable("service::store", &Level::DEBUG));
        assert!(!directives.would_enable("aws_smithy_runtime::client", &Level::INFO));
        assert!(
            directives.would_enable("lambda_runtime", &Level::INFO),
            "others keep INFO"
        );
        let lambda = filter_of(&[("RUST_LOG", "debug"), ("AWS_LAMBDA_LOG_LEVEL", "WARN")]);
        assert!(!lambda.would_enable("service", &Level::INFO));
        assert!(lambda.would_enable("service", &Level::WARN));
    }
}

/// Builds the app from the environment (one SdkConfig for every client).
pub async fn app_from_env(clients: Clients) -> Result<App, Error> {
    let config = Config::from_env().map_err(Error::from)?;
    let sdk = crate::aws::sdk_config()?;
    Ok(App::new(
        config,
        crate::metrics::dynamodb_client(&sdk),
        clients.ses.map(|make| make(&sdk)),
        clients.secrets.map(|make| make(&sdk)),
    ))
}

/// The clients a function builds besides DynamoDB's: each constructor is passed by the `main` of
/// the functions that use it, so the others never link that SDK's client.
#[derive(Default)]
pub struct Clients {
    pub ses: Option<SesClient>,
    pub secrets: Option<SecretsClient>,
}

/// Builds a Secrets Manager client; passed by the `main` of the functions that write secrets.
pub type SecretsClient = fn(&aws_types::SdkConfig) -> aws_sdk_secretsmanager::Client;

pub fn secrets_client(sdk: &aws_types::SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(sdk)
}

/// Builds an SES client; passed by the `main` of the functions that send email.
pub type SesClient = fn(&aws_types::SdkConfig) -> aws_sdk_ses::Client;

pub fn ses_client(sdk: &aws_types::SdkConfig) -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(sdk)
}

/// Serves one route of the route table as a Lambda function. The binary names the route's own
/// static (so it links that route's handler and not the others') and passes the SES and Secrets
/// Manager client constructors exactly when the route uses them.
pub async fn serve_route(
    route: &'static crate::routes::RouteDef,
    clients: Clients,
) -> Result<(), Error> {
    init_logging();
    if route.ses != clients.ses.is_some() || route.secrets.is_empty() == clients.secrets.is_some() {
        return Err(Error::from(format!(
            "{}: the route's `ses`/`secrets` and its main disagree; regenerate the binaries",
            route.function
        )));
    }
    let app = app_from_env(clients).await?;
    for key in route.server_keys() {
        if let Err(why) = app.config.check_server_key(key) {
            tracing::error!(function = route.function, "refusing to start: {why}");
            return Err(Error::from(why));
        }
    }
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Error>(crate::pipeline::handle(&app, route, req).await) }
    }))
    .await
}

/// Serves the Cognito post-confirmation trigger.
pub async fn serve_post_confirmation() -> Result<(), Error> {
    use aws_lambda_events::event::cognito::CognitoEventUserPoolsPostConfirmation;
    use lambda_runtime::LambdaEvent;
    init_logging();
    let app = app_from_env(Clients::default()).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<CognitoEventUserPoolsPostConfirmation>| {
            let app = app.clone();
            async move {
                crate::orgs::personal::on_post_confirmation(&app, event.payload)
                    .await
                    .map_err(Error::from)
            }
        },
    ))
    .await
}

/// The API's Lambda authorizer of the organization routes (`authorize-caller`, see
/// [`crate::authorizer`]): `JWT_ISSUER` and `JWT_AUDIENCE` as the JWT authorizer's; no table, no
/// other client. Its answer is API Gateway's simple response.
pub async fn serve_authorizer() -> Result<(), Error> {
    use lambda_runtime::LambdaEvent;
    init_logging();
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::from(format!("{name} is not set")))
    };
    let keys = std::sync::Arc::new(crate::authorizer::KeyCache::new(
        crate::authorizer::Issuer {
            issuer: var("JWT_ISSUER")?,
            audience: var("JWT_AUDIENCE")?,
        },
    ));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<serde_json::Value>| {
            let keys = keys.clone();
            async move {
                // Identity source `$request.header.Authorization`: API Gateway lower-cases headers.
                let authorization = event.payload["headers"]["authorization"].as_str();
                let now = chrono::Utc::now().timestamp();
                Ok::<_, Error>(keys.authorize(authorization, now).await)
            }
        },
    ))
    .await
}

/// When a scheduled run stops: `margin` (a quarter of the time left, if less) before the
/// invocation's deadline, for the last batch in flight. A runtime that gives no usable deadline
/// (`cargo lambda watch` sends one already past) gets `timeout`, the template's.
fn run_deadline(
    context: &lambda_runtime::Context,
    timeout: std::time::Duration,
    margin: std::time::Duration,
) -> std::time::Instant {
    let left = context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .ok()
        .filter(|left| !left.is_zero())
        .unwrap_or(timeout);
    std::time::Instant::now() + left.saturating_sub(margin.min(left / 4))
}

/// Serves a scheduled job: "now" is the schedule event's `time`, so a replayed event does what was
/// due then; the run stops at `run_deadline` and leaves the rest to the next run. The answer is
/// the run's report.
async fn serve_schedule<F, Fut, R>(
    clients: Clients,
    (timeout, margin): (std::time::Duration, std::time::Duration),
    run: F,
) -> Result<(), Error>
where
    F: Fn(App, crate::domain::Timestamp, std::time::Instant) -> Fut + Clone,
    Fut: std::future::Future<Output = crate::error::ApiResult<R>>,
    R: serde::Serialize,
{
    use crate::closure::purge::{now_of, ScheduleEvent};
    use lambda_runtime::LambdaEvent;
    init_logging();
    let app = app_from_env(clients).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<ScheduleEvent>| {
            let (app, run) = (app.clone(), run.clone());
            async move {
                let now = now_of(&event.payload).map_err(|e| Error::from(e.detail))?;
                let deadline = run_deadline(&event.context, timeout, margin);
                // Boxed: the job's future is deep, and its layout need not be the runtime's.
                Box::pin(run(app, now, deadline))
                    .await
                    .map_err(|e| Error::from(e.cause.unwrap_or(e.detail)))
            }
        },
    ))
    .await
}

/// Serves a stream worker: each batch of the table's stream goes to `handle`, whose answer names
/// the records to redeliver. `key`: the server key it needs (refuses to start without it).
async fn serve_stream<F, Fut>(
    clients: Clients,
    key: Option<crate::pipeline::ServerKey>,
    handle: F,
) -> Result<(), Error>
where
    F: Fn(App, aws_lambda_events::event::dynamodb::Event) -> Fut,
    Fut: std::future::Future<Output = aws_lambda_events::event::streams::DynamoDbEventResponse>,
{
    use lambda_runtime::LambdaEvent;
    init_logging();
    let app = app_from_env(clients).await?;
    if let Some(key) = key {
        if let Err(why) = app.config.check_server_key(key) {
            tracing::error!("refusing to start: {why}");
            return Err(Error::from(why));
        }
    }
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::dynamodb::Event>| {
            // Boxed: the worker's future is deep, and its layout need not be the runtime's.
            let handled = Box::pin(handle(app.clone(), event.payload));
            async move { Ok::<_, Error>(handled.await) }
        },
    ))
    .await
}

/// Serves the scheduled purge (hourly, 900 s): stops 15 s before its deadline.
pub async fn serve_purge() -> Result<(), Error> {
    let clients = Clients {
        secrets: Some(secrets_client),
        ses: Some(ses_client),
    };
    let limits = (
        std::time::Duration::from_secs(900),
        std::time::Duration::from_secs(15),
    );
    serve_schedule(clients, limits, |app, now, deadline| async move {
        crate::closure::purge::purge_due(&app, now, deadline).await
    })
    .await
}

/// Serves the webhook retries (every minute, 60 s): stops 10 s before its deadline.
pub async fn serve_webhook_retries() -> Result<(), Error> {
    let limits = (
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(10),
    );
    serve_schedule(
        Clients::default(),
        limits,
        |app, now, deadline| async move { crate::webhooks::retry::run(&app, now, deadline).await },
    )
    .await
}

/// Serves the notification emails on the table's stream.
pub async fn serve_notifications() -> Result<(), Error> {
    let clients = Clients {
        ses: Some(ses_client),
        ..Default::default()
    };
    serve_stream(clients, None, |app, batch| async move {
        crate::notifications::on_stream(&app, batch).await.0
    })
    .await
}

/// Serves the clean-up of team memberships on the table's stream.
pub async fn serve_removals() -> Result<(), Error> {
    serve_stream(Clients::default(), None, |app, batch| async move {
        crate::teams::cleanup::on_stream(&app, batch).await.0
    })
    .await
}

/// Serves the webhook deliveries on the table's stream (the signing secrets are derived with
/// the API key hash key).
pub async fn serve_webhook_deliveries() -> Result<(), Error> {
    let key = Some(crate::pipeline::ServerKey::ApiKeyHash);
    serve_stream(Clients::default(), key, |app, batch| async move {
        crate::webhooks::deliver::on_stream(&app, batch).await.0
    })
    .await
}

/// Serves the event publisher on the table's stream.
pub async fn serve_event_publisher() -> Result<(), Error> {
    use aws_lambda_events::event::dynamodb::Event;
    use lambda_runtime::LambdaEvent;
    init_logging();
    let config = Config::from_env().map_err(Error::from)?;
    let sdk = crate::aws::sdk_config()?;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = config.event_bus_name.clone();
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<Event>| {
        let (events, bus) = (events.clone(), bus.clone());
        async move { Ok::<_, Error>(crate::events::publish(&events, &bus, event.payload).await) }
    }))
    .await
}
