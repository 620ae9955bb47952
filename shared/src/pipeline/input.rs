//! What a handler gets of the HTTP request: path and query parameters and the raw body.

use crate::error::{ApiError, ApiResult, Code};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Input {
    pub path: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Input {
    pub fn path_param(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    /// The JSON body as `T`; a clear 400 naming what is wrong otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                Code::BodyRequired,
                "Send a JSON object as the request body.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            // serde's message names the field and what it expected; it contains only the caller's input.
            ApiError::new(
                Code::InvalidBody,
                format!("The request body is not valid: {e}."),
            )
        })
    }
    /// A string field of a JSON object body, if the body is one and has it.
    pub fn body_field(&self, name: &str) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get(name)?
            .as_str()
            .map(str::to_string)
    }
    /// `?limit=` between 1 and 100, default 20.
    pub fn limit(&self) -> ApiResult<u32> {
        match self.query("limit") {
            None => Ok(20),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                _ => Err(ApiError::validation(
                    "limit",
                    "`limit` must be a whole number from 1 to 100.",
                )),
            },
        }
    }
    pub fn cursor(&self) -> Option<&str> {
        self.query("cursor")
    }
}
