//! `orgs members`: list, change roles, remove, leave, transfer ownership.

use crate::api::{self, Failure, Result};
use crate::bodies::{self, to_json};
use crate::ctx::{claims, done, Ctx};
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum MembersCmd {
    /// The organization's members (filter with --role).
    #[command(after_help = "Example:\n  orgs members list --role admin")]
    List {
        /// A system role or a custom role (its name or id).
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Change a member's role: a system role or a custom role (its name or id; `orgs roles`).
    #[command(
        after_help = "Example:\n  orgs members role user-123 developer\n  orgs members role user-123 billing-viewer"
    )]
    Role { user: String, role: String },
    /// Remove a member.
    #[command(after_help = "Example:\n  orgs members remove user-123")]
    Remove { user: String },
    /// Leave the organization.
    #[command(after_help = "Example:\n  orgs members leave --org acme")]
    Leave,
    /// Make a member the owner (you become admin).
    #[command(after_help = "Example:\n  orgs members transfer user-123")]
    Transfer { user: String },
}

pub(crate) fn members(ctx: &Ctx, cmd: MembersCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        MembersCmd::List { role, all } => {
            let role = role
                .map(|r| super::roles::role_arg(&client, &org, &r))
                .transpose()?;
            ctx.list(&client, &views::MEMBERS, &[&org], &[("role", role)], all)?
        }
        MembersCmd::Role { user, role } => {
            let role = super::roles::role_arg(&client, &org, &role)?;
            let m = client.send(
                api::CHANGE_MEMBER_ROLE,
                &[&org, &user],
                Some(&to_json(&bodies::ChangeRole { role })),
            )?;
            done(
                ctx,
                &m,
                &format!("{user} is now {}", output::field(&m, "role")),
            );
        }
        MembersCmd::Remove { user } => {
            client.send(api::REMOVE_MEMBER, &[&org, &user], None)?;
            done(ctx, &json!({ "removed": user }), &format!("removed {user}"));
        }
        MembersCmd::Leave => {
            let token = ctx.config.token().ok_or(Failure::NotLoggedIn)?;
            let me = claims(&token)["sub"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            client.send(api::REMOVE_MEMBER, &[&org, &me], None)?;
            done(ctx, &json!({ "left": org }), "you left the organization");
        }
        MembersCmd::Transfer { user } => {
            let body = client.send(
                api::TRANSFER_OWNERSHIP,
                &[&org],
                Some(&to_json(&bodies::Transfer {
                    user_id: user.clone(),
                })),
            )?;
            done(
                ctx,
                &body,
                &format!("{user} is the owner now; you are admin"),
            );
        }
    }
    Ok(())
}
