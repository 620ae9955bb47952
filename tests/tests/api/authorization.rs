//! Walks every route of the route table with every principal and checks the status each must get.
//! A route's sample request lives in its concept's test file (`walk_sample`); a route without one
//! fails the walk, so every new route is covered at once.

use integration_tests::{TestApp, User};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::{ProjectRole, Role};
use service::routes::{Access, Effect, Need, Place, RouteDef, ROUTES};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Principal {
    Member(Role),
    /// A guest with a direct `developer` grant on the fixture's project.
    GuestGranted,
    /// A viewer on the team that is `admin` of the fixture's project.
    ViewerTeamAdmin,
    /// The developer who created the fixture's project (its admin by a direct grant).
    DeveloperCreator,
    NonMember,
    OtherOrgMember,
    NoToken,
}

impl Principal {
    /// The organization role and the project role (on the fixture's project) of a member.
    fn roles(self) -> Option<(Role, Option<ProjectRole>)> {
        match self {
            Principal::Member(r) => Some((r, r.project_role())),
            Principal::GuestGranted => Some((Role::Guest, Some(ProjectRole::Developer))),
            Principal::ViewerTeamAdmin => Some((Role::Viewer, Some(ProjectRole::Admin))),
            Principal::DeveloperCreator => Some((Role::Developer, Some(ProjectRole::Admin))),
            _ => None,
        }
    }
}

const PRINCIPALS: [Principal; 12] = [
    Principal::Member(Role::Owner),
    Principal::Member(Role::Admin),
    Principal::Member(Role::Editor),
    Principal::Member(Role::Developer),
    Principal::Member(Role::Viewer),
    Principal::Member(Role::Guest),
    Principal::GuestGranted,
    Principal::ViewerTeamAdmin,
    Principal::DeveloperCreator,
    Principal::NonMember,
    Principal::OtherOrgMember,
    Principal::NoToken,
];

/// One organization with a member of every role, a target member, and a second organization.
pub(crate) struct Fixture {
    pub(crate) org: String,
    pub(crate) members: Vec<(Role, User)>,
    /// A viewer that member routes act on.
    pub(crate) target: User,
    pub(crate) outsider: User,
    other_org_owner: User,
    invitation_id: String,
    code: String,
    guest_granted: User,
    viewer_team_admin: User,
    developer_creator: User,
    /// The team `viewer_team_admin` and `target` are on; it is admin of `project`.
    team: String,
    project: String,
    /// A storage provider with a secret.
    pub(crate) integration: String,
    /// An API key (`developer`) created by the owner, and its secret, on the API key routes.
    pub(crate) api_key_id: String,
    pub(crate) api_key: String,
    /// A SCIM token created by the owner, on the API key and SCIM token routes, and its secret.
    pub(crate) scim_token_id: String,
    pub(crate) scim_token: String,
    /// A custom role nothing holds, created by the owner through the API.
    pub(crate) role_id: String,
    /// On the domain routes: a verified domain with `automatic_suggestion` (viewer), a pending
    /// request to join through it, and a second domain, pending, whose record is published.
    pub(crate) domain: String,
    pub(crate) pending_domain: String,
    pub(crate) request_id: String,
    /// On the webhook routes: an endpoint (a local receiver) created by the owner, and a test
    /// message to it that was delivered.
    pub(crate) webhook_id: String,
    pub(crate) message_id: String,
}

/// Whether a route acts on teams or projects (its fixture then has them; elsewhere the
/// project-scoped principals are plain members of their organization role).
fn needs_projects(route: &RouteDef) -> bool {
    route.path.contains("/teams") || route.path.contains("/projects")
}

/// Whether a route acts on API keys (its fixture then has one).
fn needs_api_key(route: &RouteDef) -> bool {
    route.path.contains("/api-keys") || route.path.contains("/scim")
}

/// Whether a route acts on verified domains or membership requests (its fixture then has them).
fn needs_domains(route: &RouteDef) -> bool {
    route.path.contains("/domains") || route.path.contains("/membership-requests")
}

/// Whether a route acts on integrations (its fixture then has a storage provider with a secret).
fn needs_integration(route: &RouteDef) -> bool {
    route.path.contains("/integrations") || route.path.contains("/settings")
}

pub(crate) async fn fixture(t: &TestApp, route: &RouteDef) -> Fixture {
    fixture_with(
        t,
        needs_projects(route),
        needs_integration(route),
        needs_api_key(route),
        needs_domains(route),
        route.path.contains("/webhooks"),
    )
    .await
}

