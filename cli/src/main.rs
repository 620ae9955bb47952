//! `orgs`: the organizations API from a terminal or a script.

mod api;
mod bodies;
mod config;
mod output;

use api::{exit, Client, Failure, Result};
use bodies::to_json;
use clap::{Args, CommandFactory, Parser, Subcommand};
use config::{Config, CurrentOrg};
use output::View;
use serde_json::{json, Value};
use std::io::{IsTerminal, Read, Write};

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
struct Cli {
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
    Login {
        #[arg(long, value_name = "URL")]
        api: Option<String>,
        /// The token (prefer --token-stdin: an argument lands in shell history).
        #[arg(long, conflicts_with = "token_stdin")]
        token: Option<String>,
        #[arg(long)]
        token_stdin: bool,
    },
    /// Forget the saved token.
    #[command(after_help = "Example:\n  orgs logout")]
    Logout,
    /// Who the token says you are, the API and the current organization.
    #[command(after_help = "Example:\n  orgs whoami")]
    Whoami,
    /// Create an organization (asks for the name on a terminal when --name is missing).
    #[command(after_help = "Example:\n  orgs create --name \"Acme\" --slug acme")]
    Create {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        slug: Option<String>,
    },
    /// Your organizations, with your role in each.
    #[command(after_help = "Example:\n  orgs list --all")]
    List {
        /// Every page.
        #[arg(long)]
        all: bool,
    },
    /// Make an organization the current one.
    #[command(after_help = "Example:\n  orgs switch acme")]
    Switch { org: String },
    /// The organization's details.
    #[command(after_help = "Example:\n  orgs show --org acme")]
    Show,
    /// Rename the organization (and change its slug).
    #[command(after_help = "Example:\n  orgs rename \"Acme Inc\" --slug acme-inc")]
    Rename {
        name: Option<String>,
        #[arg(long)]
        slug: Option<String>,
    },
    /// Settings: invite policy, authentication, notifications, cleanup policy.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Members: list (the default), change a role, remove, leave, transfer ownership.
    Members {
        #[command(subcommand)]
        cmd: Option<MembersCmd>,
    },
    /// Invite people by email.
    #[command(
        after_help = "Example:\n  orgs invite ana@acme.com bo@acme.com --role developer --expires-in 14d\n  orgs invite team@acme.com --role viewer --max-uses 20 --project prj_..."
    )]
    Invite(InviteArgs),
    /// Invitations: list (the default), code, link, resend, revoke, cleanup; `mine` for yours.
    Invitations {
        #[command(subcommand)]
        cmd: Option<InvitationsCmd>,
    },
    /// Accept an invitation (its code or link).
    #[command(after_help = "Example:\n  orgs accept https://app.example.com/invitations/<code>")]
    Accept { code_or_link: String },
    /// Teams: list (the default), create, show, rename, delete, add and remove members.
    Teams {
        #[command(subcommand)]
        cmd: Option<TeamsCmd>,
    },
    /// Projects: list (the default), create, show, rename, delete.
    Projects {
        #[command(subcommand)]
        cmd: Option<ProjectsCmd>,
    },
    /// Project access: list, grant, revoke (principals are team:<id> or user:<id>).
    #[command(subcommand)]
    Access(AccessCmd),
    /// Integrations and their credentials: list (the default), add, rotate, remove (the secret from stdin or a file, never an argument).
    Integrations {
        #[command(subcommand)]
        cmd: Option<IntegrationsCmd>,
    },
    /// The audit log, newest first.
    #[command(
        after_help = "Example:\n  orgs audit --action member.role_changed --since 2026-11-01 --all"
    )]
    Audit {
        #[arg(long)]
        action: Option<String>,
        #[arg(long, value_name = "USER")]
        actor: Option<String>,
        /// From this day (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// The permission matrix: every permission and the roles that hold it.
    #[command(after_help = "Example:\n  orgs roles")]
    Roles,
    /// Exit 0 if you hold every permission named (in a project with --project), 1 if not.
    #[command(
        after_help = "Example:\n  orgs can members.update invitations.create && echo allowed"
    )]
    Can {
        #[arg(required = true)]
        permissions: Vec<String>,
        #[arg(long)]
        project: Option<String>,
    },
    /// Close the organization: shows the impact, then asks for its name.
    #[command(after_help = "Example:\n  orgs close --confirm \"Acme\"")]
    Close {
        /// The organization's exact name (for scripts; otherwise asked on the terminal).
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
    /// Reopen a closed organization before its purge.
    #[command(after_help = "Example:\n  orgs reactivate --org acme")]
    Reactivate,
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  orgs completion bash > ~/.local/share/bash-completion/completions/orgs"
    )]
    Completion { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Every section.
    #[command(after_help = "Example:\n  orgs settings show")]
    Show,
    /// Who may invite: admins (default) or members (for roles at or below their own).
    #[command(after_help = "Example:\n  orgs settings invite-policy members")]
    InvitePolicy {
        #[arg(value_parser = ["admins", "members"])]
        policy: String,
    },
    /// Require a second factor and/or limit members to email domains.
    #[command(
        after_help = "Example:\n  orgs settings authentication --require-mfa true --domain acme.com --domain acme.io"
    )]
    Authentication {
        #[arg(long, value_name = "true|false")]
        require_mfa: Option<bool>,
        /// An allowed domain (repeat; replaces the list).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
        /// Allow every domain again.
        #[arg(long, conflicts_with = "domains")]
        any_domain: bool,
    },
    /// Which events email the owner and admins.
    #[command(
        after_help = "Example:\n  orgs settings notifications --on memberJoined --off integrationChanged"
    )]
    Notifications {
        #[arg(long = "on", value_name = "EVENT", value_parser = NOTIFICATIONS)]
        on: Vec<String>,
        #[arg(long = "off", value_name = "EVENT", value_parser = NOTIFICATIONS)]
        off: Vec<String>,
    },
    /// One rule of the cleanup policy.
    #[command(
        after_help = "Example:\n  orgs settings cleanup stopIdleEnvironments on --after-days 14"
    )]
    Cleanup {
        #[arg(value_parser = CLEANUP_RULES)]
        rule: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
        #[arg(long)]
        after_days: Option<u32>,
    },
}

