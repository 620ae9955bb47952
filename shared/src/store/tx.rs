//! TransactWriteItems with per-item error mapping: each item says which error its failed
//! condition means, and a cancelled transaction answers the first failed item's error.

use super::{to_item, Entity, Expr, Item, Key, Store};
use crate::error::ApiError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

/// What a failed condition of one transaction item answers.
#[derive(Clone)]
struct OnFail {
    changed: ApiError,
    missing: Option<ApiError>,
}

impl OnFail {
    fn answer(&self, failed: Failed) -> ApiError {
        match (failed, &self.missing) {
            (Failed::Absent, Some(missing)) => missing.clone(),
            _ => self.changed.clone(),
        }
    }
}

/// What one item of the transaction does.
enum Kind {
    Put(Item),
    Update(String),
    Delete,
    Check,
}

struct Op {
    kind: Kind,
    key: Key,
    condition: Option<String>,
    expr: Expr,
    on_fail: ApiError,
    /// The error when the condition failed because the item is not there at all (`on_fail` is
    /// then the error for an item that is there but no longer as read).
    on_missing: Option<ApiError>,
}

/// A failed condition, as the cancellation reason tells it: the item was there (in another
/// state than the condition wants) or it was not.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Failed {
    Present,
    Absent,
}

/// A transaction under construction. Besides its items it may carry guards: conditions that must
/// still hold when it commits (the access a decision was made on). A guard on an item the
/// transaction also writes is merged into that write's condition (DynamoDB allows one operation
/// per item in a transaction); otherwise it becomes a ConditionCheck after the items.
pub struct Tx {
    table: String,
    ops: Vec<Op>,
    guards: Vec<Op>,
}

