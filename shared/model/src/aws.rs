//! The AWS SDK set-up of every function, from the Lambda environment alone.
//!
//! `aws-config` is not linked: its default chains (profile files, SSO, STS web identity, ECS and
//! IMDS credentials, and the STS/SSO clients they need) are code a Lambda function never runs but
//! pays for in size, and its default HTTPS client parses every root certificate of the system on
//! the cold-start path. What it gives a Lambda function is kept here: region and credentials from
//! the environment the Lambda service sets, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`
//! (so local runs need no local-only code path), standard retries (`AWS_MAX_ATTEMPTS`), the SDK's
//! connect timeout, and TLS that verifies every server.

use crate::error::ApiError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, Credentials, IdentityCache, Region, SharedAsyncSleep,
    SharedCredentialsProvider, SharedHttpClient,
};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use aws_types::SdkConfig;
use std::time::Duration;

/// The connect timeout `aws-config` sets by default.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// How long one attempt of a call may take before the SDK gives up on it and retries (a hung
/// connection must not eat the function's whole timeout: 3 attempts of 2 s and their backoff fit
/// in the template's 10 s). `AWS_ATTEMPT_TIMEOUT_MS` overrides it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2000);

/// The roots of Amazon Trust Services, which issue the certificates of every AWS endpoint.
const AMAZON_TRUST_ROOTS: &str = include_str!("amazon-trust-roots.pem");

/// The one `SdkConfig` of a function. Fails with a message naming the variable when the
/// environment lacks the region or the credentials (Lambda always sets both).
pub fn sdk_config() -> Result<SdkConfig, String> {
    sdk_config_from(&|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

/// The configuration from the variables `env` answers (the tests' local set-ups use it).
pub fn sdk_config_from(env: &dyn Fn(&str) -> Option<String>) -> Result<SdkConfig, String> {
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .ok_or("AWS_REGION is not set (the Lambda service sets it; set it for a local run)")?;
    let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) else {
        return Err(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda service \
                    sets them from the function's role; set them for a local run)"
                .into(),
        );
    };
    let credentials = Credentials::new(key, secret, env("AWS_SESSION_TOKEN"), None, "Environment");
    let retry = match env("AWS_MAX_ATTEMPTS") {
        None => RetryConfig::standard(),
        Some(n) => match n.parse::<u32>() {
            Ok(n) if n > 0 => RetryConfig::standard().with_max_attempts(n),
            _ => {
                return Err(format!(
                    "AWS_MAX_ATTEMPTS={n}: expected a whole number above 0"
                ))
            }
        },
    };
    let attempt_timeout = match env("AWS_ATTEMPT_TIMEOUT_MS") {
        None => ATTEMPT_TIMEOUT,
        Some(ms) => match ms.parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                return Err(format!(
                    "AWS_ATTEMPT_TIMEOUT_MS={ms}: expected a whole number of milliseconds above 0"
                ))
            }
        },
    };
    let endpoints = EndpointUrls::from_env(env);
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .identity_cache(IdentityCache::lazy().build())
        .http_client(http_client(env("TLS_ROOTS").as_deref())?)
        .retry_config(retry)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(attempt_timeout)
                .build(),
        )
        .sleep_impl(SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ));
    builder.set_endpoint_url(endpoints.all.clone());
    Ok(builder.service_config(endpoints).build())
}

/// Whether a failed AWS call may succeed when retried: a timeout, a connection that failed or
/// broke, an unreadable response, throttling, or a server-side error (5xx). Anything else (a
/// request we built wrong, a resource that is not there) will fail again the same way.
pub fn is_transient<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(s) => {
            s.raw().status().is_server_error() || s.err().code().is_some_and(is_throttling_code)
        }
        _ => false,
    }
}

/// The error codes AWS services answer when a caller is throttled (the SDK's own list).
fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "TransactionInProgressException"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded"
            | "LimitExceededException"
            | "RequestThrottled"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "EC2ThrottledException"
    )
}

/// The answer for a failed AWS call: 503 with `Retry-After` when a retry can succeed, else our
/// own fault (500). The cause (logged, never answered) names the operation and the error's code.
pub fn failure<E: ProvideErrorMetadata>(
    operation: &str,
    e: &SdkError<E, HttpResponse>,
) -> ApiError {
    let code = match e {
        SdkError::ServiceError(s) => s.err().code().unwrap_or("unknown").to_string(),
        SdkError::TimeoutError(_) => "timeout".into(),
        SdkError::DispatchFailure(_) => "dispatch failure".into(),
        SdkError::ResponseError(_) => "unreadable response".into(),
        _ => "request not built".into(),
    };
    let cause = format!("{operation} failed: {code}");
    if is_transient(e) {
        ApiError::unavailable(cause)
    } else {
        ApiError::internal(cause)
    }
}

/// The endpoint URLs from the environment, as `aws-config` reads them: `AWS_ENDPOINT_URL_<SERVICE>`
/// (the service id upper-cased, spaces as `_`: `DYNAMODB`, `SES`, `EVENTBRIDGE`,
/// `SECRETS_MANAGER`), else `AWS_ENDPOINT_URL`; none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
#[derive(Debug, Default)]
struct EndpointUrls {
    all: Option<String>,
    per_service: Vec<(String, String)>,
}

