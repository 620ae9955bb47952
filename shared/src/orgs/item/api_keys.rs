//! The organization's list of its API keys (`apiKeys`: a string set of `<keyId> <creatorId>`),
//! which bounds their number in the same write that creates one, and the keys whose creator has
//! left (`apiKeysOrphaned`), which the key list shows without reading any membership.

use super::OrgItem;
use crate::domain::ApiKeyId;
use crate::error::ApiError;
use crate::store::{Entity, Expr, Tx};

impl OrgItem {
    /// One more key, within the limit of keys per organization (checked on the read first; a
    /// failure here is a key created meanwhile).
    pub fn api_key_created(&self, tx: Tx, entry: &str, max: usize) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "ADD apiKeys :e",
            Some(&format!(
                "{active} AND (attribute_not_exists(apiKeys) OR size(apiKeys) < :max)"
            )),
            expr.set(":e", [entry]).value(":max", &max),
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

    /// A key revoked: out of the list (and of the orphans, if its creator had left).
    pub fn api_key_revoked(&self, tx: Tx, entry: &str, key: &ApiKeyId) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "DELETE apiKeys :e, apiKeysOrphaned :k",
            Some("contains(apiKeys, :entry)"),
            Expr::new()
                .set(":e", [entry])
                .set(":k", [key.as_str()])
                .value(":entry", entry),
            ApiError::concurrent("The API key was revoked meanwhile."),
        )
    }
}
