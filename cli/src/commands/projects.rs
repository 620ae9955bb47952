//! `orgs projects`. A project is named by its id or its name (unique within the organization).

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, project_arg, Ctx};
use crate::error::Result;
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum ProjectsCmd {
    /// The projects you can see (the default).
    #[command(after_help = "Example:\n  orgs projects list --limit 50")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Create a project (you become its admin).
    #[command(after_help = "Example:\n  orgs projects create Website")]
    Create {
        /// The project's name (unique within the organization).
        name: String,
        /// What the project is.
        #[arg(long)]
        description: Option<String>,
    },
    /// A project and your role in it.
    #[command(after_help = "Example:\n  orgs projects show Website")]
    Show {
        /// The project: its name or id.
        project: String,
    },
    /// Rename a project.
    #[command(after_help = "Example:\n  orgs projects rename Website Storefront")]
    Rename {
        /// The project: its name or id.
        project: String,
        /// Its new name.
        name: String,
    },
    /// Delete a project (and every grant on it); asks first on a terminal.
    #[command(after_help = "Example:\n  orgs projects delete Website --yes")]
    Delete {
        /// The project: its name or id.
        project: String,
    },
}

pub(crate) fn projects(ctx: &Ctx, cmd: ProjectsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        ProjectsCmd::List { page } => ctx.list(&client, &views::PROJECTS, &[&org], &[], page)?,
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
            let project = project_arg(&client, &org, &project)?;
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
            let project = project_arg(&client, &org, &project)?;
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
        ProjectsCmd::Delete { project: wanted } => {
            let project = project_arg(&client, &org, &wanted)?;
            ctx.confirm(&format!(
                "delete the project {wanted} and every grant on it"
            ))?;
            client.send(api::DELETE_PROJECT, &[&org, &project], None)?;
            done(
                ctx,
                &json!({ "deleted": project }),
                &format!("deleted {wanted}"),
            );
        }
    }
    Ok(())
}
