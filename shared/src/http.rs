//! The request pipeline, written once for every route:
//! identity -> (org routes) access context in one read -> permission -> organization state
//! -> the operation -> one conditional write (done by the operation) -> problem+json on error.

use crate::auth::{self, Caller};
use crate::config::AuthMode;
use crate::domain::{InvitationId, OrgId, OrgStatus, UserId};
use crate::error::{ApiError, ApiResult};
use crate::permissions::{Permission, Role};
use crate::routes::{Access, Effect, Handler, Need, RouteDef, Target};
use crate::store::{AuditEntry, InvitationItem, MemberItem, OrgItem};
use crate::App;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a handler gets of the HTTP request: path and query parameters and the raw body.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub path: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Input {
    pub fn path_param(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    /// The JSON body as `T`; a clear 400 naming what is wrong otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "body_required",
                "Send a JSON object as the request body.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            // serde's message names the field and what it expected; it contains only the caller's input.
            ApiError::bad_request(
                "invalid_body",
                format!("The request body is not valid: {e}."),
            )
        })
    }
    /// `?limit=` between 1 and 100, default 20.
    pub fn limit(&self) -> ApiResult<u32> {
        match self.query("limit") {
            None => Ok(20),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                _ => Err(ApiError::validation(
                    "limit",
                    "`limit` must be a whole number from 1 to 100.",
                )),
            },
        }
    }
    pub fn cursor(&self) -> Option<&str> {
        self.query("cursor")
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Some(body),
        }
    }
    pub fn created(body: Value) -> Self {
        Self {
            status: 201,
            body: Some(body),
        }
    }
    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
        }
    }
    pub fn list(items: Vec<Value>, next_cursor: Option<String>) -> Self {
        Self::ok(serde_json::json!({ "items": items, "nextCursor": next_cursor }))
    }
}

/// Everything an organization route's operation may rely on: the pipeline has checked
/// identity, membership, permission and organization state before the operation runs.
#[derive(Debug, Clone)]
pub struct OrgCtx {
    pub caller: Caller,
    pub org: OrgItem,
    pub member: MemberItem,
    /// The membership the route acts on (`{userId}` in the path, or `userId` in the body), if it exists.
    pub target: Option<MemberItem>,
    /// The invitation named by `{invitationId}` in the path, if the route has one and it exists.
    pub invitation: Option<InvitationItem>,
}

impl OrgCtx {
    pub fn role(&self) -> Role {
        self.member.role
    }
    pub fn org_id(&self) -> &OrgId {
        &self.org.org_id
    }
    pub fn user_id(&self) -> &UserId {
        &self.caller.user_id
    }
    /// An extra permission an operation needs for part of a request (e.g. the billing profile).
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.role().has(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission.as_str()))
        }
    }
    /// The hierarchy rule: nobody grants a role above their own; only transfer makes an owner.
    pub fn require_can_grant(&self, granted: Role) -> ApiResult<()> {
        if granted == Role::Owner {
            return Err(ApiError::conflict(
                "owner_only_by_transfer",
                "Nobody becomes owner this way; the owner uses POST /orgs/{orgId}/ownership-transfer.",
            ));
        }
        if !self.role().can_grant(granted) {
            return Err(ApiError::new(
                403,
                "role_above_yours",
                format!(
                    "You are {}; you cannot grant the role {granted}, which is above your own.",
                    self.role()
                ),
            )
            .with("yourRole", self.role().as_str())
            .with("requestedRole", granted.as_str()));
        }
        Ok(())
    }
    /// An audit entry for a change made by the caller in this organization.
    pub fn audit(
        &self,
        action: &'static str,
        event_type: &'static str,
        summary: impl Into<String>,
        details: Value,
    ) -> AuditEntry {
        AuditEntry {
            org_id: self.org.org_id.clone(),
            actor_id: self.caller.user_id.clone(),
            action,
            event_type,
            at: chrono::Utc::now(),
            summary: summary.into(),
            details,
        }
    }
}

/// Reads the caller's identity from the request. Production: the claims that API Gateway's JWT
/// authorizer validated. Local mode: our own HS256 verification of the bearer token.
pub fn identify(auth: &AuthMode, req: &Request) -> ApiResult<Caller> {
    let claims = match auth {
        AuthMode::Jwt => match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|j| j.claims.clone()),
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
    claims
        .as_ref()
        .and_then(Caller::from_claims)
        .ok_or_else(ApiError::unauthenticated)
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
            413,
            "body_too_large",
            format!("The request body must be at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    let to_map = |m: lambda_http::aws_lambda_events::query_map::QueryMap| {
        m.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>()
    };
    Ok(Input {
        path: to_map(req.path_parameters()),
        query: to_map(req.query_string_parameters()),
        body,
    })
}

/// Checks a route's permission need against the caller's role.
pub fn check_need(
    need: Need,
    org: &OrgItem,
    member: &MemberItem,
    target_user: Option<&str>,
) -> ApiResult<()> {
    let role = member.role;
    match need {
        Need::Member => Ok(()),
        Need::Perm(p) => role
            .has(p)
            .then_some(())
            .ok_or_else(|| ApiError::forbidden(p.as_str())),
        Need::PermOrSelf(p) => {
            if target_user == Some(member.user_id.as_str()) || role.has(p) {
                Ok(())
            } else {
                Err(ApiError::forbidden(p.as_str()))
            }
        }
        Need::Invite => {
            let by_policy = org.settings.invite_policy == crate::domain::InvitePolicy::Members
                && role.rank() >= Role::Developer.rank();
            if role.has(Permission::InvitationsCreate) || by_policy {
                Ok(())
            } else {
                Err(ApiError::forbidden(Permission::InvitationsCreate.as_str()))
            }
        }
    }
}

