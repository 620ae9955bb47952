//! Access: what an organization route is decided on (the organization and the caller's
//! membership, read in one request by the pipeline), project grants, and what other services
//! ask: my access, a batch permission check, the permission matrix.

pub mod handlers;
pub mod on_behalf;
pub mod routes;
pub mod views;

use crate::api_keys::item::ApiKeyItem;
use crate::audit::AuditEntry;
use crate::auth::Caller;
use crate::catalogue::PermId;
use crate::config::Config;
use crate::domain::{OrgId, ProjectId, TeamId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::MemberItem;
use crate::orgs::item::OrgItem;
use crate::orgs::settings::{InvitePolicy, OrgStatus};
use crate::permissions::{Permission, ProjectRole, Role, RoleRef};
use crate::pipeline::{Effect, OrgAccess, OrgCtx};
use crate::projects::item::{Principal, ProjectItem};
use crate::roles::HeldRole;
use crate::store::{entity_type, from_item, Entity, Item, Key, Tx};
use serde::Serialize;

/// Permissions one `/authorize` call (or API key verification) may ask about at most.
pub const MAX_PERMISSIONS_PER_CHECK: usize = 100;

/// The context of every organization operation.
pub type Ctx = OrgCtx<Access>;

impl OrgCtx<Access> {
    /// The organization's seats as read with the caller's access (the route's rule reads them:
    /// `Access::reading_seats`).
    pub fn seats(&self) -> ApiResult<crate::orgs::item::Seats<'_>> {
        let own = self.seats_as_read()?.map(from_item).transpose()?;
        self.org.seats(own)
    }
}

/// Who the caller is in the organization: a member, or one of its API keys (where the
/// organization lets keys call the API).
#[derive(Debug, Clone)]
pub enum Actor {
    Member(MemberItem),
    Key(ApiKeyItem),
}

/// The caller's access in an organization: the organization and their membership (or the API
/// key they present), as read, and, on a project's routes, what reaches them in that project.
#[derive(Debug, Clone)]
pub struct Access {
    pub org: OrgItem,
    pub actor: Actor,
    /// The caller's role resolved against the organization: its permissions and project role
    /// (a custom role's as the organization item read now defines it).
    pub held: HeldRole,
    pub project: Option<ProjectScope>,
    /// Whether the caller's token shows a second factor (set when the pipeline admits them).
    pub second_factor: bool,
}

/// Where a project role comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// The organization role (owner and admin: admin on every project; editor: editor; developer
    /// and viewer: viewer).
    OrgRole,
    /// A grant to a team the caller is on.
    Team(TeamId),
    /// A grant to the caller.
    Direct,
}

/// A project role that reaches the caller, and through what.
#[derive(Debug, Clone)]
pub struct Source {
    pub role: ProjectRole,
    pub via: Via,
}

/// Why a permission is allowed, as `/me` and `/authorize` explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The organization role (org-wide, or the project role it makes on every project): a
    /// system role's name or a custom role's id, with its name.
    OrgRole {
        role: RoleRef,
        #[serde(rename = "roleName")]
        role_name: String,
    },
    Team {
        #[serde(rename = "teamId")]
        team_id: TeamId,
        role: ProjectRole,
    },
    Direct {
        role: ProjectRole,
    },
}

/// The caller's access in one project: every role that reaches them (their organization role's,
/// each grant to them or to one of their teams) and the strongest of them.
#[derive(Debug, Clone)]
pub struct ProjectScope {
    pub project: ProjectItem,
    pub sources: Vec<Source>,
}

