//! Projects: list (a guest's list is what is granted to them), create (the creator becomes its
//! admin), read, update, delete; its access: list, grant, revoke. Each change is one transaction
//! that also keeps the principals' own records of their grants, so removing a member, a team or
//! the project removes every grant exactly.

use super::item::{project_not_found, CreateNamed, Grant, Principal, ProjectItem, UpdateNamed};
use super::views::{GrantView, ProjectView};
use crate::access::{Actor, Ctx, ProjectScope};
use crate::audit::Audited;
use crate::body::Parsed;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::limits::{GRANTS_PER_MEMBER, GRANTS_PER_PROJECT, GRANTS_PER_TEAM};
use crate::members::item::MemberItem;
use crate::members::member_not_found;
use crate::permissions::{Permission, ProjectRole};
use crate::pipeline::{Input, OrgAccess, Reply};
use crate::store::{page_of_ids, Key};
use crate::teams::item::{team_not_found, TeamItem};
use crate::App;
use serde::Deserialize;
use serde_json::json;

fn changed() -> ApiError {
    ApiError::concurrent("The project's access or a principal changed meanwhile; reload and retry.")
}

/// `GET /orgs/{orgId}/projects`: every project for members who read projects org-wide (one Query
/// per page); for a guest, exactly the projects granted to them (one BatchGetItem per page).
pub async fn list_projects(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let page = if ctx.holds(Permission::ProjectsRead) {
        app.store
            .page_of::<ProjectItem>(ProjectItem::page_of_org(
                ctx.org_id(),
                limit,
                input.cursor(),
            )?)
            .await?
    } else {
        // A guest's grants, or the projects an API key is limited to.
        let ids = match &ctx.actor {
            Actor::Member(member) => page_of_ids(
                &format!("GRANTED#{}", member.user_id.as_str()),
                member.projects.iter().map(|p| p.as_str()),
                limit,
                input.cursor(),
            )?,
            Actor::Key(key) => page_of_ids(
                &format!("GRANTED#{}", key.key_id.as_str()),
                key.project_ids.iter().map(|p| p.as_str()),
                limit,
                input.cursor(),
            )?,
        };
        let keys: Vec<Key> = ids
            .items
            .iter()
            .filter_map(|p| ProjectItem::key_in(ctx.org_id(), p))
            .collect();
        let mut items: Vec<ProjectItem> = app.store.batch_get_as(keys).await?;
        items.sort_by(|a, b| a.project_id.cmp(&b.project_id));
        crate::store::Page {
            items,
            next_cursor: ids.next_cursor,
        }
    };
    let views = page
        .items
        .into_iter()
        .map(|p| {
            let scope = ProjectScope::of_actor(p, &ctx.actor, &ctx.org, &ctx.held);
            ProjectView::new(&scope.project, scope.role())
        })
        .collect();
    Ok(Reply::list(views, page.next_cursor))
}

/// `POST /orgs/{orgId}/projects` `{name, description?}`: the creator gets the project-scoped
/// admin role (a direct grant) unless their organization role makes them admin of every project
/// already (owner, admin), in one transaction with the audit entry.
pub async fn create_project(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let (name, description) = input.json::<CreateNamed>()?.into_parts();
    let now = Timestamp::now();
    // A person who is not admin of every project already becomes this one's (an API key has
    // what its role gives: grants are for people and teams).
    let creator = ctx.member();
    let creator_grant = creator.is_some() && ctx.held.project_role != Some(ProjectRole::Admin);
    let project = ProjectItem::new(
        ctx.org_id(),
        name,
        description,
        ctx.user_id(),
        creator_grant,
        now,
    );
    let mut tx = project.create(ctx.tx()?)?;
    if let (true, Some(member)) = (creator_grant, creator) {
        if member.projects.len() >= GRANTS_PER_MEMBER {
            return Err(grants_per_member());
        }
        tx = MemberItem::granted(
            tx,
            ctx.org_id(),
            ctx.user_id(),
            &project.project_id,
            GRANTS_PER_MEMBER,
            changed(),
        )?;
    }
    let tx = tx.audit(ctx.audit(
        "project.created",
        "ProjectCreated",
        format!("created project {}", project.name.as_str()),
        json!({ "projectId": project.project_id, "name": project.name, "creatorGrant": creator_grant.then_some("admin") }),
    ))?;
    let role = ProjectScope::of_actor(project.clone(), &ctx.actor, &ctx.org, &ctx.held).role();
    let role = if creator_grant {
        Some(ProjectRole::Admin)
    } else {
        role
    };
    app.commit(tx, Reply::created(&ProjectView::new(&project, role)))
        .await
}

