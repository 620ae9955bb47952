//! Fault injection between the functions and every AWS service they call (DynamoDB Local, moto's
//! Secrets Manager and EventBridge, the SES emulator): an HTTP client that wraps the functions'
//! own and, inside [`Faults::scope`], answers a chosen call with a fault instead of forwarding it.
//!
//! A "call" is one SDK operation (all its attempts share the SDK's `amz-sdk-invocation-id`), so
//! "the route's 2nd call" means the same thing whether the SDK retries it or not. Outside a
//! scope (fixtures, checks) every request passes through untouched.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What is injected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The service's own throttling error (DynamoDB `ProvisionedThroughputExceededException`,
    /// `ThrottlingException` elsewhere, SES `Throttling`).
    Throttle,
    /// A 500 with the service's internal-error code.
    ServerError,
    /// The connection breaks before an answer.
    Reset,
    /// No answer for this long (past the SDK's attempt timeout: the request is lost, not sent).
    Hang(Duration),
    /// The request is sent after this long (a slow network, a frozen instance): not a failure.
    Slow(Duration),
    /// The request is forwarded (the service does it) and its answer lost: the connection breaks
    /// after the service answered (a commit whose answer never reached the function).
    Lost,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Throttle => f.write_str("throttle"),
            Fault::ServerError => f.write_str("500"),
            Fault::Reset => f.write_str("reset"),
            Fault::Hang(d) => write!(f, "hang {}ms", d.as_millis()),
            Fault::Slow(d) => write!(f, "slow {}ms", d.as_millis()),
            Fault::Lost => f.write_str("answer lost"),
        }
    }
}

/// Which call gets the fault, and on which of its attempts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Only calls of this operation count (`TransactWriteItems`, `UpdateSecretVersionStage`, ...);
    /// `None`: every call counts.
    pub operation: Option<&'static str>,
    /// The index (from 0) of the call, among those that count; `usize::MAX`: every one of them.
    pub call: usize,
    pub fault: Fault,
    /// Every attempt of that call (the SDK's retries fail too); else the first attempt only.
    pub every_attempt: bool,
}

/// One call as the injector saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub service: &'static str,
    pub operation: String,
    pub attempts: u32,
    pub faulted: bool,
}

#[derive(Debug, Default)]
struct Scope {
    plan: Option<Plan>,
    /// Invocation ids, in the order their first attempt was seen, with the call's record.
    calls: Vec<(String, Call)>,
}

tokio::task_local! {
    static SCOPE: Arc<Mutex<Scope>>;
}

/// The injector; one per test app, wrapping the HTTP client of all its AWS clients.
#[derive(Debug, Clone)]
pub struct Faults {
    inner: SharedHttpClient,
}

impl Faults {
    pub fn wrap(inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(Faults { inner })
    }

    /// Whether the current task runs inside a scope.
    pub fn active() -> bool {
        SCOPE.try_with(|_| ()).is_ok()
    }

    /// Runs `fut` with `plan` armed (`None`: only record the calls); returns its output and the
    /// calls it made, in order.
    pub async fn scope<F: std::future::Future>(
        plan: Option<Plan>,
        fut: F,
    ) -> (F::Output, Vec<Call>) {
        let state = Arc::new(Mutex::new(Scope {
            plan,
            calls: Vec::new(),
        }));
        let out = SCOPE.scope(state.clone(), fut).await;
        let calls = state
            .lock()
            .unwrap()
            .calls
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        (out, calls)
    }
}

impl HttpClient for Faults {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
}

/// The service and operation of a request: the JSON protocols name them in `X-Amz-Target`
/// (`DynamoDB_20120810.GetItem`, `secretsmanager.PutSecretValue`, `AWSEvents.PutEvents`), SES's
/// query protocol in the form body (`Action=SendEmail`).
fn identify(request: &HttpRequest) -> (&'static str, String) {
    if let Some(target) = request.headers().get("x-amz-target") {
        let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
        let service = match prefix {
            p if p.starts_with("DynamoDB") => "dynamodb",
            "secretsmanager" => "secretsmanager",
            "AWSEvents" => "eventbridge",
            _ => "other",
        };
        return (service, op.to_string());
    }
    let body = request
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let action = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("unknown")
        .to_string();
    ("ses", action)
}