async fn fixture_with(
    t: &TestApp,
    with_projects: bool,
    with_integration: bool,
    with_api_key: bool,
    with_domains: bool,
    with_webhook: bool,
) -> Fixture {
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Walked").await;
    let mut members = vec![(Role::Owner, owner)];
    for role in [
        Role::Admin,
        Role::Editor,
        Role::Developer,
        Role::Viewer,
        Role::Guest,
    ] {
        members.push((role, t.user(role.as_str())));
    }
    let target = t.user("target");
    let guest_granted = t.user("guest-granted");
    let viewer_team_admin = t.user("viewer-team-admin");
    let developer_creator = t.user("developer-creator");
    let mut added: Vec<(&User, Role)> = members[1..].iter().map(|(r, u)| (u, *r)).collect();
    added.push((&target, Role::Viewer));
    added.push((&guest_granted, Role::Guest));
    added.push((&viewer_team_admin, Role::Viewer));
    added.push((&developer_creator, Role::Developer));
    t.set_plan(&org, "pro").await;
    t.add_members(&org, &added).await;
    let (invitation_id, code) = t
        .insert_invitation(
            &org,
            &members[0].1,
            "walk-invitee@example.com",
            Role::Viewer,
            5,
        )
        .await;
    let other_org_owner = t.user("elsewhere");
    t.create_org(&other_org_owner, "Elsewhere").await;
    // Project access as production makes it: a project created by a developer, a team that is
    // its admin, a guest granted on it.
    let (mut team, mut project, mut integration) = (String::new(), String::new(), String::new());
    if with_integration {
        integration = t
            .create_integration(
                &org,
                &members[0].1,
                json!({ "kind": "storage_provider", "provider": "s3", "name": "Backups",
                        "config": { "bucket": "walked", "region": "eu-west-1" }, "secret": "walk-secret" }),
            )
            .await;
    }
    if with_projects {
        let owner = &members[0].1;
        project = t
            .create_project(&org, &developer_creator, "Walked project")
            .await;
        team = t.create_team(&org, owner, "Walkers").await;
        t.add_to_team(&org, &team, &[&viewer_team_admin, &target])
            .await;
        t.grant(&org, owner, &project, &format!("team:{team}"), "admin")
            .await;
        let guest = format!("user:{}", guest_granted.id);
        t.grant(&org, owner, &project, &guest, "developer").await;
    }
    // An API key as production makes one: created by the owner through the API.
    let (mut api_key_id, mut api_key) = (String::new(), String::new());
    if with_api_key {
        let created = t
            .as_user(&members[0].1)
            .post(
                &format!("/orgs/{org}/api-keys"),
                json!({ "name": "Walk deployer", "role": "developer" }),
            )
            .await;
        let body = created.assert_status(201);
        api_key_id = body["id"].as_str().unwrap().to_string();
        api_key = body["key"].as_str().unwrap().to_string();
    }
    let (mut scim_token_id, mut scim_token) = (String::new(), String::new());
    if with_api_key {
        let created = t
            .as_user(&members[0].1)
            .post(
                &format!("/orgs/{org}/scim-tokens"),
                json!({ "name": "Walk directory" }),
            )
            .await;
        let body = created.assert_status(201);
        scim_token_id = body["id"].as_str().unwrap().to_string();
        scim_token = body["token"].as_str().unwrap().to_string();
    }
    let role = t
        .as_user(&members[0].1)
        .post(
            &format!("/orgs/{org}/roles"),
            json!({ "name": "Walk auditor", "permissions": ["audit.read", "members.read"], "projectRole": "viewer" }),
        )
        .await;
    let role_id = role.assert_status(201)["id"].as_str().unwrap().to_string();
    let (mut domain, mut pending_domain, mut request_id) =
        (String::new(), String::new(), String::new());
    if with_domains {
        (domain, pending_domain, request_id) =
            crate::domains::walk_domains(t, &org, &members[0].1).await;
    }
    let (mut webhook_id, mut message_id) = (String::new(), String::new());
    if with_webhook {
        (webhook_id, message_id) = crate::webhooks::walk_webhook(t, &org, &members[0].1).await;
    }
    Fixture {
        org,
        members,
        target,
        outsider: t.user("outsider"),
        other_org_owner,
        invitation_id,
        code,
        guest_granted,
        viewer_team_admin,
        developer_creator,
        team,
        project,
        integration,
        api_key_id,
        api_key,
        scim_token_id,
        scim_token,
        role_id,
        domain,
        pending_domain,
        request_id,
        webhook_id,
        message_id,
    }
}

