//! `orgs integrations`: third-party services and their credentials.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, prompt_secret, Ctx};
use crate::error::{Failure, Result};
use crate::output;
use crate::views;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::{IsTerminal, Read};

#[derive(Subcommand)]
pub(crate) enum IntegrationsCmd {
    /// The organization's integrations (the default; never their secrets).
    #[command(after_help = "Example:\n  orgs integrations list --all")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Connect a provider; the secret is read from stdin or a file (or asked for, hidden, on a
    /// terminal) and shown back as its fingerprint.
    #[command(
        after_help = "Providers by kind:\n  cloud_account: aws, digitalocean, hetzner, gcp, azure\n  dns_provider: cloudflare, route53, azure_dns, digitalocean\n  storage_provider: s3, r2, b2, gcs, azure_blob\n  git_connection: github, gitlab\n  addon_repo: git\n\nExample:\n  orgs integrations add --kind dns_provider --provider cloudflare --name cf --secret-stdin < token.txt"
    )]
    Add {
        /// What it connects.
        #[arg(long, value_parser = ["cloud_account", "dns_provider", "storage_provider", "git_connection", "addon_repo"])]
        kind: String,
        /// The provider, one of the kind's (listed below).
        #[arg(long, value_parser = ["aws", "digitalocean", "hetzner", "gcp", "azure", "cloudflare", "route53", "azure_dns", "s3", "r2", "b2", "gcs", "azure_blob", "github", "gitlab", "git"])]
        provider: String,
        /// A name people see (unique within the organization).
        #[arg(long)]
        name: String,
        /// A setting of the provider's, key=value (repeat; e.g. bucket=backups region=eu-west-1).
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
        /// The integration's id (`orgs integrations`).
        integration: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Remove an integration and delete its secret; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs integrations remove int_... --yes")]
    Remove {
        /// The integration's id.
        integration: String,
    },
}

/// Where the secret comes from: stdin, a file, or (neither given, on a terminal) a hidden prompt.
#[derive(Args)]
#[group(multiple = false)]
pub(crate) struct SecretSource {
    /// Read the secret from stdin (to its end).
    #[arg(long)]
    pub(crate) secret_stdin: bool,
    /// Read the secret from this file.
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
        None if !source.secret_stdin && std::io::stdin().is_terminal() => prompt_secret("secret")?,
        None if !source.secret_stdin => {
            return Err(Failure::Usage(
                "the secret: pass --secret-stdin or --secret-file (not on a terminal, so it cannot be asked for)".into(),
            ))
        }
        None => {
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
        IntegrationsCmd::List { page } => {
            ctx.list(&client, &views::INTEGRATIONS, &[&org], &[], page)?
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
            ctx.confirm(&format!(
                "remove the integration {integration} and delete its secret"
            ))?;
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
