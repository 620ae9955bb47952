//! DynamoDB Local: the client (with a request counter); a fresh table per test is created from
//! the SAM template's definition, the one place the schema lives (`devtool::table`).

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// DynamoDB Local's endpoint, from `DYNAMODB_ENDPOINT` (the test command starts it and sets it).
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with scripts/test.sh, which starts DynamoDB Local")
    })
}

/// Counts DynamoDB requests (executions, not retries) made through a client, by operation, and
/// records the operations inside each TransactWriteItems (Put, Update, Delete, ConditionCheck),
/// so a route's requests can be compared with the IAM actions it declares.
#[derive(Debug, Default, Clone)]
pub struct RequestCounter {
    total: Arc<AtomicUsize>,
    ops: Arc<Mutex<Vec<&'static str>>>,
    tx_ops: Arc<Mutex<Vec<&'static str>>>,
    tx_items: Arc<Mutex<Vec<TxItem>>>,
    /// Read and write capacity units the requests consumed, as DynamoDB (Local) reports them when
    /// asked (`ReturnConsumedCapacity = TOTAL`, which the counter adds to every request once
    /// [`RequestCounter::measure_units`] is called: the benchmark does; the tests do not).
    units: Arc<Mutex<(f64, f64)>>,
    measuring: Arc<std::sync::atomic::AtomicBool>,
}

/// One item of a TransactWriteItems as it was sent.
#[derive(Debug, Clone, PartialEq)]
pub struct TxItem {
    pub operation: &'static str,
    pub pk: String,
    pub sk: String,
    pub condition: Option<String>,
}

