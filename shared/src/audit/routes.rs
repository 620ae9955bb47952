use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{org, Dynamo::*, Effect::Read, Need, RouteDef};

pub static LIST_AUDIT_LOG: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/audit-log",
    function: "list-audit-log",
    summary: "The audit log, newest first; filters action, actorId, from, to.",
    access: org(Need::Perm(Permission::AuditRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_audit_log),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&LIST_AUDIT_LOG];
