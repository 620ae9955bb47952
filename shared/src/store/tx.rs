//! TransactWriteItems with per-item error mapping: each item says which error its failed
//! condition means, and a cancelled transaction answers the first failed item's error.

use super::{to_item, Entity, Expr, Key, Store};
use crate::error::ApiError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};

/// A transaction under construction.
pub struct Tx {
    table: String,
    items: Vec<TransactWriteItem>,
    on_fail: Vec<ApiError>,
}

impl Tx {
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_string(),
            items: Vec::new(),
            on_fail: Vec::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Put a new item; fails with `on_fail` if an item with the same key exists.
    pub fn put_new<T: Entity>(self, item: &T, on_fail: ApiError) -> Result<Self, ApiError> {
        self.put(item, Some("attribute_not_exists(PK)"), Expr::new(), on_fail)
    }
    pub fn put<T: Entity>(
        mut self,
        item: &T,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn update(
        mut self,
        key: Key,
        update: &str,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        let u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression(update)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().update(u).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn delete(
        mut self,
        key: Key,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().delete(d).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
    pub fn check(
        mut self,
        key: Key,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        let c = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .condition_expression(condition)
            .set_expression_attribute_values(expr.values())
            .set_expression_attribute_names(expr.names())
            .build()
            .map_err(ApiError::internal)?;
        self.items
            .push(TransactWriteItem::builder().condition_check(c).build());
        self.on_fail.push(on_fail);
        Ok(self)
    }
}

impl Store {
    pub fn tx(&self) -> Tx {
        Tx::new(&self.table)
    }

    /// Runs a transaction. A failed condition maps to the error of the item that failed;
    /// pure write conflicts with a concurrent transaction are retried a few times
    /// (every transaction here is fully conditional, so a retry re-checks everything).
    pub async fn commit(&self, tx: Tx) -> Result<(), ApiError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
        let mut attempt = 0u32;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(tx.items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            match err.into_service_error() {
                E::TransactionCanceledException(e) => {
                    let reasons = e.cancellation_reasons();
                    if let Some(mapped) = map_cancellation(reasons, &tx.on_fail) {
                        return Err(mapped);
                    }
                    if is_conflict_only(reasons) && attempt < 8 {
                        attempt += 1;
                        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 40;
                        tokio::time::sleep(std::time::Duration::from_millis(
                            10 * u64::from(attempt) + jitter,
                        ))
                        .await;
                        continue;
                    }
                    if is_conflict_only(reasons) {
                        return Err(ApiError::concurrent(
                            "Another change to the same data happened at the same time. Retry the request.",
                        )
                        .retry_after(1));
                    }
                    return Err(ApiError::internal(format!(
                        "transaction cancelled: {:?}",
                        reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                    )));
                }
                E::TransactionInProgressException(_)
                | E::ProvisionedThroughputExceededException(_)
                | E::RequestLimitExceeded(_)
                | E::ThrottlingException(_) => {
                    return Err(ApiError::unavailable("DynamoDB throttled or busy"));
                }
                other => {
                    return Err(ApiError::internal(format!(
                        "TransactWriteItems failed: {other}"
                    )))
                }
            }
        }
    }
}

/// Maps cancellation reasons by position to the first failed item's error.
fn map_cancellation(reasons: &[CancellationReason], on_fail: &[ApiError]) -> Option<ApiError> {
    reasons.iter().zip(on_fail).find_map(|(reason, err)| {
        (reason.code() == Some("ConditionalCheckFailed")).then(|| err.clone())
    })
}

fn is_conflict_only(reasons: &[CancellationReason]) -> bool {
    reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
        && reasons
            .iter()
            .all(|r| matches!(r.code(), None | Some("None") | Some("TransactionConflict")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn cancellation_reasons_map_by_position() {
        let r = |c: &str| CancellationReason::builder().code(c).build();
        let errs = vec![
            ApiError::concurrent("a"),
            ApiError::new(Code::SlugTaken, "b"),
        ];
        let got = map_cancellation(&[r("None"), r("ConditionalCheckFailed")], &errs).unwrap();
        assert_eq!(got.code, Code::SlugTaken);
        assert!(map_cancellation(&[r("None"), r("TransactionConflict")], &errs).is_none());
        assert!(is_conflict_only(&[r("None"), r("TransactionConflict")]));
    }
}
