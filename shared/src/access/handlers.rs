//! What other services ask: my access in an organization, a batch permission check, the matrix.

use super::views::{AuthorizeView, MatrixView, MyAccessView, PermissionAnswer, ProjectGrantView};
use super::Ctx;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::{effective_in_project, Permission};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;

/// `GET /roles`: the permission matrix as data.
pub async fn list_roles(_app: App, _caller: Caller, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&MatrixView::of_roles()))
}

/// `GET /orgs/{orgId}/me`
pub async fn get_my_access(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&MyAccessView {
        org_id: ctx.org_id().clone(),
        user_id: ctx.user_id().clone(),
        role: ctx.role(),
        org_status: ctx.org.status,
        permissions: ctx.role().permissions().map(Permission::as_str).collect(),
        project_grants: ctx
            .member
            .project_roles
            .iter()
            .map(|(project, role)| ProjectGrantView::new(project, *role))
            .collect(),
        joined_at: ctx.member.joined_at,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizeBody {
    permissions: Vec<String>,
    #[serde(default)]
    project_id: Option<String>,
}

/// `POST /orgs/{orgId}/authorize`: `{permissions, projectId?}` -> per-permission answers and `allowed`
/// (all granted). Organization roles apply org-wide; with `projectId`, the member's project-scoped
/// role on that project adds its project permissions (the union).
pub async fn authorize(_app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: AuthorizeBody = input.json()?;
    if body.permissions.is_empty() || body.permissions.len() > 100 {
        return Err(ApiError::validation(
            "permissions",
            "`permissions` must list 1 to 100 permission names.",
        ));
    }
    let unknown: Vec<&str> = body
        .permissions
        .iter()
        .map(String::as_str)
        .filter(|p| Permission::parse(p).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::new(
            Code::UnknownPermission,
            format!(
                "Unknown permission(s): {}. GET /roles lists every permission.",
                unknown.join(", ")
            ),
        )
        .with("unknown", unknown));
    }
    if let Some(p) = &body.project_id {
        if p.is_empty() || p.len() > 128 {
            return Err(ApiError::validation(
                "projectId",
                "`projectId` must be 1 to 128 characters.",
            ));
        }
    }
    let project_role = body
        .project_id
        .as_ref()
        .and_then(|p| ctx.member.project_roles.get(p).copied());
    let results: Vec<PermissionAnswer> = body
        .permissions
        .iter()
        .map(|name| PermissionAnswer {
            permission: name.clone(),
            allowed: Permission::parse(name)
                .is_some_and(|p| effective_in_project(ctx.role(), project_role, p)),
        })
        .collect();
    Ok(Reply::ok(&AuthorizeView {
        allowed: results.iter().all(|r| r.allowed),
        role: ctx.role(),
        project_id: body.project_id,
        project_role,
        results,
    }))
}
