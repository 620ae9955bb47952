//! `orgs login`, `logout`, `whoami` and shell completion.

use crate::api::{self, Client};
use crate::ctx::{claims, current_of, describe_org, done, prompt_secret, Ctx};
use crate::error::{exit, Failure, Result};
use crate::output;
use clap::{Args, CommandFactory};
use serde_json::json;
use std::io::Read;

#[derive(Args)]
pub(crate) struct CompletionArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

pub(crate) fn completion(_ctx: &mut Ctx, args: CompletionArgs) -> Result<i32> {
    let CompletionArgs { shell } = args;
    clap_complete::generate(
        shell,
        &mut crate::Cli::command(),
        "orgs",
        &mut crate::output::Lines,
    );
    Ok(exit::OK)
}

#[derive(Args)]
pub(crate) struct LoginArgs {
    /// The API's base URL (saved; default: the saved one).
    #[arg(long, value_name = "URL")]
    pub(crate) api: Option<String>,
    /// The token (prefer --token-stdin: an argument lands in shell history).
    #[arg(long, conflicts_with_all = ["token_stdin", "web"])]
    pub(crate) token: Option<String>,
    /// Read the token from stdin.
    #[arg(long, conflicts_with = "web")]
    pub(crate) token_stdin: bool,
    /// Read an organization API key (`orgs_sk_...`) from stdin: commands then act as the key, in
    /// its organization, within its role (the organization must let its keys call the API).
    #[arg(long, conflicts_with_all = ["token", "token_stdin", "web"])]
    pub(crate) api_key_stdin: bool,
    /// Sign in in the browser: OAuth 2.0 authorization code with PKCE, answered on a loopback
    /// address (Cognito's hosted UI, or any OpenID Connect issuer).
    #[arg(long)]
    pub(crate) web: bool,
    #[command(flatten)]
    pub(crate) oauth: super::web_login::OAuthArgs,
}

pub(crate) fn login(ctx: &mut Ctx, args: LoginArgs) -> Result<i32> {
    let LoginArgs {
        api,
        token,
        token_stdin,
        api_key_stdin,
        web,
        oauth,
    } = args;
    let stdin = || {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Other(e.to_string()))?;
        Ok::<_, Failure>(s.trim().to_string())
    };
    let token = match (token, token_stdin || api_key_stdin) {
        _ if web => super::web_login::sign_in(ctx, oauth)?,
        (Some(t), _) => t,
        (None, true) => stdin()?,
        (None, false) => prompt_secret("token")?,
    };
    if token.is_empty() {
        return Err(Failure::Usage("the token is empty".into()));
    }
    let api = api
        .or_else(|| ctx.config.api_url())
        .ok_or_else(|| Failure::Usage("pass --api <url> (the API's base URL)".into()))?;
    if api_key_stdin || token.starts_with("orgs_sk_") {
        return login_with_key(ctx, &api, token);
    }
    // The token works: list a page of organizations with it (someone in none gets their personal
    // one, as on any first `GET /orgs`).
    let page = Client::new(&api, &token).get(api::LIST_MY_ORGS, &[], "?limit=100")?;
    let orgs = page["items"].as_array().cloned().unwrap_or_default();
    // The current organization: the saved one if it is this person's, else their only one or
    // their personal one; none when they must choose (`orgs switch`).
    let kept = ctx
        .config
        .current_org
        .as_ref()
        .is_some_and(|c| orgs.iter().any(|o| o["id"] == c.id.as_str()));
    if !kept {
        let pick = match orgs.as_slice() {
            [only] => Some(only),
            many => many.iter().find(|o| o["personal"] == true),
        };
        ctx.config.current_org = pick.map(current_of);
    }
    ctx.config.api_url = Some(api.trim_end_matches('/').to_string());
    ctx.config.token = Some(token);
    let path = ctx.config.save()?;
    let who = claims(ctx.config.token.as_deref().unwrap_or_default());
    let current = ctx.config.current_org.as_ref();
    let acting = match current {
        Some(org) => format!("commands act in {}", describe_org(org)),
        None => {
            "no organization is current: `orgs list` shows yours, `orgs switch <slug>` picks one"
                .to_string()
        }
    };
    done(
        ctx,
        &json!({
            "apiUrl": ctx.config.api_url, "userId": who["sub"], "config": path,
            "currentOrg": current.map(|o| json!({"id": o.id, "slug": o.slug, "name": o.name})),
        }),
        &format!(
            "logged in as {} at {} (saved in {}); {acting}",
            who["sub"].as_str().unwrap_or("?"),
            ctx.config.api_url.as_deref().unwrap_or_default(),
            path.display()
        ),
    );
    Ok(exit::OK)
}

/// `orgs login --api-key-stdin`: the key works in its organization (read it with the key), which
/// becomes the current one.
fn login_with_key(ctx: &mut Ctx, api: &str, key: String) -> Result<i32> {
    let org_id = api::org_of_api_key(&key).ok_or_else(|| {
        Failure::Usage(
            "this is not an organization API key (`orgs_sk_` and 81 letters and digits)".into(),
        )
    })?;
    let org = Client::new(api, &key).get(api::GET_ORG, &[&org_id], "")?;
    ctx.config.current_org = Some(current_of(&org));
    ctx.config.api_url = Some(api.trim_end_matches('/').to_string());
    ctx.config.token = Some(key);
    let path = ctx.config.save()?;
    let current = ctx.config.current_org.as_ref();
    done(
        ctx,
        &json!({
            "apiUrl": ctx.config.api_url, "apiKey": true, "config": path,
            "currentOrg": current.map(|o| json!({"id": o.id, "slug": o.slug, "name": o.name})),
        }),
        &format!(
            "logged in with an API key of {} at {} (saved in {}); commands act as the key, within its role",
            current.map(describe_org).unwrap_or_default(),
            ctx.config.api_url.as_deref().unwrap_or_default(),
            path.display()
        ),
    );
    Ok(exit::OK)
}

pub(crate) fn logout(ctx: &mut Ctx) -> Result<i32> {
    ctx.config.token = None;
    ctx.config.save()?;
    done(ctx, &json!({ "loggedOut": true }), "logged out");
    Ok(exit::OK)
}

pub(crate) fn whoami(ctx: &mut Ctx) -> Result<i32> {
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
    Ok(exit::OK)
}