impl ProjectScope {
    /// What reaches `actor` in `project`: a member's organization role and grants to them and
    /// their teams; a key's organization role and, on the projects it is limited to, its role.
    pub fn of_actor(project: ProjectItem, actor: &Actor, org: &OrgItem, held: &HeldRole) -> Self {
        match actor {
            Actor::Member(member) => Self::of(project, member, held),
            Actor::Key(key) => Self::of_key(project, key, org, held),
        }
    }
    /// What reaches an API key in `project`.
    pub fn of_key(project: ProjectItem, key: &ApiKeyItem, org: &OrgItem, held: &HeldRole) -> Self {
        let mut sources = Vec::new();
        if let Some(role) = held.project_role {
            sources.push(Source {
                role,
                via: Via::OrgRole,
            });
        }
        if let Some(role) = key.project_role(org) {
            if key.project_ids.contains(&project.project_id) {
                sources.push(Source {
                    role,
                    via: Via::Direct,
                });
            }
        }
        Self { project, sources }
    }
    pub fn of(project: ProjectItem, member: &MemberItem, held: &HeldRole) -> Self {
        let mut sources = Vec::new();
        if let Some(role) = held.project_role {
            sources.push(Source {
                role,
                via: Via::OrgRole,
            });
        }
        for (principal, grant) in project.principals() {
            let via = match principal {
                Principal::User(u) if u == member.user_id => Via::Direct,
                Principal::Team(t) if member.teams.contains(&t) => Via::Team(t),
                _ => continue,
            };
            sources.push(Source {
                role: grant.role,
                via,
            });
        }
        Self { project, sources }
    }
    pub fn project_id(&self) -> &ProjectId {
        &self.project.project_id
    }
    /// The effective project role: the strongest that reaches the caller.
    pub fn role(&self) -> Option<ProjectRole> {
        self.strongest().map(|s| s.role)
    }
    fn strongest(&self) -> Option<&Source> {
        // The organization role comes first, so a grant counts only where it adds something.
        self.sources
            .iter()
            .fold(None, |best: Option<&Source>, s| match best {
                Some(b) if b.role >= s.role => Some(b),
                _ => Some(s),
            })
    }
    /// Where `permission` comes from in this project (empty: not allowed).
    pub fn explain(&self, held: &HeldRole, permission: PermId) -> Vec<Reason> {
        let mut why = Vec::new();
        if held.has(permission) || held.project_role.is_some_and(|r| r.holds(permission)) {
            why.push(Reason::org_role(held));
        }
        for s in self.sources.iter().filter(|s| s.role.holds(permission)) {
            match &s.via {
                Via::OrgRole => {}
                Via::Team(t) => why.push(Reason::Team {
                    team_id: t.clone(),
                    role: s.role,
                }),
                Via::Direct => why.push(Reason::Direct { role: s.role }),
            }
        }
        why
    }
}

