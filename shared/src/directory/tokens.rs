//! The SCIM token routes: create (the token shown once), list, revoke. Each change is one
//! transaction with its audit entry, conditional on the caller's access as read and on the
//! organization's limit of tokens (`DIRECTORY.tokenCount`, counted in the same transaction).

use super::item::token::ScimTokenItem;
use super::item::{Counter, DirectoryItem, TOKENS_PER_ORG};
use super::views::{CreatedScimTokenView, ScimTokenView};
use crate::access::Ctx;
use crate::api_keys::secret;
use crate::audit::Audited;
use crate::body::{Parse, Parsed};
use crate::domain::{DisplayName, ScimTokenId, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// `expiresInDays`: from the first to the last (none: the token never expires).
pub const EXPIRES_IN_DAYS: (i64, i64) = (1, 1095);

/// `POST /orgs/{orgId}/scim-tokens`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateScimToken {
    /// What the token is for (the identity provider's name, say).
    name: Parsed<DisplayName>,
    /// Days until the token stops working; left out, it works until revoked.
    expires_in_days: Option<Parsed<TokenDays>>,
}

/// A token's lifetime in days: within `EXPIRES_IN_DAYS`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenDays(i64);

impl Parse for TokenDays {
    type Raw = i64;
    fn parse(field: &str, d: i64) -> ApiResult<Self> {
        if !(EXPIRES_IN_DAYS.0..=EXPIRES_IN_DAYS.1).contains(&d) {
            return Err(ApiError::validation(
                field,
                format!(
                    "`{field}` must be {} to {} (or left out for a token that works until revoked).",
                    EXPIRES_IN_DAYS.0, EXPIRES_IN_DAYS.1
                ),
            ));
        }
        Ok(Self(d))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        json!({ "type": "integer", "minimum": EXPIRES_IN_DAYS.0, "maximum": EXPIRES_IN_DAYS.1 })
    }
}

/// The URL an identity provider is given: the service provider of this organization.
pub fn base_url(input: &Input, org: &crate::domain::OrgId) -> String {
    format!(
        "{}/orgs/{}/scim/v2",
        input.origin.as_deref().unwrap_or(""),
        org.as_str()
    )
}

