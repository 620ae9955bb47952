//! Organizations: create, list mine (with the personal organization), read, update.

use super::item::{OrgChanges, OrgItem, SeatsItem, SlugItem, UserItem};
use super::settings::{BillingProfile, Settings};
use super::views::MyOrgView;
use crate::access::Ctx;
use crate::audit::{AuditEntry, Audited};
use crate::auth::Caller;
use crate::body::Parsed;
use crate::domain::{DisplayName, OrgId, Slug, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::permissions::{Permission, Role};
use crate::pipeline::{Input, Reply};
use crate::store::Tx;
use crate::App;
use serde::Deserialize;
use serde_json::{json, Value};

fn slug_taken(slug: &Slug) -> ApiError {
    ApiError::new(
        Code::SlugTaken,
        format!("The slug `{}` is taken; choose another.", slug.as_str()),
    )
    .with("slug", slug.as_str())
}

/// `POST /orgs`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateOrg {
    name: Parsed<DisplayName>,
    /// The organization's handle; derived from the name when left out.
    slug: Option<Parsed<Slug>>,
}

/// A new organization and its owner's membership (the caller).
fn new_org(
    caller: &Caller,
    name: DisplayName,
    slug: Slug,
    personal: bool,
) -> (OrgItem, MemberItem) {
    let now = Timestamp::now();
    let org = OrgItem::new(OrgId::new(), name, slug, &caller.user_id, personal, now);
    let owner = MemberItem::new(
        &org.org_id,
        &caller.user_id,
        caller.verified_email().cloned(),
        caller.name.clone(),
        Role::Owner.into(),
        now,
    );
    (org, owner)
}

/// The writes that create an organization with its owner, added to `tx` (seven items); `count`
/// records the creation on the user's item.
pub fn creation_tx(
    mut tx: Tx,
    org: &OrgItem,
    owner: &MemberItem,
    count: impl FnOnce(Tx) -> ApiResult<Tx>,
) -> ApiResult<Tx> {
    if let Some(email) = owner.email_item() {
        tx = tx.put_new(
            &email,
            ApiError::internal("member email item exists for a new organization"),
        )?;
    }
    let tx = tx
        .put_new(org, ApiError::internal("organization id collision"))?
        .put_new(
            &SeatsItem::new(&org.org_id),
            ApiError::internal("seats item exists for a new organization"),
        )?
        .put_new(
            &SlugItem::new(&org.slug, &org.org_id),
            slug_taken(&org.slug),
        )?
        .put_new(
            owner,
            ApiError::internal("membership already exists for a new organization"),
        )?;
    count(tx)?.audit(AuditEntry {
        org_id: org.org_id.clone(),
        actor_id: owner.user_id.clone(),
        actor_kind: crate::audit::ActorKind::User,
        action: "org.created",
        event_type: "OrganizationCreated",
        at: org.created_at,
        summary: format!("created organization {} ({})", org.name, org.slug.as_str()),
        details: json!({ "name": org.name, "slug": org.slug, "personal": org.personal }),
    })
}

/// `POST /orgs`
pub async fn create_org(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let body: CreateOrg = input.json()?;
    let name = body.name.into_inner();
    let (slug, derived) = match body.slug {
        Some(s) => (s.into_inner(), false),
        None => (
            Slug::from_name(name.as_str()).unwrap_or_else(random_slug),
            true,
        ),
    };
    let limit = app.config.org_create_limit;
    let attempt = |slug: Slug| {
        let (org, owner) = new_org(&caller, name.clone(), slug, false);
        let tx = creation_tx(app.store.tx(), &org, &owner, |tx| {
            UserItem::count_created(tx, &caller.user_id, limit)
        });
        (org, tx)
    };
    let reply = |org: &OrgItem| {
        Reply::created(&MyOrgView::new(
            org,
            &crate::roles::HeldRole::system(Role::Owner),
            None,
        ))
    };
    let (org, tx) = attempt(slug.clone());
    match app.commit(tx?, reply(&org)).await {
        // A slug we derived from the name is taken: add a random suffix once.
        Err(e) if derived && e.code == Code::SlugTaken => {
            let (org, tx) = attempt(with_suffix(&slug));
            app.commit(tx?, reply(&org)).await
        }
        other => other,
    }
}

fn random_hex(n: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..n].to_string()
}

fn random_slug() -> Slug {
    Slug::parse(&format!("org-{}", random_hex(8))).expect("valid slug")
}

fn with_suffix(slug: &Slug) -> Slug {
    let base: String = slug.as_str().chars().take(33).collect();
    Slug::parse(&format!("{}-{}", base.trim_end_matches('-'), random_hex(6))).expect("valid slug")
}

