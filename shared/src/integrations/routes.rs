use super::handlers;
use super::item::{integration_not_found, IntegrationItem};
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Dynamo::*, Effect::*, Need, Place, RouteDef, Secrets::*, ServerKey::*,
    Subject,
};

/// The integration a path's `{integrationId}` names.
const PATH_INTEGRATION: Subject = Subject {
    param: "integrationId",
    at: Place::Path,
    key: IntegrationItem::key_in,
    missing: integration_not_found,
};

/// The integration the body's `integrationId` names.
const BODY_INTEGRATION: Subject = Subject {
    param: "integrationId",
    at: Place::Body,
    key: IntegrationItem::key_in,
    missing: integration_not_found,
};

pub static LIST_INTEGRATIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/integrations",
    function: "list-integrations",
    summary: "Integrations (never their secrets), paginated; filter by kind.",
    access: org(Need::Perm(Permission::IntegrationsRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_integrations),
};

pub static CREATE_INTEGRATION: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/integrations",
    function: "create-integration",
    summary: "Connect a cloud account, DNS or storage provider, git connection or addon repository; the secret goes to Secrets Manager and is never shown again.",
    access: org(Need::Perm(Permission::IntegrationsManage), Write),
    dynamo: &[BatchGetItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[CreateSecret, TagResource, DeleteSecret],
    keys: &[InvitationCode],
    errors: &[BodyRequired, InvalidBody, ValidationFailed],
    body: body::<handlers::CreateIntegration>(),
    handler: crate::org_handler!(handlers::create_integration),
};

pub static GET_INTEGRATION: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/integrations/{integrationId}",
    function: "get-integration",
    summary: "One integration (never its secret).",
    access: org_on(
        Need::Perm(Permission::IntegrationsRead),
        Read,
        PATH_INTEGRATION,
    ),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_integration),
};

pub static UPDATE_INTEGRATION: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/integrations/{integrationId}",
    function: "update-integration",
    summary: "Rename an integration or replace its config (not its secret).",
    access: org_on(
        Need::Perm(Permission::IntegrationsManage),
        Write,
        PATH_INTEGRATION,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[BodyRequired, InvalidBody, ValidationFailed, NothingToUpdate],
    body: body::<handlers::UpdateIntegration>(),
    handler: crate::org_handler!(handlers::update_integration),
};

pub static DELETE_INTEGRATION: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/integrations/{integrationId}",
    function: "delete-integration",
    summary: "Delete an integration; its secret is force-deleted without a recovery window.",
    access: org_on(
        Need::Perm(Permission::IntegrationsManage),
        Write,
        PATH_INTEGRATION,
    ),
    dynamo: &[
        BatchGetItem,
        DeleteItem,
        UpdateItem,
        PutItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[DeleteSecret],
    keys: &[],
    errors: &[ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::delete_integration),
};

pub static ROTATE_INTEGRATION_SECRET: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/integrations/{integrationId}/secret",
    function: "rotate-integration-secret",
    summary: "Replace an integration's secret (the old value is no longer served).",
    access: org_on(
        Need::Perm(Permission::IntegrationsManage),
        Write,
        PATH_INTEGRATION,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[
        PutSecretValue,
        DescribeSecret,
        UpdateSecretVersionStage,
        CreateSecret,
        TagResource,
        DeleteSecret,
    ],
    keys: &[InvitationCode],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        ConcurrentUpdate,
    ],
    body: body::<handlers::IntegrationSecret>(),
    handler: crate::org_handler!(handlers::rotate_secret),
};

pub static SET_DEFAULT_STORAGE: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/settings/default-storage",
    function: "set-default-storage",
    summary: "Make a storage provider integration the default for backups.",
    access: org_on(
        Need::Perm(Permission::SettingsManage),
        Write,
        BODY_INTEGRATION,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        IntegrationNotFound,
        WrongIntegrationKind,
    ],
    body: body::<handlers::DefaultStorage>(),
    handler: crate::org_handler!(handlers::set_default_storage),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_INTEGRATIONS,
    &CREATE_INTEGRATION,
    &GET_INTEGRATION,
    &UPDATE_INTEGRATION,
    &DELETE_INTEGRATION,
    &ROTATE_INTEGRATION_SECRET,
    &SET_DEFAULT_STORAGE,
];
