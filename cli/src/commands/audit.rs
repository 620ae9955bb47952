//! `orgs audit`: the audit log.

use crate::api::{exit, Result};
use crate::ctx::Ctx;
use crate::views;
use clap::Args;

#[derive(Args)]
pub(crate) struct AuditArgs {
    #[arg(long)]
    pub(crate) action: Option<String>,
    #[arg(long, value_name = "USER")]
    pub(crate) actor: Option<String>,
    /// From this day (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    pub(crate) since: Option<String>,
    #[arg(long)]
    pub(crate) until: Option<String>,
    #[arg(long)]
    pub(crate) all: bool,
}

pub(crate) fn audit(ctx: &mut Ctx, args: AuditArgs) -> Result<i32> {
    let AuditArgs {
        action,
        actor,
        since,
        until,
        all,
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
        all,
    )?;
    Ok(exit::OK)
}
