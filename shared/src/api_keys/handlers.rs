//! The API key routes of an organization: list, create, read, update, revoke, roll. Each change
//! is one transaction with its audit entry (the outbox of its event), conditional on the
//! caller's access as read; the secret is in the answer of create and roll, nowhere else.

use super::item::{ApiKeyItem, KeyChanges};
use super::secret;
use super::views::{ApiKeyView, CreatedKeyView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::{Parse, Parsed};
use crate::domain::{ApiKeyId, DisplayName, ProjectIds, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::permissions::{Permission, Role, RoleAsked};
use crate::pipeline::{Input, Reply};
use crate::projects::item::ProjectItem;
use crate::roles::{HeldRole, Holder};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// Keys one organization may hold (409 `limit_reached` past it).
pub const API_KEYS_PER_ORG: usize = 50;
/// Projects one key may be limited to.
pub const PROJECTS_PER_KEY: usize = 50;
/// `expiresInDays`: from the first to the last, and the default when not given.
pub const EXPIRES_IN_DAYS: (i64, i64) = (1, 365);
pub const DEFAULT_EXPIRES_IN_DAYS: i64 = 90;
/// `graceMinutes` of a roll: the most, and the default (the old secret stops at once).
pub const MAX_GRACE_MINUTES: i64 = 1440;
pub const DEFAULT_GRACE_MINUTES: i64 = 0;

// Creating a key writes the key, the organization, the audit entry, the caller's guard and one
// check per project in one transaction (at most 100 items).
const _: () = assert!(4 + PROJECTS_PER_KEY <= 100);

/// `POST /orgs/{orgId}/api-keys`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKey {
    name: Parsed<DisplayName>,
    /// A system role other than owner, or one of the organization's custom roles' ids.
    role: Parsed<RoleAsked>,
    /// Limits the key to these projects.
    project_ids: Option<Parsed<ProjectIds<PROJECTS_PER_KEY>>>,
    /// Days until the key expires (default 90); null for a key that never expires (only where
    /// the organization allows it).
    #[serde(default, deserialize_with = "crate::json::explicit_null")]
    expires_in_days: Option<Option<Parsed<KeyDays>>>,
}

/// `PATCH /orgs/{orgId}/api-keys/{keyId}`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateApiKey {
    name: Option<Parsed<DisplayName>>,
    role: Option<Parsed<RoleAsked>>,
}

/// `POST /orgs/{orgId}/api-keys/{keyId}/roll`'s body (optional).
#[derive(Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollApiKey {
    /// Minutes the old secret keeps verifying; 0 ends it at once (default 0).
    grace_minutes: Option<Parsed<GraceMinutes>>,
}

/// A key's lifetime in days: within `EXPIRES_IN_DAYS`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyDays(i64);

impl Parse for KeyDays {
    type Raw = i64;
    fn parse(field: &str, d: i64) -> ApiResult<Self> {
        if !(EXPIRES_IN_DAYS.0..=EXPIRES_IN_DAYS.1).contains(&d) {
            return Err(ApiError::validation(
                field,
                format!(
                    "`{field}` must be {} to {} (or null for a key that never expires, where the settings allow it).",
                    EXPIRES_IN_DAYS.0, EXPIRES_IN_DAYS.1
                ),
            ));
        }
        Ok(Self(d))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "integer", "minimum": EXPIRES_IN_DAYS.0, "maximum": EXPIRES_IN_DAYS.1 })
    }
}

/// A roll's grace: 0 to `MAX_GRACE_MINUTES`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraceMinutes(i64);

impl Default for GraceMinutes {
    fn default() -> Self {
        Self(DEFAULT_GRACE_MINUTES)
    }
}

impl Parse for GraceMinutes {
    type Raw = i64;
    fn parse(field: &str, grace: i64) -> ApiResult<Self> {
        if !(0..=MAX_GRACE_MINUTES).contains(&grace) {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must be 0 to {MAX_GRACE_MINUTES} (a day)."),
            ));
        }
        Ok(Self(grace))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "integer", "minimum": 0, "maximum": MAX_GRACE_MINUTES })
    }
}

/// A change decided on the key's custom role, which changed before it committed.
fn role_changed() -> ApiError {
    ApiError::concurrent("The key's custom role was changed meanwhile; reload and retry.")
}

/// A key's role: a system role other than `owner`, or one of the organization's custom roles.
fn key_role(org: &OrgItem, raw: &str) -> ApiResult<HeldRole> {
    let held = org.role_asked("role", raw)?;
    if held.is(Role::Owner) {
        return Err(ApiError::validation(
            "role",
            "`owner` is never an API key's role: the owner is one person. Use `admin` or below.",
        ));
    }
    Ok(held)
}

