//! The organization's items (the organization, its slug, the creating user's bookkeeping), their
//! keys and every write made to them. Attribute names and expressions of these items live here only.

use crate::domain::Plan;
use crate::domain::{DisplayName, OrgId, Slug, Timestamp, UserId};
use crate::error::ApiError;
use crate::orgs::settings::{BillingProfile, OrgStatus, Settings};
use crate::store::{org_pk, Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod api_keys;
mod counters;
mod domains;
mod lifecycle;
mod policy;
mod roles;
mod seats;
mod seats_item;
pub mod settings;
mod slug;
mod tombstone;

pub use api_keys::OrgApiKeys;
pub use counters::UserItem;
pub use domains::OrgDomains;
pub use roles::CustomRoles;
pub use seats::{InvitationHold, SeatHold};
pub use seats_item::{SeatState, Seats, SeatsItem};
pub use slug::SlugItem;
pub use tombstone::TombstoneItem;

const ORG_SK: &str = "ORG";

/// The due index's partition: organizations in grace (and being purged), by purge time.
pub const PURGE_DUE: &str = "PURGE_DUE";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub name: String,
    pub slug: Slug,
    pub status: OrgStatus,
    pub owner_id: UserId,
    pub plan: Plan,
    /// While closed: the plan closing cancelled, which reactivation restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_at_closure: Option<Plan>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub billing_profile: BillingProfile,
    pub personal: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
    /// `PURGE_DUE` while closed: the sparse index of what the purge job will do (with `GSI1SK`
    /// = `<purgeAt>#<orgId>`).
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    /// Members, counted in the same transaction as every membership write.
    pub member_count: u32,
    /// The cleanup policy the platform's services enforce (`None`: the default, everything off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_policy: Option<crate::settings::cleanup::CleanupPolicy>,
    /// Every route refuses a caller whose token shows no second factor (stored only when on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_mfa: bool,
    /// Invitations go to, and accepting needs a verified email in, these domains (a string set,
    /// absent when anyone may join, so conditions can test `contains`).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub allowed_email_domains: BTreeSet<String>,
    /// Which events email the owner and admins (`None`: the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<crate::settings::notifications::NotificationPreferences>,
    /// The closure reminders sent for the current closure (`7d`, `1d`; removed on reactivation).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub reminders_sent: BTreeSet<String>,
    /// The storage provider integration backups use by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_storage_id: Option<crate::domain::IntegrationId>,
    /// Teams, counted in the transactions that create and delete them (the teams-per-organization limit).
    #[serde(default)]
    pub team_count: u32,
    /// The seat state of an organization written before its `SEATS` item (`seats_item`): its
    /// first seat write moves these four there. `None` on every organization since.
    /// Remaining uses of pending invitations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_seats: Option<u32>,
    /// `memberCount + pendingSeats`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_used: Option<u32>,
    /// The seats pending invitations hold, by the day they expire (`seats`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_days: Option<BTreeMap<String, u32>>,
    /// The holds of organizations written before `seatDays`, one per invitation (`seats`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_holds: Option<BTreeMap<String, SeatHold>>,
    /// When the organization was last closed: every invitation created until then was revoked
    /// by that closure (its seats released in the closure's write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitations_revoked_at: Option<Timestamp>,
    /// The organization's API keys: their count, the list an older version kept, the keys whose
    /// creator has left (`apiKeyCount`, `apiKeys`, `apiKeysOrphaned`: `api_keys.rs`).
    #[serde(flatten)]
    pub api_keys: OrgApiKeys,
    /// The organization's custom roles, their version and their holders' counts
    /// (`customRoles`, `rolesVersion`, `roleHolders`: `roles.rs`).
    #[serde(flatten)]
    pub custom_roles: CustomRoles,
    /// The organization's domains by domain (`domains.rs`).
    #[serde(default, skip_serializing_if = "OrgDomains::is_absent")]
    pub domains: OrgDomains,
}

impl Entity for OrgItem {
    const TYPE: &'static str = "org";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id)
    }
}

