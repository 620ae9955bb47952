//! The invitation item, its status, keys, queries and every write made to it.
//! Its code is never stored: the code is derived from `codeNonce` with the server's
//! `INVITATION_CODE_KEY`, so a copy of the table alone cannot produce it.

use crate::domain::{Email, InvitationId, OrgId, Timestamp, UserId};
use crate::error::ApiError;
use crate::orgs::{InvitationHold, OrgItem};
use crate::permissions::{Permission, Role, RoleRef};
use crate::roles::HeldRole;
use crate::store::org_pk;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx, GSI1};
use chrono::Duration;
use serde::{Deserialize, Serialize};

const INVITE_PREFIX: &str = "INVITE#";
/// DynamoDB's TTL removes an invitation this long after it expired.
const TTL_AFTER_EXPIRY_DAYS: i64 = 30;

/// Whether the invitation email went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailStatus {
    Sending,
    Sent,
    Failed,
}

/// Where an invitation stands, derived from its item and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    /// A single-use invitation that was used.
    Accepted,
    /// A multi-use invitation with no use left.
    UsedUp,
    Expired,
    Revoked,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 5] = [
        InvitationStatus::Pending,
        InvitationStatus::Accepted,
        InvitationStatus::Expired,
        InvitationStatus::Revoked,
        InvitationStatus::UsedUp,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::UsedUp => "used_up",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl std::fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    /// `INVITEE#<email>` while the invitation can still be accepted (sparse).
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    pub invitation_id: InvitationId,
    pub org_id: OrgId,
    pub email: Email,
    /// A system role's name or one of the organization's custom roles' ids.
    pub role: RoleRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
    pub max_uses: u32,
    pub uses: u32,
    pub revoked: bool,
    pub expires_in_days: u32,
    pub expires_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub invited_by: UserId,
    /// The inviter as the email names them: their display name, else their email.
    pub inviter_name: String,
    /// The inviter's display name alone (never their email), for what a shared link shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter_display_name: Option<String>,
    pub created_at: Timestamp,
    /// When its current window started, if a resend renewed it (else at `createdAt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<Timestamp>,
    /// Random 256-bit nonce; the code is HMAC(INVITATION_CODE_KEY, nonce).
    code_nonce: String,
    pub email_status: EmailStatus,
    pub send_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent_at: Option<Timestamp>,
    /// Epoch seconds: DynamoDB removes the item then, `TTL_AFTER_EXPIRY_DAYS` after it expired.
    /// Its seats are counted by the day it expires (`orgs::item::seats`), which the next
    /// reservation takes back without the item. (Invitations of organizations from before days
    /// had none until their own hold was released.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

impl Entity for InvitationItem {
    const TYPE: &'static str = "invitation";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.invitation_id)
    }
}

/// What a new invitation offers, validated.
#[derive(Debug, Clone)]
pub struct InvitationTerms {
    pub email: Email,
    pub role: RoleRef,
    pub expires_in_days: u32,
    pub max_uses: u32,
    pub message: Option<String>,
    pub project_ids: Vec<String>,
}

impl InvitationItem {
    pub fn key_of(org: &OrgId, id: &InvitationId) -> Key {
        Key::new(org_pk(org), format!("{INVITE_PREFIX}{id}"))
    }
    /// The key of the invitation a path's `{invitationId}` names, if it can be an id.
    pub fn key_in_path(org: &OrgId, raw: &str) -> Option<Key> {
        InvitationId::parse(raw).map(|id| Self::key_of(org, &id))
    }
    fn invitee_pk(email: &Email) -> String {
        format!("INVITEE#{}", email.as_str())
    }
    fn ttl_for(expires_at: Timestamp) -> i64 {
        (expires_at + Duration::days(TTL_AFTER_EXPIRY_DAYS)).epoch_seconds()
    }

