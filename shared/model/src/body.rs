//! Request bodies made of validated values: parse, don't validate. A body is a struct whose fields
//! are `Parsed<T>`: deserializing the body parses each field by `T`'s own rules (`Parse`), so a
//! handler receives an `Email`, a `DisplayName`, a bounded number of days, never a `String` it must
//! remember to check. The same type states the field's schema (behind the `openapi` feature, which
//! no function links): the spec's bounds are the type's constants, written once.
//!
//! A refusal is the type's own `ApiError` (400 `validation_failed` naming the field): serde only
//! carries strings, so the refusal waits in a thread-local slot until the caller that knows the
//! field's path (`Input::json`) asks the type to parse again under that name.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use std::cell::RefCell;

/// A value a request body carries, built only by parsing its JSON form.
pub trait Parse: Sized {
    /// The JSON form: a string, a number, a list of strings.
    type Raw: DeserializeOwned + Clone + 'static;
    /// The value, or why not (naming `field`, the body's path to it).
    fn parse(field: &str, raw: Self::Raw) -> Result<Self, ApiError>;
    /// The JSON Schema of what `parse` accepts: its type and the bounds it enforces.
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value;
}

type Refusal = Box<dyn FnOnce(&str) -> ApiError>;

thread_local! {
    /// The refusal of the body being read: parsing again under the field's name gives its error.
    static REFUSAL: RefCell<Option<Refusal>> = const { RefCell::new(None) };
}

/// Forgets a refusal a previous body left (call before reading a body).
pub fn clear_refusal() {
    REFUSAL.with(|r| r.borrow_mut().take());
}

/// The error of the value the last read refused, named `field`; `None` when serde refused the
/// body itself (a wrong JSON type, an unknown field).
pub fn take_refusal(field: &str) -> Option<ApiError> {
    REFUSAL
        .with(|r| r.borrow_mut().take())
        .map(|again| again(field))
}

/// A body field parsed by `T`'s rules while the body is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T>(pub T);

impl<T> Parsed<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Parsed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A field left out takes the type's default (`#[serde(default)]` on the field).
impl<T: Default> Default for Parsed<T> {
    fn default() -> Self {
        Self(T::default())
    }
}

impl<'de, T: Parse + 'static> serde::Deserialize<'de> for Parsed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = T::Raw::deserialize(d)?;
        match T::parse("", raw.clone()) {
            Ok(v) => Ok(Self(v)),
            Err(_) => {
                let again: Refusal = Box::new(move |field: &str| match T::parse(field, raw) {
                    Err(e) => e,
                    Ok(_) => ApiError::validation(field, format!("`{field}` is not valid.")),
                });
                REFUSAL.with(|r| *r.borrow_mut() = Some(again));
                Err(serde::de::Error::custom("refused by its type"))
            }
        }
    }
}

#[cfg(feature = "openapi")]
impl<T: Parse> schemars::JsonSchema for Parsed<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("Value")
            .to_string()
            .into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::Schema::try_from(T::schema()).expect("a Parse schema is a JSON object")
    }
}
