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
/// The tag naming the deployment (its table) a secret belongs to: the sweep touches only its own
/// deployment's secrets, so two deployments in one account never delete each other's.
pub const TABLE_TAG: &str = "orgs:table";

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

/// The secret of a request body: taken as any JSON value, so a refusal can never quote it.
impl crate::body::Parse for Secret {
    type Raw = serde_json::Value;
    fn parse(_field: &str, raw: serde_json::Value) -> ApiResult<Self> {
        Secret::from_json(raw)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "minLength": 1, "maxLength": MAX_SECRET_BYTES, "writeOnly": true })
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

fn failed<E: aws_sdk_secretsmanager::error::ProvideErrorMetadata>(
    what: &str,
    e: &aws_sdk_secretsmanager::error::SdkError<
        E,
        aws_sdk_secretsmanager::config::http::HttpResponse,
    >,
) -> ApiError {
    // The cause names the operation and the error's code only: SDK errors may quote the request.
    crate::aws::failure(&format!("Secrets Manager {what}"), e)
}

fn client(secrets: Option<&Client>) -> ApiResult<&Client> {
    secrets.ok_or_else(|| {
        ApiError::internal("this function was built without a Secrets Manager client")
    })
}

/// The secret's versions are numbered along the item's chain of values: `r<10 digits>-<random>`,
/// one more than the version the item named before. What is current in Secrets Manager can so be
/// compared with the version a rotation wrote: a promotion never moves `AWSCURRENT` back to an
/// older value (versions from before the numbering count as 0).
pub fn next_version(after: Option<&str>) -> String {
    format!(
        "r{:010}-{}",
        after.map_or(0, sequence_of) + 1,
        uuid::Uuid::new_v4().simple()
    )
}

/// The place of a version in its secret's chain of values (0 for versions from before the numbering).
pub fn sequence_of(version: &str) -> u64 {
    version
        .strip_prefix('r')
        .and_then(|rest| rest.split_once('-'))
        .filter(|(digits, _)| digits.len() == 10)
        .and_then(|(digits, _)| digits.parse().ok())
        .unwrap_or(0)
}

/// Creates the integration's secret with its first value, tagged with the deployment's table, the
/// organization and the integration; returns its ARN and version id, or `None` when a secret of
/// that name exists already (another request created it first).
pub async fn create(
    secrets: Option<&Client>,
    table: &str,
    org: &OrgId,
    integration: &IntegrationId,
    value: &Secret,
    after: Option<&str>,
) -> ApiResult<Option<(String, String)>> {
    let version = next_version(after);
    let sent = client(secrets)?
        .create_secret()
        .name(secret_name(org, integration))
        .description("Credential of an organization's integration (orgs service).")
        .secret_string(&value.0)
        .client_request_token(&version)
        .tags(Tag::builder().key(TABLE_TAG).value(table).build())
        .tags(Tag::builder().key(ORG_TAG).value(org.as_str()).build())
        .tags(
            Tag::builder()
                .key(INTEGRATION_TAG)
                .value(integration.as_str())
                .build(),
        )
        .send()
        .await;
    let out = match sent {
        Ok(out) => out,
        Err(e) => {
            return match e.as_service_error() {
                Some(s) if s.is_resource_exists_exception() => Ok(None),
                // A secret of this name that is being deleted: the name is free again shortly.
                Some(s) if s.is_invalid_request_exception() => Err(ApiError::unavailable(
                    "Secrets Manager CreateSecret: the name is still being deleted",
                )),
                _ => Err(failed("CreateSecret", &e)),
            };
        }
    };
    let arn = out
        .arn()
        .ok_or_else(|| ApiError::internal("Secrets Manager CreateSecret (no ARN)"))?;
    Ok(Some((arn.to_string(), version)))
}

