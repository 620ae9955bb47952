//! The route table: the single source the cargo-lambda router, the SAM template, the OpenAPI spec
//! and the authorization tests are checked against (tests/tests/route_table.rs, authorization.rs).

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::http::{Input, OrgCtx, Reply};
use crate::permissions::Permission;
use crate::App;
use lambda_http::BoxFuture;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Access {
    /// Any authenticated user.
    User,
    /// A member of the organization in `{orgId}`, with `need`; `effect` decides what the
    /// organization's state allows; `target` names a membership to read with the caller's.
    Org {
        need: Need,
        effect: Effect,
        target: Target,
    },
}

/// Where an organization route names the member it acts on, so the pipeline reads that
/// membership in the same request as the caller's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    None,
    /// `{userId}` in the path.
    PathUser,
    /// `userId` in the JSON body.
    BodyUser,
    /// `{invitationId}` in the path.
    PathInvitation,
}

/// What the caller's role must allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// Any member, guests included.
    Member,
    Perm(Permission),
    /// The permission, or the `{userId}` in the path is the caller (leaving, for example).
    PermOrSelf(Permission),
    /// `invitations.create`, or any developer and above when the organization's `invitePolicy` is `members`.
    Invite,
}

/// What an organization route does to the organization, for the state check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Allowed in every state.
    Read,
    /// Refused while the organization is closed (grace).
    Write,
    /// Allowed only while the organization is closed.
    Reactivate,
}

pub type UserOp = fn(App, Caller, Input) -> BoxFuture<'static, ApiResult<Reply>>;
pub type OrgOp = fn(App, OrgCtx, Input) -> BoxFuture<'static, ApiResult<Reply>>;

#[derive(Clone, Copy)]
pub enum Handler {
    User(UserOp),
    Org(OrgOp),
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
    pub handler: Handler,
}

impl RouteDef {
    pub fn permission(&self) -> Option<Permission> {
        match self.access {
            Access::Org {
                need: Need::Perm(p) | Need::PermOrSelf(p),
                ..
            } => Some(p),
            Access::Org {
                need: Need::Invite, ..
            } => Some(Permission::InvitationsCreate),
            _ => None,
        }
    }
}

macro_rules! user {
    ($f:path) => {
        Handler::User(|app, caller, input| Box::pin($f(app, caller, input)))
    };
}
macro_rules! org {
    ($f:path) => {
        Handler::Org(|app, ctx, input| Box::pin($f(app, ctx, input)))
    };
}

use Dynamo::*;
use Effect::*;

const fn org(need: Need, effect: Effect) -> Access {
    Access::Org {
        need,
        effect,
        target: Target::None,
    }
}

const fn org_on(need: Need, effect: Effect, target: Target) -> Access {
    Access::Org {
        need,
        effect,
        target,
    }
}

/// Every HTTP route. Adding a route here is the only way to add one. Each route is its own static so a
/// function binary references (and links) only its own handler.
pub static ROUTES: &[&RouteDef] = &[
    &CREATE_ORG,
    &LIST_MY_ORGS,
    &GET_ORG,
    &UPDATE_ORG,
    &GET_MY_ACCESS,
    &AUTHORIZE,
    &LIST_ROLES,
    &LIST_MEMBERS,
    &CHANGE_MEMBER_ROLE,
    &REMOVE_MEMBER,
    &TRANSFER_OWNERSHIP,
    &LIST_AUDIT_LOG,
    &CREATE_INVITATION,
    &LIST_INVITATIONS,
    &GET_INVITATION_CODE,
    &RESEND_INVITATION,
    &REVOKE_INVITATION,
    &CLEANUP_INVITATIONS,
    &PREVIEW_INVITATION,
    &ACCEPT_INVITATION,
    &LIST_MY_INVITATIONS,
    &GET_SUBSCRIPTION,
    &CHANGE_PLAN,
];

pub static CREATE_ORG: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs",
    function: "create-org",
    summary: "Create an organization; the caller becomes its owner.",
    access: Access::User,
    dynamo: &[PutItem, UpdateItem],
    ses: false,
    handler: user!(crate::orgs::create_org),
};

pub static LIST_MY_ORGS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs",
    function: "list-my-orgs",
    summary: "My organizations with my role and their status; creates my personal organization if I have none.",
    access: Access::User,
    dynamo: &[Query, BatchGetItem, PutItem, UpdateItem],
    ses: false,
    handler: user!(crate::orgs::list_my_orgs),
};

