//! Every error a caller can see: an RFC 9457 problem with a stable `code`.
//! The status and code of each variant are decided here and nowhere else.

use serde_json::{json, Map, Value};

/// A problem reported to the caller. 4xx variants carry a message that says what to fix;
/// `Internal` never carries internal details (they are logged, not returned).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    /// Extra members of the problem object (for example the seat limit and the plan).
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
    /// What went wrong on our side, for the log only; never part of the response.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
            cause: None,
        }
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
            401,
            "unauthenticated",
            "Send a valid bearer token in the Authorization header.",
        )
    }
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(400, code, detail)
    }
    pub fn validation(field: &str, detail: impl Into<String>) -> Self {
        Self::new(400, "validation_failed", detail).with("field", field)
    }
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            403,
            "forbidden",
            format!("Your role does not include the permission `{permission}`."),
        )
        .with("permission", permission)
    }
    /// Unknown organization and "not a member" look the same to a non-member.
    pub fn org_not_found() -> Self {
        Self::new(
            404,
            "org_not_found",
            "No organization with this id is visible to you.",
        )
    }
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(404, code, detail)
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(409, code, detail)
    }
    pub fn org_read_only() -> Self {
        Self::new(
            409,
            "org_read_only",
            "The organization is closed and read-only during its grace period; reactivate it to make changes.",
        )
    }
    /// Our fault. The cause is logged when the error is answered; the caller gets nothing internal.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            500,
            "internal_error",
            "Something went wrong on our side. Try again later.",
        );
        e.cause = Some(cause.to_string());
        e
    }
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            503,
            "service_unavailable",
            "A dependency is temporarily unavailable. Try again shortly.",
        )
        .retry_after(1);
        e.cause = Some(cause.to_string());
        e
    }

    pub fn title(&self) -> &'static str {
        match self.status {
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            410 => "Gone",
            413 => "Content Too Large",
            415 => "Unsupported Media Type",
            422 => "Unprocessable Content",
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
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        });
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extra {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
