//! `POST /api-keys/verify`: for the platform's other services. One BatchGetItem reads the key's
//! item and its organization (and the project asked about), strongly consistent, so a revocation,
//! a role change or a closure counts on the very next verification; nothing is cached. The key's
//! permissions are decided exactly as `/authorize` decides a member's with the same role.
//!
//! Every key that cannot be used (malformed, unknown, revoked, expired, of a purged
//! organization, a wrong secret) answers the same `{valid: false}`.

use super::item::ApiKeyItem;
use super::secret::Presented;
use super::views::{ValidKeyView, VerifyView};
use crate::access::views::PermissionAnswer;
use crate::access::{decide, ProjectScope, MAX_PERMISSIONS_PER_CHECK};
use crate::body::{Parse, Parsed};
use crate::catalogue::PermId;
use crate::domain::{ApiKeyId, ProjectId, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::orgs::item::OrgItem;
use crate::permissions::Permission;
use crate::pipeline::{Input, Reply};
use crate::projects::item::ProjectItem;
use crate::store::{from_item, Key};
use crate::App;
use serde::Deserialize;

/// `POST /api-keys/verify`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyApiKey {
    /// The key as presented (`orgs_sk_...`).
    key: String,
    /// Permissions to check the key for (none: only whether it is valid).
    permissions: Option<Parsed<VerifiedPermissions>>,
    /// Check them in this project.
    project_id: Option<Parsed<ProjectId>>,
}

/// Up to `MAX_PERMISSIONS_PER_CHECK` permission names of the catalogue in force, each once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerifiedPermissions(Vec<PermId>);

impl Parse for VerifiedPermissions {
    type Raw = Vec<String>;
    fn parse(field: &str, names: Vec<String>) -> ApiResult<Self> {
        if names.len() > MAX_PERMISSIONS_PER_CHECK {
            return Err(ApiError::validation(
                field,
                format!("`{field}` may list at most {MAX_PERMISSIONS_PER_CHECK} permission names."),
            ));
        }
        let mut permissions: Vec<PermId> = Vec::new();
        for p in PermId::parse_all(&names)? {
            if !permissions.contains(&p) {
                permissions.push(p);
            }
        }
        Ok(Self(permissions))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "array", "maxItems": MAX_PERMISSIONS_PER_CHECK, "items": { "type": "string" } })
    }
}

/// What a verification asks besides the key: permissions, optionally in a project.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub permissions: Vec<PermId>,
    pub project: Option<ProjectId>,
}

/// `POST /api-keys/verify` `{key, permissions?, projectId?}`
pub async fn verify_api_key(app: App, input: Input) -> ApiResult<Reply> {
    let body: VerifyApiKey = input.json()?;
    let asked = Asked {
        permissions: body.permissions.unwrap_or_default().into_inner().0,
        project: body.project_id.map(Parsed::into_inner),
    };
    let (view, _) = verify(&app, &body.key, &asked, Timestamp::now()).await?;
    // Invalid keys presented are what an operator watches for (a leaked or guessed key).
    crate::metrics::count(match view {
        VerifyView::Invalid { .. } => "ApiKeysInvalid",
        _ => "ApiKeysValid",
    });
    Ok(Reply::ok(&view))
}

/// Whether a verification recorded the key's use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recorded {
    /// The last use was recorded less than an hour ago: nothing written.
    NotDue,
    Written,
    /// Another verification recorded it first (the condition held nothing back).
    ByAnother,
    /// The write failed; the verification stands (the use is recorded by a later one).
    Failed,
}

