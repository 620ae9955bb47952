//! Members: list, change role, remove or leave, transfer ownership.
//! Every change is one transaction whose conditions re-check what the decision was based on,
//! so parallel requests can never leave zero or two owners.

use super::item::{MemberItem, MemberStatus};
use super::views::{MemberView, TransferView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::Parsed;
use crate::domain::{Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::RoleAsked;
use crate::permissions::{Permission, Role};
use crate::pipeline::{Input, Reply};
use crate::roles::{HeldRole, Holder};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `GET /orgs/{orgId}/members?role=&limit=&cursor=`: one Query per page.
pub async fn list_members(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let role = input
        .query("role")
        .map(|r| ctx.org.role_asked("role", r).map(|h| h.role))
        .transpose()?;
    let q = MemberItem::page_of_org(ctx.org_id(), role, limit, input.cursor())?;
    let page = app.store.page_of::<MemberItem>(q).await?;
    Ok(Reply::list(
        page.items
            .iter()
            .map(|m| MemberView::new(m, &ctx.org))
            .collect(),
        page.next_cursor,
    ))
}

/// Nobody acts on a member whose role is not at or below their own (its permissions a subset
/// of theirs: two incomparable roles are not below each other).
fn require_not_above(ctx: &Ctx, target: &MemberItem) -> ApiResult<HeldRole> {
    let theirs = ctx.org.held(&target.role)?;
    if !ctx.held.covers(&theirs) {
        return Err(ApiError::new(
            Code::MemberAboveYou,
            format!(
                "The member is {}, which is not at or below your role {}; you cannot change or remove them.",
                theirs.name, ctx.held.name
            ),
        )
        .with("memberRole", theirs.role.as_str())
        .with("yourRole", ctx.role().as_str()));
    }
    Ok(theirs)
}

fn concurrent() -> ApiError {
    ApiError::concurrent("The membership changed while you were changing it; reload and retry.")
}

/// `PATCH /orgs/{orgId}/members/{userId}`'s body: a new role, or a new status (one of them).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeMember {
    /// A system role's name or a custom role's id.
    #[serde(default)]
    role: Option<Parsed<RoleAsked>>,
    /// `deactivated`: the member keeps their role, teams and grants but holds no seat and every
    /// route refuses them; `active` gives them back (if a seat is free).
    #[serde(default)]
    status: Option<Parsed<MemberStatus>>,
}

/// `PATCH /orgs/{orgId}/members/{userId}` `{role}` or `{status}`
pub async fn change_member(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: ChangeMember = input.json()?;
    match (body.role, body.status) {
        (Some(role), None) => change_role(app, ctx, role.into_inner()).await,
        (None, Some(status)) => change_status(app, ctx, status.into_inner()).await,
        (Some(_), Some(_)) => Err(ApiError::validation(
            "status",
            "Change the role or the status, one per request: send `role` or `status`.",
        )),
        (None, None) => Err(ApiError::new(
            Code::NothingToUpdate,
            "Send `role` (a new role) or `status` (`active` or `deactivated`).",
        )),
    }
}

/// Deactivates or reactivates a member. A deactivated member holds no seat and is refused on
/// every route; reactivation takes a free seat (402 when none is) and gives back the role,
/// teams and grants they had. One transaction with the caller's access guard and the audit entry.
async fn change_status(app: App, ctx: Ctx, status: MemberStatus) -> ApiResult<Reply> {
    let target: MemberItem = ctx.subject()?;
    if MemberStatus::of(&target) == status {
        return Ok(Reply::ok(&MemberView::new(&target, &ctx.org)));
    }
    if target.role.is(Role::Owner) {
        return Err(ApiError::new(
            Code::CannotDeactivate,
            "The owner is never deactivated; transfer ownership first (POST /orgs/{orgId}/ownership-transfer).",
        ));
    }
    if &target.user_id == ctx.user_id() {
        return Err(ApiError::new(
            Code::CannotDeactivate,
            "You cannot deactivate yourself; another admin can, or leave (DELETE /orgs/{orgId}/members/{userId}).",
        ));
    }
    let theirs = require_not_above(&ctx, &target)?;
    let now = Timestamp::now();
    let seats = match status {
        MemberStatus::Active => Some(ctx.seats()?),
        MemberStatus::Deactivated => None,
    };
    let (tx, updated) = super::status_changed(ctx.tx()?, &ctx.org, seats, &target, status, now)?;
    let tx = ctx.guard_role_as_read(tx, &theirs, concurrent())?;
    let (action, event, verb) = match status {
        MemberStatus::Deactivated => ("member.deactivated", "MemberDeactivated", "deactivated"),
        MemberStatus::Active => ("member.reactivated", "MemberReactivated", "reactivated"),
    };
    let tx = tx.audit(ctx.audit(
        action,
        event,
        format!("{verb} {} ({})", target.user_id.as_str(), theirs.name),
        json!({ "userId": target.user_id, "role": target.role, "status": status.as_str(), "teamIds": target.teams, "projectIds": target.projects }),
    ))?;
    app.commit(tx, Reply::ok(&MemberView::new(&updated, &ctx.org)))
        .await
}

async fn change_role(app: App, ctx: Ctx, role: RoleAsked) -> ApiResult<Reply> {
    let new_held = ctx.org.role_asked("role", &role.0)?;
    let new_role = new_held.role.clone();
    let target: MemberItem = ctx.subject()?;
    if target.role.is(Role::Owner) {
        return Err(ApiError::new(
            Code::OwnerRoleFixed,
            "The owner's role changes only by transfer: POST /orgs/{orgId}/ownership-transfer.",
        ));
    }
    ctx.require_can_grant(&new_held)?;
    let theirs = require_not_above(&ctx, &target)?;
    if new_role.is(Role::Guest) && !target.teams.is_empty() {
        return Err(ApiError::new(
            Code::MemberOnTeams,
            format!(
                "Guests are not on teams; take the member off their {} team(s) first (DELETE /orgs/{{orgId}}/teams/{{teamId}}/members/{{userId}}).",
                target.teams.len()
            ),
        )
        .with("teamIds", target.teams.iter().map(|t| t.as_str()).collect::<Vec<_>>()));
    }
    if new_role == target.role {
        // No change: no write and no audit entry.
        return Ok(Reply::ok(&MemberView::new(&target, &ctx.org)));
    }
    // The caller's own role (what allowed acting on another member) and the organization's state
    // are re-checked by the context's guard; a custom role given or taken is counted.
    let tx = target.change_role(ctx.tx()?, &new_role, Timestamp::now(), concurrent())?;
    let tx = ctx.guard_role_as_read(tx, &theirs, concurrent())?;
    let tx = ctx.org.count_holders(
        tx,
        &[
            (&target.role, Holder::Members, -1),
            (&new_role, Holder::Members, 1),
        ],
    )?;
    let tx = tx.audit(ctx.audit(
        "member.role_changed",
        "MemberRoleChanged",
        format!(
            "role of {}: {} -> {}",
            target.user_id.as_str(),
            theirs.name,
            new_held.name
        ),
        json!({ "userId": target.user_id, "role": { "before": target.role, "after": new_role }, "roleName": { "before": theirs.name, "after": new_held.name } }),
    ))?;
    let mut updated = target;
    updated.role = new_role;
    app.commit(tx, Reply::ok(&MemberView::new(&updated, &ctx.org)))
        .await
}

/// `DELETE /orgs/{orgId}/members/{userId}`: remove, or leave when the user is the caller.
/// Deletes the membership and everything attached to it (team memberships, project grants).
pub async fn remove_member(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let target: MemberItem = ctx.subject()?;
    let leaving = ctx.member().is_some_and(|m| m.user_id == target.user_id);
    if target.role.is(Role::Owner) {
        return Err(ApiError::new(
            Code::OwnerCannotLeave,
            "The owner can neither leave nor be removed; transfer ownership first (POST /orgs/{orgId}/ownership-transfer).",
        ));
    }
    let theirs = if leaving {
        None
    } else {
        Some(require_not_above(&ctx, &target)?)
    };
    // The membership and everything attached to it (`super::removal`); the caller's role is
    // re-checked by the context's guard.
    let (tx, keys_created) = super::removal(
        ctx.tx()?,
        &ctx.org,
        &target,
        (!leaving).then(|| ctx.user_id()),
    )?;
    let tx = match &theirs {
        Some(theirs) => ctx.guard_role_as_read(tx, theirs, concurrent())?,
        None => tx,
    };
    let (action, summary) = if leaving {
        (
            "member.left",
            format!("{} left the organization", target.user_id.as_str()),
        )
    } else {
        (
            "member.removed",
            format!(
                "removed {} ({})",
                target.user_id.as_str(),
                ctx.org.role_name(&target.role)
            ),
        )
    };
    let tx = tx.audit(ctx.audit(
        action,
        "MemberRemoved",
        summary,
        json!({ "userId": target.user_id, "role": target.role, "left": leaving, "joinedAt": target.joined_at, "teamIds": target.teams, "projectIds": target.projects, "apiKeyIds": keys_created }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `POST /orgs/{orgId}/ownership-transfer`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferOwnership {
    /// The member who becomes the owner; the old owner becomes an admin.
    user_id: Parsed<UserId>,
}

/// `POST /orgs/{orgId}/ownership-transfer` `{userId}`: one transaction promotes the target,
/// demotes the old owner to admin and moves the organization's `ownerId`, each conditioned on
/// what was read, so concurrent transfers and role changes cannot leave zero or two owners.
pub async fn transfer_ownership(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let new_owner = input.json::<TransferOwnership>()?.user_id.into_inner();
    if &new_owner == ctx.user_id() {
        return Err(ApiError::new(
            Code::AlreadyOwner,
            "You are the owner already; name another member in `userId`.",
        ));
    }
    let target = ctx
        .subject_if_any::<MemberItem>()?
        .filter(|t| t.user_id == new_owner)
        .ok_or_else(|| {
            ApiError::new(
                Code::MemberNotFound,
                "`userId` is not a member of this organization; ownership goes to a member.",
            )
        })?;
    if target.is_deactivated() {
        return Err(ApiError::new(
            Code::CannotDeactivate,
            "The member is deactivated; reactivate them (PATCH /orgs/{orgId}/members/{userId} {\"status\": \"active\"}) before making them the owner.",
        ));
    }
    let now = Timestamp::now();
    let transferred =
        || ApiError::concurrent("Ownership or roles changed meanwhile; reload and retry.");
    let tx = ctx
        .org
        .set_owner(ctx.tx()?, ctx.user_id(), &new_owner, now, transferred())?;
    let tx = target.change_role(tx, &Role::Owner.into(), now, transferred())?;
    // Still active when it commits (a deactivation meanwhile makes it retry).
    let tx = target.guard_role(tx, transferred())?;
    let tx = ctx
        .org
        .count_holders(tx, &[(&target.role, Holder::Members, -1)])?;
    // Only a person transfers ownership (`org.transfer` is a person's permission).
    let owner = ctx
        .member()
        .ok_or_else(|| ApiError::person_required(Permission::OrgTransfer.as_str()))?;
    let tx = owner
        .change_role(tx, &Role::Admin.into(), now, transferred())?
        .audit(ctx.audit(
            "org.ownership_transferred",
            "OwnershipTransferred",
            format!(
                "ownership: {} -> {} (role {} -> owner; old owner -> admin)",
                ctx.user_id().as_str(),
                new_owner.as_str(),
                ctx.org.role_name(&target.role)
            ),
            json!({ "from": ctx.user_id(), "to": new_owner, "newOwnerPreviousRole": target.role }),
        ))?;
    app.commit(
        tx,
        Reply::ok(&TransferView {
            org_id: ctx.org_id().clone(),
            owner_id: new_owner,
            previous_owner_id: ctx.user_id().clone(),
            previous_owner_role: Role::Admin,
        }),
    )
    .await
}
