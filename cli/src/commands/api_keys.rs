//! `orgs api-keys`: the organization's API keys for machines (CI pipelines, scripts). A key's
//! secret is printed once, when it is created or rolled; nothing can show it again.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, project_arg, Ctx};
use crate::error::Result;
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub(crate) enum ApiKeysCmd {
    /// The organization's API keys (the default; never their secrets).
    #[command(after_help = "Example:\n  orgs api-keys list --all")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a key with a role at or below your own; its secret is printed once.
    #[command(
        after_help = "Examples:\n  orgs api-keys create \"GitHub Actions\" --role developer --project prj_... --expires-in-days 30\n  orgs api-keys create backups --role viewer --never-expires"
    )]
    Create {
        /// A name people see (what uses the key).
        name: String,
        /// admin, editor, developer, viewer, guest (never owner), or a custom role (its name or id).
        #[arg(long)]
        role: String,
        /// Limit the key to a project, its name or id (repeat); it is then a guest elsewhere.
        #[arg(long = "project", value_name = "PROJECT")]
        projects: Vec<String>,
        /// Days until the key expires: 1 to 365 (default 90).
        #[arg(long, value_name = "DAYS", conflicts_with = "never_expires")]
        expires_in_days: Option<i64>,
        /// A key that never expires (only where the organization's settings allow it).
        #[arg(long)]
        never_expires: bool,
    },
    /// Revoke a key: its next verification fails; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs api-keys revoke key_... --yes")]
    Revoke {
        /// The key's id (`orgs api-keys`).
        key: String,
    },
    /// A new secret for a key, printed once; the old one keeps working for --grace-minutes.
    #[command(after_help = "Example:\n  orgs api-keys roll key_... --grace-minutes 30")]
    Roll {
        /// The key's id.
        key: String,
        /// 0 to 1440 (default 0: the old secret stops at once).
        #[arg(long, default_value_t = 0)]
        grace_minutes: i64,
    },
}

/// The answer that holds a secret: the message, then the key alone on its own line.
fn shown_once(ctx: &Ctx, k: &Value, what: &str) {
    done(
        ctx,
        k,
        &format!(
            "{what} {} ({}), role {}. The key, shown this once (store it now):\n{}",
            output::field(k, "name"),
            output::field(k, "id"),
            output::field(k, "role"),
            output::field(k, "key"),
        ),
    );
}

pub(crate) fn api_keys(ctx: &Ctx, cmd: ApiKeysCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        ApiKeysCmd::List { page } => ctx.list(&client, &views::API_KEYS, &[&org], &[], page)?,
        ApiKeysCmd::Create {
            name,
            role,
            projects,
            expires_in_days,
            never_expires,
        } => {
            let body = bodies::CreateApiKey {
                name,
                role: super::roles::role_arg(&client, &org, &role)?,
                project_ids: projects
                    .iter()
                    .map(|p| project_arg(&client, &org, p))
                    .collect::<Result<Vec<_>>>()?,
                expires_in_days: if never_expires {
                    Some(None)
                } else {
                    expires_in_days.map(Some)
                },
            };
            let k = client.send(api::CREATE_API_KEY, &[&org], Some(&to_json(&body)))?;
            shown_once(ctx, &k, "created API key");
        }
        ApiKeysCmd::Revoke { key } => {
            ctx.confirm(&format!("revoke the API key {key}"))?;
            client.send(api::REVOKE_API_KEY, &[&org, &key], None)?;
            done(
                ctx,
                &json!({ "revoked": key }),
                "revoked; its next verification fails",
            );
        }
        ApiKeysCmd::Roll { key, grace_minutes } => {
            let body = bodies::RollApiKey { grace_minutes };
            let k = client.send(api::ROLL_API_KEY, &[&org, &key], Some(&to_json(&body)))?;
            shown_once(ctx, &k, "rolled API key");
        }
    }
    Ok(())
}
