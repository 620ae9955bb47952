//! The CLI's requests and tables against `openapi.yaml`: every endpoint it calls exists there,
//! every body it sends has only properties of that endpoint's request schema (and all the
//! required ones), every column it shows is a property of the endpoint's answer.

use crate::api::{self, Endpoint};
use crate::commands::settings::{CLEANUP_RULES, NOTIFICATIONS};
use crate::{bodies, views};
use serde_yaml::Value;

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn operation(spec: &Value, e: Endpoint) -> &Value {
    let op = &spec["paths"][e.path][e.method.to_lowercase().as_str()];
    assert!(
        !op.is_null(),
        "{} {} is not in openapi.yaml",
        e.method,
        e.path
    );
    op
}

/// Follows `$ref` and merges `allOf`: (properties, required).
fn shape(spec: &Value, schema: &Value) -> (Vec<String>, Vec<String>, Value) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return shape(spec, &spec["components"]["schemas"][name]);
    }
    let (mut props, mut required, mut all) = (Vec::new(), Vec::new(), serde_yaml::Mapping::new());
    if let Some(parts) = schema["allOf"].as_sequence() {
        for p in parts {
            let (a, b, c) = shape(spec, p);
            props.extend(a);
            required.extend(b);
            if let Some(m) = c.as_mapping() {
                all.extend(m.clone());
            }
        }
    }
    if let Some(m) = schema["properties"].as_mapping() {
        for (k, v) in m {
            props.push(k.as_str().unwrap().to_string());
            all.insert(k.clone(), v.clone());
        }
    }
    for r in schema["required"].as_sequence().into_iter().flatten() {
        required.push(r.as_str().unwrap().to_string());
    }
    (props, required, Value::Mapping(all))
}

#[test]
fn every_endpoint_exists() {
    let spec = spec();
    for e in api::ALL {
        operation(&spec, *e);
    }
}

#[test]
fn every_body_fits_its_request_schema() {
    let spec = spec();
    let samples = bodies::samples();
    // Every endpoint that takes a body has a sample.
    for e in api::ALL {
        let wants_body = !operation(&spec, *e)["requestBody"].is_null();
        let has = samples.iter().any(|(s, _)| s == e);
        let optional = operation(&spec, *e)["requestBody"]["required"] != Value::Bool(true);
        assert!(
            !wants_body || has || optional,
            "{} {} takes a body the CLI has no sample of",
            e.method,
            e.path
        );
    }
    for (e, body) in samples {
        let schema = &operation(&spec, e)["requestBody"]["content"]["application/json"]["schema"];
        let (props, required, _) = shape(&spec, schema);
        let keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        for k in &keys {
            assert!(
                props.contains(k),
                "{} {}: `{k}` is not in its request schema {props:?}",
                e.method,
                e.path
            );
        }
        for r in &required {
            assert!(
                keys.contains(r),
                "{} {}: the required `{r}` is missing",
                e.method,
                e.path
            );
        }
    }
    // The keys the settings commands change are the spec's own.
    let notif = shape(
        &spec,
        &spec["components"]["schemas"]["NotificationPreferences"],
    )
    .0;
    assert_eq!(notif.len(), NOTIFICATIONS.len());
    assert!(NOTIFICATIONS.iter().all(|k| notif.contains(&k.to_string())));
    let cleanup = shape(&spec, &spec["components"]["schemas"]["CleanupPolicy"]).0;
    assert!(CLEANUP_RULES
        .iter()
        .all(|k| cleanup.contains(&k.to_string())));
}

#[test]
fn every_column_is_in_its_answer() {
    let spec = spec();
    for view in views::ALL {
        let e = view.endpoint;
        let ok = &operation(&spec, e)["responses"]["200"]["content"]["application/json"]["schema"];
        let (props, _, all) = shape(&spec, ok);
        // A list: the item schema.
        let (props, all) = if props.contains(&"items".to_string()) {
            let (p, _, a) = shape(&spec, &all["items"]["items"]);
            (p, a)
        } else {
            (props, all)
        };
        for (_, field) in view.columns {
            let top = field.split('.').next().unwrap();
            assert!(
                props.contains(&top.to_string()),
                "{} {}: column `{field}` is not in its answer {props:?}",
                e.method,
                e.path
            );
            let _ = &all;
        }
    }
}
