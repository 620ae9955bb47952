//! SCIM PATCH (RFC 7644 §3.5.2) on a resource's JSON: `add`, `remove`, `replace`, with or without
//! a `path`, in the shapes identity providers send: Okta (`replace` with a value object,
//! `members[value eq "..."]` paths), Entra ID (capitalised `op`, `"False"` as a string, dotted
//! attribute names in a value object, `remove` of `members` with a value list). The result is
//! read again by the resource's own body rules, so a PATCH can make nothing a PUT could not.

use super::resource::get_ci;
use super::PATCH_SCHEMA;
use crate::error::{ApiError, ApiResult, Code};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: Kind,
    pub path: Option<String>,
    pub value: Option<Value>,
}

fn syntax(detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::ScimInvalidSyntax, detail)
}

fn bad_path(detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::ScimInvalidPath, detail)
}

/// Operations one PATCH may carry at most.
pub const MAX_OPERATIONS: usize = 1000;

/// The operations of a PatchOp message.
pub fn ops_of(body: &Map<String, Value>) -> ApiResult<Vec<Op>> {
    let is_patch = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA)));
    if !is_patch {
        return Err(syntax(format!(
            "A PATCH body is a PatchOp message: `schemas` must be [\"{PATCH_SCHEMA}\"]."
        )));
    }
    let Some(Value::Array(list)) = get_ci(body, "Operations") else {
        return Err(syntax(
            "A PatchOp message needs `Operations`, a list of {op, path?, value?}.",
        ));
    };
    if list.is_empty() || list.len() > MAX_OPERATIONS {
        return Err(syntax(format!(
            "`Operations` holds 1 to {MAX_OPERATIONS} operations."
        )));
    }
    list.iter()
        .map(|o| {
            let Value::Object(o) = o else {
                return Err(syntax("Each operation is an object {op, path?, value?}."));
            };
            let kind = match get_ci(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(k) if k == "add" => Kind::Add,
                Some(k) if k == "remove" => Kind::Remove,
                Some(k) if k == "replace" => Kind::Replace,
                _ => return Err(syntax("`op` is add, remove or replace.")),
            };
            let path = match get_ci(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if !p.trim().is_empty() => Some(p.trim().to_string()),
                Some(_) => return Err(bad_path("`path` must be a non-empty string.")),
            };
            let value = get_ci(o, "value").cloned();
            if kind == Kind::Remove && path.is_none() {
                return Err(ApiError::new(
                    Code::ScimInvalidPath,
                    "A remove needs a `path` (scimType noTarget).",
                ));
            }
            if kind != Kind::Remove && value.is_none() {
                return Err(ApiError::new(
                    Code::ScimInvalidValue,
                    "An add or replace needs a `value`.",
                ));
            }
            Ok(Op { kind, path, value })
        })
        .collect()
}

/// A parsed path: `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub`.
#[derive(Debug, PartialEq)]
struct Path {
    attr: String,
    filter: Option<(String, String)>,
    sub: Option<String>,
}

fn parse_path(raw: &str) -> ApiResult<Path> {
    // A schema URN prefix names the core schema's attribute (`urn:...:User:userName`).
    let raw = raw
        .rsplit_once(":User:")
        .or_else(|| raw.rsplit_once(":Group:"))
        .map(|(_, a)| a)
        .unwrap_or(raw);
    let (head, filter, tail) = match raw.find('[') {
        Some(open) => {
            let close = raw
                .rfind(']')
                .ok_or_else(|| bad_path(format!("`{raw}`: an unclosed `[`.")))?;
            let inner = &raw[open + 1..close];
            let mut words = inner.splitn(3, char::is_whitespace);
            let (Some(sub), Some(op), Some(value)) = (words.next(), words.next(), words.next())
            else {
                return Err(bad_path(format!(
                    "`{raw}`: the filter in brackets is `<sub-attribute> eq \"<value>\"`."
                )));
            };
            if !op.eq_ignore_ascii_case("eq") {
                return Err(bad_path(format!(
                    "`{raw}`: only `eq` filters a value path."
                )));
            }
            let value = value.trim();
            let value = serde_json::from_str::<Value>(value)
                .ok()
                .map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .unwrap_or_else(|| value.to_string());
            (
                &raw[..open],
                Some((sub.to_string(), value)),
                raw[close + 1..].strip_prefix('.'),
            )
        }
        None => match raw.split_once('.') {
            Some((a, s)) => (a, None, Some(s)),
            None => (raw, None, None),
        },
    };
    if head.is_empty() {
        return Err(bad_path(format!("`{raw}` names no attribute.")));
    }
    Ok(Path {
        attr: head.to_string(),
        filter,
        sub: tail.map(str::to_string),
    })
}

