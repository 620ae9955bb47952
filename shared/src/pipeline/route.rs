//! The route types: what a route is (method, path, function, access rule, capabilities,
//! handler). The concepts define their routes with these; `crate::routes` indexes them.

use super::{Input, Reply};
use crate::auth::Caller;
pub use crate::config::ServerKey;
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::Permission;
use crate::store::Key;
use crate::App;
use lambda_http::BoxFuture;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Any authenticated user.
    User,
    /// A caller with access to the organization in `{orgId}` (see `OrgAccess`).
    Org(OrgRule),
    /// Another service of the platform, not a person: in production API Gateway's IAM
    /// authorizer (SigV4) admits it; locally nothing does (no token needed). The operation
    /// decides on what the request presents (an API key to verify).
    Service,
    /// An organization's identity provider, with one of the organization's SCIM tokens: no
    /// authorizer in production; the directory's own access step checks the token. Answers are
    /// SCIM's (`application/scim+json`, SCIM error bodies).
    Directory,
}

/// How the pipeline decides an organization route before its operation runs.
#[derive(Debug, Clone, Copy)]
pub struct OrgRule {
    pub need: Need,
    pub effect: Effect,
    /// The item the route acts on, read in the same request as the caller's access. It scopes
    /// the access (a project's grants add to the caller's permissions in that project).
    pub subject: Option<Subject>,
    /// A second item the operation needs, read in the same request (a team's new member, a grant's
    /// principal). The pipeline answers nothing about it; the operation does.
    pub also: Option<Subject>,
    /// Whether the operation decides on the organization's seats (`SEATS`, read in the same
    /// request): only the routes that reserve, release or count seats pay for reading them.
    pub seats: bool,
}

/// What the caller must hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// Any caller with access to the organization, whatever their role.
    Any,
    Perm(Permission),
    /// The permission, or the subject is the caller's own access item (leaving, for example).
    PermOrSelf(Permission),
}

/// What an organization route does to the organization, for the state check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Allowed in every state.
    Read,
    /// Refused while the organization is closed.
    Write,
    /// Allowed only while the organization is closed.
    Reactivate,
    /// A change allowed in every state: revoking an API key (a leaked key must be killable
    /// during grace too).
    WriteWhileClosed,
}

/// Where a route names the item it acts on and how that item is keyed, so the pipeline reads it
/// with the caller's access in one request. A new `{somethingId}` route adds a `Subject`, no code here.
#[derive(Clone, Copy)]
pub struct Subject {
    /// The path parameter (or body field, or query parameter) that names the item.
    pub param: &'static str,
    pub at: Place,
    /// The item's key in the organization, or `None` when the value cannot be an id.
    pub key: fn(&crate::domain::OrgId, &str) -> Option<Key>,
    /// The answer when the item does not exist (or the id cannot be one).
    pub missing: fn() -> ApiError,
}

/// Where a subject's id is. Only a path names the item the route is about: a body or query that
/// names nothing valid reads nothing and leaves the refusal to the operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    Path,
    Body,
    Query,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("param", &self.param)
            .field("at", &self.at)
            .finish()
    }
}

pub type UserOp = fn(App, Caller, Input) -> BoxFuture<'static, ApiResult<Reply>>;
/// An operation for another service of the platform (`Access::Service`): no person calls it.
pub type ServiceOp = fn(App, Input) -> BoxFuture<'static, ApiResult<Reply>>;
/// The directory's operation (`Access::Directory`): the request as read; its access step is the
/// directory's (`crate::directory::scim`).
pub type DirectoryOp = fn(App, Input) -> BoxFuture<'static, ApiResult<Reply>>;
/// An organization operation with the pipeline's organization steps in front of it
/// (see the `org_handler!` macro: the access type is the one the operation's context names).
pub type OrgOp = fn(App, Caller, Input, OrgRule) -> BoxFuture<'static, ApiResult<Reply>>;

#[derive(Clone, Copy)]
pub enum Handler {
    User(UserOp),
    Org(OrgOp),
    Service(ServiceOp),
    Directory(DirectoryOp),
}

/// IAM actions a route's function needs on the table (and its indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamo {
    GetItem,
    BatchGetItem,
    Query,
    PutItem,
    UpdateItem,
    DeleteItem,
    ConditionCheckItem,
    BatchWriteItem,
}

