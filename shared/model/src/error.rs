//! Every error a caller can see: an RFC 9457 problem with a stable `code`.
//! Each code's status is decided here, in [`codes!`], and nowhere else; control flow compares
//! [`Code`] variants, never strings.

use serde_json::{json, Map, Value};

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:literal;)*) => {
        /// Every stable `code` a problem can carry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($(#[$doc])* $variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }
            pub fn parse(s: &str) -> Option<Code> {
                Self::ALL.iter().copied().find(|c| c.as_str() == s)
            }
        }
    };
}

codes! {
    /// The request body is not valid JSON for the route, or a field is of the wrong type.
    InvalidBody = "invalid_body", 400;
    BodyRequired = "body_required", 400;
    /// A field failed validation; the problem names it in `field`.
    ValidationFailed = "validation_failed", 400;
    InvalidCursor = "invalid_cursor", 400;
    NothingToUpdate = "nothing_to_update", 400;
    /// A typed confirmation (the organization's name) does not match exactly.
    ConfirmationMismatch = "confirmation_mismatch", 400;
    UnknownPermission = "unknown_permission", 400;
    AlreadyOwner = "already_owner", 400;
    /// A non-HTTP event that cannot be used (a trigger's payload).
    InvalidEvent = "invalid_event", 400;
    Unauthenticated = "unauthenticated", 401;
    /// An `Idempotency-Key` header that cannot be one (empty, over 255 characters, not printable ASCII).
    InvalidIdempotencyKey = "invalid_idempotency_key", 400;
    SeatLimitReached = "seat_limit_reached", 402;
    Forbidden = "forbidden", 403;
    RoleAboveYours = "role_above_yours", 403;
    MemberAboveYou = "member_above_you", 403;
    /// A project grant above the caller's own effective role on the project.
    GrantAboveYou = "grant_above_you", 403;
    OrgLimitReached = "org_limit_reached", 403;
    EmailNotVerified = "email_not_verified", 403;
    /// The organization requires a second factor and the caller's token shows none.
    MfaRequired = "mfa_required", 403;
    /// The caller's membership is deactivated (by an admin or the organization's directory).
    MemberDeactivated = "member_deactivated", 403;
    /// An API key asked for what only a person may do (credentials, roles, settings, ownership,
    /// closure, billing), whatever its role.
    PersonRequired = "person_required", 403;
    /// The organization does not let its API keys call the API (`settings.apiKeysMayCallApi`).
    ApiKeyCallsDisabled = "api_key_calls_disabled", 403;
    /// The organization accepts members only from its allowed email domains.
    EmailDomainNotAllowed = "email_domain_not_allowed", 403;
    InvitationEmailMismatch = "invitation_email_mismatch", 403;
    OrgNotFound = "org_not_found", 404;
    MemberNotFound = "member_not_found", 404;
    InvitationNotFound = "invitation_not_found", 404;
    TeamNotFound = "team_not_found", 404;
    ProjectNotFound = "project_not_found", 404;
    /// No grant for this principal on the project (or no such team member).
    GrantNotFound = "grant_not_found", 404;
    TeamMemberNotFound = "team_member_not_found", 404;
    IntegrationNotFound = "integration_not_found", 404;
    ApiKeyNotFound = "api_key_not_found", 404;
    ScimTokenNotFound = "scim_token_not_found", 404;
    /// No webhook endpoint with this id in the organization.
    WebhookNotFound = "webhook_not_found", 404;
    /// No message with this id to the webhook endpoint (or it expired).
    WebhookMessageNotFound = "webhook_message_not_found", 404;
    /// SCIM: no resource with this id in the directory (`scimType` none).
    ScimResourceNotFound = "scim_resource_not_found", 404;
    /// SCIM `invalidFilter`: a filter the directory does not answer.
    ScimInvalidFilter = "scim_invalid_filter", 400;
    /// SCIM `invalidValue`: a required attribute missing, or a value of the wrong type or size.
    ScimInvalidValue = "scim_invalid_value", 400;
    /// SCIM `invalidSyntax`: a request body that is not a SCIM message.
    ScimInvalidSyntax = "scim_invalid_syntax", 400;
    /// SCIM `invalidPath` / `noTarget`: a PATCH path the directory does not know.
    ScimInvalidPath = "scim_invalid_path", 400;
    /// SCIM `uniqueness`: `userName` or a group's `displayName` is taken.
    ScimUniqueness = "scim_uniqueness", 409;
    /// SCIM: the endpoint exists but not with this method.
    ScimMethodNotAllowed = "scim_method_not_allowed", 405;
    /// SCIM: an operation the directory does not implement (bulk, sorting, `/Me`).
    ScimNotImplemented = "scim_not_implemented", 501;
    /// No custom role with this id in the organization.
    RoleNotFound = "role_not_found", 404;
    /// The organization has no such domain (`{domain}` in the path).
    DomainNotFound = "domain_not_found", 404;
    /// No membership request with this id in the organization.
    MembershipRequestNotFound = "membership_request_not_found", 404;
    /// The one answer for every invitation code that cannot be used.
    InvitationInvalid = "invitation_invalid", 404;
    ConcurrentUpdate = "concurrent_update", 409;
    /// A request with this `Idempotency-Key` is still in flight: retry after `Retry-After`.
    IdempotencyKeyInFlight = "idempotency_key_in_flight", 409;
    /// This `Idempotency-Key` was used (within 24 hours) for another request: another method,
    /// path or body.
    IdempotencyKeyReused = "idempotency_key_reused", 422;
    YourRoleChanged = "your_role_changed", 409;
    OrgClosed = "org_closed", 409;
    OrgNotClosed = "org_not_closed", 409;
    /// The purge of a closed organization has started: no reactivation.
    PurgeStarted = "purge_started", 409;
    SlugTaken = "slug_taken", 409;
    AlreadyMember = "already_member", 409;
    OwnerOnlyByTransfer = "owner_only_by_transfer", 409;
    OwnerRoleFixed = "owner_role_fixed", 409;
    OwnerCannotLeave = "owner_cannot_leave", 409;
    /// The owner is never deactivated, and nobody deactivates themselves.
    CannotDeactivate = "cannot_deactivate", 409;
    InvitationNotPending = "invitation_not_pending", 409;
    SeatsExceedPlan = "seats_exceed_plan", 409;
    /// Guests see only the projects granted to them directly; teams are for members.
    GuestCannotJoinTeam = "guest_cannot_join_team", 409;
    /// A member on teams cannot become a guest until they leave their teams.
    MemberOnTeams = "member_on_teams", 409;
    /// The team is a group of the organization's directory: SCIM changes its name and members.
    ManagedByDirectory = "managed_by_directory", 409;
    /// A documented limit (teams per organization, members per team, grants per project or
    /// member); the problem names it in `limit` with its `max`.
    LimitReached = "limit_reached", 409;
    /// A custom role that members, pending invitations or API keys hold cannot be deleted; the
    /// problem counts them in `holders`.
    RoleInUse = "role_in_use", 409;
    /// Another role of the organization has this name (case-insensitive), or it is a system role's.
    RoleNameTaken = "role_name_taken", 409;
    /// Another organization has verified this domain; it is one organization's at a time.
    DomainTaken = "domain_taken", 409;
    /// The organization has this domain already.
    DomainExists = "domain_exists", 409;
    /// You asked to join already (pending, or rejected less than 30 days ago).
    MembershipRequestExists = "membership_request_exists", 409;
    /// A verified domain's enrollment no longer holds: its role grew beyond what a domain gives
    /// since it was set, or whoever set it no longer holds that role; an admin sets it again.
    EnrollmentLapsed = "enrollment_lapsed", 409;
    /// An expired API key is not rolled (its new secret would never verify); create a new key.
    ApiKeyExpired = "api_key_expired", 409;
    /// The integration named is not of the kind this needs (a default storage that is no storage provider).
    WrongIntegrationKind = "wrong_integration_kind", 409;
    /// Internal only: the personal organization exists already (the idempotent path).
    PersonalOrgExists = "personal_org_exists", 409;
    /// The webhook endpoint is disabled: enable it before sending it a test or a message again.
    WebhookDisabled = "webhook_disabled", 409;
    /// The message is still being delivered (an attempt is in flight or a retry is due).
    WebhookMessagePending = "webhook_message_pending", 409;
    BodyTooLarge = "body_too_large", 413;
    ResendTooSoon = "resend_too_soon", 429;
    ResendLimitReached = "resend_limit_reached", 429;
    /// The organization sent its invitation emails for today.
    InvitationEmailLimit = "invitation_email_limit", 429;
    /// Today's invitation emails to this address from this organization are sent.
    RecipientEmailLimit = "recipient_email_limit", 429;
    /// The organization received its membership requests for today.
    MembershipRequestLimit = "membership_request_limit", 429;
    InternalError = "internal_error", 500;
    ServiceUnavailable = "service_unavailable", 503;
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem reported to the caller. 4xx codes carry a message that says what to fix;
/// `InternalError` never carries internal details (they are logged, not returned).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    /// Extra members of the problem object (for example the seat limit and the plan).
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
    /// What went wrong on our side, for the log only; never part of the response.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
            cause: None,
        }
    }
    pub fn status(&self) -> u16 {
        self.code.status()
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "Send a valid bearer token in the Authorization header.",
        )
    }
    pub fn validation(field: &str, detail: impl Into<String>) -> Self {
        Self::new(Code::ValidationFailed, detail).with("field", field)
    }
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            Code::Forbidden,
            format!("Your role does not include the permission `{permission}`."),
        )
        .with("permission", permission)
    }
    /// What an API key asked for that only a person may do.
    pub fn person_required(permission: &str) -> Self {
        Self::new(
            Code::PersonRequired,
            format!("Only a person may do this (it needs `{permission}`: credentials, roles, settings, ownership, closure and billing are managed by people, whatever an API key's role holds). Sign in and do it yourself."),
        )
        .with("permission", permission)
    }
    /// Unknown organization and "not a member" look the same to a non-member.
    pub fn org_not_found() -> Self {
        Self::new(
            Code::OrgNotFound,
            "No organization with this id is visible to you.",
        )
    }
    /// A documented limit reached: 409 `limit_reached` naming the limit and its maximum.
    pub fn limit(limit: &str, max: usize, detail: impl Into<String>) -> Self {
        Self::new(Code::LimitReached, detail)
            .with("limit", limit)
            .with("max", max)
    }
    /// The organization requires a second factor the caller's token does not show.
    pub fn mfa_required() -> Self {
        Self::new(
            Code::MfaRequired,
            "This organization requires multi-factor authentication: sign in again with a second factor (an authenticator app, a security key) and retry with the new token.",
        )
    }
    /// The one answer for every invitation code that cannot be used, whatever the reason (a
    /// guessed, revoked, expired or used-up code, a closed organization, an inviter who lost the
    /// right): the refusal tells nothing.
    pub fn invitation_invalid() -> Self {
        Self::new(
            Code::InvitationInvalid,
            "This invitation is invalid or can no longer be used. Ask the organization for a new one.",
        )
    }
    /// The answer to a caller who is a member of the organization already (an invitation or a
    /// verified domain they would join through).
    pub fn already_member(org_name: &str, org_id: &str) -> Self {
        Self::new(
            Code::AlreadyMember,
            format!("You are already a member of {org_name}; nothing changed."),
        )
        .with("orgId", org_id)
    }
    pub fn org_closed() -> Self {
        Self::new(
            Code::OrgClosed,
            "The organization is closed and read-only during its grace period; reactivate it to make changes.",
        )
    }
    pub fn invalid_cursor() -> Self {
        Self::new(
            Code::InvalidCursor,
            "`cursor` is not a cursor this list returned; start again without it.",
        )
    }
    /// A write lost a race that a retry may win.
    pub fn concurrent(detail: impl Into<String>) -> Self {
        Self::new(Code::ConcurrentUpdate, detail)
    }
    /// Our fault. The cause is logged when the error is answered; the caller gets nothing internal.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            Code::InternalError,
            "Something went wrong on our side. Try again later.",
        );
        e.cause = Some(cause.to_string());
        e
    }
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            Code::ServiceUnavailable,
            "A dependency is temporarily unavailable. Try again shortly.",
        )
        .retry_after(1);
        e.cause = Some(cause.to_string());
        e
    }

    pub fn title(&self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            413 => "Content Too Large",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// The problem+json body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("urn:orgs:problem:{}", self.code),
            "title": self.title(),
            "status": self.status(),
            "code": self.code.as_str(),
            "detail": self.detail,
        });
        if let Value::Object(map) = &mut body {
            // An extra never replaces a member RFC 9457 defines (`status` stays the HTTP status).
            for (k, v) in &self.extra {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(c
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!((400..600).contains(&c.status()));
            assert_eq!(Code::parse(c.as_str()), Some(*c));
        }
    }
}
