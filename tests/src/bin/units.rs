//! Benchmark: the DynamoDB capacity units one request consumes, for an empty organization and for
//! one with a full catalogue (20 custom roles holding nearly every permission, 50 API keys, 10
//! domains, allowed email domains, notification preferences, PENDING pending invitations), side by
//! side, and the per-organization ceiling that follows (a partition serves 3,000 read units and
//! 1,000 write units a second). DynamoDB Local computes the units from item sizes as DynamoDB does
//! when a request asks for them (`ReturnConsumedCapacity`; the tests' client asks on every
//! request once `measure_units` is called). Run with `scripts/bench.sh`; `PENDING=6000` for more
//! invitations. Then a team of TEAM (1,000) members is made through the API, deleted, and cleaned
//! up by `finish-removals` as the stream delivers its audit entry; nothing of it may be left.

use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::permissions::Role;

const PARTITION_READS: f64 = 3000.0;
const PARTITION_WRITES: f64 = 1000.0;

struct Org {
    id: String,
    owner: User,
    admin: User,
    developer: User,
    key: String,
    project: String,
}

async fn ok(t: &TestApp, user: &User, method: &str, path: &str, body: Option<Value>) -> Value {
    let a = t.call(method, path, Some(&user.token), body).await;
    assert!(a.status < 300, "{method} {path}: {} {}", a.status, a.body);
    a.body
}

