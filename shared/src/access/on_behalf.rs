//! `POST /service/orgs/{orgId}/authorize`: a check on behalf of someone, for the platform's
//! services (a nightly deploy, a queue worker) that hold no token of the person or key they act
//! for. IAM-authorized in production, like `POST /api-keys/verify`; one strongly consistent
//! BatchGetItem reads the organization, the subject's membership or key and the project asked
//! about, so a removal, a role change or a revocation counts on the very next check. The answer is
//! the decision that subject's own `POST /orgs/{orgId}/authorize` would make: a subject that has no
//! access (removed, deactivated, revoked, expired) is allowed nothing.

use super::views::{DecisionView, PermissionAnswer, PrincipalView};
use super::{decide, ProjectScope, NOT_GRANTED};
use crate::api_keys::item::ApiKeyItem;
use crate::audit::ActorKind;
use crate::body::Parsed;
use crate::domain::{ApiKeyId, OrgId, ProjectId, Timestamp, UserId};
use crate::error::{ApiError, ApiResult};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::permissions::Permission;
use crate::pipeline::{Input, Reply};
use crate::projects::item::ProjectItem;
use crate::roles::HeldRole;
use crate::store::{from_item, Key};
use crate::App;
use serde::Deserialize;

/// Who a check is about: `user:<user id>` or `key:<API key id>`.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    User(UserId),
    Key(ApiKeyId),
}

impl Subject {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let invalid = || {
            ApiError::validation(
                "subject",
                "`subject` must be `user:<user id>` or `key:<API key id>` (`key_` and 32 hex digits).",
            )
        };
        match raw.split_once(':') {
            Some(("user", id)) => UserId::parse("subject", id)
                .map(Subject::User)
                .map_err(|_| invalid()),
            Some(("key", id)) => ApiKeyId::parse(id).map(Subject::Key).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
    /// Whether this names `principal`.
    pub fn names(&self, principal: &PrincipalView) -> bool {
        match self {
            Subject::User(u) => principal.kind == ActorKind::User && &principal.id == u,
            Subject::Key(k) => {
                principal.kind == ActorKind::ApiKey && principal.id.as_str() == k.as_str()
            }
        }
    }
    fn principal(&self) -> PrincipalView {
        match self {
            Subject::User(u) => PrincipalView {
                kind: ActorKind::User,
                id: u.clone(),
            },
            Subject::Key(k) => PrincipalView {
                kind: ActorKind::ApiKey,
                id: UserId::parse("subject", k.as_str()).expect("a key id is a user id"),
            },
        }
    }
    fn key_in(&self, org: &OrgId) -> Key {
        match self {
            Subject::User(u) => MemberItem::key_of(org, u),
            Subject::Key(k) => ApiKeyItem::key_of(org, k),
        }
    }
}

impl crate::body::Parse for Subject {
    type Raw = String;
    fn parse(_field: &str, raw: String) -> ApiResult<Self> {
        Subject::parse(&raw)
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "pattern": "^(user:[^#\\s]{1,128}|key:key_[0-9a-f]{32})$", "examples": ["user:9f1c2d3e", "key:key_0123456789abcdef0123456789abcdef"] })
    }
}

/// `POST /service/orgs/{orgId}/authorize`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeOnBehalf {
    /// `user:<user id>` or `key:<API key id>`.
    subject: Parsed<Subject>,
    permissions: Parsed<super::handlers::AskedPermissions>,
    /// Answer for this project (its grants add their project permissions).
    project_id: Option<Parsed<ProjectId>>,
}

/// What the subject is, as read: its role and what reaches it in the project asked about, or
/// nothing (no access: every permission refused).
struct Found {
    held: HeldRole,
    scope: Option<ProjectScope>,
    person: bool,
}

/// `POST /service/orgs/{orgId}/authorize` `{subject, permissions, projectId?}`
pub async fn authorize_on_behalf(app: App, input: Input) -> ApiResult<Reply> {
    let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(ApiError::org_not_found)?;
    let body: AuthorizeOnBehalf = input.json()?;
    let subject = body.subject.into_inner();
    let asked = body.permissions.into_inner().into_inner();
    let project_id = body.project_id.map(Parsed::into_inner);
    let org_key = OrgItem::key_of(&org_id);
    let own_key = subject.key_in(&org_id);
    let project_key = project_id.as_ref().map(|p| ProjectItem::key_of(&org_id, p));
    let mut wanted = vec![org_key.clone(), own_key.clone()];
    wanted.extend(project_key.clone());
    let (mut org, mut own, mut project) = (None, None, None);
    for item in app.store.batch_get(wanted).await? {
        match Key::of_item(&item) {
            Some(k) if k == org_key => org = Some(from_item::<OrgItem>(item)?),
            Some(k) if k == own_key => own = Some(item),
            Some(k) if Some(&k) == project_key.as_ref() => {
                project = Some(from_item::<ProjectItem>(item)?)
            }
            _ => {}
        }
    }
    let org = org.ok_or_else(ApiError::org_not_found)?;
    let now = Timestamp::now();
    let found = match (&subject, own) {
        (Subject::User(_), Some(item)) => {
            let member: MemberItem = from_item(item)?;
            match member.deactivated_at {
                Some(_) => None,
                None => {
                    let held = org.held(&member.role)?;
                    Some(Found {
                        scope: project.map(|p| ProjectScope::of(p, &member, &held)),
                        held,
                        person: true,
                    })
                }
            }
        }
        (Subject::Key(_), Some(item)) => {
            let key: ApiKeyItem = from_item(item)?;
            match key.is_expired(now) {
                true => None,
                false => {
                    let held = org.held(&key.org_role())?;
                    Some(Found {
                        scope: project.map(|p| ProjectScope::of_key(p, &key, &org, &held)),
                        held,
                        person: false,
                    })
                }
            }
        }
        (_, None) => None,
    };
    let refused = |p: &crate::catalogue::PermId| PermissionAnswer {
        permission: p.as_str(),
        allowed: false,
        via: Vec::new(),
        reason: Some(NOT_GRANTED),
    };
    let (results, role, role_name, project_role): (Vec<PermissionAnswer>, _, _, _) = match &found {
        None => (asked.iter().map(refused).collect(), None, None, None),
        Some(f) => {
            // A project the subject cannot see: nothing is allowed there (as its own check
            // answers 404 for it).
            let visible = f
                .scope
                .as_ref()
                .filter(|s| s.role().is_some() || f.held.has(Permission::ProjectsRead));
            let results = asked
                .iter()
                .map(|p| match (&project_id, visible) {
                    (Some(_), None) => refused(p),
                    _ => decide(&f.held, org.status, visible, *p, f.person),
                })
                .collect();
            (
                results,
                Some(f.held.role.clone()),
                Some(f.held.name.clone()),
                visible.and_then(ProjectScope::role),
            )
        }
    };
    Ok(Reply::ok(&DecisionView {
        principal: subject.principal(),
        org_id,
        allowed: results.iter().all(|r| r.allowed),
        role,
        role_name,
        project_id,
        project_role,
        results,
    }))
}
