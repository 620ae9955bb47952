//! The request pipeline, written once for every route:
//! identity -> (organization routes) the caller's access and the route's subject in one read ->
//! permission -> organization state -> the operation -> one conditional write (done by the
//! operation) -> problem+json on error. It knows no concept: the concepts plug in through
//! [`OrgAccess`], [`Subject`] and their handlers.

mod context;
pub mod idempotency;
mod input;
mod reply;
mod route;

pub use context::{run_org, OrgAccess, OrgCtx};
pub use input::{Bearer, Input, DEFAULT_PAGE, MAX_BODY_BYTES, MAX_PAGE};
pub use reply::{ListView, Reply};
pub use route::{
    body, org, org_on, org_on_with, Access, BodyDef, DirectoryOp, Dynamo, Effect, Handler, Need,
    OrgOp, OrgRule, Place, RouteDef, Secrets, ServerKey, ServiceOp, Subject, UserOp,
};

use crate::auth::{self, Caller};
use crate::config::{AuthMode, Config};
use crate::error::{ApiError, ApiResult, Code};
use crate::App;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::HashMap;

/// Reads the caller's identity from the request: an organization API key (verified later, with
/// the organization), else a person. Production: the claims API Gateway's JWT authorizer (a
/// person's routes) or the `authorize-caller` Lambda authorizer (organization routes) validated.
/// Local mode: our own HS256 verification of the bearer token.
pub fn identify(config: &Config, req: &Request) -> ApiResult<Caller> {
    // An organization API key (`Bearer orgs_sk_...`): in production, admitted to the function by
    // the API's authorizer for what it is (see docs/deploy.md); verified against the key's item
    // when the organization's access is read.
    let bearer = req
        .headers()
        .get(lambda_http::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if let Some(token) = bearer.filter(|t| t.starts_with(crate::credentials::KEY_PREFIX)) {
        return Caller::api_key(token).ok_or_else(|| {
            ApiError::new(
                Code::Unauthenticated,
                "This is not an API key: check that it was copied whole (`orgs_sk_` and 81 letters and digits).",
            )
        });
    }
    let claims = match &config.auth {
        // The JWT authorizer's claims (a person's routes), or those the Lambda authorizer of the
        // organization routes passed for a person (`crate::authorizer`).
        AuthMode::Jwt => match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().and_then(|a| {
                a.jwt.as_ref().map(|j| j.claims.clone()).or_else(|| {
                    crate::authorizer::person_claims(&a.fields, chrono::Utc::now().timestamp())
                })
            }),
            _ => None,
        },
        AuthMode::Local { secret } => req
            .headers()
            .get(lambda_http::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .and_then(|token| {
                auth::verify_hs256(token.trim(), secret, chrono::Utc::now().timestamp())
            }),
    };
    let claims = claims.ok_or_else(ApiError::unauthenticated)?;
    let mut caller = Caller::from_claims(&claims).ok_or_else(ApiError::unauthenticated)?;
    caller.second_factor = config.mfa.shown_in(&claims);
    Ok(caller)
}

fn input_of(req: &Request) -> ApiResult<Input> {
    let body = match req.body() {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Binary(b) => b.clone(),
        _ => Vec::new(),
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            Code::BodyTooLarge,
            format!("The request body must be at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    let to_map = |m: lambda_http::aws_lambda_events::query_map::QueryMap| {
        m.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>()
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let origin = header("host").map(|host| {
        let proto = header("x-forwarded-proto").unwrap_or_else(|| {
            match host.starts_with("127.0.0.1") || host.starts_with("localhost") {
                true => "http".into(),
                false => "https".into(),
            }
        });
        format!("{proto}://{host}")
    });
    let bearer = header("authorization").and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| input::Bearer(token.trim().to_string()))
    });
    Ok(Input {
        path: to_map(req.path_parameters()),
        query: to_map(req.query_string_parameters()),
        body,
        service: None,
        method: req.method().as_str().to_string(),
        origin,
        bearer,
        raw_path: req.uri().path().to_string(),
        // As sent, even when it is not text: a key that cannot be one is refused, never ignored.
        idempotency_key: req
            .headers()
            .get(idempotency::HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        idempotency: None,
    })
}

/// The id an incident is followed by: the Lambda invocation's request id (every line the
/// function logs for it carries it in CloudWatch), else API Gateway's, else a fresh one (a test
/// calling in-process). Every answer names it (`x-request-id`, and `requestId` in a problem).
pub fn request_id_of(req: &Request) -> String {
    if let Some(ctx) = req
        .lambda_context_ref()
        .filter(|c| !c.request_id.is_empty())
    {
        return ctx.request_id.clone();
    }
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(id) = ctx.request_id.as_ref().filter(|id| !id.is_empty()) {
            return id.clone();
        }
    }
    uuid::Uuid::new_v4().to_string()
}

