//! `orgs roles`: the organization's roles, system and custom (the default), the permission
//! matrix, and custom roles' creation, changes and deletion. A custom role is named by its id or
//! its name wherever a command takes one.

use crate::api::Page;
use crate::api::{self, Client};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::error::{exit, Failure, Result};
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub(crate) enum RolesCmd {
    /// The organization's roles: the six system roles, then its custom roles.
    #[command(after_help = "Example:\n  orgs roles list")]
    List,
    /// The permission matrix: every permission and the system roles that hold it.
    #[command(after_help = "Example:\n  orgs roles matrix")]
    Matrix,
    /// Create a custom role: permissions within your own (never owner-only ones), a project role
    /// not above yours.
    #[command(
        after_help = "Example:\n  orgs roles create billing-viewer --permission usage.read --permission subscription.read\n  orgs roles create deployer --permission deployments.create --project-role developer"
    )]
    Create {
        /// The role's name (unique within the organization).
        name: String,
        /// A permission (repeat; `orgs roles matrix` lists them). org.read is always added.
        #[arg(long = "permission", value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// The project role it gives on every project.
        #[arg(long, default_value = "none", value_parser = ["none", "viewer", "developer", "editor", "admin"])]
        project_role: String,
        /// What the role is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// Change a custom role (by id or name); its holders have the change on their next request.
    #[command(
        after_help = "Examples:\n  orgs roles edit billing-viewer --name billing\n  orgs roles edit deployer --add environments.manage --remove deployments.create"
    )]
    Edit {
        /// The custom role: its name or id.
        role: String,
        /// Its new name.
        #[arg(long)]
        name: Option<String>,
        /// Add a permission (repeat).
        #[arg(long = "add", value_name = "PERMISSION")]
        add: Vec<String>,
        /// Remove a permission (repeat).
        #[arg(long = "remove", value_name = "PERMISSION")]
        remove: Vec<String>,
        /// The project role it gives on every project.
        #[arg(long, value_parser = ["none", "viewer", "developer", "editor", "admin"])]
        project_role: Option<String>,
        /// What the role is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a custom role nothing holds (the answer counts what does); asks first on a terminal.
    #[command(after_help = "Example:\n  orgs roles delete billing-viewer --yes")]
    Delete {
        /// The custom role: its name or id.
        role: String,
    },
}

/// The custom role `wanted` names: its id, or its name (case-insensitive).
fn find_role(client: &Client, org: &str, wanted: &str) -> Result<Value> {
    let (items, _) = client.list(api::LIST_ORG_ROLES, &[org], &[], Page::ALL, &mut |_| {})?;
    let found = items.iter().find(|r| {
        r["kind"] == "custom"
            && (r["id"] == wanted
                || r["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(wanted)))
    });
    found.cloned().ok_or_else(|| {
        Failure::Usage(format!(
            "no custom role `{wanted}` in this organization; `orgs roles` lists them"
        ))
    })
}

const SYSTEM_ROLES: [&str; 6] = ["owner", "admin", "editor", "developer", "viewer", "guest"];

/// A role as a person types it: a system role, a custom role's id, or a custom role's name
/// (looked up: the API takes ids). Anything else goes to the API as typed, which says what fits.
pub(crate) fn role_arg(client: &Client, org: &str, raw: &str) -> Result<String> {
    if SYSTEM_ROLES.contains(&raw) || raw.starts_with("role_") {
        return Ok(raw.to_string());
    }
    Ok(find_role(client, org, raw)
        .ok()
        .and_then(|r| r["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| raw.to_string()))
}

pub(crate) fn roles(ctx: &mut Ctx, cmd: RolesCmd) -> Result<i32> {
    if let RolesCmd::Matrix = cmd {
        return super::access::roles(ctx);
    }
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        RolesCmd::Matrix => unreachable!("answered above"),
        RolesCmd::List => ctx.list(&client, &views::ROLES, &[&org], &[], Page::ALL)?,
        RolesCmd::Create {
            name,
            permissions,
            project_role,
            description,
        } => {
            let body = bodies::CreateRole {
                name,
                description,
                permissions,
                project_role,
            };
            let r = client.send(api::CREATE_ROLE, &[&org], Some(&to_json(&body)))?;
            done(
                ctx,
                &r,
                &format!(
                    "created the role {} ({}): {}; project role {}",
                    output::field(&r, "name"),
                    output::field(&r, "id"),
                    output::field(&r, "permissions"),
                    output::field(&r, "projectRole"),
                ),
            );
        }
        RolesCmd::Edit {
            role,
            name,
            add,
            remove,
            project_role,
            description,
        } => {
            let current = find_role(&client, &org, &role)?;
            let id = output::field(&current, "id");
            let permissions = (!add.is_empty() || !remove.is_empty()).then(|| {
                let mut p: Vec<String> = current["permissions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .filter(|p| !remove.contains(p))
                    .collect();
                p.extend(
                    add.iter()
                        .filter(|a| !p.contains(a))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                p
            });
            let body = bodies::UpdateRole {
                name,
                description,
                permissions,
                project_role,
            };
            let r = client.send(api::UPDATE_ROLE, &[&org, &id], Some(&to_json(&body)))?;
            done(
                ctx,
                &r,
                &format!(
                    "the role {} ({}) is now: {}; project role {}",
                    output::field(&r, "name"),
                    id,
                    output::field(&r, "permissions"),
                    output::field(&r, "projectRole"),
                ),
            );
        }
        RolesCmd::Delete { role } => {
            let current = find_role(&client, &org, &role)?;
            let id = output::field(&current, "id");
            ctx.confirm(&format!("delete the role {role}"))?;
            client.send(api::DELETE_ROLE, &[&org, &id], None)?;
            done(
                ctx,
                &json!({ "deleted": id }),
                &format!("deleted the role {}", output::field(&current, "name")),
            );
        }
    }
    Ok(exit::OK)
}
