use super::item::token::{scim_token_not_found, ScimTokenItem};
use super::tokens;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Access, Dynamo::*, Effect::*, Handler, Need, Place, RouteDef, ServerKey::*,
    Subject,
};

/// The token a path's `{tokenId}` names.
const PATH_TOKEN: Subject = Subject {
    param: "tokenId",
    at: Place::Path,
    key: ScimTokenItem::key_in,
    missing: scim_token_not_found,
};

pub static LIST_SCIM_TOKENS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/scim-tokens",
    function: "list-scim-tokens",
    summary: "The organization's SCIM tokens, paginated (never the tokens themselves).",
    access: org(Need::Perm(Permission::DirectoryManage), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(tokens::list_scim_tokens),
};

pub static CREATE_SCIM_TOKEN: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/scim-tokens",
    function: "create-scim-token",
    summary: "Create a SCIM token for the organization's identity provider; the answer shows it once, with the SCIM base URL.",
    access: org(Need::Perm(Permission::DirectoryManage), Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<tokens::CreateScimToken>(),
    handler: crate::org_handler!(tokens::create_scim_token),
};

pub static REVOKE_SCIM_TOKEN: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/scim-tokens/{tokenId}",
    function: "revoke-scim-token",
    summary: "Revoke a SCIM token: the next request with it answers 401 (allowed while the organization is closed).",
    access: org_on(
        Need::Perm(Permission::DirectoryManage),
        WriteWhileClosed,
        PATH_TOKEN,
    ),
    dynamo: &[BatchGetItem, DeleteItem, UpdateItem, ConditionCheckItem, PutItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(tokens::revoke_scim_token),
};

/// The organization's directory item, read with the caller's access (none yet: the defaults).
const DIRECTORY: Subject = Subject {
    param: "orgId",
    at: Place::Path,
    key: |org, _| Some(super::item::DirectoryItem::key_of(org)),
    missing: crate::error::ApiError::org_not_found,
};

pub static GET_DIRECTORY: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/directory",
    function: "get-directory",
    summary: "The organization's directory: the role provisioned people join with, its counts, the SCIM base URL.",
    access: org_on(Need::Perm(Permission::DirectoryManage), Read, DIRECTORY),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(tokens::get_directory),
};

pub static SET_DIRECTORY: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/directory",
    function: "set-directory",
    summary: "Set the role provisioned people join with (at most editor's permissions, at or below your own).",
    access: org_on(Need::Perm(Permission::DirectoryManage), Write, DIRECTORY),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        RoleNotFound,
        RoleAboveYours,
        OwnerOnlyByTransfer,
        ConcurrentUpdate,
    ],
    body: body::<tokens::SetDirectory>(),
    handler: crate::org_handler!(tokens::set_directory),
};

/// The SCIM 2.0 service provider (RFC 7644): one function for the protocol's endpoints. No
/// JWT authorizer in production; its access step checks the organization's SCIM token.
pub static SCIM: RouteDef = RouteDef {
    method: "ANY",
    path: "/orgs/{orgId}/scim/v2/{proxy+}",
    function: "scim",
    summary: "SCIM 2.0: Users, Groups, ServiceProviderConfig, ResourceTypes, Schemas (the organization's SCIM token as bearer).",
    access: Access::Directory,
    dynamo: &[
        BatchGetItem,
        Query,
        PutItem,
        UpdateItem,
        DeleteItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[
        OrgClosed,
        ConcurrentUpdate,
        LimitReached,
        SeatLimitReached,
        CannotDeactivate,
        ScimResourceNotFound,
        ScimInvalidFilter,
        ScimInvalidValue,
        ScimInvalidSyntax,
        ScimInvalidPath,
        ScimUniqueness,
        ScimNotImplemented,
        ScimMethodNotAllowed,
    ],
    body: None,
    handler: Handler::Directory(|app, input| Box::pin(super::scim::serve(app, input))),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &GET_DIRECTORY,
    &SET_DIRECTORY,
    &LIST_SCIM_TOKENS,
    &CREATE_SCIM_TOKEN,
    &REVOKE_SCIM_TOKEN,
    &SCIM,
];