/// One fixture per route, made concurrently (in route order).
async fn fixtures_for(t: &TestApp, routes: &[&'static RouteDef]) -> Vec<Fixture> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, route) in routes.iter().copied().enumerate() {
        let t = t.clone();
        tasks.spawn(async move { (i, fixture(&t, route).await) });
    }
    let mut made = tasks.join_all().await;
    made.sort_by_key(|(i, _)| *i);
    made.into_iter().map(|(_, f)| f).collect()
}

/// Where each concept's sample requests live: its own test file.
type Samples = fn(&Fixture, &str) -> Option<(Option<Value>, u16)>;

fn samples_of(concept: &str) -> Samples {
    match concept {
        "orgs" => crate::orgs::walk_sample,
        "access" => crate::access::walk_sample,
        "members" => crate::members::walk_sample,
        "audit" => crate::audit::walk_sample,
        "invitations" => crate::invitations::walk_sample,
        "subscription" => crate::subscription::walk_sample,
        "teams" => crate::teams::walk_sample,
        "projects" => crate::projects::walk_sample,
        "integrations" => crate::integrations::walk_sample,
        "closure" => crate::closure::walk_sample,
        "settings" => crate::settings::walk_sample,
        "api_keys" => crate::api_keys::walk_sample,
        "roles" => crate::roles::walk_sample,
        "domains" => crate::domains::walk_sample,
        "directory" => crate::directory::walk_sample,
        "webhooks" => crate::webhooks::walk_sample,
        other => panic!("concept {other} has no walk_sample: add one to its test file and here"),
    }
}

/// A valid request for the route: (path, body, status on success).
pub(crate) fn sample(route: &RouteDef, f: &Fixture) -> (String, Option<Value>, u16) {
    let org = &f.org;
    let target = &f.target.id;
    let fill = |p: &str| {
        // add-team-member puts the editor (not on the team yet) on it; other routes act on the target.
        let member = if route.function == "add-team-member" {
            &f.members[2].1.id
        } else {
            target
        };
        p.replace("{orgId}", org)
            .replace("{userId}", member)
            .replace("{invitationId}", &f.invitation_id)
            .replace("{code}", &f.code)
            .replace("{teamId}", &f.team)
            .replace("{projectId}", &f.project)
            .replace("{integrationId}", &f.integration)
            .replace("{keyId}", &f.api_key_id)
            .replace("{tokenId}", &f.scim_token_id)
            .replace("{proxy+}", "Users")
            .replace("{roleId}", &f.role_id)
            .replace("{requestId}", &f.request_id)
            .replace("{webhookId}", &f.webhook_id)
            .replace("{messageId}", &f.message_id)
            .replace(
                "{domain}",
                if route.function == "verify-domain" {
                    &f.pending_domain
                } else {
                    &f.domain
                },
            )
            .replace("{principal}", &format!("user:{}", f.guest_granted.id))
    };
    let concept = service::routes::concept_of(route);
    let (body, status) = samples_of(concept)(f, route.function).unwrap_or_else(|| {
        panic!(
            "route {} has no sample request: add one to walk_sample in tests/tests/api/{concept}.rs",
            route.function
        )
    });
    (fill(route.path), body, status)
}

fn expected(route: &RouteDef, principal: Principal, success: u16) -> u16 {
    // Members are told they are members already; everyone else sees or joins.
    if principal.roles().is_some()
        && matches!(route.function, "accept-invitation" | "preview-invitation")
    {
        return 409;
    }
    match (principal.roles(), route.access) {
        // The platform's services: locally no token is needed (production signs with IAM).
        (_, Access::Service) => success,
        // The directory's route takes the organization's SCIM token, never a person's.
        (_, Access::Directory) => 401,
        _ if principal == Principal::NoToken => 401,
        (_, Access::User) => success,
        (None, Access::Org(_)) => 404,
        (Some((role, project_role)), Access::Org(rule)) => {
            // On a project's routes, the project role adds its permissions (the union).
            let on_project = rule
                .subject
                .is_some_and(|s| s.param == "projectId" && s.at == Place::Path);
            let holds = |p| role.has(p) || (on_project && project_role.is_some_and(|r| r.has(p)));
            let allowed = match rule.need {
                Need::Any => true,
                Need::Perm(p) | Need::PermOrSelf(p) => holds(p),
            };
            if allowed {
                success
            } else {
                403
            }
        }
    }
}