impl Dynamo {
    pub fn iam_action(self) -> &'static str {
        match self {
            Dynamo::GetItem => "dynamodb:GetItem",
            Dynamo::BatchGetItem => "dynamodb:BatchGetItem",
            Dynamo::Query => "dynamodb:Query",
            Dynamo::PutItem => "dynamodb:PutItem",
            Dynamo::UpdateItem => "dynamodb:UpdateItem",
            Dynamo::DeleteItem => "dynamodb:DeleteItem",
            Dynamo::ConditionCheckItem => "dynamodb:ConditionCheckItem",
            Dynamo::BatchWriteItem => "dynamodb:BatchWriteItem",
        }
    }
    /// The SDK operation name of a request, or of an item inside a TransactWriteItems.
    pub fn operation(self) -> &'static str {
        &self.iam_action()["dynamodb:".len()..]
    }
}

/// IAM actions a route's function needs on its integration secrets in Secrets Manager
/// (`orgs/*/integrations/*`); the functions with none get no Secrets Manager client at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    CreateSecret,
    TagResource,
    PutSecretValue,
    DescribeSecret,
    UpdateSecretVersionStage,
    DeleteSecret,
    ListSecrets,
}

impl Secrets {
    pub fn iam_action(self) -> &'static str {
        match self {
            Secrets::CreateSecret => "secretsmanager:CreateSecret",
            Secrets::TagResource => "secretsmanager:TagResource",
            Secrets::PutSecretValue => "secretsmanager:PutSecretValue",
            Secrets::DescribeSecret => "secretsmanager:DescribeSecret",
            Secrets::UpdateSecretVersionStage => "secretsmanager:UpdateSecretVersionStage",
            Secrets::DeleteSecret => "secretsmanager:DeleteSecret",
            Secrets::ListSecrets => "secretsmanager:ListSecrets",
        }
    }
}

pub struct RouteDef {
    pub method: &'static str,
    /// API Gateway path with `{param}` placeholders.
    pub path: &'static str,
    /// The Lambda function (binary) name.
    pub function: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// What the function does on the table: its IAM policy, nothing more.
    pub dynamo: &'static [Dynamo],
    /// Whether the function sends email through SES.
    pub ses: bool,
    /// What the function does to integration secrets in Secrets Manager.
    pub secrets: &'static [Secrets],
    /// The server keys the function needs (only these functions get them, and check them at
    /// cold start): `INVITATION_CODE_KEY` to derive invitation codes, `API_KEY_HASH_KEY` to
    /// digest API keys.
    pub keys: &'static [ServerKey],
    /// The problem codes of the operation itself (the pipeline's own come from `access`).
    pub errors: &'static [Code],
    /// The request body's type, for a route that takes one: its schema in openapi.yaml is
    /// generated from it, and the spec's example must parse as it.
    pub body: Option<BodyDef>,
    pub handler: Handler,
}

/// A route's request body: the handler's own type, seen from the route table.
#[derive(Clone, Copy)]
pub struct BodyDef {
    /// Reads a body as the handler does (`Input::json` into the type): Ok when it would accept it.
    pub parse: fn(&Input) -> ApiResult<()>,
    /// The type's name and JSON Schema (and the named schemas it refers to) for the spec.
    #[cfg(feature = "openapi")]
    pub schema: fn(&mut schemars::SchemaGenerator) -> (String, schemars::Schema),
}

fn parse_as<T: serde::de::DeserializeOwned>(input: &Input) -> ApiResult<()> {
    input.json::<T>().map(|_| ())
}

#[cfg(feature = "openapi")]
fn schema_of<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> (String, schemars::Schema) {
    (T::schema_name().into_owned(), T::json_schema(generator))
}

/// The body of a route whose handler reads a `T` (`body: body::<CreateInvitation>()`).
#[cfg(not(feature = "openapi"))]
pub const fn body<T: serde::de::DeserializeOwned>() -> Option<BodyDef> {
    Some(BodyDef {
        parse: parse_as::<T>,
    })
}

/// The body of a route whose handler reads a `T` (`body: body::<CreateInvitation>()`).
#[cfg(feature = "openapi")]
pub const fn body<T: serde::de::DeserializeOwned + schemars::JsonSchema>() -> Option<BodyDef> {
    Some(BodyDef {
        parse: parse_as::<T>,
        schema: schema_of::<T>,
    })
}