/// The notification preferences' keys, as `openapi.yaml` names them.
pub const NOTIFICATIONS: [&str; 6] = [
    "memberJoined",
    "memberLeft",
    "roleChangedToAdmin",
    "ownershipTransferred",
    "integrationChanged",
    "organizationClosed",
];
/// The cleanup policy's rules.
pub const CLEANUP_RULES: [&str; 3] = [
    "stopIdleEnvironments",
    "deleteStoppedPreviews",
    "deleteUnattachedVolumes",
];

#[derive(Subcommand)]
enum MembersCmd {
    /// The organization's members (filter with --role).
    #[command(after_help = "Example:\n  orgs members list --role admin")]
    List {
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Change a member's role.
    #[command(after_help = "Example:\n  orgs members role user-123 developer")]
    Role { user: String, role: String },
    /// Remove a member.
    #[command(after_help = "Example:\n  orgs members remove user-123")]
    Remove { user: String },
    /// Leave the organization.
    #[command(after_help = "Example:\n  orgs members leave --org acme")]
    Leave,
    /// Make a member the owner (you become admin).
    #[command(after_help = "Example:\n  orgs members transfer user-123")]
    Transfer { user: String },
}

#[derive(Args)]
struct InviteArgs {
    #[arg(required = true)]
    emails: Vec<String>,
    #[arg(long)]
    role: String,
    /// How long the invitation is valid: days, like 7d (1d to 30d).
    #[arg(long, value_name = "DAYS", value_parser = parse_days)]
    expires_in: Option<u32>,
    #[arg(long)]
    max_uses: Option<u32>,
    #[arg(long)]
    message: Option<String>,
    /// Limit the invitation to a project (repeat); the invitee joins as guest.
    #[arg(long = "project", value_name = "PROJECT_ID")]
    projects: Vec<String>,
}

fn parse_days(raw: &str) -> std::result::Result<u32, String> {
    raw.trim_end_matches('d')
        .parse()
        .map_err(|_| format!("`{raw}` is not a number of days like 7d"))
}

#[derive(Subcommand)]
enum InvitationsCmd {
    /// The organization's invitations.
    #[command(after_help = "Example:\n  orgs invitations list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// An invitation's code (to hand over yourself).
    #[command(after_help = "Example:\n  orgs invitations code inv_...")]
    Code { invitation: String },
    /// An invitation's link.
    #[command(after_help = "Example:\n  orgs invitations link inv_...")]
    Link { invitation: String },
    /// Send the invitation again (a new expiry).
    #[command(after_help = "Example:\n  orgs invitations resend inv_...")]
    Resend { invitation: String },
    /// Revoke an invitation.
    #[command(after_help = "Example:\n  orgs invitations revoke inv_...")]
    Revoke { invitation: String },
    /// Remove expired, revoked and used-up invitations.
    #[command(after_help = "Example:\n  orgs invitations cleanup")]
    Cleanup,
    /// Invitations addressed to your verified email.
    #[command(after_help = "Example:\n  orgs invitations mine")]
    Mine {
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum TeamsCmd {
    /// The organization's teams.
    #[command(after_help = "Example:\n  orgs teams list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Create a team.
    #[command(after_help = "Example:\n  orgs teams create Backend --description \"API and jobs\"")]
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// A team and a page of its members.
    #[command(after_help = "Example:\n  orgs teams show team_...")]
    Show { team: String },
    /// Rename a team.
    #[command(after_help = "Example:\n  orgs teams rename team_... Platform")]
    Rename { team: String, name: String },
    /// Delete a team (its grants go with it).
    #[command(after_help = "Example:\n  orgs teams delete team_...")]
    Delete { team: String },
    /// Put a member on the team.
    #[command(after_help = "Example:\n  orgs teams add team_... user-123")]
    Add { team: String, user: String },
    /// Take a member off the team.
    #[command(after_help = "Example:\n  orgs teams remove team_... user-123")]
    Remove { team: String, user: String },
}

#[derive(Subcommand)]
enum ProjectsCmd {
    /// The projects you can see.
    #[command(after_help = "Example:\n  orgs projects list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Create a project (you become its admin).
    #[command(after_help = "Example:\n  orgs projects create Website")]
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// A project and your role in it.
    #[command(after_help = "Example:\n  orgs projects show prj_...")]
    Show { project: String },
    /// Rename a project.
    #[command(after_help = "Example:\n  orgs projects rename prj_... Storefront")]
    Rename { project: String, name: String },
    /// Delete a project.
    #[command(after_help = "Example:\n  orgs projects delete prj_...")]
    Delete { project: String },
}

#[derive(Subcommand)]
enum AccessCmd {
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

#[derive(Subcommand)]
enum IntegrationsCmd {
    /// The organization's integrations (never their secrets).
    #[command(after_help = "Example:\n  orgs integrations list")]
    List {
        #[arg(long)]
        all: bool,
    },
    /// Connect a provider; the secret is read from stdin or a file and shown back as its fingerprint.
    #[command(
        after_help = "Example:\n  orgs integrations add --kind dns_provider --provider cloudflare --name cf --secret-stdin < token.txt"
    )]
    Add {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        name: String,
        /// key=value (repeat).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
        config: Vec<(String, String)>,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Replace an integration's secret.
    #[command(
        after_help = "Example:\n  orgs integrations rotate int_... --secret-file new-key.json"
    )]
    Rotate {
        integration: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Remove an integration and delete its secret.
    #[command(after_help = "Example:\n  orgs integrations remove int_...")]
    Remove { integration: String },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct SecretSource {
    #[arg(long)]
    secret_stdin: bool,
    #[arg(long, value_name = "FILE")]
    secret_file: Option<std::path::PathBuf>,
}

fn parse_pair(raw: &str) -> std::result::Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
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

/// The saved settings and what the command line and the environment add.
struct Ctx {
    config: Config,
    json: bool,
    org_flag: Option<String>,
}

impl Ctx {
    fn client(&self) -> Result<Client> {
        let api = self.config.api_url().ok_or(Failure::NotLoggedIn)?;
        let token = self.config.token().ok_or(Failure::NotLoggedIn)?;
        Ok(Client::new(&api, &token))
    }

    /// The organization's id: `--org` (an id, or a slug looked up among yours), else the current one.
    fn org(&self, client: &Client) -> Result<String> {
        match &self.org_flag {
            Some(o) => Ok(resolve_org(client, o)?.id),
            None => self
                .config
                .current_org
                .as_ref()
                .map(|c| c.id.clone())
                .ok_or_else(|| {
                    Failure::Usage(
                        "no organization chosen: pass --org <slug|id> or run `orgs switch <slug|id>`"
                            .into(),
                    )
                }),
        }
    }

    /// Prints the API's JSON with --json, else what `human` prints.
    fn show(&self, body: &Value, human: impl FnOnce(&Value)) {
        if self.json {
            output::json(body);
        } else {
            human(body);
        }
    }

    /// A list (one page, or every page with `all`), printed as JSON (`{items, nextCursor}`) or a table.
    fn list(
        &self,
        client: &Client,
        view: &View,
        params: &[&str],
        filters: &[(&str, Option<String>)],
        all: bool,
    ) -> Result<()> {
        let (items, next) =
            client.list(view.endpoint, params, filters, all, &mut output::progress)?;
        output::progress_done();
        if self.json {
            output::json(&json!({ "items": items, "nextCursor": next }));
        } else {
            output::items(view, &items, next.as_str());
        }
        Ok(())
    }
}

/// Finds one of your organizations by id or slug.
fn resolve_org(client: &Client, wanted: &str) -> Result<CurrentOrg> {
    let (items, _) = client.list(api::LIST_MY_ORGS, &[], &[], true, &mut |_| {})?;
    items
        .iter()
        .find(|o| o["id"] == wanted || o["slug"] == wanted)
        .map(|o| CurrentOrg {
            id: o["id"].as_str().unwrap_or_default().to_string(),
            slug: o["slug"].as_str().map(str::to_string),
            name: o["name"].as_str().map(str::to_string),
        })
        .ok_or_else(|| {
            Failure::Usage(format!(
                "you are in no organization with the slug or id `{wanted}` (`orgs list` shows yours)"
            ))
        })
}

fn prompt(question: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "{question}: not on a terminal, pass it as an option"
        )));
    }
    eprint!("{question}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(e.to_string()))?;
    Ok(line.trim().to_string())
}

