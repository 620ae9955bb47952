//! Invitation codes: `base64url(orgId ‖ invitationId ‖ HMAC-SHA256(INVITATION_CODE_KEY, codeNonce)[..16])`.
//! The table stores only the random nonce, so a copy of the table cannot produce a code; the
//! 128-bit MAC is compared in constant time.

use super::item::InvitationItem;
use crate::domain::{InvitationId, OrgId};
use crate::error::{ApiError, ApiResult};
use crate::App;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) fn code_mac(key: &[u8], nonce: &str) -> ApiResult<[u8; 16]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(ApiError::internal)?;
    mac.update(b"invitation-code:");
    mac.update(nonce.as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    Ok(out)
}

fn id_bytes(prefix_stripped: &str) -> Option<[u8; 16]> {
    uuid::Uuid::try_parse(prefix_stripped)
        .ok()
        .map(|u| *u.as_bytes())
}

/// The code of an invitation.
pub fn code_of(app: &App, inv: &InvitationItem) -> ApiResult<String> {
    code_for(app, &inv.org_id, &inv.invitation_id, inv.code_nonce())
}

/// The code of invitation `id` of `org` whose nonce is `nonce` (an invitation item's, or a
/// verified domain's automatic invitation's).
pub fn code_for(app: &App, org: &OrgId, id: &InvitationId, nonce: &str) -> ApiResult<String> {
    let key = app.config.require_code_key()?;
    let org = id_bytes(&org.as_str()[OrgId::PREFIX.len()..])
        .ok_or_else(|| ApiError::internal("bad org id"))?;
    let id = id_bytes(&id.as_str()[InvitationId::PREFIX.len()..])
        .ok_or_else(|| ApiError::internal("bad invitation id"))?;
    let mut raw = Vec::with_capacity(48);
    raw.extend_from_slice(&org);
    raw.extend_from_slice(&id);
    raw.extend_from_slice(&code_mac(key, nonce)?);
    Ok(B64.encode(raw))
}

pub fn link_of(app: &App, code: &str) -> String {
    format!(
        "{}/invitations/{code}",
        app.config.app_base_url.trim_end_matches('/')
    )
}

/// Splits a code into the invitation's ids and its MAC; `None` for anything malformed.
pub(crate) fn parse_code(code: &str) -> Option<(OrgId, InvitationId, [u8; 16])> {
    if code.len() != 64 {
        return None;
    }
    let raw = B64.decode(code).ok()?;
    let uuid = |b: &[u8]| {
        uuid::Uuid::from_slice(b)
            .ok()
            .map(|u| u.simple().to_string())
    };
    let org = OrgId::parse(&format!("{}{}", OrgId::PREFIX, uuid(&raw[..16])?))?;
    let inv = InvitationId::parse(&format!("{}{}", InvitationId::PREFIX, uuid(&raw[16..32])?))?;
    let mut mac = [0u8; 16];
    mac.copy_from_slice(&raw[32..48]);
    Some((org, inv, mac))
}

/// Whether `mac` is the MAC of `nonce`, compared in constant time.
pub(crate) fn mac_matches(key: &[u8], nonce: &str, mac: &[u8; 16]) -> ApiResult<bool> {
    let expected = code_mac(key, nonce)?;
    Ok(subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_48_bytes_and_garbage_is_rejected() {
        assert!(parse_code("short").is_none());
        assert!(parse_code(&"!".repeat(64)).is_none(), "not base64url");
        // All-zero ids are well-formed; such a code is refused when no invitation has that key.
        assert!(parse_code(&"A".repeat(64)).is_some());
        let org = OrgId::new();
        let inv = InvitationId::new();
        let mut raw = Vec::new();
        raw.extend_from_slice(&id_bytes(&org.as_str()[4..]).unwrap());
        raw.extend_from_slice(&id_bytes(&inv.as_str()[4..]).unwrap());
        raw.extend_from_slice(&[7u8; 16]);
        let code = B64.encode(&raw);
        assert_eq!(code.len(), 64);
        let (o, i, mac) = parse_code(&code).unwrap();
        assert_eq!((o, i, mac), (org, inv, [7u8; 16]));
    }

    #[test]
    fn mac_depends_on_key_and_nonce() {
        let a = code_mac(b"key-one-0123456789", "n1").unwrap();
        assert_ne!(a, code_mac(b"key-two-0123456789", "n1").unwrap());
        assert_ne!(a, code_mac(b"key-one-0123456789", "n2").unwrap());
        assert_eq!(a, code_mac(b"key-one-0123456789", "n1").unwrap());
    }
}
