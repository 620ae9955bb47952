//! The in-process client: a fresh app on its own table, called through the real pipeline,
//! with tokens for test users and answers that check the problem contract.

use crate::dynamodb::{
    create_table_from_template, dynamodb_client, dynamodb_endpoint, RequestCounter,
};
use crate::emulators::{secrets_client, ses_client, ses_endpoint};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use service::config::Config;
use service::error::Code;
use service::App;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const JWT_SECRET: &str = "test-secret-for-local-tokens";

/// A signed local token for a user (the claims API Gateway would pass in production), valid one hour.
pub fn token_for(secret: &str, user: &str, email: Option<&str>, verified: bool) -> String {
    token_valid_for(secret, user, email, verified, 3600)
}

pub use devtool::token_valid_for;

/// The answer to an in-process call.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HashMap<String, String>,
}

impl Answer {
    /// The answer is the problem `code` with `status` (the status is the code's own; both are
    /// named so the test reads as the contract).
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: Code) -> &Self {
        assert_eq!(code.status(), status, "{code} is not a {status}");
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (status, Some(code.as_str())),
            "{}",
            self.body
        );
        self
    }
    /// The answer has `status`; its body otherwise.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
}

/// Calls as one user: `t.as_user(&owner).post(path, body)`.
pub struct AsUser<'a> {
    t: &'a TestApp,
    token: Option<String>,
}

impl AsUser<'_> {
    pub async fn get(&self, path: &str) -> Answer {
        self.t.call("GET", path, self.token.as_deref(), None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.t
            .call("POST", path, self.token.as_deref(), Some(body))
            .await
    }
    pub async fn post_empty(&self, path: &str) -> Answer {
        self.t.call("POST", path, self.token.as_deref(), None).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.t
            .call("PATCH", path, self.token.as_deref(), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.t
            .call("PUT", path, self.token.as_deref(), Some(body))
            .await
    }
    pub async fn put_empty(&self, path: &str) -> Answer {
        self.t.call("PUT", path, self.token.as_deref(), None).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.t
            .call("DELETE", path, self.token.as_deref(), None)
            .await
    }
}

/// An app on its own fresh table, called in-process through the real pipeline.
#[derive(Clone)]
pub struct TestApp {
    pub app: App,
    /// With [`TestApp::with_faults`]: the same app on the same table whose AWS clients go
    /// through the fault injector; requests made inside `Faults::scope` use it, the rest (fixtures,
    /// checks) use `app`, so a loaded machine cannot fail a fixture on the short attempt timeout.
    pub faulty: Option<App>,
    pub table: String,
    pub requests: RequestCounter,
    /// The DNS server the app's domain verification asks (one per test binary).
    pub dns: crate::dns::DnsServer,
    /// The owner of every organization the fixtures created, for set-up made through the API.
    pub(crate) owners: Arc<Mutex<HashMap<String, User>>>,
    /// Deletes the table when the test's last clone of the app is gone: DynamoDB Local slows down
    /// with every table it keeps (a run of the suite made 150).
    _table: Arc<TableGuard>,
}

/// The test's own table, deleted when dropped (on a thread of its own with a client of its own:
/// the test's runtime may be shutting down).
struct TableGuard {
    endpoint: String,
    table: String,
}

impl Drop for TableGuard {
    fn drop(&mut self) {
        // KEEP_TEST_TABLES=1 keeps them (to look at a table after a test).
        if std::env::var_os("KEEP_TEST_TABLES").is_some() {
            return;
        }
        let (endpoint, table) = (self.endpoint.clone(), self.table.clone());
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let client = dynamodb_client(&endpoint, None).await;
                let _ = client.delete_table().table_name(&table).send().await;
            });
        });
    }
}

