//! Cursors: opaque to callers, bound to the partition they page through.

use super::Item;
use crate::error::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The partition the page belongs to (the query's PK or GSI1PK value).
    p: String,
    /// LastEvaluatedKey as strings (every key attribute of this table is a string).
    k: HashMap<String, String>,
}

pub fn encode_cursor(partition: &str, lek: &Item) -> String {
    let k = lek
        .iter()
        .filter_map(|(name, v)| v.as_s().ok().map(|s| (name.clone(), s.clone())))
        .collect();
    let json = serde_json::to_vec(&CursorData {
        p: partition.to_string(),
        k,
    })
    .unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor(partition: &str, cursor: &str) -> Result<Item, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| ApiError::invalid_cursor())?;
    let data: CursorData =
        serde_json::from_slice(&bytes).map_err(|_| ApiError::invalid_cursor())?;
    if data.p != partition || !data.k.contains_key("PK") || !data.k.contains_key("SK") {
        return Err(ApiError::invalid_cursor());
    }
    Ok(data
        .k
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::store::Key;

    #[test]
    fn cursor_round_trip_and_partition_check() {
        let lek = Key::new("PART#a", "ITEM#u").to_item();
        let c = encode_cursor("PART#a", &lek);
        assert_eq!(decode_cursor("PART#a", &c).unwrap(), lek);
        assert_eq!(
            decode_cursor("PART#b", &c).unwrap_err().code,
            Code::InvalidCursor
        );
        assert_eq!(
            decode_cursor("PART#a", "!!").unwrap_err().code,
            Code::InvalidCursor
        );
    }
}