fn grants_per_member() -> ApiError {
    ApiError::limit(
        "grantsPerMember",
        GRANTS_PER_MEMBER,
        format!(
            "A member holds at most {GRANTS_PER_MEMBER} direct project grants; revoke one first."
        ),
    )
}

fn scope(ctx: &Ctx) -> ApiResult<&ProjectScope> {
    ctx.project.as_ref().ok_or_else(project_not_found)
}

/// `GET /orgs/{orgId}/projects/{projectId}`
pub async fn get_project(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let scope = scope(&ctx)?;
    Ok(Reply::ok(&ProjectView::new(&scope.project, scope.role())))
}

/// `PATCH /orgs/{orgId}/projects/{projectId}` `{name?, description?}`
pub async fn update_project(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateNamed = input.json()?;
    let changes = body.changes()?;
    let scope = scope(&ctx)?;
    let project = &scope.project;
    let now = Timestamp::now();
    let tx = project.update(ctx.tx()?, &changes, now)?;
    let tx = tx.audit(ctx.audit(
        "project.updated",
        "ProjectUpdated",
        format!("updated project {}", project.name.as_str()),
        json!({ "projectId": project.project_id, "name": changes.name, "description": changes.description }),
    ))?;
    let mut updated = project.clone();
    if let Some(name) = changes.name {
        updated.name = name;
    }
    if let Some(d) = changes.description {
        updated.description = d;
    }
    updated.updated_at = now;
    app.commit(tx, Reply::ok(&ProjectView::new(&updated, scope.role())))
        .await
}

