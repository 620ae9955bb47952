//! The single-table store: the only module that knows key formats and talks to DynamoDB.
//! See docs/data-model.md for every access pattern and the key condition that serves it.

use crate::domain::*;
use crate::error::ApiError;
use crate::permissions::Role;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, KeysAndAttributes, Put,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// Key formats. Nothing outside this module builds a key string.
pub mod keys {
    use super::*;
    pub const ORG_SK: &str = "ORG";
    pub const SLUG_SK: &str = "SLUG";
    pub const USER_SK: &str = "USER";
    pub const MEMBER_PREFIX: &str = "MEMBER#";

    pub fn org_pk(org: &OrgId) -> String {
        format!("ORG#{org}")
    }
    pub fn member_sk(user: &UserId) -> String {
        format!("{MEMBER_PREFIX}{}", user.as_str())
    }
    pub fn user_pk(user: &UserId) -> String {
        format!("USER#{}", user.as_str())
    }
    pub fn slug_pk(slug: &Slug) -> String {
        format!("SLUG#{}", slug.as_str())
    }
    /// Audit entries are bucketed per organization and calendar month (see data-model.md).
    pub fn audit_pk(org: &OrgId, month: &str) -> String {
        format!("AUDIT#{org}#{month}")
    }
    pub fn audit_sk(at: &DateTime<Utc>, id: &EventId) -> String {
        format!(
            "{}#{id}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }
    pub fn month_of(at: &DateTime<Utc>) -> String {
        at.format("%Y-%m").to_string()
    }
    pub fn invitation_sk(id: &InvitationId) -> String {
        format!("{INVITE_PREFIX}{id}")
    }
    pub const INVITE_PREFIX: &str = "INVITE#";
    /// The verified email of a member, for "already a member" checks without a read.
    pub fn member_email_sk(email: &Email) -> String {
        format!("EMAIL#{}", email.as_str())
    }
    /// GSI1 partition of the pending invitations addressed to an email.
    pub fn invitee_pk(email: &Email) -> String {
        format!("INVITEE#{}", email.as_str())
    }
    /// A user's project grant in an organization's partition.
    pub fn user_grant_sk(project: &str, user: &UserId) -> String {
        format!("GRANT#{project}#user:{}", user.as_str())
    }
    pub fn key(pk: String, sk: impl Into<String>) -> super::Item {
        HashMap::from([
            ("PK".to_string(), AttributeValue::S(pk)),
            ("SK".to_string(), AttributeValue::S(sk.into())),
        ])
    }
}

// ---------------------------------------------------------------------------------------------
// Items: one serde struct per item type.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Starter,
    Pro,
    Agency,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Starter, Plan::Pro, Plan::Agency];
    /// Seat limit; `None` is unlimited.
    pub fn seat_limit(self) -> Option<u32> {
        match self {
            Plan::Free => Some(2),
            Plan::Starter => Some(5),
            Plan::Pro | Plan::Agency => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Agency => "agency",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    pub org_id: OrgId,
    pub name: String,
    pub slug: Slug,
    pub status: OrgStatus,
    pub owner_id: UserId,
    pub plan: Plan,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub billing_profile: BillingProfile,
    pub personal: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<DateTime<Utc>>,
    /// Members, counted in the same transaction as every membership write.
    pub member_count: u32,
    /// Remaining uses of pending invitations (seats reserved but not yet taken).
    #[serde(default)]
    pub pending_seats: u32,
    /// `memberCount + pendingSeats`, kept as one attribute so a condition can compare it with the
    /// plan's limit (condition expressions cannot add).
    #[serde(default)]
    pub seats_used: u32,
}

impl OrgItem {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        org_id: OrgId,
        name: OrgName,
        slug: Slug,
        owner: &UserId,
        personal: bool,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            pk: keys::org_pk(&org_id),
            sk: keys::ORG_SK.into(),
            entity_type: "org".into(),
            gsi1pk: None,
            gsi1sk: None,
            org_id,
            name: name.as_str().to_string(),
            slug,
            status: OrgStatus::Active,
            owner_id: owner.clone(),
            plan: Plan::Free,
            settings: Settings::default(),
            billing_profile: BillingProfile::default(),
            personal,
            created_by: owner.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            purge_at: None,
            member_count: 1,
            pending_seats: 0,
            seats_used: 1,
        }
    }
    pub fn key(&self) -> Item {
        keys::key(self.pk.clone(), self.sk.clone())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    /// `USER#<userId>`: the user's organizations.
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    /// `ORG#<orgId>`
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub org_id: OrgId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sort keys (in this organization's partition) of everything that exists because of this
    /// membership: team memberships and direct project grants. Kept in the same transactions that
    /// create those items, so removing the member deletes them all without a read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// Project-scoped roles granted to this member directly (project id -> role), written in the
    /// same transactions as the grant items, so the access read sees them without another request.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub project_roles: std::collections::BTreeMap<String, Role>,
}

impl MemberItem {
    pub fn new(
        org_id: &OrgId,
        user_id: &UserId,
        email: Option<Email>,
        display_name: Option<String>,
        role: Role,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            pk: keys::org_pk(org_id),
            sk: keys::member_sk(user_id),
            entity_type: "member".into(),
            gsi1pk: keys::user_pk(user_id),
            gsi1sk: keys::org_pk(org_id),
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            email,
            display_name,
            role,
            joined_at: now,
            updated_at: now,
            refs: Vec::new(),
            project_roles: Default::default(),
        }
    }
    pub fn key(&self) -> Item {
        keys::key(self.pk.clone(), self.sk.clone())
    }
    /// The item that marks this member's verified email as taken in the organization.
    pub fn email_item(&self) -> Option<MemberEmailItem> {
        self.email.as_ref().map(|e| MemberEmailItem {
            pk: self.pk.clone(),
            sk: keys::member_email_sk(e),
            entity_type: "member_email".into(),
            user_id: self.user_id.clone(),
        })
    }
    /// Keys of the items this membership brought along (see `refs`).
    pub fn ref_keys(&self) -> Vec<Item> {
        self.refs
            .iter()
            .map(|sk| keys::key(self.pk.clone(), sk.clone()))
            .collect()
    }
}

/// Marks a verified email as belonging to a member of the organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberEmailItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    pub user_id: UserId,
}

