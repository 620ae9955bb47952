//! The audit log: filters, pages and time ranges, against DynamoDB Local.

use crate::authorization::Fixture;
use crate::members::org_with_members;
use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(_f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-audit-log" => (None, 200),
        _ => return None,
    })
}

pub(crate) async fn audit(t: &TestApp, org: &str, who: &User, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if query.is_empty() { "" } else { "&" };
        let path = match &cursor {
            Some(c) => format!("/orgs/{org}/audit-log?{query}{sep}cursor={c}"),
            None => format!("/orgs/{org}/audit-log?{query}"),
        };
        let a = t.as_user(who).get(&path).await;
        assert_eq!(a.status, 200, "{}", a.body);
        out.extend(a.body["items"].as_array().unwrap().iter().cloned());
        match a.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn audit_log_filters_pages_and_time_range() {
    let t = TestApp::new().await;
    let o = org_with_members(&t).await;
    let member = |u: &User| format!("/orgs/{}/members/{}", o.id, u.id);
    t.as_user(&o.admin)
        .patch(&format!("/orgs/{}", o.id), json!({ "name": "Renamed Inc" }))
        .await;
    let mid = chrono::Utc::now();
    t.as_user(&o.admin)
        .patch(&member(&o.developer), json!({ "role": "admin" }))
        .await;
    t.as_user(&o.owner)
        .patch(&member(&o.viewer), json!({ "role": "developer" }))
        .await;
    t.as_user(&o.viewer).delete(&member(&o.viewer)).await;

    let all = audit(&t, &o.id, &o.owner, "limit=2").await;
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "member.left",
            "member.role_changed",
            "member.role_changed",
            "org.updated",
            // The fixture's plan change (made through the API, so it is audited too).
            "subscription.changed",
            "org.created"
        ]
    );
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(
        all[1]["summary"],
        format!("role of {}: viewer -> developer", o.viewer.id)
    );
    assert_eq!(
        all[3]["details"]["name"],
        json!({ "before": "Members Inc", "after": "Renamed Inc" })
    );
    println!(
        "sample page:\n{}",
        serde_json::to_string_pretty(&json!({ "items": &all[..3] })).unwrap()
    );

    let by_admin = audit(&t, &o.id, &o.owner, &format!("actorId={}", o.admin.id)).await;
    assert_eq!(by_admin.len(), 2);
    let changes = audit(&t, &o.id, &o.owner, "action=member.role_changed").await;
    assert_eq!(changes.len(), 2);
    let since = audit(
        &t,
        &o.id,
        &o.owner,
        &format!(
            "from={}",
            mid.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .replace('+', "%2B")
        ),
    )
    .await;
    assert_eq!(since.len(), 3, "{since:?}");
    let until = audit(
        &t,
        &o.id,
        &o.owner,
        &format!(
            "to={}",
            mid.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        ),
    )
    .await;
    // org.created, the fixture's subscription.changed, org.updated.
    assert_eq!(until.len(), 3);

    // Only admins and the owner read the log.
    let a = t
        .as_user(&o.developer)
        .get(&format!("/orgs/{}/audit-log", o.id))
        .await;
    assert_eq!(a.status, 200, "the developer is an admin now");
    let viewer = t.user("late-viewer");
    t.add_member(&o.id, &viewer, Role::Viewer).await;
    let a = t
        .as_user(&viewer)
        .get(&format!("/orgs/{}/audit-log", o.id))
        .await;
    assert_eq!(a.status, 403);
    for bad in ["from=yesterday", "cursor=abc", "limit=1000"] {
        let a = t
            .as_user(&o.owner)
            .get(&format!("/orgs/{}/audit-log?{bad}", o.id))
            .await;
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
    }
}
