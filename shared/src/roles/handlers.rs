//! The organization's roles: list (system and custom), create, change and delete a custom role.
//! A custom role is bounded by its author: its permissions a subset of theirs, its project role
//! not above theirs, never an owner-only permission. Each change is one write of the
//! organization item, conditional on the roles as read and on the author's own role, with its
//! audit entry in the same transaction.

use super::item::{details_of, RoleItem};
use super::role::RolePermissions;
use super::views::RoleView;
use super::{CustomRole, HeldRole, Holder, CUSTOM_ROLES_PER_ORG};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::{Parse, Parsed};
use crate::catalogue::PermissionSet;
use crate::domain::{Description, DisplayName, RoleId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::json::explicit_null;
use crate::permissions::{Permission, ProjectRole, Role};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// Permission names one role may list: every permission a catalogue can hold (the service's and
/// at most `MAX_OPERATOR_PERMISSIONS` of the operator's; duplicates are dropped).
pub const PERMISSIONS_MAX: usize =
    crate::permissions::Permission::ALL.len() + crate::catalogue::MAX_OPERATOR_PERMISSIONS;

/// `POST /orgs/{orgId}/roles`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRole {
    /// Unique in the organization, case-insensitively; never a system role's name.
    name: Parsed<DisplayName>,
    description: Option<Parsed<Description>>,
    permissions: Parsed<RolePermissionNames>,
    /// Not above your own.
    project_role: Parsed<ProjectRoleOrNone>,
}

/// `PATCH /orgs/{orgId}/roles/{roleId}`'s body: at least one field.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(extend("minProperties" = 1)))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRole {
    name: Option<Parsed<DisplayName>>,
    /// Missing: unchanged; `null`: removed.
    #[serde(default, deserialize_with = "explicit_null")]
    description: Option<Option<Parsed<Description>>>,
    permissions: Option<Parsed<RolePermissionNames>>,
    project_role: Option<Parsed<ProjectRoleOrNone>>,
}

/// `projectRole`: `none` or a project role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectRoleOrNone(Option<ProjectRole>);

impl Parse for ProjectRoleOrNone {
    type Raw = String;
    fn parse(field: &str, raw: String) -> ApiResult<Self> {
        match raw.as_str() {
            "none" => Ok(Self(None)),
            _ => ProjectRole::parse(&raw).map(|r| Self(Some(r))).ok_or_else(|| {
                ApiError::validation(
                    field,
                    format!("`{field}` must be one of none, viewer, developer, editor, admin (got `{}`).", crate::domain::shown(&raw)),
                )
            }),
        }
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let mut names = vec!["none"];
        names.extend(ProjectRole::ALL.iter().rev().map(|r| r.as_str()));
        json!({ "type": "string", "enum": names })
    }
}

/// `permissions`: known names of the catalogue in force, none owner-only; `org.read` is always
/// added (every member sees the organization's name and their own membership).
#[derive(Debug, Clone, PartialEq)]
pub struct RolePermissionNames(PermissionSet);

impl Parse for RolePermissionNames {
    type Raw = Vec<String>;
    fn parse(field: &str, names: Vec<String>) -> ApiResult<Self> {
        permissions_asked(field, &names).map(Self)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({
            "type": "array",
            "maxItems": PERMISSIONS_MAX,
            "items": { "type": "string" },
            "description": "Permission names of the catalogue in force (GET /roles lists them: the service's and the operator's): within your own, never owner-only ones. org.read is always added.",
        })
    }
}

fn permissions_asked(field: &str, names: &[String]) -> ApiResult<PermissionSet> {
    if names.len() > PERMISSIONS_MAX {
        return Err(ApiError::validation(
            field,
            format!("`{field}` lists at most {PERMISSIONS_MAX} names."),
        ));
    }
    let asked = crate::catalogue::PermId::parse_all(names)?;
    let owner_only: Vec<&str> = asked
        .iter()
        .filter(|p| p.owner_only())
        .map(|p| p.as_str())
        .collect();
    if !owner_only.is_empty() {
        return Err(ApiError::validation(
            field,
            format!(
                "Owner-only permissions are never part of a custom role: {}.",
                owner_only.join(", ")
            ),
        )
        .with("ownerOnly", owner_only));
    }
    Ok(PermissionSet::of(
        asked.into_iter().chain([Permission::OrgRead.into()]),
    ))
}