/// Stages a new value as `AWSPENDING` (readers still get the current one), numbered after
/// `after`, the version the item names; returns its version id, or `None` when the secret does
/// not exist (deleted outside this service, or by a deletion meanwhile).
pub async fn stage(
    secrets: Option<&Client>,
    arn: &str,
    value: &Secret,
    after: Option<&str>,
) -> ApiResult<Option<String>> {
    let version = next_version(after);
    let sent = client(secrets)?
        .put_secret_value()
        .secret_id(arn)
        .secret_string(&value.0)
        .client_request_token(&version)
        .version_stages("AWSPENDING")
        .send()
        .await;
    match sent {
        Ok(_) => Ok(Some(version)),
        Err(e) => match e.as_service_error() {
            Some(s) if s.is_resource_not_found_exception() || s.is_invalid_request_exception() => {
                Ok(None)
            }
            _ => Err(failed("PutSecretValue", &e)),
        },
    }
}

/// What a promotion found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Promoted {
    /// `version` is what readers get.
    Current,
    /// A later value (of a rotation committed after this one) is already current: this one is
    /// not made current again.
    Superseded,
    /// The secret is gone (its integration is being deleted).
    Gone,
}

/// Makes `version` the value readers get (`AWSCURRENT`), unless a later version already is.
/// The move names the version it takes the stage from (Secrets Manager refuses it when that is
/// no longer current), so two promotions racing each other cannot put an older value back: the
/// loser reads again and finds the later value current.
pub async fn promote(secrets: Option<&Client>, arn: &str, version: &str) -> ApiResult<Promoted> {
    let client = client(secrets)?;
    let ours = sequence_of(version);
    for _ in 0..8 {
        let described = match client.describe_secret().secret_id(arn).send().await {
            Ok(d) => d,
            Err(e) => {
                return match e.as_service_error() {
                    Some(s) if s.is_resource_not_found_exception() => Ok(Promoted::Gone),
                    _ => Err(failed("DescribeSecret", &e)),
                }
            }
        };
        if described.deleted_date().is_some() {
            return Ok(Promoted::Gone);
        }
        let current = described.version_ids_to_stages().and_then(|versions| {
            versions
                .iter()
                .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                .map(|(v, _)| v.clone())
        });
        match current.as_deref() {
            Some(c) if c == version => return Ok(Promoted::Current),
            Some(c) if sequence_of(c) > ours => return Ok(Promoted::Superseded),
            _ => {}
        }
        let moved = client
            .update_secret_version_stage()
            .secret_id(arn)
            .version_stage("AWSCURRENT")
            .move_to_version_id(version)
            .set_remove_from_version_id(current)
            .send()
            .await;
        match moved {
            Ok(_) => return Ok(Promoted::Current),
            // The stage moved meanwhile (another promotion): read again.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_parameter_exception()) => {}
            Err(e) => {
                return match e.as_service_error() {
                    Some(s) if s.is_resource_not_found_exception() => Ok(Promoted::Gone),
                    _ => Err(failed("UpdateSecretVersionStage", &e)),
                }
            }
        }
    }
    Err(ApiError::unavailable(
        "Secrets Manager: AWSCURRENT kept moving during the promotion",
    ))
}

/// Deletes the secret at once (no recovery window). A secret that is already gone is no error.
pub async fn delete(secrets: Option<&Client>, arn: &str) -> ApiResult<()> {
    match client(secrets)?
        .delete_secret()
        .secret_id(arn)
        .force_delete_without_recovery(true)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_resource_not_found_exception() || s.is_invalid_request_exception()
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(failed("DeleteSecret", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_after_the_one_the_item_names() {
        let first = next_version(None);
        assert_eq!(sequence_of(&first), 1);
        assert!((32..=64).contains(&first.len()), "a ClientRequestToken");
        let second = next_version(Some(&first));
        assert_eq!(sequence_of(&second), 2);
        assert_ne!(
            next_version(Some(&first)),
            second,
            "random beyond the number"
        );
        let legacy = uuid::Uuid::new_v4().to_string();
        assert_eq!(sequence_of(&legacy), 0);
        assert_eq!(sequence_of(&next_version(Some(&legacy))), 1);
        assert_eq!(sequence_of("r12-x"), 0, "ten digits or it is not ours");
    }
}