fn read_secret(source: &SecretSource) -> Result<String> {
    let text = match &source.secret_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("secret (end with Ctrl-D):");
            }
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::Other(e.to_string()))?;
            s
        }
    };
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(Failure::Usage("the secret is empty".into()));
    }
    Ok(secret)
}

/// The claims of a token, without verifying it (what it says about who you are).
fn claims(token: &str) -> Value {
    use base64::Engine;
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

fn done(ctx: &Ctx, body: &Value, message: &str) {
    ctx.show(body, |_| println!("{}", output::green(message)));
}

fn run(cli: Cli) -> Result<i32> {
    let mut ctx = Ctx {
        config: Config::load(),
        json: cli.json,
        org_flag: cli.org,
    };
    match cli.command {
        Command::Completion { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "orgs", &mut std::io::stdout());
        }
        Command::Login {
            api,
            token,
            token_stdin,
        } => {
            let token = match (token, token_stdin) {
                (Some(t), _) => t,
                (None, true) => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| Failure::Other(e.to_string()))?;
                    s.trim().to_string()
                }
                (None, false) => prompt("token")?,
            };
            if token.is_empty() {
                return Err(Failure::Usage("the token is empty".into()));
            }
            let api = api
                .or_else(|| ctx.config.api_url())
                .ok_or_else(|| Failure::Usage("pass --api <url> (the API's base URL)".into()))?;
            // The token works: list one page of organizations with it.
            Client::new(&api, &token).get(api::LIST_MY_ORGS, &[], "?limit=1")?;
            ctx.config.api_url = Some(api.trim_end_matches('/').to_string());
            ctx.config.token = Some(token);
            let path = ctx.config.save()?;
            let who = claims(ctx.config.token.as_deref().unwrap_or_default());
            done(
                &ctx,
                &json!({ "apiUrl": ctx.config.api_url, "userId": who["sub"], "config": path }),
                &format!(
                    "logged in as {} at {} (saved in {})",
                    who["sub"].as_str().unwrap_or("?"),
                    ctx.config.api_url.as_deref().unwrap_or_default(),
                    path.display()
                ),
            );
        }
        Command::Logout => {
            ctx.config.token = None;
            ctx.config.save()?;
            done(&ctx, &json!({ "loggedOut": true }), "logged out");
        }
        Command::Whoami => {
            let token = ctx.config.token().ok_or(Failure::NotLoggedIn)?;
            let api = ctx.config.api_url().ok_or(Failure::NotLoggedIn)?;
            let c = claims(&token);
            let body = json!({
                "userId": c["sub"], "email": c["email"], "emailVerified": c["email_verified"],
                "apiUrl": api, "currentOrg": ctx.config.current_org.as_ref().map(|o| json!({"id": o.id, "slug": o.slug, "name": o.name})),
            });
            ctx.show(&body, |b| {
                output::record(&[
                    ("user", output::field(b, "userId")),
                    ("email", output::field(b, "email")),
                    ("api", output::field(b, "apiUrl")),
                    ("organization", output::field(b, "currentOrg.slug")),
                ])
            });
        }
        Command::Create { name, slug } => {
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
            // The first organization you create becomes the current one.
            if ctx.config.current_org.is_none() {
                ctx.config.current_org = Some(CurrentOrg {
                    id: output::field(&org, "id"),
                    slug: org["slug"].as_str().map(str::to_string),
                    name: org["name"].as_str().map(str::to_string),
                });
                ctx.config.save()?;
            }
            done(
                &ctx,
                &org,
                &format!(
                    "created {} ({})",
                    output::field(&org, "slug"),
                    output::field(&org, "id")
                ),
            );
        }
        Command::List { all } => {
            let client = ctx.client()?;
            ctx.list(&client, &views::ORGS, &[], &[], all)?;
        }
        Command::Switch { org } => {
            let client = ctx.client()?;
            let found = resolve_org(&client, &org)?;
            let body = json!({ "id": found.id, "slug": found.slug, "name": found.name });
            ctx.config.current_org = Some(found);
            ctx.config.save()?;
            done(
                &ctx,
                &body,
                &format!("now in {}", output::field(&body, "slug")),
            );
        }
        Command::Show => {
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
        }
        Command::Rename { name, slug } => {
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
                &ctx,
                &org,
                &format!(
                    "now {} ({})",
                    output::field(&org, "name"),
                    output::field(&org, "slug")
                ),
            );
        }
        Command::Settings(cmd) => settings(&ctx, cmd)?,
        Command::Members { cmd } => members(
            &ctx,
            cmd.unwrap_or(MembersCmd::List {
                role: None,
                all: false,
            }),
        )?,
        Command::Invite(args) => invite(&ctx, args)?,
        Command::Invitations { cmd } => {
            invitations(&ctx, cmd.unwrap_or(InvitationsCmd::List { all: false }))?
        }
        Command::Accept { code_or_link } => {
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
                &ctx,
                &body,
                &format!(
                    "joined {} as {}",
                    output::field(&body, "orgName"),
                    output::field(&body, "role")
                ),
            );
        }
        Command::Teams { cmd } => teams(&ctx, cmd.unwrap_or(TeamsCmd::List { all: false }))?,
        Command::Projects { cmd } => {
            projects(&ctx, cmd.unwrap_or(ProjectsCmd::List { all: false }))?
        }
        Command::Access(cmd) => access(&ctx, cmd)?,
        Command::Integrations { cmd } => {
            integrations(&ctx, cmd.unwrap_or(IntegrationsCmd::List { all: false }))?
        }
        Command::Audit {
            action,
            actor,
            since,
            until,
            all,
        } => {
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
        }
        Command::Roles => {
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
        }
        Command::Can {
            permissions,
            project,
        } => {
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
            return Ok(if allowed { exit::OK } else { exit::REFUSED });
        }
        Command::Close { confirm } => {
            let client = ctx.client()?;
            let org = ctx.org(&client)?;
            let impact = client.get(api::CLOSURE_IMPACT, &[&org], "")?;
            if !ctx.json {
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
                &ctx,
                &body,
                &format!(
                    "closed; read-only until {} (`orgs reactivate` reopens it)",
                    output::field(&body, "purgeAt")
                ),
            );
        }
        Command::Reactivate => {
            let client = ctx.client()?;
            let org = ctx.org(&client)?;
            let body = client.send(api::REACTIVATE_ORG, &[&org], None)?;
            done(&ctx, &body, "reactivated");
        }
    }
    Ok(exit::OK)
}