/// Runs one route for one request and always answers: problem+json for every error. Writes ONE
/// line per request ([`request_line`]): request id, route, status, problem code, latency, the
/// DynamoDB requests made and the caller's id (never a token or an email), with the cause of a
/// 5xx; the line is also the request's metrics document.
pub async fn handle(app: &App, route: &RouteDef, req: Request) -> Response<Body> {
    let started = std::time::Instant::now();
    let request_id = request_id_of(&req);
    let mut caller_id = None;
    let (result, measured) =
        crate::metrics::measured(Box::pin(run_route(app, route, req, &mut caller_id))).await;
    let scim = matches!(route.access, Access::Directory);
    let (mut response, status, code, cause) = match result {
        Ok(reply) => {
            let status = reply.status;
            let response = match scim {
                true => respond_as(reply, SCIM_JSON),
                false => respond(reply),
            };
            (response, status, None, None)
        }
        Err(err) => (
            match scim {
                true => scim_error(&err),
                false => problem(&err, &request_id),
            },
            err.status(),
            Some(err.code.as_str()),
            err.cause.clone(),
        ),
    };
    if let Ok(v) = lambda_http::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    app.log.write(request_line(
        &app.config.metrics_namespace,
        &RequestLine {
            request_id: &request_id,
            route: route.function,
            status,
            code,
            latency_ms: started.elapsed().as_millis() as u64,
            dynamo_requests: measured.dynamo_requests,
            counts: &measured.counts,
            caller: caller_id.as_deref(),
            cause: cause.as_deref(),
        },
    ));
    response
}

/// What the line of one request says.
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub route: &'a str,
    pub status: u16,
    /// The problem's code (none on success).
    pub code: Option<&'a str>,
    pub latency_ms: u64,
    pub dynamo_requests: u32,
    /// What the handler counted ([`crate::metrics::count`]), published by route too.
    pub counts: &'a [(&'static str, u64)],
    /// The caller's user id, once identified.
    pub caller: Option<&'a str>,
    /// A 5xx's cause (internal: logged, never answered).
    pub cause: Option<&'a str>,
}

/// The request's line: a JSON log line (`level`, `message: "request"`, `request_id`, `route`,
/// `status`, `code`, `latency_ms`, `caller`, and `cause` for a 5xx) that is also an embedded
/// metric document: `Errors5xx` (0 or 1), `DynamoRequests` and the handler's counts by `route`,
/// `Answers` by `status` and, for a problem, by `code`.
pub fn request_line(namespace: &str, line: &RequestLine) -> serde_json::Value {
    use crate::metrics::{document, Directive, Unit};
    use serde_json::json;
    // 501 is SCIM's answer to an operation the service provider does not implement (bulk,
    // `/Me`): a client's request, not our fault, so no alarm counts it.
    let server_error = line.status >= 500 && line.status != 501;
    let mut fields = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        fields.insert(k.to_string(), v);
    };
    put("level", json!(if server_error { "ERROR" } else { "INFO" }));
    put("message", json!("request"));
    put("request_id", json!(line.request_id));
    put("route", json!(line.route));
    put("status", json!(line.status.to_string()));
    if let Some(code) = line.code {
        put("code", json!(code));
    }
    put("latency_ms", json!(line.latency_ms));
    put("caller", json!(line.caller.unwrap_or("")));
    if server_error {
        put("cause", json!(line.cause.unwrap_or("")));
    }
    put("Errors5xx", json!(u32::from(server_error)));
    put("DynamoRequests", json!(line.dynamo_requests));
    put("Answers", json!(1));
    for (name, value) in line.counts {
        put(name, json!(value));
    }
    let mut by_route = vec![("Errors5xx", Unit::Count), ("DynamoRequests", Unit::Count)];
    by_route.extend(line.counts.iter().map(|(name, _)| (*name, Unit::Count)));
    let by_answer: &[&[&str]] = if line.code.is_some() {
        &[&["status"], &["code"]]
    } else {
        &[&["status"]]
    };
    document(
        namespace,
        &[
            Directive {
                dimensions: &[&["route"]],
                metrics: &by_route,
            },
            Directive {
                dimensions: by_answer,
                metrics: &[("Answers", Unit::Count)],
            },
        ],
        fields,
    )
}

