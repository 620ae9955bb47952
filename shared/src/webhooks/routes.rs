use super::handlers;
use super::item::{message_not_found, webhook_not_found, EndpointItem, MessageItem};
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Dynamo::*, Effect::*, Need, Place, RouteDef, ServerKey::*, Subject,
};

/// The endpoint a path's `{webhookId}` names.
const PATH_WEBHOOK: Subject = Subject {
    param: "webhookId",
    at: Place::Path,
    key: EndpointItem::key_in,
    missing: webhook_not_found,
};

/// The message a path's `{messageId}` names (the handler checks it is the endpoint's).
const PATH_MESSAGE: Subject = Subject {
    param: "messageId",
    at: Place::Path,
    key: MessageItem::key_in,
    missing: message_not_found,
};

const MANAGE: Need = Need::Perm(Permission::WebhooksManage);

pub static LIST_WEBHOOKS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/webhooks",
    function: "list-webhooks",
    summary: "The organization's webhook endpoints, paginated (never their secrets).",
    access: org(MANAGE, Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_webhooks),
};

pub static CREATE_WEBHOOK: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/webhooks",
    function: "create-webhook",
    summary: "Add a webhook endpoint (https:// to a public host), optionally for some event types; the answer shows its signing secret once.",
    access: org(MANAGE, Write),
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
    body: body::<handlers::CreateWebhook>(),
    handler: crate::org_handler!(handlers::create_webhook),
};

pub static GET_WEBHOOK: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/webhooks/{webhookId}",
    function: "get-webhook",
    summary: "A webhook endpoint (never its secret).",
    access: org_on(MANAGE, Read, PATH_WEBHOOK),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::get_webhook),
};

pub static UPDATE_WEBHOOK: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/webhooks/{webhookId}",
    function: "update-webhook",
    summary: "Change a webhook endpoint's URL, event types or description, or disable or enable it (enabling resumes new messages).",
    access: org_on(MANAGE, Write, PATH_WEBHOOK),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        NothingToUpdate,
        ConcurrentUpdate,
    ],
    body: body::<handlers::UpdateWebhook>(),
    handler: crate::org_handler!(handlers::update_webhook),
};

pub static DELETE_WEBHOOK: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/webhooks/{webhookId}",
    function: "delete-webhook",
    summary: "Delete a webhook endpoint: nothing more is sent to it. Allowed while the organization is closed.",
    access: org_on(MANAGE, WriteWhileClosed, PATH_WEBHOOK),
    dynamo: &[BatchGetItem, DeleteItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::delete_webhook),
};

pub static ROTATE_WEBHOOK_SECRET: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/webhooks/{webhookId}/rotate-secret",
    function: "rotate-webhook-secret",
    summary: "A new signing secret for a webhook endpoint, shown once; during graceMinutes (0 to 10080, default 1440) every message is signed with both.",
    access: org_on(MANAGE, Write, PATH_WEBHOOK),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[ApiKeyHash],
    errors: &[InvalidBody, ValidationFailed, ConcurrentUpdate],
    body: body::<handlers::RotateSecret>(),
    handler: crate::org_handler!(handlers::rotate_webhook_secret),
};

pub static TEST_WEBHOOK: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/webhooks/{webhookId}/test",
    function: "test-webhook",
    summary: "Send a WebhookTest message to an enabled endpoint (202; its outcome is in the delivery log within seconds).",
    access: org_on(MANAGE, WriteWhileClosed, PATH_WEBHOOK),
    dynamo: &[BatchGetItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[WebhookDisabled, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::test_webhook),
};

pub static LIST_WEBHOOK_DELIVERIES: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/webhooks/{webhookId}/deliveries",
    function: "list-webhook-deliveries",
    summary:
        "A webhook endpoint's delivery log: every attempt, newest first, paginated (kept 30 days).",
    access: org_on(MANAGE, Read, PATH_WEBHOOK),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_webhook_deliveries),
};

pub static RESEND_WEBHOOK_MESSAGE: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/webhooks/{webhookId}/deliveries/{messageId}/resend",
    function: "resend-webhook-message",
    summary: "Send a message that succeeded or failed once more, with the same webhook-id (202; one attempt, not retried).",
    access: org_on(MANAGE, WriteWhileClosed, PATH_MESSAGE),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        WebhookMessagePending,
        WebhookDisabled,
        WebhookNotFound,
        ConcurrentUpdate,
    ],
    body: None,
    handler: crate::org_handler!(handlers::resend_webhook_message),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_WEBHOOKS,
    &CREATE_WEBHOOK,
    &GET_WEBHOOK,
    &UPDATE_WEBHOOK,
    &ROTATE_WEBHOOK_SECRET,
    &TEST_WEBHOOK,
    &LIST_WEBHOOK_DELIVERIES,
    &RESEND_WEBHOOK_MESSAGE,
    // Last: the walks that share one fixture across routes delete the endpoint the others use.
    &DELETE_WEBHOOK,
];
