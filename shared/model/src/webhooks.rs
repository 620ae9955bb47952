//! Webhooks: an organization's endpoints, the messages each is sent and every attempt to send them.
//!
//! - `WEBHOOK#<webhookId>` (`ORG#<orgId>`): an endpoint: its URL, the event types it wants, whether
//!   it is enabled, the salt its signing secret is derived from (the secret itself is never stored:
//!   it is an HMAC of the salt under a server key, so a copy of the table does not reveal it), the
//!   previous salt during a rotation's grace, and since when every attempt has failed (then it is on
//!   the failing index, `GSI1PK = WHFAILING`, which the scheduled function disables from).
//! - `WEBHOOKS` (`ORG#<orgId>`): the count of endpoints, bounded by `ENDPOINTS_PER_ORG`.
//! - `WHMSG#<messageId>` (`ORG#<orgId>`): a message to one endpoint: the exact body every attempt
//!   sends, its attempts so far, its status, and while it is pending its place on the due index
//!   (`GSI1PK = WHDUE#<shard>`, `GSI1SK = <next attempt time>#...`) that the scheduled function reads.
//! - `WHLOG#<webhookId>#<time>#<messageId>#<attempt>` (`ORG#<orgId>`): one attempt, the delivery
//!   log. Its insert is what sends it: the stream function `deliver-webhooks` sends every new
//!   attempt (state `sending`) and records the outcome on it and on its message.
//!
//! Messages and attempts expire (`ttl`) `LOG_DAYS` after they were made; the purge deletes them
//! with the organization's partition.

use crate::domain::{Description, EventId, OrgId, Timestamp, UserId};
pub use crate::domain::{MessageId, WebhookId};
use crate::error::{ApiError, Code};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

/// Endpoints one organization may have.
pub const ENDPOINTS_PER_ORG: u32 = 20;
/// Automatic attempts of a message: the first and seven retries.
pub const MAX_ATTEMPTS: u32 = 8;
/// The wait after failed attempt `n` (1-based) before attempt `n + 1`, in seconds: Svix's schedule
/// (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
pub const RETRY_DELAYS_SECS: [i64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];
/// An endpoint whose every attempt has failed this long is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;
/// Days messages and attempts are kept (their `ttl`).
pub const LOG_DAYS: i64 = 30;
/// How long an attempt may be in flight before the scheduled function counts it lost and sends
/// the message again (far beyond the 15-second timeout of one attempt).
pub const LEASE_SECS: i64 = 300;
/// Partitions of the due index (a message's is a hash of its id), so its writes spread.
pub const DUE_SHARDS: u32 = 8;

const ENDPOINT_PREFIX: &str = "WEBHOOK#";
const COUNT_SK: &str = "WEBHOOKS";
const MESSAGE_PREFIX: &str = "WHMSG#";
const ATTEMPT_PREFIX: &str = "WHLOG#";
const FAILING_PK: &str = "WHFAILING";
const DUE_PREFIX: &str = "WHDUE#";

pub fn webhook_not_found() -> ApiError {
    ApiError::new(
        Code::WebhookNotFound,
        "No webhook endpoint with this id in the organization (a deleted one is gone).",
    )
}

pub fn message_not_found() -> ApiError {
    ApiError::new(
        Code::WebhookMessageNotFound,
        format!(
            "No message with this id to this webhook endpoint (messages are kept {LOG_DAYS} days)."
        ),
    )
}

pub fn webhook_disabled() -> ApiError {
    ApiError::new(
        Code::WebhookDisabled,
        "The webhook endpoint is disabled: enable it first (PATCH /orgs/{orgId}/webhooks/{webhookId} {\"enabled\": true}).",
    )
}

fn changed_meanwhile() -> ApiError {
    ApiError::concurrent("The webhook endpoint changed meanwhile. Reload it and retry.")
}

/// Why an endpoint is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DisabledReason {
    /// Someone with `webhooks.manage` disabled it.
    Manual,
    /// Every attempt failed for `DISABLE_AFTER_DAYS` days.
    Failing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub webhook_id: WebhookId,
    pub url: String,
    /// The event types sent; `None`: every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<DisabledReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<Timestamp>,
    /// What the signing secret is derived from (not a secret by itself).
    pub secret_salt: String,
    /// The previous secret's salt while a rotation's grace lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_until: Option<Timestamp>,
    /// The time of the first failed attempt since the last success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// One more on every change made through the API: what a change was decided on.
    pub revision: u64,
}

