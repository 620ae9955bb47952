//! Organizations: create, list mine (with the personal organization), read, update.

use crate::auth::Caller;
use crate::domain::*;
use crate::error::{ApiError, ApiResult};
use crate::http::{Input, OrgCtx, Reply};
use crate::permissions::{Permission, Role};
use crate::store::{
    self, keys, AuditEntry, Expr, MemberItem, OrgItem, QuerySpec, SlugItem, SortCond,
};
use crate::App;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

fn slug_taken(slug: &Slug) -> ApiError {
    ApiError::conflict(
        "slug_taken",
        format!("The slug `{}` is taken; choose another.", slug.as_str()),
    )
    .with("slug", slug.as_str())
}

/// The organization as a caller with `role` may see it: guests see the name only;
/// settings need `settings.read`, the billing profile `billing.read`.
pub fn org_view(org: &OrgItem, role: Role) -> Value {
    let mut v = json!({
        "id": org.org_id,
        "name": org.name,
        "slug": org.slug,
        "status": org.status,
        "personal": org.personal,
    });
    let map = v.as_object_mut().expect("object");
    if role.has(Permission::MembersRead) {
        map.insert("ownerId".into(), json!(org.owner_id));
        map.insert("memberCount".into(), json!(org.member_count));
        map.insert("plan".into(), json!(org.plan));
        map.insert("createdAt".into(), json!(org.created_at));
        map.insert("updatedAt".into(), json!(org.updated_at));
        if let Some(at) = org.closed_at {
            map.insert("closedAt".into(), json!(at));
        }
        if let Some(at) = org.purge_at {
            map.insert("purgeAt".into(), json!(at));
        }
    }
    if role.has(Permission::SettingsRead) {
        map.insert("settings".into(), json!(org.settings));
    }
    if role.has(Permission::BillingRead) {
        map.insert("billingProfile".into(), json!(org.billing_profile));
    }
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateOrgBody {
    name: String,
    #[serde(default)]
    slug: Option<String>,
}

/// A new organization and its owner's membership (the caller).
fn new_org(caller: &Caller, name: OrgName, slug: Slug, personal: bool) -> (OrgItem, MemberItem) {
    let now = Utc::now();
    let org = OrgItem::new(OrgId::new(), name, slug, &caller.user_id, personal, now);
    let owner = MemberItem::new(
        &org.org_id,
        &caller.user_id,
        caller.verified_email().cloned(),
        caller.name.clone(),
        Role::Owner,
        now,
    );
    (org, owner)
}

/// The writes that create an organization with its owner, in one transaction.
fn creation_tx(
    app: &App,
    org: &OrgItem,
    owner: &MemberItem,
    user_update: (&str, &str, Expr, ApiError),
) -> ApiResult<store::Tx> {
    let (update, condition, expr, on_fail) = user_update;
    let mut tx = app.store.tx();
    if let Some(email) = owner.email_item() {
        tx = tx.put_new(
            &email,
            ApiError::internal("member email item exists for a new organization"),
        )?;
    }
    tx.put_new(org, ApiError::internal("organization id collision"))?
        .put_new(
            &SlugItem::new(&org.slug, &org.org_id),
            slug_taken(&org.slug),
        )?
        .put_new(
            owner,
            ApiError::internal("membership already exists for a new organization"),
        )?
        .update(
            store::user_key(&owner.user_id),
            update,
            Some(condition),
            expr,
            on_fail,
        )?
        .audit(AuditEntry {
            org_id: org.org_id.clone(),
            actor_id: owner.user_id.clone(),
            action: "org.created",
            event_type: "OrganizationCreated",
            at: org.created_at,
            summary: format!("created organization {} ({})", org.name, org.slug.as_str()),
            details: json!({ "name": org.name, "slug": org.slug, "personal": org.personal }),
        })
}

/// `POST /orgs`
pub async fn create_org(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let body: CreateOrgBody = input.json()?;
    let name = OrgName::parse("name", &body.name)?;
    let (slug, derived) = match &body.slug {
        Some(s) => (Slug::parse(s)?, false),
        None => (
            Slug::from_name(name.as_str()).unwrap_or_else(random_slug),
            true,
        ),
    };
    let limit = app.config.org_create_limit;
    let attempt = |slug: Slug| {
        let (org, owner) = new_org(&caller, name.clone(), slug, false);
        let limit_err = ApiError::new(
            403,
            "org_limit_reached",
            format!("You have created {limit} organization(s), the most allowed per user. Ask an operator to raise ORG_CREATE_LIMIT or close one."),
        )
        .with("limit", limit);
        let tx = creation_tx(
            &app,
            &org,
            &owner,
            (
                "SET orgsCreated = if_not_exists(orgsCreated, :zero) + :one, entity_type = :user",
                "attribute_not_exists(orgsCreated) OR orgsCreated < :limit",
                Expr::new()
                    .n(":zero", 0)
                    .n(":one", 1)
                    .n(":limit", limit)
                    .s(":user", "user"),
                limit_err,
            ),
        );
        (org, tx)
    };
    let (org, tx) = attempt(slug.clone());
    let org = match app.store.commit(tx?).await {
        Ok(()) => org,
        // A slug we derived from the name is taken: add a random suffix once.
        Err(e) if derived && e.code == "slug_taken" => {
            let (org, tx) = attempt(with_suffix(&slug));
            app.store.commit(tx?).await?;
            org
        }
        Err(e) => return Err(e),
    };
    let mut view = org_view(&org, Role::Owner);
    view["myRole"] = json!(Role::Owner);
    Ok(Reply::created(view))
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
    let name = OrgName::parse(
        "name",
        &format!(
            "{}'s workspace",
            display.chars().take(80).collect::<String>()
        ),
    )?;
    let slug = Slug::parse(&format!("personal-{}", random_hex(12))).expect("valid slug");
    let (org, owner) = new_org(caller, name, slug, true);
    let exists = ApiError::conflict(
        "personal_org_exists",
        "The personal organization exists already.",
    );
    let tx = creation_tx(
        app,
        &org,
        &owner,
        (
            "SET personalOrgId = :org, entity_type = :user",
            "attribute_not_exists(personalOrgId)",
            Expr::new()
                .s(":org", org.org_id.as_str())
                .s(":user", "user"),
            exists,
        ),
    )?;
    match app.store.commit(tx).await {
        Ok(()) => Ok(Some(org)),
        Err(e) if e.code == "personal_org_exists" => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /orgs`: one Query of my memberships per page, then one BatchGetItem for the organizations.
pub async fn list_my_orgs(app: App, caller: Caller, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let cursor = input.cursor();
    let partition = keys::user_pk(&caller.user_id);
    let spec = |cursor| {
        let mut q = QuerySpec::new(&partition, SortCond::BeginsWith("ORG#".into()), limit);
        q.index = Some("GSI1");
        q.after(cursor)
    };
    let mut page: store::Page<MemberItem> = app.store.page_of(spec(cursor)?).await?;
    if page.items.is_empty()
        && cursor.is_none()
        && ensure_personal_org(&app, &caller).await?.is_some()
    {
        // The trigger did not run (or this is a local run): the personal organization was just created.
        page = app.store.page_of(spec(None)?).await?;
    }
    let (members, next) = (page.items, page.next_cursor);
    let orgs: Vec<OrgItem> = app
        .store
        .batch_get(
            members
                .iter()
                .map(|m| keys::key(keys::org_pk(&m.org_id), keys::ORG_SK))
                .collect(),
        )
        .await?
        .into_iter()
        .map(store::from_item)
        .collect::<ApiResult<_>>()?;
    let out = members
        .iter()
        .filter_map(|m| {
            let org = orgs.iter().find(|o| o.org_id == m.org_id)?;
            let mut v = org_view(org, m.role);
            v["myRole"] = json!(m.role);
            v["joinedAt"] = json!(m.joined_at);
            Some(v)
        })
        .collect();
    Ok(Reply::list(out, next))
}

/// `GET /orgs/{orgId}`
pub async fn get_org(_app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    let mut view = org_view(&ctx.org, ctx.role());
    view["myRole"] = json!(ctx.role());
    Ok(Reply::ok(view))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateOrgBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    billing_profile: Option<BillingProfile>,
}

/// `PATCH /orgs/{orgId}`: one transaction updates the organization, moves the slug's uniqueness
/// item when the slug changes, and appends the audit entry with before/after of what changed.
pub async fn update_org(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let body: UpdateOrgBody = input.json()?;
    if body.name.is_none()
        && body.slug.is_none()
        && body.settings.is_none()
        && body.billing_profile.is_none()
    {
        return Err(ApiError::bad_request(
            "nothing_to_update",
            "Send at least one of `name`, `slug`, `settings`, `billingProfile`.",
        ));
    }
    let org = &ctx.org;
    let mut sets = vec!["updatedAt = :now".to_string()];
    let mut expr = Expr::new()
        .s(":now", Utc::now().to_rfc3339())
        .s(":oldSlug", org.slug.as_str())
        .s(":active", "active")
        .name("#status", "status");
    let mut changes = serde_json::Map::new();
    let mut summary = Vec::new();
    let mut updated = org.clone();

    if let Some(raw) = &body.name {
        let name = OrgName::parse("name", raw)?;
        if name.as_str() != org.name {
            sets.push("#name = :name".into());
            expr = expr.s(":name", name.as_str()).name("#name", "name");
            changes.insert(
                "name".into(),
                json!({ "before": org.name, "after": name.as_str() }),
            );
            summary.push(format!("name: {} -> {}", org.name, name.as_str()));
            updated.name = name.as_str().to_string();
        }
    }
    let mut new_slug = None;
    if let Some(raw) = &body.slug {
        let slug = Slug::parse(raw)?;
        if slug != org.slug {
            sets.push("slug = :slug".into());
            expr = expr.s(":slug", slug.as_str());
            changes.insert("slug".into(), json!({ "before": org.slug, "after": slug }));
            summary.push(format!("slug: {} -> {}", org.slug.as_str(), slug.as_str()));
            updated.slug = slug.clone();
            new_slug = Some(slug);
        }
    }
    if let Some(settings) = body.settings {
        ctx.require(Permission::SettingsManage)?;
        if settings != org.settings {
            sets.push("settings = :settings".into());
            expr = expr.v(":settings", &settings)?;
            changes.insert(
                "settings".into(),
                json!({ "before": org.settings, "after": settings }),
            );
            summary.push("settings changed".into());
            updated.settings = settings;
        }
    }
    if let Some(profile) = body.billing_profile {
        ctx.require(Permission::BillingManage)?;
        let profile = profile.validate()?;
        if profile != org.billing_profile {
            sets.push("billingProfile = :billing".into());
            expr = expr.v(":billing", &profile)?;
            // Billing details are personal data: the audit entry says that they changed, not what they are.
            changes.insert("billingProfile".into(), json!({ "changed": true }));
            summary.push("billing profile changed".into());
            updated.billing_profile = profile;
        }
    }
    if changes.is_empty() {
        // Nothing differs: no write, no audit entry.
        let mut view = org_view(org, ctx.role());
        view["myRole"] = json!(ctx.role());
        return Ok(Reply::ok(view));
    }

    let concurrent = ApiError::conflict(
        "concurrent_update",
        "The organization changed while you were updating it; reload and retry.",
    );
    let mut tx = app.store.tx().update(
        org.key(),
        &format!("SET {}", sets.join(", ")),
        Some("slug = :oldSlug AND #status = :active"),
        expr,
        concurrent,
    )?;
    if let Some(slug) = &new_slug {
        tx = tx
            .delete(
                SlugItem::key_of(&org.slug),
                Some("orgId = :org"),
                Expr::new().s(":org", org.org_id.as_str()),
                ApiError::conflict(
                    "concurrent_update",
                    "The organization's slug changed meanwhile; reload and retry.",
                ),
            )?
            .put_new(&SlugItem::new(slug, &org.org_id), slug_taken(slug))?;
    }
    tx = tx.audit(ctx.audit(
        "org.updated",
        "OrganizationUpdated",
        summary.join("; "),
        Value::Object(changes),
    ))?;
    app.store.commit(tx).await?;
    updated.updated_at = Utc::now();
    let mut view = org_view(&updated, ctx.role());
    view["myRole"] = json!(ctx.role());
    Ok(Reply::ok(view))
}