async fn org(t: &TestApp, name: &str) -> Org {
    let f = t
        .org_fixture(name, "pro", &[Role::Admin, Role::Developer])
        .await;
    let id = f.id.clone();
    let key = ok(
        t,
        &f.owner,
        "POST",
        &format!("/orgs/{id}/api-keys"),
        Some(json!({ "name": "bench", "role": "developer" })),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let project = t.create_project(&id, &f.owner, "Bench").await;
    Org {
        admin: f.member(Role::Admin).clone(),
        developer: f.member(Role::Developer).clone(),
        id,
        owner: f.owner,
        key,
        project,
    }
}

/// What the issue calls a full catalogue, made through the API.
async fn fill(t: &TestApp, o: &Org, pending: usize) {
    let id = &o.id;
    let permissions: Vec<&str> = service::catalogue::current()
        .all()
        .filter(|p| !p.owner_only() && p.min_role() != Role::Owner)
        .map(|p| p.as_str())
        .collect();
    let mut roles = Vec::new();
    for i in 0..20 {
        // Nearly every permission: each role leaves out one, so no two are the same.
        let held: Vec<&str> = permissions
            .iter()
            .enumerate()
            .filter(|(j, p)| *j != i + 1 || **p == "org.read")
            .map(|(_, p)| *p)
            .collect();
        let r = ok(
            t,
            &o.owner,
            "POST",
            &format!("/orgs/{id}/roles"),
            Some(json!({ "name": format!("Custom role number {i:02}"), "description": "A role the benchmark made, holding nearly every permission.", "permissions": held, "projectRole": "admin" })),
        )
        .await;
        roles.push(r["id"].as_str().unwrap().to_string());
    }
    for i in 1..50 {
        ok(
            t,
            &o.owner,
            "POST",
            &format!("/orgs/{id}/api-keys"),
            Some(json!({ "name": format!("Key {i:02} of the deployment pipeline"), "role": roles[i % roles.len()] })),
        )
        .await;
    }
    for i in 0..10 {
        ok(
            t,
            &o.owner,
            "POST",
            &format!("/orgs/{id}/domains"),
            Some(
                json!({ "domain": format!("division-{i}.bench-{}.example", &id[id.len() - 8..]) }),
            ),
        )
        .await;
    }
    ok(
        t,
        &o.owner,
        "PUT",
        &format!("/orgs/{id}/settings/authentication"),
        Some(json!({ "requireMfa": false, "allowedEmailDomains": ["example.com", "example.org", "example.net", "corp.example", "eu.corp.example"] })),
    )
    .await;
    ok(
        t,
        &o.owner,
        "PUT",
        &format!("/orgs/{id}/settings/notifications"),
        Some(json!({ "memberJoined": true, "memberLeft": true, "roleChangedToAdmin": true, "ownershipTransferred": true, "integrationChanged": false, "organizationClosed": true })),
    )
    .await;
    for i in 0..pending {
        let role = if i % 2 == 0 {
            roles[i % roles.len()].as_str()
        } else {
            "viewer"
        };
        ok(
            t,
            &o.admin,
            "POST",
            &format!("/orgs/{id}/invitations"),
            Some(json!({ "email": format!("pending-{i}@example.com"), "role": role, "expiresInDays": 30 })),
        )
        .await;
    }
}

/// (read units, write units, requests) of one call, which must succeed.
async fn measure(
    t: &TestApp,
    user: Option<&User>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (f64, f64, usize) {
    t.requests.reset();
    let a = t
        .call(method, path, user.map(|u| u.token.as_str()), body)
        .await;
    assert!(a.status < 300, "{method} {path}: {} {}", a.status, a.body);
    let (r, w) = t.requests.units();
    (r, w, t.requests.count())
}

async fn rows(t: &TestApp, o: &Org) -> Vec<(&'static str, (f64, f64, usize))> {
    let id = &o.id;
    let mut out = Vec::new();
    out.push((
        "GET /orgs/{orgId}",
        measure(t, Some(&o.developer), "GET", &format!("/orgs/{id}"), None).await,
    ));
    out.push((
        "POST /orgs/{orgId}/authorize",
        measure(
            t,
            Some(&o.developer),
            "POST",
            &format!("/orgs/{id}/authorize"),
            Some(json!({ "permissions": ["projects.read", "databases.create"] })),
        )
        .await,
    ));
    out.push((
        "POST /orgs/{orgId}/authorize (a project)",
        measure(
            t,
            Some(&o.developer),
            "POST",
            &format!("/orgs/{id}/authorize"),
            Some(json!({ "permissions": ["projects.read"], "projectId": o.project })),
        )
        .await,
    ));
    out.push((
        "POST /api-keys/verify",
        measure(
            t,
            None,
            "POST",
            "/api-keys/verify",
            Some(json!({ "key": o.key, "permissions": ["projects.read"] })),
        )
        .await,
    ));
    let joiner = t.user("joiner");
    let invited = joiner.email.clone();
    // The invitation accepted below; the one measured goes to another address.
    let inv = ok(
        t,
        &o.admin,
        "POST",
        &format!("/orgs/{id}/invitations"),
        Some(json!({ "email": invited, "role": "viewer" })),
    )
    .await;
    out.push((
        "POST /orgs/{orgId}/invitations",
        measure(
            t,
            Some(&o.admin),
            "POST",
            &format!("/orgs/{id}/invitations"),
            Some(json!({ "email": format!("second-{invited}"), "role": "viewer" })),
        )
        .await,
    ));
    let invitation = inv["id"].as_str().unwrap().to_string();
    let code = t.invitation_code(id, &invitation).await;
    out.push((
        "POST /invitations/{code}/accept",
        measure(
            t,
            Some(&joiner),
            "POST",
            &format!("/invitations/{code}/accept"),
            None,
        )
        .await,
    ));
    out.push((
        "PATCH /orgs/{orgId}/members/{userId} (role)",
        measure(
            t,
            Some(&o.owner),
            "PATCH",
            &format!("/orgs/{id}/members/{}", joiner.id),
            Some(json!({ "role": "developer" })),
        )
        .await,
    ));
    let team = t
        .create_team(id, &o.owner, &format!("Team {}", out.len()))
        .await;
    t.add_to_team(id, &team, &[&o.developer, &joiner]).await;
    out.push((
        "DELETE /orgs/{orgId}/teams/{teamId} (2 members)",
        measure(
            t,
            Some(&o.owner),
            "DELETE",
            &format!("/orgs/{id}/teams/{team}"),
            None,
        )
        .await,
    ));
    out
}

#[tokio::main]
async fn main() {
    let pending: usize = std::env::var("PENDING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let t = TestApp::with_config(|c| {
        c.org_create_limit = 10;
        c.email_limits.per_org_paid = 1_000_000;
    })
    .await;
    t.requests.measure_units();
    let empty = org(&t, "Empty").await;
    let full = org(&t, "Full").await;
    let started = std::time::Instant::now();
    fill(&t, &full, pending).await;
    eprintln!(
        "full catalogue with {pending} pending invitations made in {:.0?}",
        started.elapsed()
    );
    let a = rows(&t, &empty).await;
    let b = rows(&t, &full).await;
    println!("\nDynamoDB capacity units per request (DynamoDB Local's ConsumedCapacity), an empty organization");
    println!("beside one with 20 custom roles, 50 API keys, 10 domains, allowed email domains, notification");
    println!("preferences and {pending} pending invitations; ceiling = requests a second one organization's");
    println!(
        "partition serves (3,000 read units, 1,000 write units) at the full catalogue's cost.\n"
    );
    println!(
        "| request | empty: read | write | requests | full: read | write | requests | ceiling /s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for ((name, (r0, w0, n0)), (_, (r1, w1, n1))) in a.iter().zip(&b) {
        let ceiling = [
            (*r1 > 0.0).then(|| PARTITION_READS / r1),
            (*w1 > 0.0).then(|| PARTITION_WRITES / w1),
        ]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
        println!("| {name} | {r0} | {w0} | {n0} | {r1} | {w1} | {n1} | {ceiling:.0} |");
    }
    let team: usize = std::env::var("TEAM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    large_team(&t, &full, team).await;
    let item = service::store::to_item(&t.org_item(&full.id).await).unwrap();
    println!(
        "\nthe full organization's item: {} KB as DynamoDB sizes it (attribute names and values); its largest attributes:",
        item_kb(&item)
    );
    let mut parts: Vec<(String, f64)> = item
        .iter()
        .map(|(k, v)| {
            let one = std::collections::HashMap::from([(k.clone(), v.clone())]);
            (k.clone(), item_kb(&one).parse().unwrap())
        })
        .collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (k, kb) in parts.iter().take(6) {
        println!("  {k:<24} {kb:>7.1} KB");
    }
}

/// An item's size as DynamoDB counts it: attribute names plus values (strings and binary by
/// length, numbers about their digits, maps and lists their members plus 3 bytes, sets their members).
fn item_kb(item: &service::store::Item) -> String {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn size(v: &A) -> usize {
        match v {
            A::S(s) => s.len(),
            A::N(n) => n.len().div_ceil(2) + 1,
            A::B(b) => b.as_ref().len(),
            A::Bool(_) | A::Null(_) => 1,
            A::Ss(s) => s.iter().map(String::len).sum(),
            A::Ns(s) => s.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
            A::L(l) => 3 + l.iter().map(|v| 1 + size(v)).sum::<usize>(),
            A::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + size(v)).sum::<usize>(),
            _ => 0,
        }
    }
    let bytes: usize = item.iter().map(|(k, v)| k.len() + size(v)).sum();
    format!("{:.1}", bytes as f64 / 1024.0)
}

/// A team of `n` members: its people join the organization (the membership's own item
/// operations, 40 to a transaction), are put on the team through the API (8 requests at a time),
/// the team is deleted through the API and its memberships removed by the stream's clean-up.
async fn large_team(t: &TestApp, o: &Org, n: usize) {
    use service::domain::{OrgId, TeamId, UserId};
    use service::members::item::MemberItem;
    let people: Vec<User> = (0..n).map(|i| t.user(&format!("team{i}"))).collect();
    for chunk in people.chunks(40) {
        let members: Vec<(&User, Role)> = chunk.iter().map(|u| (u, Role::Viewer)).collect();
        t.add_members(&o.id, &members).await;
    }
    let team = t.create_team(&o.id, &o.owner, "Everyone").await;
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for u in &people {
        if tasks.len() >= 8 {
            tasks.join_next().await.unwrap().unwrap();
        }
        let (t, owner) = (t.clone(), o.owner.clone());
        let path = format!("/orgs/{}/teams/{team}/members/{}", o.id, u.id);
        tasks.spawn(async move {
            let a = t.as_user(&owner).put_empty(&path).await;
            assert_eq!(a.status, 200, "{path}: {}", a.body);
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let added = started.elapsed();
    let view = ok(
        t,
        &o.owner,
        "GET",
        &format!("/orgs/{}/teams/{team}", o.id),
        None,
    )
    .await;
    assert_eq!(view["memberCount"], n, "{view}");
    let (r, w, requests) = measure(
        t,
        Some(&o.owner),
        "DELETE",
        &format!("/orgs/{}/teams/{team}", o.id),
        None,
    )
    .await;
    let started = std::time::Instant::now();
    let batch = integration_tests::latest_stream_event(t, &o.id, 1).await;
    let (response, report) = service::teams::cleanup::on_stream(&t.app, batch).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    let cleaned = started.elapsed();
    // Nothing of it left: no membership item, no member naming the team.
    let (org, team_id) = (OrgId::parse(&o.id).unwrap(), TeamId::parse(&team).unwrap());
    let q = service::teams::item::TeamMemberItem::page_of_team(&org, &team_id, 1000, None);
    let left = t.app.store.query_page(q).await.unwrap().0.len();
    let mut naming = 0;
    for chunk in people.chunks(100) {
        let keys = chunk
            .iter()
            .map(|u| MemberItem::key_of(&org, &UserId::parse("userId", &u.id).unwrap()))
            .collect();
        let members: Vec<MemberItem> = t.app.store.batch_get_as(keys).await.unwrap();
        naming += members
            .iter()
            .filter(|m| m.teams.contains(&team_id))
            .count();
    }
    println!(
        "\na team of {n} members (in the full organization): put on it through the API in {added:.1?} (8 at a time); \
         DELETE /orgs/{{orgId}}/teams/{{teamId}}: {r} read, {w} write units, {requests} requests; \
         finish-removals removed {} places and updated {} members in {cleaned:.1?}; left: {left} membership items, {naming} members naming the team",
        report.places_removed, report.records_updated
    );
    assert_eq!((left, naming), (0, 0), "nothing of the team is left");
}
