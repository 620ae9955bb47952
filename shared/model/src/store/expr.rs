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
    /// This expression's values and names together with `other`'s. A placeholder both define
    /// with different meanings is an error when the expression is used (never a silent pick).
    pub(crate) fn merge(mut self, other: &Expr) -> Self {
        for (k, v) in &other.values {
            if self.values.get(k).is_some_and(|mine| mine != v) {
                self.error = Some(format!("{k} means two values"));
            }
            self.values.insert(k.clone(), v.clone());
        }
        for (k, v) in &other.names {
            if self.names.get(k).is_some_and(|mine| mine != v) {
                self.error = Some(format!("{k} names two attributes"));
            }
            self.names.insert(k.clone(), v.clone());
        }
        if self.error.is_none() {
            self.error = other.error.clone();
        }
        self
    }
    /// The same expression with every placeholder renamed `:<prefix><name>` / `#<prefix><name>`
    /// (what [`prefixed`] does to the expression strings that use it).
    pub(crate) fn prefixed(&self, prefix: &str) -> Self {
        let rename = |k: &String| format!("{}{prefix}{}", &k[..1], &k[1..]);
        Self {
            values: self
                .values
                .iter()
                .map(|(k, v)| (rename(k), v.clone()))
                .collect(),
            names: self
                .names
                .iter()
                .map(|(k, v)| (rename(k), v.clone()))
                .collect(),
            error: self.error.clone(),
        }
    }
    pub(crate) fn value_of(&self, placeholder: &str) -> Option<&AttributeValue> {
        self.values.get(placeholder)
    }
    pub(crate) fn name_of(&self, placeholder: &str) -> Option<&str> {
        self.names.get(placeholder).map(String::as_str)
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

/// `expression` with every placeholder (`:name`, `#name`) renamed `:<prefix>name`, `#<prefix>name`:
/// fragments joined on one item each get their own prefix, so two of them can never share one.
pub(crate) fn prefixed(expression: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(expression.len() + 16);
    let mut chars = expression.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if (c == ':' || c == '#')
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
        {
            out.push_str(prefix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixing_renames_every_placeholder_and_nothing_else() {
        assert_eq!(
            prefixed("seatsUsed <= :max AND #p = :p AND m.#k.n >= :max", "f1_"),
            "seatsUsed <= :f1_max AND #f1_p = :f1_p AND m.#f1_k.n >= :f1_max"
        );
        let e = Expr::new()
            .value(":max", &3)
            .name("#p", "plan")
            .prefixed("f1_");
        assert!(e.value_of(":f1_max").is_some() && e.name_of("#f1_p") == Some("plan"));
    }

    #[test]
    fn a_placeholder_with_two_meanings_is_an_error_not_a_pick() {
        let a = Expr::new().value(":max", &3);
        assert!(a
            .clone()
            .merge(&Expr::new().value(":max", &3))
            .check()
            .is_ok());
        assert!(a.merge(&Expr::new().value(":max", &50)).check().is_err());
    }
}
