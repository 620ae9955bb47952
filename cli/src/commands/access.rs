//! `orgs access` (a project's access), `orgs roles` and `orgs can`.

use crate::api::Client;
use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, project_arg, team_arg, Ctx};
use crate::error::{exit, Result};
use crate::output;
use crate::views;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum AccessCmd {
    /// Who has access to a project, and with which role.
    #[command(after_help = "Example:\n  orgs access list Website")]
    List {
        /// The project: its name or id.
        project: String,
    },
    /// Grant a team or a member a role on a project.
    #[command(
        after_help = "Example:\n  orgs access grant Website team:Backend developer\n  orgs access grant Website user:user-123 viewer"
    )]
    Grant {
        /// The project: its name or id.
        project: String,
        /// `team:<name or id>` or `user:<user id>`.
        principal: String,
        /// The role on the project.
        #[arg(value_parser = ["admin", "editor", "developer", "viewer"])]
        role: String,
    },
    /// Revoke a grant; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs access revoke Website user:user-123 --yes")]
    Revoke {
        /// The project: its name or id.
        project: String,
        /// `team:<name or id>` or `user:<user id>`.
        principal: String,
    },
}

/// `team:<name or id>` becomes `team:<id>`; `user:<id>` stays.
fn principal_arg(client: &Client, org: &str, raw: &str) -> Result<String> {
    match raw.split_once(':') {
        Some(("team", team)) => Ok(format!("team:{}", team_arg(client, org, team)?)),
        Some(("user", _)) => Ok(raw.to_string()),
        _ => Err(crate::error::Failure::Usage(format!(
            "`{raw}`: a principal is team:<name or id> or user:<user id>"
        ))),
    }
}

pub(crate) fn access(ctx: &Ctx, cmd: AccessCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        AccessCmd::List { project } => {
            let project = project_arg(&client, &org, &project)?;
            ctx.list(&client, &views::GRANTS, &[&org, &project], &[], Page::ALL)?
        }
        AccessCmd::Grant {
            project,
            principal,
            role,
        } => {
            let project = project_arg(&client, &org, &project)?;
            let principal = principal_arg(&client, &org, &principal)?;
            let g = client.send(
                api::GRANT_PROJECT_ACCESS,
                &[&org, &project, &principal],
                Some(&to_json(&bodies::Grant { role })),
            )?;
            done(
                ctx,
                &g,
                &format!(
                    "{principal} is {} on the project",
                    output::field(&g, "role")
                ),
            );
        }
        AccessCmd::Revoke {
            project: wanted,
            principal,
        } => {
            let project = project_arg(&client, &org, &wanted)?;
            let principal = principal_arg(&client, &org, &principal)?;
            ctx.confirm(&format!("revoke {principal}'s access to {wanted}"))?;
            client.send(
                api::REVOKE_PROJECT_ACCESS,
                &[&org, &project, &principal],
                None,
            )?;
            done(ctx, &json!({ "revoked": principal }), "revoked");
        }
    }
    Ok(())
}

pub(crate) fn roles(ctx: &mut Ctx) -> Result<i32> {
    let client = ctx.client()?;
    let body = client.get(api::LIST_ROLES, &[], "")?;
    ctx.show(&body, |b| {
        let roles: Vec<String> = b["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| output::field(r, "name"))
            .collect();
        let mut headers = vec!["permission"];
        headers.extend(roles.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = b["permissions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let name = output::field(p, "name");
                let mut row = vec![name.clone()];
                for r in b["roles"].as_array().into_iter().flatten() {
                    let has = r["permissions"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|x| x == name.as_str()));
                    row.push(if has { "✓".into() } else { "".into() });
                }
                row
            })
            .collect();
        output::table(&headers, &rows);
    });
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct CanArgs {
    /// Permissions, e.g. members.update (`orgs roles matrix` lists them all).
    #[arg(required = true)]
    pub(crate) permissions: Vec<String>,
    /// Ask within this project (its name or id): project roles count too.
    #[arg(long)]
    pub(crate) project: Option<String>,
}

pub(crate) fn can(ctx: &mut Ctx, args: CanArgs) -> Result<i32> {
    let CanArgs {
        permissions,
        project,
    } = args;
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let project = project
        .map(|p| project_arg(&client, &org, &p))
        .transpose()?;
    let body = bodies::Authorize {
        permissions,
        project_id: project,
    };
    let answer = client.send(api::AUTHORIZE, &[&org], Some(&to_json(&body)))?;
    let allowed = answer["allowed"] == true;
    ctx.show(&answer, |a| {
        for r in a["results"].as_array().into_iter().flatten() {
            let mark = if r["allowed"] == true {
                output::green("allowed")
            } else {
                "refused".into()
            };
            let reason = r["reason"]
                .as_str()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            crate::outln!("{}  {mark}{reason}", output::field(r, "permission"));
        }
    });
    Ok(if allowed { exit::OK } else { exit::REFUSED })
}