impl Entity for EndpointItem {
    const TYPE: &'static str = "webhook";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.webhook_id)
    }
}

/// What a change of an endpoint sets (each `None` keeps the value).
#[derive(Debug, Default, Clone)]
pub struct EndpointChange {
    pub url: Option<String>,
    /// `Some(None)`: every event type.
    pub event_types: Option<Option<Vec<String>>>,
    /// `Some(None)`: no description.
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
}

impl EndpointItem {
    pub fn key_of(org: &OrgId, id: &WebhookId) -> Key {
        Key::new(org_pk(org), format!("{ENDPOINT_PREFIX}{}", id.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        WebhookId::parse(raw).map(|id| Self::key_of(org, &id))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        org: &OrgId,
        webhook_id: WebhookId,
        url: String,
        event_types: Option<Vec<String>>,
        description: Option<Description>,
        secret_salt: String,
        by: &UserId,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(org, &webhook_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            webhook_id,
            url,
            event_types,
            description,
            enabled: true,
            disabled_reason: None,
            disabled_at: None,
            secret_salt,
            previous_salt: None,
            previous_until: None,
            failing_since: None,
            gsi1pk: None,
            gsi1sk: None,
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
            revision: 1,
        }
    }

    /// Whether the endpoint is sent events of this type.
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled
            && self
                .event_types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == event_type))
    }

    /// The salts of the secrets live at `now`: the current one, and the previous one during a
    /// rotation's grace.
    pub fn live_salts(&self, now: Timestamp) -> Vec<&str> {
        let mut out = vec![self.secret_salt.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_salt, self.previous_until) {
            if now < until {
                out.push(previous.as_str());
            }
        }
        out
    }

    /// Creates the endpoint; `ENDPOINTS_PER_ORG` at most (counted in the same transaction).
    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        let tx = tx.put_new(self, ApiError::internal("webhook id collision"))?;
        count(
            tx,
            &self.org_id,
            1,
            ApiError::limit(
                "webhooksPerOrganization",
                ENDPOINTS_PER_ORG as usize,
                format!("An organization has at most {ENDPOINTS_PER_ORG} webhook endpoints; delete one first (DELETE /orgs/{{orgId}}/webhooks/{{webhookId}})."),
            ),
        )
    }

    /// Deletes the endpoint (its messages and attempts expire with their `ttl`; the delivery
    /// function drops the pending ones of an endpoint that is gone).
    pub fn delete(&self, tx: Tx) -> Result<Tx, ApiError> {
        let tx = tx.delete(
            self.key(),
            Some("attribute_exists(PK)"),
            Expr::new(),
            webhook_not_found(),
        )?;
        count(tx, &self.org_id, -1, webhook_not_found())
    }

    /// Applies a change made through the API, conditional on the endpoint being as read.
    /// Disabling by hand takes it off the failing index; enabling it again forgets its failures.
    pub fn change(&self, tx: Tx, c: &EndpointChange, now: Timestamp) -> Result<Tx, ApiError> {
        let mut set = vec!["revision = revision + :one", "updatedAt = :now"];
        let mut remove = Vec::new();
        let mut expr = Expr::new()
            .value(":one", &1)
            .value(":now", &now)
            .value(":rev", &self.revision);
        if let Some(url) = &c.url {
            set.push("#url = :url");
            expr = expr.value(":url", url).name("#url", "url");
        }
        match &c.event_types {
            Some(Some(types)) => {
                set.push("eventTypes = :types");
                expr = expr.value(":types", types);
            }
            Some(None) => remove.push("eventTypes"),
            None => {}
        }
        match &c.description {
            Some(Some(d)) => {
                set.push("description = :desc");
                expr = expr.value(":desc", d);
            }
            Some(None) => remove.push("description"),
            None => {}
        }
        match c.enabled {
            Some(true) if !self.enabled => {
                set.push("enabled = :true");
                expr = expr.value(":true", &true);
                remove.extend([
                    "disabledReason",
                    "disabledAt",
                    "failingSince",
                    "GSI1PK",
                    "GSI1SK",
                ]);
            }
            Some(false) if self.enabled => {
                set.extend([
                    "enabled = :false",
                    "disabledReason = :manual",
                    "disabledAt = :now",
                ]);
                expr = expr
                    .value(":false", &false)
                    .value(":manual", &DisabledReason::Manual);
                remove.extend(["failingSince", "GSI1PK", "GSI1SK"]);
            }
            _ => {}
        }
        let mut update = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            update.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        tx.update(
            self.key(),
            &update,
            Some("revision = :rev"),
            expr,
            changed_meanwhile(),
        )
        .map(|tx| tx.or_if_missing(webhook_not_found()))
    }

    /// A new signing secret (its salt); the previous one stays live until `previous_until`
    /// (`None`: it ends now).
    pub fn rotate(
        &self,
        tx: Tx,
        salt: &str,
        previous_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Tx, ApiError> {
        let mut expr = Expr::new()
            .value(":salt", salt)
            .value(":one", &1)
            .value(":now", &now)
            .value(":rev", &self.revision);
        let update = match previous_until {
            Some(until) => {
                expr = expr
                    .value(":prev", &self.secret_salt)
                    .value(":until", &until);
                "SET secretSalt = :salt, previousSalt = :prev, previousUntil = :until, revision = revision + :one, updatedAt = :now"
            }
            None => "SET secretSalt = :salt, revision = revision + :one, updatedAt = :now REMOVE previousSalt, previousUntil",
        };
        tx.update(
            self.key(),
            update,
            Some("revision = :rev"),
            expr,
            changed_meanwhile(),
        )
        .map(|tx| tx.or_if_missing(webhook_not_found()))
    }

    /// A condition that the endpoint exists and is enabled when the transaction commits.
    pub fn guard_enabled(tx: Tx, org: &OrgId, id: &WebhookId) -> Result<Tx, ApiError> {
        tx.guard(
            Self::key_of(org, id),
            "attribute_exists(PK) AND enabled = :true",
            Expr::new().value(":true", &true),
            webhook_disabled(),
        )
        .map(|tx| tx.or_if_missing(webhook_not_found()))
    }

    /// A failed attempt at `at`: the endpoint is failing since then unless it was already (and
    /// is then on the failing index).
    pub fn failed_at(tx: Tx, org: &OrgId, id: &WebhookId, at: Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, id),
            "SET failingSince = if_not_exists(failingSince, :at), GSI1PK = if_not_exists(GSI1PK, :fpk), GSI1SK = if_not_exists(GSI1SK, :fsk)",
            Some("attribute_exists(PK) AND enabled = :true"),
            Expr::new()
                .value(":at", &at)
                .value(":fpk", FAILING_PK)
                .value(":fsk", &format!("{}#{}#{}", at.canonical(), org.as_str(), id.as_str()))
                .value(":true", &true),
            changed_meanwhile(),
        )
    }

    /// A successful attempt: the endpoint is no longer failing.
    pub fn succeeded(tx: Tx, org: &OrgId, id: &WebhookId) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, id),
            "REMOVE failingSince, GSI1PK, GSI1SK",
            Some("attribute_exists(PK)"),
            Expr::new(),
            changed_meanwhile(),
        )
    }

    /// Disables an endpoint failing since `failing_since` (as read: not if it succeeded meanwhile).
    pub fn disable_failing(&self, tx: Tx, now: Timestamp) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET enabled = :false, disabledReason = :failing, disabledAt = :now, revision = revision + :one REMOVE GSI1PK, GSI1SK",
            Some("enabled = :true AND failingSince = :since"),
            Expr::new()
                .value(":false", &false)
                .value(":true", &true)
                .value(":failing", &DisabledReason::Failing)
                .value(":now", &now)
                .value(":one", &1)
                .value(":since", &self.failing_since),
            changed_meanwhile(),
        )
    }

    /// One page of the organization's endpoints.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(ENDPOINT_PREFIX.into()),
            limit,
        )
        .after(cursor)
    }

    /// Every endpoint of the organization (at most `ENDPOINTS_PER_ORG`: one page).
    pub fn all_of_org(org: &OrgId) -> QuerySpec {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(ENDPOINT_PREFIX.into()),
            ENDPOINTS_PER_ORG + 1,
        )
    }

    /// The endpoints failing since `since` or earlier (the failing index), oldest first.
    pub fn failing_before(since: Timestamp, limit: u32) -> QuerySpec {
        QuerySpec::new(
            FAILING_PK,
            SortCond::Between("0".into(), format!("{}#~", since.canonical())),
            limit,
        )
        .on_index("GSI1")
    }
}