/// Admits another service of the platform. Production: API Gateway's IAM authorizer verified
/// the request's SigV4 signature (the route has no other authorizer), so its context names the
/// caller's IAM identity; a request without it did not come through that authorizer. Local mode:
/// nothing to check.
pub fn admit_service(config: &Config, req: &Request) -> ApiResult<String> {
    match &config.auth {
        AuthMode::Local { .. } => Ok("local".into()),
        AuthMode::Jwt => match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                match ctx.authorizer.as_ref().and_then(|a| a.iam.as_ref()) {
                    Some(iam) if iam.user_arn.is_some() || iam.caller_id.is_some() => Ok(
                        service_name(iam.user_arn.as_deref(), iam.caller_id.as_deref()),
                    ),
                    _ => Err(unsigned()),
                }
            }
            _ => Err(unsigned()),
        },
    }
}

/// The name a service's audit entries carry: the role of an assumed-role ARN
/// (`arn:aws:sts::1234:assumed-role/billing/session` -> `billing`), else the ARN's last part or
/// the caller id, cut to what a user id holds.
fn service_name(arn: Option<&str>, caller_id: Option<&str>) -> String {
    let name = match arn {
        Some(arn) => match arn.split_once(":assumed-role/") {
            Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
            None => arn.rsplit(['/', ':']).next().unwrap_or(arn),
        },
        None => caller_id.unwrap_or("unknown"),
    };
    name.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '#')
        .take(64)
        .collect()
}

fn unsigned() -> ApiError {
    ApiError::new(
                Code::Unauthenticated,
        "This route is for the platform's services: sign the request with SigV4 (IAM authorization) under a role with the template's policy for it (ApiKeyVerifyPolicy, AuthorizeOnBehalfPolicy, BillingPolicy).",
    )
}

async fn run_route(
    app: &App,
    route: &RouteDef,
    req: Request,
    caller_id: &mut Option<String>,
) -> ApiResult<Reply> {
    if let (Access::Directory, Handler::Directory(op)) = (route.access, route.handler) {
        return op(app.clone(), input_of(&req)?).await;
    }
    if let (Access::Service, Handler::Service(op)) = (route.access, route.handler) {
        let service = admit_service(&app.config, &req)?;
        let mut input = input_of(&req)?;
        let pending = pending_of(app, route, &input, &format!("service:{service}"))?;
        input.service = Some(service);
        return replay_or_run(app, pending, true, |app| op(app, input)).await;
    }
    let caller = identify(&app.config, &req)?;
    *caller_id = Some(caller.user_id.as_str().to_string());
    let mut input = input_of(&req)?;
    let who = format!(
        "{}:{}",
        caller.actor_kind().as_str(),
        caller.user_id.as_str()
    );
    let pending = pending_of(app, route, &input, &who)?;
    match (route.access, route.handler) {
        (Access::User, Handler::User(_)) if caller.key.is_some() => Err(ApiError::new(
            Code::Unauthenticated,
            "An API key calls only its own organization's routes (/orgs/{orgId}/...); this route is a person's: sign in.",
        )),
        (Access::User, Handler::User(op)) => {
            replay_or_run(app, pending, true, |app| op(app, caller, input)).await
        }
        (Access::Org(rule), Handler::Org(op)) => {
            // The record is read with the caller's access (`run_org`), in the same request.
            input.idempotency = pending.clone();
            replay_or_run(app, pending, false, |app| op(app, caller, input, rule)).await
        }
        _ => Err(ApiError::internal(format!(
            "route {} pairs its access rule with the wrong handler kind",
            route.function
        ))),
    }
}

