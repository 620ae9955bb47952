//! The key itself: `orgs_sk_` followed by 81 base62 characters (`^orgs_sk_[0-9A-Za-z]{81}$`),
//! the fixed-width encoding of 60 bytes:
//!
//! `secret (24 random bytes, 192 bits) ‖ organization id (16) ‖ key id (16) ‖ CRC-32 of the 56 before (4)`.
//!
//! A SCIM token is the same format under its own prefix (`orgs_scim_`) and MAC label
//! (`scim-token:`): one kind's digest never verifies the other kind.
//!
//! - The ids let verification read the key's item and its organization in ONE BatchGetItem; the
//!   secret comes first so a key's first characters (its `prefix`, shown to recognise it) differ
//!   between keys of one organization.
//! - The CRC-32 lets a secret scanner (and verification, before any read) tell a key from a
//!   look-alike string offline: one in 4 billion random strings of the pattern passes it.
//! - The table stores only `HMAC-SHA256(API_KEY_HASH_KEY, "api-key:" ‖ org ‖ key ‖ secret)`: a
//!   copy of the table can neither verify a guess nor mint a key without the server key, and a
//!   digest copied onto another key's item verifies nothing (the ids are in the MAC). Digests
//!   are compared in constant time.

use crate::domain::{MintedId, OrgId};
use crate::error::{ApiError, ApiResult};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A kind of secret: what it starts with (secret scanners match on it) and the label its MAC
/// covers.
pub struct Format {
    pub prefix: &'static str,
    label: &'static [u8],
}

/// Organization API keys.
pub const API_KEY: Format = Format {
    prefix: "orgs_sk_",
    label: b"api-key:",
};
/// SCIM tokens (an identity provider's bearer token for one organization's directory).
pub const SCIM_TOKEN: Format = Format {
    prefix: "orgs_scim_",
    label: b"scim-token:",
};
/// What every API key starts with.
pub const KEY_PREFIX: &str = API_KEY.prefix;
/// Base62 characters after the prefix.
pub const BODY_LEN: usize = 81;
/// Random bytes of a key.
pub const SECRET_BYTES: usize = 24;
/// Characters of the secret after its prefix shown to recognise it (about 36 of the secret's
/// 192 bits: what is left cannot be searched).
pub const SHOWN_AFTER_PREFIX: usize = 6;
/// The regular expression of a key, for secret scanners (documented in docs/concepts.md).
pub const PATTERN: &str = "orgs_sk_[0-9A-Za-z]{81}";

const RAW_LEN: usize = SECRET_BYTES + 16 + 16 + 4;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

// 62^81 holds every 60-byte value; 62^80 does not (so 81 is the fixed width).
const _: () = assert!(BODY_LEN as f64 * 5.954 >= (RAW_LEN * 8) as f64);

/// A key as presented: its ids and its secret.
pub struct Presented<I> {
    pub org: OrgId,
    pub key: I,
    secret: [u8; SECRET_BYTES],
    label: &'static [u8],
}

impl<I: MintedId> Presented<I> {
    /// Splits a presented key of `format`; `None` for anything that is not one (wrong prefix,
    /// length, character, checksum). Nothing is read for those.
    pub fn parse(format: &Format, raw: &str) -> Option<Self> {
        let body = raw.strip_prefix(format.prefix)?;
        if body.len() != BODY_LEN {
            return None;
        }
        let bytes = from_base62(body)?;
        let (payload, sum) = bytes.split_at(RAW_LEN - 4);
        if crc32(payload).to_be_bytes() != sum {
            return None;
        }
        let id = |b: &[u8]| {
            uuid::Uuid::from_slice(b)
                .ok()
                .map(|u| u.simple().to_string())
        };
        let org = OrgId::parse(&format!(
            "{}{}",
            OrgId::PREFIX,
            id(&payload[SECRET_BYTES..SECRET_BYTES + 16])?
        ))?;
        let key = I::parse(&format!(
            "{}{}",
            I::PREFIX,
            id(&payload[SECRET_BYTES + 16..])?
        ))?;
        let mut secret = [0u8; SECRET_BYTES];
        secret.copy_from_slice(&payload[..SECRET_BYTES]);
        Some(Self {
            org,
            key,
            secret,
            label: format.label,
        })
    }

    /// Whether the key's digest under `server_key` is `stored`, compared in constant time.
    pub fn matches(&self, server_key: &[u8], stored: &str) -> ApiResult<bool> {
        let mine = digest(
            server_key,
            self.label,
            &self.org,
            self.key.as_str(),
            &self.secret,
        )?;
        Ok(subtle::ConstantTimeEq::ct_eq(mine.as_bytes(), stored.as_bytes()).into())
    }
}

/// A new key for `key` of `org`: the key (shown once), its digest and its prefix (stored).
pub struct Minted {
    pub key: String,
    pub digest: String,
    pub prefix: String,
}

