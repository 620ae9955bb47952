use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, Access, Dynamo::*, Effect::*, Need, RouteDef};

pub static CREATE_ORG: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs",
    function: "create-org",
    summary: "Create an organization; the caller becomes its owner.",
    access: Access::User,
    dynamo: &[PutItem, UpdateItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        SlugTaken,
        OrgLimitReached,
        ConcurrentUpdate,
    ],
    body: body::<handlers::CreateOrg>(),
    handler: crate::user_handler!(handlers::create_org),
};

pub static LIST_MY_ORGS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs",
    function: "list-my-orgs",
    summary: "My organizations with my role and their status; creates my personal organization if I have none.",
    access: Access::User,
    dynamo: &[Query, BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor, ConcurrentUpdate],
    body: None,
    handler: crate::user_handler!(handlers::list_my_orgs),
};

pub static GET_ORG: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}",
    function: "get-org",
    summary: "Read an organization.",
    access: org(Need::Perm(Permission::OrgRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_org),
};

pub static UPDATE_ORG: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}",
    function: "update-org",
    summary: "Update name, slug, settings or billing profile.",
    access: org(Need::Perm(Permission::OrgUpdate), Write),
    dynamo: &[
        BatchGetItem,
        PutItem,
        UpdateItem,
        DeleteItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        PersonRequired,
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        NothingToUpdate,
        SlugTaken,
        ConcurrentUpdate,
    ],
    body: body::<handlers::UpdateOrg>(),
    handler: crate::org_handler!(handlers::update_org),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&CREATE_ORG, &LIST_MY_ORGS, &GET_ORG, &UPDATE_ORG];