fn token_of(f: &Fixture, principal: Principal) -> Option<String> {
    match principal {
        Principal::Member(role) => f
            .members
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, u)| u.token.clone()),
        Principal::GuestGranted => Some(f.guest_granted.token.clone()),
        Principal::ViewerTeamAdmin => Some(f.viewer_team_admin.token.clone()),
        Principal::DeveloperCreator => Some(f.developer_creator.token.clone()),
        Principal::NonMember => Some(f.outsider.token.clone()),
        Principal::OtherOrgMember => Some(f.other_org_owner.token.clone()),
        Principal::NoToken => None,
    }
}

#[tokio::test]
async fn every_route_with_every_principal() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let mut tasks = tokio::task::JoinSet::new();
    for route in ROUTES {
        let t = t.clone();
        tasks.spawn(async move {
            // Cases expected to succeed at a change get a fresh organization each, so no success can
            // affect another case; the others share one (a refusal changes nothing, and reads neither).
            let shared_fixture = fixture(&t, route).await;
            let mut results = Vec::new();
            for principal in PRINCIPALS {
                let (_, _, success) = sample(route, &shared_fixture);
                let changes = route.method != "GET" && expected(route, principal, success) < 300;
                let own;
                let f = if changes {
                    own = fixture(&t, route).await;
                    &own
                } else {
                    &shared_fixture
                };
                let (path, body, success) = sample(route, f);
                let want = expected(route, principal, success);
                let a = t
                    .call(route.method, &path, token_of(f, principal).as_deref(), body)
                    .await;
                results.push((route.method, route.path, principal, want, a.status, a.body));
            }
            results
        });
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    let results: Vec<_> = tasks.join_all().await.into_iter().flatten().collect();
    for (method, path, principal, want, got, body) in results {
        cases += 1;
        if want != got {
            failures.push(format!(
                "{method} {path} as {principal:?}: want {want}, got {got} {body}"
            ));
        }
        if got == 403 {
            assert_eq!(body["code"], Code::Forbidden.as_str());
        }
        if got == 404 {
            assert_eq!(
                body["code"],
                Code::OrgNotFound.as_str(),
                "non-members cannot tell a missing org from a foreign one"
            );
        }
    }
    assert_eq!(cases, ROUTES.len() * PRINCIPALS.len());
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_closed_organization_refuses_every_write_and_serves_reads() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    // Nothing changes a closed organization (writes are refused, reads change nothing): one
    // fixture serves every route.
    let f = fixture_with(&t, true, true, true, true, true).await;
    t.close_org(&f.org).await;
    // Reactivation changes the organization: it gets its own below.
    let reactivates =
        |r: &&&RouteDef| matches!(r.org_rule(), Some(rule) if rule.effect == Effect::Reactivate);
    for route in ROUTES.iter().filter(|r| reactivates(r)) {
        let own = fixture_with(&t, false, false, false, false, false).await;
        t.close_org(&own.org).await;
        let (path, body, _) = sample(route, &own);
        let owner = token_of(&own, Principal::Member(Role::Owner));
        let a = t.call(route.method, &path, owner.as_deref(), body).await;
        assert_eq!(a.status, 200, "{} {}: {}", route.method, route.path, a.body);
    }
    for route in ROUTES
        .iter()
        .filter(|r| matches!(r.access, Access::Org(_)) && !reactivates(r))
    {
        let (path, body, success) = sample(route, &f);
        let owner = token_of(&f, Principal::Member(Role::Owner));
        let a = t.call(route.method, &path, owner.as_deref(), body).await;
        let Access::Org(rule) = route.access else {
            unreachable!()
        };
        match rule.effect {
            Effect::Write => assert_eq!(
                (a.status, a.body["code"].as_str()),
                (409, Some(Code::OrgClosed.as_str())),
                "{} {}",
                route.method,
                route.path
            ),
            // The closure revoked the fixture's pending invitation: its code is no more, and
            // the read says so (not `org_closed`: it was served).
            Effect::Read if route.function == "get-invitation-code" => assert_eq!(
                (a.status, a.body["invitationStatus"].as_str()),
                (409, Some("revoked")),
                "{} {} reads work in grace: {}",
                route.method,
                route.path,
                a.body
            ),
            Effect::Read => assert_eq!(
                a.status, success,
                "{} {} reads work in grace: {}",
                route.method, route.path, a.body
            ),
            // Revoking a key: a leaked key must be killable during grace.
            Effect::WriteWhileClosed => assert_eq!(
                a.status, success,
                "{} {} is allowed in grace: {}",
                route.method, route.path, a.body
            ),
            Effect::Reactivate => unreachable!("reactivation is tested on its own fixture above"),
        }
    }
}