/// The hierarchy rule for `key` holding `role`: organization-wide, and in the projects it is
/// limited to (what a key gives is what its creator, re-roler or roller could give).
fn require_can_give(ctx: &Ctx, key: &ApiKeyItem, role: &HeldRole) -> ApiResult<()> {
    ctx.require_can_grant(role)?;
    if !key.project_ids.is_empty() {
        ctx.require_can_grant_in_projects(role)?;
    }
    Ok(())
}

/// `GET /orgs/{orgId}/api-keys`: one Query per page.
pub async fn list_api_keys(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = ApiKeyItem::page_of_org(ctx.org_id(), input.limit()?, input.cursor())?;
    let page = app.store.page_of::<ApiKeyItem>(q).await?;
    Ok(Reply::list(
        page.items
            .iter()
            .map(|k| ApiKeyView::new(k, &ctx.org))
            .collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/api-keys` `{name, role, projectIds?, expiresInDays?}`: the key, its
/// place in the organization's list (within the limit) and the audit entry in one transaction;
/// the answer shows the secret once.
pub async fn create_api_key(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateApiKey = input.json()?;
    let name = body.name.into_inner();
    let held = key_role(&ctx.org, &body.role.0 .0)?;
    let role = held.role.clone();
    let projects = body.project_ids.unwrap_or_default().into_inner().0;
    let now = Timestamp::now();
    let expires_at = match body.expires_in_days {
        None => Some(now + chrono::Duration::days(DEFAULT_EXPIRES_IN_DAYS)),
        Some(None) if ctx.org.settings.allow_non_expiring_api_keys => None,
        Some(None) => {
            return Err(ApiError::validation(
                "expiresInDays",
                "This organization's API keys expire: give `expiresInDays` (1 to 365), or let an admin turn on `settings.allowNonExpiringApiKeys` first.",
            ))
        }
        Some(Some(d)) => Some(now + chrono::Duration::days(d.0 .0)),
    };
    ctx.require_can_grant(&held)?;
    if !projects.is_empty() {
        // Project grants are made by those who manage project access (org-wide).
        ctx.require(Permission::ProjectsAccessManage)?;
        ctx.require_can_grant_in_projects(&held)?;
    }
    if ctx.org.api_keys.total() >= API_KEYS_PER_ORG {
        return Err(ApiError::limit(
            "apiKeysPerOrganization",
            API_KEYS_PER_ORG,
            format!("An organization has at most {API_KEYS_PER_ORG} API keys; revoke one first."),
        ));
    }
    let key_id = ApiKeyId::new();
    let minted = secret::mint(
        &secret::API_KEY,
        app.config.require_api_key_hash_key()?,
        ctx.org_id(),
        &key_id,
    )?;
    let key = ApiKeyItem::new(
        ctx.org_id(),
        key_id,
        name,
        role,
        projects,
        ctx.user_id(),
        expires_at,
        (minted.digest, minted.prefix),
        now,
    );
    let tx = key.create(ctx.tx()?)?;
    let tx = ctx.org.api_key_created(tx, API_KEYS_PER_ORG)?;
    // On the creator's membership (guarded as read by the context in the same write).
    let tx = MemberItem::keys_changed(
        tx,
        ctx.org_id(),
        ctx.user_id(),
        &key.key_id,
        true,
        ApiError::concurrent("Your membership changed meanwhile; retry."),
    )?;
    let mut tx = ctx
        .org
        .count_holders(tx, &[(&key.role, Holder::ApiKeys, 1)])?;
    if expires_at.is_none() {
        tx = ctx.org.guard_non_expiring_keys_allowed(tx)?;
    }
    for p in &key.project_ids {
        tx = ProjectItem::require_exists(tx, ctx.org_id(), p)?;
    }
    let tx = tx.audit(ctx.audit(
        "api_key.created",
        "ApiKeyCreated",
        format!("created API key {} ({})", key.name.as_str(), held.name),
        json!({
            "keyId": key.key_id, "name": key.name, "role": key.role, "projectIds": key.project_ids,
            "expiresAt": key.expires_at,
        }),
    ))?;
    app.commit(
        tx,
        Reply::created(&CreatedKeyView {
            view: ApiKeyView::new(&key, &ctx.org),
            key: minted.key,
        }),
    )
    .await
}

/// `GET /orgs/{orgId}/api-keys/{keyId}`
pub async fn get_api_key(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let key: ApiKeyItem = ctx.subject()?;
    Ok(Reply::ok(&ApiKeyView::new(&key, &ctx.org)))
}

/// `PATCH /orgs/{orgId}/api-keys/{keyId}` `{name?, role?}`: the hierarchy rule holds for the
/// key's role before and after (nobody changes a key above themselves, or makes one).
pub async fn update_api_key(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateApiKey = input.json()?;
    if body.name.is_none() && body.role.is_none() {
        return Err(ApiError::new(
            Code::NothingToUpdate,
            "Send `name`, `role` or both.",
        ));
    }
    let mut key: ApiKeyItem = ctx.subject()?;
    let new_role = body.role.map(|r| key_role(&ctx.org, &r.0 .0)).transpose()?;
    let changes = KeyChanges {
        name: body.name.map(Parsed::into_inner),
        role: new_role.as_ref().map(|h| h.role.clone()),
    };
    let current = ctx.org.held(&key.role)?;
    require_can_give(&ctx, &key, &current)?;
    if let Some(held) = &new_role {
        require_can_give(&ctx, &key, held)?;
    }
    let now = Timestamp::now();
    let tx = key.update(ctx.tx()?, &changes, now)?;
    let tx = ctx.guard_role_as_read(tx, &current, role_changed())?;
    let before = key.role.clone();
    let tx = match &changes.role {
        Some(role) => ctx.org.count_holders(
            tx,
            &[(&before, Holder::ApiKeys, -1), (role, Holder::ApiKeys, 1)],
        )?,
        None => tx,
    };
    if let Some(name) = &changes.name {
        key.name = name.clone();
    }
    if let Some(role) = &changes.role {
        key.role = role.clone();
    }
    key.updated_at = now;
    let tx = tx.audit(ctx.audit(
        "api_key.updated",
        "ApiKeyUpdated",
        format!("updated API key {}", key.name.as_str()),
        json!({
            "keyId": key.key_id, "name": changes.name,
            "role": changes.role.as_ref().map(|r| json!({ "before": before, "after": r })),
        }),
    ))?;
    app.commit(tx, Reply::ok(&ApiKeyView::new(&key, &ctx.org)))
        .await
}

/// `DELETE /orgs/{orgId}/api-keys/{keyId}`: the key is gone; its next verification is invalid.
/// Allowed while the organization is closed (a leaked key must be killable during grace).
pub async fn revoke_api_key(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let key: ApiKeyItem = ctx.subject()?;
    let tx = key.revoke(ctx.tx()?)?;
    let tx = ctx.org.api_key_revoked(tx, &key.org_entry(), &key.key_id)?;
    // Its creator, still a member (as read), no longer has it; one who left meanwhile makes
    // this retry, and is then known to have left.
    let tx = match ctx.org.api_keys.creator_left(&key.key_id) {
        true => tx,
        false => MemberItem::keys_changed(
            tx,
            ctx.org_id(),
            &key.created_by,
            &key.key_id,
            false,
            ApiError::concurrent("The key's creator left the organization meanwhile; retry."),
        )?,
    };
    let tx = ctx
        .org
        .count_holders(tx, &[(&key.role, Holder::ApiKeys, -1)])?;
    let tx = tx.audit(ctx.audit(
        "api_key.revoked",
        "ApiKeyRevoked",
        format!("revoked API key {}", key.name.as_str()),
        json!({ "keyId": key.key_id, "name": key.name, "role": key.role, "createdBy": key.created_by }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `POST /orgs/{orgId}/api-keys/{keyId}/roll` `{graceMinutes?}`: a new secret, shown once; the
/// old one keeps verifying for `graceMinutes` (0 to 1440, default 0: it stops at once).
pub async fn roll_api_key(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: RollApiKey = input.json_or_default()?;
    let grace = body.grace_minutes.unwrap_or_default().0 .0;
    let mut key: ApiKeyItem = ctx.subject()?;
    let current = ctx.org.held(&key.role)?;
    require_can_give(&ctx, &key, &current)?;
    let now = Timestamp::now();
    if key.is_expired(now) {
        return Err(ApiError::new(
            Code::ApiKeyExpired,
            format!(
                "The key {} expired at {}: a new secret for it would never verify. Create a new key (POST /orgs/{{orgId}}/api-keys) and revoke this one.",
                key.name.as_str(),
                key.expires_at.map(|e| e.canonical()).unwrap_or_default()
            ),
        ));
    }
    let minted = secret::mint(
        &secret::API_KEY,
        app.config.require_api_key_hash_key()?,
        ctx.org_id(),
        &key.key_id,
    )?;
    let until = (grace > 0).then(|| now + chrono::Duration::minutes(grace));
    let tx = key.roll(ctx.tx()?, (&minted.digest, &minted.prefix), until, now)?;
    let tx = ctx.guard_role_as_read(tx, &current, role_changed())?;
    let tx = tx.audit(ctx.audit(
        "api_key.rolled",
        "ApiKeyRolled",
        format!("rolled API key {} ({grace} minute(s) of grace)", key.name.as_str()),
        json!({ "keyId": key.key_id, "name": key.name, "role": key.role, "graceMinutes": grace, "previousValidUntil": until }),
    ))?;
    key.prefix = minted.prefix;
    key.rolled_at = Some(now);
    key.updated_at = now;
    let mut view = ApiKeyView::new(&key, &ctx.org);
    view.previous_valid_until = until;
    app.commit(
        tx,
        Reply::ok(&CreatedKeyView {
            view,
            key: minted.key,
        }),
    )
    .await
}
