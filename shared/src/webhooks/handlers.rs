//! The webhook endpoint routes. Each change is one transaction with its audit entry, conditional on
//! the caller's access as read and on the endpoint as read (its `revision`); a test or a resend is
//! one transaction that claims the attempt the stream function then sends.

use super::item::{
    self, parse_url, AttemptItem, EndpointChange, EndpointItem, MessageId, MessageItem,
    MessageStatus, Trigger, URL_MAX_CHARS,
};
use super::secret;
use super::views::{DeliveryView, QueuedView, WebhookView, WebhookWithSecretView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::{Parse, Parsed};
use crate::domain::{Description, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::json::explicit_null;
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// A rotation's grace: 0 to a week, a day when left out.
pub const MAX_GRACE_MINUTES: i64 = 7 * 24 * 60;
pub const DEFAULT_GRACE_MINUTES: i64 = 24 * 60;

/// `POST /orgs/{orgId}/webhooks`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where messages are POSTed: https:// to a public host.
    url: Parsed<UrlText>,
    /// The event types to send (EventBridge detail-types such as `MemberJoined`); left out: every one.
    event_types: Option<Parsed<EventTypes>>,
    description: Option<Parsed<Description>>,
}

/// `PATCH /orgs/{orgId}/webhooks/{webhookId}`'s body: at least one field.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(extend("minProperties" = 1)))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    url: Option<Parsed<UrlText>>,
    /// Missing: unchanged; `null`: every event type.
    #[serde(default, deserialize_with = "explicit_null")]
    event_types: Option<Option<Parsed<EventTypes>>>,
    /// Missing: unchanged; `null`: removed.
    #[serde(default, deserialize_with = "explicit_null")]
    description: Option<Option<Parsed<Description>>>,
    /// `false` stops new messages (and the retries of pending ones); `true` resumes new messages.
    enabled: Option<bool>,
}

/// `POST /orgs/{orgId}/webhooks/{webhookId}/rotate-secret`'s body (optional).
#[derive(Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateSecret {
    /// Minutes the previous secret keeps signing beside the new one (0 to 10080; default 1440).
    grace_minutes: Option<Parsed<GraceMinutes>>,
}

/// An endpoint URL as a body carries it (checked against the host rules by the handler, which
/// knows the deployment's allowed private hosts).
#[derive(Debug, Clone)]
pub struct UrlText(String);

impl Parse for UrlText {
    type Raw = String;
    fn parse(field: &str, raw: String) -> ApiResult<Self> {
        if raw.is_empty() || raw.chars().count() > URL_MAX_CHARS {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be an https:// URL of 1 to {URL_MAX_CHARS} characters."),
            ));
        }
        Ok(Self(raw))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "string", "format": "uri", "minLength": 1, "maxLength": URL_MAX_CHARS, "pattern": "^https?://" })
    }
}

/// `eventTypes`: one or more distinct event types of `model::audit::EVENT_TYPES`.
#[derive(Debug, Clone)]
pub struct EventTypes(Vec<String>);

impl Parse for EventTypes {
    type Raw = Vec<String>;
    fn parse(field: &str, raw: Vec<String>) -> ApiResult<Self> {
        if raw.is_empty() {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must name at least one event type (leave it out, or send null in a change, for every one)."),
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for t in raw {
            if !crate::audit::item::EVENT_TYPES.contains(&t.as_str()) {
                return Err(ApiError::validation(
                    field,
                    format!(
                        "`{field}` names an unknown event type `{}`; the event types are: {}.",
                        crate::domain::shown(&t),
                        crate::audit::item::EVENT_TYPES.join(", ")
                    ),
                ));
            }
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(Self(out))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({
            "type": "array",
            "minItems": 1,
            "maxItems": crate::audit::item::EVENT_TYPES.len(),
            "items": { "type": "string", "enum": crate::audit::item::EVENT_TYPES },
        })
    }
}

/// A rotation's grace in minutes: 0 to `MAX_GRACE_MINUTES`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraceMinutes(i64);

impl Parse for GraceMinutes {
    type Raw = i64;
    fn parse(field: &str, grace: i64) -> ApiResult<Self> {
        if !(0..=MAX_GRACE_MINUTES).contains(&grace) {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be 0 to {MAX_GRACE_MINUTES} (a week)."),
            ));
        }
        Ok(Self(grace))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "integer", "minimum": 0, "maximum": MAX_GRACE_MINUTES, "default": DEFAULT_GRACE_MINUTES })
    }
}

fn url_of(app: &App, field: &str, raw: &UrlText) -> ApiResult<String> {
    parse_url(field, &raw.0, &app.config.webhook_allowed_private_hosts)
}

fn shown_secret(app: &App, e: &EndpointItem) -> ApiResult<String> {
    let bytes = secret::secret_bytes(
        app.config.require_api_key_hash_key()?,
        &e.org_id,
        &e.webhook_id,
        &e.secret_salt,
    )?;
    Ok(secret::shown(&bytes))
}

