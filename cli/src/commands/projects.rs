//! `orgs projects`.

use crate::api::{self, Result};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum ProjectsCmd {
    /// The projects you can see.
    #[command(after_help = "Example:\n  orgs projects list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Create a project (you become its admin).
    #[command(after_help = "Example:\n  orgs projects create Website")]
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// A project and your role in it.
    #[command(after_help = "Example:\n  orgs projects show prj_...")]
    Show { project: String },
    /// Rename a project.
    #[command(after_help = "Example:\n  orgs projects rename prj_... Storefront")]
    Rename { project: String, name: String },
    /// Delete a project.
    #[command(after_help = "Example:\n  orgs projects delete prj_...")]
    Delete { project: String },
}

pub(crate) fn projects(ctx: &Ctx, cmd: ProjectsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        ProjectsCmd::List { all } => ctx.list(&client, &views::PROJECTS, &[&org], &[], all)?,
        ProjectsCmd::Create { name, description } => {
            let p = client.send(
                api::CREATE_PROJECT,
                &[&org],
                Some(&to_json(&bodies::CreateNamed { name, description })),
            )?;
            done(
                ctx,
                &p,
                &format!(
                    "created project {} ({})",
                    output::field(&p, "name"),
                    output::field(&p, "id")
                ),
            );
        }
        ProjectsCmd::Show { project } => {
            let p = client.get(api::GET_PROJECT, &[&org, &project], "")?;
            ctx.show(&p, |p| {
                output::record(&[
                    ("id", output::field(p, "id")),
                    ("name", output::field(p, "name")),
                    ("description", output::field(p, "description")),
                    ("your role", output::field(p, "myRole")),
                    ("created by", output::field(p, "createdBy")),
                ])
            });
        }
        ProjectsCmd::Rename { project, name } => {
            let body = bodies::UpdateNamed {
                name: Some(name),
                ..Default::default()
            };
            let p = client.send(
                api::UPDATE_PROJECT,
                &[&org, &project],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &p,
                &format!("renamed to {}", output::field(&p, "name")),
            );
        }
        ProjectsCmd::Delete { project } => {
            client.send(api::DELETE_PROJECT, &[&org, &project], None)?;
            done(ctx, &json!({ "deleted": project }), "deleted");
        }
    }
    Ok(())
}
