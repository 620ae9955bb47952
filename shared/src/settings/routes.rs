use super::handlers;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, Dynamo::*, Effect::*, Need, RouteDef};

pub static GET_CLEANUP_POLICY: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/settings/cleanup-policy",
    function: "get-cleanup-policy",
    summary: "The cleanup policy the platform's services enforce.",
    access: org(Need::Perm(Permission::CleanupPolicyRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
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
    keys: &[],
    errors: &[BodyRequired, InvalidBody, ValidationFailed],
    body: body::<crate::body::Parsed<crate::settings::cleanup::CleanupPolicy>>(),
    handler: crate::org_handler!(handlers::put_cleanup_policy),
};

pub static GET_AUTHENTICATION_POLICY: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/settings/authentication",
    function: "get-authentication-policy",
    summary: "The authentication policy: requireMfa and allowedEmailDomains.",
    access: org(Need::Perm(Permission::SettingsRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_authentication),
};

pub static PUT_AUTHENTICATION_POLICY: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/settings/authentication",
    function: "put-authentication-policy",
    summary: "Replace the authentication policy (turning requireMfa on needs your own second factor); the answer counts members outside the allowed domains.",
    access: org(Need::Perm(Permission::SettingsManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[BodyRequired, InvalidBody, ValidationFailed, ConcurrentUpdate],
    body: body::<crate::body::Parsed<crate::settings::authentication::AuthenticationPolicy>>(),
    handler: crate::org_handler!(handlers::put_authentication),
};

pub static GET_NOTIFICATION_PREFERENCES: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/settings/notifications",
    function: "get-notification-preferences",
    summary: "Which events email the owner and admins.",
    access: org(Need::Perm(Permission::SettingsRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_notifications),
};

pub static PUT_NOTIFICATION_PREFERENCES: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/settings/notifications",
    function: "put-notification-preferences",
    summary: "Replace the notification preferences (every key required).",
    access: org(Need::Perm(Permission::SettingsManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[BodyRequired, InvalidBody],
    body: body::<crate::settings::notifications::NotificationPreferences>(),
    handler: crate::org_handler!(handlers::put_notifications),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &GET_CLEANUP_POLICY,
    &PUT_CLEANUP_POLICY,
    &GET_AUTHENTICATION_POLICY,
    &PUT_AUTHENTICATION_POLICY,
    &GET_NOTIFICATION_PREFERENCES,
    &PUT_NOTIFICATION_PREFERENCES,
];
