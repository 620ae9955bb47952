//! The organization's count of its API keys (`apiKeyCount`), which bounds their number in the
//! same write that creates one, and the keys whose creator has left (`apiKeysOrphaned`), which
//! the key list shows without reading any membership. Who created which key is on the creator's
//! membership (`MemberItem::keys_created`). Organizations written before the count listed every
//! key as `<keyId> <creatorId>` (`apiKeys`): those entries still count and name their creators
//! until the keys are revoked.

use super::OrgItem;
use crate::domain::{ApiKeyId, UserId};
use crate::error::ApiError;
use crate::store::{Entity, Expr, Tx};

impl OrgItem {
    /// The `apiKeys` entry of a key in organizations written before `apiKeyCount`:
    /// `<keyId> <creatorId>` (key ids are of fixed length).
    pub fn api_key_entry(key: &ApiKeyId, creator: &UserId) -> String {
        format!("{} {}", key.as_str(), creator.as_str())
    }

    /// The keys among those `apiKeys` entries whose creator is `user`.
    pub fn listed_keys_created_by(&self, user: &UserId) -> Vec<ApiKeyId> {
        self.api_keys
            .iter()
            .filter_map(|e| e.split_once(' '))
            .filter(|(_, u)| *u == user.as_str())
            .filter_map(|(k, _)| ApiKeyId::parse(k))
            .collect()
    }

    /// The organization's API keys.
    pub fn api_key_count(&self) -> usize {
        self.api_key_count as usize + self.api_keys.len()
    }

    /// One more key, within the limit of keys per organization (checked on the read first; a
    /// failure here is a key created meanwhile).
    pub fn api_key_created(&self, tx: Tx, max: usize) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        let listed = self.api_keys.len();
        let (listed_as_read, expr) = match listed {
            0 => ("attribute_not_exists(apiKeys)", expr),
            _ => ("size(apiKeys) = :listed", expr.value(":listed", &listed)),
        };
        tx.update(
            self.key(),
            "SET apiKeyCount = if_not_exists(apiKeyCount, :zero) + :one",
            Some(&format!(
                "{active} AND {listed_as_read} AND (attribute_not_exists(apiKeyCount) OR apiKeyCount < :room)"
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

    /// A key revoked: one fewer (out of the list, for a key an older version listed), and out of
    /// the orphans if its creator had left.
    pub fn api_key_revoked(&self, tx: Tx, entry: &str, key: &ApiKeyId) -> Result<Tx, ApiError> {
        let gone = ApiError::concurrent("The API key was revoked meanwhile.");
        match self.api_keys.contains(entry) {
            true => tx.update(
                self.key(),
                "DELETE apiKeys :e, apiKeysOrphaned :k",
                Some("contains(apiKeys, :entry)"),
                Expr::new()
                    .set(":e", [entry])
                    .set(":k", [key.as_str()])
                    .value(":entry", entry),
                gone,
            ),
            false => tx.update(
                self.key(),
                "SET apiKeyCount = apiKeyCount - :one DELETE apiKeysOrphaned :k",
                Some("apiKeyCount >= :one"),
                Expr::new().set(":k", [key.as_str()]).value(":one", &1),
                gone,
            ),
        }
    }

    /// Whether `key`'s creator has left the organization (as read).
    pub fn creator_left(&self, key: &ApiKeyId) -> bool {
        self.api_keys_orphaned.contains(key.as_str())
    }
}