fn respond(service: &str, fault: Fault) -> Result<HttpResponse, ConnectorError> {
    let (status, body, content_type) = match (service, fault) {
        ("ses", Fault::Throttle) => (
            400,
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>injected</RequestId></ErrorResponse>".to_string(),
            "text/xml",
        ),
        ("ses", _) => (
            500,
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>injected</Message></Error><RequestId>injected</RequestId></ErrorResponse>".to_string(),
            "text/xml",
        ),
        ("dynamodb", Fault::Throttle) => (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected"}"#.to_string(),
            "application/x-amz-json-1.0",
        ),
        ("dynamodb", _) => (
            500,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}"#.to_string(),
            "application/x-amz-json-1.0",
        ),
        (_, Fault::Throttle) => (
            400,
            r#"{"__type":"ThrottlingException","message":"injected"}"#.to_string(),
            "application/x-amz-json-1.1",
        ),
        (_, _) => (
            500,
            r#"{"__type":"InternalServiceError","message":"injected"}"#.to_string(),
            "application/x-amz-json-1.1",
        ),
    };
    let mut response = HttpResponse::new(status.try_into().expect("a status"), SdkBody::from(body));
    response.headers_mut().insert("content-type", content_type);
    response
        .headers_mut()
        .insert("x-amzn-requestid", "injected");
    Ok(response)
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let decided = SCOPE.try_with(|state| {
            let (service, operation) = identify(&request);
            let invocation = request
                .headers()
                .get("amz-sdk-invocation-id")
                .unwrap_or("")
                .to_string();
            let mut s = state.lock().unwrap();
            let index = match s
                .calls
                .iter()
                .position(|(id, _)| *id == invocation && !id.is_empty())
            {
                Some(i) => {
                    s.calls[i].1.attempts += 1;
                    i
                }
                None => {
                    s.calls.push((
                        invocation,
                        Call {
                            service,
                            operation: operation.clone(),
                            attempts: 1,
                            faulted: false,
                        },
                    ));
                    s.calls.len() - 1
                }
            };
            let plan = s.plan.clone()?;
            // The call's place among the calls that count.
            let counted = s.calls[..=index]
                .iter()
                .filter(|(_, c)| plan.operation.is_none_or(|op| c.operation == op))
                .count();
            let matches = plan.operation.is_none_or(|op| operation == op)
                && (plan.call == usize::MAX || counted == plan.call + 1);
            let attempt = s.calls[index].1.attempts;
            if matches && (plan.every_attempt || attempt == 1) {
                s.calls[index].1.faulted = true;
                Some((service, plan.fault))
            } else {
                None
            }
        });
        let inner = self.inner.clone();
        match decided.ok().flatten() {
            None => inner.call(request),
            Some((_, Fault::Reset)) => HttpConnectorFuture::ready(Err(ConnectorError::io(
                "connection reset by peer (injected)".into(),
            ))),
            Some((_, Fault::Hang(d))) => HttpConnectorFuture::new(async move {
                tokio::time::sleep(d).await;
                Err(ConnectorError::io("no answer (injected)".into()))
            }),
            Some((_, Fault::Slow(d))) => HttpConnectorFuture::new(async move {
                tokio::time::sleep(d).await;
                inner.call(request).await
            }),
            Some((_, Fault::Lost)) => HttpConnectorFuture::new(async move {
                let _answered = inner.call(request).await;
                Err(ConnectorError::io(
                    "connection reset after the answer (injected)".into(),
                ))
            }),
            Some((service, fault)) => HttpConnectorFuture::ready(respond(service, fault)),
        }
    }
}

/// One attempt's timeout in a faulty app: a [`Fault::Hang`] longer than this is a timeout.
pub const FAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(3000);

/// The SDK configuration of a faulty app's clients: the functions' own settings
/// (`service::aws::sdk_config`: standard retries, 3 attempts) with the injector around their HTTP
/// client, a short attempt timeout, a short backoff and the local endpoint.
pub fn faulty_config(endpoint: &str) -> aws_config::SdkConfig {
    let inner = service::aws::http_client(None).expect("the functions' HTTP client");
    let base = service::aws::sdk_config_from(&|name| match name {
        "AWS_REGION" => Some("us-east-1".into()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("local".into()),
        "AWS_ENDPOINT_URL" => Some(endpoint.to_string()),
        "AWS_ATTEMPT_TIMEOUT_MS" => Some(FAULT_ATTEMPT_TIMEOUT.as_millis().to_string()),
        _ => None,
    })
    .expect("a local SDK configuration");
    // The functions' 3 attempts, with a short backoff so a run of hundreds of faults stays quick.
    let retries = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(20));
    base.into_builder()
        .http_client(Faults::wrap(inner))
        .retry_config(retries)
        .build()
}
