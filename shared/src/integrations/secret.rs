//! An integration's credential in AWS Secrets Manager: one secret per integration, named
//! `orgs/<orgId>/integrations/<integrationId>` and tagged with both ids, so whatever a crash leaves
//! behind is found by tag. The value is only ever written here; nothing of ours reads it back.
//! Errors never carry the SDK's text (it could echo a request), only the operation that failed.

use crate::domain::{IntegrationId, OrgId};
use crate::error::{ApiError, ApiResult};
use aws_sdk_secretsmanager::types::Tag;
use aws_sdk_secretsmanager::Client;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The largest secret we store.
pub const MAX_SECRET_BYTES: usize = 8 * 1024;

/// The tag every integration secret carries with its organization's id (the purge and a cleanup
/// find secrets by it).
pub const ORG_TAG: &str = "orgs:orgId";
pub const INTEGRATION_TAG: &str = "orgs:integrationId";

pub fn secret_name(org: &OrgId, integration: &IntegrationId) -> String {
    format!(
        "orgs/{}/integrations/{}",
        org.as_str(),
        integration.as_str()
    )
}

/// A write-only secret from a request body: non-empty, at most 8 KiB. Its `Debug` shows nothing.
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// The secret of a request body: a JSON string (anything else is refused without quoting it).
    pub fn from_json(value: serde_json::Value) -> ApiResult<Secret> {
        match value {
            serde_json::Value::String(s) => Self::parse(s),
            _ => Err(ApiError::validation("secret", "`secret` must be a string.")),
        }
    }

    pub fn parse(raw: String) -> ApiResult<Secret> {
        if raw.is_empty() {
            return Err(ApiError::validation(
                "secret",
                "`secret` must not be empty.",
            ));
        }
        if raw.len() > MAX_SECRET_BYTES {
            return Err(ApiError::validation(
                "secret",
                format!(
                    "`secret` must be at most {MAX_SECRET_BYTES} bytes (got {}).",
                    raw.len()
                ),
            ));
        }
        Ok(Secret(raw))
    }

    /// A short fingerprint to tell secrets apart (`fp_` and 12 hex digits): an HMAC with the
    /// server key, so it is neither a part of the secret nor a hash a copy of the table could
    /// test guesses against.
    pub fn fingerprint(&self, key: &[u8], integration: &IntegrationId) -> ApiResult<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key)
            .map_err(|_| ApiError::internal("fingerprint key"))?;
        mac.update(b"integration-secret-fingerprint\0");
        mac.update(integration.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(self.0.as_bytes());
        let digest = mac.finalize().into_bytes();
        Ok(format!(
            "fp_{}",
            digest[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ))
    }
}

fn failed(what: &str) -> ApiError {
    // The cause names the operation only: SDK errors may quote the request.
    ApiError::unavailable(format!("Secrets Manager {what} failed"))
}

fn client(secrets: Option<&Client>) -> ApiResult<&Client> {
    secrets.ok_or_else(|| {
        ApiError::internal("this function was built without a Secrets Manager client")
    })
}

/// Creates the integration's secret with its first value; returns its ARN and version id.
pub async fn create(
    secrets: Option<&Client>,
    org: &OrgId,
    integration: &IntegrationId,
    value: &Secret,
) -> ApiResult<(String, String)> {
    let version = uuid::Uuid::new_v4().to_string();
    let out = client(secrets)?
        .create_secret()
        .name(secret_name(org, integration))
        .description("Credential of an organization's integration (orgs service).")
        .secret_string(&value.0)
        .client_request_token(&version)
        .tags(Tag::builder().key(ORG_TAG).value(org.as_str()).build())
        .tags(
            Tag::builder()
                .key(INTEGRATION_TAG)
                .value(integration.as_str())
                .build(),
        )
        .send()
        .await
        .map_err(|_| failed("CreateSecret"))?;
    let arn = out.arn().ok_or_else(|| failed("CreateSecret (no ARN)"))?;
    Ok((arn.to_string(), version))
}

/// Stages a new value as `AWSPENDING` (readers still get the current one); returns its version id.
pub async fn stage(secrets: Option<&Client>, arn: &str, value: &Secret) -> ApiResult<String> {
    let version = uuid::Uuid::new_v4().to_string();
    client(secrets)?
        .put_secret_value()
        .secret_id(arn)
        .secret_string(&value.0)
        .client_request_token(&version)
        .version_stages("AWSPENDING")
        .send()
        .await
        .map_err(|_| failed("PutSecretValue"))?;
    Ok(version)
}

/// Makes `version` the value readers get (`AWSCURRENT`), from whichever version holds it now.
pub async fn promote(secrets: Option<&Client>, arn: &str, version: &str) -> ApiResult<()> {
    let client = client(secrets)?;
    let described = client
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .map_err(|_| failed("DescribeSecret"))?;
    let current = described.version_ids_to_stages().and_then(|versions| {
        versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
            .map(|(v, _)| v.clone())
    });
    if current.as_deref() == Some(version) {
        return Ok(());
    }
    client
        .update_secret_version_stage()
        .secret_id(arn)
        .version_stage("AWSCURRENT")
        .move_to_version_id(version)
        .set_remove_from_version_id(current)
        .send()
        .await
        .map_err(|_| failed("UpdateSecretVersionStage"))?;
    Ok(())
}

/// Deletes the secret at once (no recovery window).
pub async fn delete(secrets: Option<&Client>, arn: &str) -> ApiResult<()> {
    client(secrets)?
        .delete_secret()
        .secret_id(arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .map_err(|_| failed("DeleteSecret"))?;
    Ok(())
}