impl OrgAccess for Access {
    fn keys(org: &OrgId, caller: &Caller) -> [Key; 2] {
        let own = match &caller.key {
            Some(key) => ApiKeyItem::key_of(org, key.key_id()),
            None => MemberItem::key_of(org, &caller.user_id),
        };
        [OrgItem::key_of(org), own]
    }
    fn seats_key(org: &OrgId) -> Key {
        crate::orgs::item::SeatsItem::key_of(org)
    }
    fn from_items(
        org: Option<Item>,
        own: Option<Item>,
        caller: &Caller,
        config: &Config,
    ) -> ApiResult<Option<Self>> {
        let (Some(org), Some(own)) = (org, own) else {
            // A key that is not there (revoked) or of an organization that is not: invalid.
            return match caller.key {
                Some(_) => Err(invalid_key()),
                None => Ok(None),
            };
        };
        let org: OrgItem = from_item(org)?;
        let actor = match &caller.key {
            None => Actor::Member(from_item(own)?),
            Some(presented) => {
                let key: ApiKeyItem = from_item(own)?;
                let server_key = config.require_api_key_hash_key()?;
                if !key.opens(|d| presented.matches(server_key, d), Timestamp::now())? {
                    return Err(invalid_key());
                }
                Actor::Key(key)
            }
        };
        let role = match &actor {
            Actor::Member(m) => m.role.clone(),
            Actor::Key(k) => k.org_role(),
        };
        Ok(Some(Access {
            held: org.held(&role)?,
            org,
            actor,
            project: None,
            second_factor: false,
        }))
    }
    /// The role's permissions; with `invitePolicy = members`, developers and above may invite
    /// too (for roles at or below their own: the hierarchy rule still applies).
    fn holds(&self, permission: Permission) -> bool {
        self.held.has(permission)
            || (permission == Permission::InvitationsCreate
                && self.org.settings.invite_policy == InvitePolicy::Members
                && self.held.covers(&HeldRole::system(Role::Developer)))
            || self
                .project
                .as_ref()
                .and_then(ProjectScope::role)
                .is_some_and(|r| r.has(permission))
    }
    /// An organization that requires a second factor refuses a token without one, on every
    /// route; an API key is admitted only where the organization lets keys call the API (a
    /// second factor is a person's: `requireMfa` does not apply to keys).
    fn admit(&mut self, caller: &Caller) -> ApiResult<()> {
        self.second_factor = caller.second_factor;
        let member = match &self.actor {
            Actor::Member(m) => m,
            Actor::Key(_) if !self.org.settings.api_keys_may_call_api => {
                return Err(ApiError::new(
                    Code::ApiKeyCallsDisabled,
                    "This organization does not let its API keys call the API; a person with settings.manage can allow it (PATCH /orgs/{orgId} {\"settings\": {\"apiKeysMayCallApi\": true}}).",
                ));
            }
            Actor::Key(_) => return Ok(()),
        };
        if let Some(at) = member.deactivated_at {
            return Err(ApiError::new(
                Code::MemberDeactivated,
                "Your membership in this organization is deactivated; an admin (or your company's directory) can reactivate it.",
            )
            .with("deactivatedAt", at.canonical()));
        }
        if self.org.require_mfa && !caller.second_factor {
            return Err(ApiError::mfa_required());
        }
        Ok(())
    }
    /// On a project's routes, the project (read with the access) adds the roles that reach the caller there.
    fn scope(&mut self, subject: Option<&Item>) -> ApiResult<()> {
        if let Some(item) = subject.filter(|i| entity_type(i) == Some(ProjectItem::TYPE)) {
            self.project = Some(ProjectScope::of_actor(
                from_item(item.clone())?,
                &self.actor,
                &self.org,
                &self.held,
            ));
        }
        Ok(())
    }
    fn is_closed(&self) -> bool {
        self.org.status != OrgStatus::Active
    }
    fn closed(&self) -> ApiError {
        let mut e = ApiError::org_closed();
        if let Some(purge_at) = self.org.purge_at {
            e.detail = format!(
                "The organization is closed: read-only until it is purged at {purge_at}. Its owner can reactivate it before then (POST /orgs/{}/reactivate); reads keep working.",
                self.org.org_id
            );
            e = e.with("purgeAt", purge_at.canonical());
        }
        e
    }
    fn guard(&self, tx: Tx, effect: Effect) -> ApiResult<Tx> {
        let changed = || {
            ApiError::new(
                Code::YourRoleChanged,
                "Your role in this organization or project changed, or you were removed, while the request was in flight; nothing changed. Reload and retry.",
            )
        };
        let member = match &self.actor {
            Actor::Member(member) => member,
            Actor::Key(key) => {
                // The key as read (not revoked, re-roled or rolled meanwhile: its projects are
                // on it), its role as defined when read, and keys still allowed to call.
                let tx = key.guard_unchanged(tx, changed())?;
                let tx = self.guard_role_as_read(tx, &self.held, changed())?;
                let tx = self.org.guard_keys_may_call(
                    tx,
                    ApiError::new(
                        Code::ApiKeyCallsDisabled,
                        "The organization stopped letting its API keys call the API while the request was in flight; nothing changed.",
                    ),
                )?;
                return match effect {
                    Effect::Write => self.org.guard_active(tx),
                    Effect::Read | Effect::Reactivate | Effect::WriteWhileClosed => Ok(tx),
                };
            }
        };
        let tx = member.guard_role(tx, changed())?;
        // A custom role's permissions are part of the decision: they hold until it commits.
        let mut tx = self.guard_role_as_read(tx, &self.held, changed())?;
        // A decision made on a grant holds only while the grant (and the team it reaches the
        // caller through) does.
        if let Some(scope) = &self.project {
            if let Some(source) = scope.strongest() {
                let principal = match &source.via {
                    Via::OrgRole => None,
                    Via::Direct => Some(Principal::User(member.user_id.clone())),
                    Via::Team(team_id) => {
                        tx = member.guard_on_team(tx, team_id, changed())?;
                        Some(Principal::Team(team_id.clone()))
                    }
                };
                if let Some(p) = principal {
                    tx = scope.project.guard_grant(tx, &p, source.role, changed())?;
                }
            }
        }
        let tx = match effect {
            Effect::Write => self.org.guard_active(tx)?,
            Effect::Read | Effect::Reactivate | Effect::WriteWhileClosed => tx,
        };
        // Decided without a second factor: only while none is required. (Guards on one item
        // share one condition and the first guard's error: a closure meanwhile, the likelier
        // race, keeps its own.)
        if self.second_factor {
            Ok(tx)
        } else {
            self.org
                .guard_mfa_not_required(tx, ApiError::mfa_required())
        }
    }
}

/// What a presented API key that cannot be used answers (revoked, expired, rolled past its
/// grace, a wrong secret, or an organization that is gone): one answer for all.
pub fn invalid_key() -> ApiError {
    ApiError::new(
        Code::Unauthenticated,
        "This API key is not valid: revoked, expired, rolled past its grace period, or of an organization that no longer exists.",
    )
}