impl EndpointUrls {
    const SERVICES: [&'static str; 4] = ["DynamoDB", "SES", "EventBridge", "Secrets Manager"];

    fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        if env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Self::default();
        }
        let per_service = Self::SERVICES
            .iter()
            .filter_map(|id| {
                let var = format!("AWS_ENDPOINT_URL_{}", id.to_uppercase().replace(' ', "_"));
                env(&var).map(|url| (id.to_string(), url))
            })
            .collect();
        Self {
            all: env("AWS_ENDPOINT_URL"),
            per_service,
        }
    }
}

impl LoadServiceConfig for EndpointUrls {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        self.per_service
            .iter()
            .find(|(id, _)| id == key.service_id())
            .map(|(_, url)| url.clone())
            .or_else(|| self.all.clone())
    }
}

/// The HTTPS client of every AWS client: rustls with the `ring` provider, verifying servers
/// against Amazon Trust Services' roots only (five compiled-in roots instead of parsing the
/// system's few hundred on the cold-start path). `TLS_ROOTS=system` trusts the system's roots
/// instead, for an endpoint behind a private CA.
pub fn http_client(roots: Option<&str>) -> Result<SharedHttpClient, String> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let trust_store = match roots {
        None | Some("amazon") => TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS),
        Some("system") => TrustStore::default(),
        Some(other) => return Err(format!("TLS_ROOTS={other}: expected amazon or system")),
    };
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .map_err(|e| format!("TLS set-up: {e}"))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_of(vars: &[(&str, &str)]) -> Result<SdkConfig, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        sdk_config_from(&move |name| vars.get(name).cloned())
    }

    const LAMBDA: [(&str, &str); 4] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        LAMBDA.iter().chain(extra).copied().collect()
    }

    #[tokio::test]
    async fn region_credentials_retries_and_timeout_come_from_the_lambda_environment() {
        let sdk = config_of(&LAMBDA).unwrap();
        let dynamodb = aws_sdk_dynamodb::Config::from(&sdk);
        assert_eq!(dynamodb.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(
            sdk.endpoint_url(),
            None,
            "no endpoint URL: the SDK resolves AWS's"
        );
        assert_eq!(dynamodb.retry_config().unwrap().max_attempts(), 3);
        assert_eq!(
            dynamodb.timeout_config().unwrap().connect_timeout(),
            Some(CONNECT_TIMEOUT)
        );
        assert_eq!(
            dynamodb
                .timeout_config()
                .unwrap()
                .operation_attempt_timeout(),
            Some(ATTEMPT_TIMEOUT)
        );
        use aws_sdk_dynamodb::config::ProvideCredentials;
        let credentials = sdk
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.session_token(), Some("token"));
        let sdk = config_of(&with(&[("AWS_MAX_ATTEMPTS", "5")])).unwrap();
        assert_eq!(sdk.retry_config().unwrap().max_attempts(), 5);
    }

    #[test]
    fn endpoint_urls_per_service_then_global_as_aws_config_reads_them() {
        let sdk = config_of(&with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:3"),
        ]))
        .unwrap();
        // What each client's `From<&SdkConfig>` asks (service ids as the generated clients spell them).
        let url = |sdk: &SdkConfig, service: &str| {
            let key = ServiceConfigKey::builder()
                .service_id(service)
                .env("AWS_ENDPOINT_URL")
                .profile("endpoint_url")
                .build()
                .unwrap();
            sdk.service_config()
                .and_then(|c| c.load_config(key))
                .or_else(|| sdk.endpoint_url().map(str::to_string))
        };
        assert_eq!(url(&sdk, "DynamoDB").as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(
            url(&sdk, "Secrets Manager").as_deref(),
            Some("http://127.0.0.1:3")
        );
        assert_eq!(url(&sdk, "SES").as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(
            url(&sdk, "EventBridge").as_deref(),
            Some("http://127.0.0.1:1")
        );
        let ignored = config_of(&with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]))
        .unwrap();
        assert_eq!(url(&ignored, "DynamoDB"), None);
    }

    #[test]
    fn a_missing_region_or_credentials_or_a_bad_setting_names_the_variable() {
        let without = |name: &str| -> Vec<(&str, &str)> {
            LAMBDA.iter().filter(|(k, _)| *k != name).copied().collect()
        };
        assert!(config_of(&without("AWS_REGION"))
            .unwrap_err()
            .contains("AWS_REGION"));
        assert!(config_of(&without("AWS_SECRET_ACCESS_KEY"))
            .unwrap_err()
            .contains("AWS_SECRET_ACCESS_KEY"));
        assert!(config_of(&with(&[("AWS_MAX_ATTEMPTS", "0")]))
            .unwrap_err()
            .contains("AWS_MAX_ATTEMPTS"));
        assert!(config_of(&with(&[("AWS_ATTEMPT_TIMEOUT_MS", "soon")]))
            .unwrap_err()
            .contains("AWS_ATTEMPT_TIMEOUT_MS"));
        assert!(config_of(&with(&[("TLS_ROOTS", "none")]))
            .unwrap_err()
            .contains("TLS_ROOTS"));
    }

    #[test]
    fn the_trust_store_is_the_five_amazon_trust_services_roots() {
        let blocks = AMAZON_TRUST_ROOTS
            .matches("-----BEGIN CERTIFICATE-----")
            .count();
        assert_eq!(blocks, 5);
        assert_eq!(
            AMAZON_TRUST_ROOTS
                .matches("-----END CERTIFICATE-----")
                .count(),
            5
        );
    }
}