    /// A new pending invitation from `inviter`, about to be sent for the first time.
    pub fn new(
        org: &OrgId,
        terms: InvitationTerms,
        inviter: &UserId,
        (inviter_name, inviter_display_name): (String, Option<String>),
        code_nonce: String,
        now: Timestamp,
    ) -> Self {
        let id = InvitationId::new();
        let key = Self::key_of(org, &id);
        let expires_at = Self::expiry(now, terms.expires_in_days);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            gsi1pk: Some(Self::invitee_pk(&terms.email)),
            gsi1sk: Some(format!("{}#{org}#{id}", now.canonical())),
            invitation_id: id,
            org_id: org.clone(),
            email: terms.email,
            role: terms.role,
            project_ids: terms.project_ids,
            max_uses: terms.max_uses,
            uses: 0,
            revoked: false,
            expires_in_days: terms.expires_in_days,
            expires_at,
            message: terms.message,
            invited_by: inviter.clone(),
            inviter_name,
            inviter_display_name,
            created_at: now,
            renewed_at: None,
            code_nonce,
            email_status: EmailStatus::Sending,
            send_count: 1,
            last_sent_at: None,
            ttl: Some(Self::ttl_for(expires_at)),
        }
    }

    /// When an invitation sent at `now` for `days` expires: at the end of its last day (the UTC
    /// midnight after `now + days`), so all the invitations expiring on a day hold their seats
    /// as one (`orgs::item::seats`).
    fn expiry(now: Timestamp, days: u32) -> Timestamp {
        (now + Duration::days(i64::from(days))).ceil_day()
    }

    pub fn code_nonce(&self) -> &str {
        &self.code_nonce
    }

    /// Where it stands in `org` (as read) at `now`: the last closure of the organization revoked
    /// it if it was pending then (its current window held the closure; a resend since, of an
    /// invitation that had expired by then, opened a new one).
    pub fn status_in(&self, org: &OrgItem, now: Timestamp) -> InvitationStatus {
        match self.status(now) {
            InvitationStatus::Pending | InvitationStatus::Expired
                if org.revoked_by_closure(self.window_start(), self.expires_at) =>
            {
                InvitationStatus::Revoked
            }
            status => status,
        }
    }

    /// When its current window started: its last renewal, else its creation.
    pub fn window_start(&self) -> Timestamp {
        self.renewed_at.unwrap_or(self.created_at)
    }

    /// Where it stands by its item alone (see [`Self::status_in`]).
    fn status(&self, now: Timestamp) -> InvitationStatus {
        if self.revoked {
            InvitationStatus::Revoked
        } else if self.uses >= self.max_uses {
            if self.max_uses == 1 {
                InvitationStatus::Accepted
            } else {
                InvitationStatus::UsedUp
            }
        } else if now >= self.expires_at {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    /// What the invitation holds: its remaining uses, until it expires, and its custom role.
    pub fn hold(&self) -> InvitationHold {
        InvitationHold {
            invitation: self.invitation_id.clone(),
            n: self.remaining_uses(),
            expires_at: self.expires_at,
            role: self.role.custom().cloned(),
            window_start: self.window_start(),
        }
    }

    /// Seats the invitation still holds: its remaining uses unless revoked.
    pub fn remaining_uses(&self) -> u32 {
        if self.revoked {
            0
        } else {
            self.max_uses.saturating_sub(self.uses)
        }
    }

    /// The organization role the invitee gets: an invitation limited to projects makes a guest.
    pub fn org_role(&self) -> RoleRef {
        if self.project_ids.is_empty() {
            self.role.clone()
        } else {
            Role::Guest.into()
        }
    }
    /// The role on each of the invitation's projects, if it is limited to projects.
    pub fn project_role(&self, org: &OrgItem) -> Option<crate::permissions::ProjectRole> {
        (!self.project_ids.is_empty()).then(|| org.project_role_for(&self.role))
    }

    /// Who the preview names as the inviter: a multi-use link may be shared, so it shows the
    /// inviter's display name only (or nobody), never their email.
    pub fn inviter_shown(&self) -> Option<String> {
        if self.max_uses > 1 {
            self.inviter_display_name.clone()
        } else {
            Some(self.inviter_name.clone())
        }
    }

    /// The roles an inviter may hold for this invitation to stay valid: roles that may grant its
    /// role (the hierarchy rule) and may invite, by permission or, under `invitePolicy = members`
    /// (`by_policy`), as developers and above.
    /// System and custom (as `org` defines them) roles alike.
    pub fn roles_that_may_grant(&self, by_policy: bool, org: &OrgItem) -> Vec<RoleRef> {
        let Some(given) = org.resolve(&self.role) else {
            return Vec::new();
        };
        let developer = HeldRole::system(Role::Developer);
        org.roles()
            .filter(|r| {
                r.covers(&given)
                    && (r.has(Permission::InvitationsCreate) || (by_policy && r.covers(&developer)))
                    // Project grants are made by those who manage project access, within
                    // what they hold in every project.
                    && (self.project_ids.is_empty()
                        || (r.has(Permission::ProjectsAccessManage)
                            && r.covers_in_projects(given.for_projects())))
            })
            .map(|r| r.role)
            .collect()
    }

    /// The same invitation with a new expiry window, counting one more send.
    pub fn renewed(&self, now: Timestamp) -> Self {
        let mut next = self.clone();
        next.expires_at = Self::expiry(now, self.expires_in_days);
        next.ttl = Some(Self::ttl_for(next.expires_at));
        next.renewed_at = Some(now);
        next.send_count = self.send_count + 1;
        next.email_status = EmailStatus::Sending;
        next
    }

    /// Writes the new invitation.
    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("invitation id collision"))
    }

    /// Records how the send numbered `send_count` went, unless a newer send or a revocation came first.
    pub fn record_send(
        &self,
        tx: Tx,
        status: EmailStatus,
        now: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET emailStatus = :status, lastSentAt = :now",
            Some("attribute_exists(PK) AND sendCount = :count"),
            Expr::new()
                .value(":status", &status)
                .value(":now", &now)
                .value(":count", &self.send_count),
            on_fail,
        )
    }

    /// Replaces this invitation's window with `next`'s (see [`Self::renewed`]), conditional on no
    /// other send, revocation or last use meanwhile.
    pub fn renew(&self, tx: Tx, next: &InvitationItem, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET expiresAt = :exp, renewedAt = :renewed, sendCount = :next, emailStatus = :sending, #ttl = :ttl",
            Some("sendCount = :count AND revoked = :false AND uses < maxUses"),
            Expr::new()
                .value(":exp", &next.expires_at)
                .value(":next", &next.send_count)
                .value(":sending", &next.email_status)
                .value(":count", &self.send_count)
                .value(":false", &false)
                .value(":ttl", &next.ttl)
                .value(":renewed", &next.renewed_at)
                .name("#ttl", "ttl"),
            on_fail,
        )
    }

    /// Revokes the invitation (it leaves the invitee's index; its seats are released in the same
    /// transaction, so it may expire), conditional on the uses read.
    pub fn revoke(&self, tx: Tx, now: Timestamp, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET revoked = :true, #ttl = :ttl REMOVE GSI1PK, GSI1SK",
            Some("revoked = :false AND uses = :uses"),
            Expr::new()
                .value(":true", &true)
                .value(":false", &false)
                .value(":uses", &self.uses)
                .value(":ttl", &Self::ttl_for(self.expires_at.max(now)))
                .name("#ttl", "ttl"),
            on_fail,
        )
    }

    /// The invitation's own hold (of an organization from before days) was released, expiring at
    /// `exp`: from now on TTL may remove it.
    pub fn released(tx: Tx, org: &OrgId, id: &str, exp: Timestamp) -> Result<Tx, ApiError> {
        let Some(id) = InvitationId::parse(id) else {
            return Ok(tx);
        };
        tx.update(
            Self::key_of(org, &id),
            "SET #ttl = :ttl",
            Some("attribute_exists(PK)"),
            Expr::new()
                .value(":ttl", &Self::ttl_for(exp))
                .name("#ttl", "ttl"),
            ApiError::concurrent("An invitation changed meanwhile; retry."),
        )
    }

    /// Deletes an invitation that is no longer pending, conditional on the state it was judged
    /// on: still expired at `now` (a resend meanwhile renews it), or still used up / revoked.
    pub fn delete_settled(
        &self,
        tx: Tx,
        now: Timestamp,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        // One a closure revoked is pending by its item alone (the closure is on the organization):
        // its delete is conditional on its uses and revocation as read, like a revoked one's.
        let (cond, expr) = match self.status(now) {
            InvitationStatus::Expired => (
                "revoked = :false AND uses = :uses AND expiresAt <= :now",
                Expr::new()
                    .value(":false", &false)
                    .value(":uses", &self.uses)
                    .value(":now", &now),
            ),
            _ => (
                "uses = :uses AND revoked = :revoked",
                Expr::new()
                    .value(":uses", &self.uses)
                    .value(":revoked", &self.revoked),
            ),
        };
        tx.delete(self.key(), Some(cond), expr, on_fail)
    }

    /// Uses the invitation once: it must have a use left, not be revoked and not be expired at `now`.
    pub fn use_once(&self, tx: Tx, now: Timestamp, on_fail: ApiError) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "SET uses = uses + :one",
            Some("uses < maxUses AND revoked = :false AND expiresAt > :now"),
            Expr::new()
                .value(":one", &1)
                .value(":false", &false)
                .value(":now", &now),
            on_fail,
        )
    }

    /// One page of an organization's invitations, oldest first.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(INVITE_PREFIX.into()),
            limit,
        )
        .after(cursor)
    }

    /// The invitations of `org` pending at `now` (for a COUNT: not revoked, by the item or by a
    /// closure, uses left, not expired), `limit` items read per page.
    pub fn page_pending_in(
        org: &OrgItem,
        now: Timestamp,
        limit: u32,
    ) -> Result<QuerySpec, ApiError> {
        let mut filter = "uses < maxUses AND revoked = :false AND expiresAt > :now".to_string();
        let mut expr = Expr::new().value(":false", &false).value(":now", &now);
        // Pending now, its window started after the last closure (`status_in`).
        if let Some(at) = org.invitations_revoked_at {
            filter.push_str(" AND (createdAt > :closed OR renewedAt > :closed)");
            expr = expr.value(":closed", &at);
        }
        Ok(Self::page_of_org(&org.org_id, limit, None)?.filter(filter, expr))
    }

    /// One page of the invitations addressed to `email` that can still be accepted at `now` (GSI1).
    pub fn page_pending_for(
        email: &Email,
        now: Timestamp,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        Ok(
            QuerySpec::new(Self::invitee_pk(email), SortCond::Any, limit)
                .on_index(GSI1)
                .after(cursor)?
                .filter(
                    "uses < maxUses AND revoked = :false AND expiresAt > :now",
                    Expr::new().value(":false", &false).value(":now", &now),
                ),
        )
    }
}

