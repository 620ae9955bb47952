//! `orgs invite`, `orgs invitations` and `orgs accept`.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, project_arg, Ctx};
use crate::error::{exit, Failure, Result};
use crate::output;
use crate::views;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Args)]
pub(crate) struct InviteArgs {
    /// One or more email addresses (each gets its own invitation and email).
    #[arg(required = true)]
    pub(crate) emails: Vec<String>,
    /// admin, editor, developer, viewer, guest, or a custom role (its name or id; `orgs roles`).
    #[arg(long)]
    pub(crate) role: String,
    /// How long the invitation is valid: days, like 7d (1d to 30d).
    #[arg(long, value_name = "DAYS", value_parser = parse_days)]
    pub(crate) expires_in: Option<u32>,
    /// How many people can join with it (1 to 1000; default 1).
    #[arg(long, value_name = "N")]
    pub(crate) max_uses: Option<u32>,
    /// A note shown in the email (plain text, up to 1000 characters).
    #[arg(long)]
    pub(crate) message: Option<String>,
    /// Limit the invitation to a project, its name or id (repeat); the invitee joins as guest.
    #[arg(long = "project", value_name = "PROJECT")]
    pub(crate) projects: Vec<String>,
}

pub(crate) fn parse_days(raw: &str) -> std::result::Result<u32, String> {
    raw.trim_end_matches('d')
        .parse()
        .map_err(|_| format!("`{raw}` is not a number of days like 7d"))
}

#[derive(Subcommand)]
pub(crate) enum InvitationsCmd {
    /// The organization's invitations (the default).
    #[command(after_help = "Example:\n  orgs invitations list --limit 10")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// An invitation's code (to hand over yourself).
    #[command(after_help = "Example:\n  orgs invitations code inv_...")]
    Code {
        /// The invitation's id (`orgs invitations`).
        invitation: String,
    },
    /// An invitation's link.
    #[command(after_help = "Example:\n  orgs invitations link inv_...")]
    Link {
        /// The invitation's id.
        invitation: String,
    },
    /// Send the invitation again (a new expiry).
    #[command(after_help = "Example:\n  orgs invitations resend inv_...")]
    Resend {
        /// The invitation's id.
        invitation: String,
    },
    /// Revoke an invitation; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs invitations revoke inv_... --yes")]
    Revoke {
        /// The invitation's id.
        invitation: String,
    },
    /// Remove expired, revoked and used-up invitations.
    #[command(after_help = "Example:\n  orgs invitations cleanup")]
    Cleanup,
    /// Invitations addressed to your verified email.
    #[command(after_help = "Example:\n  orgs invitations mine")]
    Mine {
        #[command(flatten)]
        page: Page,
    },
}

pub(crate) fn invite(ctx: &Ctx, args: InviteArgs) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let mut created = Vec::new();
    let mut failed = None;
    let role = super::roles::role_arg(&client, &org, &args.role)?;
    let projects = args
        .projects
        .iter()
        .map(|p| project_arg(&client, &org, p))
        .collect::<Result<Vec<_>>>()?;
    for email in &args.emails {
        let body = bodies::CreateInvitation {
            email: email.clone(),
            role: role.clone(),
            expires_in_days: args.expires_in,
            max_uses: args.max_uses,
            message: args.message.clone(),
            project_ids: projects.clone(),
        };
        match client.send(api::CREATE_INVITATION, &[&org], Some(&to_json(&body))) {
            Ok(inv) => {
                if !ctx.machine() {
                    crate::outln!(
                        "{} {email} ({}, expires {}, email {})",
                        output::green("invited"),
                        output::field(&inv, "id"),
                        output::field(&inv, "expiresAt"),
                        output::field(&inv, "emailStatus")
                    );
                }
                created.push(inv);
            }
            // One refusal does not stop the others; it is reported and sets the exit code.
            Err(e) => {
                if args.emails.len() > 1 {
                    eprintln!("{email}: {}", e.message());
                }
                failed = Some(e);
            }
        }
    }
    if ctx.machine() {
        ctx.show(&json!({ "items": created }), |_| {});
    }
    match failed {
        // One refusal: its own problem; several: how many went through (each was printed above).
        Some(e) if args.emails.len() == 1 => Err(e),
        Some(_) => Err(Failure::Other(format!(
            "{} of {} invited (the refusals are above)",
            created.len(),
            args.emails.len()
        ))),
        None => Ok(()),
    }
}

pub(crate) fn invitations(ctx: &Ctx, cmd: InvitationsCmd) -> Result<()> {
    let client = ctx.client()?;
    if let InvitationsCmd::Mine { page } = cmd {
        return ctx.list(&client, &views::MY_INVITATIONS, &[], &[], page);
    }
    let org = ctx.org(&client)?;
    match cmd {
        InvitationsCmd::List { page } => {
            ctx.list(&client, &views::INVITATIONS, &[&org], &[], page)?
        }
        InvitationsCmd::Code { invitation } => {
            let body = client.get(api::GET_INVITATION_CODE, &[&org, &invitation], "")?;
            ctx.show(&body, |b| crate::outln!("{}", output::field(b, "code")));
        }
        InvitationsCmd::Link { invitation } => {
            let body = client.get(api::GET_INVITATION_CODE, &[&org, &invitation], "")?;
            ctx.show(&body, |b| crate::outln!("{}", output::field(b, "url")));
        }
        InvitationsCmd::Resend { invitation } => {
            let body = client.send(api::RESEND_INVITATION, &[&org, &invitation], None)?;
            done(
                ctx,
                &body,
                &format!("sent again; expires {}", output::field(&body, "expiresAt")),
            );
        }
        InvitationsCmd::Revoke { invitation } => {
            ctx.confirm(&format!("revoke the invitation {invitation}"))?;
            client.send(api::REVOKE_INVITATION, &[&org, &invitation], None)?;
            done(ctx, &json!({ "revoked": invitation }), "revoked");
        }
        InvitationsCmd::Cleanup => {
            let body = client.send(api::CLEANUP_INVITATIONS, &[&org], None)?;
            done(
                ctx,
                &body,
                &format!("removed {}", output::field(&body, "removed")),
            );
        }
        InvitationsCmd::Mine { .. } => unreachable!(),
    }
    Ok(())
}

#[derive(Args)]
pub(crate) struct AcceptArgs {
    /// The invitation's code, or its link (the code is its last part).
    pub(crate) code_or_link: String,
}

pub(crate) fn accept(ctx: &mut Ctx, args: AcceptArgs) -> Result<i32> {
    let AcceptArgs { code_or_link } = args;
    let client = ctx.client()?;
    let code = code_or_link
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let body = client.send(api::ACCEPT_INVITATION, &[&code], None)?;
    done(
        ctx,
        &body,
        &format!(
            "joined {} as {}",
            output::field(&body, "orgName"),
            output::field(&body, "role")
        ),
    );
    Ok(exit::OK)
}
