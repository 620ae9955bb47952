use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, org_on, Dynamo::*, Effect::*, Need, Place, RouteDef, Subject};

/// The role a path's `{roleId}` names: its own item, read with the access (the definition is on
/// the organization item; a role from before its item existed has none).
const PATH_ROLE: Subject = Subject {
    param: "roleId",
    at: Place::Path,
    key: super::item::RoleItem::key_in,
    missing: super::handlers::role_not_found,
};

pub static LIST_ORG_ROLES: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/roles",
    function: "list-org-roles",
    summary: "The organization's roles: the six system roles, then its custom roles, each with its permissions and the project role it gives (one page).",
    access: org(Need::Perm(Permission::RolesRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::list_org_roles),
};

pub static CREATE_ROLE: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/roles",
    function: "create-role",
    summary: "Create a custom role: permissions within your own (never owner-only ones) and a project role not above yours; at most 20 per organization.",
    access: org(Need::Perm(Permission::RolesManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        UnknownPermission,
        RoleAboveYours,
        RoleNameTaken,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<handlers::CreateRole>(),
    handler: crate::org_handler!(handlers::create_role),
};

pub static UPDATE_ROLE: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/roles/{roleId}",
    function: "update-role",
    summary: "Rename a custom role or change its permissions or project role; every holder has the new definition on their next request.",
    access: org_on(Need::Perm(Permission::RolesManage), Write, PATH_ROLE),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        NothingToUpdate,
        UnknownPermission,
        RoleNotFound,
        RoleAboveYours,
        RoleNameTaken,
        ConcurrentUpdate,
    ],
    body: body::<handlers::UpdateRole>(),
    handler: crate::org_handler!(handlers::update_role),
};

pub static DELETE_ROLE: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/roles/{roleId}",
    function: "delete-role",
    summary: "Delete a custom role nothing holds (409 role_in_use with the counts of members, pending invitations and API keys that do).",
    access: org_on(Need::Perm(Permission::RolesManage), Write, PATH_ROLE),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, DeleteItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[RoleNotFound, RoleAboveYours, RoleInUse, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::delete_role),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[&LIST_ORG_ROLES, &CREATE_ROLE, &UPDATE_ROLE, &DELETE_ROLE];
