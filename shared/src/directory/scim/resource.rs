//! SCIM resources as JSON: a user item rendered (RFC 7643 §4.1), a user body read (the values
//! we store, validated; attribute names are case-insensitive, §2.1), `attributes` and
//! `excludedAttributes` (RFC 7644 §3.9), list responses.

use super::{Scim, LIST_SCHEMA, MAX_COUNT, USER_SCHEMA};
use crate::directory::item::user::{
    DirEmail, DirUser, DirUserItem, PersonName, EMAILS_MAX, VALUE_MAX_CHARS,
};
use crate::error::{ApiError, ApiResult, Code};
use crate::pipeline::{Input, Reply};
use serde_json::{json, Map, Value};

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::ScimInvalidValue, detail)
}

/// A user item as SCIM shows it.
pub fn user_json(scim: &Scim, u: &DirUserItem) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.user.user_name,
        "meta": {
            "resourceType": "User",
            "created": u.created,
            "lastModified": u.last_modified,
            "location": format!("{}/Users/{}", scim.base, u.id.as_str()),
        },
    });
    if let Some(ext) = &u.user.external_id {
        v["externalId"] = json!(ext);
    }
    if let Some(active) = u.user.active {
        v["active"] = json!(active);
    }
    if let Some(name) = u.user.name.as_ref().filter(|n| !n.is_empty()) {
        v["name"] = json!(name);
    }
    if let Some(d) = &u.user.display_name {
        v["displayName"] = json!(d);
    }
    if !u.user.emails.is_empty() {
        v["emails"] = json!(u.user.emails);
    }
    v
}

/// The value of `key` in `obj`, matching its name case-insensitively.
pub fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn string_of(v: Option<&Value>, field: &str) -> ApiResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > VALUE_MAX_CHARS || s.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "`{field}` must be at most {VALUE_MAX_CHARS} printable characters."
                )));
            }
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Some(_) => Err(invalid(format!("`{field}` must be a string."))),
    }
}

/// A boolean as identity providers send it (Entra: `"False"`).
pub fn bool_of(v: &Value, field: &str) -> ApiResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(format!("`{field}` must be true or false."))),
    }
}

fn name_of(v: Option<&Value>) -> ApiResult<Option<PersonName>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => {
            let name = PersonName {
                formatted: string_of(get_ci(o, "formatted"), "name.formatted")?,
                family_name: string_of(get_ci(o, "familyName"), "name.familyName")?,
                given_name: string_of(get_ci(o, "givenName"), "name.givenName")?,
            };
            Ok((!name.is_empty()).then_some(name))
        }
        Some(_) => Err(invalid(
            "`name` must be an object (givenName, familyName, formatted).",
        )),
    }
}

fn emails_of(v: Option<&Value>) -> ApiResult<Vec<DirEmail>> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(invalid(
                "`emails` must be a list of {value, type, primary}.",
            ))
        }
    };
    if list.len() > EMAILS_MAX {
        return Err(invalid(format!("A user has at most {EMAILS_MAX} emails.")));
    }
    let mut out = Vec::new();
    for e in list {
        let Value::Object(o) = e else {
            return Err(invalid(
                "Each of `emails` must be an object {value, type, primary}.",
            ));
        };
        let Some(value) = string_of(get_ci(o, "value"), "emails.value")? else {
            continue;
        };
        out.push(DirEmail {
            value,
            kind: string_of(get_ci(o, "type"), "emails.type")?.map(|t| t.to_ascii_lowercase()),
            primary: match get_ci(o, "primary") {
                None | Some(Value::Null) => false,
                Some(p) => bool_of(p, "emails.primary")?,
            },
        });
    }
    if out.iter().filter(|e| e.primary).count() > 1 {
        return Err(invalid("At most one of `emails` is primary."));
    }
    Ok(out)
}

/// Reads a user body (a POST or a PUT, or a PATCH's result): the attributes we store, validated.
/// `id` and `meta` are the service provider's and are ignored, as are attributes we do not
/// store (the `Schemas` endpoint lists those we do).
pub fn user_from(obj: &Map<String, Value>) -> ApiResult<DirUser> {
    if let Some(schemas) = get_ci(obj, "schemas") {
        let has_user = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(USER_SCHEMA)));
        if !has_user {
            return Err(invalid(format!("`schemas` must include {USER_SCHEMA}.")));
        }
    }
    let user_name = string_of(get_ci(obj, "userName"), "userName")?
        .ok_or_else(|| invalid("`userName` is required (a non-empty string)."))?;
    Ok(DirUser {
        user_name,
        external_id: string_of(get_ci(obj, "externalId"), "externalId")?,
        name: name_of(get_ci(obj, "name"))?,
        display_name: string_of(get_ci(obj, "displayName"), "displayName")?,
        emails: emails_of(get_ci(obj, "emails"))?,
        active: match get_ci(obj, "active") {
            None | Some(Value::Null) => None,
            Some(v) => Some(bool_of(v, "active")?),
        },
    })
}

/// `attributes` / `excludedAttributes` of a request (RFC 7644 §3.9), lower-cased paths without
/// a schema prefix.
pub struct Projection {
    only: Option<Vec<String>>,
    except: Vec<String>,
}

