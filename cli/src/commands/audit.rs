//! `orgs audit`: the audit log.

use crate::api::Page;
use crate::ctx::Ctx;
use crate::error::{exit, Result};
use crate::views;
use clap::Args;

#[derive(Args)]
pub(crate) struct AuditArgs {
    /// Only entries of this action, like member.role_changed.
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// Only entries by this user id (or API key id).
    #[arg(long, value_name = "USER")]
    pub(crate) actor: Option<String>,
    /// From this day (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Until this day (YYYY-MM-DD, the whole day) or time (RFC 3339).
    #[arg(long)]
    pub(crate) until: Option<String>,
    #[command(flatten)]
    pub(crate) page: Page,
}

pub(crate) fn audit(ctx: &mut Ctx, args: AuditArgs) -> Result<i32> {
    let AuditArgs {
        action,
        actor,
        since,
        until,
        page,
    } = args;
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let day = |d: Option<String>, end: bool| {
        d.map(|d| match (d.len(), end) {
            (10, false) => format!("{d}T00:00:00Z"),
            (10, true) => format!("{d}T23:59:59.999999Z"),
            _ => d,
        })
    };
    ctx.list(
        &client,
        &views::AUDIT,
        &[&org],
        &[
            ("action", action),
            ("actorId", actor),
            ("from", day(since, false)),
            ("to", day(until, true)),
        ],
        page,
    )?;
    Ok(exit::OK)
}
