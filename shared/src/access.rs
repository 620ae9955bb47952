//! What other services ask: my access in an organization, a batch permission check, the matrix.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::http::{Input, OrgCtx, Reply};
use crate::permissions::{Permission, Role};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `GET /roles`: the permission matrix as data.
pub async fn list_roles(_app: App, _caller: Caller, _input: Input) -> ApiResult<Reply> {
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| {
            json!({
                "name": r,
                "rank": r.rank(),
                "description": r.description(),
                "permissions": r.permissions().map(Permission::as_str).collect::<Vec<_>>(),
            })
        })
        .collect();
    let permissions: Vec<_> = Permission::ALL
        .iter()
        .map(|p| json!({ "name": p.as_str(), "area": p.area(), "minRole": p.min_role(), "description": p.description() }))
        .collect();
    Ok(Reply::ok(
        json!({ "roles": roles, "permissions": permissions }),
    ))
}

/// `GET /orgs/{orgId}/me`
pub async fn get_my_access(_app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(json!({
        "orgId": ctx.org_id(),
        "userId": ctx.user_id(),
        "role": ctx.role(),
        "orgStatus": ctx.org.status,
        "permissions": ctx.role().permissions().map(Permission::as_str).collect::<Vec<_>>(),
        "projectGrants": ctx.member.project_roles.iter().map(|(project, role)| json!({
            "projectId": project,
            "role": role,
            "permissions": role.permissions().filter(|p| p.project_scoped()).map(Permission::as_str).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "joinedAt": ctx.member.joined_at,
    })))
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
pub async fn authorize(_app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
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
        return Err(ApiError::bad_request(
            "unknown_permission",
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
    let results: Vec<_> = body
        .permissions
        .iter()
        .map(|name| {
            let allowed = Permission::parse(name).is_some_and(|p| {
                crate::permissions::effective_in_project(ctx.role(), project_role, p)
            });
            json!({ "permission": name, "allowed": allowed })
        })
        .collect();
    let allowed = results.iter().all(|r| r["allowed"] == json!(true));
    Ok(Reply::ok(json!({
        "allowed": allowed,
        "role": ctx.role(),
        "projectId": body.project_id,
        "projectRole": project_role,
        "results": results,
    })))
}
