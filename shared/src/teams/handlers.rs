//! Teams: list, create, read (with a page of members), update, delete; add and remove members.
//! A membership is kept on both sides (the team's membership item and count, the member's
//! `teams`) in the same transaction, so the access read sees it and every removal is exact.
//! Deleting a team removes its grants at once and leaves its memberships to the stream's
//! clean-up (`super::cleanup`), so a team of any size can be deleted.

use super::item::{TeamItem, TeamMemberItem};
use super::views::{TeamDetailView, TeamView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::limits::{MEMBERS_PER_TEAM, TEAMS_PER_MEMBER, TEAMS_PER_ORG};
use crate::members::item::MemberItem;
use crate::members::member_not_found;
use crate::members::views::MemberView;
use crate::permissions::{ProjectRole, Role};
use crate::pipeline::{Input, Reply};
use crate::projects::item::{CreateNamed, UpdateNamed};
use crate::projects::item::{Principal, ProjectItem};
use crate::store::{decode_cursor, encode_cursor, Key};
use crate::App;
use serde_json::json;

fn changed() -> ApiError {
    ApiError::concurrent("The team or one of its members changed meanwhile; reload and retry.")
}

/// `GET /orgs/{orgId}/teams`: one Query per page.
pub async fn list_teams(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = TeamItem::page_of_org(ctx.org_id(), input.limit()?, input.cursor())?;
    let page = app.store.page_of::<TeamItem>(q).await?;
    Ok(Reply::list(
        page.items.iter().map(TeamView::new).collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/teams` `{name, description?}`: within the limit of teams per organization.
pub async fn create_team(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let (name, description) = input.json::<CreateNamed>()?.into_parts();
    if ctx.org.team_count as usize >= TEAMS_PER_ORG {
        return Err(ApiError::limit(
            "teamsPerOrganization",
            TEAMS_PER_ORG,
            format!("An organization has at most {TEAMS_PER_ORG} teams; delete one first."),
        ));
    }
    let team = TeamItem::new(
        ctx.org_id(),
        name,
        description,
        ctx.user_id(),
        Timestamp::now(),
    );
    let tx = team.create(ctx.tx()?)?;
    let tx = ctx.org.team_created(tx, TEAMS_PER_ORG)?;
    let tx = tx.audit(ctx.audit(
        "team.created",
        "TeamCreated",
        format!("created team {}", team.name.as_str()),
        json!({ "teamId": team.team_id, "name": team.name }),
    ))?;
    app.commit(tx, Reply::created(&TeamView::new(&team))).await
}

/// `GET /orgs/{orgId}/teams/{teamId}?limit=&cursor=`: the team and one page of its members, in
/// user id order (one Query of its membership items, merged with a legacy `members` set, and one
/// BatchGetItem of their memberships). The cursor is the last user id shown.
pub async fn get_team(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let team: TeamItem = ctx.subject()?;
    let limit = input.limit()?;
    let scope = format!("TEAM#{}", team.team_id.as_str());
    let after = input
        .cursor()
        .map(|c| decode_cursor(&scope, c))
        .transpose()?
        .and_then(|k| k.get("SK").and_then(|v| v.as_s().ok()).cloned())
        .map(|u| crate::domain::UserId::parse("cursor", &u).map_err(|_| ApiError::invalid_cursor()))
        .transpose()?;
    let q = TeamMemberItem::page_of_team(ctx.org_id(), &team.team_id, limit, after.as_ref());
    let (items, more_items) = app.store.query_page(q).await?;
    let mut ids: Vec<crate::domain::UserId> = items
        .into_iter()
        .map(crate::store::from_item::<TeamMemberItem>)
        .map(|m| m.map(|m| m.user_id))
        .collect::<Result<_, _>>()?;
    ids.extend(
        team.members
            .iter()
            .filter(|u| after.as_ref().is_none_or(|a| *u > a))
            .cloned(),
    );
    ids.sort();
    ids.dedup();
    let more = more_items.is_some() || ids.len() > limit as usize;
    ids.truncate(limit as usize);
    let next_cursor = match (more, ids.last()) {
        (true, Some(last)) => Some(encode_cursor(
            &scope,
            &Key::new(scope.as_str(), last.as_str()).to_item(),
        )),
        _ => None,
    };
    let keys = ids
        .iter()
        .map(|u| MemberItem::key_of(ctx.org_id(), u))
        .collect();
    let mut members: Vec<MemberItem> = if ids.is_empty() {
        Vec::new()
    } else {
        app.store.batch_get_as(keys).await?
    };
    members.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    Ok(Reply::ok(&TeamDetailView {
        team: TeamView::new(&team),
        members: members
            .iter()
            .map(|m| MemberView::new(m, &ctx.org))
            .collect(),
        members_next_cursor: next_cursor,
    }))
}

/// `PATCH /orgs/{orgId}/teams/{teamId}` `{name?, description?}`
pub async fn update_team(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateNamed = input.json()?;
    let changes = body.changes()?;
    let team: TeamItem = ctx.subject()?;
    if team.directory.is_some() {
        return Err(crate::teams::item::managed_by_directory());
    }
    let now = Timestamp::now();
    let tx = team.update(ctx.tx()?, &changes, now)?;
    let tx = tx.audit(ctx.audit(
        "team.updated",
        "TeamUpdated",
        format!("updated team {}", team.name.as_str()),
        json!({ "teamId": team.team_id, "name": changes.name, "description": changes.description }),
    ))?;
    let mut updated = team;
    if let Some(name) = changes.name {
        updated.name = name;
    }
    if let Some(d) = changes.description {
        updated.description = d;
    }
    updated.updated_at = now;
    app.commit(tx, Reply::ok(&TeamView::new(&updated))).await
}

/// `DELETE /orgs/{orgId}/teams/{teamId}`: the team and its grants (on each project, at most
/// `GRANTS_PER_TEAM`) in one transaction conditional on the grants read, so the access the team
/// gave ends with it; its memberships (any number) are removed by the stream's clean-up from
/// this change's audit entry (`super::cleanup`): they grant nothing once the team is gone.
pub async fn delete_team(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let team: TeamItem = ctx.subject()?;
    if team.directory.is_some() {
        return Err(crate::teams::item::managed_by_directory());
    }
    let org = ctx.org_id();
    let tx = team.delete(ctx.tx()?)?;
    let mut tx = ctx.org.team_deleted(tx)?;
    let principal = Principal::Team(team.team_id.clone());
    for project in &team.projects {
        tx = ProjectItem::grant_gone(tx, org, project, &principal, changed())?;
    }
    let tx = tx.audit(ctx.audit(
        "team.deleted",
        "TeamDeleted",
        format!(
            "deleted team {} ({} members, {} project grants)",
            team.name.as_str(),
            team.member_total(),
            team.projects.len()
        ),
        json!({
            "teamId": team.team_id,
            "name": team.name,
            "memberCount": team.member_total(),
            "legacyMembers": team.members,
            "projectIds": team.projects,
        }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `PUT /orgs/{orgId}/teams/{teamId}/members/{userId}`: members only, never guests; idempotent.
pub async fn add_team_member(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let team: TeamItem = ctx.subject()?;
    if team.directory.is_some() {
        return Err(crate::teams::item::managed_by_directory());
    }
    let member: MemberItem = ctx.also()?.ok_or_else(member_not_found)?;
    if member.role.is(Role::Guest) {
        return Err(ApiError::new(
            Code::GuestCannotJoinTeam,
            "Guests are not on teams: they see only the projects granted to them directly. Grant the guest a project (PUT /orgs/{orgId}/projects/{projectId}/access/user:<userId>) or change their role first.",
        ));
    }
    if member.teams.contains(&team.team_id) {
        return Ok(Reply::ok(&MemberView::new(&member, &ctx.org)));
    }
    // The team's project grants reach whoever joins it: the hierarchy rule for each of them. The
    // team item names its projects, not their roles (those are on the projects), so a caller
    // who is not admin in every project adds people only to teams without grants.
    let within_grants = ctx.held.covers_in_projects(ProjectRole::Admin);
    if !within_grants && !team.projects.is_empty() {
        return Err(ApiError::new(
            Code::GrantAboveYou,
            format!(
                "The team {} holds access to {} project(s), which reaches everyone added to it; your role {} is not admin in every project, so you can add people only to teams without project access. Ask an admin, or grant the person access on a project directly.",
                team.name.as_str(),
                team.projects.len(),
                ctx.held.name
            ),
        )
        .with("yourProjectRole", ctx.held.project_role.map(ProjectRole::as_str))
        .with("requestedRole", ProjectRole::Admin.as_str()));
    }
    if team.member_total() >= MEMBERS_PER_TEAM as u64 {
        return Err(ApiError::limit(
            "membersPerTeam",
            MEMBERS_PER_TEAM,
            format!("A team has at most {MEMBERS_PER_TEAM} members."),
        ));
    }
    if member.teams.len() >= TEAMS_PER_MEMBER {
        return Err(ApiError::limit(
            "teamsPerMember",
            TEAMS_PER_MEMBER,
            format!("A member is on at most {TEAMS_PER_MEMBER} teams."),
        ));
    }
    if team.members.contains(&member.user_id) {
        // On the team's legacy set but not on the member's record: a removed membership whose
        // clean-up has not run yet.
        return Err(changed());
    }
    let tx = team.add_member(
        ctx.tx()?,
        &member,
        ctx.user_id(),
        Timestamp::now(),
        MEMBERS_PER_TEAM,
    )?;
    let tx = member.join_team(tx, &team.team_id, TEAMS_PER_MEMBER, changed())?;
    let tx = if within_grants {
        tx
    } else {
        team.guard_no_grants(tx, changed())?
    };
    let tx = tx.audit(ctx.audit(
        "team.member_added",
        "TeamMemberAdded",
        format!(
            "added {} to team {}",
            member.user_id.as_str(),
            team.name.as_str()
        ),
        json!({ "teamId": team.team_id, "userId": member.user_id }),
    ))?;
    app.commit(tx, Reply::ok(&MemberView::new(&member, &ctx.org)))
        .await
}

/// `DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}`: access through the team ends with it.
pub async fn remove_team_member(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let team: TeamItem = ctx.subject()?;
    if team.directory.is_some() {
        return Err(crate::teams::item::managed_by_directory());
    }
    let user = crate::domain::UserId::parse("userId", input.path_param("userId"))?;
    let not_on_team = || ApiError::new(Code::TeamMemberNotFound, "This user is not on the team.");
    // The membership item (or legacy set entry) and the member's record: both say the user is
    // on the team, or nothing changes.
    let tx = team.remove_member(ctx.tx()?, &user, not_on_team())?;
    let tx = MemberItem::leave_team(tx, ctx.org_id(), &user, &team.team_id, not_on_team())?;
    let tx = tx.audit(ctx.audit(
        "team.member_removed",
        "TeamMemberRemoved",
        format!("removed {} from team {}", user.as_str(), team.name.as_str()),
        json!({ "teamId": team.team_id, "userId": user }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}
