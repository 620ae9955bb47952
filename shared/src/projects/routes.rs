use super::handlers;
use super::item::{project_not_found, ProjectItem};
use crate::error::Code::*;
use crate::members::member_not_found;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, org_on_with, Dynamo::*, Effect::*, Need, Place, RouteDef, Subject,
};

/// The project a path's `{projectId}` names: its grants scope the caller's access.
pub const PATH_PROJECT: Subject = Subject {
    param: "projectId",
    at: Place::Path,
    key: ProjectItem::key_in,
    missing: project_not_found,
};

/// The member or team a grant's `{principal}` names.
const PATH_PRINCIPAL: Subject = Subject {
    param: "principal",
    at: Place::Path,
    key: handlers::principal_key,
    missing: member_not_found,
};

pub static LIST_PROJECTS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/projects",
    function: "list-projects",
    summary: "Projects, paginated: all of them with projects.read; a guest's list holds exactly the projects granted to them.",
    access: org(Need::Any, Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_projects),
};

pub static CREATE_PROJECT: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/projects",
    function: "create-project",
    summary: "Create a project; the creator becomes its admin (a direct grant, unless the organization role makes them admin of every project).",
    access: org(Need::Perm(Permission::ProjectsCreate), Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[BodyRequired, InvalidBody, ValidationFailed, LimitReached, ConcurrentUpdate],
    body: body::<super::item::CreateNamed>(),
    handler: crate::org_handler!(handlers::create_project),
};

pub static GET_PROJECT: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/projects/{projectId}",
    function: "get-project",
    summary: "A project, with the caller's effective role on it.",
    access: org_on(Need::Perm(Permission::ProjectsRead), Read, PATH_PROJECT),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_project),
};

pub static UPDATE_PROJECT: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/projects/{projectId}",
    function: "update-project",
    summary:
        "Rename or re-describe a project (projects.update, org-wide or as the project's admin).",
    access: org_on(Need::Perm(Permission::ProjectsUpdate), Write, PATH_PROJECT),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[BodyRequired, InvalidBody, ValidationFailed, NothingToUpdate],
    body: body::<super::item::UpdateNamed>(),
    handler: crate::org_handler!(handlers::update_project),
};

pub static DELETE_PROJECT: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/projects/{projectId}",
    function: "delete-project",
    summary: "Delete a project and every grant on it (projects.delete, org-wide or as the project's admin).",
    access: org_on(Need::Perm(Permission::ProjectsDelete), Write, PATH_PROJECT),
    dynamo: &[BatchGetItem, DeleteItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::delete_project),
};

pub static LIST_PROJECT_ACCESS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/projects/{projectId}/access",
    function: "list-project-access",
    summary: "The project's grants: team and user principals, role, who granted, when.",
    access: org_on(Need::Perm(Permission::ProjectsRead), Read, PATH_PROJECT),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_access),
};

pub static GRANT_PROJECT_ACCESS: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/projects/{projectId}/access/{principal}",
    function: "grant-project-access",
    summary: "Grant a team or user a project role (projects.access_manage, org-wide or as the project's admin; never above your own role on the project).",
    access: org_on_with(
        Need::Perm(Permission::ProjectsAccessManage),
        Write,
        PATH_PROJECT,
        PATH_PRINCIPAL,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        MemberNotFound,
        TeamNotFound,
        GrantAboveYou,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<handlers::GrantProjectAccess>(),
    handler: crate::org_handler!(handlers::grant_access),
};

pub static REVOKE_PROJECT_ACCESS: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/projects/{projectId}/access/{principal}",
    function: "revoke-project-access",
    summary:
        "Revoke a team's or user's project role (never one above your own role on the project).",
    access: org_on(
        Need::Perm(Permission::ProjectsAccessManage),
        Write,
        PATH_PROJECT,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        ValidationFailed,
        GrantNotFound,
        GrantAboveYou,
        ConcurrentUpdate,
    ],
    body: None,
    handler: crate::org_handler!(handlers::revoke_access),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_PROJECTS,
    &CREATE_PROJECT,
    &GET_PROJECT,
    &UPDATE_PROJECT,
    &DELETE_PROJECT,
    &LIST_PROJECT_ACCESS,
    &GRANT_PROJECT_ACCESS,
    &REVOKE_PROJECT_ACCESS,
];
