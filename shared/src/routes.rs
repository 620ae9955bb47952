//! The index of every function: the routes the concepts define and the non-HTTP workers. It is
//! the single source the cargo-lambda router, the SAM template, the OpenAPI spec, the README's
//! route table and the authorization tests are checked against (tests/tests/api/route_table.rs).
//! It lists; it defines nothing.

pub use crate::access::routes::*;
pub use crate::audit::routes::*;
pub use crate::closure::routes::*;
pub use crate::integrations::routes::*;
pub use crate::invitations::routes::*;
pub use crate::members::routes::*;
pub use crate::orgs::routes::*;
pub use crate::pipeline::{Access, Dynamo, Effect, Need, Place, RouteDef, Secrets};
pub use crate::projects::routes::*;
pub use crate::settings::routes::*;
pub use crate::subscription::routes::*;
pub use crate::teams::routes::*;

/// Every HTTP route. Each route is its own static so a function binary references (and links)
/// only its own handler.
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
    &LIST_TEAMS,
    &CREATE_TEAM,
    &GET_TEAM,
    &UPDATE_TEAM,
    &DELETE_TEAM,
    &ADD_TEAM_MEMBER,
    &REMOVE_TEAM_MEMBER,
    &LIST_PROJECTS,
    &CREATE_PROJECT,
    &GET_PROJECT,
    &UPDATE_PROJECT,
    &DELETE_PROJECT,
    &LIST_PROJECT_ACCESS,
    &GRANT_PROJECT_ACCESS,
    &REVOKE_PROJECT_ACCESS,
    &LIST_INTEGRATIONS,
    &CREATE_INTEGRATION,
    &GET_INTEGRATION,
    &UPDATE_INTEGRATION,
    &DELETE_INTEGRATION,
    &ROTATE_INTEGRATION_SECRET,
    &SET_DEFAULT_STORAGE,
    &CLOSURE_IMPACT,
    &CLOSE_ORG,
    &REACTIVATE_ORG,
    &GET_CLEANUP_POLICY,
    &PUT_CLEANUP_POLICY,
    &GET_AUTHENTICATION_POLICY,
    &PUT_AUTHENTICATION_POLICY,
    &GET_NOTIFICATION_PREFERENCES,
    &PUT_NOTIFICATION_PREFERENCES,
];

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
    /// The table's stream, filtered to new audit entries (and tombstones); publishes them to EventBridge.
    AuditStream,
    /// An EventBridge schedule (every hour), with a dead-letter queue.
    HourlySchedule,
    /// The table's stream, filtered to new audit entries of the events that may notify; emails
    /// the owner and admins through SES.
    NotificationStream,
}

/// The stream filter of a stream-triggered function (an event source mapping's FilterCriteria
/// pattern; the template's and the local stream poller's).
pub fn stream_pattern(trigger: Trigger) -> Option<String> {
    match trigger {
        Trigger::AuditStream => Some(
            r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity_type": {"S": ["audit", "tombstone"]}}}}"#.to_string(),
        ),
        Trigger::NotificationStream => {
            let events: Vec<String> = crate::settings::notifications::NOTIFYING_EVENTS
                .iter()
                .map(|e| format!("\"{e}\""))
                .collect();
            Some(format!(
                r#"{{"eventName": ["INSERT"], "dynamodb": {{"NewImage": {{"entity_type": {{"S": ["audit"]}}, "eventType": {{"S": [{}]}}}}}}}}"#,
                events.join(", ")
            ))
        }
        Trigger::CognitoPostConfirmation | Trigger::HourlySchedule => None,
    }
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
}

pub static WORKERS: &[WorkerDef] = &[
    WorkerDef {
        function: "create-personal-org",
        summary: "Cognito post-confirmation trigger: creates the new user's personal organization (idempotent).",
        trigger: Trigger::CognitoPostConfirmation,
        dynamo: &[Dynamo::PutItem, Dynamo::UpdateItem],
        ses: false,
        secrets: &[],
    },
    WorkerDef {
        function: "publish-events",
        summary: "Forwards committed audit entries (the outbox) from the table's stream to EventBridge.",
        trigger: Trigger::AuditStream,
        dynamo: &[],
        ses: false,
        secrets: &[],
    },
    WorkerDef {
        function: "purge-closed-orgs",
        summary: "Hourly: purges organizations whose 30-day grace ended (scrubs their secrets, deletes their items, leaves a tombstone); reminds owners 7 days and 1 day before; sweeps integration secrets no item names and finishes promotions a rotation left undone.",
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
    },
];