/// The verification at `now`: the answer, and what it did about `lastUsedAt`.
pub async fn verify(
    app: &App,
    key: &str,
    asked: &Asked,
    now: Timestamp,
) -> ApiResult<(VerifyView, Option<Recorded>)> {
    let invalid = || (VerifyView::Invalid { valid: false }, None);
    let Some(presented) = Presented::<ApiKeyId>::parse(&super::secret::API_KEY, key) else {
        return Ok(invalid());
    };
    let org_key = OrgItem::key_of(&presented.org);
    let key_key = ApiKeyItem::key_of(&presented.org, &presented.key);
    let project_key = asked
        .project
        .as_ref()
        .map(|p| ProjectItem::key_of(&presented.org, p));
    let mut wanted = vec![org_key.clone(), key_key.clone()];
    wanted.extend(project_key.clone());
    let (mut org, mut item, mut project) = (None, None, None);
    for found in app.store.batch_get(wanted).await? {
        match Key::of_item(&found) {
            Some(k) if k == org_key => org = Some(from_item::<OrgItem>(found)?),
            Some(k) if k == key_key => item = Some(from_item::<ApiKeyItem>(found)?),
            Some(k) if Some(&k) == project_key.as_ref() => {
                project = Some(from_item::<ProjectItem>(found)?)
            }
            _ => {}
        }
    }
    let (Some(org), Some(item)) = (org, item) else {
        return Ok(invalid());
    };
    let server_key = app.config.require_api_key_hash_key()?;
    if !item.opens(|d| presented.matches(server_key, d), now)? {
        return Ok(invalid());
    }
    // The key's role as its organization defines it now (a custom role's current permissions).
    let held = org.held(&item.org_role())?;
    // The project asked about, as the key may see it: what reaches it there (its organization
    // role's project role, and its own role on the projects it is limited to).
    let scope = project.map(|project| ProjectScope::of_key(project, &item, &org, &held));
    let visible = scope
        .as_ref()
        .filter(|s| s.role().is_some() || held.has(Permission::ProjectsRead));
    let results: Vec<PermissionAnswer> = asked
        .permissions
        .iter()
        .map(|p| match (&asked.project, visible) {
            // A project that does not exist or the key cannot see: nothing is allowed there.
            (Some(_), None) => PermissionAnswer {
                permission: p.as_str(),
                allowed: false,
                via: Vec::new(),
                reason: Some(crate::access::NOT_GRANTED),
            },
            _ => decide(&held, org.status, visible, *p, false),
        })
        .collect();
    let recorded = if item.due_for_touch(now) {
        let (k, update, condition, expr) = item.touch(now);
        Some(
            match app.store.update_if(k, update, condition, expr).await {
                Ok(true) => Recorded::Written,
                Ok(false) => Recorded::ByAnother,
                Err(e) => {
                    tracing::warn!(key_id = %item.key_id, code = e.code.as_str(), "could not record an API key's use");
                    Recorded::Failed
                }
            },
        )
    } else {
        Some(Recorded::NotDue)
    };
    let decision = crate::access::views::DecisionView {
        principal: crate::access::views::PrincipalView {
            kind: crate::audit::ActorKind::ApiKey,
            id: item.actor_id(),
        },
        org_id: org.org_id.clone(),
        allowed: results.iter().all(|r| r.allowed),
        role: Some(held.role.clone()),
        role_name: Some(held.name.clone()),
        project_id: asked.project.clone(),
        project_role: visible.and_then(ProjectScope::role),
        results: results.clone(),
    };
    let view = ValidKeyView {
        decision,
        valid: true,
        org_id: org.org_id.clone(),
        key_id: item.key_id.clone(),
        name: item.name.clone(),
        role_name: org.role_name(&item.role),
        role: item.role.clone(),
        org_role: held.role.clone(),
        project_ids: item.project_ids.clone(),
        project_id: asked.project.clone(),
        project_role: asked
            .project
            .as_ref()
            .map(|_| visible.and_then(ProjectScope::role)),
        expires_at: item.expires_at,
        allowed: results.iter().map(|r| (r.permission, r.allowed)).collect(),
        via: results
            .iter()
            .filter(|r| r.allowed)
            .map(|r| (r.permission, r.via.clone()))
            .collect(),
        // What the key holds but may not use now (a permission it lacks is only not allowed).
        refused: results
            .iter()
            .filter_map(|r| r.reason.map(|why| (r.permission, why)))
            .filter(|(_, why)| *why != crate::access::NOT_GRANTED)
            .collect(),
        results,
    };
    Ok((VerifyView::Valid(Box::new(view)), recorded))
}
