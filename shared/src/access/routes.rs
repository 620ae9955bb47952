use super::handlers;
use crate::error::Code::*;
use crate::pipeline::{org, Access, Dynamo::*, Effect::Read, Need, RouteDef};

pub static GET_MY_ACCESS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/me",
    function: "get-my-access",
    summary: "My role and permissions in an organization.",
    access: org(Need::Any, Read),
    dynamo: &[BatchGetItem],
    ses: false,
    code_key: false,
    errors: &[],
    handler: crate::org_handler!(handlers::get_my_access),
};

pub static AUTHORIZE: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/authorize",
    function: "authorize",
    summary: "Check a batch of permissions for the caller.",
    access: org(Need::Any, Read),
    dynamo: &[BatchGetItem],
    ses: false,
    code_key: false,
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        UnknownPermission,
    ],
    handler: crate::org_handler!(handlers::authorize),
};

pub static LIST_ROLES: RouteDef = RouteDef {
    method: "GET",
    path: "/roles",
    function: "list-roles",
    summary: "The permission matrix: every role and permission.",
    access: Access::User,
    dynamo: &[],
    ses: false,
    code_key: false,
    errors: &[],
    handler: crate::user_handler!(handlers::list_roles),
};