pub static GET_ORG: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}",
    function: "get-org",
    summary: "Read an organization.",
    access: org(Need::Perm(Permission::OrgRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    handler: org!(crate::orgs::get_org),
};

pub static UPDATE_ORG: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}",
    function: "update-org",
    summary: "Update name, slug, settings or billing profile.",
    access: org(Need::Perm(Permission::OrgUpdate), Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, DeleteItem],
    ses: false,
    handler: org!(crate::orgs::update_org),
};

pub static GET_MY_ACCESS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/me",
    function: "get-my-access",
    summary: "My role and permissions in an organization.",
    access: org(Need::Member, Read),
    dynamo: &[BatchGetItem],
    ses: false,
    handler: org!(crate::access::get_my_access),
};

pub static AUTHORIZE: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/authorize",
    function: "authorize",
    summary: "Check a batch of permissions for the caller.",
    access: org(Need::Member, Read),
    dynamo: &[BatchGetItem],
    ses: false,
    handler: org!(crate::access::authorize),
};

pub static LIST_ROLES: RouteDef = RouteDef {
    method: "GET",
    path: "/roles",
    function: "list-roles",
    summary: "The permission matrix: every role and permission.",
    access: Access::User,
    dynamo: &[],
    ses: false,
    handler: user!(crate::access::list_roles),
};

pub static LIST_MEMBERS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/members",
    function: "list-members",
    summary: "Members with their roles, paginated; filter by role.",
    access: org(Need::Perm(Permission::MembersRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    handler: org!(crate::members::list_members),
};

pub static CHANGE_MEMBER_ROLE: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/members/{userId}",
    function: "change-member-role",
    summary: "Change a member's role (never to or above owner, never above your own).",
    access: org_on(
        Need::Perm(Permission::MembersUpdate),
        Write,
        Target::PathUser,
    ),
    dynamo: &[BatchGetItem, UpdateItem, ConditionCheckItem, PutItem],
    ses: false,
    handler: org!(crate::members::change_role),
};

pub static REMOVE_MEMBER: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/members/{userId}",
    function: "remove-member",
    summary: "Remove a member, or leave (yourself); the owner can do neither.",
    access: org_on(
        Need::PermOrSelf(Permission::MembersRemove),
        Write,
        Target::PathUser,
    ),
    dynamo: &[
        BatchGetItem,
        DeleteItem,
        UpdateItem,
        ConditionCheckItem,
        PutItem,
    ],
    ses: false,
    handler: org!(crate::members::remove_member),
};

pub static TRANSFER_OWNERSHIP: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/ownership-transfer",
    function: "transfer-ownership",
    summary: "Make another member the owner; the old owner becomes admin.",
    access: org_on(Need::Perm(Permission::OrgTransfer), Write, Target::BodyUser),
    dynamo: &[BatchGetItem, UpdateItem, PutItem],
    ses: false,
    handler: org!(crate::members::transfer_ownership),
};

pub static LIST_AUDIT_LOG: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/audit-log",
    function: "list-audit-log",
    summary: "The audit log, newest first; filters action, actorId, from, to.",
    access: org(Need::Perm(Permission::AuditRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    handler: org!(crate::audit::list_audit_log),
};

pub static CREATE_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations",
    function: "create-invitation",
    summary:
        "Invite by email with a role (never above your own); reserves seats and sends the email.",
    access: org(Need::Invite, Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: true,
    handler: org!(crate::invitations::create_invitation),
};

pub static LIST_INVITATIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/invitations",
    function: "list-invitations",
    summary: "Invitations with their status and uses, paginated.",
    access: org(Need::Perm(Permission::InvitationsRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    handler: org!(crate::invitations::list_invitations),
};

pub static GET_INVITATION_CODE: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/invitations/{invitationId}/code",
    function: "get-invitation-code",
    summary: "The code and link of a pending invitation, to copy.",
    access: org_on(
        Need::Perm(Permission::InvitationsCode),
        Read,
        Target::PathInvitation,
    ),
    dynamo: &[BatchGetItem],
    ses: false,
    handler: org!(crate::invitations::get_code),
};

pub static RESEND_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations/{invitationId}/resend",
    function: "resend-invitation",
    summary: "A new expiry window and the email again (rate-limited).",
    access: org_on(
        Need::Perm(Permission::InvitationsResend),
        Write,
        Target::PathInvitation,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem],
    ses: true,
    handler: org!(crate::invitations::resend),
};

