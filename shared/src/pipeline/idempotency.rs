//! `Idempotency-Key` on every write (POST, PUT, PATCH, DELETE that changes something), as Stripe
//! made it the norm (and the IETF draft `draft-ietf-httpapi-idempotency-key-header` specifies):
//!
//! - The same key from the same caller (a person, an API key or a service; the same key from
//!   another caller is another key) with the same method, path and body within 24 hours answers the
//!   first answer again, status and body, with `Idempotent-Replayed: true`, and changes nothing;
//!   with another method, path or body, 422 `idempotency_key_reused`; while a twin request is
//!   committing, 409 `idempotency_key_in_flight` with `Retry-After`.
//! - The answer's record is written in the change's own transaction ([`crate::App::commit`]): a
//!   change that committed always has its record, so a lost answer can be replayed; a request that
//!   crashed before committing left nothing, so its retry simply runs.
//! - It is read with the caller's access on an organization's routes (the same BatchGetItem: no
//!   extra request); other routes read it with one GetItem, only when the header is sent. A request
//!   that failed reads it once more (a twin may have committed meanwhile) unless it failed on its
//!   own input.
//! - Nothing in the table gives the key or the answer away: the record's key is an HMAC of (caller,
//!   key) under `API_KEY_HASH_KEY`, and the answer is sealed (AES-256-GCM) under another HMAC of
//!   them, so not even the secret an API key's creation showed once can be read from a copy.
//!
//! Without the header nothing changes.

use super::Reply;
use crate::error::{ApiError, ApiResult, Code};
use crate::idempotency::{IdempotencyItem, MAX_KEY_CHARS};
use crate::store::{Key, Tx};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The header, and the one a replayed answer carries.
pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// A write under an `Idempotency-Key`: where its record is, what the request was, and the key its
/// answer is sealed with (never logged: `Debug` shows the record's key only).
pub struct Pending {
    digest: String,
    fingerprint: String,
    seal_key: [u8; 32],
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("record", &self.digest)
            .finish()
    }
}

/// Checks a presented `Idempotency-Key`: 1 to 255 printable ASCII characters.
pub fn check_key(raw: &str) -> ApiResult<()> {
    let fine = !raw.is_empty()
        && raw.len() <= MAX_KEY_CHARS
        && raw.bytes().all(|b| (0x20..0x7f).contains(&b));
    match fine {
        true => Ok(()),
        false => Err(ApiError::new(
            Code::InvalidIdempotencyKey,
            format!("The Idempotency-Key header must be 1 to {MAX_KEY_CHARS} printable ASCII characters (a UUID is a good one)."),
        )),
    }
}

impl Pending {
    /// The write `caller` (`<kind>:<id>`) sends with `key`: `method path` and `body`.
    pub fn new(
        server_key: &[u8],
        caller: &str,
        key: &str,
        (method, path, body): (&str, &str, &[u8]),
    ) -> ApiResult<Self> {
        check_key(key)?;
        let mac = |label: &[u8]| -> ApiResult<[u8; 32]> {
            let mut m = Hmac::<Sha256>::new_from_slice(server_key).map_err(ApiError::internal)?;
            m.update(label);
            m.update(caller.as_bytes());
            m.update(b"\n");
            m.update(key.as_bytes());
            Ok(m.finalize().into_bytes().into())
        };
        let mut fingerprint = Sha256::new();
        fingerprint.update(method.as_bytes());
        fingerprint.update(b"\n");
        fingerprint.update(path.as_bytes());
        fingerprint.update(b"\n");
        fingerprint.update(body);
        Ok(Self {
            digest: B64.encode(mac(b"idempotency-record:")?),
            fingerprint: B64.encode(fingerprint.finalize()),
            seal_key: mac(b"idempotency-answer:")?,
        })
    }

    /// The record's key (read with the caller's access).
    pub fn key(&self) -> Key {
        IdempotencyItem::key_of(&self.digest)
    }

    /// Adds the answer's record to the change's transaction.
    pub fn record(&self, tx: Tx, reply: &Reply) -> ApiResult<Tx> {
        let sealed = match &reply.body {
            Some(body) => Some(self.seal(body.to_string().as_bytes())?),
            None => None,
        };
        let item = IdempotencyItem::new(
            &self.digest,
            self.fingerprint.clone(),
            reply.status,
            sealed,
            crate::domain::Timestamp::now(),
        );
        item.record(tx, twin_committed())
    }

