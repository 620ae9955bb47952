//! Members: list, change role, remove or leave, transfer ownership.
//! Every change is one transaction whose conditions re-check what the decision was based on,
//! so parallel requests can never leave zero or two owners.

use crate::domain::UserId;
use crate::error::{ApiError, ApiResult};
use crate::http::{member_not_found, Input, OrgCtx, Reply};
use crate::permissions::Role;
use crate::store::{keys, org_active, Expr, MemberItem, QuerySpec, SortCond, Tx};
use crate::App;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn member_view(m: &MemberItem) -> Value {
    json!({
        "userId": m.user_id,
        "email": m.email,
        "displayName": m.display_name,
        "role": m.role,
        "joinedAt": m.joined_at,
    })
}

fn parse_role(field: &str, raw: &str) -> ApiResult<Role> {
    Role::parse(raw).ok_or_else(|| {
        ApiError::validation(field, format!("`{field}` must be one of owner, admin, editor, developer, viewer, guest (got `{raw}`)."))
    })
}

/// `GET /orgs/{orgId}/members?role=&limit=&cursor=`: one Query per page.
pub async fn list_members(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let role = input
        .query("role")
        .map(|r| parse_role("role", r))
        .transpose()?;
    let partition = keys::org_pk(ctx.org_id());
    let mut q = QuerySpec::new(
        &partition,
        SortCond::BeginsWith(keys::MEMBER_PREFIX.into()),
        limit,
    )
    .after(input.cursor())?;
    if let Some(role) = role {
        q.filter = Some("#role = :role");
        q.expr = Expr::new().s(":role", role.as_str()).name("#role", "role");
    }
    let page = app.store.page_of::<MemberItem>(q).await?;
    Ok(Reply::list(
        page.items.iter().map(member_view).collect(),
        page.next_cursor,
    ))
}

/// The target of a member route, or 404.
fn target(ctx: &OrgCtx) -> ApiResult<&MemberItem> {
    ctx.target.as_ref().ok_or_else(member_not_found)
}

/// Nobody acts on a member whose role is above their own.
fn require_not_above(ctx: &OrgCtx, target: &MemberItem) -> ApiResult<()> {
    if target.role.rank() > ctx.role().rank() {
        return Err(ApiError::new(
            403,
            "member_above_you",
            format!(
                "The member is {}, above your role {}; you cannot change or remove them.",
                target.role,
                ctx.role()
            ),
        ));
    }
    Ok(())
}

fn concurrent() -> ApiError {
    ApiError::conflict(
        "concurrent_update",
        "The membership changed while you were changing it; reload and retry.",
    )
}

