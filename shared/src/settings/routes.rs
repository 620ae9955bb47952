use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{org, Dynamo::*, Effect::*, Need, RouteDef};

pub static GET_CLEANUP_POLICY: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/settings/cleanup-policy",
    function: "get-cleanup-policy",
    summary: "The cleanup policy the platform's services enforce.",
    access: org(Need::Perm(Permission::CleanupPolicyRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    code_key: false,
    errors: &[],
    handler: crate::org_handler!(handlers::get_cleanup_policy),
};

pub static PUT_CLEANUP_POLICY: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/settings/cleanup-policy",
    function: "put-cleanup-policy",
    summary: "Replace the cleanup policy (every afterDays 1 to 365).",
    access: org(Need::Perm(Permission::CleanupPolicyManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    code_key: false,
    errors: &[BodyRequired, InvalidBody, ValidationFailed],
    handler: crate::org_handler!(handlers::put_cleanup_policy),
};
