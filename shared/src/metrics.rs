//! Metrics without a call on the request path: CloudWatch's embedded metric format (EMF). A
//! function prints one JSON document per request (and per job run) to stdout; Lambda delivers it
//! to the function's log group as it is (JSON is never re-encoded), and CloudWatch Logs extracts
//! the metrics the document's `_aws` names from its top-level fields. The same document is the
//! request's log line, so a metric and the lines behind it are one search apart.
//!
//! Namespace: `METRICS_NAMESPACE` (the template sets `Orgs/<stack>`, so two stacks in one account
//! do not mix), else `Orgs`.

use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

/// The namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "Orgs";

/// Where the documents go: stdout in a function; a list a test reads otherwise.
#[derive(Clone, Default)]
pub enum LogSink {
    #[default]
    Stdout,
    /// Kept in memory, and also printed when `echo` (a test run with `TEST_LOG`).
    Memory {
        lines: Arc<Mutex<Vec<Value>>>,
        echo: bool,
    },
}

impl LogSink {
    pub fn memory(echo: bool) -> Self {
        Self::Memory {
            lines: Arc::default(),
            echo,
        }
    }

    /// Writes one document as one line (one write, so lines of concurrent writers never mix).
    pub fn write(&self, doc: Value) {
        match self {
            Self::Stdout => {
                use std::io::Write;
                let mut line = doc.to_string();
                line.push('\n');
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            Self::Memory { lines, echo } => {
                if *echo {
                    eprintln!("{doc}");
                }
                lines.lock().unwrap_or_else(|e| e.into_inner()).push(doc)
            }
        }
    }

    /// The last document written that `matches` (never one for stdout).
    pub fn last_where(&self, matches: impl Fn(&Value) -> bool) -> Option<Value> {
        match self {
            Self::Stdout => None,
            Self::Memory { lines, .. } => lines
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .rev()
                .find(|l| matches(l))
                .cloned(),
        }
    }
}

/// A CloudWatch unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// One directive of a document: these metrics, published under each of these dimension sets.
pub struct Directive<'a> {
    pub dimensions: &'a [&'a [&'a str]],
    pub metrics: &'a [(&'a str, Unit)],
}

/// An EMF document: `fields` (the metric values, the dimensions' values and any other property,
/// all at the top level) and `_aws` naming which of them are metrics under which dimensions.
/// Every named metric and dimension must be among `fields` (checked in debug builds).
pub fn document(namespace: &str, directives: &[Directive], fields: Map<String, Value>) -> Value {
    let directives: Vec<Value> = directives
        .iter()
        .map(|d| {
            debug_assert!(d
                .dimensions
                .iter()
                .flat_map(|set| set.iter())
                .chain(d.metrics.iter().map(|(name, _)| name))
                .all(|name| fields.contains_key(*name)));
            json!({
                "Namespace": namespace,
                "Dimensions": d.dimensions,
                "Metrics": d.metrics.iter().map(|(name, unit)| json!({"Name": name, "Unit": unit.as_str()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut doc = fields;
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": chrono::Utc::now().timestamp_millis(),
            "CloudWatchMetrics": directives,
        }),
    );
    Value::Object(doc)
}

/// A job run's line: `message` and the `job` dimension are the job's name, `report` what the run
/// did, and each of `metrics` (name, unit, value) a metric by `job`.
pub fn job_line(namespace: &str, job: &str, metrics: &[(&str, Unit, u64)], report: Value) -> Value {
    let mut fields = Map::new();
    fields.insert("level".into(), json!("INFO"));
    fields.insert("message".into(), json!(job));
    fields.insert("job".into(), json!(job));
    fields.insert("report".into(), report);
    for (name, _, value) in metrics {
        fields.insert((*name).into(), json!(value));
    }
    let names: Vec<(&str, Unit)> = metrics.iter().map(|(n, u, _)| (*n, *u)).collect();
    document(
        namespace,
        &[Directive {
            dimensions: &[&["job"]],
            metrics: &names,
        }],
        fields,
    )
}

/// What one request measured besides its answer: the DynamoDB requests it made and the counts
/// its handler added ([`count`]), which its line publishes by route.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Measured {
    pub dynamo_requests: u32,
    pub counts: Vec<(&'static str, u64)>,
}

tokio::task_local! {
    static MEASURED: std::cell::RefCell<Measured>;
}

/// Runs `f` measuring it: the DynamoDB requests it makes (operations, not attempts: a retried
/// call counts once, as [`CountDynamoRequests`] sees them) and what it [`count`]s.
pub async fn measured<F: std::future::Future>(f: F) -> (F::Output, Measured) {
    MEASURED
        .scope(Default::default(), async move {
            let out = f.await;
            (out, MEASURED.with(|m| m.take()))
        })
        .await
}

/// Adds one to the request's count `name` (a metric of its line, by route: `EmailsSent`,
/// `ApiKeysValid` ...). Outside a measured request (a worker) it does nothing: a job reports
/// its own counts.
pub fn count(name: &'static str) {
    let _ = MEASURED.try_with(|m| {
        let mut m = m.borrow_mut();
        match m.counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v += 1,
            None => m.counts.push((name, 1)),
        }
    });
}

/// Counts each DynamoDB operation made inside [`measured`] (the SDK runs an
/// interceptor on the caller's task; outside a counting scope it does nothing).
#[derive(Debug)]
pub struct CountDynamoRequests;

impl aws_sdk_dynamodb::config::Intercept for CountDynamoRequests {
    fn name(&self) -> &'static str {
        "CountDynamoRequests"
    }
    fn read_before_execution(
        &self,
        _context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<
            '_,
        >,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let _ = MEASURED.try_with(|m| m.borrow_mut().dynamo_requests += 1);
        Ok(())
    }
}

/// The DynamoDB client of a function: the one `SdkConfig`, and the request counter.
pub fn dynamodb_client(sdk: &aws_types::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(CountDynamoRequests)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_names_its_metrics_and_dimensions_over_its_top_level_fields() {
        let mut fields = Map::new();
        fields.insert("route".into(), json!("get-org"));
        fields.insert("Errors5xx".into(), json!(1));
        let doc = document(
            "Orgs/test",
            &[Directive {
                dimensions: &[&["route"]],
                metrics: &[("Errors5xx", Unit::Count)],
            }],
            fields,
        );
        let m = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(m["Namespace"], "Orgs/test");
        assert_eq!(m["Dimensions"], json!([["route"]]));
        assert_eq!(
            m["Metrics"],
            json!([{"Name": "Errors5xx", "Unit": "Count"}])
        );
        assert!(doc["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
        assert_eq!(doc["Errors5xx"], 1);
        assert_eq!(doc["route"], "get-org");
    }
}