/// The caller's own role is what allowed acting on another member; the transaction re-checks it.
fn caller_role_holds(tx: Tx, ctx: &OrgCtx) -> ApiResult<Tx> {
    tx.check(
        ctx.member.key(),
        "#role = :mine",
        Expr::new()
            .s(":mine", ctx.role().as_str())
            .name("#role", "role"),
        ApiError::conflict(
            "your_role_changed",
            "Your own role changed meanwhile; reload and retry.",
        ),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleBody {
    role: String,
}

/// `PATCH /orgs/{orgId}/members/{userId}` `{role}`
pub async fn change_role(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let body: RoleBody = input.json()?;
    let new_role = parse_role("role", &body.role)?;
    let target = target(&ctx)?;
    if target.role == Role::Owner {
        return Err(ApiError::conflict(
            "owner_role_fixed",
            "The owner's role changes only by transfer: POST /orgs/{orgId}/ownership-transfer.",
        ));
    }
    ctx.require_can_grant(new_role)?;
    require_not_above(&ctx, target)?;
    if new_role == target.role {
        // No change: no write and no audit entry.
        return Ok(Reply::ok(member_view(target)));
    }
    let now = Utc::now();
    let (org_cond, org_expr) = org_active();
    let mut tx = app
        .store
        .tx()
        .update(
            target.key(),
            "SET #role = :new, updatedAt = :now",
            Some("#role = :old"),
            Expr::new()
                .s(":new", new_role.as_str())
                .s(":old", target.role.as_str())
                .s(":now", now.to_rfc3339())
                .name("#role", "role"),
            concurrent(),
        )?
        .check(ctx.org.key(), org_cond, org_expr, ApiError::org_read_only())?;
    if ctx.member.user_id != target.user_id {
        tx = caller_role_holds(tx, &ctx)?;
    }
    let tx = tx.audit(ctx.audit(
        "member.role_changed",
        "MemberRoleChanged",
        format!(
            "role of {}: {} -> {}",
            target.user_id.as_str(),
            target.role,
            new_role
        ),
        json!({ "userId": target.user_id, "role": { "before": target.role, "after": new_role } }),
    ))?;
    app.store.commit(tx).await?;
    let mut updated = target.clone();
    updated.role = new_role;
    Ok(Reply::ok(member_view(&updated)))
}

/// `DELETE /orgs/{orgId}/members/{userId}`: remove, or leave when the user is the caller.
/// Deletes the membership and everything listed in its `refs` (team memberships, project grants).
pub async fn remove_member(app: App, ctx: OrgCtx, _input: Input) -> ApiResult<Reply> {
    let target = target(&ctx)?;
    let leaving = target.user_id == ctx.member.user_id;
    if target.role == Role::Owner {
        return Err(ApiError::conflict(
            "owner_cannot_leave",
            "The owner can neither leave nor be removed; transfer ownership first (POST /orgs/{orgId}/ownership-transfer).",
        ));
    }
    if !leaving {
        require_not_above(&ctx, target)?;
    }
    let (org_cond, org_expr) = org_active();
    let mut tx = app
        .store
        .tx()
        .delete(
            target.key(),
            Some("attribute_exists(PK) AND #role = :role"),
            Expr::new()
                .s(":role", target.role.as_str())
                .name("#role", "role"),
            member_not_found(),
        )?
        .update(
            ctx.org.key(),
            "SET memberCount = memberCount - :one, seatsUsed = seatsUsed - :one",
            Some(org_cond),
            org_expr.n(":one", 1),
            ApiError::org_read_only(),
        )?;
    if let Some(email) = target.email_item() {
        tx = tx.delete(
            email.key(),
            None,
            Expr::new(),
            ApiError::internal("deleting a member's email item failed"),
        )?;
    }
    if !leaving {
        tx = caller_role_holds(tx, &ctx)?;
    }
    for key in target.ref_keys() {
        tx = tx.delete(
            key,
            None,
            Expr::new(),
            ApiError::internal("deleting a member's reference failed"),
        )?;
    }
    let (action, summary) = if leaving {
        (
            "member.left",
            format!("{} left the organization", target.user_id.as_str()),
        )
    } else {
        (
            "member.removed",
            format!("removed {} ({})", target.user_id.as_str(), target.role),
        )
    };
    let tx = tx.audit(ctx.audit(
        action,
        "MemberRemoved",
        summary,
        json!({ "userId": target.user_id, "role": target.role, "left": leaving, "removedRefs": target.refs.len() }),
    ))?;
    app.store.commit(tx).await?;
    Ok(Reply::no_content())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferBody {
    user_id: String,
}

/// `POST /orgs/{orgId}/ownership-transfer` `{userId}`: one transaction promotes the target,
/// demotes the old owner to admin and moves the organization's `ownerId`, each conditioned on
/// what was read, so concurrent transfers and role changes cannot leave zero or two owners.
pub async fn transfer_ownership(app: App, ctx: OrgCtx, input: Input) -> ApiResult<Reply> {
    let body: TransferBody = input.json()?;
    let new_owner = UserId::parse("userId", &body.user_id)?;
    if &new_owner == ctx.user_id() {
        return Err(ApiError::bad_request(
            "already_owner",
            "You are the owner already; name another member in `userId`.",
        ));
    }
    let target = ctx
        .target
        .as_ref()
        .filter(|t| t.user_id == new_owner)
        .ok_or_else(|| {
            ApiError::not_found(
                "member_not_found",
                "`userId` is not a member of this organization; ownership goes to a member.",
            )
        })?;
    let now = Utc::now().to_rfc3339();
    let transferred = ApiError::conflict(
        "concurrent_update",
        "Ownership or roles changed meanwhile; reload and retry.",
    );
    let tx = app
        .store
        .tx()
        .update(
            ctx.org.key(),
            "SET ownerId = :new, updatedAt = :now",
            Some("ownerId = :me AND #status = :active"),
            Expr::new()
                .s(":new", new_owner.as_str())
                .s(":me", ctx.user_id().as_str())
                .s(":now", &now)
                .s(":active", "active")
                .name("#status", "status"),
            transferred.clone(),
        )?
        .update(
            target.key(),
            "SET #role = :owner, updatedAt = :now",
            Some("#role = :old"),
            Expr::new()
                .s(":owner", "owner")
                .s(":old", target.role.as_str())
                .s(":now", &now)
                .name("#role", "role"),
            transferred.clone(),
        )?
        .update(
            ctx.member.key(),
            "SET #role = :admin, updatedAt = :now",
            Some("#role = :owner"),
            Expr::new()
                .s(":admin", "admin")
                .s(":owner", "owner")
                .s(":now", &now)
                .name("#role", "role"),
            transferred,
        )?
        .audit(ctx.audit(
            "org.ownership_transferred",
            "OwnershipTransferred",
            format!(
                "ownership: {} -> {} (role {} -> owner; old owner -> admin)",
                ctx.user_id().as_str(),
                new_owner.as_str(),
                target.role
            ),
            json!({ "from": ctx.user_id(), "to": new_owner, "newOwnerPreviousRole": target.role }),
        ))?;
    app.store.commit(tx).await?;
    Ok(Reply::ok(
        json!({ "orgId": ctx.org_id(), "ownerId": new_owner, "previousOwnerId": ctx.user_id(), "previousOwnerRole": Role::Admin }),
    ))
}
