//! The record of a write's answer under an `Idempotency-Key`: written in the change's own
//! transaction (so a change is never without its record, nor a record without its change), read
//! with the caller's access, and answered again to the same caller's retry for 24 hours.
//!
//! The table holds neither the key nor the answer in the clear: the record's partition is an
//! HMAC under a server key of (caller, key), and the answer is sealed under another HMAC of them
//! (`service::pipeline::idempotency`), so a copy of the table alone tells nothing, not even the
//! secret an API key's creation showed once. DynamoDB's TTL (`ttl`) deletes records a day after;
//! a record past its window is ignored even before TTL got to it.

use crate::domain::Timestamp;
use crate::error::ApiError;
use crate::store::{Entity, Key, Tx};
use serde::{Deserialize, Serialize};

/// How long a key's answer is kept and answered again.
pub fn window() -> chrono::Duration {
    chrono::Duration::hours(24)
}

/// The longest `Idempotency-Key` accepted (characters, printable ASCII).
pub const MAX_KEY_CHARS: usize = 255;

const PREFIX: &str = "IDEMPOTENCY#";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    /// What the request was: SHA-256 of its method, path and body (base64).
    pub fingerprint: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's JSON body, sealed (base64 of nonce ‖ ciphertext ‖ tag); none for 204.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    pub created_at: Timestamp,
    /// Epoch seconds after which DynamoDB's TTL deletes the record.
    pub ttl: i64,
}

impl Entity for IdempotencyItem {
    const TYPE: &'static str = "idempotency";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl IdempotencyItem {
    /// The record of the key whose digest (an HMAC of caller and key) is `digest`.
    pub fn key_of(digest: &str) -> Key {
        Key::new(format!("{PREFIX}{digest}"), "RECORD".to_string())
    }

    pub fn new(
        digest: &str,
        fingerprint: String,
        status: u16,
        sealed: Option<String>,
        now: Timestamp,
    ) -> Self {
        let key = Self::key_of(digest);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            fingerprint,
            status,
            sealed,
            created_at: now,
            ttl: (now + window()).epoch_seconds(),
        }
    }

    /// Whether the record still answers for its key at `now` (TTL deletes it later).
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.created_at + window() > now
    }

    /// Adds the record to the change's transaction: a new record only (a twin request that
    /// committed first fails it with `taken`), marked so a twin still in flight on the same record
    /// is told apart from any other conflict.
    pub fn record(&self, tx: Tx, taken: ApiError) -> Result<Tx, ApiError> {
        Ok(tx.put_new(self, taken)?.marked(self.key()))
    }
}