/// The walk for the owner without a second factor: once the organization requires one, every
/// organization route refuses their token with 403 `mfa_required` (reads too, `/me` and
/// `/authorize` included), and the same owner signed in with a second factor gets what they got before.
#[tokio::test]
async fn an_organization_requiring_mfa_refuses_every_route_to_a_token_without_it() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let f = fixture_with(&t, true, true, true, true, true).await;
    let owner = &f.members[0].1;
    let policy = json!({ "requireMfa": true, "allowedEmailDomains": [] });
    let path = format!("/orgs/{}/settings/authentication", f.org);
    // Nobody locks themselves out: turning it on needs the caller's own second factor.
    let a = t.as_user(owner).put(&path, policy.clone()).await;
    a.assert_problem(403, service::error::Code::MfaRequired);
    assert_eq!(a.body["field"], "requireMfa");
    let owner_mfa = t.with_mfa(owner);
    let on = t.as_user(&owner_mfa).put(&path, policy).await;
    assert_eq!(on.assert_status(200)["requireMfa"], true);
    for route in ROUTES.iter().filter(|r| matches!(r.access, Access::Org(_))) {
        let (path, body, success) = sample(route, &f);
        let a = t.call(route.method, &path, Some(&owner.token), body).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (403, Some(Code::MfaRequired.as_str())),
            "{} {} as the owner without a second factor: {}",
            route.method,
            route.path,
            a.body
        );
        assert!(a.body["detail"].as_str().unwrap().contains("second factor"));
        if route.method == "GET" {
            let a = t
                .call(route.method, &path, Some(&owner_mfa.token), None)
                .await;
            assert_eq!(
                a.status, success,
                "{} {} with MFA: {}",
                route.method, route.path, a.body
            );
        }
    }
    // Other services learn the rule from /me and /authorize.
    let me = t
        .as_user(&owner_mfa)
        .get(&format!("/orgs/{}/me", f.org))
        .await;
    let me = me.assert_status(200);
    assert_eq!(me["authentication"]["requireMfa"], true);
    assert_eq!(me["authentication"]["secondFactor"], true);
    let authz = t
        .as_user(&owner_mfa)
        .post(
            &format!("/orgs/{}/authorize", f.org),
            json!({ "permissions": ["org.read"] }),
        )
        .await;
    assert_eq!(
        authz.assert_status(200)["authentication"]["requireMfa"],
        true
    );
    // User routes are not the organization's: they keep working (the organization is listed).
    let mine = t.as_user(owner).get("/orgs").await;
    mine.assert_status(200);
}

#[tokio::test]
async fn malformed_org_ids_look_like_unknown_orgs() {
    let t = TestApp::new().await;
    let u = t.user("u");
    for id in ["nope", "org_00000000000000000000000000000000", "ORG%23x"] {
        let a = t
            .call("GET", &format!("/orgs/{id}"), Some(&u.token), None)
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (404, Some(Code::OrgNotFound.as_str())),
            "{id}"
        );
    }
    // Ids that cannot exist deeper in the path are refused only after the membership check.
    let owner = t.user("owner");
    let org = t.create_org(&owner, "Real").await;
    for path in [
        format!("/orgs/{org}/members/bad%23id"),
        format!("/orgs/{org}/invitations/nope/code"),
    ] {
        let method = if path.ends_with("/code") {
            "GET"
        } else {
            "DELETE"
        };
        let a = t.call(method, &path, Some(&u.token), None).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (404, Some(Code::OrgNotFound.as_str())),
            "outsider {path}"
        );
    }
    let a = t
        .call(
            "GET",
            &format!("/orgs/{org}/invitations/nope/code"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (404, Some(Code::InvitationNotFound.as_str()))
    );
}

