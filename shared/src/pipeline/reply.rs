//! A successful answer: a status and a typed body.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    /// Headers beyond the content type (a created SCIM resource's `Location`).
    pub headers: Vec<(&'static str, String)>,
}

/// A page of a list: `{ "items": [...], "nextCursor": ... }`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl Reply {
    fn with<T: Serialize>(status: u16, body: &T) -> Self {
        // Views are plain structs of strings, numbers and maps: serializing them cannot fail.
        Self {
            status,
            body: Some(serde_json::to_value(body).unwrap_or(Value::Null)),
            headers: Vec::new(),
        }
    }
    pub fn ok<T: Serialize>(body: &T) -> Self {
        Self::with(200, body)
    }
    pub fn created<T: Serialize>(body: &T) -> Self {
        Self::with(201, body)
    }
    /// 202: the work was queued (its outcome is to be read elsewhere).
    pub fn accepted<T: Serialize>(body: &T) -> Self {
        Self::with(202, body)
    }
    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
    pub fn list<T: Serialize>(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Self::ok(&ListView { items, next_cursor })
    }
}
