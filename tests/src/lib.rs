//! Test support: a fresh table in DynamoDB Local per test, created from the SAM template's
//! definition, and an in-process client that sends requests through the real pipeline.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use shared::config::Config;
use shared::App;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub mod generate;

pub const JWT_SECRET: &str = "test-secret-for-local-tokens";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// DynamoDB Local's endpoint, from `DYNAMODB_ENDPOINT` (the test command starts it and sets it).
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with scripts/test.sh, which starts DynamoDB Local")
    })
}

/// The SES emulator's endpoint, from `SES_ENDPOINT` (the test command starts it and sets it).
pub fn ses_endpoint() -> String {
    std::env::var("SES_ENDPOINT").unwrap_or_else(|_| panic!("SES_ENDPOINT is not set: run the tests with scripts/test.sh, which starts the SES emulator"))
}

/// SDK configuration for a local emulator: fixed credentials, us-east-1, one attempt per call
/// (so a stopped emulator fails at once).
pub async fn emulator_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
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
        let tools = repo_root().join(".tools");
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

/// Counts DynamoDB requests (executions, not retries) made through a client, by operation.
#[derive(Debug, Default, Clone)]
pub struct RequestCounter {
    total: Arc<AtomicUsize>,
    ops: Arc<Mutex<Vec<&'static str>>>,
}

impl RequestCounter {
    pub fn reset(&self) {
        self.total.store(0, Ordering::SeqCst);
        self.ops.lock().unwrap().clear();
    }
    pub fn count(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
    pub fn operations(&self) -> Vec<&'static str> {
        self.ops.lock().unwrap().clone()
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }
    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let input = context.input();
        let op = if input.downcast_ref::<get_item::GetItemInput>().is_some() {
            "GetItem"
        } else if input
            .downcast_ref::<batch_get_item::BatchGetItemInput>()
            .is_some()
        {
            "BatchGetItem"
        } else if input.downcast_ref::<query::QueryInput>().is_some() {
            "Query"
        } else if input
            .downcast_ref::<transact_write_items::TransactWriteItemsInput>()
            .is_some()
        {
            "TransactWriteItems"
        } else if input.downcast_ref::<put_item::PutItemInput>().is_some() {
            "PutItem"
        } else if input
            .downcast_ref::<update_item::UpdateItemInput>()
            .is_some()
        {
            "UpdateItem"
        } else if input
            .downcast_ref::<delete_item::DeleteItemInput>()
            .is_some()
        {
            "DeleteItem"
        } else if input.downcast_ref::<scan::ScanInput>().is_some() {
            "Scan"
        } else {
            "Other"
        };
        self.total.fetch_add(1, Ordering::SeqCst);
        self.ops.lock().unwrap().push(op);
        Ok(())
    }
}

/// A DynamoDB client for DynamoDB Local with fixed local credentials.
pub async fn dynamodb_client(
    endpoint: &str,
    counter: Option<RequestCounter>,
) -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&sdk);
    if let Some(c) = counter {
        builder = builder.interceptor(c);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// The table resource of `infra/template.yaml`: the one place the schema is defined.
pub fn table_definition() -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo_root().join("infra/template.yaml"))
        .expect("read infra/template.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml parses");
    doc["Resources"]["Table"]["Properties"].clone()
}

fn key_schema(v: &serde_yaml::Value) -> Vec<KeySchemaElement> {
    v.as_sequence()
        .expect("KeySchema list")
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(k["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                .build()
                .unwrap()
        })
        .collect()
}

