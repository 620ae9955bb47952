//! `orgs teams`. A team is named by its id or its name (unique within the organization).

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, team_arg, Ctx};
use crate::error::Result;
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum TeamsCmd {
    /// The organization's teams (the default).
    #[command(after_help = "Example:\n  orgs teams list --all")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a team.
    #[command(after_help = "Example:\n  orgs teams create Backend --description \"API and jobs\"")]
    Create {
        /// The team's name (unique within the organization).
        name: String,
        /// What the team is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// A team and a page of its members.
    #[command(after_help = "Example:\n  orgs teams show Backend")]
    Show {
        /// The team: its name or id.
        team: String,
    },
    /// Rename a team.
    #[command(after_help = "Example:\n  orgs teams rename Backend Platform")]
    Rename {
        /// The team: its name or id.
        team: String,
        /// Its new name.
        name: String,
    },
    /// Delete a team (its project grants go with it); asks first on a terminal.
    #[command(after_help = "Example:\n  orgs teams delete Backend --yes")]
    Delete {
        /// The team: its name or id.
        team: String,
    },
    /// Put a member on the team.
    #[command(after_help = "Example:\n  orgs teams add Backend user-123")]
    Add {
        /// The team: its name or id.
        team: String,
        /// The member's user id (`orgs members`).
        user: String,
    },
    /// Take a member off the team.
    #[command(after_help = "Example:\n  orgs teams remove Backend user-123")]
    Remove {
        /// The team: its name or id.
        team: String,
        /// The member's user id.
        user: String,
    },
}

pub(crate) fn teams(ctx: &Ctx, cmd: TeamsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        TeamsCmd::List { page } => ctx.list(&client, &views::TEAMS, &[&org], &[], page)?,
        TeamsCmd::Create { name, description } => {
            let t = client.send(
                api::CREATE_TEAM,
                &[&org],
                Some(&to_json(&bodies::CreateNamed { name, description })),
            )?;
            done(
                ctx,
                &t,
                &format!(
                    "created team {} ({})",
                    output::field(&t, "name"),
                    output::field(&t, "id")
                ),
            );
        }
        TeamsCmd::Show { team } => {
            let team = team_arg(&client, &org, &team)?;
            let t = client.get(api::GET_TEAM, &[&org, &team], "")?;
            ctx.show(&t, |t| {
                output::record(&[
                    ("id", output::field(t, "id")),
                    ("name", output::field(t, "name")),
                    ("description", output::field(t, "description")),
                    ("projects", output::field(t, "projectCount")),
                ]);
                crate::outln!();
                output::items(
                    &views::MEMBERS,
                    t["members"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    t["membersNextCursor"].as_str(),
                );
            });
        }
        TeamsCmd::Rename { team, name } => {
            let team = team_arg(&client, &org, &team)?;
            let body = bodies::UpdateNamed {
                name: Some(name),
                ..Default::default()
            };
            let t = client.send(api::UPDATE_TEAM, &[&org, &team], Some(&to_json(&body)))?;
            done(
                ctx,
                &t,
                &format!("renamed to {}", output::field(&t, "name")),
            );
        }
        TeamsCmd::Delete { team: wanted } => {
            let team = team_arg(&client, &org, &wanted)?;
            ctx.confirm(&format!("delete the team {wanted} and its project grants"))?;
            client.send(api::DELETE_TEAM, &[&org, &team], None)?;
            done(
                ctx,
                &json!({ "deleted": team }),
                &format!("deleted {wanted}"),
            );
        }
        TeamsCmd::Add { team, user } => {
            let team = team_arg(&client, &org, &team)?;
            let t = client.send(api::ADD_TEAM_MEMBER, &[&org, &team, &user], None)?;
            done(ctx, &t, &format!("{user} is on the team"));
        }
        TeamsCmd::Remove { team, user } => {
            let team = team_arg(&client, &org, &team)?;
            client.send(api::REMOVE_TEAM_MEMBER, &[&org, &team, &user], None)?;
            done(
                ctx,
                &json!({ "removed": user }),
                &format!("{user} is off the team"),
            );
        }
    }
    Ok(())
}