/// A user as the tests see them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::build(adjust, false).await
    }

    /// An app whose every AWS client (DynamoDB, SES, Secrets Manager) goes through the fault
    /// injector ([`crate::faults`]) with the functions' retry policy (3 attempts) and a short
    /// attempt timeout (`FAULT_ATTEMPT_TIMEOUT`), so a hang is a timeout the SDK retries.
    pub async fn with_faults(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::build(adjust, true).await
    }

    async fn build(adjust: impl FnOnce(&mut Config), faulty: bool) -> Self {
        // TEST_LOG=1 shows the functions' logs (causes of 5xx included).
        static LOG: std::sync::Once = std::sync::Once::new();
        if std::env::var_os("TEST_LOG").is_some() {
            LOG.call_once(service::runtime::init_logging);
        }
        install_test_catalogue();
        let table = format!("test-{}", uuid::Uuid::new_v4().simple());
        let requests = RequestCounter::default();
        let client = dynamodb_client(&dynamodb_endpoint(), Some(requests.clone())).await;
        create_table_from_template(&client, &table)
            .await
            .expect("create test table");
        let mut config = Config::local(&table, JWT_SECRET);
        config.dns_nameserver = Some(crate::dns::DnsServer::shared().addr.to_string());
        adjust(&mut config);
        // The request lines (embedded metric documents) are kept for the tests to read; TEST_LOG
        // prints them too.
        let log = service::metrics::LogSink::memory(std::env::var_os("TEST_LOG").is_some());
        let faulty = faulty.then(|| {
            let sdk = |endpoint: &str| crate::faults::faulty_config(endpoint);
            let dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk(&dynamodb_endpoint()))
                .interceptor(service::metrics::CountDynamoRequests)
                .interceptor(requests.clone());
            let mut app = App::new(
                config.clone(),
                aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
                Some(aws_sdk_ses::Client::new(&sdk(&ses_endpoint()))),
                Some(aws_sdk_secretsmanager::Client::new(&sdk(
                    &crate::emulators::events_endpoint(),
                ))),
            );
            app.log = log.clone();
            app
        });
        let mut app = App::new(
            config,
            client,
            Some(ses_client(&ses_endpoint()).await),
            Some(secrets_client().await),
        );
        app.log = log;
        requests.reset();
        Self {
            app,
            faulty,
            requests,
            dns: crate::dns::DnsServer::shared(),
            owners: Arc::default(),
            _table: Arc::new(TableGuard {
                endpoint: dynamodb_endpoint(),
                table: table.clone(),
            }),
            table,
        }
    }

    /// The request line of the answer with this `x-request-id`.
    pub fn request_line(&self, request_id: &str) -> serde_json::Value {
        self.app
            .log
            .last_where(|l| l["request_id"] == request_id)
            .unwrap_or_else(|| panic!("no request line for {request_id}"))
    }

    /// A client that calls as `user`.
    pub fn as_user(&self, user: &User) -> AsUser<'_> {
        AsUser {
            t: self,
            token: Some(user.token.clone()),
        }
    }
    /// A new user with a verified email and a token.
    pub fn user(&self, name: &str) -> User {
        let id = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let email = format!("{id}@example.com");
        let token = token_for(JWT_SECRET, &id, Some(&email), true);
        User { id, email, token }
    }

    /// The same user signed in with a second factor (`amr: ["pwd", "mfa"]` in the token).
    pub fn with_mfa(&self, user: &User) -> User {
        let claims = json!({
            "sub": user.id, "email": user.email, "email_verified": true, "amr": ["pwd", "mfa"],
            "exp": chrono::Utc::now().timestamp() + 3600,
        });
        User {
            token: service::auth::sign_hs256(&claims, JWT_SECRET.as_bytes()),
            ..user.clone()
        }
    }

    /// A new user with a verified email at `domain`.
    pub fn user_at(&self, name: &str, domain: &str) -> User {
        let id = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let email = format!("{id}@{domain}");
        let token = token_for(JWT_SECRET, &id, Some(&email), true);
        User { id, email, token }
    }

    /// Sends `method path` with an optional JSON body as `token` (None = no Authorization header).
    pub async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(method, path_and_query, token, body, &[])
            .await
    }

    /// [`Self::call`] with more headers (an `Idempotency-Key`).
    pub async fn call_with(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        // A route of every method (the directory's) is sampled with GET.
        let method = if method == "ANY" { "GET" } else { method };
        let (route, params) = service::routes::match_route(method, path)
            .unwrap_or_else(|| panic!("no route for {method} {path}"));
        let scim = matches!(route.access, service::pipeline::Access::Directory);
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://api.example.com{path_and_query}"))
            .header("host", "api.example.com");
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(v) => Body::Text(v.to_string()),
            None => Body::Empty,
        };
        let query: HashMap<String, String> = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), percent_decode(v))
            })
            .collect();
        let req: Request = builder
            .body(body)
            .unwrap()
            .with_path_parameters(params.into_iter().collect::<HashMap<_, _>>())
            .with_query_string_parameters(query);
        let app = match &self.faulty {
            Some(faulty) if crate::faults::Faults::active() => faulty,
            _ => &self.app,
        };
        let resp = Box::pin(service::pipeline::handle(app, route, req)).await;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect::<HashMap<_, _>>();
        let mut body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        if scim && status >= 400 {
            // A SCIM error has exactly RFC 7644's members; its code is the x-problem-code header.
            let members: Vec<&str> = body
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            assert!(
                members
                    .iter()
                    .all(|m| ["schemas", "status", "detail", "scimType"].contains(m)),
                "{method} {path}: a SCIM error with other members: {body}"
            );
            body["code"] =
                Value::String(headers.get("x-problem-code").cloned().unwrap_or_default());
        }
        if status >= 400 {
            assert_eq!(
                headers.get("content-type").map(String::as_str),
                Some(if scim {
                    "application/scim+json"
                } else {
                    "application/problem+json"
                }),
                "{method} {path}: {body}"
            );
            if scim {
                assert_eq!(body["status"], status.to_string(), "a SCIM error: {body}");
                assert_eq!(
                    body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
                    "{body}"
                );
            }
            let code = body["code"].as_str().and_then(Code::parse);
            let code = code.unwrap_or_else(|| panic!("problem without a known code: {body}"));
            assert_eq!(code.status(), status, "{code} answered with {status}");
            assert!(
                route.codes().contains(&code),
                "{method} {path} answered `{code}`, which its route does not declare (RouteDef::errors)"
            );
            // Every problem names its request, as the header of every answer does (a SCIM
            // error in the header only).
            assert!(
                scim || body["requestId"].as_str().is_some_and(|id| !id.is_empty())
                    && headers.get("x-request-id")
                        == body["requestId"].as_str().map(str::to_string).as_ref(),
                "{method} {path}: a problem without its request id: {body} {headers:?}"
            );
        }
        assert!(
            headers.get("x-request-id").is_some_and(|id| !id.is_empty()),
            "{method} {path}: an answer without x-request-id"
        );
        // Every answer has its one request line, which says what was answered.
        let line = app
            .log
            .last_where(|l| l["request_id"] == headers["x-request-id"].as_str());
        let line = line.unwrap_or_else(|| panic!("{method} {path}: no request line"));
        assert!(
            line["route"] == route.function
                && line["status"].as_str() == Some(status.to_string().as_str())
                && (if status >= 400 { &body["code"] } else { &Value::Null }) == &line["code"]
                && line["Errors5xx"] == u32::from(status >= 500 && status != 501),
            "{method} {path}: the request line {line} does not say what was answered ({status} {body})"
        );
        Answer {
            status,
            body,
            headers,
        }
    }

    /// Calls as `user` and returns the answer together with how many DynamoDB requests it made.
    pub async fn call_counted(
        &self,
        method: &str,
        path: &str,
        user: &User,
        body: Option<Value>,
    ) -> (Answer, Vec<&'static str>) {
        self.requests.reset();
        let answer = self.call(method, path, Some(&user.token), body).await;
        let operations = self.requests.operations();
        // What the request line reports is what the route made.
        let line = self.request_line(&answer.headers["x-request-id"]);
        assert_eq!(
            line["DynamoRequests"],
            operations.len(),
            "{method} {path}: the request line's DynamoRequests against {operations:?}"
        );
        (answer, operations)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The operator catalogue every integration test runs with: the README's example
/// (`infra/catalogue.example.json`: databases and GPU permissions, a 25-seat `team` plan beside
/// the built-in ones), so every test also shows that an operator's permissions change nothing of
/// the service's own.
pub const TEST_CATALOGUE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/catalogue.example.json"
);

/// Puts [`TEST_CATALOGUE`] in force for this process (once; it must validate).
pub fn install_test_catalogue() {
    let c = service::catalogue::Catalogue::from_file(TEST_CATALOGUE)
        .unwrap_or_else(|problems| panic!("{TEST_CATALOGUE}: {problems:?}"));
    service::catalogue::install(c).expect("one catalogue per test process");
}
