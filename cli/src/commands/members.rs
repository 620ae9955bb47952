//! `orgs members`: list, change roles, remove, leave, transfer ownership.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{claims, done, Ctx};
use crate::error::{Failure, Result};
use crate::output;
use crate::views;
use clap::Args;
use clap::Subcommand;
use serde_json::json;

/// What `orgs members` and `orgs members list` take.
#[derive(Args, Clone, Default)]
pub(crate) struct ListArgs {
    /// Only members with this role: owner, admin, editor, developer, viewer, guest, or a custom
    /// role (its name or id; `orgs roles`).
    #[arg(long)]
    pub(crate) role: Option<String>,
    #[command(flatten)]
    pub(crate) page: Page,
}

#[derive(Subcommand)]
pub(crate) enum MembersCmd {
    /// The organization's members (the default; filter with --role).
    #[command(after_help = "Example:\n  orgs members list --role admin --all")]
    List(ListArgs),
    /// Change a member's role: a system role or a custom role (its name or id; `orgs roles`).
    #[command(
        after_help = "Example:\n  orgs members role user-123 developer\n  orgs members role user-123 billing-viewer"
    )]
    Role {
        /// The member's user id.
        user: String,
        /// admin, editor, developer, viewer, guest, or a custom role's name or id.
        role: String,
    },
    /// Deactivate a member: they keep their role, teams and grants, hold no seat, and every
    /// request of theirs is refused until reactivated.
    #[command(after_help = "Example:\n  orgs members deactivate user-123")]
    Deactivate {
        /// The member's user id.
        user: String,
    },
    /// Reactivate a deactivated member with the role, teams and grants they had (needs a free seat).
    #[command(after_help = "Example:\n  orgs members reactivate user-123")]
    Reactivate {
        /// The member's user id.
        user: String,
    },
    /// Remove a member; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs members remove user-123 --yes")]
    Remove {
        /// The member's user id.
        user: String,
    },
    /// Leave the organization; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs members leave --org acme --yes")]
    Leave,
    /// Make a member the owner (you become admin); asks first on a terminal.
    #[command(after_help = "Example:\n  orgs members transfer user-123")]
    Transfer {
        /// The member who becomes the owner.
        user: String,
    },
}

pub(crate) fn members(ctx: &Ctx, cmd: MembersCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let cmd_is_deactivate = matches!(cmd, MembersCmd::Deactivate { .. });
    match cmd {
        MembersCmd::List(ListArgs { role, page }) => {
            let role = role
                .map(|r| super::roles::role_arg(&client, &org, &r))
                .transpose()?;
            ctx.list(&client, &views::MEMBERS, &[&org], &[("role", role)], page)?
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
        MembersCmd::Deactivate { user } | MembersCmd::Reactivate { user } => {
            let (status, verb) = match cmd_is_deactivate {
                true => ("deactivated", "deactivated"),
                false => ("active", "reactivated"),
            };
            let m = client.send(
                api::CHANGE_MEMBER_ROLE,
                &[&org, &user],
                Some(&to_json(&bodies::ChangeStatus {
                    status: status.to_string(),
                })),
            )?;
            done(ctx, &m, &format!("{user} is {verb}"));
        }
        MembersCmd::Remove { user } => {
            ctx.confirm(&format!("remove {user} from the organization"))?;
            client.send(api::REMOVE_MEMBER, &[&org, &user], None)?;
            done(ctx, &json!({ "removed": user }), &format!("removed {user}"));
        }
        MembersCmd::Leave => {
            let token = ctx.config.token().ok_or(Failure::NotLoggedIn)?;
            let me = claims(&token)["sub"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            ctx.confirm("leave the organization")?;
            client.send(api::REMOVE_MEMBER, &[&org, &me], None)?;
            done(ctx, &json!({ "left": org }), "you left the organization");
        }
        MembersCmd::Transfer { user } => {
            ctx.confirm(&format!("make {user} the owner (you become admin)"))?;
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