/// Runs one route for one request and always answers: problem+json for every error.
pub async fn handle(app: &App, route: &RouteDef, req: Request) -> Response<Body> {
    let result = run_route(app, route, req).await;
    match result {
        Ok(reply) => respond(reply),
        Err(err) => {
            match (&err.cause, err.status) {
                (Some(cause), 500..) => {
                    tracing::error!(function = route.function, code = err.code, cause = %cause, "request failed")
                }
                (None, 500..) => {
                    tracing::error!(function = route.function, code = err.code, "request failed")
                }
                _ => tracing::info!(
                    function = route.function,
                    status = err.status,
                    code = err.code,
                    "request refused"
                ),
            }
            problem(&err)
        }
    }
}

async fn run_route(app: &App, route: &RouteDef, req: Request) -> ApiResult<Reply> {
    let caller = identify(&app.config.auth, &req)?;
    let input = input_of(&req)?;
    match (&route.access, route.handler) {
        (Access::User, Handler::User(op)) => op(app.clone(), caller, input).await,
        (
            Access::Org {
                need,
                effect,
                target,
            },
            Handler::Org(op),
        ) => {
            let ctx = org_access(app, &caller, &input, *need, *effect, *target).await?;
            op(app.clone(), ctx, input).await
        }
        _ => Err(ApiError::internal(format!(
            "route {} pairs its access rule with the wrong handler kind",
            route.function
        ))),
    }
}

/// The organization part of the pipeline: ONE read (organization + caller's membership
/// [+ target membership]), then permission and state checks.
async fn org_access(
    app: &App,
    caller: &Caller,
    input: &Input,
    need: Need,
    effect: Effect,
    target: Target,
) -> ApiResult<OrgCtx> {
    let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(ApiError::org_not_found)?;
    let target_raw = input.path.get("userId").map(String::as_str);
    // Ids in the path that cannot exist are refused after the membership check, so a non-member
    // learns nothing beyond "not found" about the organization.
    let (target, invitation, unusable_id) = match target {
        Target::None => (None, None, None),
        Target::PathUser => match UserId::parse("userId", target_raw.unwrap_or("")) {
            Ok(u) => (Some(u), None, None),
            Err(_) => (None, None, Some(member_not_found())),
        },
        // A body that does not name a valid user is the operation's to refuse, with its own message.
        Target::BodyUser => {
            let named = serde_json::from_slice::<Value>(&input.body)
                .ok()
                .and_then(|b| {
                    b.get("userId")
                        .and_then(Value::as_str)
                        .and_then(|u| UserId::parse("userId", u).ok())
                });
            (named, None, None)
        }
        Target::PathInvitation => match InvitationId::parse(input.path_param("invitationId")) {
            Some(i) => (None, Some(i), None),
            None => (None, None, Some(invitation_not_found())),
        },
    };
    let access = app
        .store
        .load_access(
            &org_id,
            &caller.user_id,
            target.as_ref(),
            invitation.as_ref(),
        )
        .await?;
    let (Some(org), Some(member)) = (access.org, access.caller) else {
        return Err(ApiError::org_not_found());
    };
    check_need(need, &org, &member, target_raw)?;
    if let Some(err) = unusable_id {
        return Err(err);
    }
    match (org.status, effect) {
        (OrgStatus::Grace, Effect::Write) => return Err(ApiError::org_read_only()),
        (OrgStatus::Active, Effect::Reactivate) => {
            return Err(ApiError::conflict(
                "org_not_closed",
                "The organization is active; there is nothing to reactivate.",
            ))
        }
        _ => {}
    }
    if invitation.is_some() && access.invitation.is_none() {
        return Err(invitation_not_found());
    }
    Ok(OrgCtx {
        caller: caller.clone(),
        org,
        member,
        target: access.target,
        invitation: access.invitation,
    })
}

pub fn member_not_found() -> ApiError {
    ApiError::not_found(
        "member_not_found",
        "No member with this user id in this organization.",
    )
}

pub fn invitation_not_found() -> ApiError {
    ApiError::not_found(
        "invitation_not_found",
        "No invitation with this id in this organization.",
    )
}

pub fn respond(reply: Reply) -> Response<Body> {
    let builder = Response::builder().status(reply.status);
    match reply.body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::Text(body.to_string())),
        None => builder.body(Body::Empty),
    }
    .expect("valid response parts")
}

pub fn problem(err: &ApiError) -> Response<Body> {
    let mut builder = Response::builder()
        .status(err.status)
        .header("content-type", "application/problem+json");
    if let Some(secs) = err.retry_after {
        builder = builder.header("retry-after", secs.to_string());
    }
    if err.status == 401 {
        builder = builder.header("www-authenticate", "Bearer");
    }
    builder
        .body(Body::Text(err.body().to_string()))
        .expect("valid response parts")
}
