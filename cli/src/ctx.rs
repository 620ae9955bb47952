//! What every command shares: the saved settings, the client, output and prompts.

use crate::api::{self, Client, Page};
use crate::config::{Config, CurrentOrg};
use crate::error::{Failure, Result};
use crate::output::{self, View};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};

/// The saved settings and what the command line and the environment add.
pub(crate) struct Ctx {
    pub(crate) config: Config,
    pub(crate) json: bool,
    /// `--jq <path>`: print what the path picks from the JSON (implies JSON output).
    pub(crate) jq: Option<String>,
    pub(crate) org_flag: Option<String>,
    /// `--yes`: destructive commands do not ask.
    pub(crate) yes: bool,
}

impl Ctx {
    pub(crate) fn client(&self) -> Result<Client> {
        let api = self.config.api_url().ok_or(Failure::NotLoggedIn)?;
        let token = self.config.token().ok_or(Failure::NotLoggedIn)?;
        Ok(Client::new(&api, &token))
    }

    /// The organization of the API key in use, when the caller is one.
    pub(crate) fn key_org(&self) -> Option<String> {
        self.config
            .token()
            .and_then(|t| crate::api::org_of_api_key(&t))
    }

    /// The organization's id: `--org` (an id, or a slug looked up among yours), else the current
    /// one. Which one it is goes to stderr (`in Acme (acme)`) unless the output is JSON.
    pub(crate) fn org(&self, client: &Client) -> Result<String> {
        let org = match &self.org_flag {
            Some(o) => resolve_org(client, o)?,
            None => match (&self.config.current_org, self.key_org()) {
                // An API key acts in its own organization only.
                (_, Some(id)) => crate::config::CurrentOrg {
                    id,
                    slug: None,
                    name: None,
                },
                (Some(current), None) => current.clone(),
                (None, None) => return Err(Failure::Usage(
                    "no organization chosen: pass --org <slug|id> or run `orgs switch <slug|id>`"
                        .into(),
                )),
            },
        };
        if !self.machine() {
            eprintln!("{}", output::dim(&format!("in {}", describe_org(&org))));
        }
        Ok(org.id)
    }

    /// JSON out (`--json` or `--jq`): nothing but the data on stdout.
    pub(crate) fn machine(&self) -> bool {
        self.json || self.jq.is_some()
    }

    /// Prints the API's JSON with --json (what the path picks with --jq), else what `human` prints.
    pub(crate) fn show(&self, body: &Value, human: impl FnOnce(&Value)) {
        if let Some(path) = &self.jq {
            match output::jq(body, path) {
                Ok(lines) => lines.iter().for_each(|l| crate::outln!("{l}")),
                Err(e) => {
                    eprintln!("error: --jq {e}");
                    std::process::exit(crate::error::exit::USAGE);
                }
            }
        } else if self.json {
            output::json(body);
        } else {
            human(body);
        }
    }

    /// Asks before a destructive change on a terminal; `--yes` skips the question, and without
    /// a terminal `--yes` is required (a script must say it means it).
    pub(crate) fn confirm(&self, what: &str) -> Result<()> {
        if self.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(format!(
                "{what}: pass --yes to confirm (not on a terminal, so nobody can be asked)"
            )));
        }
        match ask(&format!("{what}? [y/N] "))?
            .to_ascii_lowercase()
            .as_str()
        {
            "y" | "yes" => Ok(()),
            _ => Err(Failure::Usage("not confirmed: nothing changed".into())),
        }
    }

    /// A list (one page, `--limit N` items or every page with `--all`), printed as JSON
    /// (`{items, nextCursor}`), what `--jq` picks from it, or a table.
    pub(crate) fn list(
        &self,
        client: &Client,
        view: &View,
        params: &[&str],
        filters: &[(&str, Option<String>)],
        page: Page,
    ) -> Result<()> {
        let (items, next) =
            client.list(view.endpoint, params, filters, page, &mut output::progress)?;
        output::progress_done();
        let body = json!({ "items": items, "nextCursor": next });
        self.show(&body, |_| output::items(view, &items, next.as_str()));
        Ok(())
    }
}

