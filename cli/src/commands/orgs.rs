//! The organization itself: create, list, switch, show, rename, close, reactivate.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{current_of, describe_org, done, prompt, resolve_org, Ctx};
use crate::error::{exit, Failure, Result};
use crate::output;
use crate::views;
use clap::Args;
use serde_json::json;

#[derive(Args)]
pub(crate) struct CreateArgs {
    /// The organization's name (asked for on a terminal when missing).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Its URL name: lowercase letters, digits and dashes (default: derived from the name).
    #[arg(long)]
    pub(crate) slug: Option<String>,
}

pub(crate) fn create(ctx: &mut Ctx, args: CreateArgs) -> Result<i32> {
    let CreateArgs { name, slug } = args;
    let client = ctx.client()?;
    let name = match name {
        Some(n) => n,
        None => prompt("organization name")?,
    };
    let org = client.send(
        api::CREATE_ORG,
        &[],
        Some(&to_json(&bodies::CreateOrg { name, slug })),
    )?;
    // The organization you create is the current one from now on (`orgs switch` goes back).
    let current = current_of(&org);
    let now_in = describe_org(&current);
    ctx.config.current_org = Some(current);
    ctx.config.save()?;
    done(
        ctx,
        &org,
        &format!(
            "created {} ({}); commands act in {now_in} now",
            output::field(&org, "slug"),
            output::field(&org, "id")
        ),
    );
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) page: Page,
}

pub(crate) fn list_orgs(ctx: &mut Ctx, args: ListArgs) -> Result<i32> {
    let ListArgs { page } = args;
    let client = ctx.client()?;
    ctx.list(&client, &views::ORGS, &[], &[], page)?;
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct SwitchArgs {
    /// One of your organizations: its slug or id (`orgs list`).
    pub(crate) org: String,
}

pub(crate) fn switch(ctx: &mut Ctx, args: SwitchArgs) -> Result<i32> {
    let SwitchArgs { org } = args;
    let client = ctx.client()?;
    let found = resolve_org(&client, &org)?;
    let body = json!({ "id": found.id, "slug": found.slug, "name": found.name });
    ctx.config.current_org = Some(found);
    ctx.config.save()?;
    done(
        ctx,
        &body,
        &format!("now in {}", output::field(&body, "slug")),
    );
    Ok(exit::OK)
}

pub(crate) fn show(ctx: &mut Ctx) -> Result<i32> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let body = client.get(api::GET_ORG, &[&org], "")?;
    ctx.show(&body, |b| {
        output::record(&[
            ("id", output::field(b, "id")),
            ("name", output::field(b, "name")),
            ("slug", output::field(b, "slug")),
            ("status", output::field(b, "status")),
            ("plan", output::field(b, "plan")),
            ("members", output::field(b, "memberCount")),
            ("your role", output::field(b, "myRole")),
            ("owner", output::field(b, "ownerId")),
            ("purge at", output::field(b, "purgeAt")),
        ])
    });
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct RenameArgs {
    /// The new name.
    pub(crate) name: Option<String>,
    /// A new slug (its old one is free for others at once).
    #[arg(long)]
    pub(crate) slug: Option<String>,
}

pub(crate) fn rename(ctx: &mut Ctx, args: RenameArgs) -> Result<i32> {
    let RenameArgs { name, slug } = args;
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    if name.is_none() && slug.is_none() {
        return Err(Failure::Usage("give a new name and/or --slug".into()));
    }
    let body = bodies::UpdateOrg {
        name,
        slug,
        ..Default::default()
    };
    let org = client.send(api::UPDATE_ORG, &[&org], Some(&to_json(&body)))?;
    done(
        ctx,
        &org,
        &format!(
            "now {} ({})",
            output::field(&org, "name"),
            output::field(&org, "slug")
        ),
    );
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct CloseArgs {
    /// The organization's exact name (for scripts; otherwise asked on the terminal).
    #[arg(long, value_name = "NAME")]
    pub(crate) confirm: Option<String>,
}

pub(crate) fn close(ctx: &mut Ctx, args: CloseArgs) -> Result<i32> {
    let CloseArgs { confirm } = args;
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let impact = client.get(api::CLOSURE_IMPACT, &[&org], "")?;
    if !ctx.machine() {
        eprintln!(
            "Closing makes the organization read-only and purges it for good at {}:",
            output::field(&impact, "purgeAt")
        );
        for (k, v) in impact.as_object().into_iter().flatten() {
            if k != "purgeAt" {
                eprintln!(
                    "  {k}: {}",
                    if v.is_object() {
                        v.to_string()
                    } else {
                        output::field(&impact, k)
                    }
                );
            }
        }
    }
    let name = match confirm {
        Some(n) => n,
        None => prompt("type the organization's name to close it")?,
    };
    let body = client.send(
        api::CLOSE_ORG,
        &[&org],
        Some(&to_json(&bodies::Close { confirm_name: name })),
    )?;
    done(
        ctx,
        &body,
        &format!(
            "closed; read-only until {} (`orgs reactivate` reopens it)",
            output::field(&body, "purgeAt")
        ),
    );
    Ok(exit::OK)
}

pub(crate) fn reactivate(ctx: &mut Ctx) -> Result<i32> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let body = client.send(api::REACTIVATE_ORG, &[&org], None)?;
    done(ctx, &body, "reactivated");
    Ok(exit::OK)
}