impl MemberEmailItem {
    pub fn key_of(org: &OrgId, email: &Email) -> Item {
        keys::key(keys::org_pk(org), keys::member_email_sk(email))
    }
    pub fn key(&self) -> Item {
        keys::key(self.pk.clone(), self.sk.clone())
    }
}

/// Whether the invitation email went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailStatus {
    Sending,
    Sent,
    Failed,
}

/// An invitation. Its code is never stored: the code is derived from `codeNonce` with the
/// server's `INVITATION_CODE_KEY`, so a copy of the table alone cannot produce it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    /// `INVITEE#<email>` while the invitation can still be accepted (sparse).
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    pub invitation_id: InvitationId,
    pub org_id: OrgId,
    pub email: Email,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
    pub max_uses: u32,
    pub uses: u32,
    pub revoked: bool,
    pub expires_in_days: u32,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub invited_by: UserId,
    pub inviter_name: String,
    pub created_at: DateTime<Utc>,
    /// Random 256-bit nonce; the code is HMAC(INVITATION_CODE_KEY, nonce).
    pub code_nonce: String,
    pub email_status: EmailStatus,
    pub send_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Epoch seconds: DynamoDB removes the item 30 days after it expired.
    pub ttl: i64,
}

impl InvitationItem {
    pub fn key(&self) -> Item {
        keys::key(self.pk.clone(), self.sk.clone())
    }
    pub fn key_of(org: &OrgId, id: &InvitationId) -> Item {
        keys::key(keys::org_pk(org), keys::invitation_sk(id))
    }
    pub fn invitee_index(
        email: &Email,
        created_at: &DateTime<Utc>,
        org: &OrgId,
        id: &InvitationId,
    ) -> (String, String) {
        (
            keys::invitee_pk(email),
            format!(
                "{}#{org}#{id}",
                created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
        )
    }
    pub fn ttl_for(expires_at: &DateTime<Utc>) -> i64 {
        (*expires_at + chrono::Duration::days(30)).timestamp()
    }
}

/// A project-scoped role of one user (teams come later).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    pub org_id: OrgId,
    pub project_id: String,
    pub principal: String,
    pub role: Role,
    pub granted_by: UserId,
    pub granted_at: DateTime<Utc>,
}