/// Adds `delta` to the organization's count of endpoints; an increase stays within the limit.
fn count(tx: Tx, org: &OrgId, delta: i64, on_fail: ApiError) -> Result<Tx, ApiError> {
    let mut expr = Expr::new()
        .value(":d", &delta)
        .value(":zero", &0)
        .value(":et", "webhooks")
        .value(":org", org);
    let condition = if delta < 0 {
        expr = expr.value(":least", &-delta);
        "endpointCount >= :least"
    } else {
        expr = expr.value(":room", &(i64::from(ENDPOINTS_PER_ORG) - delta));
        "attribute_not_exists(endpointCount) OR endpointCount <= :room"
    };
    tx.update(
        Key::new(org_pk(org), COUNT_SK),
        "SET endpointCount = if_not_exists(endpointCount, :zero) + :d, entity_type = :et, orgId = :org",
        Some(condition),
        expr,
        on_fail,
    )
}

/// A message's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageStatus {
    /// An attempt is in flight or a retry is due.
    Pending,
    Succeeded,
    /// Every attempt failed (or the endpoint was disabled or deleted before it succeeded).
    Failed,
}

/// What made an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Trigger {
    /// The first attempt of an event's message.
    Event,
    /// The first attempt of a test message.
    Test,
    /// An automatic retry (the scheduled function).
    Retry,
    /// `POST .../deliveries/{messageId}/resend`: one more attempt, not retried.
    Resend,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub webhook_id: WebhookId,
    pub message_id: MessageId,
    pub event_type: String,
    /// The audit event it tells (none for a test message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    /// The body every attempt sends, byte for byte (what the signature covers).
    pub body: String,
    pub created_at: Timestamp,
    /// Attempts made so far (the last one's number).
    pub attempts: u32,
    pub status: MessageStatus,
    /// Whether the last attempt has no outcome yet.
    pub in_flight: bool,
    /// The last attempt's item (its sort key), to mark it lost when it never ends.
    pub last_attempt_sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    ttl: i64,
}