    /// What a record found for this key answers: the first answer again (the same request), 422
    /// (another request under the same key), or nothing (past its window: the key is free).
    pub fn answer(&self, record: &IdempotencyItem) -> ApiResult<Option<Reply>> {
        if !record.is_live(crate::domain::Timestamp::now()) {
            return Ok(None);
        }
        if record.fingerprint != self.fingerprint {
            return Err(ApiError::new(
                Code::IdempotencyKeyReused,
                "This Idempotency-Key was used in the last 24 hours for another request (another method, path or body); use a new key for a new request.",
            ));
        }
        let body = match &record.sealed {
            Some(sealed) => Some(serde_json::from_slice(&self.open(sealed)?).map_err(|e| {
                ApiError::internal(format!("a recorded answer that is not JSON: {e}"))
            })?),
            None => None,
        };
        Ok(Some(
            Reply {
                status: record.status,
                body,
                headers: Vec::new(),
            }
            .header(REPLAYED, "true".into()),
        ))
    }

    fn seal(&self, plain: &[u8]) -> ApiResult<String> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.seal_key)
                .map_err(|_| ApiError::internal("seal key"))?,
        );
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
        let mut data = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.digest.as_bytes()),
            &mut data,
        )
        .map_err(|_| ApiError::internal("could not seal an answer"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(B64.encode(out))
    }

    fn open(&self, sealed: &str) -> ApiResult<Vec<u8>> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
        let broken = || ApiError::internal("a recorded answer that does not open");
        let raw = B64.decode(sealed).map_err(|_| broken())?;
        if raw.len() < NONCE_LEN {
            return Err(broken());
        }
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let key =
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.seal_key).map_err(|_| broken())?);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| broken())?;
        let mut data = data.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(self.digest.as_bytes()), &mut data)
            .map_err(|_| broken())?;
        Ok(plain.to_vec())
    }
}

/// The record's condition failed: a twin request under the same key committed first (the
/// pipeline then reads its record and answers it).
fn twin_committed() -> ApiError {
    ApiError::new(
        Code::IdempotencyKeyInFlight,
        "A request with this Idempotency-Key committed meanwhile; retry to get its answer.",
    )
    .retry_after(1)
}

/// Whether a request that failed with `err` may have lost a race to a twin under the same key (so
/// its record is worth reading): not when it failed on its own input or identity.
pub fn worth_rereading(err: &ApiError) -> bool {
    !matches!(err.status(), 400 | 401 | 413 | 422)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(caller: &str, key: &str, body: &[u8]) -> Pending {
        Pending::new(b"server-key", caller, key, ("POST", "/orgs/o/teams", body)).unwrap()
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("a").is_ok());
        assert!(check_key(&"k".repeat(255)).is_ok());
        for bad in ["", "\u{e9}", "a\nb", &"k".repeat(256)] {
            assert_eq!(
                check_key(bad).unwrap_err().code,
                Code::InvalidIdempotencyKey,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_record_answers_its_own_request_only_and_its_caller_only() {
        let p = pending("user:u1", "k1", b"{\"name\":\"A\"}");
        let reply = Reply::created(&serde_json::json!({ "id": "t1", "secret": "shown once" }));
        let sealed = p
            .seal(reply.body.as_ref().unwrap().to_string().as_bytes())
            .unwrap();
        assert!(!sealed.contains("shown once"));
        let record = IdempotencyItem::new(
            &p.digest,
            p.fingerprint.clone(),
            201,
            Some(sealed),
            crate::domain::Timestamp::now(),
        );
        let again = p.answer(&record).unwrap().unwrap();
        assert_eq!((again.status, &again.body), (201, &reply.body));
        assert_eq!(again.headers, vec![(REPLAYED, "true".to_string())]);
        // Another body under the same key: 422.
        let other = pending("user:u1", "k1", b"{\"name\":\"B\"}");
        assert_eq!(other.digest, p.digest);
        assert_eq!(
            other.answer(&record).unwrap_err().code,
            Code::IdempotencyKeyReused
        );
        // The same key from another caller is another record, and cannot open this one.
        let stranger = pending("api_key:key_1", "k1", b"{\"name\":\"A\"}");
        assert_ne!(stranger.digest, p.digest);
        assert!(stranger.open(record.sealed.as_ref().unwrap()).is_err());
        // Past its window the key is free again.
        let old = IdempotencyItem::new(
            &p.digest,
            p.fingerprint.clone(),
            201,
            None,
            crate::domain::Timestamp::now() - chrono::Duration::hours(25),
        );
        assert!(p.answer(&old).unwrap().is_none());
    }
}