impl GrantItem {
    pub fn for_user(
        org: &OrgId,
        project: &str,
        user: &UserId,
        role: Role,
        by: &UserId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            pk: keys::org_pk(org),
            sk: keys::user_grant_sk(project, user),
            entity_type: "grant".into(),
            org_id: org.clone(),
            project_id: project.to_string(),
            principal: format!("user:{}", user.as_str()),
            role,
            granted_by: by.clone(),
            granted_at: at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlugItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    pub org_id: OrgId,
}

impl SlugItem {
    pub fn new(slug: &Slug, org_id: &OrgId) -> Self {
        Self {
            pk: keys::slug_pk(slug),
            sk: keys::SLUG_SK.into(),
            entity_type: "slug".into(),
            org_id: org_id.clone(),
        }
    }
    pub fn key_of(slug: &Slug) -> Item {
        keys::key(keys::slug_pk(slug), keys::SLUG_SK)
    }
}

/// Per-user bookkeeping: organizations created (for the creation limit) and the personal organization.
pub fn user_key(user: &UserId) -> Item {
    keys::key(keys::user_pk(user), keys::USER_SK)
}

/// One audit entry: who did what, when, with details. Append-only; it is also the outbox
/// the event publisher reads from the table's stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "entity_type")]
    pub entity_type: String,
    pub event_id: EventId,
    pub org_id: OrgId,
    /// Dotted action name, e.g. `member.role_changed`.
    pub action: String,
    /// EventBridge detail-type, e.g. `MemberRoleChanged`.
    pub event_type: String,
    pub actor_id: UserId,
    pub at: DateTime<Utc>,
    /// One human-readable line, e.g. "role: developer -> admin".
    pub summary: String,
    pub details: serde_json::Value,
}

/// What a change records about itself; the store turns it into an [`AuditItem`].
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub org_id: OrgId,
    pub actor_id: UserId,
    pub action: &'static str,
    pub event_type: &'static str,
    pub at: DateTime<Utc>,
    pub summary: String,
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub fn into_item(self) -> AuditItem {
        let event_id = EventId::new();
        AuditItem {
            pk: keys::audit_pk(&self.org_id, &keys::month_of(&self.at)),
            sk: keys::audit_sk(&self.at, &event_id),
            entity_type: "audit".into(),
            event_id,
            org_id: self.org_id,
            action: self.action.into(),
            event_type: self.event_type.into(),
            actor_id: self.actor_id,
            at: self.at,
            summary: self.summary,
            details: self.details,
        }
    }
}