/// The `Idempotency-Key` of a write, for `caller` (`<kind>:<id>`): `None` without the header or on
/// a route that changes nothing.
fn pending_of(
    app: &App,
    route: &RouteDef,
    input: &Input,
    caller: &str,
) -> ApiResult<Option<std::sync::Arc<idempotency::Pending>>> {
    let Some(key) = input
        .idempotency_key
        .as_deref()
        .filter(|_| route.is_write())
    else {
        return Ok(None);
    };
    let pending = idempotency::Pending::new(
        app.config.require_api_key_hash_key()?,
        caller,
        key,
        (&input.method, &input.raw_path, &input.body),
    )?;
    Ok(Some(std::sync::Arc::new(pending)))
}

/// Runs a write under its `Idempotency-Key`: answers its record if there is one (`read_first`:
/// read it here; an organization route reads it with the caller's access), else runs it with the
/// record to write in its transaction; a run that failed where a twin may have committed first
/// reads the record once more and answers it.
async fn replay_or_run<F, Fut>(
    app: &App,
    pending: Option<std::sync::Arc<idempotency::Pending>>,
    read_first: bool,
    run: F,
) -> ApiResult<Reply>
where
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Reply>>,
{
    let Some(pending) = pending else {
        return run(app.clone()).await;
    };
    if read_first {
        if let Some(reply) = recorded(app, &pending).await? {
            return Ok(reply);
        }
    }
    let mut with = app.clone();
    with.idempotent = Some(pending.clone());
    match run(with).await {
        Err(e) if idempotency::worth_rereading(&e) => match recorded(app, &pending).await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(e),
            Err(reused) if reused.code == Code::IdempotencyKeyReused => Err(reused),
            Err(_) => Err(e),
        },
        other => other,
    }
}

/// The answer recorded under the key, if any (one GetItem).
async fn recorded(app: &App, pending: &idempotency::Pending) -> ApiResult<Option<Reply>> {
    let found = app.store.batch_get(vec![pending.key()]).await?;
    match found.into_iter().next() {
        Some(item) => pending.answer(&crate::store::from_item(item)?),
        None => Ok(None),
    }
}

pub fn respond(reply: Reply) -> Response<Body> {
    respond_as(reply, "application/json")
}

/// SCIM's media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

fn respond_as(reply: Reply, content_type: &str) -> Response<Body> {
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value);
    }
    match reply.body {
        Some(body) => builder
            .header("content-type", content_type)
            .body(Body::Text(body.to_string())),
        None => builder.body(Body::Empty),
    }
    .expect("valid response parts")
}

/// A SCIM error (RFC 7644 §3.12): `schemas`, `status` as a string, `detail`, and `scimType`
/// where the RFC names one for the code.
pub fn scim_error(err: &ApiError) -> Response<Body> {
    let scim_type = match err.code {
        Code::ScimInvalidFilter => Some("invalidFilter"),
        Code::ScimInvalidValue | Code::ValidationFailed => Some("invalidValue"),
        Code::ScimInvalidSyntax | Code::InvalidBody | Code::BodyRequired => Some("invalidSyntax"),
        Code::ScimInvalidPath => Some("invalidPath"),
        Code::ScimUniqueness => Some("uniqueness"),
        _ => None,
    };
    // Exactly RFC 7644's members (strict clients refuse others); our stable code and the request
    // id travel as headers.
    let mut body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": err.status().to_string(),
        "detail": err.detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = serde_json::Value::String(t.into());
    }
    let mut builder = Response::builder()
        .status(err.status())
        .header("content-type", SCIM_JSON)
        .header("x-problem-code", err.code.as_str());
    if let Some(secs) = err.retry_after {
        builder = builder.header("retry-after", secs.to_string());
    }
    if err.status() == 401 {
        builder = builder.header("www-authenticate", "Bearer realm=\"scim\"");
    }
    builder
        .body(Body::Text(body.to_string()))
        .expect("valid response parts")
}

pub fn problem(err: &ApiError, request_id: &str) -> Response<Body> {
    let mut builder = Response::builder()
        .status(err.status())
        .header("content-type", "application/problem+json");
    if let Some(secs) = err.retry_after {
        builder = builder.header("retry-after", secs.to_string());
    }
    if err.code == Code::Unauthenticated {
        builder = builder.header("www-authenticate", "Bearer");
    }
    let mut body = err.body();
    body["requestId"] = serde_json::Value::String(request_id.to_string());
    builder
        .body(Body::Text(body.to_string()))
        .expect("valid response parts")
}