/// `DELETE /orgs/{orgId}/projects/{projectId}`: the project and every grant on it, with each
/// principal's record of the grant, in one transaction conditional on the grants read.
pub async fn delete_project(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let project = &scope(&ctx)?.project;
    let org = ctx.org_id();
    let mut tx = project.delete(ctx.tx()?)?;
    for (principal, _) in project.principals() {
        tx = match &principal {
            Principal::User(u) => {
                MemberItem::ungranted(tx, org, u, &project.project_id, changed())?
            }
            Principal::Team(t) => TeamItem::ungranted(tx, org, t, &project.project_id, changed())?,
        };
    }
    let tx = tx.audit(ctx.audit(
        "project.deleted",
        "ProjectDeleted",
        format!("deleted project {} and its {} grants", project.name.as_str(), project.grants.len()),
        json!({ "projectId": project.project_id, "name": project.name, "revoked": project.grants.keys().collect::<Vec<_>>() }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `GET /orgs/{orgId}/projects/{projectId}/access`: the grants, in principal order, paginated.
pub async fn list_access(_app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let project = &scope(&ctx)?.project;
    let page = page_of_ids(
        &format!("ACCESS#{}", project.project_id.as_str()),
        project.grants.keys().map(String::as_str),
        input.limit()?,
        input.cursor(),
    )?;
    let items = page
        .items
        .iter()
        .filter_map(|p| {
            let principal = Principal::parse(p)?;
            let grant = project.grant_of(&principal)?;
            Some(GrantView::new(&principal, grant))
        })
        .collect();
    Ok(Reply::list(items, page.next_cursor))
}

fn principal_in_path(input: &Input) -> ApiResult<Principal> {
    Principal::from_path(input.path_param("principal")).ok_or_else(|| {
        ApiError::validation(
            "principal",
            "The principal must be `user:<userId>` or `team:<teamId>`.",
        )
    })
}

/// The member or team a grant's principal names, read with the access; 404 when it is not there.
enum Holder {
    Member(MemberItem),
    Team(TeamItem),
}

fn holder(ctx: &Ctx, principal: &Principal) -> ApiResult<Holder> {
    match principal {
        Principal::User(_) => ctx.also()?.map(Holder::Member).ok_or_else(member_not_found),
        Principal::Team(_) => ctx.also()?.map(Holder::Team).ok_or_else(team_not_found),
    }
}

/// The key of the member or team a `{principal}` names (read with the access).
pub fn principal_key(org: &crate::domain::OrgId, raw: &str) -> Option<Key> {
    match Principal::from_path(raw)? {
        Principal::User(u) => Some(MemberItem::key_of(org, &u)),
        Principal::Team(t) => Some(TeamItem::key_of(org, &t)),
    }
}

/// `PUT /orgs/{orgId}/projects/{projectId}/access/{principal}`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantProjectAccess {
    /// Never above your own role on the project.
    role: Parsed<ProjectRole>,
}

/// `PUT /orgs/{orgId}/projects/{projectId}/access/{principal}` `{role}`: grants (or changes) a
/// project role, never above the caller's own on the project, nor over a grant above it.
pub async fn grant_access(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let role = input.json::<GrantProjectAccess>()?.role.into_inner();
    let principal = principal_in_path(&input)?;
    let holder = holder(&ctx, &principal)?;
    let project = &scope(&ctx)?.project;
    ctx.require_can_grant_in_project(role)?;
    let previous = project.grant_of(&principal);
    if let Some(previous) = previous {
        ctx.require_can_grant_in_project(previous.role)?;
        if previous.role == role {
            return Ok(Reply::ok(&GrantView::new(&principal, previous)));
        }
    }
    if previous.is_none() && project.grants.len() >= GRANTS_PER_PROJECT {
        return Err(ApiError::limit(
            "grantsPerProject",
            GRANTS_PER_PROJECT,
            format!("A project has at most {GRANTS_PER_PROJECT} grants; revoke one first."),
        ));
    }
    let grant = Grant {
        role,
        granted_by: ctx.user_id().clone(),
        granted_at: Timestamp::now(),
    };
    let mut tx = project.put_grant(ctx.tx()?, &principal, &grant, GRANTS_PER_PROJECT)?;
    if previous.is_none() {
        tx = match &holder {
            Holder::Member(m) => {
                if m.projects.len() >= GRANTS_PER_MEMBER {
                    return Err(grants_per_member());
                }
                MemberItem::granted(
                    tx,
                    ctx.org_id(),
                    &m.user_id,
                    &project.project_id,
                    GRANTS_PER_MEMBER,
                    changed(),
                )?
            }
            Holder::Team(t) => {
                if t.projects.len() >= GRANTS_PER_TEAM {
                    return Err(ApiError::limit(
                        "grantsPerTeam",
                        GRANTS_PER_TEAM,
                        format!("A team is granted at most {GRANTS_PER_TEAM} projects."),
                    ));
                }
                t.granted(tx, &project.project_id, GRANTS_PER_TEAM)?
            }
        };
    }
    let tx = tx.audit(ctx.audit(
        "project.access_granted",
        "ProjectAccessGranted",
        format!("{} is {role} on project {}", principal.as_string(), project.name.as_str()),
        json!({ "projectId": project.project_id, "principal": principal.as_string(), "role": role, "previousRole": previous.map(|p| p.role) }),
    ))?;
    app.commit(tx, Reply::ok(&GrantView::new(&principal, &grant)))
        .await
}

/// `DELETE /orgs/{orgId}/projects/{projectId}/access/{principal}`
pub async fn revoke_access(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let principal = principal_in_path(&input)?;
    let project = &scope(&ctx)?.project;
    let Some(grant) = project.grant_of(&principal) else {
        return Err(ApiError::new(
            Code::GrantNotFound,
            format!("{} has no grant on this project.", principal.as_string()),
        ));
    };
    ctx.require_can_grant_in_project(grant.role)?;
    let tx = project.remove_grant(ctx.tx()?, &principal, grant.role)?;
    let tx = match &principal {
        Principal::User(u) => {
            MemberItem::ungranted(tx, ctx.org_id(), u, &project.project_id, changed())?
        }
        Principal::Team(t) => {
            TeamItem::ungranted(tx, ctx.org_id(), t, &project.project_id, changed())?
        }
    };
    let tx = tx.audit(ctx.audit(
        "project.access_revoked",
        "ProjectAccessRevoked",
        format!("revoked {} ({}) on project {}", principal.as_string(), grant.role, project.name.as_str()),
        json!({ "projectId": project.project_id, "principal": principal.as_string(), "role": grant.role }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}