/// The condition that the organization is active, for the organization item in a transaction
/// (the pipeline checked the state it read; this keeps a concurrent closure from slipping in).
pub fn org_active() -> (&'static str, Expr) {
    (
        "#status = :active",
        Expr::new().s(":active", "active").name("#status", "status"),
    )
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------------------------
// Transactions with per-item error mapping.

/// Expression values and names, with helpers to add them.
#[derive(Default, Clone, Debug)]
pub struct Expr {
    pub values: HashMap<String, AttributeValue>,
    pub names: HashMap<String, String>,
}

impl Expr {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn s(mut self, name: &str, v: impl Into<String>) -> Self {
        self.values.insert(name.into(), AttributeValue::S(v.into()));
        self
    }
    pub fn n(mut self, name: &str, v: impl ToString) -> Self {
        self.values
            .insert(name.into(), AttributeValue::N(v.to_string()));
        self
    }
    pub fn v<T: Serialize>(mut self, name: &str, v: &T) -> Result<Self, ApiError> {
        let av: AttributeValue = serde_dynamo::to_attribute_value(v).map_err(ApiError::internal)?;
        self.values.insert(name.into(), av);
        Ok(self)
    }
    pub fn name(mut self, placeholder: &str, attr: &str) -> Self {
        self.names.insert(placeholder.into(), attr.into());
        self
    }
    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
}

/// A TransactWriteItems request whose items each say which error a failed condition means.
pub struct Tx {
    table: String,
    items: Vec<TransactWriteItem>,
    on_fail: Vec<ApiError>,
}

impl Tx {
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_string(),
            items: Vec::new(),
            on_fail: Vec::new(),
        }
    }
    /// Put a new item; fails with `on_fail` if an item with the same key exists.
    pub fn put_new<T: Serialize>(self, item: &T, on_fail: ApiError) -> Result<Self, ApiError> {
        self.put(item, Some("attribute_not_exists(PK)"), Expr::new(), on_fail)
    }
    pub fn put<T: Serialize>(
        mut self,
        item: &T,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn update(
        mut self,
        key: Item,
        update: &str,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().update(u).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn delete(
        mut self,
        key: Item,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().delete(d).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn check(
        mut self,
        key: Item,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let c = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().condition_check(c).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    /// Appends the audit entry of the change (append-only: never overwrites).
    pub fn audit(self, entry: AuditEntry) -> Result<Self, ApiError> {
        let item = entry.into_item();
        self.put_new(&item, ApiError::internal("audit entry key collision"))
    }
}

/// Maps cancellation reasons by position to the first failed item's error.
fn map_cancellation(reasons: &[CancellationReason], on_fail: &[ApiError]) -> Option<ApiError> {
    reasons.iter().zip(on_fail).find_map(|(reason, err)| {
        (reason.code() == Some("ConditionalCheckFailed")).then(|| err.clone())
    })
}

fn is_conflict_only(reasons: &[CancellationReason]) -> bool {
    reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
        && reasons
            .iter()
            .all(|r| matches!(r.code(), None | Some("None") | Some("TransactionConflict")))
}

// ---------------------------------------------------------------------------------------------
// Cursors: opaque to callers, checked against the partition they page through.

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The partition the page belongs to (the query's PK or GSI1PK value).
    p: String,
    /// LastEvaluatedKey as strings (every key attribute of this table is a string).
    k: HashMap<String, String>,
}

pub fn encode_cursor(partition: &str, lek: &Item) -> String {
    let k = lek
        .iter()
        .filter_map(|(name, v)| v.as_s().ok().map(|s| (name.clone(), s.clone())))
        .collect();
    let json = serde_json::to_vec(&CursorData {
        p: partition.to_string(),
        k,
    })
    .unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor(partition: &str, cursor: &str) -> Result<Item, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "`cursor` is not a cursor this list returned; start again without it.",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if data.p != partition || !data.k.contains_key("PK") || !data.k.contains_key("SK") {
        return Err(bad());
    }
    Ok(data
        .k
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------

/// The store: a DynamoDB client and the table name.
#[derive(Clone)]
pub struct Store {
    pub client: Client,
    pub table: String,
}

/// What the request pipeline reads in one request: the organization, the caller's membership,
/// and optionally the membership the route acts on.
#[derive(Debug, Default)]
pub struct AccessItems {
    pub org: Option<OrgItem>,
    pub caller: Option<MemberItem>,
    pub target: Option<MemberItem>,
    pub invitation: Option<InvitationItem>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn tx(&self) -> Tx {
        Tx::new(&self.table)
    }

    /// Runs a transaction. A failed condition maps to the error of the item that failed;
    /// pure write conflicts with a concurrent transaction are retried a few times
    /// (every transaction here is fully conditional, so a retry re-checks everything).
    pub async fn commit(&self, tx: Tx) -> Result<(), ApiError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
        let mut attempt = 0u32;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(tx.items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            match err.into_service_error() {
                E::TransactionCanceledException(e) => {
                    let reasons = e.cancellation_reasons();
                    if let Some(mapped) = map_cancellation(reasons, &tx.on_fail) {
                        return Err(mapped);
                    }
                    if is_conflict_only(reasons) && attempt < 8 {
                        attempt += 1;
                        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 40;
                        tokio::time::sleep(std::time::Duration::from_millis(
                            10 * u64::from(attempt) + jitter,
                        ))
                        .await;
                        continue;
                    }
                    if is_conflict_only(reasons) {
                        return Err(ApiError::conflict("concurrent_update", "Another change to the same data happened at the same time. Retry the request.").retry_after(1));
                    }
                    return Err(ApiError::internal(format!(
                        "transaction cancelled: {:?}",
                        reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                    )));
                }
                E::TransactionInProgressException(_)
                | E::ProvisionedThroughputExceededException(_)
                | E::RequestLimitExceeded(_)
                | E::ThrottlingException(_) => {
                    return Err(ApiError::unavailable("DynamoDB throttled or busy"));
                }
                other => {
                    return Err(ApiError::internal(format!(
                        "TransactWriteItems failed: {other}"
                    )))
                }
            }
        }
    }

    /// One BatchGetItem (strongly consistent) for the organization, the caller's membership and
    /// optionally a target membership. Unprocessed keys (only under throttling) are retried.
    pub async fn load_access(
        &self,
        org: &OrgId,
        caller: &UserId,
        target: Option<&UserId>,
        invitation: Option<&InvitationId>,
    ) -> Result<AccessItems, ApiError> {
        let org_pk = keys::org_pk(org);
        let mut wanted = vec![
            keys::key(org_pk.clone(), keys::ORG_SK),
            keys::key(org_pk.clone(), keys::member_sk(caller)),
        ];
        if let Some(t) = target.filter(|t| *t != caller) {
            wanted.push(keys::key(org_pk.clone(), keys::member_sk(t)));
        }
        if let Some(i) = invitation {
            wanted.push(InvitationItem::key_of(org, i));
        }
        let items = self.batch_get(wanted).await?;
        let mut access = AccessItems::default();
        for item in items {
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == keys::ORG_SK {
                access.org = Some(from_item(item)?);
            } else if sk.starts_with(keys::INVITE_PREFIX) {
                access.invitation = Some(from_item(item)?);
            } else if sk == keys::member_sk(caller) {
                let m: MemberItem = from_item(item)?;
                if target == Some(caller) {
                    access.target = Some(m.clone());
                }
                access.caller = Some(m);
            } else {
                access.target = Some(from_item(item)?);
            }
        }
        Ok(access)
    }

    /// Strongly consistent BatchGetItem of up to 100 keys.
    pub async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, ApiError> {
        let mut out = Vec::new();
        if keys.is_empty() {
            return Ok(out);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(ApiError::internal)?;
        for _ in 0..5 {
            let resp = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|e| {
                    ApiError::internal(format!(
                        "BatchGetItem failed: {}",
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    ))
                })?;
            if let Some(mut r) = resp.responses {
                out.extend(r.remove(&self.table).unwrap_or_default());
            }
            match resp
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                Some(rest) if !rest.keys().is_empty() => pending = rest,
                _ => return Ok(out),
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(ApiError::unavailable("BatchGetItem left keys unprocessed"))
    }

    pub async fn get(&self, key: Item) -> Result<Option<Item>, ApiError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                ApiError::internal(format!(
                    "GetItem failed: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                ))
            })?;
        Ok(resp.item)
    }

    /// One Query page. `partition` is the value of `PK` (or `GSI1PK` with `index`).
    /// Returns the items and the LastEvaluatedKey.
    pub async fn query_page(
        &self,
        q: QuerySpec<'_>,
    ) -> Result<(Vec<Item>, Option<Item>), ApiError> {
        let (pk_attr, index) = match q.index {
            Some(i) => ("GSI1PK", Some(i.to_string())),
            None => ("PK", None),
        };
        let sk_attr = if q.index.is_some() { "GSI1SK" } else { "SK" };
        let mut expr = q
            .expr
            .s(":pk", q.partition)
            .name("#pk", pk_attr)
            .name("#sk", sk_attr);
        let mut key_condition = "#pk = :pk".to_string();
        match &q.sort {
            SortCond::Any => {
                expr.names.remove("#sk");
            }
            SortCond::BeginsWith(p) => {
                key_condition.push_str(" AND begins_with(#sk, :skp)");
                expr = expr.s(":skp", p.clone());
            }
            SortCond::Between(a, b) => {
                key_condition.push_str(" AND #sk BETWEEN :ska AND :skb");
                expr = expr.s(":ska", a.clone()).s(":skb", b.clone());
            }
        }
        let resp = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index)
            .key_condition_expression(key_condition)
            .set_filter_expression(q.filter.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .set_exclusive_start_key(q.start.clone())
            .scan_index_forward(!q.newest_first)
            .limit(q.limit as i32)
            .set_consistent_read(q.index.is_none().then_some(true))
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_dynamodb::error::ProvideErrorMetadata;
                // A cursor that decodes but does not fit this query's key schema.
                if q.start.is_some() && e.code() == Some("ValidationException") {
                    return ApiError::bad_request(
                        "invalid_cursor",
                        "`cursor` is not a cursor this list returned; start again without it.",
                    );
                }
                ApiError::internal(format!(
                    "Query failed: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                ))
            })?;
        Ok((resp.items.unwrap_or_default(), resp.last_evaluated_key))
    }
}

pub enum SortCond {
    Any,
    BeginsWith(String),
    Between(String, String),
}

pub struct QuerySpec<'a> {
    pub partition: &'a str,
    pub index: Option<&'a str>,
    pub sort: SortCond,
    pub filter: Option<&'a str>,
    pub expr: Expr,
    pub limit: u32,
    pub start: Option<Item>,
    pub newest_first: bool,
}

impl<'a> QuerySpec<'a> {
    pub fn new(partition: &'a str, sort: SortCond, limit: u32) -> Self {
        Self {
            partition,
            index: None,
            sort,
            filter: None,
            expr: Expr::new(),
            limit,
            start: None,
            newest_first: false,
        }
    }

    /// Continues after the position a cursor of this partition encodes.
    pub fn after(mut self, cursor: Option<&str>) -> Result<Self, ApiError> {
        self.start = cursor
            .map(|c| decode_cursor(self.partition, c))
            .transpose()?;
        Ok(self)
    }
}

impl Store {
    /// One page of an organization's invitations (one Query), oldest first.
    pub async fn org_invitations(
        &self,
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<InvitationItem>, ApiError> {
        let partition = keys::org_pk(org);
        let q = QuerySpec::new(
            &partition,
            SortCond::BeginsWith(keys::INVITE_PREFIX.into()),
            limit,
        )
        .after(cursor)?;
        self.page_of(q).await
    }

    /// One page of a list in one partition: one Query, items mapped, the cursor of the next page.
    pub async fn page_of<T: DeserializeOwned>(
        &self,
        q: QuerySpec<'_>,
    ) -> Result<Page<T>, ApiError> {
        let partition = q.partition.to_string();
        let (items, lek) = self.query_page(q).await?;
        let items = items
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<T>, _>>()?;
        Ok(Page {
            items,
            next_cursor: lek.map(|k| encode_cursor(&partition, &k)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_partition_check() {
        let lek = keys::key("ORG#a".into(), "MEMBER#u");
        let c = encode_cursor("ORG#a", &lek);
        assert_eq!(decode_cursor("ORG#a", &c).unwrap(), lek);
        assert_eq!(
            decode_cursor("ORG#b", &c).unwrap_err().code,
            "invalid_cursor"
        );
        assert_eq!(
            decode_cursor("ORG#a", "!!").unwrap_err().code,
            "invalid_cursor"
        );
    }

    #[test]
    fn cancellation_reasons_map_by_position() {
        let r = |c: &str| CancellationReason::builder().code(c).build();
        let errs = vec![
            ApiError::conflict("a", "a"),
            ApiError::conflict("slug_taken", "b"),
        ];
        let got = map_cancellation(&[r("None"), r("ConditionalCheckFailed")], &errs).unwrap();
        assert_eq!(got.code, "slug_taken");
        assert!(map_cancellation(&[r("None"), r("TransactionConflict")], &errs).is_none());
        assert!(is_conflict_only(&[r("None"), r("TransactionConflict")]));
    }
}