/// `GET /orgs/{orgId}/scim-tokens`: one Query per page.
pub async fn list_scim_tokens(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let q = ScimTokenItem::page_of_org(ctx.org_id(), input.limit()?, input.cursor())?;
    let page = app.store.page_of::<ScimTokenItem>(q).await?;
    Ok(Reply::list(
        page.items.iter().map(ScimTokenView::new).collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/scim-tokens` `{name, expiresInDays?}`: the token (its digest only), the
/// count within the limit and the audit entry in one transaction; the answer shows it once.
pub async fn create_scim_token(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateScimToken = input.json()?;
    let now = Timestamp::now();
    let expires_at = body
        .expires_in_days
        .map(|d| now + chrono::Duration::days(d.0 .0));
    let token_id = ScimTokenId::new();
    let minted = secret::mint(
        &secret::SCIM_TOKEN,
        app.config.require_api_key_hash_key()?,
        ctx.org_id(),
        &token_id,
    )?;
    let token = ScimTokenItem::new(
        ctx.org_id(),
        token_id,
        body.name.into_inner(),
        ctx.user_id(),
        expires_at,
        (minted.digest, minted.prefix),
        now,
    );
    let tx = token.create(ctx.tx()?)?;
    let tx = DirectoryItem::count(
        tx,
        ctx.org_id(),
        Counter::Tokens,
        1,
        Some(TOKENS_PER_ORG),
        ApiError::limit(
            "scimTokensPerOrganization",
            TOKENS_PER_ORG as usize,
            format!("An organization has at most {TOKENS_PER_ORG} SCIM tokens; revoke one first (DELETE /orgs/{{orgId}}/scim-tokens/{{tokenId}})."),
        ),
    )?;
    let tx = tx.audit(ctx.audit(
        "scim_token.created",
        "ScimTokenCreated",
        format!("created SCIM token {}", token.name.as_str()),
        json!({ "tokenId": token.token_id, "name": token.name, "expiresAt": token.expires_at }),
    ))?;
    app.commit(
        tx,
        Reply::created(&CreatedScimTokenView {
            token_info: ScimTokenView::new(&token),
            token: minted.key,
            base_url: base_url(&input, ctx.org_id()),
        }),
    )
    .await
}

/// `DELETE /orgs/{orgId}/scim-tokens/{tokenId}`: the next SCIM request with it answers 401.
/// Allowed while the organization is closed (a leaked token must be killable during grace).
pub async fn revoke_scim_token(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let token: ScimTokenItem = ctx.subject()?;
    let tx = token.revoke(ctx.tx()?)?;
    let tx = DirectoryItem::count(
        tx,
        ctx.org_id(),
        Counter::Tokens,
        -1,
        None,
        ApiError::concurrent("The token was revoked meanwhile."),
    )?;
    let tx = tx.audit(ctx.audit(
        "scim_token.revoked",
        "ScimTokenRevoked",
        format!("revoked SCIM token {}", token.name.as_str()),
        json!({ "tokenId": token.token_id, "name": token.name }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `PUT /orgs/{orgId}/directory`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetDirectory {
    /// The role people the directory provisions join with: a system role or a custom role's
    /// id, at most editor's permissions and at or below your own.
    default_role: Parsed<crate::permissions::RoleAsked>,
}

/// The organization's directory: its counts, the role people join with, the SCIM base URL.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryView {
    pub default_role: crate::permissions::RoleRef,
    pub default_role_name: String,
    pub token_count: u32,
    pub user_count: u32,
    pub group_count: u32,
    pub base_url: String,
}

fn view(ctx: &Ctx, d: &DirectoryItem, input: &Input) -> DirectoryView {
    let role = d.join_role();
    DirectoryView {
        default_role_name: ctx.org.role_name(&role),
        default_role: role,
        token_count: d.token_count,
        user_count: d.user_count,
        group_count: d.group_count,
        base_url: base_url(input, ctx.org_id()),
    }
}

/// The organization's directory item, read with the caller's access (none yet: the defaults).
fn directory_as_read(ctx: &Ctx) -> ApiResult<DirectoryItem> {
    Ok(ctx
        .subject_if_any::<DirectoryItem>()?
        .unwrap_or_else(|| DirectoryItem::empty(ctx.org_id())))
}

/// `GET /orgs/{orgId}/directory`: one read (the directory's item with the caller's access).
pub async fn get_directory(_app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    Ok(Reply::ok(&view(&ctx, &directory_as_read(&ctx)?, &input)))
}

/// `PUT /orgs/{orgId}/directory` `{defaultRole}`: the role provisioned people join with. An
/// identity provider's word makes nobody an administrator: at most editor's permissions (as a
/// verified domain's enrollment), and at or below the caller's own role.
pub async fn set_directory(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: SetDirectory = input.json()?;
    let held = ctx.org.role_asked("defaultRole", &body.default_role.0 .0)?;
    if held.is(crate::permissions::Role::Owner) {
        return Err(ApiError::validation(
            "defaultRole",
            "`defaultRole` is never owner: nobody becomes owner but by transfer.",
        ));
    }
    ctx.require_can_grant(&held)?;
    if !crate::domains::join::domain_bound().covers(&held) {
        return Err(ApiError::validation(
            "defaultRole",
            format!(
                "`defaultRole` gives at most editor's permissions (an identity provider's word makes nobody an administrator); {} holds more.",
                held.name
            ),
        ));
    }
    let tx = DirectoryItem::set_join_role(ctx.tx()?, ctx.org_id(), &held.role)?;
    let tx = ctx.guard_role_as_read(
        tx,
        &held,
        ApiError::concurrent("The role changed meanwhile; retry."),
    )?;
    let tx = tx.audit(ctx.audit(
        "directory.updated",
        "DirectoryUpdated",
        format!("provisioned people join as {}", held.name),
        json!({ "defaultRole": held.role, "defaultRoleName": held.name }),
    ))?;
    let mut d = directory_as_read(&ctx)?;
    d.default_role = Some(held.role);
    app.commit(tx, Reply::ok(&view(&ctx, &d, &input))).await
}
