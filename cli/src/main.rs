//! `orgs`: the organizations API from a terminal or a script.

mod api;
mod bodies;
mod commands;
mod config;
mod ctx;
mod output;
mod views;

use api::{exit, Result};
use clap::{Parser, Subcommand};
use commands::*;
use config::Config;
use ctx::Ctx;

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 refused by the API (or `orgs can`: not allowed), 2 usage, \
3 cannot reach the API or not logged in.\nEnvironment: ORGS_API_URL and ORGS_TOKEN override the saved \
login; ORGS_CONFIG_DIR moves the config file; NO_COLOR turns colour off.";

#[derive(Parser)]
#[command(
    name = "orgs",
    version,
    about = "Organizations, members and access control from the terminal."
)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Print the API's JSON unchanged (for scripts).
    #[arg(long, global = true)]
    json: bool,
    /// The organization to act in (slug or id; default: the current one, `orgs switch`).
    #[arg(long, global = true, value_name = "SLUG|ID")]
    org: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Save the API URL and your token (mode 0600).
    #[command(
        after_help = "Example:\n  echo \"$TOKEN\" | orgs login --api https://orgs.example.com --token-stdin"
    )]
    Login(session::LoginArgs),
    /// Forget the saved token.
    #[command(after_help = "Example:\n  orgs logout")]
    Logout,
    /// Who the token says you are, the API and the current organization.
    #[command(after_help = "Example:\n  orgs whoami")]
    Whoami,
    /// Create an organization (asks for the name on a terminal when --name is missing).
    #[command(after_help = "Example:\n  orgs create --name \"Acme\" --slug acme")]
    Create(orgs::CreateArgs),
    /// Your organizations, with your role in each.
    #[command(after_help = "Example:\n  orgs list --all")]
    List(orgs::ListArgs),
    /// Make an organization the current one.
    #[command(after_help = "Example:\n  orgs switch acme")]
    Switch(orgs::SwitchArgs),
    /// The organization's details.
    #[command(after_help = "Example:\n  orgs show --org acme")]
    Show,
    /// Rename the organization (and change its slug).
    #[command(after_help = "Example:\n  orgs rename \"Acme Inc\" --slug acme-inc")]
    Rename(orgs::RenameArgs),
    /// Settings: invite policy, authentication, notifications, cleanup policy.
    #[command(subcommand)]
    Settings(settings::SettingsCmd),
    /// Members: list (the default), change a role, remove, leave, transfer ownership.
    Members {
        #[command(subcommand)]
        cmd: Option<members::MembersCmd>,
    },
    /// Invite people by email.
    #[command(
        after_help = "Example:\n  orgs invite ana@acme.com bo@acme.com --role developer --expires-in 14d\n  orgs invite team@acme.com --role viewer --max-uses 20 --project prj_..."
    )]
    Invite(invitations::InviteArgs),
    /// Invitations: list (the default), code, link, resend, revoke, cleanup; `mine` for yours.
    Invitations {
        #[command(subcommand)]
        cmd: Option<invitations::InvitationsCmd>,
    },
    /// Accept an invitation (its code or link).
    #[command(after_help = "Example:\n  orgs accept https://app.example.com/invitations/<code>")]
    Accept(invitations::AcceptArgs),
    /// Teams: list (the default), create, show, rename, delete, add and remove members.
    Teams {
        #[command(subcommand)]
        cmd: Option<teams::TeamsCmd>,
    },
    /// Projects: list (the default), create, show, rename, delete.
    Projects {
        #[command(subcommand)]
        cmd: Option<projects::ProjectsCmd>,
    },
    /// Project access: list, grant, revoke (principals are team:<id> or user:<id>).
    #[command(subcommand)]
    Access(access::AccessCmd),
    /// Integrations and their credentials: list (the default), add, rotate, remove (the secret from stdin or a file, never an argument).
    Integrations {
        #[command(subcommand)]
        cmd: Option<integrations::IntegrationsCmd>,
    },
    /// API keys for machines: list (the default), create, revoke, roll (a secret is printed once).
    ApiKeys {
        #[command(subcommand)]
        cmd: Option<api_keys::ApiKeysCmd>,
    },
    /// Verified email domains: list (the default), add, verify, enroll, remove.
    Domains {
        #[command(subcommand)]
        cmd: Option<domains::DomainsCmd>,
    },
    /// Requests to join through a verified domain: list (the default), approve, reject.
    Requests {
        #[command(subcommand)]
        cmd: Option<domains::RequestsCmd>,
    },
    /// The audit log, newest first.
    #[command(
        after_help = "Example:\n  orgs audit --action member.role_changed --since 2026-11-01 --all"
    )]
    Audit(audit::AuditArgs),
    /// The organization's roles: list (the default; system and custom), matrix, create, edit, delete.
    Roles {
        #[command(subcommand)]
        cmd: Option<roles::RolesCmd>,
    },
    /// Exit 0 if you hold every permission named (in a project with --project), 1 if not.
    #[command(
        after_help = "Example:\n  orgs can members.update invitations.create && echo allowed"
    )]
    Can(access::CanArgs),
    /// Close the organization: shows the impact, then asks for its name.
    #[command(after_help = "Example:\n  orgs close --confirm \"Acme\"")]
    Close(orgs::CloseArgs),
    /// Reopen a closed organization before its purge.
    #[command(after_help = "Example:\n  orgs reactivate --org acme")]
    Reactivate,
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  orgs completion bash > ~/.local/share/bash-completion/completions/orgs"
    )]
    Completion(session::CompletionArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            output::progress_done();
            eprintln!("{}", failure.message());
            failure.code()
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    let mut ctx = Ctx {
        config: Config::load(),
        json: cli.json,
        org_flag: cli.org,
    };
    let ctx = &mut ctx;
    match cli.command {
        Command::Completion(args) => session::completion(ctx, args),
        Command::Login(args) => session::login(ctx, args),
        Command::Logout => session::logout(ctx),
        Command::Whoami => session::whoami(ctx),
        Command::Create(args) => orgs::create(ctx, args),
        Command::List(args) => orgs::list_orgs(ctx, args),
        Command::Switch(args) => orgs::switch(ctx, args),
        Command::Show => orgs::show(ctx),
        Command::Rename(args) => orgs::rename(ctx, args),
        Command::Close(args) => orgs::close(ctx, args),
        Command::Reactivate => orgs::reactivate(ctx),
        Command::Settings(cmd) => settings::settings(ctx, cmd).map(|()| exit::OK),
        Command::Members { cmd } => members::members(
            ctx,
            cmd.unwrap_or(members::MembersCmd::List {
                role: None,
                all: false,
            }),
        )
        .map(|()| exit::OK),
        Command::Invite(args) => invitations::invite(ctx, args).map(|()| exit::OK),
        Command::Invitations { cmd } => invitations::invitations(
            ctx,
            cmd.unwrap_or(invitations::InvitationsCmd::List { all: false }),
        )
        .map(|()| exit::OK),
        Command::Accept(args) => invitations::accept(ctx, args),
        Command::Teams { cmd } => {
            teams::teams(ctx, cmd.unwrap_or(teams::TeamsCmd::List { all: false }))
                .map(|()| exit::OK)
        }
        Command::Projects { cmd } => projects::projects(
            ctx,
            cmd.unwrap_or(projects::ProjectsCmd::List { all: false }),
        )
        .map(|()| exit::OK),
        Command::Access(cmd) => access::access(ctx, cmd).map(|()| exit::OK),
        Command::Integrations { cmd } => integrations::integrations(
            ctx,
            cmd.unwrap_or(integrations::IntegrationsCmd::List { all: false }),
        )
        .map(|()| exit::OK),
        Command::ApiKeys { cmd } => api_keys::api_keys(
            ctx,
            cmd.unwrap_or(api_keys::ApiKeysCmd::List { all: false }),
        )
        .map(|()| exit::OK),
        Command::Domains { cmd } => {
            domains::domains(ctx, cmd.unwrap_or(domains::DomainsCmd::List)).map(|()| exit::OK)
        }
        Command::Requests { cmd } => domains::requests(
            ctx,
            cmd.unwrap_or(domains::RequestsCmd::List { all: false }),
        )
        .map(|()| exit::OK),
        Command::Audit(args) => audit::audit(ctx, args),
        Command::Roles { cmd } => roles::roles(ctx, cmd.unwrap_or(roles::RolesCmd::List)),
        Command::Can(args) => access::can(ctx, args),
    }
}

#[cfg(test)]
mod drift;
