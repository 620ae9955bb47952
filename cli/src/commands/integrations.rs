//! `orgs integrations`: third-party services and their credentials.

use crate::api::{self, Failure, Result};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::output;
use crate::views;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::{IsTerminal, Read};

#[derive(Subcommand)]
pub(crate) enum IntegrationsCmd {
    /// The organization's integrations (never their secrets).
    #[command(after_help = "Example:\n  orgs integrations list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Connect a provider; the secret is read from stdin or a file and shown back as its fingerprint.
    #[command(
        after_help = "Example:\n  orgs integrations add --kind dns_provider --provider cloudflare --name cf --secret-stdin < token.txt"
    )]
    Add {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        name: String,
        /// key=value (repeat).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
        config: Vec<(String, String)>,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Replace an integration's secret.
    #[command(
        after_help = "Example:\n  orgs integrations rotate int_... --secret-file new-key.json"
    )]
    Rotate {
        integration: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Remove an integration and delete its secret.
    #[command(after_help = "Example:\n  orgs integrations remove int_...")]
    Remove { integration: String },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct SecretSource {
    #[arg(long)]
    pub(crate) secret_stdin: bool,
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<std::path::PathBuf>,
}

pub(crate) fn parse_pair(raw: &str) -> std::result::Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
}

pub(crate) fn read_secret(source: &SecretSource) -> Result<String> {
    let text = match &source.secret_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("secret (end with Ctrl-D):");
            }
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::Other(e.to_string()))?;
            s
        }
    };
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(Failure::Usage("the secret is empty".into()));
    }
    Ok(secret)
}

pub(crate) fn integrations(ctx: &Ctx, cmd: IntegrationsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        IntegrationsCmd::List { all } => {
            ctx.list(&client, &views::INTEGRATIONS, &[&org], &[], all)?
        }
        IntegrationsCmd::Add {
            kind,
            provider,
            name,
            config,
            secret,
        } => {
            let body = bodies::CreateIntegration {
                kind,
                provider,
                name,
                config: config.into_iter().collect(),
                secret: read_secret(&secret)?,
            };
            let i = client.send(api::CREATE_INTEGRATION, &[&org], Some(&to_json(&body)))?;
            done(
                ctx,
                &i,
                &format!(
                    "connected {} ({}); secret fingerprint {}",
                    output::field(&i, "name"),
                    output::field(&i, "id"),
                    output::field(&i, "fingerprint")
                ),
            );
        }
        IntegrationsCmd::Rotate {
            integration,
            secret,
        } => {
            let body = bodies::Secret {
                secret: read_secret(&secret)?,
            };
            let i = client.send(
                api::ROTATE_INTEGRATION_SECRET,
                &[&org, &integration],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &i,
                &format!("rotated; fingerprint {}", output::field(&i, "fingerprint")),
            );
        }
        IntegrationsCmd::Remove { integration } => {
            client.send(api::DELETE_INTEGRATION, &[&org, &integration], None)?;
            done(
                ctx,
                &json!({ "deleted": integration }),
                "removed; its secret is deleted",
            );
        }
    }
    Ok(())
}
