//! The audit log: newest first, month partition by month partition (see docs/data-model.md).

use super::item::previous_month;
use super::item::{month_of, AuditItem};
use super::views::AuditView;
use crate::access::Ctx;
use crate::domain::{Timestamp, UserId};
use crate::error::{ApiError, ApiResult};
use crate::pipeline::{Input, Reply};
use crate::store::{from_item, Key};
use crate::App;
use base64::Engine;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Where the next page starts: a month partition and, within it, the last sort key returned.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct AuditCursor {
    m: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
}

/// An `?action=` filter: characters at most.
pub const MAX_ACTION_LEN: usize = 64;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn parse_time(field: &str, raw: Option<&str>) -> ApiResult<Option<Timestamp>> {
    raw.map(|v| {
        Timestamp::parse(v).ok_or_else(|| {
            ApiError::validation(
                field,
                format!("`{field}` must be an RFC 3339 time such as 2026-11-01T00:00:00Z."),
            )
        })
    })
    .transpose()
}

fn first_of_month(t: &Timestamp) -> NaiveDate {
    let t = t.as_datetime();
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1).expect("valid date")
}

/// `GET /orgs/{orgId}/audit-log?action=&actorId=&from=&to=&limit=&cursor=`: one Query per page.
/// A page may hold fewer than `limit` entries (filters, or the end of a month); follow `nextCursor`
/// until it is null.
pub async fn list_audit_log(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let limit = input.limit()?;
    let from = parse_time("from", input.query("from"))?;
    let to = parse_time("to", input.query("to"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::validation(
                "from",
                "`from` must not be after `to`.",
            ));
        }
    }
    let action = input.query("action");
    if action.is_some_and(|a| a.len() > MAX_ACTION_LEN) {
        return Err(ApiError::validation(
            "action",
            format!(
                "`action` must be at most {MAX_ACTION_LEN} characters, e.g. member.role_changed."
            ),
        ));
    }
    let actor = input
        .query("actorId")
        .map(|a| UserId::parse("actorId", a))
        .transpose()?;

    let now = Timestamp::now();
    let newest = to.map_or(now, |t| t.min(now));
    // The oldest month to read: the later of `from` and the organization's creation.
    let oldest = from.map_or(ctx.org.created_at, |f| f.max(ctx.org.created_at));
    let oldest_month = first_of_month(&oldest).format("%Y-%m").to_string();
    let cursor = match input.cursor() {
        None => AuditCursor {
            m: month_of(&newest),
            k: None,
        },
        Some(raw) => {
            let c: AuditCursor = B64
                .decode(raw)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(ApiError::invalid_cursor)?;
            if previous_month(&c.m).is_none() || c.m < oldest_month || c.m > month_of(&newest) {
                return Err(ApiError::invalid_cursor());
            }
            c
        }
    };
    if cursor.m < oldest_month {
        return Ok(Reply::list(Vec::<AuditView>::new(), None));
    }

    let q = AuditItem::page_of_month(
        ctx.org_id(),
        &cursor.m,
        (from, to),
        (action, actor.as_ref()),
        limit,
        cursor.k.clone(),
    );
    let (items, lek) = app.store.query_page(q).await?;
    let entries: Vec<AuditItem> = items.into_iter().map(from_item).collect::<ApiResult<_>>()?;

    let next = match lek.as_ref().and_then(Key::of_item).map(|k| k.sk) {
        Some(sk) => Some(AuditCursor {
            m: cursor.m.clone(),
            k: Some(sk),
        }),
        None => previous_month(&cursor.m)
            .filter(|p| *p >= oldest_month)
            .map(|m| AuditCursor { m, k: None }),
    };
    let next = next.map(|c| B64.encode(serde_json::to_vec(&c).unwrap_or_default()));
    Ok(Reply::list(
        entries.iter().map(AuditView::new).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_back_across_years() {
        assert_eq!(previous_month("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_month("2026-11").as_deref(), Some("2026-10"));
        assert_eq!(previous_month("garbage"), None);
    }
}