impl RouteDef {
    /// The server keys the route's function gets: its own (`keys`) and, on an organization's
    /// routes and every write, `API_KEY_HASH_KEY`, with which the pipeline verifies an API key
    /// calling them and keys an `Idempotency-Key`'s record.
    pub fn server_keys(&self) -> Vec<ServerKey> {
        let mut keys = self.keys.to_vec();
        // It also keys the records of writes under an Idempotency-Key.
        let needs = matches!(self.access, Access::Org(_)) || self.is_write();
        if needs && !keys.contains(&ServerKey::ApiKeyHash) {
            keys.push(ServerKey::ApiKeyHash);
        }
        keys
    }
    /// Whether the route changes something (what an `Idempotency-Key` applies to): a POST, PUT,
    /// PATCH or DELETE that writes items (every change appends its audit entry: a PutItem). The
    /// checks sent as POST (`/authorize`, `/api-keys/verify`) change nothing.
    pub fn is_write(&self) -> bool {
        matches!(self.method, "POST" | "PUT" | "PATCH" | "DELETE")
            && self.dynamo.contains(&Dynamo::PutItem)
    }
    pub fn permission(&self) -> Option<Permission> {
        match self.access {
            Access::Org(OrgRule {
                need: Need::Perm(p) | Need::PermOrSelf(p),
                ..
            }) => Some(p),
            _ => None,
        }
    }
    pub fn org_rule(&self) -> Option<OrgRule> {
        match self.access {
            Access::Org(rule) => Some(rule),
            Access::User | Access::Service | Access::Directory => None,
        }
    }
    /// Every problem code this route can answer: the pipeline's for its access rule, then the
    /// operation's own.
    pub fn codes(&self) -> Vec<Code> {
        let mut codes = vec![
            Code::Unauthenticated,
            Code::BodyTooLarge,
            Code::InternalError,
            Code::ServiceUnavailable,
        ];
        // A write may carry an `Idempotency-Key` (the SCIM directory's answers are SCIM's).
        if self.is_write() && !matches!(self.access, Access::Directory) {
            codes.extend([
                Code::InvalidIdempotencyKey,
                Code::IdempotencyKeyReused,
                Code::IdempotencyKeyInFlight,
            ]);
        }
        if let Access::Org(rule) = self.access {
            codes.extend([
                Code::OrgNotFound,
                Code::MfaRequired,
                Code::MemberDeactivated,
                // An API key calling where its organization does not let keys call.
                Code::ApiKeyCallsDisabled,
            ]);
            if rule.need != Need::Any {
                codes.push(Code::Forbidden);
            }
            if let Need::Perm(p) | Need::PermOrSelf(p) = rule.need {
                if p.person_only() {
                    codes.push(Code::PersonRequired);
                }
            }
            match rule.effect {
                Effect::Write => codes.extend([Code::OrgClosed, Code::YourRoleChanged]),
                Effect::WriteWhileClosed => codes.push(Code::YourRoleChanged),
                Effect::Reactivate => codes.push(Code::OrgNotClosed),
                Effect::Read => {}
            }
            if let Some(s) = rule.subject {
                if s.at == Place::Path {
                    codes.push((s.missing)().code);
                }
            }
        }
        codes.extend_from_slice(self.errors);
        codes.sort();
        codes.dedup();
        codes
    }
}

/// The access rule of an organization route without a subject.
pub const fn org(need: Need, effect: Effect) -> Access {
    Access::Org(OrgRule {
        need,
        effect,
        subject: None,
        also: None,
        seats: false,
    })
}

/// The access rule of an organization route that acts on `subject`.
pub const fn org_on(need: Need, effect: Effect, subject: Subject) -> Access {
    Access::Org(OrgRule {
        need,
        effect,
        subject: Some(subject),
        also: None,
        seats: false,
    })
}

/// The access rule of an organization route that acts on `subject` and needs `also` read with it.
pub const fn org_on_with(need: Need, effect: Effect, subject: Subject, also: Subject) -> Access {
    Access::Org(OrgRule {
        need,
        effect,
        subject: Some(subject),
        also: Some(also),
        seats: false,
    })
}

impl Access {
    /// The same rule, with the organization's seats read with the caller's access (the routes
    /// that reserve, release or count seats).
    pub const fn reading_seats(self) -> Access {
        match self {
            Access::Org(rule) => Access::Org(OrgRule {
                seats: true,
                ..rule
            }),
            other => other,
        }
    }
}

/// A handler for any signed-in user: `user_handler!(crate::concept::handlers::operation)`.
#[macro_export]
macro_rules! user_handler {
    ($f:path) => {
        $crate::pipeline::Handler::User(|app, caller, input| Box::pin($f(app, caller, input)))
    };
}

/// A handler for another service's route: `service_handler!(crate::concept::handlers::operation)`.
#[macro_export]
macro_rules! service_handler {
    ($f:path) => {
        $crate::pipeline::Handler::Service(|app, input| Box::pin($f(app, input)))
    };
}

/// A handler for organization routes: the pipeline reads the access the operation's context names, checks
/// need and state, then runs it: `org_handler!(crate::concept::handlers::operation)`.
#[macro_export]
macro_rules! org_handler {
    ($f:path) => {
        $crate::pipeline::Handler::Org(|app, caller, input, rule| {
            Box::pin($crate::pipeline::run_org(app, caller, input, rule, $f))
        })
    };
}
