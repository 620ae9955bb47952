//! A request to join an organization through its verified domain (`automatic_suggestion`):
//! `MREQ#<requestId>` in the organization's partition. The id is derived from the organization
//! and the person (`RequestId::of`), so each person has at most one: asking twice fails the
//! create's condition. An approval deletes it in the join's transaction; a rejection keeps it
//! 30 days (no new request until then) and DynamoDB's TTL removes it after.

use super::name::DomainName;
use crate::domain::{Email, OrgId, RequestId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::store::{org_pk, Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};

const REQUEST_PREFIX: &str = "MREQ#";
/// Days a rejected person waits before asking again.
pub const REJECTED_DAYS: i64 = 30;
/// Membership requests one organization receives per UTC day (429 `membership_request_limit`
/// past it): everyone with an address at a verified domain may ask, so a flood of requests
/// (and of the admins' notifications) is bounded like invitation emails are.
pub const REQUESTS_PER_ORG_PER_DAY: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipRequestItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub request_id: RequestId,
    pub org_id: OrgId,
    pub user_id: UserId,
    /// The requester's verified email at the domain (what the membership will carry).
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub domain: String,
    pub status: RequestStatus,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// Epoch seconds: set on rejection, when the person may ask again and TTL removes the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

impl Entity for MembershipRequestItem {
    const TYPE: &'static str = "membership_request";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.request_id)
    }
}

pub fn request_not_found() -> ApiError {
    ApiError::new(
        Code::MembershipRequestNotFound,
        "No membership request with this id in the organization.",
    )
}

impl MembershipRequestItem {
    pub fn key_of(org: &OrgId, id: &RequestId) -> Key {
        Key::new(org_pk(org), format!("{REQUEST_PREFIX}{id}"))
    }
    /// The key of the request a path's `{requestId}` names, if it can be an id.
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        RequestId::parse(raw).map(|id| Self::key_of(org, &id))
    }

    pub fn new(
        org: &OrgId,
        user: &UserId,
        email: &Email,
        display_name: Option<String>,
        domain: &DomainName,
        now: Timestamp,
    ) -> Self {
        let request_id = RequestId::of(org, user);
        let key = Self::key_of(org, &request_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            request_id,
            org_id: org.clone(),
            user_id: user.clone(),
            email: email.clone(),
            display_name,
            domain: domain.as_str().to_string(),
            status: RequestStatus::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            ttl: None,
        }
    }

    /// Whether the person may not ask again yet (pending, or rejected less than 30 days ago).
    pub fn blocks_new(&self, now: Timestamp) -> bool {
        self.status == RequestStatus::Pending || self.ttl.is_some_and(|t| t > now.epoch_seconds())
    }

    /// Counts this request against the organization's requests of `now`'s UTC day.
    pub fn count_today(&self, tx: Tx, now: Timestamp) -> Result<Tx, ApiError> {
        let day = now.format("%Y-%m-%d").to_string();
        let full = ApiError::new(
            Code::MembershipRequestLimit,
            format!("The organization received {REQUESTS_PER_ORG_PER_DAY} membership requests today, the most it takes per day; retry after midnight UTC, or ask an admin to invite you."),
        )
        .with("limit", "membershipRequestsPerOrgPerDay")
        .with("max", REQUESTS_PER_ORG_PER_DAY)
        .retry_after(crate::store::seconds_to_next_day(now));
        crate::store::count_today(
            tx,
            Key::new(org_pk(&self.org_id), format!("MREQCOUNT#{day}")),
            "membership_request_count",
            REQUESTS_PER_ORG_PER_DAY,
            now,
            full,
        )
    }

    /// Puts a new request: none exists, or the last one was rejected and its wait is over.
    pub fn create(&self, tx: Tx, now: Timestamp, exists: ApiError) -> Result<Tx, ApiError> {
        tx.put(
            self,
            Some("attribute_not_exists(PK) OR (#rst = :rrej AND #rttl <= :rnow)"),
            Expr::new()
                .name("#rst", "status")
                .name("#rttl", "ttl")
                .value(":rrej", &RequestStatus::Rejected)
                .value(":rnow", &now.epoch_seconds()),
            exists,
        )
    }

    /// Approved: the request goes (the membership replaces it), conditional on it still pending.
    pub fn approved(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.delete(
            self.key(),
            Some("#rst = :rpend"),
            Expr::new()
                .name("#rst", "status")
                .value(":rpend", &RequestStatus::Pending),
            on_fail,
        )
    }

    /// Rejected: kept 30 days so the person cannot ask again at once, conditional on it pending.
    pub fn rejected(
        &self,
        tx: Tx,
        by: &UserId,
        now: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let until = now + chrono::Duration::days(REJECTED_DAYS);
        tx.update(
            self.key(),
            "SET #rst = :rrej, decidedBy = :rby, decidedAt = :rnow, #rttl = :rttl",
            Some("#rst = :rpend"),
            Expr::new()
                .name("#rst", "status")
                .name("#rttl", "ttl")
                .value(":rrej", &RequestStatus::Rejected)
                .value(":rpend", &RequestStatus::Pending)
                .value(":rby", by)
                .value(":rnow", &now)
                .value(":rttl", &until.epoch_seconds()),
            on_fail,
        )
    }

    /// One page of the organization's requests, oldest id first.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(REQUEST_PREFIX.into()),
            limit,
        )
        .after(cursor)
    }
}