impl Tx {
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_string(),
            ops: Vec::new(),
            guards: Vec::new(),
        }
    }
    fn push(
        mut self,
        kind: Kind,
        key: Key,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        // A second update (or check) of an item the transaction already updates or checks joins
        // that item's operation: DynamoDB allows one per item, and two concepts may both change
        // the organization item in one change (seats and a role's holders, for one). Their
        // placeholders must differ; the first operation's errors answer.
        if let Some(op) = self.ops.iter_mut().find(|op| op.key == key) {
            let merged = match (&op.kind, &kind) {
                (Kind::Update(a), Kind::Update(b)) => Some(Kind::Update(merge_updates(a, b))),
                (Kind::Update(a), Kind::Check) | (Kind::Check, Kind::Update(a)) => {
                    Some(Kind::Update(a.clone()))
                }
                (Kind::Check, Kind::Check) => Some(Kind::Check),
                _ => None,
            };
            if let Some(merged) = merged {
                op.kind = merged;
                op.condition = match (op.condition.take(), condition) {
                    (Some(a), Some(b)) => Some(format!("({a}) AND ({b})")),
                    (a, b) => a.or(b.map(str::to_string)),
                };
                op.expr = std::mem::take(&mut op.expr).merge(&expr);
                return Ok(self);
            }
        }
        self.ops.push(Op {
            kind,
            key,
            condition: condition.map(str::to_string),
            expr,
            on_fail,
            on_missing: None,
        });
        Ok(self)
    }
    /// The last item's condition failing on an item that does not exist answers `missing`; its
    /// own error is then what a failure on an item that exists but changed answers (a removal
    /// racing another change of the same item is not told "not found" while the item stays).
    pub fn or_if_missing(mut self, missing: ApiError) -> Self {
        if let Some(op) = self.ops.last_mut() {
            op.on_missing = Some(missing);
        }
        self
    }
    /// Put a new item; fails with `on_fail` if an item with the same key exists.
    pub fn put_new<T: Entity>(self, item: &T, on_fail: ApiError) -> Result<Self, ApiError> {
        self.put(item, Some("attribute_not_exists(PK)"), Expr::new(), on_fail)
    }
    pub fn put<T: Entity>(
        self,
        item: &T,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let stored = to_item(item)?;
        self.push(Kind::Put(stored), item.key(), condition, expr, on_fail)
    }
    pub fn update(
        self,
        key: Key,
        update: &str,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        self.push(
            Kind::Update(update.to_string()),
            key,
            condition,
            expr,
            on_fail,
        )
    }
    pub fn delete(
        self,
        key: Key,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        self.push(Kind::Delete, key, condition, expr, on_fail)
    }
    pub fn check(
        self,
        key: Key,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        self.push(Kind::Check, key, Some(condition), expr, on_fail)
    }
    /// A condition on `key` that must hold when the transaction commits. Its placeholders must not
    /// collide with those of the item's own write (use a prefix such as `:g_`).
    pub fn guard(
        mut self,
        key: Key,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        self.guards.push(Op {
            kind: Kind::Check,
            key,
            condition: Some(condition.to_string()),
            expr,
            on_fail,
            on_missing: None,
        });
        Ok(self)
    }

    /// The items to send: each write with the guards on its item merged into its condition (the
    /// write keeps its own error), then a ConditionCheck for every other guard.
    fn items(&self) -> Result<(Vec<TransactWriteItem>, Vec<OnFail>), ApiError> {
        let mut items = Vec::new();
        let mut on_fail = Vec::new();
        let mut merged = vec![false; self.guards.len()];
        for op in &self.ops {
            let mut condition = op.condition.clone();
            let mut expr = op.expr.clone();
            for (i, g) in self.guards.iter().enumerate() {
                if g.key == op.key {
                    merged[i] = true;
                    let gc = g.condition.as_deref().unwrap_or_default();
                    condition = Some(match condition {
                        Some(c) => format!("({c}) AND ({gc})"),
                        None => gc.to_string(),
                    });
                    expr = expr.merge(&g.expr);
                }
            }
            items.push(self.build(op, condition, &expr)?);
            on_fail.push(OnFail {
                changed: op.on_fail.clone(),
                missing: op.on_missing.clone(),
            });
        }
        // Guards on an item nothing writes: one ConditionCheck per item (DynamoDB allows one
        // operation per item), their conditions joined, the first guard's error.
        for (i, g) in self.guards.iter().enumerate() {
            if merged[i] {
                continue;
            }
            let mut condition = g.condition.clone().unwrap_or_default();
            let mut expr = g.expr.clone();
            for (j, other) in self.guards.iter().enumerate().skip(i + 1) {
                if !merged[j] && other.key == g.key {
                    merged[j] = true;
                    condition = format!(
                        "({condition}) AND ({})",
                        other.condition.as_deref().unwrap_or_default()
                    );
                    expr = expr.merge(&other.expr);
                }
            }
            items.push(self.build(g, Some(condition), &expr)?);
            on_fail.push(OnFail {
                changed: g.on_fail.clone(),
                missing: None,
            });
        }
        Ok((items, on_fail))
    }

    fn build(
        &self,
        op: &Op,
        condition: Option<String>,
        expr: &Expr,
    ) -> Result<TransactWriteItem, ApiError> {
        // Only where the answer depends on it: the failed item's key comes back, so a failure on
        // an existing item can be told from a missing one.
        let old = op
            .on_missing
            .as_ref()
            .map(|_| ReturnValuesOnConditionCheckFailure::AllOld);
        let b = TransactWriteItem::builder();
        let item = match &op.kind {
            Kind::Put(stored) => b.put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(stored.clone()))
                    .set_condition_expression(condition)
                    .set_expression_attribute_values(expr.values())
                    .set_expression_attribute_names(expr.names())
                    .set_return_values_on_condition_check_failure(old.clone())
                    .build()
                    .map_err(ApiError::internal)?,
            ),
            Kind::Update(update) => b.update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(op.key.to_item()))
                    .update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_values(expr.values())
                    .set_expression_attribute_names(expr.names())
                    .set_return_values_on_condition_check_failure(old.clone())
                    .build()
                    .map_err(ApiError::internal)?,
            ),
            Kind::Delete => b.delete(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(op.key.to_item()))
                    .set_condition_expression(condition)
                    .set_expression_attribute_values(expr.values())
                    .set_expression_attribute_names(expr.names())
                    .set_return_values_on_condition_check_failure(old.clone())
                    .build()
                    .map_err(ApiError::internal)?,
            ),
            Kind::Check => b.condition_check(
                ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(op.key.to_item()))
                    .set_condition_expression(condition)
                    .set_expression_attribute_values(expr.values())
                    .set_expression_attribute_names(expr.names())
                    .set_return_values_on_condition_check_failure(old.clone())
                    .build()
                    .map_err(ApiError::internal)?,
            ),
        };
        Ok(item.build())
    }
}