/// The key of `attr` in `obj`: the existing one (names are case-insensitive), else the
/// canonical name among `known`; `None` for an attribute the resource does not store.
fn key_of(obj: &Map<String, Value>, attr: &str, known: &[&str]) -> Option<String> {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(attr))
        .cloned()
        .or_else(|| {
            known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(attr))
                .map(|k| k.to_string())
        })
}

fn matches(element: &Value, (sub, value): &(String, String)) -> bool {
    let Value::Object(o) = element else {
        return false;
    };
    match get_ci(o, sub) {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(value),
        Some(other) => other.to_string().eq_ignore_ascii_case(value),
        None => false,
    }
}

/// Sets `sub` of an object value (the key matched case-insensitively).
fn set_sub(target: &mut Value, sub: &str, value: Value) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let o = target.as_object_mut().expect("an object");
    let key = o
        .keys()
        .find(|k| k.eq_ignore_ascii_case(sub))
        .cloned()
        .unwrap_or_else(|| sub.to_string());
    o.insert(key, value);
}

fn remove_sub(target: &mut Value, sub: &str) {
    if let Value::Object(o) = target {
        o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
    }
}

/// Applies one operation to `obj`. `known` lists the attributes the resource stores (others are
/// ignored: not stored, not advertised), `multi` its multi-valued ones.
pub fn apply(
    obj: &mut Map<String, Value>,
    op: &Op,
    known: &[&str],
    multi: &[&str],
) -> ApiResult<()> {
    let is_multi = |k: &str| multi.iter().any(|m| m.eq_ignore_ascii_case(k));
    let Some(raw_path) = &op.path else {
        // No path: the value is an object of attributes (Entra may dot sub-attributes).
        let Some(Value::Object(values)) = &op.value else {
            return Err(ApiError::new(
                Code::ScimInvalidValue,
                "Without a `path`, `value` is an object of the attributes to set.",
            ));
        };
        for (k, v) in values {
            if k.starts_with("urn:") && !k.contains(":User:") && !k.contains(":Group:") {
                continue; // an extension's attributes: not stored
            }
            let sub_op = Op {
                kind: op.kind,
                path: Some(k.clone()),
                value: Some(v.clone()),
            };
            apply(obj, &sub_op, known, multi)?;
        }
        return Ok(());
    };
    let path = parse_path(raw_path)?;
    let Some(key) = key_of(obj, &path.attr, known) else {
        return Ok(());
    };
    let value = op.value.clone().unwrap_or(Value::Null);
    match (&path.filter, &path.sub, op.kind) {
        // A whole attribute.
        (None, None, Kind::Remove) => {
            match (obj.get_mut(&key), &op.value) {
                // Entra removes members by listing them.
                (Some(Value::Array(list)), Some(Value::Array(gone))) => {
                    list.retain(|e| !gone.iter().any(|g| same_value(e, g)));
                }
                _ => {
                    obj.remove(&key);
                }
            }
        }
        (None, None, Kind::Add) if is_multi(&key) => {
            let items = match value {
                Value::Array(items) => items,
                one => vec![one],
            };
            let list = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let list = list.as_array_mut().expect("an array");
            for item in items {
                if !list.iter().any(|e| same_value(e, &item)) {
                    list.push(item);
                }
            }
        }
        (None, None, Kind::Add | Kind::Replace) => match (obj.get_mut(&key), value) {
            // add merges into a complex attribute (RFC 7644 §3.5.2.1).
            (Some(Value::Object(existing)), Value::Object(new)) if op.kind == Kind::Add => {
                for (k, v) in new {
                    let key = existing
                        .keys()
                        .find(|e| e.eq_ignore_ascii_case(&k))
                        .cloned()
                        .unwrap_or(k);
                    existing.insert(key, v);
                }
            }
            (_, value) => {
                obj.insert(key, value);
            }
        },
        // A sub-attribute of a complex attribute (`name.givenName`).
        (None, Some(sub), Kind::Remove) => {
            if let Some(target) = obj.get_mut(&key) {
                remove_sub(target, sub);
            }
        }
        (None, Some(sub), Kind::Add | Kind::Replace) => {
            let target = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            set_sub(target, sub, value);
        }
        // Elements of a multi-valued attribute picked by a filter.
        (Some(filter), sub, kind) => {
            let list = obj
                .entry(key.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let list = list.as_array_mut().expect("an array");
            match (kind, sub) {
                (Kind::Remove, None) => list.retain(|e| !matches(e, filter)),
                (Kind::Remove, Some(sub)) => list
                    .iter_mut()
                    .filter(|e| matches(e, filter))
                    .for_each(|e| remove_sub(e, sub)),
                (_, sub) => {
                    let mut hit = false;
                    for e in list.iter_mut().filter(|e| matches(e, filter)) {
                        hit = true;
                        match sub {
                            Some(sub) => set_sub(e, sub, value.clone()),
                            None => *e = value.clone(),
                        }
                    }
                    if !hit {
                        // The element is not there yet (Entra adds `emails[type eq "work"].value`).
                        let mut e = Value::Object(Map::new());
                        set_sub(&mut e, &filter.0, Value::String(filter.1.clone()));
                        match sub {
                            Some(sub) => set_sub(&mut e, sub, value),
                            None => e = value,
                        }
                        list.push(e);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Two elements of a multi-valued attribute are the same when their `value`s are.
fn same_value(a: &Value, b: &Value) -> bool {
    let v = |x: &Value| match x {
        Value::Object(o) => get_ci(o, "value").cloned(),
        other => Some(other.clone()),
    };
    v(a).is_some() && v(a) == v(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &[&str] = &[
        "userName",
        "externalId",
        "name",
        "displayName",
        "emails",
        "active",
    ];
    const MULTI: &[&str] = &["emails", "members"];

    fn run(start: Value, ops: Value) -> Value {
        let body = json!({ "schemas": [PATCH_SCHEMA], "Operations": ops });
        let mut obj = start.as_object().unwrap().clone();
        for op in ops_of(body.as_object().unwrap()).unwrap() {
            apply(&mut obj, &op, USER, MULTI).unwrap();
        }
        Value::Object(obj)
    }

    #[test]
    fn okta_and_entra_shapes() {
        let u = json!({ "userName": "a", "active": true, "emails": [{ "value": "a@x.co", "type": "work", "primary": true }] });
        // Okta: replace with a value object.
        assert_eq!(
            run(
                u.clone(),
                json!([{ "op": "replace", "value": { "active": false } }])
            )["active"],
            false
        );
        // Entra: capitalised op, path, "False" as a string (the body rules read it later).
        assert_eq!(
            run(
                u.clone(),
                json!([{ "op": "Replace", "path": "active", "value": "False" }])
            )["active"],
            "False"
        );
        // Entra: a work email's value, and dotted names in a value object.
        let v = run(
            u.clone(),
            json!([
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x.co" },
                { "op": "Add", "value": { "name.givenName": "B", "displayName": "Bee" } },
                { "op": "Add", "path": "title", "value": "ignored" },
                { "op": "Remove", "path": "externalId" },
            ]),
        );
        assert_eq!(v["emails"][0]["value"], "b@x.co");
        assert_eq!(v["name"]["givenName"], "B");
        assert_eq!(v["displayName"], "Bee");
        assert!(v.get("title").is_none());
        // A group's members: Okta's filter path, Entra's remove with a value list.
        let g = json!({ "displayName": "g", "members": [{ "value": "1" }, { "value": "2" }, { "value": "3" }] });
        let v = run(
            g.clone(),
            json!([{ "op": "remove", "path": "members[value eq \"2\"]" }]),
        );
        assert_eq!(v["members"], json!([{ "value": "1" }, { "value": "3" }]));
        let v = run(
            g.clone(),
            json!([{ "op": "Remove", "path": "members", "value": [{ "value": "1" }, { "value": "3" }] }]),
        );
        assert_eq!(v["members"], json!([{ "value": "2" }]));
        let v = run(
            g,
            json!([{ "op": "add", "path": "members", "value": [{ "value": "3" }, { "value": "4" }] }]),
        );
        assert_eq!(v["members"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn malformed_messages_are_refused() {
        for body in [
            json!({ "Operations": [{ "op": "add", "value": {} }] }),
            json!({ "schemas": [PATCH_SCHEMA], "Operations": [] }),
            json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "move", "value": 1 }] }),
            json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "remove" }] }),
            json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "add", "path": "x" }] }),
        ] {
            assert!(ops_of(body.as_object().unwrap()).is_err(), "{body}");
        }
        assert!(parse_path("emails[type eq \"work\"").is_err());
        assert!(parse_path("emails[type co \"w\"]").is_err());
    }
}
