//! TransactWriteItems with per-item error mapping: each item says which error its failed
//! condition means, and a cancelled transaction answers the first failed item's error.

use super::expr::prefixed;
use super::{to_item, Entity, Expr, Item, Key, Store};
use crate::error::ApiError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

/// What a failed condition of one transaction item answers: with one fragment, its error; with
/// several joined on the item, the error of the fragment whose condition the item as it was
/// (returned with the cancellation) fails, or 409 `concurrent_update` when none can be told.
#[derive(Clone)]
struct OnFail {
    fragments: Vec<Fragment>,
}

impl OnFail {
    fn answer(&self, failed: Failed, old: Option<&Item>) -> ApiError {
        if let [only] = self.fragments.as_slice() {
            return only.answer(failed);
        }
        let empty = Item::new();
        let old = old.unwrap_or(&empty);
        self.fragments
            .iter()
            .find(|f| {
                f.condition
                    .as_deref()
                    .is_some_and(|c| super::cond::holds(c, &f.expr, old) == Some(false))
            })
            .map(|f| f.answer(failed))
            .unwrap_or_else(|| {
                ApiError::concurrent(
                    "The data this change was decided on changed meanwhile. Reload and retry.",
                )
            })
    }
}

/// One concept's part of one item's write: its update actions, its condition, their values and
/// names, and what its condition failing answers. Fragments joined on one item get their own
/// placeholders (`prefixed`), so two of them never share one by accident.
#[derive(Clone)]
struct Fragment {
    update: Option<String>,
    condition: Option<String>,
    expr: Expr,
    on_fail: ApiError,
    /// The error when the condition failed because the item is not there at all (`on_fail` is
    /// then the error for an item that is there but no longer as read).
    on_missing: Option<ApiError>,
}

impl Fragment {
    fn answer(&self, failed: Failed) -> ApiError {
        match (failed, &self.on_missing) {
            (Failed::Absent, Some(missing)) => missing.clone(),
            _ => self.on_fail.clone(),
        }
    }
    fn prefixed(&self, prefix: &str) -> Self {
        Self {
            update: self.update.as_deref().map(|u| prefixed(u, prefix)),
            condition: self.condition.as_deref().map(|c| prefixed(c, prefix)),
            expr: self.expr.prefixed(prefix),
            on_fail: self.on_fail.clone(),
            on_missing: self.on_missing.clone(),
        }
    }
}

/// What one item of the transaction does.
enum Kind {
    Put(Item),
    Update,
    Delete,
    Check,
}