/// The name is unique in the organization and no system role's, as people read names: case,
/// accents and look-alike letters aside ([`crate::domain::looks_like`]: `аdmin` with a Cyrillic
/// а is `admin`).
fn require_name_free(ctx: &Ctx, name: &DisplayName, except: Option<&RoleId>) -> ApiResult<()> {
    use crate::domain::looks_like;
    let seen = looks_like(name.as_str());
    let system = Role::ALL.iter().any(|r| looks_like(r.as_str()) == seen);
    let taken = ctx
        .org
        .custom_roles
        .iter()
        .find(|(id, def)| Some(id) != except && looks_like(&def.name) == seen);
    if system || taken.is_some() {
        let mut e = ApiError::new(
            Code::RoleNameTaken,
            format!(
                "The organization has a role named `{}` already; choose another name.",
                name.as_str()
            ),
        );
        if let Some((id, _)) = taken {
            e = e.with("roleId", id.as_str());
        }
        return Err(e);
    }
    Ok(())
}

/// The answer for a `{roleId}` that names no custom role of the organization.
pub fn role_not_found() -> ApiError {
    ApiError::new(
        Code::RoleNotFound,
        "No custom role with this id in the organization.",
    )
}

/// The custom role a path's `{roleId}` names, as read with the access.
fn role_in_path(ctx: &Ctx, input: &Input) -> ApiResult<(RoleId, CustomRole)> {
    let raw = input.path_param("roleId");
    let not_found = || match Role::parse(raw) {
        Some(_) => ApiError::new(
            Code::RoleNotFound,
            format!(
                "`{}` is a system role; system roles cannot be changed or deleted.",
                crate::domain::shown(raw)
            ),
        ),
        None => role_not_found(),
    };
    let id = RoleId::parse(raw).ok_or_else(not_found)?;
    let def = ctx.org.custom_role(&id).cloned().ok_or_else(not_found)?;
    Ok((id, def))
}

/// `GET /orgs/{orgId}/roles`: the six system roles, then the organization's custom roles (at
/// most 20: one page).
pub async fn list_org_roles(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let mut items: Vec<RoleView> = Role::ALL.iter().map(|r| RoleView::system(*r)).collect();
    let mut details: std::collections::BTreeMap<RoleId, RoleItem> =
        std::collections::BTreeMap::new();
    if ctx.org.custom_roles.iter().next().is_some() {
        let page = app
            .store
            .page_of::<RoleItem>(RoleItem::all_of_org(ctx.org_id()))
            .await?;
        details.extend(page.items.into_iter().map(|i| (i.role_id.clone(), i)));
    }
    for (id, def) in ctx.org.custom_roles.iter() {
        let d = details_of(ctx.org_id(), &id, def, details.get(&id))?;
        items.push(RoleView::custom(&ctx.org, &id, def, &d));
    }
    Ok(Reply::list(items, None))
}

/// `POST /orgs/{orgId}/roles` `{name, description?, permissions, projectRole}`.
pub async fn create_role(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateRole = input.json()?;
    let name = body.name.into_inner();
    let description = body
        .description
        .map(Parsed::into_inner)
        .filter(|d| !d.as_str().is_empty());
    let permissions = body.permissions.into_inner().0;
    let project_role = body.project_role.0 .0;
    let id = RoleId::new();
    let now = Timestamp::now();
    let def = CustomRole {
        name: name.as_str().to_string(),
        permissions: RolePermissions(permissions),
        project_role,
        version: 1,
        legacy: None,
    };
    let details = RoleItem::new(
        ctx.org_id(),
        &id,
        description.map(|d| d.as_str().to_string()),
        ctx.user_id(),
        now,
    );
    ctx.require_covers(&HeldRole::custom(&id, &def), "create")?;
    require_name_free(&ctx, &name, None)?;
    let count = ctx.org.custom_roles.iter().count();
    if count >= CUSTOM_ROLES_PER_ORG {
        return Err(ApiError::limit(
            "customRolesPerOrganization",
            CUSTOM_ROLES_PER_ORG,
            format!("An organization has at most {CUSTOM_ROLES_PER_ORG} custom roles; delete one first."),
        ));
    }
    let tx = ctx.org.role_created(ctx.tx()?, &id, &def)?;
    let tx = details.write(tx)?.audit(ctx.audit(
        "role.created",
        "RoleCreated",
        format!("created the role {}", def.name),
        json!({ "roleId": id, "name": def.name, "permissions": { "before": null, "after": def.permissions.sorted_names() }, "projectRole": { "before": null, "after": def.project_role.map_or("none", ProjectRole::as_str) } }),
    ))?;
    app.commit(
        tx,
        Reply::created(&RoleView::custom(&ctx.org, &id, &def, &details)),
    )
    .await
}

