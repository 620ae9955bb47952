//! What the notification emails say: a plain-text and an HTML part, every value from the
//! organization or the audit entry escaped, and a link to the notification settings.

use super::item::Held;
use crate::audit::AuditItem;
use crate::domain::Timestamp;
use crate::email::{escape_html, Mail};
use crate::orgs::item::OrgItem;
use crate::settings::notifications::Preference;

fn subject_of(p: Preference, org: &str) -> String {
    match p {
        Preference::MemberJoined => format!("[{org}] A new member joined"),
        Preference::MemberLeft => format!("[{org}] A member left or was removed"),
        Preference::RoleChangedToAdmin => format!("[{org}] A member is now an admin"),
        Preference::OwnershipTransferred => format!("[{org}] Ownership was transferred"),
        Preference::IntegrationChanged => format!("[{org}] An integration was added or removed"),
        Preference::OrganizationClosed => format!("[{org}] The organization was closed"),
        Preference::DomainUnverified => format!("[{org}] A verified domain is no longer verified"),
        Preference::WebhookEndpointDisabled => {
            format!("[{org}] A webhook endpoint was disabled after failing for 5 days")
        }
    }
}

fn settings_link(base: &str, org: &OrgItem) -> String {
    format!("{base}/orgs/{}/settings/notifications", org.org_id)
}

fn reactivate_link(base: &str, org: &OrgItem) -> String {
    format!("{base}/orgs/{}/reactivate", org.org_id)
}

fn day(t: &Timestamp) -> String {
    t.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An event's notification to one recipient, with the events held back from them by the hourly
/// limit since their last email.
pub fn event_mail(
    base: &str,
    org: &OrgItem,
    entry: &AuditItem,
    preference: Preference,
    to: &str,
    held: &[Held],
) -> Mail {
    let subject = subject_of(preference, &org.name);
    let mut lines = vec![
        format!("In the organization \"{}\":", org.name),
        entry.summary.clone(),
        format!(
            "By {}{} at {}.",
            match entry.actor_kind {
                crate::audit::ActorKind::ApiKey => "the API key ",
                _ => "",
            },
            entry.actor_id.as_str(),
            day(&entry.at)
        ),
    ];
    let mut links = Vec::new();
    if preference == Preference::OrganizationClosed {
        if let Some(purge_at) = org.purge_at {
            lines.push(format!(
                "The organization is read-only until {}, then it and all its data are deleted for good. Its owner can reactivate it before then.",
                day(&purge_at)
            ));
            links.push(("Reactivate the organization", reactivate_link(base, org)));
        }
    }
    if !held.is_empty() {
        lines.push(format!(
            "Also since your last email ({} more, held back by the limit of notification emails per hour):",
            held.len()
        ));
        lines.extend(
            held.iter()
                .map(|h| format!("- {} ({})", h.summary, day(&h.at))),
        );
    }
    links.push(("Choose which events email you", settings_link(base, org)));
    compose(to, subject, &lines, &links)
}

/// The reminder that a closed organization is purged soon (`days_left`: 7 or 1).
pub fn reminder_mail(base: &str, org: &OrgItem, days_left: u32, to: &str) -> Mail {
    let purge_at = org.purge_at.map(|t| day(&t)).unwrap_or_default();
    let when = if days_left == 1 {
        "tomorrow".to_string()
    } else {
        format!("in {days_left} days")
    };
    let subject = format!("[{}] The organization will be deleted {when}", org.name);
    let lines = vec![
        format!(
            "The closed organization \"{}\" and all its data (projects, members, teams, integrations and their credentials) will be deleted for good at {purge_at}.",
            org.name
        ),
        "If you want to keep it, reactivate it before then; everything comes back as it was.".to_string(),
    ];
    let links = vec![("Reactivate the organization", reactivate_link(base, org))];
    compose(to, subject, &lines, &links)
}

fn compose(to: &str, subject: String, lines: &[String], links: &[(&str, String)]) -> Mail {
    let mut text = lines.join("\n\n");
    for (label, url) in links {
        text.push_str(&format!("\n\n{label}:\n{url}"));
    }
    text.push('\n');
    let mut html = String::from("<!doctype html><html><body style=\"font-family:sans-serif\">");
    for l in lines {
        html.push_str(&format!("<p>{}</p>", escape_html(l)));
    }
    for (label, url) in links {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(url),
            escape_html(label)
        ));
    }
    html.push_str("</body></html>");
    Mail {
        to: to.to_string(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_links_present() {
        let m = compose(
            "a@b.co",
            "s".into(),
            &["<b>x</b> & y".into()],
            &[("Settings", "http://x/orgs/o?a=1&b=2".into())],
        );
        assert!(m.html.contains("&lt;b&gt;x&lt;/b&gt; &amp; y"));
        assert!(m.html.contains("href=\"http://x/orgs/o?a=1&amp;b=2\""));
        assert!(
            m.text.contains("<b>x</b> & y")
                && m.text.contains("Settings:\nhttp://x/orgs/o?a=1&b=2")
        );
    }
}
