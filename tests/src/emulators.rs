//! The emulators the tests talk to besides DynamoDB Local: the SES emulator (invitation emails)
//! and moto (EventBridge, SQS). The test command starts them and sets their endpoints.

use serde_json::Value;

/// SDK configuration for a local emulator: fixed credentials, us-east-1, one attempt per call
/// (so a stopped emulator fails at once).
pub async fn emulator_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .http_client(service::aws::http_client(None).expect("the functions' HTTP client"))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// The SES emulator's endpoint, from `SES_ENDPOINT` (the test command starts it and sets it).
pub fn ses_endpoint() -> String {
    std::env::var("SES_ENDPOINT").unwrap_or_else(|_| panic!("SES_ENDPOINT is not set: run the tests with scripts/test.sh, which starts the SES emulator"))
}

/// An SES client for an endpoint (the emulator, or a closed port to make sending fail).
pub async fn ses_client(endpoint: &str) -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(&emulator_config(endpoint).await)
}

/// The EventBridge emulator's endpoint (moto), from `EVENTS_ENDPOINT` (the test command starts it).
pub fn events_endpoint() -> String {
    std::env::var("EVENTS_ENDPOINT").unwrap_or_else(|_| {
        panic!("EVENTS_ENDPOINT is not set: run the tests with scripts/test.sh, which starts moto")
    })
}

/// A Secrets Manager client on moto (the same server as EventBridge).
pub async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&emulator_config(&events_endpoint()).await)
}

/// One AWS JSON-protocol call to moto (`target` like `AmazonSQS.CreateQueue`), for test set-up
/// of services the project itself does not use.
pub fn moto_json(endpoint: &str, target: &str, body: Value) -> Value {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let service = if target.starts_with("AmazonSQS") {
        "sqs"
    } else {
        "events"
    };
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(host).expect("connect to moto");
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let text = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    serde_json::from_str(text).unwrap_or_else(|_| panic!("{target}: {response}"))
}

/// Emails the SES emulator captured for `to`, oldest first.
pub fn emails_to(to: &str) -> Vec<Value> {
    emails_at(&ses_endpoint(), to)
}

/// Emails an SES emulator at `endpoint` captured for `to`, oldest first.
pub fn emails_at(endpoint: &str, to: &str) -> Vec<Value> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the SES emulator");
    write!(stream, "GET /store HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    let store: Value = serde_json::from_str(body).expect("emulator store is JSON");
    store["emails"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| {
            e["destination"]["to"]
                .as_array()
                .is_some_and(|list| list.iter().any(|a| a == to))
        })
        .collect()
}

/// An SES emulator of a test's own (`aws-ses-v2-local` from `.tools/`), so the test can stop and
/// restart it without disturbing the tests that share the main one.
pub struct OwnSesEmulator {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnSesEmulator {
    pub fn start_on(port: u16) -> Self {
        let tools = crate::repo_root().join(".tools");
        let child = std::process::Command::new(tools.join("node_modules/.bin/aws-ses-v2-local"))
            .args(["--port", &port.to_string(), "--host", "127.0.0.1"])
            .current_dir(&tools)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aws-ses-v2-local (scripts/install-tools.sh installs it)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the SES emulator did not start on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Self {
            port,
            child: Some(child),
        }
    }
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for OwnSesEmulator {
    fn drop(&mut self) {
        self.stop();
    }
}
