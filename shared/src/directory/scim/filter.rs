//! SCIM filters this service provider answers (RFC 7644 §3.4.2.2): `eq` comparisons of the
//! attributes it can look up, joined by `and`. Anything else is 400 `invalidFilter`.

use crate::error::{ApiError, ApiResult, Code};

/// An attribute a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Id,
    UserName,
    ExternalId,
    /// `emails.value`, or `emails[type eq "<type>"].value` (the type in `Cond::email_type`).
    Email,
    DisplayName,
}

/// One `<attr> eq "<value>"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub attr: Attr,
    pub value: String,
    /// `emails[type eq "work"].value`: only addresses of this type.
    pub email_type: Option<String>,
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::ScimInvalidFilter, detail)
}

fn unsupported(filter: &str) -> ApiError {
    invalid(format!(
        "The filter `{filter}` is not one this service provider answers: `eq` on userName, externalId, emails.value, emails[type eq \"work\"].value or id (Users), displayName, externalId or id (Groups), joined by `and`."
    ))
}

/// The attribute a path names, without a schema URN prefix; case-insensitive.
fn attr_of(path: &str, filter: &str) -> ApiResult<(Attr, Option<String>)> {
    let path = path
        .rsplit_once(":User:")
        .or_else(|| path.rsplit_once(":Group:"))
        .map(|(_, a)| a)
        .unwrap_or(path);
    let lower = path.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "id" => (Attr::Id, None),
        "username" => (Attr::UserName, None),
        "externalid" => (Attr::ExternalId, None),
        "emails" | "emails.value" => (Attr::Email, None),
        "displayname" => (Attr::DisplayName, None),
        _ => {
            // emails[type eq "work"].value
            let inner = lower
                .strip_prefix("emails[")
                .and_then(|r| r.strip_suffix("].value").or_else(|| r.strip_suffix(']')))
                .ok_or_else(|| unsupported(filter))?;
            let inner_raw = &path["emails[".len().."emails[".len() + inner.len()];
            match parse_raw(inner_raw)?.as_slice() {
                [(path, value)] if path.eq_ignore_ascii_case("type") => {
                    (Attr::Email, Some(value.to_ascii_lowercase()))
                }
                _ => return Err(unsupported(filter)),
            }
        }
    })
}

/// Parses a filter into its conditions (all must hold).
pub fn parse(filter: &str) -> ApiResult<Vec<Cond>> {
    parse_raw(filter)?
        .into_iter()
        .map(|(path, value)| {
            let (attr, email_type) = attr_of(&path, filter)?;
            Ok(Cond {
                attr,
                value,
                email_type,
            })
        })
        .collect()
}

/// A filter's `<path> eq <value>` comparisons joined by `and`, as written.
fn parse_raw(filter: &str) -> ApiResult<Vec<(String, String)>> {
    let chars: Vec<char> = filter.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        // The attribute path: up to whitespace outside brackets.
        let start = i;
        let mut depth = 0;
        while i < chars.len() && (depth > 0 || !chars[i].is_whitespace()) {
            match chars[i] {
                '[' => depth += 1,
                ']' => depth -= 1,
                '"' if depth > 0 => {
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let path: String = chars[start..i.min(chars.len())].iter().collect();
        if path.is_empty() || path.starts_with('(') || path.eq_ignore_ascii_case("not") {
            return Err(unsupported(filter));
        }
        skip_ws(&mut i);
        let op_start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let op: String = chars[op_start..i].iter().collect();
        if !op.eq_ignore_ascii_case("eq") {
            return Err(if op.is_empty() {
                invalid(format!(
                    "The filter `{filter}` has no operator after `{path}`."
                ))
            } else {
                unsupported(filter)
            });
        }
        skip_ws(&mut i);
        // The value: a JSON string (or a bare literal, compared as text).
        let value = if i < chars.len() && chars[i] == '"' {
            let vstart = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= chars.len() {
                return Err(invalid(format!(
                    "The filter `{filter}` has an unterminated string."
                )));
            }
            i += 1;
            let raw: String = chars[vstart..i].iter().collect();
            serde_json::from_str::<String>(&raw)
                .map_err(|_| invalid(format!("The filter `{filter}` has an invalid string.")))?
        } else {
            let vstart = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            let raw: String = chars[vstart..i].iter().collect();
            if raw.is_empty() {
                return Err(invalid(format!(
                    "The filter `{filter}` has no value after `{path} {op}`."
                )));
            }
            raw
        };
        out.push((path, value));
        skip_ws(&mut i);
        if i >= chars.len() {
            return Ok(out);
        }
        let and_start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let word: String = chars[and_start..i].iter().collect();
        if !word.eq_ignore_ascii_case("and") {
            return Err(unsupported(filter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_identity_providers_send_parse() {
        let c = parse(r#"userName eq "Alice@Example.com""#).unwrap();
        assert_eq!(
            c,
            vec![Cond {
                attr: Attr::UserName,
                value: "Alice@Example.com".into(),
                email_type: None
            }]
        );
        let c = parse(r#"externalId eq "00u1" and userName EQ "a b""#).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].value, "a b");
        let c = parse(r#"emails[type eq "work"].value eq "a@b.co""#).unwrap();
        assert_eq!(
            (c[0].attr, c[0].email_type.as_deref()),
            (Attr::Email, Some("work"))
        );
        let c = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#).unwrap();
        assert_eq!(c[0].attr, Attr::UserName);
        let c = parse(r#"displayName eq "Eng \"core\"""#).unwrap();
        assert_eq!(c[0].value, "Eng \"core\"");
    }

    #[test]
    fn anything_else_is_invalid_filter() {
        for f in [
            r#"userName sw "a""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"title eq "x""#,
            r#"userName eq"#,
            r#"userName eq "open"#,
            r#"not (userName eq "a")"#,
            r#"(userName eq "a")"#,
            "",
            r#"emails[value eq "x"].value eq "y""#,
        ] {
            let e = parse(f).unwrap_err();
            assert_eq!(e.code, Code::ScimInvalidFilter, "{f}");
        }
    }
}