/// What an update of the organization changes (only the fields that differ).
#[derive(Debug, Default)]
pub struct OrgChanges {
    pub name: Option<DisplayName>,
    pub slug: Option<Slug>,
    pub settings: Option<Settings>,
    pub billing_profile: Option<BillingProfile>,
}
impl OrgItem {
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org), ORG_SK)
    }

    pub fn new(
        org_id: OrgId,
        name: DisplayName,
        slug: Slug,
        owner: &UserId,
        personal: bool,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(&org_id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id,
            name: name.as_str().to_string(),
            slug,
            status: OrgStatus::Active,
            owner_id: owner.clone(),
            plan: Plan::default_plan(),
            plan_at_closure: None,
            settings: Settings::default(),
            billing_profile: BillingProfile::default(),
            personal,
            created_by: owner.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            purge_at: None,
            gsi1pk: None,
            gsi1sk: None,
            member_count: 1,
            cleanup_policy: None,
            require_mfa: false,
            allowed_email_domains: BTreeSet::new(),
            notifications: None,
            reminders_sent: BTreeSet::new(),
            default_storage_id: None,
            team_count: 0,
            pending_seats: None,
            seats_used: None,
            seat_days: None,
            seat_holds: None,
            invitations_revoked_at: None,
            api_keys: OrgApiKeys::default(),
            custom_roles: CustomRoles::default(),
            domains: OrgDomains::none_yet(),
        }
    }

    /// Applies a fragment of a write a value the item embeds made (`CustomRoles::created`...).
    fn apply(&self, tx: Tx, write: OrgWrite) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            &write.update,
            write.cond.as_deref(),
            write.expr,
            write.on_fail,
        )
    }

    fn active() -> (&'static str, Expr) {
        (
            "#status = :active",
            Expr::new()
                .value(":active", &OrgStatus::Active)
                .name("#status", "status"),
        )
    }

    /// Guards a transaction: the organization is still active when it commits (the pipeline
    /// checked the state it read; this keeps a concurrent closure from slipping in).
    pub fn guard_active(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "#g_status = :g_active",
            Expr::new()
                .value(":g_active", &OrgStatus::Active)
                .name("#g_status", "status"),
            ApiError::org_closed(),
        )
    }

    /// Updates what `changes` names (and moves the slug's uniqueness item when the slug changes),
    /// conditional on the slug read and the organization being active.
    pub fn update(
        &self,
        tx: Tx,
        changes: &OrgChanges,
        now: Timestamp,
        slug_taken: fn(&Slug) -> ApiError,
    ) -> Result<Tx, ApiError> {
        let (active, mut expr) = Self::active();
        let mut sets = vec!["updatedAt = :now"];
        expr = expr.value(":now", &now).value(":oldSlug", &self.slug);
        if let Some(name) = &changes.name {
            sets.push("#name = :name");
            expr = expr.value(":name", name).name("#name", "name");
        }
        if let Some(slug) = &changes.slug {
            sets.push("slug = :slug");
            expr = expr.value(":slug", slug);
        }
        if let Some(settings) = &changes.settings {
            sets.push("settings = :settings");
            expr = expr.value(":settings", settings);
        }
        if let Some(billing) = &changes.billing_profile {
            sets.push("billingProfile = :billing");
            expr = expr.value(":billing", billing);
        }
        let mut tx = tx.update(
            self.key(),
            &format!("SET {}", sets.join(", ")),
            Some(&format!("slug = :oldSlug AND {active}")),
            expr,
            ApiError::concurrent(
                "The organization changed while you were updating it; reload and retry.",
            ),
        )?;
        if let Some(slug) = &changes.slug {
            tx = SlugItem::release(tx, &self.slug, &self.org_id)?
                .put_new(&SlugItem::new(slug, &self.org_id), slug_taken(slug))?;
        }
        Ok(tx)
    }
}

/// One change of the organization's item made by a value it embeds (its custom roles...): the
/// update clause, the condition it was decided on, their names and values, and the answer when
/// the condition fails. The item applies it under its key (`OrgItem::apply`); two fragments in one
/// transaction merge into the item's one write (`Tx`).
pub struct OrgWrite {
    update: String,
    cond: Option<String>,
    expr: Expr,
    on_fail: ApiError,
}

impl OrgWrite {
    pub fn new(update: String, cond: Option<String>, expr: Expr, on_fail: ApiError) -> Self {
        Self {
            update,
            cond,
            expr,
            on_fail,
        }
    }
    /// The same write, only while the organization is active.
    pub fn while_active(self) -> Self {
        let (active, expr) = OrgItem::active();
        Self {
            cond: Some(match self.cond {
                Some(c) => format!("{active} AND {c}"),
                None => active.to_string(),
            }),
            expr: self.expr.merge(&expr),
            ..self
        }
    }
}