impl Entity for MessageItem {
    const TYPE: &'static str = "webhook_message";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.message_id)
    }
}

fn due_partition(message: &MessageId) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(message.as_str().as_bytes());
    format!("{DUE_PREFIX}{}", u32::from(digest[0]) % DUE_SHARDS)
}

fn due_sort(at: Timestamp, org: &OrgId, message: &MessageId) -> String {
    format!("{}#{}#{}", at.canonical(), org.as_str(), message.as_str())
}

fn expiry(from: Timestamp) -> i64 {
    (from + chrono::Duration::days(LOG_DAYS)).epoch_seconds()
}

impl MessageItem {
    pub fn key_of(org: &OrgId, id: &MessageId) -> Key {
        Key::new(org_pk(org), format!("{MESSAGE_PREFIX}{}", id.as_str()))
    }
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        MessageId::parse(raw).map(|id| Self::key_of(org, &id))
    }

    /// A new message with its first attempt claimed at `at` (in flight until its outcome, or
    /// `LEASE_SECS`).
    pub fn first(
        org: &OrgId,
        webhook: &WebhookId,
        message_id: MessageId,
        (event_type, event_id): (&str, Option<EventId>),
        body: String,
        trigger: Trigger,
        at: Timestamp,
    ) -> (MessageItem, AttemptItem) {
        let attempt = AttemptItem::new(org, webhook, &message_id, event_type, 1, trigger, at);
        let key = Self::key_of(org, &message_id);
        let lease = at + chrono::Duration::seconds(LEASE_SECS);
        let message = MessageItem {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            webhook_id: webhook.clone(),
            gsi1pk: Some(due_partition(&message_id)),
            gsi1sk: Some(due_sort(lease, org, &message_id)),
            message_id,
            event_type: event_type.to_string(),
            event_id,
            body,
            created_at: at,
            attempts: 1,
            status: MessageStatus::Pending,
            in_flight: true,
            last_attempt_sk: attempt.sk.clone(),
            next_attempt_at: Some(lease),
            ttl: expiry(at),
        };
        (message, attempt)
    }

    /// Writes a new message and its first attempt; 409 `concurrent_update` when the message
    /// exists (the event was delivered to the stream function before).
    pub fn create(&self, attempt: &AttemptItem, tx: Tx) -> Result<Tx, ApiError> {
        let tx = tx.put_new(self, ApiError::concurrent("the message exists"))?;
        tx.put_new(attempt, ApiError::internal("webhook attempt collision"))
    }

    /// Claims the next attempt at `at`: a retry of a pending message whose retry is due, or a
    /// resend of a settled one. Conditional on the message as read.
    pub fn claim_next(
        &self,
        tx: Tx,
        trigger: Trigger,
        at: Timestamp,
    ) -> Result<(Tx, AttemptItem), ApiError> {
        let n = self.attempts + 1;
        let attempt = AttemptItem::new(
            &self.org_id,
            &self.webhook_id,
            &self.message_id,
            &self.event_type,
            n,
            trigger,
            at,
        );
        let lease = at + chrono::Duration::seconds(LEASE_SECS);
        let tx = tx.update(
            self.key(),
            "SET attempts = :n, inFlight = :true, #status = :pending, nextAttemptAt = :lease, lastAttemptSk = :last, GSI1PK = :due, GSI1SK = :duesk",
            Some("attempts = :seen AND #status = :was"),
            Expr::new()
                .value(":n", &n)
                .value(":true", &true)
                .value(":pending", &MessageStatus::Pending)
                .value(":lease", &lease)
                .value(":last", &attempt.sk)
                .value(":due", &due_partition(&self.message_id))
                .value(":duesk", &due_sort(lease, &self.org_id, &self.message_id))
                .value(":seen", &self.attempts)
                .value(":was", &self.status)
                .name("#status", "status"),
            ApiError::concurrent("The message was sent again meanwhile. Reload its deliveries."),
        )?;
        let tx = tx.or_if_missing(message_not_found());
        let tx = tx.put_new(&attempt, ApiError::internal("webhook attempt collision"))?;
        Ok((tx, attempt))
    }

    /// The outcome of attempt `n`: succeeded, retried at `next` or failed for good. Conditional on
    /// no later attempt having been claimed.
    pub fn settle(
        tx: Tx,
        org: &OrgId,
        message: &MessageId,
        n: u32,
        status: MessageStatus,
        next: Option<Timestamp>,
    ) -> Result<Tx, ApiError> {
        let mut expr = Expr::new()
            .value(":n", &n)
            .value(":false", &false)
            .value(":status", &status)
            .name("#status", "status");
        let update = match next {
            Some(at) => {
                expr = expr
                    .value(":next", &at)
                    .value(":due", &due_partition(message))
                    .value(":duesk", &due_sort(at, org, message));
                "SET inFlight = :false, #status = :status, nextAttemptAt = :next, GSI1PK = :due, GSI1SK = :duesk"
            }
            None => "SET inFlight = :false, #status = :status REMOVE nextAttemptAt, GSI1PK, GSI1SK",
        };
        tx.update(
            Self::key_of(org, message),
            update,
            Some("attempts = :n"),
            expr,
            ApiError::concurrent("a later attempt was claimed"),
        )
    }

    /// The messages due at `now` on one shard of the due index, oldest first.
    pub fn due(shard: u32, now: Timestamp, limit: u32) -> QuerySpec {
        QuerySpec::new(
            format!("{DUE_PREFIX}{shard}"),
            SortCond::Between("0".into(), format!("{}#~", now.canonical())),
            limit,
        )
        .on_index("GSI1")
    }
}

