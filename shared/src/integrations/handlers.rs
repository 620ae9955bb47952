//! Integrations: list, create, read, update (name and config), delete, rotate the secret; the
//! organization's default storage for backups.
//!
//! Order of the two stores (docs/data-model.md, "Integration secrets"): the secret is written to
//! Secrets Manager before the item that points to it, so no item ever points to no secret; the
//! item is deleted before its secret, for the same reason. A new value is staged (`AWSPENDING`),
//! recorded with its audit entry, then made current, so readers never get a value whose change
//! has no audit entry. Whatever a crash leaves in Secrets Manager carries the organization's tag.

use super::catalog::{parse_provider, validate_config, Kind};
use super::item::{integration_not_found, IntegrationItem, SecretRef};
use super::secret::{self, Secret};
use super::views::{DefaultStorageView, IntegrationView};
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::Parsed;
use crate::domain::{DisplayName, IntegrationId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// `POST /orgs/{orgId}/integrations`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateIntegration {
    kind: Parsed<Kind>,
    /// One of the kind's providers (docs/concepts.md, "Integrations", lists them).
    provider: String,
    name: Parsed<DisplayName>,
    /// The provider's settings, validated for it; never a credential.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "BTreeMap<String, String>"))]
    config: BTreeMap<String, serde_json::Value>,
    /// The credential, stored in Secrets Manager and never shown again.
    secret: Option<Parsed<Secret>>,
}

/// What an audit entry and an event say about an integration: ids, kind, provider, name.
fn described(i: &IntegrationItem) -> serde_json::Value {
    json!({ "integrationId": i.integration_id, "kind": i.kind, "provider": i.provider, "name": i.name })
}

/// `GET /orgs/{orgId}/integrations?kind=&limit=&cursor=`
pub async fn list_integrations(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let kind = input.query("kind").map(Kind::parse).transpose()?;
    let q = IntegrationItem::page_of_org(ctx.org_id(), kind, input.limit()?, input.cursor())?;
    let page = app.store.page_of::<IntegrationItem>(q).await?;
    let default = ctx.org.default_storage_id.as_ref();
    Ok(Reply::list(
        page.items
            .iter()
            .map(|i| IntegrationView::new(i, default))
            .collect(),
        page.next_cursor,
    ))
}

/// `POST /orgs/{orgId}/integrations` `{kind, provider, name, config, secret}`: everything is
/// validated first; then the secret (Secrets Manager), then the item with its audit entry. If the
/// item's transaction fails, the secret is deleted again.
pub async fn create_integration(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: CreateIntegration = input.json()?;
    let kind = body.kind.into_inner();
    let provider = parse_provider(kind, &body.provider)?;
    let name = body.name.into_inner();
    let config = validate_config(kind, &provider, &body.config)?;
    let value = body.secret.map(Parsed::into_inner);
    if value.is_none() && kind.secret_required() {
        return Err(ApiError::validation(
            "secret",
            format!("`secret` is required for a {}.", kind.as_str()),
        ));
    }
    let key = app.config.require_code_key()?;
    let id = IntegrationId::new();
    let org = ctx.org_id();
    let secret_ref = match &value {
        Some(v) => {
            let (arn, version) = secret::create(
                app.secrets.as_ref(),
                &app.config.table_name,
                org,
                &id,
                v,
                None,
            )
            .await?
            // A new id: nothing else creates its secret.
            .ok_or_else(|| ApiError::internal("CreateSecret found a new integration's secret"))?;
            Some(SecretRef {
                arn,
                version,
                fingerprint: v.fingerprint(key, &id)?,
            })
        }
        None => None,
    };
    let arn = secret_ref.as_ref().map(|s| s.arn.clone());
    let now = Timestamp::now();
    let item = IntegrationItem::new(
        org,
        id,
        kind,
        provider,
        name,
        config,
        secret_ref,
        ctx.user_id(),
        now,
    );
    let written = async {
        let tx = item.create(ctx.tx()?)?.audit(ctx.audit(
            "integration.created",
            "IntegrationCreated",
            format!(
                "connected {} {} ({})",
                item.kind.as_str(),
                item.provider,
                item.name.as_str()
            ),
            described(&item),
        ))?;
        app.commit(tx, Reply::created(&IntegrationView::new(&item, None)))
            .await
    }
    .await;
    if let Err(e) = &written {
        if let Some(arn) = arn {
            discard(&app, &item.integration_id, &arn, e).await;
        }
    }
    written
}