pub fn mint<I: MintedId>(
    format: &Format,
    server_key: &[u8],
    org: &OrgId,
    key: &I,
) -> ApiResult<Minted> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let id = |raw: &str, prefix: &str| {
        uuid::Uuid::try_parse(&raw[prefix.len()..])
            .map(|u| *u.as_bytes())
            .map_err(|_| ApiError::internal("an id that is not a uuid"))
    };
    let mut raw = Vec::with_capacity(RAW_LEN);
    raw.extend_from_slice(&secret);
    raw.extend_from_slice(&id(org.as_str(), OrgId::PREFIX)?);
    raw.extend_from_slice(&id(key.as_str(), I::PREFIX)?);
    let sum = crc32(&raw);
    raw.extend_from_slice(&sum.to_be_bytes());
    let text = format!("{}{}", format.prefix, to_base62(&raw));
    Ok(Minted {
        digest: digest(server_key, format.label, org, key.as_str(), &secret)?,
        prefix: text[..format.prefix.len() + SHOWN_AFTER_PREFIX].to_string(),
        key: text,
    })
}

fn digest(
    server_key: &[u8],
    label: &[u8],
    org: &OrgId,
    key: &str,
    secret: &[u8; SECRET_BYTES],
) -> ApiResult<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(server_key).map_err(ApiError::internal)?;
    mac.update(label);
    mac.update(org.as_str().as_bytes());
    mac.update(b":");
    mac.update(key.as_bytes());
    mac.update(b":");
    mac.update(secret);
    Ok(B64.encode(mac.finalize().into_bytes()))
}

/// Fixed-width big-endian base62 of `RAW_LEN` bytes.
fn to_base62(bytes: &[u8]) -> String {
    let mut num = bytes.to_vec();
    let mut out = Vec::with_capacity(BODY_LEN);
    for _ in 0..BODY_LEN {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        out.push(ALPHABET[rem as usize]);
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
}

fn from_base62(text: &str) -> Option<[u8; RAW_LEN]> {
    let mut num = [0u8; RAW_LEN];
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for b in num.iter_mut().rev() {
            let acc = u32::from(*b) * 62 + carry;
            *b = (acc & 0xff) as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(num)
}

/// CRC-32 (IEEE 802.3, the one of zip and PNG).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1));
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ApiKeyId, ScimTokenId};

    fn parse(raw: &str) -> Option<Presented<ApiKeyId>> {
        Presented::parse(&API_KEY, raw)
    }

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn a_minted_key_parses_back_to_its_ids_and_verifies_only_under_its_server_key() {
        let (org, id) = (OrgId::new(), ApiKeyId::new());
        let m = mint(&API_KEY, b"server-key", &org, &id).unwrap();
        let re_len = KEY_PREFIX.len() + BODY_LEN;
        assert_eq!(m.key.len(), re_len);
        assert!(m.key[KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert!(m.key.starts_with(&m.prefix));
        let p = parse(&m.key).unwrap();
        assert_eq!((p.org.clone(), p.key.clone()), (org.clone(), id.clone()));
        assert!(p.matches(b"server-key", &m.digest).unwrap());
        assert!(!p.matches(b"another-key", &m.digest).unwrap());
        // Another key of the same organization: another prefix, another digest.
        let other = mint(&API_KEY, b"server-key", &org, &ApiKeyId::new()).unwrap();
        assert_ne!(other.prefix, m.prefix);
        assert!(!parse(&other.key)
            .unwrap()
            .matches(b"server-key", &m.digest)
            .unwrap());
    }

    #[test]
    fn look_alikes_are_refused_before_any_read() {
        let m = mint(&API_KEY, b"k", &OrgId::new(), &ApiKeyId::new()).unwrap();
        let mut cases = vec![
            String::new(),
            "orgs_sk_".into(),
            m.key[1..].to_string(),
            format!("{}x", m.key),
            m.key.replace("orgs_sk_", "orgs_pk_"),
            format!("orgs_sk_{}", "z".repeat(BODY_LEN)),
        ];
        // Every single-character change is caught by the checksum (or the alphabet).
        for i in KEY_PREFIX.len()..m.key.len() {
            let mut b = m.key.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            cases.push(String::from_utf8(b).unwrap());
        }
        cases.push(m.key.replace('a', "-"));
        for c in cases {
            if c != m.key {
                assert!(parse(&c).is_none(), "{c}");
            }
        }
    }

    #[test]
    fn a_scim_token_is_no_api_key_and_verifies_only_as_a_token() {
        let org = OrgId::new();
        let t = mint(&SCIM_TOKEN, b"k", &org, &ScimTokenId::new()).unwrap();
        assert!(t.key.starts_with("orgs_scim_"));
        assert!(parse(&t.key).is_none());
        let p = Presented::<ScimTokenId>::parse(&SCIM_TOKEN, &t.key).unwrap();
        assert!(p.matches(b"k", &t.digest).unwrap());
        // The same bytes under the API key prefix: another label, so another digest.
        let as_key = t.key.replacen("orgs_scim_", "orgs_sk_", 1);
        let k = Presented::<ScimTokenId>::parse(&API_KEY, &as_key).unwrap();
        assert!(!k.matches(b"k", &t.digest).unwrap());
    }

    #[test]
    fn base62_round_trips_fixed_width() {
        let mut cases = crate::testing::Cases::new(7);
        for _ in 0..2000 {
            let mut raw = [0u8; RAW_LEN];
            for b in raw.iter_mut() {
                *b = cases.next() as u8;
            }
            if cases.next().is_multiple_of(4) {
                raw[..8].fill(0);
            }
            let text = to_base62(&raw);
            assert_eq!(text.len(), BODY_LEN);
            assert_eq!(from_base62(&text), Some(raw));
        }
        assert_eq!(from_base62(&"z".repeat(BODY_LEN)), None, "above 2^480");
    }
}