impl RequestCounter {
    pub fn reset(&self) {
        self.total.store(0, Ordering::SeqCst);
        self.ops.lock().unwrap().clear();
        self.tx_ops.lock().unwrap().clear();
        self.tx_items.lock().unwrap().clear();
        *self.units.lock().unwrap() = (0.0, 0.0);
    }
    /// From now on every request asks for the capacity it consumes ([`Self::units`]).
    pub fn measure_units(&self) {
        self.measuring.store(true, Ordering::SeqCst);
    }
    /// (read units, write units) consumed since the last reset.
    pub fn units(&self) -> (f64, f64) {
        *self.units.lock().unwrap()
    }
    /// The items of every transaction since the last reset.
    pub fn transaction_items(&self) -> Vec<TxItem> {
        self.tx_items.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
    /// The requests, in order (`TransactWriteItems` for a transaction).
    pub fn operations(&self) -> Vec<&'static str> {
        self.ops.lock().unwrap().clone()
    }
    /// What the requests did on the table, as IAM action names without the `dynamodb:` prefix:
    /// each request's operation, with a transaction counted as the operations of its items.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .operations()
            .into_iter()
            .filter(|o| *o != "TransactWriteItems")
            .collect();
        out.extend(self.tx_ops.lock().unwrap().iter().copied());
        out.sort();
        out.dedup();
        out
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }
    fn modify_before_serialization(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut<'_>,
        _rc: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        use aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total;
        if !self.measuring.load(Ordering::SeqCst) {
            return Ok(());
        }
        let input = context.input_mut();
        if let Some(i) = input.downcast_mut::<get_item::GetItemInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<batch_get_item::BatchGetItemInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<query::QueryInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) =
            input.downcast_mut::<transact_write_items::TransactWriteItemsInput>()
        {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<put_item::PutItemInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<update_item::UpdateItemInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<delete_item::DeleteItemInput>() {
            i.return_consumed_capacity = Some(Total);
        } else if let Some(i) = input.downcast_mut::<batch_write_item::BatchWriteItemInput>() {
            i.return_consumed_capacity = Some(Total);
        }
        Ok(())
    }
    fn read_after_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _rc: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        use aws_sdk_dynamodb::types::ConsumedCapacity;
        let Some(Ok(output)) = context.output_or_error() else {
            return Ok(());
        };
        let one = |c: Option<&ConsumedCapacity>| c.into_iter().cloned().collect::<Vec<_>>();
        // What each request consumed, and whether it read (its units are read units) or wrote.
        let (consumed, reads): (Vec<ConsumedCapacity>, bool) = if let Some(o) =
            output.downcast_ref::<get_item::GetItemOutput>()
        {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = output.downcast_ref::<batch_get_item::BatchGetItemOutput>() {
            (o.consumed_capacity().to_vec(), true)
        } else if let Some(o) = output.downcast_ref::<query::QueryOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) =
            output.downcast_ref::<transact_write_items::TransactWriteItemsOutput>()
        {
            (o.consumed_capacity().to_vec(), false)
        } else if let Some(o) = output.downcast_ref::<put_item::PutItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = output.downcast_ref::<update_item::UpdateItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = output.downcast_ref::<delete_item::DeleteItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = output.downcast_ref::<batch_write_item::BatchWriteItemOutput>() {
            (o.consumed_capacity().to_vec(), false)
        } else {
            (Vec::new(), false)
        };
        let mut units = self.units.lock().unwrap();
        for c in consumed {
            // The read and write units where reported; else the total (`CapacityUnits`), which
            // is of the request's own kind.
            let (r, w) = match (c.read_capacity_units(), c.write_capacity_units()) {
                (None, None) => {
                    let total = c.capacity_units().unwrap_or(0.0);
                    if reads {
                        (total, 0.0)
                    } else {
                        (0.0, total)
                    }
                }
                (r, w) => (r.unwrap_or(0.0), w.unwrap_or(0.0)),
            };
            units.0 += r;
            units.1 += w;
        }
        Ok(())
    }
    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let input = context.input();
        let op = if input.downcast_ref::<get_item::GetItemInput>().is_some() {
            "GetItem"
        } else if input
            .downcast_ref::<batch_get_item::BatchGetItemInput>()
            .is_some()
        {
            "BatchGetItem"
        } else if input.downcast_ref::<query::QueryInput>().is_some() {
            "Query"
        } else if let Some(tx) =
            input.downcast_ref::<transact_write_items::TransactWriteItemsInput>()
        {
            let mut inner = self.tx_ops.lock().unwrap();
            let mut items = self.tx_items.lock().unwrap();
            for item in tx.transact_items() {
                let s = |m: Option<
                    &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
                >,
                         n: &str| {
                    m.and_then(|m| m.get(n))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                let (operation, key, condition) = if let Some(p) = item.put() {
                    ("PutItem", Some(p.item()), p.condition_expression())
                } else if let Some(u) = item.update() {
                    ("UpdateItem", Some(u.key()), u.condition_expression())
                } else if let Some(d) = item.delete() {
                    ("DeleteItem", Some(d.key()), d.condition_expression())
                } else if let Some(c) = item.condition_check() {
                    (
                        "ConditionCheckItem",
                        Some(c.key()),
                        Some(c.condition_expression()),
                    )
                } else {
                    ("Other", None, None)
                };
                inner.push(operation);
                items.push(TxItem {
                    operation,
                    pk: s(key, "PK"),
                    sk: s(key, "SK"),
                    condition: condition.map(str::to_string),
                });
            }
            "TransactWriteItems"
        } else if input.downcast_ref::<put_item::PutItemInput>().is_some() {
            "PutItem"
        } else if input
            .downcast_ref::<update_item::UpdateItemInput>()
            .is_some()
        {
            "UpdateItem"
        } else if input
            .downcast_ref::<delete_item::DeleteItemInput>()
            .is_some()
        {
            "DeleteItem"
        } else if input.downcast_ref::<scan::ScanInput>().is_some() {
            "Scan"
        } else {
            "Other"
        };
        self.total.fetch_add(1, Ordering::SeqCst);
        self.ops.lock().unwrap().push(op);
        Ok(())
    }
}

/// A DynamoDB client for DynamoDB Local with fixed local credentials.
pub async fn dynamodb_client(
    endpoint: &str,
    counter: Option<RequestCounter>,
) -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .http_client(service::aws::http_client(None).expect("the functions' HTTP client"))
        .load()
        .await;
    // The functions' own counter (what their request lines report), and the tests' own.
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(service::metrics::CountDynamoRequests);
    if let Some(c) = counter {
        builder = builder.interceptor(c);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

pub use devtool::table::{create_table_from_template, table_definition};