/// Two update expressions as one: each clause's actions (`SET`, `REMOVE`, `ADD`, `DELETE`)
/// joined, in that order. The paths they write must not overlap.
fn merge_updates(a: &str, b: &str) -> String {
    const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];
    let mut actions: [Vec<String>; 4] = Default::default();
    for expr in [a, b] {
        let mut current: Option<usize> = None;
        let mut words: Vec<&str> = Vec::new();
        let mut flush = |current: Option<usize>, words: &mut Vec<&str>| {
            if let (Some(c), false) = (current, words.is_empty()) {
                actions[c].push(words.join(" "));
            }
            words.clear();
        };
        for word in expr.split_whitespace() {
            match CLAUSES.iter().position(|c| *c == word) {
                Some(c) => {
                    flush(current, &mut words);
                    current = Some(c);
                }
                None => words.push(word),
            }
        }
        flush(current, &mut words);
    }
    CLAUSES
        .iter()
        .zip(actions)
        .filter(|(_, a)| !a.is_empty())
        .map(|(c, a)| format!("{c} {}", a.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
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
        let (items, on_fail) = tx.items()?;
        let mut attempt = 0u32;
        loop {
            // The SDK's own retries of this attempt (a timeout, a broken connection) send the same
            // token, so a transaction that committed before its answer was lost is not applied twice.
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            if crate::aws::is_transient(&err) {
                return Err(crate::aws::failure("TransactWriteItems", &err));
            }
            match err.into_service_error() {
                E::TransactionCanceledException(e) => {
                    let reasons = e.cancellation_reasons();
                    if let Some(mapped) = map_cancellation(reasons, &on_fail) {
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
                other => {
                    return Err(ApiError::internal(format!(
                        "TransactWriteItems failed: {other}"
                    )))
                }
            }
        }
    }
}

/// Maps cancellation reasons by position to the first failed item's error (the one for a
/// missing item when the reason shows none and the item asked for it).
fn map_cancellation(reasons: &[CancellationReason], on_fail: &[OnFail]) -> Option<ApiError> {
    reasons.iter().zip(on_fail).find_map(|(reason, err)| {
        (reason.code() == Some("ConditionalCheckFailed")).then(|| {
            err.answer(if reason.item().is_some_and(|i| !i.is_empty()) {
                Failed::Present
            } else {
                Failed::Absent
            })
        })
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
    fn guards_on_one_unwritten_item_become_one_condition_check() {
        let k = Key::new("P", "S");
        let tx = Tx::new("t")
            .guard(
                k.clone(),
                "a = :a",
                Expr::new().value(":a", &1),
                ApiError::concurrent("first"),
            )
            .unwrap()
            .guard(
                k.clone(),
                "b = :b",
                Expr::new().value(":b", &2),
                ApiError::concurrent("second"),
            )
            .unwrap()
            .guard(
                Key::new("P", "T"),
                "c = :c",
                Expr::new().value(":c", &3),
                ApiError::concurrent("other"),
            )
            .unwrap();
        let (items, errors) = tx.items().unwrap();
        assert_eq!(items.len(), 2, "one operation per item");
        let check = items[0].condition_check().unwrap();
        assert_eq!(check.condition_expression(), "(a = :a) AND (b = :b)");
        assert_eq!(check.expression_attribute_values().unwrap().len(), 2);
        assert_eq!(errors[0].changed.detail, "first");
    }

    #[test]
    fn a_failed_item_that_is_there_answers_changed_and_one_that_is_not_answers_missing() {
        let errs = vec![OnFail {
            changed: ApiError::concurrent("changed"),
            missing: Some(ApiError::new(Code::MemberNotFound, "gone")),
        }];
        let failed = |item: Option<&str>| {
            let mut r = CancellationReason::builder().code("ConditionalCheckFailed");
            if let Some(pk) = item {
                r = r.item(
                    "PK",
                    aws_sdk_dynamodb::types::AttributeValue::S(pk.to_string()),
                );
            }
            map_cancellation(&[r.build()], &errs).unwrap().code
        };
        assert_eq!(failed(Some("ORG#1")), Code::ConcurrentUpdate);
        assert_eq!(failed(None), Code::MemberNotFound);
        let tx = Tx::new("t")
            .delete(
                Key::new("P", "S"),
                Some("attribute_exists(PK)"),
                Expr::new(),
                ApiError::concurrent("changed"),
            )
            .unwrap()
            .or_if_missing(ApiError::new(Code::MemberNotFound, "gone"));
        let (items, _) = tx.items().unwrap();
        assert_eq!(
            items[0]
                .delete()
                .unwrap()
                .return_values_on_condition_check_failure(),
            Some(&ReturnValuesOnConditionCheckFailure::AllOld)
        );
    }

    #[test]
    fn cancellation_reasons_map_by_position() {
        let r = |c: &str| CancellationReason::builder().code(c).build();
        let plain = |e: ApiError| OnFail {
            changed: e,
            missing: None,
        };
        let errs = vec![
            plain(ApiError::concurrent("a")),
            plain(ApiError::new(Code::SlugTaken, "b")),
        ];
        let got = map_cancellation(&[r("None"), r("ConditionalCheckFailed")], &errs).unwrap();
        assert_eq!(got.code, Code::SlugTaken);
        assert!(map_cancellation(&[r("None"), r("TransactionConflict")], &errs).is_none());
        assert!(is_conflict_only(&[r("None"), r("TransactionConflict")]));
    }
}

#[cfg(test)]
mod merge_tests {
    use super::merge_updates;

    #[test]
    fn update_expressions_merge_clause_by_clause() {
        assert_eq!(
            merge_updates(
                "SET a = :a, b = if_not_exists(b, :z) + :one REMOVE c",
                "SET d = :d ADD e :e REMOVE f.#g"
            ),
            "SET a = :a, b = if_not_exists(b, :z) + :one, d = :d REMOVE c, f.#g ADD e :e"
        );
        assert_eq!(
            merge_updates("DELETE s :x", "SET y = :y"),
            "SET y = :y DELETE s :x"
        );
    }
}
