use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, Access, Dynamo::*, Effect::*, Need, RouteDef};

pub static GET_SUBSCRIPTION: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/subscription",
    function: "get-subscription",
    summary: "Plan and seat usage (members plus remaining uses of pending invitations), the catalogue's plans and the billing portal where the owner changes the plan.",
    access: org(Need::Perm(Permission::SubscriptionRead), Read).reading_seats(),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_subscription),
};

pub static SET_PLAN: RouteDef = RouteDef {
    method: "PUT",
    path: "/billing/orgs/{orgId}/subscription",
    function: "set-plan",
    summary: "For the platform's billing system (IAM authorization): set an organization's plan; refused if the seats in use exceed the new limit.",
    access: Access::Service,
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        OrgNotFound,
        OrgClosed,
        SeatsExceedPlan,
        ConcurrentUpdate,
    ],
    body: body::<handlers::SetPlan>(),
    handler: crate::service_handler!(handlers::set_plan),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&GET_SUBSCRIPTION, &SET_PLAN];
