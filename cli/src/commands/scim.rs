//! `orgs scim tokens`: the bearer tokens the organization's identity provider (Okta, Entra ID)
//! provisions people and groups with over SCIM 2.0. A token is printed once, with the base URL
//! to give the identity provider; nothing can show it again.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::error::Result;
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum ScimCmd {
    /// SCIM tokens: list (the default), create, revoke.
    #[command(args_conflicts_with_subcommands = true)]
    Tokens {
        #[command(flatten)]
        page: Page,
        #[command(subcommand)]
        cmd: Option<TokensCmd>,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokensCmd {
    /// The organization's SCIM tokens (never the tokens themselves).
    #[command(after_help = "Example:\n  orgs scim tokens list")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a token; it is printed once, with the SCIM base URL for the identity provider.
    #[command(
        after_help = "Examples:\n  orgs scim tokens create Okta\n  orgs scim tokens create \"Entra ID\" --expires-in-days 365"
    )]
    Create {
        /// What the token is for (the identity provider's name).
        name: String,
        /// Days until the token stops working: 1 to 1095 (default: until revoked).
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<i64>,
    },
    /// Revoke a token: the identity provider's next request with it is refused; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs scim tokens revoke scimtok_... --yes")]
    Revoke {
        /// The token's id (`orgs scim tokens`).
        token: String,
    },
}

pub(crate) fn scim(ctx: &Ctx, cmd: ScimCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let ScimCmd::Tokens { page, cmd } = cmd;
    match cmd.unwrap_or(TokensCmd::List { page }) {
        TokensCmd::List { page } => ctx.list(&client, &views::SCIM_TOKENS, &[&org], &[], page)?,
        TokensCmd::Create {
            name,
            expires_in_days,
        } => {
            let body = bodies::CreateScimToken {
                name,
                expires_in_days,
            };
            let t = client.send(api::CREATE_SCIM_TOKEN, &[&org], Some(&to_json(&body)))?;
            done(
                ctx,
                &t,
                &format!(
                    "created SCIM token {} ({}). Give your identity provider:\n  SCIM base URL: {}\n  token (shown this once, store it now):\n{}",
                    output::field(&t, "name"),
                    output::field(&t, "id"),
                    output::field(&t, "baseUrl"),
                    output::field(&t, "token"),
                ),
            );
        }
        TokensCmd::Revoke { token } => {
            ctx.confirm(&format!("revoke the SCIM token {token}"))?;
            client.send(api::REVOKE_SCIM_TOKEN, &[&org, &token], None)?;
            done(
                ctx,
                &json!({ "revoked": token }),
                "revoked; the identity provider's next request with it is refused",
            );
        }
    }
    Ok(())
}