struct Op {
    kind: Kind,
    key: Key,
    fragments: Vec<Fragment>,
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
/// transaction also writes joins that write as one more fragment (DynamoDB allows one operation
/// per item in a transaction); otherwise it becomes a ConditionCheck after the items.
pub struct Tx {
    table: String,
    ops: Vec<Op>,
    guards: Vec<(Key, Fragment)>,
    /// The item a write conflict on which means a twin of this request is committing now (an
    /// idempotency record): answered at once as in flight, not retried.
    marker: Option<Key>,
}

impl Tx {
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_string(),
            ops: Vec::new(),
            guards: Vec::new(),
            marker: None,
        }
    }
    /// Marks the item (already written by this transaction) whose write conflict means a twin
    /// request is in flight.
    pub fn marked(mut self, key: Key) -> Self {
        self.marker = Some(key);
        self
    }
    /// Where the marked item is among the items sent (writes come first, in order).
    fn marker_index(&self) -> Option<usize> {
        let key = self.marker.as_ref()?;
        self.ops.iter().position(|op| &op.key == key)
    }
    fn push(mut self, kind: Kind, key: Key, fragment: Fragment) -> Result<Self, ApiError> {
        fragment.expr.check()?;
        // A second update (or check) of an item the transaction already updates or checks joins
        // that item's operation as one more fragment: DynamoDB allows one operation per item, and
        // two concepts may both change the organization item in one change (seats and a role's
        // holders, for one). Each fragment keeps its placeholders and its error.
        if let Some(op) = self.ops.iter_mut().find(|op| op.key == key) {
            let joined = match (&op.kind, &kind) {
                (Kind::Update | Kind::Check, Kind::Update) | (Kind::Update, Kind::Check) => {
                    Some(Kind::Update)
                }
                (Kind::Check, Kind::Check) => Some(Kind::Check),
                _ => None,
            };
            if let Some(joined) = joined {
                op.kind = joined;
                op.fragments.push(fragment);
                return Ok(self);
            }
        }
        self.ops.push(Op {
            kind,
            key,
            fragments: vec![fragment],
        });
        Ok(self)
    }
    fn fragment(
        update: Option<&str>,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Fragment {
        Fragment {
            update: update.map(str::to_string),
            condition: condition.map(str::to_string),
            expr,
            on_fail,
            on_missing: None,
        }
    }
    /// The last item's condition failing on an item that does not exist answers `missing`; its
    /// own error is then what a failure on an item that exists but changed answers (a removal
    /// racing another change of the same item is not told "not found" while the item stays).
    pub fn or_if_missing(mut self, missing: ApiError) -> Self {
        if let Some(f) = self.ops.last_mut().and_then(|op| op.fragments.last_mut()) {
            f.on_missing = Some(missing);
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
        let f = Self::fragment(None, condition, expr, on_fail);
        self.push(Kind::Put(stored), item.key(), f)
    }
    pub fn update(
        self,
        key: Key,
        update: &str,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let f = Self::fragment(Some(update), condition, expr, on_fail);
        self.push(Kind::Update, key, f)
    }
    pub fn delete(
        self,
        key: Key,
        condition: Option<&str>,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let f = Self::fragment(None, condition, expr, on_fail);
        self.push(Kind::Delete, key, f)
    }
    pub fn check(
        self,
        key: Key,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        let f = Self::fragment(None, Some(condition), expr, on_fail);
        self.push(Kind::Check, key, f)
    }
    /// A condition on `key` that must hold when the transaction commits (its own placeholders:
    /// joined with the item's write, each keeps its own).
    pub fn guard(
        mut self,
        key: Key,
        condition: &str,
        expr: Expr,
        on_fail: ApiError,
    ) -> Result<Self, ApiError> {
        expr.check()?;
        self.guards
            .push((key, Self::fragment(None, Some(condition), expr, on_fail)));
        Ok(self)
    }

    /// The items to send: each write with the guards on its item joined to it, then a
    /// ConditionCheck for every other item guarded.
    fn items(&self) -> Result<(Vec<TransactWriteItem>, Vec<OnFail>), ApiError> {
        let mut items = Vec::new();
        let mut on_fail = Vec::new();
        let mut joined = vec![false; self.guards.len()];
        for op in &self.ops {
            let mut fragments = op.fragments.clone();
            for (i, (key, g)) in self.guards.iter().enumerate() {
                if *key == op.key {
                    joined[i] = true;
                    fragments.push(g.clone());
                }
            }
            let fragments = own_placeholders(fragments);
            items.push(self.build(&op.kind, &op.key, &fragments)?);
            on_fail.push(OnFail { fragments });
        }
        // Guards on an item nothing writes: one ConditionCheck per item (DynamoDB allows one
        // operation per item).
        for (i, (key, g)) in self.guards.iter().enumerate() {
            if joined[i] {
                continue;
            }
            let mut fragments = vec![g.clone()];
            for (j, (other_key, other)) in self.guards.iter().enumerate().skip(i + 1) {
                if !joined[j] && other_key == key {
                    joined[j] = true;
                    fragments.push(other.clone());
                }
            }
            let fragments = own_placeholders(fragments);
            items.push(self.build(&Kind::Check, key, &fragments)?);
            on_fail.push(OnFail { fragments });
        }
        Ok((items, on_fail))
    }

    fn build(
        &self,
        kind: &Kind,
        key: &Key,
        fragments: &[Fragment],
    ) -> Result<TransactWriteItem, ApiError> {
        let update = fragments
            .iter()
            .filter_map(|f| f.update.as_deref())
            .fold(String::new(), |a, b| merge_updates(&a, b));
        let conditions: Vec<&str> = fragments
            .iter()
            .filter_map(|f| f.condition.as_deref())
            .collect();
        let condition = match conditions.as_slice() {
            [] => None,
            [one] => Some((*one).to_string()),
            many => Some(
                many.iter()
                    .map(|c| format!("({c})"))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            ),
        };
        let expr = fragments.iter().fold(Expr::new(), |e, f| e.merge(&f.expr));
        expr.check()?;
        // Only where the answer depends on it: the failed item comes back, so a failure on an
        // existing item can be told from a missing one, and the fragment that failed from the
        // others joined with it.
        let old = (fragments.len() > 1 || fragments.iter().any(|f| f.on_missing.is_some()))
            .then_some(ReturnValuesOnConditionCheckFailure::AllOld);
        let b = TransactWriteItem::builder();
        let item = match kind {
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
            Kind::Update => b.update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key.to_item()))
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
                    .set_key(Some(key.to_item()))
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
                    .set_key(Some(key.to_item()))
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

/// Fragments joined on one item, each with its own placeholders (`f0_`, `f1_`, ...); a lone
/// fragment keeps its own.
fn own_placeholders(fragments: Vec<Fragment>) -> Vec<Fragment> {
    if fragments.len() < 2 {
        return fragments;
    }
    fragments
        .iter()
        .enumerate()
        .map(|(k, f)| f.prefixed(&format!("f{k}_")))
        .collect()
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
        let marker = tx.marker_index();
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
                    let twin = marker
                        .and_then(|i| reasons.get(i))
                        .is_some_and(|r| r.code() == Some("TransactionConflict"));
                    if twin {
                        return Err(ApiError::new(
                            crate::error::Code::IdempotencyKeyInFlight,
                            "A request with this Idempotency-Key is in flight; retry after Retry-After to get its answer.",
                        )
                        .retry_after(1));
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
            let old = reason.item().filter(|i| !i.is_empty());
            let failed = if old.is_some() {
                Failed::Present
            } else {
                Failed::Absent
            };
            err.answer(failed, old)
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
        assert_eq!(check.condition_expression(), "(a = :f0_a) AND (b = :f1_b)");
        assert_eq!(check.expression_attribute_values().unwrap().len(), 2);
        assert_eq!(errors[0].fragments[0].on_fail.detail, "first");
    }

    #[test]
    fn a_failed_item_that_is_there_answers_changed_and_one_that_is_not_answers_missing() {
        let errs = vec![OnFail {
            fragments: vec![Fragment {
                on_missing: Some(ApiError::new(Code::MemberNotFound, "gone")),
                ..Tx::fragment(None, None, Expr::new(), ApiError::concurrent("changed"))
            }],
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
            fragments: vec![Tx::fragment(None, None, Expr::new(), e)],
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
mod fragment_tests {
    use super::*;
    use crate::error::Code;
    use aws_sdk_dynamodb::types::AttributeValue;

    /// Two concepts' fragments on one item that both say `:max` (as the seats' limit and the
    /// keys' limit on the organization item do): each keeps its own value.
    fn two_limits() -> Tx {
        let k = Key::new("ORG#1", "ORG");
        Tx::new("t")
            .update(
                k.clone(),
                "SET seatsUsed = seatsUsed + :one",
                Some("seatsUsed <= :max"),
                Expr::new().value(":one", &1).value(":max", &4),
                ApiError::new(Code::SeatLimitReached, "seats"),
            )
            .unwrap()
            .update(
                k.clone(),
                "SET keyCount = keyCount + :one",
                Some("keyCount <= :max"),
                Expr::new().value(":one", &1).value(":max", &49),
                ApiError::new(Code::LimitReached, "keys"),
            )
            .unwrap()
            .guard(
                k,
                "#s = :active",
                Expr::new().name("#s", "status").value(":active", "active"),
                ApiError::org_closed(),
            )
            .unwrap()
    }

    #[test]
    fn fragments_on_one_item_never_share_a_placeholder() {
        let (items, _) = two_limits().items().unwrap();
        assert_eq!(items.len(), 1, "one operation per item");
        let update = items[0].update().unwrap();
        assert_eq!(
            update.condition_expression(),
            Some("(seatsUsed <= :f0_max) AND (keyCount <= :f1_max) AND (#f2_s = :f2_active)")
        );
        assert_eq!(
            update.update_expression(),
            "SET seatsUsed = seatsUsed + :f0_one, keyCount = keyCount + :f1_one"
        );
        let values = update.expression_attribute_values().unwrap();
        assert_eq!(values[":f0_max"], AttributeValue::N("4".into()));
        assert_eq!(values[":f1_max"], AttributeValue::N("49".into()));
        assert_eq!(
            update.return_values_on_condition_check_failure(),
            Some(&ReturnValuesOnConditionCheckFailure::AllOld)
        );
    }

    #[test]
    fn a_failure_answers_the_fragment_whose_condition_the_item_failed() {
        let (_, on_fail) = two_limits().items().unwrap();
        let n = |v: u32| AttributeValue::N(v.to_string());
        let s = |v: &str| AttributeValue::S(v.to_string());
        let answer = |seats: u32, keys: u32, status: &str| {
            let reason = CancellationReason::builder()
                .code("ConditionalCheckFailed")
                .item("PK", s("ORG#1"))
                .item("seatsUsed", n(seats))
                .item("keyCount", n(keys))
                .item("status", s(status))
                .build();
            map_cancellation(&[reason], &on_fail).unwrap().code
        };
        assert_eq!(answer(5, 0, "active"), Code::SeatLimitReached);
        assert_eq!(answer(0, 50, "active"), Code::LimitReached);
        assert_eq!(answer(0, 0, "grace"), Code::OrgClosed);
        // Every condition holds on the item as returned: the item changed between the check and
        // the cancellation's read; nobody's limit is claimed.
        assert_eq!(answer(0, 0, "active"), Code::ConcurrentUpdate);
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