/// The details of an endpoint in its audit entries and events: never its secret, and its URL
/// without path or query (`shown_url`).
fn details_of(e: &EndpointItem) -> serde_json::Value {
    json!({
        "webhookId": e.webhook_id,
        "url": item::shown_url(&e.url),
        "eventTypes": e.event_types,
        "enabled": e.enabled,
    })
}

/// `GET /orgs/{orgId}/webhooks`: one Query per page.
pub async fn list_webhooks(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = EndpointItem::page_of_org(ctx.org_id(), input.limit()?, input.cursor())?;
    let page = app.store.page_of::<EndpointItem>(q).await?;
    let now = Timestamp::now();
    Ok(Reply::list(
        page.items
            .iter()
            .map(|e| WebhookView::new(e, now))
            .collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/webhooks` `{url, eventTypes?, description?}`: the endpoint, its count
/// within the limit and the audit entry in one transaction; the answer shows the secret once.
pub async fn create_webhook(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateWebhook = input.json()?;
    let url = url_of(&app, "url", &body.url)?;
    let now = Timestamp::now();
    let endpoint = EndpointItem::new(
        ctx.org_id(),
        item::WebhookId::new(),
        url,
        body.event_types.map(|t| t.into_inner().0),
        body.description.map(Parsed::into_inner),
        secret::new_salt()?,
        ctx.user_id(),
        now,
    );
    let shown = shown_secret(&app, &endpoint)?;
    let tx = endpoint.create(ctx.tx()?)?.audit(ctx.audit(
        "webhook.created",
        "WebhookEndpointCreated",
        format!(
            "added the webhook endpoint {}",
            item::shown_url(&endpoint.url)
        ),
        details_of(&endpoint),
    ))?;
    app.commit(
        tx,
        Reply::created(&WebhookWithSecretView {
            webhook: WebhookView::new(&endpoint, now),
            secret: shown,
        }),
    )
    .await
}

/// `GET /orgs/{orgId}/webhooks/{webhookId}`: one read (with the caller's access).
pub async fn get_webhook(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let endpoint: EndpointItem = ctx.subject()?;
    Ok(Reply::ok(&WebhookView::new(&endpoint, Timestamp::now())))
}

/// `PATCH /orgs/{orgId}/webhooks/{webhookId}`: url, event types, description, enabled.
pub async fn update_webhook(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateWebhook = input.json()?;
    if body.url.is_none()
        && body.event_types.is_none()
        && body.description.is_none()
        && body.enabled.is_none()
    {
        return Err(ApiError::new(
            Code::NothingToUpdate,
            "Send one or more of `url`, `eventTypes`, `description`, `enabled`.",
        ));
    }
    let before: EndpointItem = ctx.subject()?;
    let change = EndpointChange {
        url: body
            .url
            .as_ref()
            .map(|u| url_of(&app, "url", u))
            .transpose()?
            .filter(|u| *u != before.url),
        event_types: body
            .event_types
            .map(|t| t.map(|t| t.into_inner().0))
            .filter(|t| *t != before.event_types),
        description: body
            .description
            .map(|d| d.map(Parsed::into_inner))
            .filter(|d| *d != before.description),
        enabled: body.enabled.filter(|e| *e != before.enabled),
    };
    let now = Timestamp::now();
    if change.url.is_none()
        && change.event_types.is_none()
        && change.description.is_none()
        && change.enabled.is_none()
    {
        return Ok(Reply::ok(&WebhookView::new(&before, now)));
    }
    let mut after = before.clone();
    if let Some(u) = &change.url {
        after.url = u.clone();
    }
    if let Some(t) = &change.event_types {
        after.event_types = t.clone();
    }
    if let Some(d) = &change.description {
        after.description = d.clone();
    }
    if let Some(enabled) = change.enabled {
        after.enabled = enabled;
        after.failing_since = None;
        after.disabled_reason = (!enabled).then_some(item::DisabledReason::Manual);
        after.disabled_at = (!enabled).then_some(now);
    }
    after.updated_at = now;
    after.revision += 1;
    let tx = before.change(ctx.tx()?, &change, now)?.audit(ctx.audit(
        "webhook.updated",
        "WebhookEndpointUpdated",
        format!(
            "changed the webhook endpoint {}",
            item::shown_url(&after.url)
        ),
        json!({
            "webhookId": after.webhook_id,
            "before": details_of(&before),
            "after": details_of(&after),
        }),
    ))?;
    app.commit(tx, Reply::ok(&WebhookView::new(&after, now)))
        .await
}

/// `DELETE /orgs/{orgId}/webhooks/{webhookId}`: no message is sent to it after this commits (its
/// pending messages fail as "endpoint deleted"; its log expires). Allowed while closed.
pub async fn delete_webhook(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let endpoint: EndpointItem = ctx.subject()?;
    let tx = endpoint.delete(ctx.tx()?)?.audit(ctx.audit(
        "webhook.deleted",
        "WebhookEndpointDeleted",
        format!(
            "deleted the webhook endpoint {}",
            item::shown_url(&endpoint.url)
        ),
        details_of(&endpoint),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `POST /orgs/{orgId}/webhooks/{webhookId}/rotate-secret` `{graceMinutes?}`: a new secret, shown
/// once; during the grace every message carries a signature with each.
pub async fn rotate_webhook_secret(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: RotateSecret = input.json_or_default()?;
    let grace = body.grace_minutes.map_or(DEFAULT_GRACE_MINUTES, |g| g.0 .0);
    let before: EndpointItem = ctx.subject()?;
    let now = Timestamp::now();
    let until = (grace > 0).then(|| now + chrono::Duration::minutes(grace));
    let salt = secret::new_salt()?;
    let mut after = before.clone();
    after.previous_salt = until.map(|_| before.secret_salt.clone());
    after.previous_until = until;
    after.secret_salt = salt.clone();
    after.revision += 1;
    after.updated_at = now;
    let shown = shown_secret(&app, &after)?;
    let tx = before.rotate(ctx.tx()?, &salt, until, now)?.audit(ctx.audit(
        "webhook.secret_rotated",
        "WebhookSecretRotated",
        format!(
            "rotated the signing secret of the webhook endpoint {} ({grace} minute(s) of grace)",
            item::shown_url(&before.url)
        ),
        json!({ "webhookId": before.webhook_id, "graceMinutes": grace, "previousSecretExpiresAt": until }),
    ))?;
    app.commit(
        tx,
        Reply::ok(&WebhookWithSecretView {
            webhook: WebhookView::new(&after, now),
            secret: shown,
        }),
    )
    .await
}

/// The body of a message: `{type, timestamp, data}`, as the Standard Webhooks specification has it.
pub fn message_body(event_type: &str, at: Timestamp, data: serde_json::Value) -> String {
    json!({ "type": event_type, "timestamp": at, "data": data }).to_string()
}

/// `POST /orgs/{orgId}/webhooks/{webhookId}/test`: a `WebhookTest` message, its first attempt
/// claimed in the same transaction (the stream function sends it within seconds); retried as
/// every message is. 202 with its id (its outcome is in the delivery log).
pub async fn test_webhook(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let endpoint: EndpointItem = ctx.subject()?;
    if !endpoint.enabled {
        return Err(item::webhook_disabled());
    }
    let now = Timestamp::now();
    let message_id = MessageId::new();
    let body = message_body(
        "WebhookTest",
        now,
        json!({
            "orgId": endpoint.org_id,
            "webhookId": endpoint.webhook_id,
            "actorId": ctx.user_id(),
            "message": "A test message: your endpoint received it and can verify its signature.",
        }),
    );
    let (message, attempt) = MessageItem::first(
        ctx.org_id(),
        &endpoint.webhook_id,
        message_id,
        ("WebhookTest", None),
        body,
        Trigger::Test,
        now,
    );
    let tx = message.create(&attempt, ctx.tx()?)?;
    let tx = EndpointItem::guard_enabled(tx, ctx.org_id(), &endpoint.webhook_id)?;
    app.commit(
        tx,
        Reply::accepted(&QueuedView {
            message_id: message.message_id,
            event_type: message.event_type,
            attempt: 1,
        }),
    )
    .await
}

/// `GET /orgs/{orgId}/webhooks/{webhookId}/deliveries`: the endpoint's attempts, newest first;
/// one Query per page.
pub async fn list_webhook_deliveries(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let endpoint: EndpointItem = ctx.subject()?;
    let q = AttemptItem::page_of_endpoint(
        ctx.org_id(),
        &endpoint.webhook_id,
        (input.limit()?, input.cursor()),
        Timestamp::now(),
    )?;
    let page = app.store.page_of::<AttemptItem>(q).await?;
    Ok(Reply::list(
        page.items.iter().map(DeliveryView::new).collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/webhooks/{webhookId}/deliveries/{messageId}/resend`: one more attempt of a
/// message that succeeded or failed (not retried if it fails), with the same `webhook-id`.
pub async fn resend_webhook_message(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let message: MessageItem = ctx.subject()?;
    if input.path_param("webhookId") != message.webhook_id.as_str() {
        return Err(item::message_not_found());
    }
    if message.status == MessageStatus::Pending {
        return Err(ApiError::new(
            Code::WebhookMessagePending,
            format!(
                "The message is still being delivered (attempt {}; next attempt {}). Resend a message once it succeeded or failed.",
                message.attempts,
                message
                    .next_attempt_at
                    .map_or_else(|| "soon".to_string(), |t| format!("at {t}")),
            ),
        ));
    }
    let (tx, attempt) = message.claim_next(ctx.tx()?, Trigger::Resend, Timestamp::now())?;
    let tx = EndpointItem::guard_enabled(tx, ctx.org_id(), &message.webhook_id)?;
    app.commit(
        tx,
        Reply::accepted(&QueuedView {
            message_id: message.message_id,
            event_type: message.event_type,
            attempt: attempt.attempt,
        }),
    )
    .await
}
