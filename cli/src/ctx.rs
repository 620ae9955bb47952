//! What every command shares: the saved settings, the client, output and prompts.

use crate::api::{self, Client, Failure, Result};
use crate::config::{Config, CurrentOrg};
use crate::output::{self, View};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};

/// The saved settings and what the command line and the environment add.
pub(crate) struct Ctx {
    pub(crate) config: Config,
    pub(crate) json: bool,
    pub(crate) org_flag: Option<String>,
}

impl Ctx {
    pub(crate) fn client(&self) -> Result<Client> {
        let api = self.config.api_url().ok_or(Failure::NotLoggedIn)?;
        let token = self.config.token().ok_or(Failure::NotLoggedIn)?;
        Ok(Client::new(&api, &token))
    }

    /// The organization's id: `--org` (an id, or a slug looked up among yours), else the current one.
    pub(crate) fn org(&self, client: &Client) -> Result<String> {
        match &self.org_flag {
            Some(o) => Ok(resolve_org(client, o)?.id),
            None => self
                .config
                .current_org
                .as_ref()
                .map(|c| c.id.clone())
                .ok_or_else(|| {
                    Failure::Usage(
                        "no organization chosen: pass --org <slug|id> or run `orgs switch <slug|id>`"
                            .into(),
                    )
                }),
        }
    }

    /// Prints the API's JSON with --json, else what `human` prints.
    pub(crate) fn show(&self, body: &Value, human: impl FnOnce(&Value)) {
        if self.json {
            output::json(body);
        } else {
            human(body);
        }
    }

    /// A list (one page, or every page with `all`), printed as JSON (`{items, nextCursor}`) or a table.
    pub(crate) fn list(
        &self,
        client: &Client,
        view: &View,
        params: &[&str],
        filters: &[(&str, Option<String>)],
        all: bool,
    ) -> Result<()> {
        let (items, next) =
            client.list(view.endpoint, params, filters, all, &mut output::progress)?;
        output::progress_done();
        if self.json {
            output::json(&json!({ "items": items, "nextCursor": next }));
        } else {
            output::items(view, &items, next.as_str());
        }
        Ok(())
    }
}

/// Finds one of your organizations by id or slug.
pub(crate) fn resolve_org(client: &Client, wanted: &str) -> Result<CurrentOrg> {
    let (items, _) = client.list(api::LIST_MY_ORGS, &[], &[], true, &mut |_| {})?;
    items
        .iter()
        .find(|o| o["id"] == wanted || o["slug"] == wanted)
        .map(|o| CurrentOrg {
            id: o["id"].as_str().unwrap_or_default().to_string(),
            slug: o["slug"].as_str().map(str::to_string),
            name: o["name"].as_str().map(str::to_string),
        })
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
    eprint!("{question}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(e.to_string()))?;
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
    ctx.show(body, |_| println!("{}", output::green(message)));
}
