//! Invitation emails through SES: a plain-text and an HTML part, user-supplied text escaped.

use crate::error::ApiError;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

/// What an invitation email says.
pub struct InvitationEmail<'a> {
    pub to: &'a str,
    pub org_name: &'a str,
    pub inviter: &'a str,
    pub role: &'a str,
    pub message: Option<&'a str>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub link: &'a str,
    pub project_count: usize,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl InvitationEmail<'_> {
    pub fn subject(&self) -> String {
        format!("{} invited you to join {}", self.inviter, self.org_name)
    }

    fn access_line(&self) -> String {
        if self.project_count > 0 {
            format!("as {} on {} project(s)", self.role, self.project_count)
        } else {
            format!("as {}", self.role)
        }
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{} invited you to join the organization \"{}\" {}.\n\n",
            self.inviter,
            self.org_name,
            self.access_line()
        );
        if let Some(m) = self.message {
            out.push_str(&format!(
                "Their message:\n\n{}\n\n",
                m.lines()
                    .map(|l| format!("> {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        out.push_str(&format!(
            "Accept the invitation:\n{}\n\nThe invitation expires on {} (UTC).\nIf you did not expect it, ignore this email.\n",
            self.link,
            self.expires_at.format("%Y-%m-%d %H:%M")
        ));
        out
    }

    pub fn html(&self) -> String {
        let message = self
            .message
            .map(|m| format!("<blockquote style=\"border-left:3px solid #ccc;margin:0;padding-left:12px\">{}</blockquote>", escape_html(m).replace('\n', "<br>")))
            .unwrap_or_default();
        format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\">\
             <p><strong>{inviter}</strong> invited you to join the organization <strong>{org}</strong> {access}.</p>\
             {message}\
             <p><a href=\"{link}\">Accept the invitation</a></p>\
             <p style=\"color:#666\">The invitation expires on {expires} (UTC). If you did not expect it, ignore this email.</p>\
             </body></html>",
            inviter = escape_html(self.inviter),
            org = escape_html(self.org_name),
            access = escape_html(&self.access_line()),
            link = escape_html(self.link),
            expires = self.expires_at.format("%Y-%m-%d %H:%M"),
        )
    }

    /// Sends the email. The error says nothing of the recipient or the link (it may reach a log).
    pub async fn send(
        &self,
        ses: &aws_sdk_ses::Client,
        config: &crate::config::Config,
    ) -> Result<(), ApiError> {
        Mail {
            to: self.to.to_string(),
            subject: self.subject(),
            text: self.text(),
            html: self.html(),
        }
        .send(ses, config)
        .await
    }
}

/// An email with a plain-text and an HTML part.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// Sends it through SES. The error says nothing of the recipient or the content (it may
    /// reach a log).
    pub async fn send(
        &self,
        ses: &aws_sdk_ses::Client,
        config: &crate::config::Config,
    ) -> Result<(), ApiError> {
        let content = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(ApiError::internal)
        };
        let message = Message::builder()
            .subject(content(&self.subject)?)
            .body(
                Body::builder()
                    .text(content(&self.text)?)
                    .html(content(&self.html)?)
                    .build(),
            )
            .build();
        // The configuration set (when the template made one) is what SES keeps the bounce and
        // complaint rates of, which the template's alarms read.
        ses.send_email()
            .source(&config.ses_from_address)
            .set_configuration_set_name(config.ses_configuration_set.clone())
            .destination(Destination::builder().to_addresses(&self.to).build())
            .message(message)
            .send()
            .await
            .map(|_| crate::metrics::count("EmailsSent"))
            .map_err(|e| {
                crate::metrics::count("EmailsFailed");
                crate::aws::failure("SES SendEmail", &e)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_html() {
        let email = InvitationEmail {
            to: "a@b.co",
            org_name: "<script>alert(1)</script>",
            inviter: "Eve & \"friends\"",
            role: "developer",
            message: Some("hi <b>there</b>\nline two"),
            expires_at: chrono::Utc::now(),
            link: "http://x/invitations/abc",
            project_count: 0,
        };
        let html = email.html();
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(html.contains("Eve &amp; &quot;friends&quot;"));
        assert!(html.contains("hi &lt;b&gt;there&lt;/b&gt;<br>line two"));
        let text = email.text();
        assert!(
            text.contains("> hi <b>there</b>\n> line two"),
            "text part is plain"
        );
        assert!(text.contains("http://x/invitations/abc"));
    }
}