/// Deletes a secret that a transaction failed to point to. Only when the transaction certainly
/// did not commit (it was refused): after a fault (a timeout, a 5xx) it may have committed with
/// the answer lost, and the secret is left to the sweeper (`integrations::sweep::sweep_secrets`),
/// which deletes it only when no item names it. One left behind carries its organization's tag.
async fn discard(app: &App, integration: &IntegrationId, arn: &str, why: &ApiError) {
    if why.status() >= 500 {
        return;
    }
    if let Err(e) = secret::delete(app.secrets.as_ref(), arn).await {
        tracing::warn!(
            integration_id = integration.as_str(),
            cause = e.cause.as_deref().unwrap_or(""),
            "could not delete an integration secret that nothing points to; it keeps its organization tag"
        );
    }
}

/// `GET /orgs/{orgId}/integrations/{integrationId}`
pub async fn get_integration(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let item: IntegrationItem = ctx.subject()?;
    Ok(Reply::ok(&IntegrationView::new(
        &item,
        ctx.org.default_storage_id.as_ref(),
    )))
}

/// `PATCH /orgs/{orgId}/integrations/{integrationId}`'s body: at least one field.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(extend("minProperties" = 1)))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateIntegration {
    name: Option<Parsed<DisplayName>>,
    /// Replaces the provider's settings (validated for it).
    #[cfg_attr(
        feature = "openapi",
        schemars(with = "Option<BTreeMap<String, String>>")
    )]
    config: Option<BTreeMap<String, serde_json::Value>>,
}

/// `PATCH /orgs/{orgId}/integrations/{integrationId}` `{name?, config?}`: the config is replaced
/// and validated for the integration's provider. The secret is changed only by rotation.
pub async fn update_integration(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: UpdateIntegration = input.json()?;
    if body.name.is_none() && body.config.is_none() {
        return Err(ApiError::new(
            Code::NothingToUpdate,
            "Send `name` or `config` (the secret is rotated with PUT .../secret).",
        ));
    }
    let item: IntegrationItem = ctx.subject()?;
    let name = body.name.map(Parsed::into_inner);
    let config = body
        .config
        .map(|c| validate_config(item.kind, &item.provider, &c))
        .transpose()?;
    let now = Timestamp::now();
    let tx = item.update(ctx.tx()?, name.as_ref(), config.as_ref(), now)?;
    let mut details = described(&item);
    details["changed"] = json!([
        name.as_ref().map(|_| "name"),
        config.as_ref().map(|_| "config")
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>());
    let tx = tx.audit(ctx.audit(
        "integration.updated",
        "IntegrationUpdated",
        format!("updated integration {}", item.name.as_str()),
        details,
    ))?;
    let mut updated = item;
    if let Some(name) = name {
        updated.name = name;
    }
    if let Some(config) = config {
        updated.config = config;
    }
    updated.updated_at = now;
    app.commit(
        tx,
        Reply::ok(&IntegrationView::new(
            &updated,
            ctx.org.default_storage_id.as_ref(),
        )),
    )
    .await
}

/// `DELETE /orgs/{orgId}/integrations/{integrationId}`: the secret first, force-deleted without
/// a recovery window (Secrets Manager unreachable: 503, nothing changed, a retry finishes), then
/// the item (and the default-storage setting that names it) with its audit entry, conditional on
/// the secret version read: a rotation meanwhile answers 409 and the retry deletes what it wrote.
/// No answer says "deleted" while the credential can still be read.
pub async fn delete_integration(app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let item: IntegrationItem = ctx.subject()?;
    if let Some(arn) = &item.secret_arn {
        secret::delete(app.secrets.as_ref(), arn).await?;
    }
    let mut tx = item.delete(ctx.tx()?)?;
    let was_default = ctx.org.default_storage_id.as_ref() == Some(&item.integration_id);
    if was_default {
        tx = ctx.org.clear_default_storage(tx, &item.integration_id)?;
    }
    let mut details = described(&item);
    details["wasDefaultStorage"] = json!(was_default);
    let tx = tx.audit(ctx.audit(
        "integration.deleted",
        "IntegrationDeleted",
        format!(
            "deleted integration {} ({})",
            item.name.as_str(),
            item.provider
        ),
        details,
    ))?;
    app.commit(tx, Reply::no_content()).await
}

/// `PUT /orgs/{orgId}/integrations/{integrationId}/secret`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationSecret {
    /// The new credential, never shown again.
    secret: Parsed<Secret>,
}

