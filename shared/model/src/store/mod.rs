//! The generic DynamoDB layer: reads, query pages, cursors, expressions and the transaction
//! builder. It knows no concept; each concept's `item.rs` owns its key formats and expressions.
//! See docs/data-model.md for every access pattern and the key condition that serves it.

mod cond;
mod cursor;
mod expr;
mod key;
mod tx;

pub use cursor::{decode_cursor, encode_cursor};
pub use expr::Expr;
pub use key::{entity_type, org_pk, Entity, Key};
pub use tx::Tx;

use crate::error::ApiError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// The secondary index every list that is not an organization's partition goes through.
pub const GSI1: &str = "GSI1";

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

/// The store: a DynamoDB client and the table name.
#[derive(Clone)]
pub struct Store {
    pub client: Client,
    pub table: String,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Clone)]
pub enum SortCond {
    Any,
    BeginsWith(String),
    Between(String, String),
}

/// One Query: the partition (`PK`, or `GSI1PK` with `index`), the sort-key condition, an
/// optional filter with its values, the page size and where to start.
#[derive(Clone)]
pub struct QuerySpec {
    pub partition: String,
    pub index: Option<&'static str>,
    pub sort: SortCond,
    pub filter: Option<String>,
    pub expr: Expr,
    pub limit: u32,
    pub start: Option<Item>,
    pub newest_first: bool,
    /// Read only the table's keys (`PK`, `SK`).
    pub keys_only: bool,
}

impl QuerySpec {
    pub fn new(partition: impl Into<String>, sort: SortCond, limit: u32) -> Self {
        Self {
            partition: partition.into(),
            index: None,
            sort,
            filter: None,
            expr: Expr::new(),
            limit,
            start: None,
            newest_first: false,
            keys_only: false,
        }
    }
    pub fn on_index(mut self, index: &'static str) -> Self {
        self.index = Some(index);
        self
    }
    pub fn filter(mut self, filter: impl Into<String>, expr: Expr) -> Self {
        self.filter = Some(filter.into());
        self.expr = expr;
        self
    }
    /// The key condition and the expression values and names it and the filter use.
    fn key_condition(&self) -> Result<(String, Expr), ApiError> {
        let (pk_attr, sk_attr) = match self.index {
            Some(_) => ("GSI1PK", "GSI1SK"),
            None => ("PK", "SK"),
        };
        let mut expr = self
            .expr
            .clone()
            .value(":pk", &self.partition)
            .name("#pk", pk_attr)
            .name("#sk", sk_attr);
        let mut key_condition = "#pk = :pk".to_string();
        match &self.sort {
            SortCond::Any => expr.remove_name("#sk"),
            SortCond::BeginsWith(p) => {
                key_condition.push_str(" AND begins_with(#sk, :skp)");
                expr = expr.value(":skp", p);
            }
            SortCond::Between(a, b) => {
                key_condition.push_str(" AND #sk BETWEEN :ska AND :skb");
                expr = expr.value(":ska", a).value(":skb", b);
            }
        }
        expr.check()?;
        Ok((key_condition, expr))
    }
    /// Continues after the position a cursor of this partition encodes.
    pub fn after(mut self, cursor: Option<&str>) -> Result<Self, ApiError> {
        self.start = cursor
            .map(|c| decode_cursor(&self.partition, c))
            .transpose()?;
        Ok(self)
    }
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Strongly consistent BatchGetItem of up to 100 keys (duplicates are read once).
    /// Unprocessed keys (only under throttling) are retried.
    pub async fn batch_get(&self, keys: Vec<Key>) -> Result<Vec<Item>, ApiError> {
        let mut unique: Vec<Key> = Vec::with_capacity(keys.len());
        for k in keys {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        let mut out = Vec::new();
        if unique.is_empty() {
            return Ok(out);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(unique.iter().map(Key::to_item).collect()))
            .consistent_read(true)
            .build()
            .map_err(ApiError::internal)?;
        for _ in 0..5 {
            let resp = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|e| crate::aws::failure("BatchGetItem", &e))?;
            if let Some(mut r) = resp.responses {
                out.extend(r.remove(&self.table).unwrap_or_default());
            }
            match resp
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                Some(rest) if !rest.keys().is_empty() => pending = rest,
                _ => return Ok(out),
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(ApiError::unavailable("BatchGetItem left keys unprocessed"))
    }

    /// One conditional UpdateItem outside any transaction: `Ok(false)` when the condition did
    /// not hold (nothing written). For bookkeeping that no decision rests on (a key's last use).
    pub async fn update_if(
        &self,
        key: Key,
        update: &str,
        condition: &str,
        expr: Expr,
    ) -> Result<bool, ApiError> {
        expr.check()?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(crate::aws::failure("UpdateItem", &e)),
        }
    }

