//! Expression values and names. A value goes through the same serializer as the items
//! (serde_dynamo), so a timestamp or an enum in a condition has exactly the stored format.

use crate::error::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Default, Clone, Debug)]
pub struct Expr {
    values: HashMap<String, AttributeValue>,
    names: HashMap<String, String>,
    /// A value that did not serialize; reported when the expression is used.
    error: Option<String>,
}

impl Expr {
    pub fn new() -> Self {
        Self::default()
    }
    /// `:placeholder` = `value`, serialized like a stored attribute.
    pub fn value<T: Serialize + ?Sized>(mut self, placeholder: &str, value: &T) -> Self {
        match serde_dynamo::to_attribute_value::<_, AttributeValue>(value) {
            Ok(av) => {
                self.values.insert(placeholder.into(), av);
            }
            Err(e) => self.error = Some(format!("{placeholder}: {e}")),
        }
        self
    }
    /// `:placeholder` = a string set of one or more members (for `ADD`/`DELETE` on a set attribute
    /// and `contains`); stored as `#[serde(with = "serde_dynamo::string_set")]`.
    pub fn set<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        placeholder: &str,
        members: I,
    ) -> Self {
        let members: Vec<String> = members.into_iter().map(Into::into).collect();
        if members.is_empty() {
            self.error = Some(format!("{placeholder}: an empty string set"));
        } else {
            self.values
                .insert(placeholder.into(), AttributeValue::Ss(members));
        }
        self
    }
    /// `#placeholder` = attribute name (for reserved words such as `status`, `role`, `plan`).
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }
    /// This expression's values and names together with `other`'s (placeholders must differ).
    pub(crate) fn merge(mut self, other: &Expr) -> Self {
        self.values
            .extend(other.values.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.names
            .extend(other.names.iter().map(|(k, v)| (k.clone(), v.clone())));
        if self.error.is_none() {
            self.error = other.error.clone();
        }
        self
    }
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        match &self.error {
            Some(e) => Err(ApiError::internal(format!("expression value: {e}"))),
            None => Ok(()),
        }
    }
    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    pub(crate) fn remove_name(&mut self, placeholder: &str) {
        self.names.remove(placeholder);
    }
}