fn settings(ctx: &Ctx, cmd: SettingsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        SettingsCmd::Show => {
            let o = client.get(api::GET_ORG, &[&org], "")?;
            let auth = client.get(api::GET_AUTHENTICATION_POLICY, &[&org], "")?;
            let notifications = client.get(api::GET_NOTIFICATION_PREFERENCES, &[&org], "")?;
            let cleanup = client.get(api::GET_CLEANUP_POLICY, &[&org], "")?;
            let all = json!({ "settings": o["settings"], "authentication": auth, "notifications": notifications, "cleanupPolicy": cleanup });
            ctx.show(&all, |a| {
                let mut pairs = vec![
                    ("invitePolicy", output::field(a, "settings.invitePolicy")),
                    ("requireMfa", output::field(a, "authentication.requireMfa")),
                    (
                        "allowedEmailDomains",
                        output::field(a, "authentication.allowedEmailDomains"),
                    ),
                ];
                for k in NOTIFICATIONS {
                    pairs.push((k, output::field(&a["notifications"], k)));
                }
                for r in CLEANUP_RULES {
                    let rule = &a["cleanupPolicy"][r];
                    let v = if rule["enabled"] == true {
                        format!("on, after {} days", output::field(rule, "afterDays"))
                    } else {
                        "off".into()
                    };
                    pairs.push((r, v));
                }
                output::record(&pairs);
            });
        }
        SettingsCmd::InvitePolicy { policy } => {
            let body = bodies::UpdateOrg {
                settings: Some(bodies::OrgSettings {
                    invite_policy: policy,
                }),
                ..Default::default()
            };
            let o = client.send(api::UPDATE_ORG, &[&org], Some(&to_json(&body)))?;
            done(
                ctx,
                &o,
                &format!(
                    "invite policy: {}",
                    output::field(&o, "settings.invitePolicy")
                ),
            );
        }
        SettingsCmd::Authentication {
            require_mfa,
            domains,
            any_domain,
        } => {
            let current = client.get(api::GET_AUTHENTICATION_POLICY, &[&org], "")?;
            let body = bodies::AuthenticationPolicy {
                require_mfa: require_mfa.unwrap_or(current["requireMfa"] == true),
                allowed_email_domains: if any_domain {
                    Vec::new()
                } else if domains.is_empty() {
                    serde_json::from_value(current["allowedEmailDomains"].clone())
                        .unwrap_or_default()
                } else {
                    domains
                },
            };
            let a = client.send(
                api::PUT_AUTHENTICATION_POLICY,
                &[&org],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &a,
                &format!(
                    "requireMfa: {}; allowed domains: {}; members outside them: {}",
                    output::field(&a, "requireMfa"),
                    output::field(&a, "allowedEmailDomains"),
                    output::field(&a, "membersOutsideDomains")
                ),
            );
        }
        SettingsCmd::Notifications { on, off } => {
            let mut prefs = client.get(api::GET_NOTIFICATION_PREFERENCES, &[&org], "")?;
            for k in on {
                prefs[k.as_str()] = json!(true);
            }
            for k in off {
                prefs[k.as_str()] = json!(false);
            }
            let a = client.send(api::PUT_NOTIFICATION_PREFERENCES, &[&org], Some(&prefs))?;
            ctx.show(&a, |a| {
                let pairs: Vec<(&str, String)> = NOTIFICATIONS
                    .iter()
                    .map(|k| (*k, output::field(a, k)))
                    .collect();
                output::record(&pairs);
            });
        }
        SettingsCmd::Cleanup {
            rule,
            state,
            after_days,
        } => {
            let mut policy = client.get(api::GET_CLEANUP_POLICY, &[&org], "")?;
            policy[rule.as_str()]["enabled"] = json!(state == "on");
            if let Some(d) = after_days {
                policy[rule.as_str()]["afterDays"] = json!(d);
            }
            let a = client.send(api::PUT_CLEANUP_POLICY, &[&org], Some(&policy))?;
            done(ctx, &a, &format!("{rule}: {}", a[rule.as_str()]));
        }
    }
    Ok(())
}

