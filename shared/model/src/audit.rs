//! Audit entries: who did what, when, with details. Append-only, written in the same transaction
//! as the change, and the outbox the event publisher reads from the table's stream.
//! Entries are bucketed per organization and calendar month (see docs/data-model.md).

use crate::domain::{EventId, OrgId, Timestamp, UserId};
use crate::error::ApiError;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub event_id: EventId,
    pub org_id: OrgId,
    /// Dotted action name, e.g. `member.role_changed`.
    pub action: String,
    /// EventBridge detail-type, e.g. `MemberRoleChanged`.
    pub event_type: String,
    pub actor_id: UserId,
    /// What `actorId` names (entries written before there were other kinds: a person).
    #[serde(default)]
    pub actor_kind: ActorKind,
    pub at: Timestamp,
    /// One human-readable line, e.g. "role: developer -> admin".
    pub summary: String,
    pub details: Value,
}

impl Entity for AuditItem {
    const TYPE: &'static str = "audit";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.at, &self.event_id)
    }
}

/// The month bucket (`yyyy-mm`) of a time.
pub fn month_of(at: &Timestamp) -> String {
    at.format("%Y-%m").to_string()
}

impl AuditItem {
    pub fn partition(org: &OrgId, month: &str) -> String {
        format!("AUDIT#{org}#{month}")
    }
    pub fn key_of(org: &OrgId, at: &Timestamp, id: &EventId) -> Key {
        Key::new(
            Self::partition(org, &month_of(at)),
            format!("{}#{id}", at.canonical()),
        )
    }

    /// One page of a month's entries between `from` and `to`, newest first, optionally
    /// filtered by action and actor; `after` is the sort key the previous page ended on.
    pub fn page_of_month(
        org: &OrgId,
        month: &str,
        (from, to): (Option<Timestamp>, Option<Timestamp>),
        (action, actor): (Option<&str>, Option<&UserId>),
        limit: u32,
        after: Option<String>,
    ) -> QuerySpec {
        let partition = Self::partition(org, month);
        let lower = from.map_or_else(|| "0".into(), |f| f.canonical());
        let upper = to.map_or_else(|| "~".into(), |t| t.canonical() + "#~");
        let mut q = QuerySpec::new(partition.clone(), SortCond::Between(lower, upper), limit);
        q.newest_first = true;
        q.start = after.map(|sk| Key::new(partition, sk).to_item());
        let mut filters = Vec::new();
        let mut expr = Expr::new();
        if let Some(a) = action {
            filters.push("#action = :action");
            expr = expr.value(":action", a).name("#action", "action");
        }
        if let Some(u) = actor {
            filters.push("actorId = :actor");
            expr = expr.value(":actor", u);
        }
        if filters.is_empty() {
            q
        } else {
            q.filter(filters.join(" AND "), expr)
        }
    }
}

/// Every event type an audit entry may carry (its EventBridge detail-type and a webhook message's
/// `type`): what a webhook endpoint's `eventTypes` may name. An entry of a type not listed here
/// fails every debug build's tests (`AuditEntry::into_item`).
pub const EVENT_TYPES: &[&str] = &[
    "OrganizationCreated",
    "OrganizationUpdated",
    "OrganizationSettingsChanged",
    "OrganizationClosed",
    "OrganizationReactivated",
    "OwnershipTransferred",
    "SubscriptionChanged",
    "MemberJoined",
    "MemberRoleChanged",
    "MemberRemoved",
    "MemberDeactivated",
    "MemberReactivated",
    "InvitationCreated",
    "InvitationResent",
    "InvitationRevoked",
    "InvitationsCleanedUp",
    "TeamCreated",
    "TeamUpdated",
    "TeamDeleted",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "TeamMembersChanged",
    "ProjectCreated",
    "ProjectUpdated",
    "ProjectDeleted",
    "ProjectAccessGranted",
    "ProjectAccessRevoked",
    "IntegrationCreated",
    "IntegrationUpdated",
    "IntegrationDeleted",
    "IntegrationSecretRotated",
    "DefaultStorageChanged",
    "CleanupPolicyChanged",
    "RoleCreated",
    "RoleUpdated",
    "RoleDeleted",
    "DomainAdded",
    "DomainVerified",
    "DomainUnverified",
    "DomainEnrollmentSet",
    "DomainRemoved",
    "MembershipRequested",
    "MembershipRequestApproved",
    "MembershipRequestRejected",
    "ApiKeyCreated",
    "ApiKeyUpdated",
    "ApiKeyRolled",
    "ApiKeyRevoked",
    "DirectoryUpdated",
    "ScimTokenCreated",
    "ScimTokenRevoked",
    "DirectoryUserProvisioned",
    "DirectoryUserUpdated",
    "DirectoryUserDeleted",
    "WebhookEndpointCreated",
    "WebhookEndpointUpdated",
    "WebhookEndpointDeleted",
    "WebhookSecretRotated",
    "WebhookEndpointDisabled",
];

/// Who made a change: what an audit entry's `actorId` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person (the id is their user id).
    #[default]
    User,
    /// An organization API key calling the API (the id is the key's, `key_...`).
    ApiKey,
    /// An identity provider with one of the organization's SCIM tokens (the token's id).
    ScimToken,
    /// Another service of the platform, through an IAM-authorized route (its role's name).
    Service,
    /// This service's own scheduled work (the job's name).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::ScimToken => "scim_token",
            ActorKind::Service => "service",
            ActorKind::System => "system",
        }
    }
}

/// What a change records about itself; appended as an [`AuditItem`].
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub org_id: OrgId,
    pub actor_id: UserId,
    pub actor_kind: ActorKind,
    pub action: &'static str,
    pub event_type: &'static str,
    pub at: Timestamp,
    pub summary: String,
    pub details: Value,
}

impl AuditEntry {
    pub fn into_item(self) -> AuditItem {
        debug_assert!(
            EVENT_TYPES.contains(&self.event_type),
            "add the event type {} to model::audit::EVENT_TYPES",
            self.event_type
        );
        let event_id = EventId::new();
        let key = AuditItem::key_of(&self.org_id, &self.at, &event_id);
        AuditItem {
            pk: key.pk,
            sk: key.sk,
            entity_type: AuditItem::TYPE.into(),
            event_id,
            org_id: self.org_id,
            action: self.action.into(),
            event_type: self.event_type.into(),
            actor_id: self.actor_id,
            actor_kind: self.actor_kind,
            at: self.at,
            summary: self.summary,
            details: self.details,
        }
    }
}

/// Appending the audit entry of a change to its transaction.
pub trait Audited: Sized {
    fn audit(self, entry: AuditEntry) -> Result<Self, ApiError>;
}

impl Audited for Tx {
    /// Appends the entry (append-only: never overwrites).
    fn audit(self, entry: AuditEntry) -> Result<Tx, ApiError> {
        self.put_new(
            &entry.into_item(),
            ApiError::internal("audit entry key collision"),
        )
    }
}

/// The month before `month` (`YYYY-MM`), or `None` when `month` is not one.
pub fn previous_month(month: &str) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let prev = d.checked_sub_months(chrono::Months::new(1))?;
    Some(prev.format("%Y-%m").to_string())
}
