//! `orgs webhooks`: the organization's signed webhook endpoints. A signing secret is printed once,
//! when the endpoint is created or its secret rotated; nothing can show it again.

use crate::api::Page;
use crate::api::{self};
use crate::bodies::{self, to_json};
use crate::ctx::{done, Ctx};
use crate::error::Result;
use crate::output;
use crate::views;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub(crate) enum WebhooksCmd {
    /// The organization's endpoints (the default; never their secrets).
    #[command(after_help = "Example:\n  orgs webhooks list")]
    List {
        #[command(flatten)]
        page: Page,
    },
    /// Add an endpoint (https:// to a public host); its signing secret is printed once.
    #[command(
        after_help = "Examples:\n  orgs webhooks create https://hooks.example.com/orgs\n  orgs webhooks create https://hooks.example.com/orgs --event MemberJoined --event MemberRemoved --description provisioning"
    )]
    Create {
        /// Where messages are POSTed: https:// to a public host.
        url: String,
        /// An event type to send (repeat; default: every one), e.g. MemberJoined.
        #[arg(long = "event", value_name = "TYPE")]
        events: Vec<String>,
        /// What the endpoint is for (at most 500 characters).
        #[arg(long)]
        description: Option<String>,
    },
    /// Change an endpoint's URL, event types or description, or disable or enable it.
    #[command(
        after_help = "Examples:\n  orgs webhooks update wh_... --enable\n  orgs webhooks update wh_... --event TeamCreated --event TeamDeleted\n  orgs webhooks update wh_... --all-events --url https://hooks.example.com/v2"
    )]
    Update {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
        /// A new URL (https:// to a public host).
        #[arg(long)]
        url: Option<String>,
        /// Send only these event types (repeat).
        #[arg(long = "event", value_name = "TYPE", conflicts_with = "all_events")]
        events: Vec<String>,
        /// Send every event type again.
        #[arg(long)]
        all_events: bool,
        /// A new description.
        #[arg(long, conflicts_with = "no_description")]
        description: Option<String>,
        /// Remove the description.
        #[arg(long)]
        no_description: bool,
        /// Resume new messages (after a disabling).
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Stop sending to it.
        #[arg(long)]
        disable: bool,
    },
    /// Delete an endpoint: nothing more is sent to it; asks first on a terminal.
    #[command(after_help = "Example:\n  orgs webhooks delete wh_... --yes")]
    Delete {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
    },
    /// A new signing secret, printed once; the old one keeps signing beside it for --grace-minutes.
    #[command(after_help = "Example:\n  orgs webhooks rotate-secret wh_... --grace-minutes 60")]
    RotateSecret {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
        /// 0 to 10080 (default 1440: a day).
        #[arg(long, default_value_t = 1440)]
        grace_minutes: i64,
    },
    /// Send a WebhookTest message; `orgs webhooks deliveries` shows its outcome.
    #[command(after_help = "Example:\n  orgs webhooks test wh_...")]
    Test {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
    },
    /// The endpoint's delivery log: every attempt, newest first.
    #[command(after_help = "Example:\n  orgs webhooks deliveries wh_... --all")]
    Deliveries {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
        #[command(flatten)]
        page: Page,
    },
    /// Send a message again (same webhook-id), once it succeeded or failed.
    #[command(after_help = "Example:\n  orgs webhooks resend wh_... msg_...")]
    Resend {
        /// The endpoint's id (`orgs webhooks`).
        webhook: String,
        /// The message's id (its webhook-id, `orgs webhooks deliveries`).
        message: String,
    },
}

fn shown_once(ctx: &Ctx, w: &Value, what: &str) {
    done(
        ctx,
        w,
        &format!(
            "{what} {} ({}). Its signing secret, shown this once (give it to your receiver's Standard Webhooks library):\n{}",
            output::field(w, "url"),
            output::field(w, "id"),
            output::field(w, "secret"),
        ),
    );
}

pub(crate) fn webhooks(ctx: &Ctx, cmd: WebhooksCmd) -> Result<()> {
    let client = ctx.client()?;
    let org = ctx.org(&client)?;
    match cmd {
        WebhooksCmd::List { page } => ctx.list(&client, &views::WEBHOOKS, &[&org], &[], page)?,
        WebhooksCmd::Create {
            url,
            events,
            description,
        } => {
            let body = bodies::CreateWebhook {
                url,
                event_types: (!events.is_empty()).then_some(events),
                description,
            };
            let w = client.send(api::CREATE_WEBHOOK, &[&org], Some(&to_json(&body)))?;
            shown_once(ctx, &w, "created webhook endpoint");
        }
        WebhooksCmd::Update {
            webhook,
            url,
            events,
            all_events,
            description,
            no_description,
            enable,
            disable,
        } => {
            let body = bodies::UpdateWebhook {
                url,
                event_types: match (all_events, events.is_empty()) {
                    (true, _) => Some(None),
                    (false, false) => Some(Some(events)),
                    (false, true) => None,
                },
                description: match (no_description, description) {
                    (true, _) => Some(None),
                    (false, Some(d)) => Some(Some(d)),
                    (false, None) => None,
                },
                enabled: match (enable, disable) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            let w = client.send(
                api::UPDATE_WEBHOOK,
                &[&org, &webhook],
                Some(&to_json(&body)),
            )?;
            done(
                ctx,
                &w,
                &format!(
                    "updated webhook endpoint {} ({}), enabled: {}",
                    output::field(&w, "url"),
                    output::field(&w, "id"),
                    output::field(&w, "enabled"),
                ),
            );
        }
        WebhooksCmd::Delete { webhook } => {
            ctx.confirm(&format!("delete the webhook endpoint {webhook}"))?;
            client.send(api::DELETE_WEBHOOK, &[&org, &webhook], None)?;
            done(
                ctx,
                &json!({ "deleted": webhook }),
                "deleted; nothing more is sent to it",
            );
        }
        WebhooksCmd::RotateSecret {
            webhook,
            grace_minutes,
        } => {
            let body = bodies::RotateWebhookSecret { grace_minutes };
            let w = client.send(
                api::ROTATE_WEBHOOK_SECRET,
                &[&org, &webhook],
                Some(&to_json(&body)),
            )?;
            shown_once(ctx, &w, "rotated the secret of webhook endpoint");
        }
        WebhooksCmd::Test { webhook } => {
            let q = client.send(api::TEST_WEBHOOK, &[&org, &webhook], None)?;
            done(
                ctx,
                &q,
                &format!(
                    "sent a WebhookTest message ({}); its outcome: orgs webhooks deliveries {webhook}",
                    output::field(&q, "messageId"),
                ),
            );
        }
        WebhooksCmd::Deliveries { webhook, page } => ctx.list(
            &client,
            &views::WEBHOOK_DELIVERIES,
            &[&org, &webhook],
            &[],
            page,
        )?,
        WebhooksCmd::Resend { webhook, message } => {
            let q = client.send(
                api::RESEND_WEBHOOK_MESSAGE,
                &[&org, &webhook, &message],
                None,
            )?;
            done(
                ctx,
                &q,
                &format!(
                    "queued attempt {} of {}; its outcome: orgs webhooks deliveries {webhook}",
                    output::field(&q, "attempt"),
                    output::field(&q, "messageId"),
                ),
            );
        }
    }
    Ok(())
}
