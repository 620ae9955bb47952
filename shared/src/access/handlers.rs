//! What other services ask: my access in an organization, a batch permission check, the matrix.

use super::views::{
    AuthenticationView, AuthorizeView, DecisionView, ExplainedPermission, MatrixView, MyAccessView,
    PermissionAnswer, ProjectAccessView, Suspended,
};
use super::{Actor, Ctx, ProjectScope};
use crate::auth::Caller;
use crate::body::{Parse, Parsed};
use crate::catalogue::PermId;
use crate::domain::ProjectId;
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::settings::OrgStatus;
use crate::permissions::Permission;
use crate::pipeline::OrgAccess;
use crate::pipeline::{Input, Reply};
use crate::projects::item::project_not_found;
use crate::App;
use serde::Deserialize;

pub use super::MAX_PERMISSIONS_PER_CHECK;

/// `GET /roles`: the permission matrix as data: the catalogue in force (the service's
/// permissions and the operator's), the roles that hold each, the plans.
pub async fn list_roles(_app: App, _caller: Caller, _input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&MatrixView::of_roles()))
}

/// The project a `projectId` (query or body) names, as the caller may see it: 404 when it does
/// not exist or nothing reaches the caller there (a guest without a grant learns nothing).
fn project_asked<'a>(ctx: &'a Ctx, asked: Option<&str>) -> ApiResult<Option<&'a ProjectScope>> {
    let Some(raw) = asked else {
        return Ok(None);
    };
    if ProjectId::parse(raw).is_none() {
        return Err(ApiError::validation(
            "projectId",
            "`projectId` must be a project id (`prj_` and 32 hex digits).",
        ));
    }
    match &ctx.project {
        Some(scope) if scope.role().is_some() || ctx.held.has(Permission::ProjectsRead) => {
            Ok(Some(scope))
        }
        _ => Err(project_not_found()),
    }
}

/// `GET /orgs/{orgId}/me?projectId=`: my role and permissions, my teams and direct grants; with
/// `projectId`, my effective role there and where each allowed permission comes from.
pub async fn get_my_access(_app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let closed = ctx.is_closed();
    let project = project_asked(&ctx, input.query("projectId"))?.map(|scope| {
        let permissions = crate::catalogue::current()
            .all()
            .filter(|p| ctx.refused_now(*p).is_none())
            .filter_map(|p| {
                let via = scope.explain(&ctx.held, p);
                (!via.is_empty()).then(|| ExplainedPermission {
                    permission: p.as_str(),
                    via,
                })
            })
            .collect();
        ProjectAccessView {
            project_id: scope.project_id().clone(),
            role: scope.role(),
            permissions,
        }
    });
    Ok(Reply::ok(&MyAccessView {
        org_id: ctx.org_id().clone(),
        user_id: ctx.user_id().clone(),
        principal: ctx.principal(),
        role: ctx.role().clone(),
        role_name: ctx.held.name.clone(),
        project_role_everywhere: ctx.held.project_role,
        org_status: ctx
            .held
            .has(Permission::SettingsRead)
            .then_some(ctx.org.status),
        permissions: ctx
            .held
            .permissions
            .iter()
            .filter(|p| ctx.refused_now(*p).is_none())
            .map(PermId::as_str)
            .collect(),
        suspended: closed.then(|| Suspended {
            reason: if ctx.org.status == OrgStatus::Purging {
                "purge_started"
            } else {
                "org_closed"
            },
            permissions: ctx
                .held
                .permissions
                .iter()
                .filter(|p| ctx.refused_now(*p).is_some())
                .map(PermId::as_str)
                .collect(),
        }),
        team_ids: match &ctx.actor {
            Actor::Member(m) => m.teams.iter().cloned().collect(),
            Actor::Key(_) => Vec::new(),
        },
        granted_project_ids: match &ctx.actor {
            Actor::Member(m) => m.projects.iter().cloned().collect(),
            Actor::Key(k) => k.project_ids.clone(),
        },
        project,
        joined_at: match &ctx.actor {
            Actor::Member(m) => m.joined_at,
            Actor::Key(k) => k.created_at,
        },
        authentication: AuthenticationView::of(&ctx),
    }))
}

/// `POST /orgs/{orgId}/authorize`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authorize {
    permissions: Parsed<AskedPermissions>,
    /// Answer for this project: its grants add their project permissions.
    project_id: Option<Parsed<ProjectId>>,
    /// Only the caller themselves (`user:<your id>`, or `key:<its id>` for an API key): asking
    /// about someone else is the platform's services' route (`POST /service/orgs/{orgId}/authorize`).
    subject: Option<String>,
}

/// The permissions a check asks about: 1 to `MAX_PERMISSIONS_PER_CHECK` names of the catalogue
/// in force.
#[derive(Debug, Clone, PartialEq)]
pub struct AskedPermissions(Vec<PermId>);

impl AskedPermissions {
    pub fn into_inner(self) -> Vec<PermId> {
        self.0
    }
}

impl Parse for AskedPermissions {
    type Raw = Vec<String>;
    fn parse(field: &str, names: Vec<String>) -> ApiResult<Self> {
        if names.is_empty() || names.len() > MAX_PERMISSIONS_PER_CHECK {
            return Err(ApiError::validation(
                field,
                format!("`{field}` must list 1 to {MAX_PERMISSIONS_PER_CHECK} permission names."),
            ));
        }
        PermId::parse_all(&names).map(Self)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "array", "minItems": 1, "maxItems": MAX_PERMISSIONS_PER_CHECK, "items": { "type": "string" } })
    }
}

/// `POST /orgs/{orgId}/authorize`: `{permissions, projectId?}` -> per-permission answers and `allowed`
/// (all granted), each allowed one with where it comes from. Organization roles apply org-wide;
/// with `projectId`, every project role that reaches the caller there (their organization role's,
/// grants to them and to their teams: all on the project item, read with the access) adds its
/// project permissions (the union). One DynamoDB request.
pub async fn authorize(_app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: Authorize = input.json()?;
    if let Some(subject) = &body.subject {
        let me = ctx.principal();
        if super::on_behalf::Subject::parse(subject)?.names(&me) {
            // Asking about oneself by name: the same as not naming anyone.
        } else {
            return Err(ApiError::new(
                Code::Forbidden,
                "A caller checks its own permissions only; the platform's services ask about someone else with POST /service/orgs/{orgId}/authorize.",
            )
            .with("field", "subject"));
        }
    }
    let asked = body.permissions.into_inner().0;
    let scope = project_asked(&ctx, body.project_id.as_ref().map(|p| p.as_str()))?;
    let results: Vec<PermissionAnswer> = asked
        .into_iter()
        .map(|p| super::decide(&ctx.held, ctx.org.status, scope, p, !ctx.is_key()))
        .collect();
    Ok(Reply::ok(&AuthorizeView {
        decision: DecisionView {
            principal: ctx.principal(),
            org_id: ctx.org_id().clone(),
            allowed: results.iter().all(|r| r.allowed),
            role: Some(ctx.role().clone()),
            role_name: Some(ctx.held.name.clone()),
            project_id: scope.map(|s| s.project_id().clone()),
            project_role: scope.and_then(ProjectScope::role),
            results,
        },
        authentication: AuthenticationView::of(&ctx),
    }))
}
