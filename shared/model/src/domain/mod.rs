//! Validated values ("parse, don't validate"): each type can only be built through `parse`,
//! so a request struct made of them is valid by construction.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

mod plan;
mod time;

/// A display name (organization, team, project, integration): characters at most.
pub const NAME_MAX_CHARS: usize = 100;
/// A description: characters at most.
pub const DESCRIPTION_MAX_CHARS: usize = 500;
/// An email address: bytes at most (RFC 5321's path limit).
pub const EMAIL_MAX_LEN: usize = 254;
/// A user id (the token's `sub`): bytes at most.
pub const USER_ID_MAX_LEN: usize = 128;
/// A slug's length: from the first to the last.
pub const SLUG_LEN: (usize, usize) = (3, 40);
/// The hex digits after the prefix of an id we mint (a UUID v4 in simple form).
pub const ID_HEX_DIGITS: usize = 32;
pub use plan::Plan;
pub use time::Timestamp;

fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::validation(field, detail)
}

/// Characters that make text read other than it is: bidirectional overrides and isolates
/// (U+202A-202E, U+2066-2069) and marks (U+200E, U+200F), zero-width characters (U+200B-200D,
/// U+2060, U+FEFF) and line or paragraph separators (U+2028, U+2029).
pub fn is_spoofing_char(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Refuses text shown to other people (names, messages) that carries a spoofing character.
pub fn refuse_spoofing(field: &str, text: &str) -> Result<(), ApiError> {
    match text.chars().find(|c| is_spoofing_char(*c)) {
        Some(c) => Err(invalid(
            field,
            format!(
                "`{field}` must not contain bidirectional overrides, zero-width characters or line separators (found U+{:04X}).",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// What a name looks like, for comparing names people tell apart by eye: lowercased, accents
/// and other combining marks dropped, then Unicode's confusable skeleton (UTS #39), so `аdmin`
/// (Cyrillic а), `ɑdmin`, `ADMİN` and `Admin` all fold to what `admin` folds to.
pub fn looks_like(name: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let plain: String = name
        .to_lowercase()
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect();
    unicode_security::skeleton(&plain).collect()
}

/// Characters of a caller's input a refusal quotes at most.
pub const SHOWN_CHARS: usize = 40;

/// A caller's input as a refusal may quote it: at most [`SHOWN_CHARS`] characters, control and
/// spoofing characters shown as `?`, `…` where it was cut. A refusal names the field and the
/// rule; it never echoes a whole input back (it may be 60 KB, or a secret pasted by mistake).
pub fn shown(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .take(SHOWN_CHARS)
        .map(|c| {
            if c.is_control() || is_spoofing_char(c) {
                '?'
            } else {
                c
            }
        })
        .collect();
    if raw.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Slugs that name places of the product itself, refused for organizations (docs/concepts.md lists them).
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "app",
    "apps",
    "assets",
    "auth",
    "billing",
    "dashboard",
    "docs",
    "help",
    "invitations",
    "login",
    "logout",
    "me",
    "new",
    "orgs",
    "root",
    "roles",
    "settings",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "www",
];

/// A fresh 256-bit nonce (base64url): what an invitation's code, or a verified domain's automatic
/// invitation's, is derived from with the server key. Only the nonce is stored, never the code.
pub fn random_nonce() -> Result<String, ApiError> {
    use base64::Engine;
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// A display name people give and read (an organization's, a team's, a project's, an API key's, a
/// custom role's): 1-100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > NAME_MAX_CHARS {
            return Err(invalid(
                field,
                format!("`{field}` must be 1 to {NAME_MAX_CHARS} characters long (got {len})."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid(
                field,
                format!("`{field}` must not contain control characters."),
            ));
        }
        refuse_spoofing(field, name)?;
        Ok(Self(name.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL-safe, unique handle: 3-40 characters of `a-z0-9-`, no leading or trailing dash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let (min, max) = SLUG_LEN;
        if !(min..=max).contains(&raw.len())
            || !ok_chars
            || raw.starts_with('-')
            || raw.ends_with('-')
        {
            return Err(invalid(
                "slug",
                format!("`slug` must be {min} to {max} characters of a-z, 0-9 and '-', not starting or ending with '-'."),
            ));
        }
        if RESERVED_SLUGS.contains(&raw) {
            return Err(invalid(
                "slug",
                format!("`{}` is reserved; choose another slug.", shown(raw)),
            ));
        }
        Ok(Self(raw.to_string()))
    }
    /// A slug derived from a name: lowercase ASCII letters and digits, other runs become one dash,
    /// padded or cut to fit; `None` if nothing usable remains.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let mut out: String = out.chars().take(40).collect();
        while out.ends_with('-') {
            out.pop();
        }
        if out.len() < 3 {
            return None;
        }
        Self::parse(&out).ok()
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lowercase email address with one `@`, a non-empty local part and a dotted domain; at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= EMAIL_MAX_LEN
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !valid {
            return Err(invalid(
                field,
                format!("`{field}` must be an email address like name@example.com."),
            ));
        }
        Ok(Self(email))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The part after the `@` (lowercase, as the whole address).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// The identity provider's subject. Opaque, 1-128 printable characters without '#'
/// (the store uses '#' as its key separator).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        if raw.is_empty()
            || raw.len() > USER_ID_MAX_LEN
            || raw.contains('#')
            || raw.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(invalid(field, format!("`{field}` must be a user id of 1 to {USER_ID_MAX_LEN} printable characters without '#' or spaces.")));
        }
        Ok(Self(raw.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An id we mint: a prefix and 32 lower-case hex digits (a UUID v4).
pub trait MintedId: Sized {
    const PREFIX: &'static str;
    fn parse(raw: &str) -> Option<Self>;
    fn as_str(&self) -> &str;
}

/// Identifiers we mint ourselves: a prefix and a UUID v4 in simple form, e.g. `org_3f2a...`.
macro_rules! minted_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub fn new() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::new_v4().simple()))
            }
            /// Parses an id from a path. `None` for anything that cannot be one of ours.
            pub fn parse(raw: &str) -> Option<Self> {
                let hex = raw.strip_prefix($prefix)?;
                (hex.len() == ID_HEX_DIGITS
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
                .then(|| Self(raw.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl MintedId for $name {
            const PREFIX: &'static str = $prefix;
            fn parse(raw: &str) -> Option<Self> {
                $name::parse(raw)
            }
            fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

minted_id!(OrgId, "org_", "organization");
minted_id!(EventId, "evt_", "audit event");
minted_id!(InvitationId, "inv_", "invitation");
minted_id!(TeamId, "team_", "team");
minted_id!(ProjectId, "prj_", "project");
minted_id!(IntegrationId, "int_", "integration");
minted_id!(ApiKeyId, "key_", "API key");
minted_id!(RoleId, "role_", "custom role");
minted_id!(RequestId, "mreq_", "membership request");
minted_id!(ScimTokenId, "scimtok_", "SCIM token");
minted_id!(DirUserId, "dusr_", "directory user");
minted_id!(WebhookId, "wh_", "webhook endpoint");
minted_id!(MessageId, "msg_", "webhook message");

impl MessageId {
    /// The one message of an event to an endpoint (the first 128 bits of a SHA-256 of both): a
    /// redelivery of the event finds it made already.
    pub fn of(event: &EventId, endpoint: &WebhookId) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(event.as_str().as_bytes())
            .chain_update(b"\0")
            .chain_update(endpoint.as_str().as_bytes())
            .finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("{}{hex}", Self::PREFIX))
    }
}

impl RequestId {
    /// The one id of `user`'s request to join `org` (the first 128 bits of a SHA-256 of both):
    /// a person has at most one request per organization, by the item's key.
    pub fn of(org: &OrgId, user: &UserId) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(org.as_str().as_bytes())
            .chain_update(b"\0")
            .chain_update(user.as_str().as_bytes())
            .finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("{}{hex}", Self::PREFIX))
    }
}

impl ProjectId {
    /// A request's list of projects (`projectIds` of an invitation or an API key): each a project
    /// id, duplicates dropped (first one kept), at most `max`.
    pub fn parse_list(
        field: &str,
        raw: Option<Vec<String>>,
        max: usize,
    ) -> Result<Vec<Self>, ApiError> {
        let mut out: Vec<Self> = Vec::new();
        for p in raw.unwrap_or_default() {
            let id = Self::parse(&p).ok_or_else(|| {
                invalid(
                    field,
                    format!("`{field}` entries must be project ids (`prj_` and {ID_HEX_DIGITS} hex digits; got `{}`).", shown(&p)),
                )
            })?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        if out.len() > max {
            return Err(invalid(
                field,
                format!("`{field}` may name at most {max} projects."),
            ));
        }
        Ok(out)
    }
}

/// A free-text description: at most 500 characters, no control characters other than line breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        let text = raw.trim();
        let len = text.chars().count();
        if len > DESCRIPTION_MAX_CHARS {
            return Err(invalid(
                field,
                format!("`{field}` must be at most {DESCRIPTION_MAX_CHARS} characters long (got {len})."),
            ));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(invalid(
                field,
                format!("`{field}` must not contain control characters other than line breaks."),
            ));
        }
        refuse_spoofing(field, text)?;
        Ok(Self(text.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// What a request body may carry of these values, parsed by the rules above (`crate::body`), and
// the schema each states for the spec.
macro_rules! parsed_text {
    ($name:ident, $schema:expr) => {
        impl crate::body::Parse for $name {
            type Raw = String;
            fn parse(field: &str, raw: String) -> Result<Self, ApiError> {
                $name::parse(field, &raw)
            }
            #[cfg(feature = "openapi")]
            fn schema() -> serde_json::Value {
                $schema
            }
        }
    };
}
parsed_text!(
    DisplayName,
    serde_json::json!({ "type": "string", "minLength": 1, "maxLength": NAME_MAX_CHARS })
);
parsed_text!(
    Description,
    serde_json::json!({ "type": "string", "maxLength": DESCRIPTION_MAX_CHARS })
);
parsed_text!(
    Email,
    serde_json::json!({ "type": "string", "format": "email", "maxLength": EMAIL_MAX_LEN })
);
parsed_text!(
    UserId,
    serde_json::json!({ "type": "string", "minLength": 1, "maxLength": USER_ID_MAX_LEN })
);

impl crate::body::Parse for Slug {
    type Raw = String;
    fn parse(_field: &str, raw: String) -> Result<Self, ApiError> {
        Slug::parse(&raw)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let (min, max) = SLUG_LEN;
        serde_json::json!({
            "type": "string",
            "pattern": format!("^[a-z0-9]([a-z0-9-]{{{},{}}})[a-z0-9]$", min - 2, max - 2),
        })
    }
}

/// The pattern of one of our ids in a schema.
#[cfg(feature = "openapi")]
pub fn id_schema(prefix: &str) -> serde_json::Value {
    serde_json::json!({ "type": "string", "pattern": format!("^{prefix}[0-9a-f]{{{ID_HEX_DIGITS}}}$") })
}

impl crate::body::Parse for ProjectId {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, ApiError> {
        ProjectId::parse(&raw).ok_or_else(|| {
            invalid(
                field,
                format!(
                    "`{field}` must be a project id (`{}` and {ID_HEX_DIGITS} hex digits).",
                    ProjectId::PREFIX
                ),
            )
        })
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        id_schema(ProjectId::PREFIX)
    }
}

impl crate::body::Parse for IntegrationId {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, ApiError> {
        IntegrationId::parse(&raw).ok_or_else(|| {
            invalid(
                field,
                format!(
                    "`{field}` must be an integration id (`{}` and {ID_HEX_DIGITS} hex digits).",
                    IntegrationId::PREFIX
                ),
            )
        })
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        id_schema(IntegrationId::PREFIX)
    }
}

/// Up to `MAX` distinct projects a body names (`projectIds`), in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectIds<const MAX: usize>(pub Vec<ProjectId>);

impl<const MAX: usize> crate::body::Parse for ProjectIds<MAX> {
    type Raw = Vec<String>;
    fn parse(field: &str, raw: Vec<String>) -> Result<Self, ApiError> {
        ProjectId::parse_list(field, Some(raw), MAX).map(Self)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "array", "maxItems": MAX, "items": id_schema(ProjectId::PREFIX) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Cases;

    #[test]
    fn names_that_look_alike_fold_alike() {
        let admin = looks_like("admin");
        for lookalike in ["аdmin", "ɑdmin", "ADMİN", "Admin", "ádmin", "ａｄｍｉｎ"] {
            assert_eq!(looks_like(lookalike), admin, "{lookalike}");
        }
        assert_ne!(looks_like("admins"), admin);
        assert_ne!(looks_like("auditor"), looks_like("editor"));
    }

    const MIXED: &[char] = &[
        'a', 'z', 'A', 'Z', '0', '9', '-', '_', ' ', '.', '@', '!', 'é', 'Ö', 'ß', '\u{202e}', '\t',
    ];

    #[test]
    fn a_derived_slug_is_always_a_valid_slug_and_deriving_it_again_changes_nothing() {
        let mut cases = Cases::new(7);
        let mut derived = 0;
        for _ in 0..5_000 {
            let name = cases.text(MIXED, 60);
            if let Some(slug) = Slug::from_name(&name) {
                derived += 1;
                assert!(Slug::parse(slug.as_str()).is_ok(), "{name:?} -> {slug:?}");
                assert_eq!(
                    Slug::from_name(slug.as_str()).as_ref(),
                    Some(&slug),
                    "{name:?}"
                );
            }
        }
        assert!(
            derived > 1_000,
            "the cases reach the interesting part ({derived})"
        );
    }

    #[test]
    fn an_accepted_email_is_stored_in_its_normal_form_once() {
        let mut cases = Cases::new(11);
        let mut accepted = 0;
        for _ in 0..5_000 {
            let raw = format!(
                "{}@{}.{}",
                cases.text(MIXED, 12),
                cases.text(&['a', 'B', '-', '.', '1'], 10),
                cases.text(&['c', 'O', 'm'], 4)
            );
            if let Ok(email) = Email::parse("email", &raw) {
                accepted += 1;
                let again = Email::parse("email", email.as_str()).expect("its normal form parses");
                assert_eq!(again, email, "{raw:?}");
                assert_eq!(email.as_str(), email.as_str().to_lowercase());
            }
        }
        assert!(
            accepted > 500,
            "the cases reach the interesting part ({accepted})"
        );
    }

    #[test]
    fn slugs() {
        for ok in ["abc", "a-b", "acme-42", &"a".repeat(40)] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "ABC",
            "a_b",
            "a b",
            &"a".repeat(41),
            "é-abc",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Slug::from_name("Acme Corp!").unwrap().as_str(), "acme-corp");
        assert_eq!(
            Slug::from_name("  --Zoë's  Lab-- ").unwrap().as_str(),
            "zo-s-lab"
        );
        assert!(Slug::from_name("é!").is_none());
    }

    #[test]
    fn spoofing_characters_and_reserved_slugs_are_refused() {
        for bad in [
            "Acme\u{202E}moc.evil",
            "Ac\u{200B}me",
            "Acme\u{2066}x\u{2069}",
            "Acme\u{2028}Inc",
            "\u{FEFF}Acme",
        ] {
            let e = DisplayName::parse("name", bad).unwrap_err();
            assert_eq!(e.extra["field"], "name", "{bad:?}");
        }
        assert!(DisplayName::parse("name", "Zoë & Co — Ünïcode ok").is_ok());
        for reserved in ["admin", "api", "www", "app", "settings", "new"] {
            assert!(Slug::parse(reserved).is_err(), "{reserved}");
        }
        assert!(
            Slug::from_name("Admin").is_none(),
            "a derived slug is never reserved"
        );
    }

    #[test]
    fn names_and_emails() {
        assert_eq!(
            DisplayName::parse("name", "  Acme ").unwrap().as_str(),
            "Acme"
        );
        assert!(DisplayName::parse("name", "   ").is_err());
        assert!(DisplayName::parse("name", &"x".repeat(101)).is_err());
        assert!(DisplayName::parse("name", "a\u{7}b").is_err());
        assert_eq!(
            Email::parse("email", " Ana@Example.COM").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "", "a", "a@b", "@b.c", "a@@b.c", "a@.b", "a b@c.d", "a@b..c",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minted_ids_round_trip_and_reject_garbage() {
        let id = OrgId::new();
        assert_eq!(OrgId::parse(id.as_str()), Some(id));
        assert!(OrgId::parse("org_123").is_none());
        assert!(OrgId::parse("evt_00000000000000000000000000000000").is_none());
        assert!(UserId::parse("userId", "a#b").is_err());
    }
}
