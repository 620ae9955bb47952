//! `orgs teams`.

use crate::api::{self, Result};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum TeamsCmd {
    /// The organization's teams.
    #[command(after_help = "Example:\n  orgs teams list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Create a team.
    #[command(after_help = "Example:\n  orgs teams create Backend --description \"API and jobs\"")]
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// A team and a page of its members.
    #[command(after_help = "Example:\n  orgs teams show team_...")]
    Show { team: String },
    /// Rename a team.
    #[command(after_help = "Example:\n  orgs teams rename team_... Platform")]
    Rename { team: String, name: String },
    /// Delete a team (its grants go with it).
    #[command(after_help = "Example:\n  orgs teams delete team_...")]
    Delete { team: String },
    /// Put a member on the team.
    #[command(after_help = "Example:\n  orgs teams add team_... user-123")]
    Add { team: String, user: String },
    /// Take a member off the team.
    #[command(after_help = "Example:\n  orgs teams remove team_... user-123")]
    Remove { team: String, user: String },
}

pub(crate) fn teams(ctx: &Ctx, cmd: TeamsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        TeamsCmd::List { all } => ctx.list(&client, &views::TEAMS, &[&org], &[], all)?,
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
            let t = client.get(api::GET_TEAM, &[&org, &team], "")?;
            ctx.show(&t, |t| {
                output::record(&[
                    ("id", output::field(t, "id")),
                    ("name", output::field(t, "name")),
                    ("description", output::field(t, "description")),
                    ("projects", output::field(t, "projectCount")),
                ]);
                println!();
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
        TeamsCmd::Delete { team } => {
            client.send(api::DELETE_TEAM, &[&org, &team], None)?;
            done(ctx, &json!({ "deleted": team }), "deleted");
        }
        TeamsCmd::Add { team, user } => {
            let t = client.send(api::ADD_TEAM_MEMBER, &[&org, &team, &user], None)?;
            done(ctx, &t, &format!("{user} is on the team"));
        }
        TeamsCmd::Remove { team, user } => {
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
