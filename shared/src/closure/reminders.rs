//! Closure reminders: the owner of a closed organization is emailed 7 days and 1 day before its
//! purge. The hourly purge job finds them on the due index (a Query of the next 7 days, never a
//! Scan) and sends each reminder once: the organization item records it (a conditional update)
//! before the email goes out, and the record is taken back if the email cannot be sent, so the
//! next run tries again.

use crate::domain::Timestamp;
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::notifications::mail::reminder_mail;
use crate::orgs::item::OrgItem;
use crate::orgs::settings::OrgStatus;
use crate::store::from_item;
use crate::App;
use chrono::Duration;
use std::time::Instant;

/// The reminder due at `now` for an organization purged at `purge_at`: `1d` within a day, `7d`
/// within a week (one that comes late sends only the nearer one).
pub fn due_reminder(now: Timestamp, purge_at: Timestamp) -> Option<(&'static str, u32)> {
    let left = purge_at - now;
    if left <= Duration::zero() {
        None
    } else if left <= Duration::days(1) {
        Some(("1d", 1))
    } else if left <= Duration::days(7) {
        Some(("7d", 7))
    } else {
        None
    }
}

/// Sends the reminders due at `now`; `(sent, failed, unfinished)`.
pub async fn send_due(app: &App, now: Timestamp, deadline: Instant) -> ApiResult<(u32, u32, bool)> {
    let (mut sent, mut failed) = (0, 0);
    let mut after = None;
    loop {
        let (items, next) = app
            .store
            .query_page(OrgItem::page_purged_within(
                now,
                Duration::days(7),
                100,
                after,
            ))
            .await?;
        for item in items {
            if Instant::now() >= deadline {
                return Ok((sent, failed, true));
            }
            let org: OrgItem = from_item(item)?;
            match remind(app, &org, now).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    failed += 1;
                    tracing::warn!(org_id = %org.org_id, code = %e.code, cause = e.cause.as_deref().unwrap_or(""), "closure reminder not sent; the next run retries");
                }
            }
        }
        match next {
            Some(k) => after = Some(k),
            None => return Ok((sent, failed, false)),
        }
    }
}

/// Sends the reminder due for one organization, once; `false` when none is due or it was sent.
async fn remind(app: &App, org: &OrgItem, now: Timestamp) -> ApiResult<bool> {
    let (Some(purge_at), OrgStatus::Grace) = (org.purge_at, org.status) else {
        return Ok(false);
    };
    let Some((which, days)) = due_reminder(now, purge_at) else {
        return Ok(false);
    };
    if org.reminders_sent.contains(which) {
        return Ok(false);
    }
    let owner = app
        .store
        .batch_get_as::<MemberItem>(vec![MemberItem::key_of(&org.org_id, &org.owner_id)])
        .await?;
    let Some(email) = owner.first().and_then(|m| m.email.clone()) else {
        tracing::warn!(org_id = %org.org_id, "the owner has no email address; no closure reminder");
        return Ok(false);
    };
    let ses = app
        .ses
        .as_ref()
        .ok_or_else(|| ApiError::internal("purge-closed-orgs has no SES client"))?;
    let recorded = app
        .store
        .commit(org.mark_reminder(
            app.store.tx(),
            which,
            ApiError::concurrent("reminder sent already, or the organization changed"),
        )?)
        .await;
    match recorded {
        Ok(()) => {}
        Err(e) if e.code == Code::ConcurrentUpdate => return Ok(false),
        Err(e) => return Err(e),
    }
    let mail = reminder_mail(&app.config.app_base_url, org, days, email.as_str());
    if let Err(e) = mail.send(ses, &app.config).await {
        if let Err(undo) = app
            .store
            .commit(org.unmark_reminder(app.store.tx(), which)?)
            .await
        {
            tracing::error!(org_id = %org.org_id, code = %undo.code, "a reminder's record could not be taken back; it will not be retried");
        }
        return Err(e);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearer_reminder_is_due() {
        let purge = Timestamp::parse("2026-12-31T00:00:00Z").unwrap();
        let at = |d: i64, h: i64| purge + (-Duration::days(d) - Duration::hours(h));
        assert_eq!(due_reminder(at(8, 0), purge), None);
        assert_eq!(due_reminder(at(7, 0), purge), Some(("7d", 7)));
        assert_eq!(due_reminder(at(2, 0), purge), Some(("7d", 7)));
        assert_eq!(due_reminder(at(1, 0), purge), Some(("1d", 1)));
        assert_eq!(due_reminder(at(0, 1), purge), Some(("1d", 1)));
        assert_eq!(due_reminder(purge, purge), None);
    }
}
