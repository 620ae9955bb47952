use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{org, Dynamo::*, Effect::*, Need, RouteDef};

pub static GET_SUBSCRIPTION: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/subscription",
    function: "get-subscription",
    summary: "Plan and seat usage (members plus remaining uses of pending invitations).",
    access: org(Need::Perm(Permission::SubscriptionRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    handler: crate::org_handler!(handlers::get_subscription),
};

pub static CHANGE_PLAN: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/subscription",
    function: "change-plan",
    summary: "Change the plan (owner); refused if the seats in use exceed the new limit.",
    access: org(Need::Perm(Permission::SubscriptionManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        SeatsExceedPlan,
        ConcurrentUpdate,
    ],
    handler: crate::org_handler!(handlers::change_plan),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&GET_SUBSCRIPTION, &CHANGE_PLAN];