fn members(ctx: &Ctx, cmd: MembersCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        MembersCmd::List { role, all } => {
            ctx.list(&client, &views::MEMBERS, &[&org], &[("role", role)], all)?
        }
        MembersCmd::Role { user, role } => {
            let m = client.send(
                api::CHANGE_MEMBER_ROLE,
                &[&org, &user],
                Some(&to_json(&bodies::ChangeRole { role })),
            )?;
            done(
                ctx,
                &m,
                &format!("{user} is now {}", output::field(&m, "role")),
            );
        }
        MembersCmd::Remove { user } => {
            client.send(api::REMOVE_MEMBER, &[&org, &user], None)?;
            done(ctx, &json!({ "removed": user }), &format!("removed {user}"));
        }
        MembersCmd::Leave => {
            let token = ctx.config.token().ok_or(Failure::NotLoggedIn)?;
            let me = claims(&token)["sub"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            client.send(api::REMOVE_MEMBER, &[&org, &me], None)?;
            done(ctx, &json!({ "left": org }), "you left the organization");
        }
        MembersCmd::Transfer { user } => {
            let body = client.send(
                api::TRANSFER_OWNERSHIP,
                &[&org],
                Some(&to_json(&bodies::Transfer {
                    user_id: user.clone(),
                })),
            )?;
            done(
                ctx,
                &body,
                &format!("{user} is the owner now; you are admin"),
            );
        }
    }
    Ok(())
}