/// An attempt's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttemptState {
    /// Claimed; the delivery function sends it.
    Sending,
    /// A 2xx answer.
    Succeeded,
    Failed,
    /// No outcome was recorded within the lease (the function died): the message was sent again.
    Lost,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub webhook_id: WebhookId,
    pub message_id: MessageId,
    pub event_type: String,
    pub attempt: u32,
    pub trigger: Trigger,
    /// When it was claimed: the time the retry schedule and the failing clock count from.
    pub at: Timestamp,
    pub state: AttemptState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// The network error (or why it was not sent), when there is no status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// When the next attempt is due (a failure that is retried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    ttl: i64,
}

impl Entity for AttemptItem {
    const TYPE: &'static str = "webhook_attempt";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub state: AttemptState,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub next_attempt_at: Option<Timestamp>,
}

impl AttemptItem {
    fn new(
        org: &OrgId,
        webhook: &WebhookId,
        message: &MessageId,
        event_type: &str,
        attempt: u32,
        trigger: Trigger,
        at: Timestamp,
    ) -> Self {
        Self {
            pk: org_pk(org),
            sk: format!(
                "{ATTEMPT_PREFIX}{}#{}#{}#{attempt:03}",
                webhook.as_str(),
                at.canonical(),
                message.as_str()
            ),
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            webhook_id: webhook.clone(),
            message_id: message.clone(),
            event_type: event_type.to_string(),
            attempt,
            trigger,
            at,
            state: AttemptState::Sending,
            status_code: None,
            error: None,
            duration_ms: None,
            next_attempt_at: None,
            ttl: expiry(at),
        }
    }