/// `PUT /orgs/{orgId}/integrations/{integrationId}/secret` `{secret}`: the new value is staged
/// (numbered after the version the item names), recorded (fingerprint, version, audit entry)
/// under the version read, then made current unless a later rotation's value already is. An
/// integration without a secret gets its first one; one whose secret was deleted outside this
/// service gets a new secret.
pub async fn rotate_secret(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let value = input.json::<IntegrationSecret>()?.secret.into_inner();
    let item: IntegrationItem = ctx.subject()?;
    let key = app.config.require_code_key()?;
    let fingerprint = value.fingerprint(key, &item.integration_id)?;
    let after = item.secret_version.as_deref();
    let staged = match &item.secret_arn {
        Some(arn) => secret::stage(app.secrets.as_ref(), arn, &value, after)
            .await?
            .map(|version| (arn.clone(), version)),
        None => None,
    };
    // No secret yet, or it is gone: a new one under the integration's name.
    let (arn, version, created) = match staged {
        Some((arn, version)) => (arn, version, false),
        None => secret::create(
            app.secrets.as_ref(),
            &app.config.table_name,
            ctx.org_id(),
            &item.integration_id,
            &value,
            after,
        )
        .await?
        .map(|(arn, version)| (arn, version, true))
        .ok_or_else(|| {
            ApiError::concurrent(
                "Another request is creating or deleting this integration's secret; reload the integration and retry.",
            )
        })?,
    };
    let secret_ref = SecretRef {
        arn,
        version,
        fingerprint,
    };
    let now = Timestamp::now();
    let mut updated = item.clone();
    updated.secret_arn = Some(secret_ref.arn.clone());
    updated.secret_version = Some(secret_ref.version.clone());
    updated.fingerprint = Some(secret_ref.fingerprint.clone());
    updated.secret_updated_at = Some(now);
    updated.updated_at = now;
    // The answer is the commit's (recorded with it under an Idempotency-Key): a promotion that
    // fails after it is the sweep's to finish (`super::sweep`).
    let reply = Reply::ok(&IntegrationView::new(
        &updated,
        ctx.org.default_storage_id.as_ref(),
    ));
    let written = async {
        let tx = item.secret_changed(ctx.tx()?, &secret_ref, now)?;
        let mut details = described(&item);
        details["fingerprint"] = json!(secret_ref.fingerprint);
        let tx = tx.audit(ctx.audit(
            "integration.secret_rotated",
            "IntegrationSecretRotated",
            format!("rotated the secret of {}", item.name.as_str()),
            details,
        ))?;
        app.commit(tx, reply).await
    }
    .await;
    let reply = match written {
        Ok(reply) => reply,
        Err(e) => {
            // A staged value that was not recorded is never made current; a new secret is deleted.
            if created {
                discard(&app, &item.integration_id, &secret_ref.arn, &e).await;
            }
            return Err(e);
        }
    };
    if !created {
        // Recorded: the answer is the commit's. A later rotation's value already current is
        // left so (this one is superseded); a secret deleted meanwhile is its deletion's.
        match secret::promote(app.secrets.as_ref(), &secret_ref.arn, &secret_ref.version).await? {
            secret::Promoted::Current | secret::Promoted::Superseded => {}
            secret::Promoted::Gone => {
                return Err(ApiError::concurrent(
                    "The integration's secret was deleted while this value was recorded; rotate again to create a new secret, or finish deleting the integration.",
                ))
            }
        }
    }
    Ok(reply)
}

/// `PUT /orgs/{orgId}/settings/default-storage`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultStorage {
    /// A storage provider integration of the organization.
    integration_id: Parsed<IntegrationId>,
}

/// `PUT /orgs/{orgId}/settings/default-storage` `{integrationId}`: a storage provider of the
/// organization becomes the default for backups (its kind is re-checked in the transaction).
pub async fn set_default_storage(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let id = input.json::<DefaultStorage>()?.integration_id.into_inner();
    let item = ctx
        .subject_if_any::<IntegrationItem>()?
        .filter(|i| i.integration_id == id)
        .ok_or_else(integration_not_found)?;
    let not_storage = || {
        ApiError::new(
            Code::WrongIntegrationKind,
            "The default storage must be a storage_provider integration.",
        )
    };
    if item.kind != Kind::StorageProvider {
        return Err(not_storage().with("kind", item.kind.as_str()));
    }
    let tx = ctx
        .org
        .set_default_storage(ctx.tx()?, &id, Timestamp::now())?;
    let tx = item.require_kind(tx, Kind::StorageProvider, integration_not_found())?;
    let tx = tx.audit(ctx.audit(
        "settings.default_storage_set",
        "DefaultStorageChanged",
        format!(
            "default storage: {} ({})",
            item.name.as_str(),
            item.provider
        ),
        json!({ "integrationId": id, "previous": ctx.org.default_storage_id }),
    ))?;
    app.commit(
        tx,
        Reply::ok(&DefaultStorageView {
            default_storage_id: id,
        }),
    )
    .await
}