    /// Reads items of one type by key in one BatchGetItem (missing ones are skipped).
    pub async fn batch_get_as<T: Entity>(&self, keys: Vec<Key>) -> Result<Vec<T>, ApiError> {
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// One Query page. Returns the items and the LastEvaluatedKey.
    pub async fn query_page(&self, q: QuerySpec) -> Result<(Vec<Item>, Option<Item>), ApiError> {
        let (key_condition, expr) = q.key_condition()?;
        let has_start = q.start.is_some();
        let resp = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.map(str::to_string))
            .key_condition_expression(key_condition)
            .set_filter_expression(q.filter)
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .set_exclusive_start_key(q.start)
            .set_projection_expression(q.keys_only.then(|| "PK, SK".to_string()))
            .scan_index_forward(!q.newest_first)
            .limit(q.limit as i32)
            .set_consistent_read(q.index.is_none().then_some(true))
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_dynamodb::error::ProvideErrorMetadata;
                // A cursor that decodes but does not fit this query's key schema.
                if has_start && e.code() == Some("ValidationException") {
                    return ApiError::invalid_cursor();
                }
                crate::aws::failure("Query", &e)
            })?;
        Ok((resp.items.unwrap_or_default(), resp.last_evaluated_key))
    }

    /// Deletes items by key with BatchWriteItem, 25 per request, retrying unprocessed ones
    /// (deleting an absent item is no error, so a re-run is harmless). Returns the requests made.
    pub async fn batch_delete(&self, keys: &[Key]) -> Result<usize, ApiError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let mut requests = 0;
        for chunk in keys.chunks(25) {
            let mut writes: Vec<WriteRequest> = chunk
                .iter()
                .map(|k| {
                    WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(k.to_item()))
                                .build()
                                .expect("a key"),
                        )
                        .build()
                })
                .collect();
            let mut attempt = 0u64;
            while !writes.is_empty() {
                requests += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, writes)
                    .send()
                    .await
                    .map_err(|e| crate::aws::failure("BatchWriteItem", &e))?;
                writes = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if !writes.is_empty() {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt.min(10)))
                        .await;
                }
            }
        }
        Ok(requests)
    }

    /// The keys of one page of a query (at most `limit`), and whether more follow.
    pub async fn keys_page(&self, mut q: QuerySpec) -> Result<(Vec<Key>, bool), ApiError> {
        q.keys_only = true;
        let (items, lek) = self.query_page(q).await?;
        Ok((
            items.iter().filter_map(Key::of_item).collect(),
            lek.is_some(),
        ))
    }

    /// Counts what a query matches (its filter) and what it reads (the key condition alone),
    /// paging through the whole key range: `(matched, read)`.
    pub async fn count(&self, q: QuerySpec) -> Result<(u64, u64), ApiError> {
        let (key_condition, expr) = q.key_condition()?;
        let (mut matched, mut read, mut start) = (0u64, 0u64, None);
        loop {
            let resp = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(str::to_string))
                .key_condition_expression(&key_condition)
                .set_filter_expression(q.filter.clone())
                .set_expression_attribute_values(expr.values())
                .set_expression_attribute_names(expr.names())
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .set_consistent_read(q.index.is_none().then_some(true))
                .send()
                .await
                .map_err(|e| crate::aws::failure("Query (count)", &e))?;
            matched += resp.count() as u64;
            read += resp.scanned_count() as u64;
            match resp.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok((matched, read)),
            }
        }
    }

    /// One page of a list in one partition: one Query, items mapped, the cursor of the next page.
    pub async fn page_of<T: DeserializeOwned>(&self, q: QuerySpec) -> Result<Page<T>, ApiError> {
        let partition = q.partition.clone();
        let (items, lek) = self.query_page(q).await?;
        let items = items
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<T>, _>>()?;
        Ok(Page {
            items,
            next_cursor: lek.map(|k| encode_cursor(&partition, &k)),
        })
    }
}

/// One page of a sorted set of ids that an item holds (a team's members, a guest's projects):
/// the ids after the cursor's, at most `limit`, and the next page's cursor, bound to `scope`.
pub fn page_of_ids<'a>(
    scope: &str,
    ids: impl IntoIterator<Item = &'a str>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<String>, ApiError> {
    let after = cursor
        .map(|c| decode_cursor(scope, c))
        .transpose()?
        .and_then(|k| k.get("SK").and_then(|v| v.as_s().ok()).cloned());
    let mut rest = ids
        .into_iter()
        .filter(|id| after.as_deref().is_none_or(|a| *id > a));
    let items: Vec<String> = rest
        .by_ref()
        .take(limit as usize)
        .map(str::to_string)
        .collect();
    let next_cursor = match (rest.next(), items.last()) {
        (Some(_), Some(last)) => Some(encode_cursor(
            scope,
            &Key::new(scope, last.as_str()).to_item(),
        )),
        _ => None,
    };
    Ok(Page { items, next_cursor })
}

/// A count per UTC day (an item of its own, `entity_type` as given, removed by TTL two days
/// later): one more in `tx`, refused with `on_fail` once it reached `limit`. Returns the seconds
/// until the next day begins, for a `Retry-After`.
pub fn count_today(
    tx: Tx,
    key: Key,
    entity_type: &str,
    limit: u32,
    now: crate::domain::Timestamp,
    on_fail: ApiError,
) -> Result<Tx, ApiError> {
    let ttl = (now + chrono::Duration::days(2)).epoch_seconds();
    tx.update(
        key,
        "SET #n = if_not_exists(#n, :zero) + :one, entity_type = :type, #ttl = :ttl",
        Some("attribute_not_exists(#n) OR #n < :limit"),
        Expr::new()
            .name("#n", "sent")
            .name("#ttl", "ttl")
            .value(":zero", &0)
            .value(":one", &1)
            .value(":limit", &limit)
            .value(":type", entity_type)
            .value(":ttl", &ttl),
        on_fail,
    )
}

/// Seconds from `now` to the next UTC midnight (at least 1): a daily limit's `Retry-After`.
pub fn seconds_to_next_day(now: crate::domain::Timestamp) -> u64 {
    let midnight = (now.as_datetime().date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    (midnight - now.as_datetime()).num_seconds().max(1) as u64
}
