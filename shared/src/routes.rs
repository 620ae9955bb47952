//! The index of every function: the routes the concepts define and the non-HTTP workers. It is
//! the single source the cargo-lambda router, the SAM template, the OpenAPI spec, docs/routes.md's
//! route table and the authorization tests are checked against (tests/tests/api/route_table.rs).
//! It lists; it defines nothing.

pub use crate::access::routes::*;
pub use crate::api_keys::routes::*;
pub use crate::audit::routes::*;
pub use crate::closure::routes::*;
pub use crate::directory::routes::*;
pub use crate::domains::routes::*;
pub use crate::integrations::routes::*;
pub use crate::invitations::routes::*;
pub use crate::members::routes::*;
pub use crate::orgs::routes::*;
pub use crate::pipeline::{Access, Dynamo, Effect, Need, Place, RouteDef, Secrets, ServerKey};
pub use crate::projects::routes::*;
pub use crate::roles::routes::*;
pub use crate::settings::routes::*;
pub use crate::subscription::routes::*;
pub use crate::teams::routes::*;
pub use crate::webhooks::routes::*;

/// A concept: its folder's name (the OpenAPI tag of its operations, described by `summary`) and
/// the routes its `routes.rs` lists.
pub struct Concept {
    pub name: &'static str,
    pub summary: &'static str,
    pub routes: &'static [&'static RouteDef],
}

/// Every concept with routes, in the order of the generated files.
pub static CONCEPTS: &[Concept] = &[
    Concept {
        name: "orgs",
        summary: "Organizations: create, read, rename, your organizations.",
        routes: crate::orgs::routes::ROUTES,
    },
    Concept {
        name: "access",
        summary:
            "Your access in an organization, permission checks for other services, the role matrix.",
        routes: crate::access::routes::ROUTES,
    },
    Concept {
        name: "roles",
        summary: "The organization's roles: the six system roles and its custom roles.",
        routes: crate::roles::routes::ROUTES,
    },
    Concept {
        name: "members",
        summary: "Members, their roles, removal and the ownership transfer.",
        routes: crate::members::routes::ROUTES,
    },
    Concept {
        name: "audit",
        summary: "The audit log of every change.",
        routes: crate::audit::routes::ROUTES,
    },
    Concept {
        name: "invitations",
        summary:
            "Invitations by email: create, resend, revoke, clean up; preview and accept by code.",
        routes: crate::invitations::routes::ROUTES,
    },
    Concept {
        name: "subscription",
        summary: "The plan and its seats.",
        routes: crate::subscription::routes::ROUTES,
    },
    Concept {
        name: "teams",
        summary: "Teams and their members.",
        routes: crate::teams::routes::ROUTES,
    },
    Concept {
        name: "projects",
        summary: "Projects and who may do what in each (members and teams).",
        routes: crate::projects::routes::ROUTES,
    },
    Concept {
        name: "integrations",
        summary: "Third-party services and their credentials (kept in Secrets Manager).",
        routes: crate::integrations::routes::ROUTES,
    },
    Concept {
        name: "closure",
        summary: "Closing an organization with a grace period, and reactivating it.",
        routes: crate::closure::routes::ROUTES,
    },
    Concept {
        name: "settings",
        summary: "Authentication, notification and cleanup policies, the default storage.",
        routes: crate::settings::routes::ROUTES,
    },
    Concept {
        name: "domains",
        summary: "Verified email domains and how people there join: automatic invitations and membership requests.",
        routes: crate::domains::routes::ROUTES,
    },
    Concept {
        name: "api_keys",
        summary:
            "Organization API keys for machines, and their verification by the platform's services.",
        routes: crate::api_keys::routes::ROUTES,
    },
    Concept {
        name: "directory",
        summary: "Directory sync: SCIM tokens, and the SCIM 2.0 service provider an identity provider (Okta, Entra ID) provisions people and groups through.",
        routes: crate::directory::routes::ROUTES,
    },
    Concept {
        name: "webhooks",
        summary: "Signed webhooks (Standard Webhooks): the organization's endpoints, their delivery logs, tests and resends.",
        routes: crate::webhooks::routes::ROUTES,
    },
];

