//! `orgs`: the organizations API from a terminal or a script.

mod api;
mod bodies;
mod commands;
mod config;
mod ctx;
mod error;
mod output;
mod views;

use clap::{Parser, Subcommand};
use commands::*;
use config::Config;
use ctx::Ctx;
use error::{exit, Result};

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 refused by the API (or `orgs can`: not allowed), 2 usage, \
3 cannot reach the API or not logged in, 4 not there yet (`domains verify` of a domain still pending).\nEnvironment: ORGS_API_URL and ORGS_TOKEN (or ORGS_API_KEY, an organization API key) override the saved \
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
    /// Print what a jq path picks from the JSON, one value per line (.items[].id, .slug).
    #[arg(long, global = true, value_name = "PATH")]
    jq: Option<String>,
    /// The organization to act in (slug or id; default: the current one, `orgs switch`).
    #[arg(long, global = true, value_name = "SLUG|ID")]
    org: Option<String>,
    /// Do not ask before destructive changes (required for them when not on a terminal).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
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
    #[command(args_conflicts_with_subcommands = true)]
    Members {
        #[command(flatten)]
        list: members::ListArgs,
        #[command(subcommand)]
        cmd: Option<members::MembersCmd>,
    },
    /// Invite people by email.
    #[command(
        after_help = "Example:\n  orgs invite ana@acme.com bo@acme.com --role developer --expires-in 14d\n  orgs invite team@acme.com --role viewer --max-uses 20 --project prj_..."
    )]
    Invite(invitations::InviteArgs),
    /// Invitations: list (the default), code, link, resend, revoke, cleanup; `mine` for yours.
    #[command(args_conflicts_with_subcommands = true)]
    Invitations {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<invitations::InvitationsCmd>,
    },
    /// Accept an invitation (its code or link).
    #[command(after_help = "Example:\n  orgs accept https://app.example.com/invitations/<code>")]
    Accept(invitations::AcceptArgs),
    /// Teams: list (the default), create, show, rename, delete, add and remove members.
    #[command(args_conflicts_with_subcommands = true)]
    Teams {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<teams::TeamsCmd>,
    },
    /// Projects: list (the default), create, show, rename, delete.
    #[command(args_conflicts_with_subcommands = true)]
    Projects {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<projects::ProjectsCmd>,
    },
    /// Project access: list, grant, revoke (principals are team:<id> or user:<id>).
    #[command(subcommand)]
    Access(access::AccessCmd),
    /// Integrations and their credentials: list (the default), add, rotate, remove (the secret from stdin or a file, never an argument).
    #[command(args_conflicts_with_subcommands = true)]
    Integrations {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<integrations::IntegrationsCmd>,
    },
    /// API keys for machines: list (the default), create, revoke, roll (a secret is printed once).
    #[command(args_conflicts_with_subcommands = true)]
    ApiKeys {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<api_keys::ApiKeysCmd>,
    },
    /// Directory sync (SCIM): the tokens your identity provider provisions people and groups with.
    Scim {
        #[command(subcommand)]
        cmd: scim::ScimCmd,
    },
    /// Signed webhooks to your endpoints: list (the default), create, update, delete, rotate-secret, test, deliveries, resend.
    #[command(args_conflicts_with_subcommands = true)]
    Webhooks {
        #[command(flatten)]
        page: api::Page,
        #[command(subcommand)]
        cmd: Option<webhooks::WebhooksCmd>,
    },
    /// Verified email domains: list (the default), add, verify, enroll, remove.
    Domains {
        #[command(subcommand)]
        cmd: Option<domains::DomainsCmd>,
    },
    /// Requests to join through a verified domain: list (the default), approve, reject.
    #[command(args_conflicts_with_subcommands = true)]
    Requests {
        #[command(flatten)]
        page: api::Page,
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
    /// Call any route of the API with your token and print its JSON (as `gh api` does).
    #[command(
        after_help = "Examples:\n  orgs api GET /orgs/{orgId}/members?limit=5 --jq '.items[].email'\n  orgs api POST /orgs/{orgId}/teams -f name=Backend -f description=\"API and jobs\"\n  orgs api PATCH /orgs/{orgId} --input body.json"
    )]
    Api(raw::ApiArgs),
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
        jq: cli.jq,
        org_flag: cli.org,
        yes: cli.yes,
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
        Command::Members { list, cmd } => {
            members::members(ctx, cmd.unwrap_or(members::MembersCmd::List(list))).map(|()| exit::OK)
        }
        Command::Invite(args) => invitations::invite(ctx, args).map(|()| exit::OK),
        Command::Invitations { page, cmd } => invitations::invitations(
            ctx,
            cmd.unwrap_or(invitations::InvitationsCmd::List { page }),
        )
        .map(|()| exit::OK),
        Command::Accept(args) => invitations::accept(ctx, args),
        Command::Teams { page, cmd } => {
            teams::teams(ctx, cmd.unwrap_or(teams::TeamsCmd::List { page })).map(|()| exit::OK)
        }
        Command::Projects { page, cmd } => {
            projects::projects(ctx, cmd.unwrap_or(projects::ProjectsCmd::List { page }))
                .map(|()| exit::OK)
        }
        Command::Access(cmd) => access::access(ctx, cmd).map(|()| exit::OK),
        Command::Integrations { page, cmd } => integrations::integrations(
            ctx,
            cmd.unwrap_or(integrations::IntegrationsCmd::List { page }),
        )
        .map(|()| exit::OK),
        Command::Scim { cmd } => scim::scim(ctx, cmd).map(|()| exit::OK),
        Command::Webhooks { page, cmd } => {
            webhooks::webhooks(ctx, cmd.unwrap_or(webhooks::WebhooksCmd::List { page }))
                .map(|()| exit::OK)
        }
        Command::ApiKeys { page, cmd } => {
            api_keys::api_keys(ctx, cmd.unwrap_or(api_keys::ApiKeysCmd::List { page }))
                .map(|()| exit::OK)
        }
        Command::Domains { cmd } => domains::domains(ctx, cmd.unwrap_or(domains::DomainsCmd::List)),
        Command::Requests { page, cmd } => {
            domains::requests(ctx, cmd.unwrap_or(domains::RequestsCmd::List { page }))
                .map(|()| exit::OK)
        }
        Command::Api(args) => raw::api(ctx, args),
        Command::Audit(args) => audit::audit(ctx, args),
        Command::Roles { cmd } => roles::roles(ctx, cmd.unwrap_or(roles::RolesCmd::List)),
        Command::Can(args) => access::can(ctx, args),
    }
}

#[cfg(test)]
mod drift;

#[cfg(test)]
mod help {
    use clap::CommandFactory;

    /// `--help` describes every command, argument and option (clap's own help and version aside).
    #[test]
    fn every_command_and_argument_is_described() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>, seen: &mut usize) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if ["help", "version"].contains(&id) || arg.is_hide_set() {
                    continue;
                }
                *seen += 1;
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} <{id}>"));
                }
            }
            for sub in cmd.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(name.clone());
                }
                walk(sub, &name, missing, seen);
            }
        }
        let (mut missing, mut seen) = (Vec::new(), 0);
        walk(&crate::Cli::command(), "orgs", &mut missing, &mut seen);
        assert!(
            missing.is_empty(),
            "described nowhere in --help: {missing:#?}"
        );
        assert!(seen > 100, "only {seen} arguments walked");
    }
}