pub static REVOKE_INVITATION: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/invitations/{invitationId}",
    function: "revoke-invitation",
    summary: "Revoke an invitation; its remaining seats are released.",
    access: org_on(
        Need::Perm(Permission::InvitationsRevoke),
        Write,
        Target::PathInvitation,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem],
    ses: false,
    handler: org!(crate::invitations::revoke),
};

pub static CLEANUP_INVITATIONS: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations/cleanup",
    function: "cleanup-invitations",
    summary: "Remove expired, revoked and used-up invitations (in batches; follow nextCursor).",
    access: org(Need::Perm(Permission::InvitationsCleanup), Write),
    dynamo: &[BatchGetItem, Query, DeleteItem, UpdateItem, PutItem],
    ses: false,
    handler: org!(crate::invitations::cleanup),
};

pub static PREVIEW_INVITATION: RouteDef = RouteDef {
    method: "GET",
    path: "/invitations/{code}",
    function: "preview-invitation",
    summary: "What an invitation offers: organization, role, inviter, expiry.",
    access: Access::User,
    dynamo: &[BatchGetItem],
    ses: false,
    handler: user!(crate::invitations::preview),
};

pub static ACCEPT_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/invitations/{code}/accept",
    function: "accept-invitation",
    summary: "Join the organization with the invitation.",
    access: Access::User,
    dynamo: &[BatchGetItem, UpdateItem, PutItem],
    ses: false,
    handler: user!(crate::invitations::accept),
};

pub static LIST_MY_INVITATIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/me/invitations",
    function: "list-my-invitations",
    summary: "Pending invitations addressed to my verified email.",
    access: Access::User,
    dynamo: &[Query, BatchGetItem],
    ses: false,
    handler: user!(crate::invitations::list_mine),
};

pub static GET_SUBSCRIPTION: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/subscription",
    function: "get-subscription",
    summary: "Plan and seat usage (members plus remaining uses of pending invitations).",
    access: org(Need::Perm(Permission::SubscriptionRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    handler: org!(crate::subscription::get_subscription),
};

pub static CHANGE_PLAN: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/subscription",
    function: "change-plan",
    summary: "Change the plan (owner); refused if the seats in use exceed the new limit.",
    access: org(Need::Perm(Permission::SubscriptionManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem],
    ses: false,
    handler: org!(crate::subscription::change_plan),
};

/// The route a function serves; panics at cold start if the binary names an unknown function.
pub fn route(function: &str) -> &'static RouteDef {
    ROUTES
        .iter()
        .copied()
        .find(|r| r.function == function)
        .unwrap_or_else(|| panic!("no route for function {function}"))
}

/// Matches a concrete method and path against the table (for tests and tools);
/// returns the route and the path parameters.
pub fn match_route(method: &str, path: &str) -> Option<(&'static RouteDef, Vec<(String, String)>)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ROUTES
        .iter()
        .copied()
        .filter(|r| r.method == method)
        .find_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').collect();
            if pattern.len() != segments.len() {
                return None;
            }
            let mut params = Vec::new();
            for (p, s) in pattern.iter().zip(&segments) {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name.to_string(), s.to_string()));
                } else if p != s {
                    return None;
                }
            }
            Some((r, params))
        })
}

/// What triggers a function that is not an HTTP route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Cognito's post-confirmation trigger (attached to the platform's user pool).
    CognitoPostConfirmation,
    /// The table's stream, filtered to new audit entries; publishes them to EventBridge.
    AuditStream,
}

/// A function that is not an HTTP route.
pub struct WorkerDef {
    pub function: &'static str,
    pub summary: &'static str,
    pub trigger: Trigger,
    pub dynamo: &'static [Dynamo],
}

pub static WORKERS: &[WorkerDef] = &[
    WorkerDef {
        function: "create-personal-org",
        summary: "Cognito post-confirmation trigger: creates the new user's personal organization (idempotent).",
        trigger: Trigger::CognitoPostConfirmation,
        dynamo: &[PutItem, UpdateItem],
    },
    WorkerDef {
        function: "publish-events",
        summary: "Forwards committed audit entries (the outbox) from the table's stream to EventBridge.",
        trigger: Trigger::AuditStream,
        dynamo: &[],
    },
];