/// Why a permission cannot be used in an organization of this status, whoever holds it:
/// `org_closed` for a change during grace, `purge_started` for reactivation once the purge began.
pub fn refused_in(status: OrgStatus, permission: PermId) -> Option<&'static str> {
    match status {
        OrgStatus::Purging if permission == Permission::OrgReactivate.into() => {
            Some("purge_started")
        }
        OrgStatus::Grace | OrgStatus::Purging if !permission.usable_while_closed() => {
            Some("org_closed")
        }
        _ => None,
    }
}

/// The decision on one permission for a principal with `role` (a member or an API key: `person`
/// says which) in an organization of this status, optionally in a project: whether it is allowed,
/// where it comes from, or why it is refused now. `/authorize`, the checks on behalf of someone
/// and the API key verification answer with it.
pub fn decide(
    held: &HeldRole,
    status: OrgStatus,
    scope: Option<&ProjectScope>,
    permission: PermId,
    person: bool,
) -> views::PermissionAnswer {
    let via = match scope {
        Some(scope) => scope.explain(held, permission),
        None if held.has(permission) => vec![Reason::org_role(held)],
        None => Vec::new(),
    };
    // During grace, whatever changes something is refused, whoever holds it (and reactivation
    // too, once the purge started); a key never does what only a person does.
    let refused = refused_in(status, permission)
        .or_else(|| (!person && permission.person_only()).then_some(PERSON_REQUIRED));
    if let (Some(reason), false) = (refused, via.is_empty()) {
        return views::PermissionAnswer {
            permission: permission.as_str(),
            allowed: false,
            via: Vec::new(),
            reason: Some(reason),
        };
    }
    views::PermissionAnswer {
        permission: permission.as_str(),
        allowed: !via.is_empty(),
        reason: via.is_empty().then_some(NOT_GRANTED),
        via,
    }
}

/// Why a permission an API key's role holds is refused: only a person does that.
pub const PERSON_REQUIRED: &str = "person_required";

/// Why a permission is refused when nothing gives it: the role (or, in a project, any grant)
/// does not hold it. The other reasons (`org_closed`, `purge_started`) refuse what is held.
pub const NOT_GRANTED: &str = "not_granted";

impl Reason {
    pub fn org_role(held: &HeldRole) -> Self {
        Reason::OrgRole {
            role: held.role.clone(),
            role_name: held.name.clone(),
        }
    }
}

