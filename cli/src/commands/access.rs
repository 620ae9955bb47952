//! `orgs access` (a project's access), `orgs roles` and `orgs can`.

use crate::api::{self, exit, Result};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::output;
use crate::views;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum AccessCmd {
    /// Who has access to a project, and with which role.
    #[command(after_help = "Example:\n  orgs access list prj_...")]
    List { project: String },
    /// Grant a team or a member a role on a project.
    #[command(after_help = "Example:\n  orgs access grant prj_... team:team_... developer")]
    Grant {
        project: String,
        principal: String,
        role: String,
    },
    /// Revoke a grant.
    #[command(after_help = "Example:\n  orgs access revoke prj_... user:user-123")]
    Revoke { project: String, principal: String },
}

pub(crate) fn access(ctx: &Ctx, cmd: AccessCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        AccessCmd::List { project } => {
            ctx.list(&client, &views::GRANTS, &[&org, &project], &[], true)?
        }
        AccessCmd::Grant {
            project,
            principal,
            role,
        } => {
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
        AccessCmd::Revoke { project, principal } => {
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
    #[arg(required = true)]
    pub(crate) permissions: Vec<String>,
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
            println!("{}  {mark}{reason}", output::field(r, "permission"));
        }
    });
    Ok(if allowed { exit::OK } else { exit::REFUSED })
}