/// DynamoDB requests per route, counted on the SDK client: every single-item route makes at most
/// two (the access read and one write); the exceptions are listed with their reason.
#[tokio::test]
async fn dynamodb_requests_per_route() {
    let t = TestApp::with_config(|c| c.org_create_limit = 5).await;
    let mut table = Vec::new();
    // Fixtures first (concurrently; the reads share one), then each route alone, so the counter
    // sees only its requests.
    let changing: Vec<&'static RouteDef> = ROUTES
        .iter()
        .copied()
        .filter(|r| r.method != "GET")
        .collect();
    let mut fixtures = fixtures_for(&t, &changing).await.into_iter();
    let reads = fixture_with(&t, true, true, true, true, true).await;
    for route in ROUTES.iter().copied() {
        let own;
        let f = if route.method == "GET" {
            &reads
        } else {
            own = fixtures.next().expect("a fixture per changing route");
            &own
        };
        if route.function == "cleanup-invitations" {
            // Something to remove, so the cleanup's transaction (deletes, seats, audit) is measured too.
            t.expire_invitation(&f.org, &f.invitation_id).await;
        }
        let (path, body, success) = sample(route, f);
        let principal = if matches!(route.function, "accept-invitation" | "preview-invitation") {
            Principal::NonMember
        } else {
            Principal::Member(Role::Owner)
        };
        t.requests.reset();
        let a = t
            .call(route.method, &path, token_of(f, principal).as_deref(), body)
            .await;
        assert_eq!(
            a.status, success,
            "{} {}: {}",
            route.method, route.path, a.body
        );
        let ops = t.requests.operations();
        let allowed = match route.function {
            // The email's outcome (sent/failed) is recorded after SES answers.
            "create-invitation" | "resend-invitation" => 3,
            // Lists: one Query per page, plus one BatchGetItem (access read, or the page's organizations).
            // Cleanup reads one page of invitations and removes what is due in one transaction.
            "cleanup-invitations" => 3,
            // A team and one page of its members: a Query of its membership items, then one
            // BatchGetItem of those memberships (a team holds any number; none is on the team item).
            "get-team" => 3,
            // An aggregate, not a single item: COUNT Queries of projects, of integrations (its
            // filter counts those with a credential) and of pending invitations (one per 1,000
            // invitations) besides the access read.
            "closure-impact" => 4,
            // The answer counts the members outside the new allowed domains: one Query per 100 members.
            "put-authentication-policy" => 3,
            // My organizations: the page's Query and the organizations' BatchGetItem, and on the
            // first page the lookup of people the directories provisioned at my email (GSI1).
            "list-my-orgs" => 3,
            // My invitations: the page, the verified domain's read, the organizations', and the
            // directories' provisioned users of my email (a Query of GSI1 and, if any, one read).
            "list-my-invitations" => 5,
            _ => 2,
        };
        assert!(
            ops.len() <= allowed,
            "{} {} made {} requests: {ops:?}",
            route.method,
            route.path,
            ops.len()
        );
        assert!(!ops.contains(&"Scan"), "no Scan anywhere");
        // What the requests did (a transaction counted by its items) is within the IAM actions
        // the route declares, so the template's least-privilege policy is enough for it.
        let actions = t.requests.actions();
        let declared: Vec<&str> = route.dynamo.iter().map(|d| d.operation()).collect();
        let undeclared: Vec<&&str> = actions.iter().filter(|a| !declared.contains(a)).collect();
        assert!(
            undeclared.is_empty(),
            "{} {} used {undeclared:?}, which its route does not declare (declared: {declared:?})",
            route.method,
            route.path
        );
        // Every change an organization route commits is conditional on the caller's access as it
        // was read: the transaction holds a condition on the caller's membership.
        if route
            .org_rule()
            .is_some_and(|r| matches!(r.effect, Effect::Write | Effect::WriteWhileClosed))
        {
            let me = service::members::item::MemberItem::key_of(
                &service::domain::OrgId::parse(&f.org).unwrap(),
                &service::domain::UserId::parse("userId", &f.members[0].1.id).unwrap(),
            );
            let items = t.requests.transaction_items();
            assert!(
                items
                    .iter()
                    .any(|i| i.pk == me.pk && i.sk == me.sk && i.condition.is_some()),
                "{} {}: no condition on the caller's membership in {items:?}",
                route.method,
                route.path
            );
        }
        table.push(format!(
            "{:<7} {:<50} {} {:?} actions {:?}",
            route.method,
            route.path,
            ops.len(),
            ops,
            actions
        ));
    }
    println!("{}", table.join("\n"));
}