    pub fn key_at(org: &OrgId, sk: &str) -> Key {
        Key::new(org_pk(org), sk)
    }

    /// Records the outcome, if the attempt is still in flight.
    pub fn record(&self, tx: Tx, o: &Outcome) -> Result<Tx, ApiError> {
        let mut set = vec!["#state = :state", "durationMs = :ms"];
        let mut expr = Expr::new()
            .value(":state", &o.state)
            .value(":ms", &o.duration_ms)
            .value(":sending", &AttemptState::Sending)
            .name("#state", "state");
        if let Some(code) = o.status_code {
            set.push("statusCode = :code");
            expr = expr.value(":code", &code);
        }
        if let Some(e) = &o.error {
            set.push("#error = :error");
            expr = expr.value(":error", e).name("#error", "error");
        }
        if let Some(next) = o.next_attempt_at {
            set.push("nextAttemptAt = :next");
            expr = expr.value(":next", &next);
        }
        tx.update(
            self.key(),
            &format!("SET {}", set.join(", ")),
            Some("#state = :sending"),
            expr,
            ApiError::concurrent("the attempt has its outcome already"),
        )
    }

    /// The condition and values that mark an attempt that never ended as lost (outside a
    /// transaction: bookkeeping no decision rests on).
    pub fn lost_update() -> (&'static str, &'static str, Expr) {
        (
            "SET #state = :lost, #error = :why",
            "#state = :sending",
            Expr::new()
                .value(":lost", &AttemptState::Lost)
                .value(":sending", &AttemptState::Sending)
                .value(
                    ":why",
                    "no outcome was recorded (the delivery function stopped); the message was sent again",
                )
                .name("#state", "state")
                .name("#error", "error"),
        )
    }

    /// One page of an endpoint's attempts, newest first, without those past their `ttl` that
    /// DynamoDB has not deleted yet (it may take two days).
    pub fn page_of_endpoint(
        org: &OrgId,
        webhook: &WebhookId,
        (limit, cursor): (u32, Option<&str>),
        now: Timestamp,
    ) -> Result<QuerySpec, ApiError> {
        let mut q = QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(format!("{ATTEMPT_PREFIX}{}#", webhook.as_str())),
            limit,
        )
        .filter(
            "#ttl > :now",
            Expr::new()
                .value(":now", &now.epoch_seconds())
                .name("#ttl", "ttl"),
        );
        q.newest_first = true;
        q.after(cursor)
    }
}

/// The longest endpoint URL.
pub const URL_MAX_CHARS: usize = 500;

/// A URL an endpoint may have: `https://` to a public host (see
/// `integrations::catalog::public_authority`: no credentials, no loopback, private, link-local,
/// shared, documentation or unspecified address, no IPv4-mapped form of one, no numeric-only host,
/// no `localhost`-like name), at most `URL_MAX_CHARS`; or `http://` or `https://` to one of
/// `allowed_private` exactly (`WEBHOOK_ALLOWED_PRIVATE_HOSTS`: the local run's and the tests').
pub fn parse_url(field: &str, raw: &str, allowed_private: &[String]) -> Result<String, ApiError> {
    use crate::integrations::catalog::{authority_of, public_authority};
    let refuse = |why: &str| {
        Err(ApiError::validation(
            field,
            format!("`{field}` must be an https:// URL of at most {URL_MAX_CHARS} characters to a public host: {why}."),
        ))
    };
    if raw.chars().count() > URL_MAX_CHARS {
        return refuse("it is too long");
    }
    if raw
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || crate::domain::is_spoofing_char(c))
    {
        return refuse("it holds spaces, control or invisible characters");
    }
    let (scheme, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => return refuse("it does not start with https://"),
    };
    let Some((host, _)) = authority_of(rest) else {
        return refuse("it has no host, a malformed port, or a user or password in it");
    };
    let allowed = allowed_private
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host));
    match scheme.as_str() {
        "https" if allowed || public_authority(rest) => Ok(raw.to_string()),
        "https" => refuse(
            "its host is a loopback, private, link-local or otherwise non-public address or name",
        ),
        "http" if allowed => Ok(raw.to_string()),
        _ => refuse("only https:// is allowed"),
    }
}

