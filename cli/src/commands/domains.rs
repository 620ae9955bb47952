//! `orgs domains` and `orgs requests`: the organization's verified email domains, how people
//! there join, and the requests to join that an `automatic_suggestion` domain brings.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::error::{exit, Result};
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub(crate) enum DomainsCmd {
    /// The organization's domains, their status and enrollment.
    #[command(after_help = "Example:\n  orgs domains list")]
    List,
    /// Add a domain (never a public email provider's); prints the TXT record to publish.
    #[command(after_help = "Example:\n  orgs domains add acme.com")]
    Add {
        /// The domain, like acme.com.
        domain: String,
    },
    /// Look the domain's TXT record up: verified, or still pending with what was found.
    #[command(after_help = "Example:\n  orgs domains verify acme.com")]
    Verify {
        /// The domain, as added.
        domain: String,
    },
    /// How people with a verified email at the domain join.
    #[command(
        after_help = "Examples:\n  orgs domains enroll acme.com automatic_invitation --role developer\n  orgs domains enroll acme.com automatic_suggestion --role viewer\n  orgs domains enroll acme.com manual"
    )]
    Enroll {
        /// The domain (verified).
        domain: String,
        /// manual (invitations only), automatic_invitation or automatic_suggestion.
        #[arg(value_parser = ["manual", "automatic_invitation", "automatic_suggestion"])]
        mode: String,
        /// The role people join with: editor, developer, viewer, guest, or a custom role (name or id)
        /// within editor's permissions. Required unless the mode is manual.
        #[arg(long)]
        role: Option<String>,
    },
    /// Remove a domain (a verified one is free for other organizations at once); asks first on a
    /// terminal.
    #[command(after_help = "Example:\n  orgs domains remove acme.com --yes")]
    Remove {
        /// The domain.
        domain: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum RequestsCmd {
    /// Requests to join through a verified domain (pending, and rejected within 30 days).
    #[command(after_help = "Example:\n  orgs requests list --all")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// The requester joins with the domain's enrollment role.
    #[command(after_help = "Example:\n  orgs requests approve mreq_...")]
    Approve {
        /// The request's id (`orgs requests`).
        request: String,
    },
    /// Reject a request; the person may ask again after 30 days.
    #[command(after_help = "Example:\n  orgs requests reject mreq_...")]
    Reject {
        /// The request's id.
        request: String,
    },
}

fn show_domain(ctx: &Ctx, d: &Value, what: &str) {
    ctx.show(d, |d| {
        crate::outln!(
            "{}",
            output::green(&format!(
                "{what} {}: {}",
                output::field(d, "domain"),
                output::field(d, "status")
            ))
        );
        if d["status"] != "verified" {
            crate::outln!(
                "Publish this DNS record, then run `orgs domains verify {}`:",
                output::field(d, "domain")
            );
            output::record(&[
                ("type", output::field(d, "verification.type")),
                ("name", output::field(d, "verification.name")),
                ("value", output::field(d, "verification.value")),
            ]);
        }
        if let Some(found) = d["found"].as_array() {
            let found: Vec<&str> = found.iter().filter_map(Value::as_str).collect();
            crate::outln!(
                "found at {}: {}",
                output::field(d, "verification.name"),
                if found.is_empty() {
                    "nothing".to_string()
                } else {
                    found.join(" | ")
                }
            );
        }
        crate::outln!(
            "enrollment: {}{}",
            output::field(d, "enrollment.mode"),
            d["enrollment"]["roleName"]
                .as_str()
                .map(|r| format!(" as {r}"))
                .unwrap_or_default()
        );
    });
}

/// Exits 4 (`exit::PENDING`) when `verify` finds the domain still pending.
pub(crate) fn domains(ctx: &Ctx, cmd: DomainsCmd) -> Result<i32> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        DomainsCmd::List => ctx.list(&client, &views::DOMAINS, &[&org], &[], Page::default())?,
        DomainsCmd::Add { domain } => {
            let body = bodies::AddDomain { domain };
            let d = client.send(api::ADD_DOMAIN, &[&org], Some(&to_json(&body)))?;
            show_domain(ctx, &d, "added");
        }
        DomainsCmd::Verify { domain } => {
            let d = client.send(api::VERIFY_DOMAIN, &[&org, &domain], None)?;
            show_domain(ctx, &d, "looked up");
            if d["status"] != "verified" {
                return Ok(exit::PENDING);
            }
        }
        DomainsCmd::Enroll { domain, mode, role } => {
            let role = role
                .map(|r| super::roles::role_arg(&client, &org, &r))
                .transpose()?;
            let body = bodies::Enrollment { mode, role };
            let d = client.send(
                api::SET_DOMAIN_ENROLLMENT,
                &[&org, &domain],
                Some(&to_json(&body)),
            )?;
            show_domain(ctx, &d, "enrollment set for");
        }
        DomainsCmd::Remove { domain } => {
            ctx.confirm(&format!("remove the domain {domain}"))?;
            client.send(api::REMOVE_DOMAIN, &[&org, &domain], None)?;
            done(ctx, &json!({ "removed": domain }), "removed");
        }
    }
    Ok(exit::OK)
}

pub(crate) fn requests(ctx: &Ctx, cmd: RequestsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        RequestsCmd::List { page } => {
            ctx.list(&client, &views::MEMBERSHIP_REQUESTS, &[&org], &[], page)?
        }
        RequestsCmd::Approve { request } => {
            let m = client.send(api::APPROVE_MEMBERSHIP_REQUEST, &[&org, &request], None)?;
            done(
                ctx,
                &m,
                &format!(
                    "approved: {} joined as {}",
                    output::field(&m, "userId"),
                    output::field(&m, "roleName")
                ),
            );
        }
        RequestsCmd::Reject { request } => {
            let r = client.send(api::REJECT_MEMBERSHIP_REQUEST, &[&org, &request], None)?;
            done(
                ctx,
                &r,
                &format!("rejected {}'s request", output::field(&r, "userId")),
            );
        }
    }
    Ok(())
}