impl Access {
    /// The caller's membership (`None`: the caller is an API key).
    pub fn member(&self) -> Option<&MemberItem> {
        match &self.actor {
            Actor::Member(m) => Some(m),
            Actor::Key(_) => None,
        }
    }
    /// The caller, as a decision names it.
    pub fn principal(&self) -> views::PrincipalView {
        match &self.actor {
            Actor::Member(m) => views::PrincipalView {
                kind: crate::audit::ActorKind::User,
                id: m.user_id.clone(),
            },
            Actor::Key(k) => views::PrincipalView {
                kind: crate::audit::ActorKind::ApiKey,
                id: k.actor_id(),
            },
        }
    }
    /// Whether the caller is one of the organization's API keys.
    pub fn is_key(&self) -> bool {
        matches!(self.actor, Actor::Key(_))
    }
    /// The caller's role: a system role or one of the organization's custom roles.
    pub fn role(&self) -> &RoleRef {
        &self.held.role
    }
    /// Why a permission the caller holds cannot be used now, as the routes would answer it:
    /// `org_closed` for a change during grace, `purge_started` for reactivation once the purge
    /// began. `/me` and `/authorize` say what the routes do.
    pub fn refused_now(&self, permission: PermId) -> Option<&'static str> {
        refused_in(self.org.status, permission)
    }
    pub fn org_id(&self) -> &OrgId {
        &self.org.org_id
    }
    /// The caller's effective role in the route's project (none outside project routes).
    pub fn project_role(&self) -> Option<ProjectRole> {
        self.project.as_ref().and_then(ProjectScope::role)
    }
    /// The hierarchy rule on projects: nobody grants, changes or revokes a project role above
    /// their own effective role on the project.
    pub fn require_can_grant_in_project(&self, role: ProjectRole) -> ApiResult<()> {
        let mine = self.project_role();
        if mine.is_some_and(|m| m >= role) {
            return Ok(());
        }
        Err(ApiError::new(
            Code::GrantAboveYou,
            format!(
                "Your role on this project is {}; you cannot grant, change or revoke the project role {role}, which is above it.",
                mine.map_or("none", ProjectRole::as_str)
            ),
        )
        .with("yourProjectRole", mine.map(ProjectRole::as_str))
        .with("requestedRole", role.as_str()))
    }
    /// The hierarchy rule in the projects an invitation or API key is limited to: the project
    /// role `granted` gives on each of them ([`HeldRole::for_projects`]) holds nothing beyond what
    /// the caller's organization role holds in every project ([`HeldRole::covers_in_projects`]).
    /// The organization-wide rule ([`Self::require_can_grant`]) applies besides.
    pub fn require_can_grant_in_projects(&self, granted: &HeldRole) -> ApiResult<()> {
        let given = granted.for_projects();
        if self.held.covers_in_projects(given) {
            return Ok(());
        }
        let beyond: Vec<&str> = given
            .permission_set()
            .beyond(self.held.in_every_project())
            .into_iter()
            .map(PermId::as_str)
            .collect();
        Err(ApiError::new(
            Code::GrantAboveYou,
            format!(
                "Limited to projects, the role {} gives the project role {given} on each of them, with permissions your role {} does not hold in every project: {}. Give a lower role, or ask a project's admin to grant access on it (PUT /orgs/{{orgId}}/projects/{{projectId}}/access/{{principal}}).",
                granted.name,
                self.held.name,
                beyond.join(", ")
            ),
        )
        .with("yourProjectRole", self.held.project_role.map(ProjectRole::as_str))
        .with("requestedRole", given.as_str())
        .with("permissions", beyond))
    }
    /// A decision compared `role` (a target's, a key's) as read: a custom one must still be
    /// defined so when the transaction commits.
    pub fn guard_role_as_read(&self, tx: Tx, role: &HeldRole, on_fail: ApiError) -> ApiResult<Tx> {
        match (&role.role, role.version) {
            (RoleRef::Custom(id), Some(v)) => self.org.guard_custom_role(tx, id, v, on_fail),
            _ => Ok(tx),
        }
    }
    /// An extra permission an operation needs for part of a request (e.g. the billing profile).
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.is_key() && permission.person_only() {
            return Err(ApiError::person_required(permission.as_str()));
        }
        if self.held.has(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission.as_str()))
        }
    }
    /// The hierarchy rule: nobody grants a role whose permissions are not a subset of their own
    /// (or whose project role is above theirs); only transfer makes an owner.
    pub fn require_can_grant(&self, granted: &HeldRole) -> ApiResult<()> {
        if granted.is(Role::Owner) {
            return Err(ApiError::new(
                Code::OwnerOnlyByTransfer,
                "Nobody becomes owner this way; the owner uses POST /orgs/{orgId}/ownership-transfer.",
            ));
        }
        self.require_covers(granted, "grant")
    }
    /// `other` (a role to grant, or the role of a member, key or invitation to act on) is at or
    /// below the caller's: its permissions a subset of theirs, its project role not above theirs.
    /// `what` is the act refused ("grant", "change or remove").
    pub fn require_covers(&self, other: &HeldRole, what: &str) -> ApiResult<()> {
        if self.held.covers(other) {
            return Ok(());
        }
        let beyond: Vec<&str> = other
            .permissions
            .beyond(self.held.permissions)
            .into_iter()
            .map(PermId::as_str)
            .collect();
        let project_above = other.project_role > self.held.project_role;
        let mut why = Vec::new();
        if !beyond.is_empty() {
            why.push(format!("permissions yours lacks: {}", beyond.join(", ")));
        }
        if project_above {
            why.push(format!(
                "project role {} above your {}",
                other.project_role.map_or("none", ProjectRole::as_str),
                self.held.project_role.map_or("none", ProjectRole::as_str)
            ));
        }
        Err(ApiError::new(
            Code::RoleAboveYours,
            format!(
                "You are {}; you cannot {what} the role {}, which is not at or below yours ({}).",
                self.held.name,
                other.name,
                why.join("; ")
            ),
        )
        .with("yourRole", self.held.role.as_str())
        .with("requestedRole", other.role.as_str())
        .with("permissions", beyond))
    }
}

/// The audit entry of the change a handler is about to commit (it goes into the same transaction).
impl Ctx {
    /// An audit entry for a change made by the caller in this organization, now.
    pub fn audit(
        &self,
        action: &'static str,
        event_type: &'static str,
        summary: impl Into<String>,
        details: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            org_id: self.org.org_id.clone(),
            actor_id: self.caller.user_id.clone(),
            actor_kind: self.caller.actor_kind(),
            action,
            event_type,
            at: Timestamp::now(),
            summary: summary.into(),
            details,
        }
    }
}
