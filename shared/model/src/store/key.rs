//! Keys and the contract every stored item type fulfils. The concepts own their key formats
//! (each item type derives its key from its ids); this module only carries them.

use super::Item;
use crate::domain::OrgId;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

/// The partition of an organization: its item and every item it owns (members, invitations,
/// teams, projects, integrations, the tombstone) share it, so one query reads what it owns.
pub fn org_pk(org: &OrgId) -> String {
    format!("ORG#{org}")
}

/// The primary key of an item: partition (`PK`) and sort key (`SK`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
    pub fn to_item(&self) -> Item {
        HashMap::from([
            ("PK".to_string(), AttributeValue::S(self.pk.clone())),
            ("SK".to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }
    /// The key of a stored item.
    pub fn of_item(item: &Item) -> Option<Self> {
        let s = |n: &str| item.get(n).and_then(|v| v.as_s().ok()).cloned();
        Some(Self::new(s("PK")?, s("SK")?))
    }
}

/// A stored item type: one serde struct, its `entity_type`, and a key derived from its ids.
pub trait Entity: Serialize + DeserializeOwned {
    /// The value of `entity_type` on every item of this type.
    const TYPE: &'static str;
    fn key(&self) -> Key;
}

/// The entity type of a stored item.
pub fn entity_type(item: &Item) -> Option<&str> {
    item.get("entity_type")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}
