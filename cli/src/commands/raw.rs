//! `orgs api`: any route of the API, authenticated with the saved token (as `gh api` is).

use super::integrations::parse_pair;
use crate::ctx::Ctx;
use crate::error::{exit, Failure, Result};
use crate::output;
use clap::Args;
use serde_json::{Map, Value};

#[derive(Args)]
pub(crate) struct ApiArgs {
    /// The HTTP method.
    #[arg(value_parser = ["GET", "POST", "PUT", "PATCH", "DELETE", "get", "post", "put", "patch", "delete"])]
    pub(crate) method: String,
    /// The path with its query, like /orgs/{orgId}/members?limit=5; `{orgId}` is the current
    /// organization's id (or --org's).
    pub(crate) path: String,
    /// A field of the JSON body, key=value (repeat): a value that reads as JSON (a number,
    /// true, false, null, [..], {..}) is sent as such, anything else as a string.
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub(crate) fields: Vec<(String, String)>,
    /// The whole JSON body from a file (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "fields")]
    pub(crate) input: Option<std::path::PathBuf>,
}

/// The body `--field`s make: `{key: value}` with JSON values typed.
pub(crate) fn body_of(fields: &[(String, String)]) -> Value {
    let mut body = Map::new();
    for (k, v) in fields {
        let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.clone()));
        body.insert(k.clone(), value);
    }
    Value::Object(body)
}

pub(crate) fn api(ctx: &mut Ctx, args: ApiArgs) -> Result<i32> {
    let ApiArgs {
        method,
        path,
        fields,
        input,
    } = args;
    let client = ctx.client()?;
    if !path.starts_with('/') {
        return Err(Failure::Usage(format!(
            "`{path}`: the path starts with /, like /orgs/{{orgId}}/members"
        )));
    }
    let path = if path.contains("{orgId}") {
        path.replace("{orgId}", &ctx.org(&client)?)
    } else {
        path
    };
    let body = match input {
        Some(file) => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| Failure::Other(format!("stdin: {e}")))?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| Failure::Other(format!("{}: {e}", file.display())))?
            };
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{}: not JSON ({e})", file.display())))?,
            )
        }
        None if fields.is_empty() => None,
        None => Some(body_of(&fields)),
    };
    match client.raw(&method.to_uppercase(), &path, body.as_ref()) {
        Ok((_, Value::Null)) => Ok(exit::OK),
        Ok((_, answer)) => {
            ctx.show(&answer, output::json);
            Ok(exit::OK)
        }
        // The problem's JSON on stdout too, so a script reads it as it reads an answer.
        Err(Failure::Problem {
            status,
            problem,
            retry_after,
        }) => {
            ctx.show(&problem, output::json);
            Err(Failure::Problem {
                status,
                problem,
                retry_after,
            })
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::body_of;
    use serde_json::json;

    #[test]
    fn fields_are_typed_when_they_read_as_json() {
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            body_of(&[
                f("name", "Backend"),
                f("maxUses", "3"),
                f("x", "null"),
                f("p", "[\"a\"]"),
                f("s", "007x")
            ]),
            json!({ "name": "Backend", "maxUses": 3, "x": null, "p": ["a"], "s": "007x" })
        );
    }
}