fn paths(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split(',')
        .map(|p| {
            let p = p.trim();
            let p = p
                .rsplit_once(":User:")
                .or_else(|| p.rsplit_once(":Group:"))
                .map(|(_, a)| a)
                .unwrap_or(p);
            p.to_ascii_lowercase()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

impl Projection {
    pub fn of(input: &Input) -> Self {
        let only = paths(input.query("attributes"));
        Self {
            only: (!only.is_empty()).then_some(only),
            except: paths(input.query("excludedAttributes")),
        }
    }

    /// Applies the projection; `id` and `schemas` are always returned.
    pub fn apply(&self, mut v: Value) -> Value {
        let Value::Object(obj) = &mut v else {
            return v;
        };
        let always = |k: &str| k.eq_ignore_ascii_case("id") || k.eq_ignore_ascii_case("schemas");
        if let Some(only) = &self.only {
            let keys: Vec<String> = obj.keys().cloned().collect();
            for k in keys {
                let lk = k.to_ascii_lowercase();
                if always(&k) {
                    continue;
                }
                let whole = only.contains(&lk);
                let subs: Vec<&str> = only
                    .iter()
                    .filter_map(|p| p.strip_prefix(&format!("{lk}.")))
                    .collect();
                if whole {
                    continue;
                }
                if subs.is_empty() {
                    obj.remove(&k);
                    continue;
                }
                keep_subs(obj.get_mut(&k), &subs);
            }
        }
        for p in &self.except {
            let (top, sub) = match p.split_once('.') {
                Some((t, s)) => (t, Some(s)),
                None => (p.as_str(), None),
            };
            let key = obj.keys().find(|k| k.eq_ignore_ascii_case(top)).cloned();
            let Some(key) = key.filter(|k| !always(k)) else {
                continue;
            };
            match sub {
                None => {
                    obj.remove(&key);
                }
                Some(sub) => drop_sub(obj.get_mut(&key), sub),
            }
        }
        v
    }
}

fn keep_subs(v: Option<&mut Value>, subs: &[&str]) {
    let keep = |o: &mut Map<String, Value>| {
        o.retain(|k, _| subs.iter().any(|s| k.eq_ignore_ascii_case(s)));
    };
    match v {
        Some(Value::Object(o)) => keep(o),
        Some(Value::Array(list)) => list.iter_mut().for_each(|e| {
            if let Value::Object(o) = e {
                keep(o)
            }
        }),
        _ => {}
    }
}

fn drop_sub(v: Option<&mut Value>, sub: &str) {
    let drop = |o: &mut Map<String, Value>| o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
    match v {
        Some(Value::Object(o)) => drop(o),
        Some(Value::Array(list)) => list.iter_mut().for_each(|e| {
            if let Value::Object(o) = e {
                drop(o)
            }
        }),
        _ => {}
    }
}

/// `startIndex` (1-based, default 1) and `count` (default and cap `MAX_COUNT`) of a list.
pub fn paging(input: &Input) -> ApiResult<(usize, usize)> {
    let number = |name: &str, default: i64| match input.query(name) {
        None | Some("") => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid(format!("`{name}` must be an integer."))),
    };
    // Values below 1 are read as 1 and negative counts as 0 (RFC 7644 §3.4.2.4).
    let start = number("startIndex", 1)?.max(1) as usize;
    let count = number("count", MAX_COUNT as i64)?.clamp(0, MAX_COUNT as i64) as usize;
    Ok((start, count))
}

/// A list response.
pub fn list_reply(total: usize, start: usize, resources: Vec<Value>) -> Reply {
    Reply::ok(&json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": start,
        "Resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_body_reads_case_insensitively_and_entra_booleans() {
        let v = json!({
            "schemas": [USER_SCHEMA],
            "UserName": " alice@example.com ",
            "Active": "False",
            "name": { "GivenName": "Alice" },
            "emails": [{ "value": "alice@example.com", "type": "Work", "primary": "true" }],
            "password": "ignored",
            "id": "ignored",
        });
        let u = user_from(v.as_object().unwrap()).unwrap();
        assert_eq!(u.user_name, "alice@example.com");
        assert_eq!(u.active, Some(false));
        assert_eq!(u.name.unwrap().given_name.as_deref(), Some("Alice"));
        assert_eq!(u.emails[0].kind.as_deref(), Some("work"));
        assert!(u.emails[0].primary);
        for bad in [
            json!({ "active": true }),
            json!({ "userName": "" }),
            json!({ "userName": 3 }),
            json!({ "userName": "a", "emails": "x" }),
            json!({ "userName": "a", "active": "maybe" }),
            json!({ "userName": "a", "schemas": ["urn:other"] }),
        ] {
            let e = user_from(bad.as_object().unwrap()).unwrap_err();
            assert_eq!(e.code, Code::ScimInvalidValue, "{bad}");
        }
    }

    #[test]
    fn attributes_and_excluded_attributes_project_the_resource() {
        let v = json!({ "schemas": ["s"], "id": "1", "userName": "a", "name": { "givenName": "A", "familyName": "B" }, "emails": [{ "value": "x", "type": "work" }] });
        let p = Projection {
            only: Some(vec!["username".into(), "name.givenname".into()]),
            except: vec![],
        };
        assert_eq!(
            p.apply(v.clone()),
            json!({ "schemas": ["s"], "id": "1", "userName": "a", "name": { "givenName": "A" } })
        );
        let p = Projection {
            only: None,
            except: vec!["emails".into(), "name.familyname".into(), "id".into()],
        };
        assert_eq!(
            p.apply(v),
            json!({ "schemas": ["s"], "id": "1", "userName": "a", "name": { "givenName": "A" } })
        );
    }
}
