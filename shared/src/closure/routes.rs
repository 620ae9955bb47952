use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, Dynamo::*, Effect::*, Need, RouteDef};

pub static CLOSURE_IMPACT: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/closure-impact",
    function: "closure-impact",
    summary: "What closing the organization would affect (owner).",
    access: org(Need::Perm(Permission::OrgClosureImpact), Read).reading_seats(),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::closure_impact),
};

pub static CLOSE_ORG: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/close",
    function: "close-org",
    summary: "Close the organization (owner; the typed name confirms): read-only for 30 days, then purged.",
    access: org(Need::Perm(Permission::OrgClose), Write).reading_seats(),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ConfirmationMismatch,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<handlers::CloseOrg>(),
    handler: crate::org_handler!(handlers::close),
};

pub static REACTIVATE_ORG: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/reactivate",
    function: "reactivate-org",
    summary: "Reactivate a closed organization during its grace period (owner).",
    access: org(Need::Perm(Permission::OrgReactivate), Reactivate),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[PurgeStarted],
    body: None,
    handler: crate::org_handler!(handlers::reactivate),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&CLOSURE_IMPACT, &CLOSE_ORG, &REACTIVATE_ORG];