/// `Acme (acme)`, or the id when the name is not known.
/// An organization as the API lists it, as the current one.
pub(crate) fn current_of(o: &Value) -> CurrentOrg {
    CurrentOrg {
        id: o["id"].as_str().unwrap_or_default().to_string(),
        slug: o["slug"].as_str().map(str::to_string),
        name: o["name"].as_str().map(str::to_string),
    }
}

pub(crate) fn describe_org(org: &CurrentOrg) -> String {
    match (&org.name, &org.slug) {
        (Some(n), Some(s)) => format!("{n} ({s})"),
        (None, Some(s)) => s.clone(),
        _ => org.id.clone(),
    }
}

/// A team or project as a person types it: its id (`team_`/`prj_` and 32 hex digits), else its
/// name (unique within the organization; case and surrounding spaces ignored), looked up in the
/// organization's list.
pub(crate) fn resolve_named(
    client: &Client,
    org: &str,
    endpoint: api::Endpoint,
    prefix: &str,
    what: &str,
    wanted: &str,
) -> Result<String> {
    let hex = wanted.strip_prefix(prefix).unwrap_or_default();
    if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(wanted.to_string());
    }
    let (items, _) = client.list(endpoint, &[org], &[], Page::ALL, &mut |_| {})?;
    let key = wanted.trim().to_lowercase();
    let found: Vec<&Value> = items
        .iter()
        .filter(|i| {
            i["name"]
                .as_str()
                .is_some_and(|n| n.trim().to_lowercase() == key)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(Failure::Usage(format!(
            "no {what} named `{wanted}` here (`orgs {what}s` lists them; an id works too)"
        ))),
        many => {
            let ids: Vec<String> = many
                .iter()
                .map(|i| {
                    format!(
                        "{} (created {})",
                        crate::output::field(i, "id"),
                        crate::output::field(i, "createdAt")
                    )
                })
                .collect();
            Err(Failure::Usage(format!(
                "{} {what}s are named `{wanted}`; pass the id of the one you mean: {}",
                many.len(),
                ids.join(", ")
            )))
        }
    }
}

pub(crate) fn team_arg(client: &Client, org: &str, wanted: &str) -> Result<String> {
    resolve_named(client, org, api::LIST_TEAMS, "team_", "team", wanted)
}

pub(crate) fn project_arg(client: &Client, org: &str, wanted: &str) -> Result<String> {
    resolve_named(client, org, api::LIST_PROJECTS, "prj_", "project", wanted)
}

/// Finds one of your organizations by id or slug.
pub(crate) fn resolve_org(client: &Client, wanted: &str) -> Result<CurrentOrg> {
    let (items, _) = client.list(api::LIST_MY_ORGS, &[], &[], Page::ALL, &mut |_| {})?;
    items
        .iter()
        .find(|o| o["id"] == wanted || o["slug"] == wanted)
        .map(current_of)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "you are in no organization with the slug or id `{wanted}` (`orgs list` shows yours)"
            ))
        })
}

pub(crate) fn prompt(question: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "{question}: not on a terminal, pass it as an option"
        )));
    }
    ask(&format!("{question}: "))
}

/// Shows `question` on stderr and reads one line of the terminal's answer.
fn ask(question: &str) -> Result<String> {
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(e.to_string()))?;
    Ok(line.trim().to_string())
}

/// A prompt for a secret (a token, a credential): what is typed is not shown.
pub(crate) fn prompt_secret(question: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "{question}: not on a terminal, pass it on stdin"
        )));
    }
    eprint!("{question} (not shown): ");
    std::io::stderr().flush().ok();
    let line = rpassword::read_password().map_err(|e| Failure::Other(e.to_string()))?;
    eprintln!();
    Ok(line.trim().to_string())
}

/// The claims of a token, without verifying it (what it says about who you are).
pub(crate) fn claims(token: &str) -> Value {
    use base64::Engine;
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

pub(crate) fn done(ctx: &Ctx, body: &Value, message: &str) {
    ctx.show(body, |_| crate::outln!("{}", output::green(message)));
}