/// Invitation emails sent per UTC day: one counter per organization and one per recipient in it,
/// counted in the same transaction as the invitation or resend (removed by TTL two days later).
pub struct EmailCount;

impl EmailCount {
    fn key(org: &OrgId, day: &str, to: Option<&Email>) -> Key {
        match to {
            None => Key::new(org_pk(org), format!("MAILS#{day}")),
            Some(email) => Key::new(org_pk(org), format!("MAILS#{day}#{}", email.as_str())),
        }
    }

    /// Counts one email to `to` on `now`'s day, refused past `per_org` for the organization
    /// (`org_full`) or `per_recipient` for the address (`recipient_full`).
    pub fn count(
        mut tx: Tx,
        org: &OrgId,
        to: &Email,
        now: Timestamp,
        (per_org, org_full): (u32, ApiError),
        (per_recipient, recipient_full): (u32, ApiError),
    ) -> Result<Tx, ApiError> {
        let day = now.format("%Y-%m-%d").to_string();
        for (key, limit, on_fail) in [
            (Self::key(org, &day, None), per_org, org_full),
            (
                Self::key(org, &day, Some(to)),
                per_recipient,
                recipient_full,
            ),
        ] {
            tx = crate::store::count_today(tx, key, "email_count", limit, now, on_fail)?;
        }
        Ok(tx)
    }
}
