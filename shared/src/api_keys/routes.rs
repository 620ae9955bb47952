use super::item::{api_key_not_found, ApiKeyItem};
use super::{handlers, verify};
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Access, Dynamo::*, Effect::*, Need, Place, RouteDef, ServerKey::*, Subject,
};

/// The key a path's `{keyId}` names.
const PATH_KEY: Subject = Subject {
    param: "keyId",
    at: Place::Path,
    key: ApiKeyItem::key_in,
    missing: api_key_not_found,
};

pub static LIST_API_KEYS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/api-keys",
    function: "list-api-keys",
    summary: "The organization's API keys, paginated (never their secrets).",
    access: org(Need::Perm(Permission::ApiKeysRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_api_keys),
};

pub static CREATE_API_KEY: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/api-keys",
    function: "create-api-key",
    summary: "Create an API key with a role at or below your own (never owner), optionally limited to projects; the answer shows the key once.",
    access: org(Need::Perm(Permission::ApiKeysManage), Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        Forbidden,
        RoleAboveYours,
        GrantAboveYou,
        OwnerOnlyByTransfer,
        ProjectNotFound,
        LimitReached,
        ConcurrentUpdate,
        RoleNotFound,
    ],
    body: body::<handlers::CreateApiKey>(),
    handler: crate::org_handler!(handlers::create_api_key),
};

pub static GET_API_KEY: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/api-keys/{keyId}",
    function: "get-api-key",
    summary: "An API key (never its secret).",
    access: org_on(Need::Perm(Permission::ApiKeysRead), Read, PATH_KEY),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_api_key),
};

pub static UPDATE_API_KEY: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/api-keys/{keyId}",
    function: "update-api-key",
    summary: "Rename an API key or change its role (at or below your own); effective on its next verification.",
    access: org_on(Need::Perm(Permission::ApiKeysManage), Write, PATH_KEY),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        NothingToUpdate,
        RoleAboveYours,
        GrantAboveYou,
        OwnerOnlyByTransfer,
        ConcurrentUpdate,
        RoleNotFound,
    ],
    body: body::<handlers::UpdateApiKey>(),
    handler: crate::org_handler!(handlers::update_api_key),
};

pub static REVOKE_API_KEY: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/api-keys/{keyId}",
    function: "revoke-api-key",
    summary: "Revoke an API key: its next verification is invalid. Allowed while the organization is closed.",
    access: org_on(Need::Perm(Permission::ApiKeysManage), WriteWhileClosed, PATH_KEY),
    dynamo: &[BatchGetItem, DeleteItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::revoke_api_key),
};

pub static ROLL_API_KEY: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/api-keys/{keyId}/roll",
    function: "roll-api-key",
    summary: "A new secret for an API key, shown once; the old one keeps working for graceMinutes (0 to 1440, default 0).",
    access: org_on(Need::Perm(Permission::ApiKeysManage), Write, PATH_KEY),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[
        InvalidBody,
        ValidationFailed,
        RoleAboveYours,
        GrantAboveYou,
        OwnerOnlyByTransfer,
        ApiKeyExpired,
        ConcurrentUpdate,
    ],
    body: body::<handlers::RollApiKey>(),
    handler: crate::org_handler!(handlers::roll_api_key),
};

pub static VERIFY_API_KEY: RouteDef = RouteDef {
    method: "POST",
    path: "/api-keys/verify",
    function: "verify-api-key",
    summary: "For the platform's services (IAM authorization): whether an API key is valid, its organization and role, and a batch of permissions decided as /authorize decides them.",
    access: Access::Service,
    dynamo: &[BatchGetItem, UpdateItem],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        UnknownPermission,
    ],
    body: body::<verify::VerifyApiKey>(),
    handler: crate::service_handler!(verify::verify_api_key),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_API_KEYS,
    &CREATE_API_KEY,
    &GET_API_KEY,
    &UPDATE_API_KEY,
    &REVOKE_API_KEY,
    &ROLL_API_KEY,
    &VERIFY_API_KEY,
];
