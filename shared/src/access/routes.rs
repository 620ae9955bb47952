use super::{handlers, on_behalf};
use crate::error::Code::*;
use crate::pipeline::{
    body, org_on, Access, Dynamo::*, Effect::Read, Need, Place, RouteDef, Subject,
};
use crate::projects::item::{project_not_found, ProjectItem};

/// The project a `projectId` (query or body) asks about: read with the access.
const fn asked_project(at: Place) -> Subject {
    Subject {
        param: "projectId",
        at,
        key: ProjectItem::key_in,
        missing: project_not_found,
    }
}

pub static GET_MY_ACCESS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/me",
    function: "get-my-access",
    summary: "My role and permissions in an organization; with ?projectId=, my effective role there and where each permission comes from.",
    access: org_on(Need::Any, Read, asked_project(Place::Query)),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, ProjectNotFound],
    body: None,
    handler: crate::org_handler!(handlers::get_my_access),
};

pub static AUTHORIZE: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/authorize",
    function: "authorize",
    summary: "Check a batch of permissions for the caller, optionally in a project (team and direct grants included); each allowed one says where it comes from.",
    access: org_on(Need::Any, Read, asked_project(Place::Body)),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        UnknownPermission,
        ProjectNotFound,
        Forbidden,
    ],
    body: body::<handlers::Authorize>(),
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
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::user_handler!(handlers::list_roles),
};

pub static AUTHORIZE_ON_BEHALF: RouteDef = RouteDef {
    method: "POST",
    path: "/service/orgs/{orgId}/authorize",
    function: "authorize-on-behalf",
    summary: "For the platform's services (IAM authorization): check a batch of permissions for a member (`user:<id>`) or an API key (`key:<id>`), optionally in a project, answered as that subject's own check would be.",
    access: Access::Service,
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        UnknownPermission,
        OrgNotFound,
    ],
    body: body::<on_behalf::AuthorizeOnBehalf>(),
    handler: crate::service_handler!(on_behalf::authorize_on_behalf),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &GET_MY_ACCESS,
    &AUTHORIZE,
    &AUTHORIZE_ON_BEHALF,
    &LIST_ROLES,
];