/// Creates the caller's personal organization unless they already have one. Idempotent: the
/// user item's `personalOrgId` is set under `attribute_not_exists`, so parallel calls create one.
/// Returns `Ok(None)` when it already existed.
pub async fn ensure_personal_org(app: &App, caller: &Caller) -> ApiResult<Option<OrgItem>> {
    let display = caller
        .name
        .clone()
        .or_else(|| {
            caller
                .email
                .as_ref()
                .map(|e| e.as_str().split('@').next().unwrap_or("").to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "My".to_string());
    let name = DisplayName::parse(
        "name",
        &format!(
            "{}'s workspace",
            display.chars().take(80).collect::<String>()
        ),
    )?;
    let slug = Slug::parse(&format!("personal-{}", random_hex(12))).expect("valid slug");
    let (org, owner) = new_org(caller, name, slug, true);
    let tx = creation_tx(app.store.tx(), &org, &owner, |tx| {
        UserItem::set_personal(tx, &caller.user_id, &org.org_id)
    })?;
    match app.store.commit(tx).await {
        Ok(()) => Ok(Some(org)),
        Err(e) if e.code == Code::PersonalOrgExists => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /orgs`: one Query of my memberships per page, then one BatchGetItem for the organizations.
/// The first page first joins me to the organizations whose directory provisioned my verified
/// email at one of their verified domains (`crate::directory::link`: one Query of GSI1, and only
/// when there is one, a read and a transaction per organization).
pub async fn list_my_orgs(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let cursor = input.cursor();
    let spec = |cursor| MemberItem::page_of_user(&caller.user_id, limit, cursor);
    // The directory's lookup runs beside the page's Query (no latency added); a join it made
    // shows in the page read again.
    let (page, joined) = tokio::join!(app.store.page_of::<MemberItem>(spec(cursor)?), async {
        match cursor {
            None => crate::directory::link::join_at_verified_domains(&app, &caller).await,
            Some(_) => Ok(0),
        }
    });
    let mut page = match joined? {
        0 => page?,
        _ => app.store.page_of::<MemberItem>(spec(cursor)?).await?,
    };
    if page.items.is_empty()
        && cursor.is_none()
        && ensure_personal_org(&app, &caller).await?.is_some()
    {
        // The trigger did not run (or this is a local run): the personal organization was just created.
        page = app.store.page_of(spec(None)?).await?;
    }
    let orgs: Vec<OrgItem> = app
        .store
        .batch_get_as(
            page.items
                .iter()
                .map(|m| OrgItem::key_of(&m.org_id))
                .collect(),
        )
        .await?;
    let items = page
        .items
        .iter()
        .filter_map(|m| {
            let org = orgs.iter().find(|o| o.org_id == m.org_id)?;
            Some(MyOrgView::listed(org, m, caller.second_factor))
        })
        .collect();
    Ok(Reply::list(items, page.next_cursor))
}

/// `GET /orgs/{orgId}`
pub async fn get_org(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&MyOrgView::new(&ctx.org, &ctx.held, None)))
}

/// `PATCH /orgs/{orgId}`'s body: at least one field.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(extend("minProperties" = 1)))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateOrg {
    name: Option<Parsed<DisplayName>>,
    slug: Option<Parsed<Slug>>,
    /// Needs `settings.manage`.
    settings: Option<Settings>,
    /// Needs `billing.manage`.
    billing_profile: Option<Parsed<BillingProfile>>,
}

/// `PATCH /orgs/{orgId}`: one transaction updates the organization, moves the slug's uniqueness
/// item when the slug changes, and appends the audit entry with before/after of what changed.
pub async fn update_org(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateOrg = input.json()?;
    if body.name.is_none()
        && body.slug.is_none()
        && body.settings.is_none()
        && body.billing_profile.is_none()
    {
        return Err(ApiError::new(
            Code::NothingToUpdate,
            "Send at least one of `name`, `slug`, `settings`, `billingProfile`.",
        ));
    }
    let org = &ctx.org;
    let mut changes = OrgChanges::default();
    let mut recorded = serde_json::Map::new();
    let mut summary = Vec::new();
    let mut updated = org.clone();

    if let Some(name) = body.name {
        let name = name.into_inner();
        if name.as_str() != org.name {
            recorded.insert(
                "name".into(),
                json!({ "before": org.name, "after": name.as_str() }),
            );
            summary.push(format!("name: {} -> {}", org.name, name.as_str()));
            updated.name = name.as_str().to_string();
            changes.name = Some(name);
        }
    }
    if let Some(slug) = body.slug {
        let slug = slug.into_inner();
        if slug != org.slug {
            recorded.insert("slug".into(), json!({ "before": org.slug, "after": slug }));
            summary.push(format!("slug: {} -> {}", org.slug.as_str(), slug.as_str()));
            updated.slug = slug.clone();
            changes.slug = Some(slug);
        }
    }
    if let Some(settings) = body.settings {
        ctx.require(Permission::SettingsManage)?;
        if settings != org.settings {
            recorded.insert(
                "settings".into(),
                json!({ "before": org.settings, "after": settings }),
            );
            summary.push("settings changed".into());
            updated.settings = settings.clone();
            changes.settings = Some(settings);
        }
    }
    if let Some(profile) = body.billing_profile {
        ctx.require(Permission::BillingManage)?;
        let profile = profile.into_inner();
        if profile != org.billing_profile {
            // Billing details are personal data: the audit entry says that they changed, not what they are.
            recorded.insert("billingProfile".into(), json!({ "changed": true }));
            summary.push("billing profile changed".into());
            updated.billing_profile = profile.clone();
            changes.billing_profile = Some(profile);
        }
    }
    if recorded.is_empty() {
        // Nothing differs: no write, no audit entry.
        return Ok(Reply::ok(&MyOrgView::new(org, &ctx.held, None)));
    }
    let now = Timestamp::now();
    let tx = org
        .update(ctx.tx()?, &changes, now, slug_taken)?
        .audit(ctx.audit(
            "org.updated",
            "OrganizationUpdated",
            summary.join("; "),
            Value::Object(recorded),
        ))?;
    updated.updated_at = now;
    app.commit(tx, Reply::ok(&MyOrgView::new(&updated, &ctx.held, None)))
        .await
}
