//! `orgs settings`: invite policy, authentication, notifications, cleanup.

use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::error::Result;
use crate::output;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum SettingsCmd {
    /// Every section.
    #[command(after_help = "Example:\n  orgs settings show")]
    Show,
    /// Who may invite: admins (default) or members (for roles at or below their own).
    #[command(after_help = "Example:\n  orgs settings invite-policy members")]
    InvitePolicy {
        /// admins, or members.
        #[arg(value_parser = ["admins", "members"])]
        policy: String,
    },
    /// Whether API keys may be created without an expiry (off by default).
    #[command(after_help = "Example:\n  orgs settings non-expiring-api-keys on")]
    NonExpiringApiKeys {
        /// on, or off.
        #[arg(value_parser = ["on", "off"])]
        allowed: String,
    },
    /// Whether the organization's API keys may call this API, each within its role (off by default).
    #[command(after_help = "Example:\n  orgs settings api-keys-may-call-api on")]
    ApiKeysMayCallApi {
        /// on, or off.
        #[arg(value_parser = ["on", "off"])]
        allowed: String,
    },
    /// Require a second factor and/or limit members to email domains.
    #[command(
        after_help = "Example:\n  orgs settings authentication --require-mfa true --domain acme.com --domain acme.io"
    )]
    Authentication {
        /// Whether every member must sign in with a second factor.
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
        /// Turn an event's email on (repeat).
        #[arg(long = "on", value_name = "EVENT", value_parser = NOTIFICATIONS)]
        on: Vec<String>,
        /// Turn an event's email off (repeat).
        #[arg(long = "off", value_name = "EVENT", value_parser = NOTIFICATIONS)]
        off: Vec<String>,
    },
    /// One rule of the cleanup policy.
    #[command(
        after_help = "Example:\n  orgs settings cleanup stopIdleEnvironments on --after-days 14"
    )]
    Cleanup {
        /// The rule.
        #[arg(value_parser = CLEANUP_RULES)]
        rule: String,
        /// on, or off.
        #[arg(value_parser = ["on", "off"])]
        state: String,
        /// After how many days the rule acts.
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

/// Changes one of the organization's `settings`: a PATCH replaces the object as a whole, so the
/// others are read first and sent unchanged. Answers the updated organization.
fn change_settings(
    client: &api::Client,
    org: &str,
    change: impl FnOnce(&mut bodies::OrgSettings),
) -> Result<serde_json::Value> {
    let o = client.get(api::GET_ORG, &[org], "")?;
    let mut settings = bodies::OrgSettings {
        invite_policy: output::field(&o, "settings.invitePolicy"),
        allow_non_expiring_api_keys: o["settings"]["allowNonExpiringApiKeys"] == true,
        api_keys_may_call_api: o["settings"]["apiKeysMayCallApi"] == true,
    };
    change(&mut settings);
    let body = bodies::UpdateOrg {
        settings: Some(settings),
        ..Default::default()
    };
    client.send(api::UPDATE_ORG, &[org], Some(&to_json(&body)))
}

pub(crate) fn settings(ctx: &Ctx, cmd: SettingsCmd) -> Result<()> {
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
                    (
                        "apiKeysMayCallApi",
                        output::field(a, "settings.apiKeysMayCallApi"),
                    ),
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
            let o = change_settings(&client, &org, |s| s.invite_policy = policy)?;
            done(
                ctx,
                &o,
                &format!(
                    "invite policy: {}",
                    output::field(&o, "settings.invitePolicy")
                ),
            );
        }
        SettingsCmd::NonExpiringApiKeys { allowed } => {
            let o = change_settings(&client, &org, |s| {
                s.allow_non_expiring_api_keys = allowed == "on"
            })?;
            done(
                ctx,
                &o,
                &format!(
                    "API keys that never expire: {}",
                    if o["settings"]["allowNonExpiringApiKeys"] == true {
                        "allowed"
                    } else {
                        "not allowed"
                    }
                ),
            );
        }
        SettingsCmd::ApiKeysMayCallApi { allowed } => {
            let o = change_settings(&client, &org, |s| s.api_keys_may_call_api = allowed == "on")?;
            done(
                ctx,
                &o,
                &format!(
                    "API keys calling this API: {}",
                    if o["settings"]["apiKeysMayCallApi"] == true {
                        "allowed"
                    } else {
                        "not allowed"
                    }
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