/// `PATCH /orgs/{orgId}/roles/{roleId}` `{name?, description?, permissions?, projectRole?}`:
/// holders hold the new definition from their next request. The author covers the role before
/// and after (nobody changes a role stronger than themselves, or makes one).
pub async fn update_role(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateRole = input.json()?;
    if body.name.is_none()
        && body.description.is_none()
        && body.permissions.is_none()
        && body.project_role.is_none()
    {
        return Err(ApiError::new(
            Code::NothingToUpdate,
            "Send one or more of `name`, `description`, `permissions`, `projectRole`.",
        ));
    }
    let (id, before) = role_in_path(&ctx, &input)?;
    let before_details = details_of(
        ctx.org_id(),
        &id,
        &before,
        ctx.subject_if_any::<RoleItem>()?.as_ref(),
    )?;
    let mut after = before.clone();
    let mut after_details = before_details.clone();
    if let Some(name) = body.name {
        let name = name.into_inner();
        require_name_free(&ctx, &name, Some(&id))?;
        after.name = name.as_str().to_string();
    }
    if let Some(d) = body.description {
        after_details.description = d.map(|d| d.as_str().to_string()).filter(|d| !d.is_empty());
    }
    if let Some(p) = body.permissions {
        after.permissions = RolePermissions(p.into_inner().0);
    }
    if let Some(p) = body.project_role {
        after.project_role = p.0 .0;
    }
    ctx.require_covers(&HeldRole::custom(&id, &before), "change")?;
    ctx.require_covers(&HeldRole::custom(&id, &after), "make")?;
    if after == before && after_details == before_details {
        return Ok(Reply::ok(&RoleView::custom(
            &ctx.org,
            &id,
            &before,
            &before_details,
        )));
    }
    after.version = before.version + 1;
    after.legacy = None;
    after_details.updated_at = Timestamp::now();
    let pr = |d: &CustomRole| d.project_role.map_or("none", ProjectRole::as_str);
    let tx = ctx.org.role_updated(ctx.tx()?, &id, &after)?;
    let tx = after_details.write(tx)?.audit(ctx.audit(
            "role.updated",
            "RoleUpdated",
            format!("changed the role {}", after.name),
            json!({
                "roleId": id,
                "name": { "before": before.name, "after": after.name },
                "permissions": { "before": before.permissions.sorted_names(), "after": after.permissions.sorted_names() },
                "projectRole": { "before": pr(&before), "after": pr(&after) },
            }),
        ))?;
    app.commit(
        tx,
        Reply::ok(&RoleView::custom(&ctx.org, &id, &after, &after_details)),
    )
    .await
}

/// `DELETE /orgs/{orgId}/roles/{roleId}`: refused with `role_in_use` (and the counts) while
/// members, pending invitations or API keys hold it; the counts are conditions of the write.
pub async fn delete_role(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let (id, def) = role_in_path(&ctx, &input)?;
    ctx.require_covers(&HeldRole::custom(&id, &def), "delete")?;
    let counts: Vec<(Holder, i64)> = Holder::ALL
        .iter()
        .map(|h| (*h, ctx.org.custom_roles.holders_of(&id, *h)))
        .collect();
    if counts.iter().any(|(_, n)| *n > 0) {
        let holders: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(h, n)| (h.as_str().to_string(), json!(n)))
            .collect();
        let [m, i, k, e] = [counts[0].1, counts[1].1, counts[2].1, counts[3].1];
        return Err(ApiError::new(
            Code::RoleInUse,
            format!(
                "The role {} is held by {m} member(s), {i} pending invitation(s), {k} API key(s) and {e} domain enrollment(s); give them another role (or revoke them) first.",
                def.name
            ),
        )
        .with("holders", serde_json::Value::Object(holders)));
    }
    let tx = ctx.org.role_deleted(ctx.tx()?, &id)?;
    let tx = RoleItem::delete(tx, ctx.org_id(), &id)?.audit(ctx.audit(
        "role.deleted",
        "RoleDeleted",
        format!("deleted the role {}", def.name),
        json!({ "roleId": id, "name": def.name, "permissions": { "before": def.permissions.sorted_names(), "after": null } }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// The role a request names resolved here, for grants: the caller must cover it (and it is
/// never owner).
pub fn role_to_grant(ctx: &Ctx, field: &str, raw: &str) -> ApiResult<HeldRole> {
    let held = ctx.org.role_asked(field, raw)?;
    ctx.require_can_grant(&held)?;
    Ok(held)
}