/// Creates `name` in DynamoDB with the template's keys, indexes, stream and TTL.
pub async fn create_table_from_template(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), String> {
    let def = table_definition();
    let attributes = def["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    a["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap()
        })
        .collect();
    let gsis = def["GlobalSecondaryIndexes"].as_sequence().map(|list| {
        list.iter()
            .map(|g| {
                GlobalSecondaryIndex::builder()
                    .index_name(g["IndexName"].as_str().unwrap())
                    .set_key_schema(Some(key_schema(&g["KeySchema"])))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                g["Projection"]["ProjectionType"].as_str().unwrap(),
                            ))
                            .build(),
                    )
                    .build()
                    .unwrap()
            })
            .collect()
    });
    let stream = def["StreamSpecification"]["StreamViewType"]
        .as_str()
        .map(|v| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(v))
                .build()
                .unwrap()
        });
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&def["KeySchema"])))
        .set_global_secondary_indexes(gsis)
        .billing_mode(BillingMode::from(
            def["BillingMode"].as_str().unwrap_or("PAY_PER_REQUEST"),
        ))
        .set_stream_specification(stream)
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateTable: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    if let Some(ttl) = def["TimeToLiveSpecification"]["AttributeName"].as_str() {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl)
                    .enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .map_err(|e| {
                format!(
                    "UpdateTimeToLive: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}

/// A signed local token for a user (the claims API Gateway would pass in production), valid one hour.
pub fn token_for(secret: &str, user: &str, email: Option<&str>, verified: bool) -> String {
    token_valid_for(secret, user, email, verified, 3600)
}

/// A signed local token valid for `seconds`.
pub fn token_valid_for(
    secret: &str,
    user: &str,
    email: Option<&str>,
    verified: bool,
    seconds: i64,
) -> String {
    let mut claims = json!({ "sub": user, "email_verified": verified, "exp": chrono::Utc::now().timestamp() + seconds });
    if let Some(e) = email {
        claims["email"] = json!(e);
    }
    shared::auth::sign_hs256(&claims, secret.as_bytes())
}

/// The answer to an in-process call.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HashMap<String, String>,
}

/// An app on its own fresh table, called in-process through the real pipeline.
#[derive(Clone)]
pub struct TestApp {
    pub app: App,
    pub table: String,
    pub requests: RequestCounter,
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
        // TEST_LOG=1 shows the functions' logs (causes of 5xx included).
        static LOG: std::sync::Once = std::sync::Once::new();
        if std::env::var_os("TEST_LOG").is_some() {
            LOG.call_once(lambda_http::tracing::init_default_subscriber);
        }
        let table = format!("test-{}", uuid::Uuid::new_v4().simple());
        let requests = RequestCounter::default();
        let client = dynamodb_client(&dynamodb_endpoint(), Some(requests.clone())).await;
        create_table_from_template(&client, &table)
            .await
            .expect("create test table");
        let mut config = Config::local(&table, JWT_SECRET);
        adjust(&mut config);
        let app = App::new(config, client, Some(ses_client(&ses_endpoint()).await));
        requests.reset();
        Self {
            app,
            table,
            requests,
        }
    }

    /// A new user with a verified email and a token.
    pub fn user(&self, name: &str) -> User {
        let id = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let email = format!("{id}@example.com");
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
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let (route, params) = shared::routes::match_route(method, path)
            .unwrap_or_else(|| panic!("no route for {method} {path}"));
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://api.example.com{path_and_query}"));
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
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
        let resp = shared::http::handle(&self.app, route, req).await;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect::<HashMap<_, _>>();
        let body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        if status >= 400 {
            assert_eq!(
                headers.get("content-type").map(String::as_str),
                Some("application/problem+json"),
                "{method} {path}: {body}"
            );
            assert!(body["code"].is_string(), "problem without code: {body}");
        }
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
        (answer, self.requests.operations())
    }

    /// Creates an organization owned by `owner` and returns its id.
    pub async fn create_org(&self, owner: &User, name: &str) -> String {
        let a = self
            .call(
                "POST",
                "/orgs",
                Some(&owner.token),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(a.status, 201, "create org: {}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    /// Puts `user` into `org` with `role` directly (test set-up).
    pub async fn add_member(&self, org: &str, user: &User, role: shared::permissions::Role) {
        self.add_members(org, &[(user, role)]).await
    }

    /// Puts several users into `org` in one transaction, counting them on the organization.
    pub async fn add_members(&self, org: &str, members: &[(&User, shared::permissions::Role)]) {
        let org_id = shared::domain::OrgId::parse(org).unwrap();
        let org_item = shared::store::keys::key(
            shared::store::keys::org_pk(&org_id),
            shared::store::keys::ORG_SK,
        );
        let mut tx = self.app.store.tx();
        for (user, role) in members {
            let user_id = shared::domain::UserId::parse("userId", &user.id).unwrap();
            let email = shared::domain::Email::parse("email", &user.email).ok();
            let member = shared::store::MemberItem::new(
                &org_id,
                &user_id,
                email,
                None,
                *role,
                chrono::Utc::now(),
            );
            if let Some(email) = member.email_item() {
                tx = tx
                    .put_new(
                        &email,
                        shared::error::ApiError::conflict("exists", "member email exists"),
                    )
                    .unwrap();
            }
            tx = tx
                .put_new(
                    &member,
                    shared::error::ApiError::conflict("exists", "member exists"),
                )
                .unwrap();
        }
        let tx = tx
            .update(
                org_item,
                "SET memberCount = memberCount + :n, seatsUsed = seatsUsed + :n",
                None,
                shared::store::Expr::new().n(":n", members.len()),
                shared::error::ApiError::internal("count"),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("add members");
    }
}

impl TestApp {
    /// Puts a pending invitation into `org` directly (sent two minutes ago, so a resend is allowed),
    /// reserving its seats, and returns its id and code.
    pub async fn insert_invitation(
        &self,
        org: &str,
        by: &User,
        email: &str,
        role: shared::permissions::Role,
        max_uses: u32,
    ) -> (String, String) {
        use shared::store::{keys, EmailStatus, Expr, InvitationItem};
        let org_id = shared::domain::OrgId::parse(org).unwrap();
        let id = shared::domain::InvitationId::new();
        let now = chrono::Utc::now();
        let email = shared::domain::Email::parse("email", email).unwrap();
        let expires_at = now + chrono::Duration::days(7);
        let (gsi1pk, gsi1sk) = InvitationItem::invitee_index(&email, &now, &org_id, &id);
        let inv = InvitationItem {
            pk: keys::org_pk(&org_id),
            sk: keys::invitation_sk(&id),
            entity_type: "invitation".into(),
            gsi1pk: Some(gsi1pk),
            gsi1sk: Some(gsi1sk),
            invitation_id: id.clone(),
            org_id: org_id.clone(),
            email,
            role,
            project_ids: Vec::new(),
            max_uses,
            uses: 0,
            revoked: false,
            expires_in_days: 7,
            expires_at,
            message: None,
            invited_by: shared::domain::UserId::parse("u", &by.id).unwrap(),
            inviter_name: by.id.clone(),
            created_at: now,
            code_nonce: format!("nonce-{}", uuid::Uuid::new_v4()),
            email_status: EmailStatus::Sent,
            send_count: 1,
            last_sent_at: Some(now - chrono::Duration::minutes(2)),
            ttl: InvitationItem::ttl_for(&expires_at),
        };
        let tx = self
            .app
            .store
            .tx()
            .put_new(&inv, shared::error::ApiError::internal("x"))
            .unwrap()
            .update(
                keys::key(keys::org_pk(&org_id), keys::ORG_SK),
                "SET pendingSeats = pendingSeats + :n, seatsUsed = seatsUsed + :n",
                None,
                Expr::new().n(":n", max_uses),
                shared::error::ApiError::internal("x"),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("insert invitation");
        let code = shared::invitations::code_of(&self.app, &inv).unwrap();
        (id.to_string(), code)
    }

    /// Sets an organization's plan directly (test set-up).
    pub async fn set_plan(&self, org: &str, plan: &str) {
        use shared::store::{keys, Expr};
        let org_id = shared::domain::OrgId::parse(org).unwrap();
        let tx = self
            .app
            .store
            .tx()
            .update(
                keys::key(keys::org_pk(&org_id), keys::ORG_SK),
                "SET #p = :p",
                None,
                Expr::new().s(":p", plan).name("#p", "plan"),
                shared::error::ApiError::internal("x"),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("set plan");
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
