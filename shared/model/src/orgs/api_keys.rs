//! The organization's count of its API keys (`apiKeyCount`), which bounds their number in the
//! same write that creates one, and the keys whose creator has left (`apiKeysOrphaned`), which
//! the key list shows without reading any membership. Who created which key is on the creator's
//! membership (`MemberItem::keys_created`). Organizations written before the count listed every
//! key as `<keyId> <creatorId>` (`apiKeys`): those entries still count and name their creators
//! until the keys are revoked.

use super::{OrgItem, OrgWrite};
use crate::domain::{ApiKeyId, UserId};
use crate::error::ApiError;
use crate::store::{Entity, Expr, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The organization's API keys as its item holds them (no key itself: each is its own item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgApiKeys {
    /// The keys besides those `listed`, counted in the transactions that create and revoke them:
    /// the limit of keys.
    #[serde(rename = "apiKeyCount", default, skip_serializing_if = "is_zero")]
    pub count: u32,
    /// Organizations written before `apiKeyCount` listed every key here as `<keyId> <creatorId>`
    /// ([`OrgApiKeys::entry`]); those entries still count and name their creators until revoked.
    #[serde(
        rename = "apiKeys",
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub listed: BTreeSet<String>,
    /// The keys whose creator is no longer a member (added by the removal's own write).
    #[serde(
        rename = "apiKeysOrphaned",
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub orphaned: BTreeSet<String>,
}

impl OrgApiKeys {
    /// The `apiKeys` entry of a key in organizations written before `apiKeyCount`:
    /// `<keyId> <creatorId>` (key ids are of fixed length).
    pub fn entry(key: &ApiKeyId, creator: &UserId) -> String {
        format!("{} {}", key.as_str(), creator.as_str())
    }

    /// The keys among the listed entries whose creator is `user`.
    pub fn listed_created_by(&self, user: &UserId) -> Vec<ApiKeyId> {
        self.listed
            .iter()
            .filter_map(|e| e.split_once(' '))
            .filter(|(_, u)| *u == user.as_str())
            .filter_map(|(k, _)| ApiKeyId::parse(k))
            .collect()
    }

    /// How many keys the organization has.
    pub fn total(&self) -> usize {
        self.count as usize + self.listed.len()
    }

    /// Whether `key`'s creator has left the organization (as read).
    pub fn creator_left(&self, key: &ApiKeyId) -> bool {
        self.orphaned.contains(key.as_str())
    }

    /// One more key, within `max` keys (checked on the read first; a failure here is a key
    /// created meanwhile).
    pub fn created(&self, max: usize) -> OrgWrite {
        let listed = self.listed.len();
        let (listed_as_read, expr) = match listed {
            0 => ("attribute_not_exists(apiKeys)", Expr::new()),
            _ => (
                "size(apiKeys) = :listed",
                Expr::new().value(":listed", &listed),
            ),
        };
        OrgWrite::new(
            "SET apiKeyCount = if_not_exists(apiKeyCount, :zero) + :one".into(),
            Some(format!(
                "{listed_as_read} AND (attribute_not_exists(apiKeyCount) OR apiKeyCount < :room)"
            )),
            expr.value(":zero", &0)
                .value(":one", &1)
                .value(":room", &max.saturating_sub(listed)),
            ApiError::limit(
                "apiKeysPerOrganization",
                max,
                format!("An organization has at most {max} API keys; revoke one first."),
            ),
        )
    }

    /// A key revoked: one fewer (out of the list, for a key an older version listed), and out of
    /// the orphans if its creator had left.
    pub fn revoked(&self, entry: &str, key: &ApiKeyId) -> OrgWrite {
        let gone = ApiError::concurrent("The API key was revoked meanwhile.");
        match self.listed.contains(entry) {
            true => OrgWrite::new(
                "DELETE apiKeys :e, apiKeysOrphaned :k".into(),
                Some("contains(apiKeys, :entry)".into()),
                Expr::new()
                    .set(":e", [entry])
                    .set(":k", [key.as_str()])
                    .value(":entry", entry),
                gone,
            ),
            false => OrgWrite::new(
                "SET apiKeyCount = apiKeyCount - :one DELETE apiKeysOrphaned :k".into(),
                Some("apiKeyCount >= :one".into()),
                Expr::new().set(":k", [key.as_str()]).value(":one", &1),
                gone,
            ),
        }
    }
}

impl OrgItem {
    /// One more key, within the limit, while the organization is active.
    pub fn api_key_created(&self, tx: Tx, max: usize) -> Result<Tx, ApiError> {
        self.apply(tx, self.api_keys.created(max).while_active())
    }

    /// Guards a transaction: the organization's settings still allow keys that never expire.
    pub fn guard_non_expiring_keys_allowed(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "settings.#g_nonexp = :g_true",
            Expr::new()
                .value(":g_true", &true)
                .name("#g_nonexp", "allowNonExpiringApiKeys"),
            ApiError::concurrent(
                "The organization's settings stopped allowing API keys that never expire meanwhile; give `expiresInDays`.",
            ),
        )
    }

    /// A key revoked ([`OrgApiKeys::revoked`]).
    pub fn api_key_revoked(&self, tx: Tx, entry: &str, key: &ApiKeyId) -> Result<Tx, ApiError> {
        self.apply(tx, self.api_keys.revoked(entry, key))
    }
}