fn invite(ctx: &Ctx, args: InviteArgs) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    let mut created = Vec::new();
    let mut failed = None;
    for email in &args.emails {
        let body = bodies::CreateInvitation {
            email: email.clone(),
            role: args.role.clone(),
            expires_in_days: args.expires_in,
            max_uses: args.max_uses,
            message: args.message.clone(),
            project_ids: args.projects.clone(),
        };
        match client.send(api::CREATE_INVITATION, &[&org], Some(&to_json(&body))) {
            Ok(inv) => {
                if !ctx.json {
                    println!(
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
    if ctx.json {
        output::json(&json!({ "items": created }));
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

fn invitations(ctx: &Ctx, cmd: InvitationsCmd) -> Result<()> {
    let client = ctx.client()?;
    if let InvitationsCmd::Mine { all } = cmd {
        return ctx.list(&client, &views::MY_INVITATIONS, &[], &[], all);
    }
    let org = ctx.org(&client)?;
    match cmd {
        InvitationsCmd::List { all } => {
            ctx.list(&client, &views::INVITATIONS, &[&org], &[], all)?
        }
        InvitationsCmd::Code { invitation } => {
            let body = client.get(api::GET_INVITATION_CODE, &[&org, &invitation], "")?;
            ctx.show(&body, |b| println!("{}", output::field(b, "code")));
        }
        InvitationsCmd::Link { invitation } => {
            let body = client.get(api::GET_INVITATION_CODE, &[&org, &invitation], "")?;
            ctx.show(&body, |b| println!("{}", output::field(b, "url")));
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

fn teams(ctx: &Ctx, cmd: TeamsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        TeamsCmd::List { all } => ctx.list(&client, &views::TEAMS, &[&org], &[], all)?,
        TeamsCmd::Create { name, description } => {
            let t = client.send(
                api::CREATE_TEAM,
                &[&org],
                Some(&to_json(&bodies::CreateNamed { name, description })),
            )?;
            done(
                ctx,
                &t,
                &format!(
                    "created team {} ({})",
                    output::field(&t, "name"),
                    output::field(&t, "id")
                ),
            );
        }
        TeamsCmd::Show { team } => {
            let t = client.get(api::GET_TEAM, &[&org, &team], "")?;
            ctx.show(&t, |t| {
                output::record(&[
                    ("id", output::field(t, "id")),
                    ("name", output::field(t, "name")),
                    ("description", output::field(t, "description")),
                    ("projects", output::field(t, "projectCount")),
                ]);
                println!();
                output::items(
                    &views::MEMBERS,
                    t["members"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    t["membersNextCursor"].as_str(),
                );
            });
        }
        TeamsCmd::Rename { team, name } => {
            let body = bodies::UpdateNamed {
                name: Some(name),
                ..Default::default()
            };
            let t = client.send(api::UPDATE_TEAM, &[&org, &team], Some(&to_json(&body)))?;
            done(
                ctx,
                &t,
                &format!("renamed to {}", output::field(&t, "name")),
            );
        }
        TeamsCmd::Delete { team } => {
            client.send(api::DELETE_TEAM, &[&org, &team], None)?;
            done(ctx, &json!({ "deleted": team }), "deleted");
        }
        TeamsCmd::Add { team, user } => {
            let t = client.send(api::ADD_TEAM_MEMBER, &[&org, &team, &user], None)?;
            done(ctx, &t, &format!("{user} is on the team"));
        }
        TeamsCmd::Remove { team, user } => {
            client.send(api::REMOVE_TEAM_MEMBER, &[&org, &team, &user], None)?;
            done(
                ctx,
                &json!({ "removed": user }),
                &format!("{user} is off the team"),
            );
        }
    }
    Ok(())
}

fn projects(ctx: &Ctx, cmd: ProjectsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        ProjectsCmd::List { all } => ctx.list(&client, &views::PROJECTS, &[&org], &[], all)?,
        ProjectsCmd::Create { name, description } => {
            let p = client.send(
                api::CREATE_PROJECT,
                &[&org],
                Some(&to_json(&bodies::CreateNamed { name, description })),
            )?;
            done(
                ctx,
                &p,
                &format!(
                    "created project {} ({})",
                    output::field(&p, "name"),
                    output::field(&p, "id")
                ),
            );
        }
        ProjectsCmd::Show { project } => {
            let p = client.get(api::GET_PROJECT, &[&org, &project], "")?;
            ctx.show(&p, |p| {
                output::record(&[
                    ("id", output::field(p, "id")),
                    ("name", output::field(p, "name")),
                    ("description", output::field(p, "description")),
                    ("your role", output::field(p, "myRole")),
                    ("created by", output::field(p, "createdBy")),
                ])
            });
        }
        ProjectsCmd::Rename { project, name } => {
            let body = bodies::UpdateNamed {
                name: Some(name),
                ..Default::default()
            };
            let p = client.send(
                api::UPDATE_PROJECT,
                &[&org, &project],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &p,
                &format!("renamed to {}", output::field(&p, "name")),
            );
        }
        ProjectsCmd::Delete { project } => {
            client.send(api::DELETE_PROJECT, &[&org, &project], None)?;
            done(ctx, &json!({ "deleted": project }), "deleted");
        }
    }
    Ok(())
}

fn access(ctx: &Ctx, cmd: AccessCmd) -> Result<()> {
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

fn integrations(ctx: &Ctx, cmd: IntegrationsCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        IntegrationsCmd::List { all } => {
            ctx.list(&client, &views::INTEGRATIONS, &[&org], &[], all)?
        }
        IntegrationsCmd::Add {
            kind,
            provider,
            name,
            config,
            secret,
        } => {
            let body = bodies::CreateIntegration {
                kind,
                provider,
                name,
                config: config.into_iter().collect(),
                secret: read_secret(&secret)?,
            };
            let i = client.send(api::CREATE_INTEGRATION, &[&org], Some(&to_json(&body)))?;
            done(
                ctx,
                &i,
                &format!(
                    "connected {} ({}); secret fingerprint {}",
                    output::field(&i, "name"),
                    output::field(&i, "id"),
                    output::field(&i, "fingerprint")
                ),
            );
        }
        IntegrationsCmd::Rotate {
            integration,
            secret,
        } => {
            let body = bodies::Secret {
                secret: read_secret(&secret)?,
            };
            let i = client.send(
                api::ROTATE_INTEGRATION_SECRET,
                &[&org, &integration],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &i,
                &format!("rotated; fingerprint {}", output::field(&i, "fingerprint")),
            );
        }
        IntegrationsCmd::Remove { integration } => {
            client.send(api::DELETE_INTEGRATION, &[&org, &integration], None)?;
            done(
                ctx,
                &json!({ "deleted": integration }),
                "removed; its secret is deleted",
            );
        }
    }
    Ok(())
}

/// The tables, each over an endpoint's items (the drift test checks their fields).
mod views {
    use crate::api;
    use crate::output::View;

    pub const ORGS: View = View {
        endpoint: api::LIST_MY_ORGS,
        columns: &[
            ("ID", "id"),
            ("SLUG", "slug"),
            ("NAME", "name"),
            ("ROLE", "myRole"),
            ("STATUS", "status"),
        ],
    };
    pub const MEMBERS: View = View {
        endpoint: api::LIST_MEMBERS,
        columns: &[
            ("USER", "userId"),
            ("EMAIL", "email"),
            ("ROLE", "role"),
            ("JOINED", "joinedAt"),
        ],
    };
    pub const INVITATIONS: View = View {
        endpoint: api::LIST_INVITATIONS,
        columns: &[
            ("ID", "id"),
            ("EMAIL", "email"),
            ("ROLE", "role"),
            ("STATUS", "status"),
            ("USES", "uses"),
            ("MAX", "maxUses"),
            ("EXPIRES", "expiresAt"),
        ],
    };
    pub const MY_INVITATIONS: View = View {
        endpoint: api::LIST_MY_INVITATIONS,
        columns: &[
            ("ORGANIZATION", "orgName"),
            ("ROLE", "role"),
            ("FROM", "inviterName"),
            ("EXPIRES", "expiresAt"),
        ],
    };
    pub const TEAMS: View = View {
        endpoint: api::LIST_TEAMS,
        columns: &[
            ("ID", "id"),
            ("NAME", "name"),
            ("MEMBERS", "memberCount"),
            ("PROJECTS", "projectCount"),
        ],
    };
    pub const PROJECTS: View = View {
        endpoint: api::LIST_PROJECTS,
        columns: &[
            ("ID", "id"),
            ("NAME", "name"),
            ("YOUR ROLE", "myRole"),
            ("CREATED BY", "createdBy"),
        ],
    };
    pub const GRANTS: View = View {
        endpoint: api::LIST_PROJECT_ACCESS,
        columns: &[
            ("PRINCIPAL", "principal"),
            ("ROLE", "role"),
            ("GRANTED BY", "grantedBy"),
            ("AT", "grantedAt"),
        ],
    };
    pub const INTEGRATIONS: View = View {
        endpoint: api::LIST_INTEGRATIONS,
        columns: &[
            ("ID", "id"),
            ("KIND", "kind"),
            ("PROVIDER", "provider"),
            ("NAME", "name"),
            ("FINGERPRINT", "fingerprint"),
            ("DEFAULT STORAGE", "defaultStorage"),
        ],
    };
    pub const AUDIT: View = View {
        endpoint: api::LIST_AUDIT_LOG,
        columns: &[
            ("AT", "at"),
            ("ACTOR", "actorId"),
            ("ACTION", "action"),
            ("SUMMARY", "summary"),
        ],
    };
    #[cfg(test)]
    pub const ALL: &[&View] = &[
        &ORGS,
        &MEMBERS,
        &INVITATIONS,
        &MY_INVITATIONS,
        &TEAMS,
        &PROJECTS,
        &GRANTS,
        &INTEGRATIONS,
        &AUDIT,
    ];
}

#[cfg(test)]
mod drift;