/// An endpoint URL as audit entries, events and emails show it: its scheme and authority, the rest
/// elided (a receiver's URL may carry a token in its path or query; only the endpoint's own routes
/// show it whole).
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let more = rest.len() > authority.len() && &rest[authority.len()..] != "/";
    format!("{scheme}://{authority}{}", if more { "/..." } else { "" })
}

/// The retry after failed attempt `n` of a message that is retried (none past the last).
pub fn retry_after(n: u32) -> Option<chrono::Duration> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    RETRY_DELAYS_SECS
        .get(i)
        .map(|s| chrono::Duration::seconds(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_to_public_hosts_unless_a_host_is_allowed() {
        let none: Vec<String> = vec![];
        assert!(parse_url("url", "https://hooks.example.com/x?a=1", &none).is_ok());
        assert!(parse_url("url", "https://93.184.216.34:8443/x", &none).is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "https://user:pw@hooks.example.com/x",
            "https://localhost/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.0.1/x",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://192.0.2.1/x",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[fd00::1]/x",
            "https://[2001:db8::1]/x",
            "https://2130706433/x",
            "https://0x7f000001/x",
            "https://db.internal/x",
            "https://printer.local/x",
            "https://a b.com/x",
            "hooks.example.com",
        ] {
            assert!(parse_url("url", bad, &none).is_err(), "{bad}");
        }
        let local = vec!["127.0.0.1".to_string()];
        assert!(parse_url("url", "http://127.0.0.1:9000/hook", &local).is_ok());
        assert!(parse_url("url", "http://127.0.0.2:9000/hook", &local).is_err());
        assert!(parse_url("url", "http://localhost:9000/hook", &local).is_err());
    }

    #[test]
    fn urls_are_shown_without_path_or_query() {
        assert_eq!(
            shown_url("https://hooks.example.com/services/T0/B0/secret?x=1"),
            "https://hooks.example.com/..."
        );
        assert_eq!(
            shown_url("https://h.example.com:8443/"),
            "https://h.example.com:8443"
        );
        assert_eq!(shown_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }

    #[test]
    fn the_schedule_is_svix_s_and_ends_after_the_eighth_attempt() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|n| retry_after(n).map_or(-1, |d| d.num_seconds()))
            .collect();
        assert_eq!(waits, vec![5, 300, 1800, 7200, 18000, 36000, 36000, -1]);
        assert_eq!(retry_after(0), None);
    }

    #[test]
    fn a_message_id_is_one_per_event_and_endpoint() {
        let (e, w1, w2) = (EventId::new(), WebhookId::new(), WebhookId::new());
        assert_eq!(MessageId::of(&e, &w1), MessageId::of(&e, &w1));
        assert_ne!(MessageId::of(&e, &w1), MessageId::of(&e, &w2));
        assert!(MessageId::parse(MessageId::of(&e, &w1).as_str()).is_some());
    }

    #[test]
    fn the_previous_secret_is_live_until_its_grace_ends() {
        let now = Timestamp::now();
        let mut e = EndpointItem::new(
            &OrgId::new(),
            WebhookId::new(),
            "https://example.com/h".into(),
            None,
            None,
            "new".into(),
            &UserId::parse("u", "user-1").unwrap(),
            now,
        );
        e.previous_salt = Some("old".into());
        e.previous_until = Some(now + chrono::Duration::minutes(5));
        assert_eq!(e.live_salts(now), vec!["new", "old"]);
        assert_eq!(
            e.live_salts(now + chrono::Duration::minutes(5)),
            vec!["new"]
        );
    }

    #[test]
    fn filters_pick_event_types_and_disabled_endpoints_want_nothing() {
        let mut e = EndpointItem::new(
            &OrgId::new(),
            WebhookId::new(),
            "https://example.com/h".into(),
            Some(vec!["MemberJoined".into()]),
            None,
            "s".into(),
            &UserId::parse("u", "user-1").unwrap(),
            Timestamp::now(),
        );
        assert!(e.wants("MemberJoined") && !e.wants("TeamCreated"));
        e.event_types = None;
        assert!(e.wants("TeamCreated"));
        e.enabled = false;
        assert!(!e.wants("TeamCreated"));
    }
}