/// Every HTTP route: the concepts' lists one after the other. Each route is its own static, so a
/// function binary references (and links) only its own handler.
pub static ROUTES: &[&RouteDef] = &concat::<{ count(CONCEPTS) }>(CONCEPTS);

const fn count(concepts: &[Concept]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < concepts.len() {
        n += concepts[i].routes.len();
        i += 1;
    }
    n
}

const fn concat<const N: usize>(concepts: &[Concept]) -> [&'static RouteDef; N] {
    let mut out = [concepts[0].routes[0]; N];
    let (mut i, mut k) = (0, 0);
    while i < concepts.len() {
        let mut j = 0;
        while j < concepts[i].routes.len() {
            out[k] = concepts[i].routes[j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The concept a route belongs to.
pub fn concept_of(route: &RouteDef) -> &'static str {
    CONCEPTS
        .iter()
        .find(|c| c.routes.iter().any(|r| r.function == route.function))
        .map(|c| c.name)
        .expect("every route is in a concept's list")
}

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
        .filter(|r| r.method == method || r.method == "ANY")
        .find_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').collect();
            // A greedy last segment (`{proxy+}`) takes the rest of the path, one segment or more.
            let greedy = pattern.last().is_some_and(|p| p.ends_with("+}"));
            let fits = match greedy {
                true => segments.len() >= pattern.len(),
                false => segments.len() == pattern.len(),
            };
            if !fits {
                return None;
            }
            let mut params = Vec::new();
            if greedy {
                let name = pattern[pattern.len() - 1].trim_matches(['{', '}', '+']);
                let rest = segments[pattern.len() - 1..].join("/");
                if rest.is_empty() {
                    return None;
                }
                params.push((name.to_string(), rest));
            }
            let fixed = pattern.len() - usize::from(greedy);
            for (p, s) in pattern[..fixed].iter().zip(&segments) {
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
    /// The table's stream, filtered to new audit entries (and tombstones); publishes them to EventBridge.
    AuditStream,
    /// An EventBridge schedule (every hour), with a dead-letter queue.
    HourlySchedule,
    /// The table's stream, filtered to new audit entries of the events that may notify; emails
    /// the owner and admins through SES.
    NotificationStream,
    /// The table's stream, filtered to new audit entries of the changes that leave team
    /// memberships to clean up (a team deleted, a member removed).
    RemovalStream,
    /// The table's stream, filtered to new audit entries and new webhook attempts: makes each
    /// event's messages and sends each attempt.
    WebhookStream,
    /// An EventBridge schedule (every minute), with a dead-letter queue.
    MinuteSchedule,
    /// The HTTP API's Lambda authorizer of the organization routes (a person's JWT, or an API
    /// key's shape: `crate::authorizer`).
    ApiAuthorizer,
}

/// The stream filter of a stream-triggered function (an event source mapping's FilterCriteria
/// pattern; the template's and the local stream poller's).
pub fn stream_pattern(trigger: Trigger) -> Option<String> {
    match trigger {
        Trigger::AuditStream => Some(
            r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity_type": {"S": ["audit", "tombstone"]}}}}"#.to_string(),
        ),
        Trigger::NotificationStream => Some(new_audit_entries(
            "eventType",
            crate::settings::notifications::NOTIFYING_EVENTS,
        )),
        Trigger::RemovalStream => Some(new_audit_entries(
            "action",
            crate::teams::cleanup::CLEANED_UP_ACTIONS,
        )),
        Trigger::WebhookStream => Some(
            r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity_type": {"S": ["audit", "webhook_attempt"]}}}}"#.to_string(),
        ),
        Trigger::CognitoPostConfirmation
        | Trigger::HourlySchedule
        | Trigger::MinuteSchedule
        | Trigger::ApiAuthorizer => None,
    }
}

/// The pattern of new audit entries whose `attribute` is one of `values`.
fn new_audit_entries(attribute: &str, values: &[&str]) -> String {
    let values: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    format!(
        r#"{{"eventName": ["INSERT"], "dynamodb": {{"NewImage": {{"entity_type": {{"S": ["audit"]}}, "{attribute}": {{"S": [{}]}}}}}}}}"#,
        values.join(", ")
    )
}

/// A function that is not an HTTP route.
pub struct WorkerDef {
    pub function: &'static str,
    pub summary: &'static str,
    pub trigger: Trigger,
    pub dynamo: &'static [Dynamo],
    /// Whether the function sends email through SES.
    pub ses: bool,
    pub secrets: &'static [Secrets],
    /// The server keys it needs (in its environment, checked at cold start).
    pub keys: &'static [ServerKey],
}

pub static WORKERS: &[WorkerDef] = &[
    WorkerDef {
        function: "authorize-caller",
        summary: "The HTTP API's authorizer of the organization routes: a person's JWT as the JWT authorizer checks it (claims passed on), or a string of an API key's shape (the route verifies the key itself).",
        trigger: Trigger::ApiAuthorizer,
        dynamo: &[],
        ses: false,
        secrets: &[],
        keys: &[],
    },
    WorkerDef {
        function: "create-personal-org",
        summary: "Cognito post-confirmation trigger: creates the new user's personal organization (idempotent).",
        trigger: Trigger::CognitoPostConfirmation,
        dynamo: &[Dynamo::PutItem, Dynamo::UpdateItem],
        ses: false,
        secrets: &[],
        keys: &[],
    },
    WorkerDef {
        function: "publish-events",
        summary: "Forwards committed audit entries (the outbox) from the table's stream to EventBridge.",
        trigger: Trigger::AuditStream,
        dynamo: &[],
        ses: false,
        secrets: &[],
        keys: &[],
    },
    WorkerDef {
        function: "purge-closed-orgs",
        summary: "Hourly: purges organizations whose 30-day grace ended (scrubs their secrets, deletes their items, leaves a tombstone); reminds owners 7 days and 1 day before; sweeps integration secrets no item names and finishes promotions a rotation left undone; re-checks each verified domain's TXT record once a UTC day (3 days missing: unverified).",
        trigger: Trigger::HourlySchedule,
        dynamo: &[
            Dynamo::Query,
            Dynamo::BatchGetItem,
            Dynamo::BatchWriteItem,
            Dynamo::UpdateItem,
            Dynamo::DeleteItem,
            Dynamo::PutItem,
        ],
        ses: true,
        secrets: &[
            Secrets::ListSecrets,
            Secrets::DescribeSecret,
            Secrets::DeleteSecret,
            Secrets::UpdateSecretVersionStage,
        ],
        keys: &[],
    },
    WorkerDef {
        function: "send-notifications",
        summary: "Emails the owner and admins about the events their notification preferences name (from the table's stream; once per event and recipient).",
        trigger: Trigger::NotificationStream,
        dynamo: &[
            Dynamo::BatchGetItem,
            Dynamo::Query,
            Dynamo::PutItem,
            Dynamo::UpdateItem,
            Dynamo::DeleteItem,
        ],
        ses: true,
        secrets: &[],
        keys: &[],
    },
    WorkerDef {
        function: "finish-removals",
        summary: "Removes the team memberships a deleted team or a removed member left (from the table's stream; idempotent, resumes where a failed run stopped).",
        trigger: Trigger::RemovalStream,
        dynamo: &[
            Dynamo::Query,
            Dynamo::UpdateItem,
            Dynamo::DeleteItem,
            Dynamo::BatchWriteItem,
            Dynamo::ConditionCheckItem,
        ],
        ses: false,
        secrets: &[],
        keys: &[],
    },
    WorkerDef {
        function: "deliver-webhooks",
        summary: "Makes each committed event's webhook messages (one per endpoint that wants it) and sends every new attempt, signed (Standard Webhooks), recording its outcome (from the table's stream).",
        trigger: Trigger::WebhookStream,
        dynamo: &[
            Dynamo::Query,
            Dynamo::BatchGetItem,
            Dynamo::PutItem,
            Dynamo::UpdateItem,
            Dynamo::ConditionCheckItem,
        ],
        ses: false,
        secrets: &[],
        keys: &[ServerKey::ApiKeyHash],
    },
    WorkerDef {
        function: "retry-webhooks",
        summary: "Every minute: claims the webhook retries that are due (Svix's schedule) for deliver-webhooks to send, and disables endpoints whose every attempt has failed for 5 days.",
        trigger: Trigger::MinuteSchedule,
        dynamo: &[
            Dynamo::Query,
            Dynamo::PutItem,
            Dynamo::UpdateItem,
        ],
        ses: false,
        secrets: &[],
        keys: &[],
    },
];
