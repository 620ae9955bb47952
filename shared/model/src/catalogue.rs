//! The catalogue: every permission a role can hold and the plans an organization can be on. The
//! service's own permissions ([`Permission`]) are compiled and always there, with their meaning;
//! the operator who deploys the service adds its platform's own (`databases.create`, ...) and says
//! which system and project roles hold them, and replaces the plans, in a JSON document the
//! functions read once when they start (`ORGS_CATALOGUE_FILE`; none: the built-in catalogue):
//!
//! ```json
//! {"permissions": [{"name": "databases.create", "description": "Create databases.",
//!                   "roles": ["developer"], "projectRoles": ["developer"]}],
//!  "plans": [{"name": "free", "seatLimit": 2}, {"name": "team", "seatLimit": 25},
//!            {"name": "enterprise", "seatLimit": null}],
//!  "defaultPlan": "free", "billingPortalUrl": "https://billing.example.com/portal"}
//! ```
//!
//! A document that does not validate is refused as a whole with every problem named (the
//! function does not start; `devtool catalogue check` says the same before a deployment), so the
//! catalogue in force is always a valid one. Stored data names permissions and plans by name,
//! never by a position here: a new catalogue needs no migration.

use crate::permissions::{Permission, ProjectRole, Role};
use serde::Deserialize;
use std::sync::OnceLock;

/// Permissions an operator may add (each role's set is a fixed-size bit set).
pub const MAX_OPERATOR_PERMISSIONS: usize = 128;
/// Plans a catalogue may define.
pub const MAX_PLANS: usize = 50;
/// The longest permission or plan name.
pub const MAX_NAME_LEN: usize = 64;
const SERVICE: usize = Permission::ALL.len();
const WORDS: usize = (SERVICE + MAX_OPERATOR_PERMISSIONS).div_ceil(64);

/// A permission of the catalogue in force: a service permission, or an operator's by its place
/// in the document. Only ever held in memory: items store names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermId(u16);

impl From<Permission> for PermId {
    fn from(p: Permission) -> Self {
        PermId(p as u16)
    }
}

/// An operator's permission as the catalogue defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorPermission {
    pub name: &'static str,
    pub description: &'static str,
    /// The weakest system role that holds it (`owner`: only the owner).
    pub min_role: Role,
    /// The weakest project role that holds it inside a project (`None`: it is not project-scoped).
    pub min_project_role: Option<ProjectRole>,
}

/// A plan: its seat limit and its daily invitation emails.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDef {
    pub name: &'static str,
    /// `None`: unlimited.
    pub seat_limit: Option<u32>,
    /// Invitation emails an organization on the plan sends per UTC day (`None`: the service's
    /// configured default, `INVITE_EMAILS_PER_DAY_FREE` for the default plan and
    /// `INVITE_EMAILS_PER_DAY_PAID` for the others).
    pub invitation_emails_per_day: Option<u32>,
}

/// The catalogue in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    operator: Vec<OperatorPermission>,
    plans: Vec<PlanDef>,
    default_plan: &'static str,
    billing_portal_url: Option<&'static str>,
    /// Where it came from (`built-in` or the file's path), for the start-up log line.
    pub source: String,
    /// What each system role holds (by rank) and each project role (by rank), worked out once
    /// here: every request resolves a role to its set.
    role_sets: [PermissionSet; 6],
    project_role_sets: [PermissionSet; 4],
    /// Each operator permission's [`stable_id`], in document order.
    operator_ids: Vec<u32>,
}

/// The document's form (camelCase, unknown fields refused).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Document {
    #[serde(default)]
    permissions: Vec<PermissionDoc>,
    #[serde(default)]
    plans: Option<Vec<PlanDoc>>,
    #[serde(default)]
    default_plan: Option<String>,
    #[serde(default)]
    billing_portal_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PermissionDoc {
    name: String,
    description: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    project_roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanDoc {
    name: String,
    seat_limit: Option<u32>,
    #[serde(default)]
    invitation_emails_per_day: Option<u32>,
}

/// The weakest project role that holds a service permission inside a project, if any does.
fn weakest_project_role(p: Permission) -> Option<ProjectRole> {
    ProjectRole::ALL.iter().rev().copied().find(|r| r.has(p))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// `area.action` in lowercase letters, digits and underscores, two parts or more.
fn well_formed_permission(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN
        && name.split('.').count() >= 2
        && name.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

fn well_formed_plan(name: &str) -> bool {
    name.len() <= 32
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl Catalogue {
    /// The service's permissions and the built-in plans (free 2 seats, starter 5, pro and
    /// agency unlimited; new organizations on free).
    pub fn built_in() -> Self {
        let plan = |name, seat_limit| PlanDef {
            name,
            seat_limit,
            invitation_emails_per_day: None,
        };
        Self {
            operator: Vec::new(),
            plans: vec![
                plan("free", Some(2)),
                plan("starter", Some(5)),
                plan("pro", None),
                plan("agency", None),
            ],
            default_plan: "free",
            billing_portal_url: None,
            source: "built-in".into(),
            role_sets: Default::default(),
            project_role_sets: Default::default(),
            operator_ids: Vec::new(),
        }
        .with_role_sets()
    }

    /// The catalogue with each role's set worked out from its permissions' weakest holders.
    fn with_role_sets(mut self) -> Self {
        self.operator_ids = self.operator.iter().map(|o| stable_id(o.name)).collect();
        let weakest: Vec<(PermId, Role, Option<ProjectRole>)> = Permission::ALL
            .iter()
            .map(|p| (PermId::from(*p), p.min_role(), weakest_project_role(*p)))
            .chain(
                self.operator
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (PermId((SERVICE + i) as u16), o.min_role, o.min_project_role)),
            )
            .collect();
        for r in Role::ALL {
            self.role_sets[r.rank() as usize] = PermissionSet::of(
                weakest
                    .iter()
                    .filter(|(_, min, _)| r.rank() >= min.rank())
                    .map(|(p, _, _)| *p),
            );
        }
        for r in ProjectRole::ALL {
            self.project_role_sets[r.rank() as usize] = PermissionSet::of(
                weakest
                    .iter()
                    .filter(|(_, _, min)| min.is_some_and(|m| r >= m))
                    .map(|(p, _, _)| *p),
            );
        }
        self
    }

    /// A catalogue document, validated as a whole: every problem is named, none is taken.
    pub fn parse(json: &str, source: &str) -> Result<Self, Vec<String>> {
        crate::json::refuse_duplicate_fields(json.as_bytes())
            .map_err(|e| vec![format!("the document: {e}")])?;
        let doc: Document = serde_json::from_str(json)
            .map_err(|e| vec![format!("the document is not a catalogue: {e}")])?;
        let mut problems = Vec::new();
        let mut operator = Vec::new();
        if doc.permissions.len() > MAX_OPERATOR_PERMISSIONS {
            problems.push(format!(
                "`permissions`: at most {MAX_OPERATOR_PERMISSIONS} (got {})",
                doc.permissions.len()
            ));
        }
        for (i, p) in doc.permissions.into_iter().enumerate() {
            let at = format!("`permissions[{i}]` ({})", crate::domain::shown(&p.name));
            if !well_formed_permission(&p.name) {
                problems.push(format!("{at}: a name is `area.action`: lowercase letters, digits and underscores, each part starting with a letter, at most {MAX_NAME_LEN} characters"));
            }
            if Permission::parse(&p.name).is_some() {
                problems.push(format!("{at}: the service's own permission; it is always there with its meaning and is not redefined"));
            }
            if operator
                .iter()
                .any(|o: &OperatorPermission| o.name == p.name)
            {
                problems.push(format!("{at}: named twice"));
            } else if let Some(o) = operator
                .iter()
                .find(|o: &&OperatorPermission| stable_id(o.name) == stable_id(&p.name))
            {
                problems.push(format!("{at}: its stable identity (a 32-bit hash of the name, what stored custom roles keep) is `{}`'s too; rename one of them", o.name));
            }
            let description = p.description.trim();
            if description.is_empty() || description.chars().count() > 500 {
                problems.push(format!("{at}: `description` is 1 to 500 characters"));
            }
            let mut min_role = Role::Owner;
            for r in &p.roles {
                match Role::parse(r) {
                    Some(Role::Guest) => problems.push(format!("{at}: a guest holds nothing organization-wide but the organization's name; give it to `viewer` or above, or to project roles")),
                    Some(role) if role.rank() < min_role.rank() => min_role = role,
                    Some(_) => {}
                    None => problems.push(format!("{at}: `roles` names system roles (owner, admin, editor, developer, viewer); got `{}`", crate::domain::shown(r))),
                }
            }
            let mut min_project_role: Option<ProjectRole> = None;
            for r in &p.project_roles {
                match ProjectRole::parse(r) {
                    Some(role) => {
                        min_project_role = Some(min_project_role.map_or(role, |m| m.min(role)))
                    }
                    None => problems.push(format!("{at}: `projectRoles` names project roles (admin, editor, developer, viewer); got `{}`", crate::domain::shown(r))),
                }
            }
            operator.push(OperatorPermission {
                name: leak(p.name),
                description: leak(description.to_string()),
                min_role,
                min_project_role,
            });
        }
        let built_in = Self::built_in();
        let plans = match doc.plans {
            None => built_in.plans,
            Some(plans) => {
                if plans.is_empty() || plans.len() > MAX_PLANS {
                    problems.push(format!("`plans`: 1 to {MAX_PLANS} plans"));
                }
                let mut out: Vec<PlanDef> = Vec::new();
                for (i, p) in plans.into_iter().enumerate() {
                    let at = format!("`plans[{i}]` ({})", crate::domain::shown(&p.name));
                    if !well_formed_plan(&p.name) {
                        problems.push(format!("{at}: a plan's name is 1 to 32 lowercase letters, digits, `-` and `_`, starting with a letter"));
                    }
                    if out.iter().any(|o| o.name == p.name) {
                        problems.push(format!("{at}: named twice"));
                    }
                    if p.seat_limit == Some(0) {
                        problems.push(format!(
                            "{at}: `seatLimit` is at least 1 (the owner), or null for unlimited"
                        ));
                    }
                    if p.invitation_emails_per_day == Some(0) {
                        problems.push(format!("{at}: `invitationEmailsPerDay` is at least 1"));
                    }
                    out.push(PlanDef {
                        name: leak(p.name),
                        seat_limit: p.seat_limit,
                        invitation_emails_per_day: p.invitation_emails_per_day,
                    });
                }
                out
            }
        };
        let default_plan = match doc.default_plan {
            Some(d) => match plans.iter().find(|p| p.name == d) {
                Some(p) => p.name,
                None => {
                    problems.push(format!(
                        "`defaultPlan` ({}) is none of `plans`",
                        crate::domain::shown(&d)
                    ));
                    ""
                }
            },
            None => match plans.iter().find(|p| p.name == built_in.default_plan) {
                Some(p) => p.name,
                None => {
                    problems.push("`defaultPlan`: give it when `plans` has no `free`".into());
                    ""
                }
            },
        };
        let billing_portal_url = match doc.billing_portal_url {
            Some(u) if u.starts_with("https://") || u.starts_with("http://localhost") => {
                Some(leak(u))
            }
            Some(u) => {
                problems.push(format!(
                    "`billingPortalUrl` ({}) is an https:// URL",
                    crate::domain::shown(&u)
                ));
                None
            }
            None => None,
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            operator,
            plans,
            default_plan,
            billing_portal_url,
            source: source.to_string(),
            role_sets: Default::default(),
            project_role_sets: Default::default(),
            operator_ids: Vec::new(),
        }
        .with_role_sets())
    }

    /// A catalogue from a file: read, then [`Self::parse`]d.
    pub fn from_file(path: &str) -> Result<Self, Vec<String>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![format!("ORGS_CATALOGUE_FILE {path}: {e}")])?;
        Self::parse(&text, path)
    }

    /// What a new catalogue must keep of the one in force: every plan (organizations may be on
    /// it; a plan no longer offered stays in the document). Problems, none when it keeps them.
    pub fn keeps_plans_of(&self, previous: &Catalogue) -> Vec<String> {
        previous
            .plans
            .iter()
            .filter(|p| !self.plans.iter().any(|q| q.name == p.name))
            .map(|p| {
                format!(
                    "`plans`: {} is gone; organizations may be on it (keep it in the document)",
                    p.name
                )
            })
            .collect()
    }

    /// The same permissions, plans and portal (wherever each came from).
    pub fn same_as(&self, other: &Catalogue) -> bool {
        self.operator == other.operator
            && self.plans == other.plans
            && self.default_plan == other.default_plan
            && self.billing_portal_url == other.billing_portal_url
    }
    pub fn operator_permissions(&self) -> &[OperatorPermission] {
        &self.operator
    }
    pub fn plans(&self) -> &[PlanDef] {
        &self.plans
    }
    pub fn plan(&self, name: &str) -> Option<&PlanDef> {
        self.plans.iter().find(|p| p.name == name)
    }
    pub fn default_plan(&self) -> &'static str {
        self.default_plan
    }
    pub fn billing_portal_url(&self) -> Option<&'static str> {
        self.billing_portal_url
    }
    /// Every permission: the service's in matrix order, then the operator's in document order.
    pub fn all(&self) -> impl Iterator<Item = PermId> {
        (0..(SERVICE + self.operator.len()) as u16).map(PermId)
    }
    pub fn len(&self) -> usize {
        SERVICE + self.operator.len()
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

static CURRENT: OnceLock<Catalogue> = OnceLock::new();

/// The catalogue in force: the one [`install`]ed at start, else the built-in one.
pub fn current() -> &'static Catalogue {
    CURRENT.get_or_init(Catalogue::built_in)
}

/// Puts `catalogue` in force for the life of the process. Only once, before any use: a second,
/// different one is refused (a process decides with one catalogue).
pub fn install(catalogue: Catalogue) -> Result<&'static Catalogue, String> {
    let in_force = CURRENT.get_or_init(|| catalogue.clone());
    if in_force.same_as(&catalogue) {
        Ok(in_force)
    } else {
        Err(format!(
            "the catalogue is in force already (from {}); a process uses one",
            in_force.source
        ))
    }
}

/// Installs the catalogue `ORGS_CATALOGUE_FILE` names (none: the built-in one).
pub fn install_from_env() -> Result<&'static Catalogue, String> {
    match std::env::var("ORGS_CATALOGUE_FILE") {
        Ok(path) if !path.trim().is_empty() => {
            let c = Catalogue::from_file(path.trim()).map_err(|problems| {
                format!(
                    "ORGS_CATALOGUE_FILE {path} is refused: {}",
                    problems.join("; ")
                )
            })?;
            install(c)
        }
        _ => Ok(current()),
    }
}

impl PermId {
    /// The permissions a check asks about, by name (the catalogue's: the service's and the
    /// operator's): an unknown name is the caller's mistake (400 `unknown_permission` listing them);
    /// in the order asked. `/authorize`, the API key verification and the custom roles parse with it.
    pub fn parse_all(names: &[String]) -> Result<Vec<PermId>, crate::error::ApiError> {
        // Named back as a refusal may quote input: a few, each cut short.
        let unknown: Vec<String> = names
            .iter()
            .filter(|p| PermId::parse(p).is_none())
            .take(10)
            .map(|p| crate::domain::shown(p))
            .collect();
        if !unknown.is_empty() {
            return Err(crate::error::ApiError::new(
                crate::error::Code::UnknownPermission,
                format!(
                    "Unknown permission(s): {}. GET /roles lists every permission.",
                    unknown.join(", ")
                ),
            )
            .with("unknown", unknown));
        }
        Ok(names.iter().filter_map(|n| PermId::parse(n)).collect())
    }
    /// A permission of the catalogue in force, by name.
    pub fn parse(name: &str) -> Option<PermId> {
        Permission::parse(name).map(PermId::from).or_else(|| {
            current()
                .operator
                .iter()
                .position(|o| o.name == name)
                .map(|i| PermId((SERVICE + i) as u16))
        })
    }
    /// The service permission it is, if it is one.
    pub fn service(self) -> Option<Permission> {
        Permission::ALL.get(self.0 as usize).copied()
    }
    fn operator(self) -> &'static OperatorPermission {
        &current().operator[self.0 as usize - SERVICE]
    }
    pub fn as_str(self) -> &'static str {
        match self.service() {
            Some(p) => p.as_str(),
            None => self.operator().name,
        }
    }
    pub fn description(self) -> &'static str {
        match self.service() {
            Some(p) => p.description(),
            None => self.operator().description,
        }
    }
    /// The part before the first dot: `databases.create` -> `databases`.
    pub fn area(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("")
    }
    /// The weakest system role that holds it.
    pub fn min_role(self) -> Role {
        match self.service() {
            Some(p) => p.min_role(),
            None => self.operator().min_role,
        }
    }
    /// The weakest project role that holds it inside a project (`None`: not project-scoped).
    pub fn min_project_role(self) -> Option<ProjectRole> {
        match self.service() {
            Some(p) => weakest_project_role(p),
            None => self.operator().min_project_role,
        }
    }
    /// Held by the owner alone: never part of a custom role.
    /// What only a person may do ([`Permission::person_only`]); an operator's permissions are
    /// never person-only.
    pub fn person_only(self) -> bool {
        self.service().is_some_and(Permission::person_only)
    }
    pub fn owner_only(self) -> bool {
        self.min_role() == Role::Owner
    }
    /// Whether it only reads (allowed while the organization is closed): an operator's
    /// permission reads when its name ends in `.read`.
    pub fn is_read(self) -> bool {
        match self.service() {
            Some(p) => p.is_read(),
            None => self.as_str().ends_with(".read"),
        }
    }
    /// Usable while the organization is closed (read-only grace).
    pub fn usable_while_closed(self) -> bool {
        match self.service() {
            Some(p) => p.usable_while_closed(),
            None => self.is_read(),
        }
    }
    fn bit(self) -> (usize, u64) {
        (self.0 as usize / 64, 1u64 << (self.0 % 64))
    }
}

impl std::fmt::Display for PermId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions of the catalogue: what a role (system or custom) holds. Subset
/// comparison of these sets is the hierarchy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet([u64; WORDS]);

impl PermissionSet {
    pub fn of<P: Into<PermId>>(permissions: impl IntoIterator<Item = P>) -> Self {
        let mut set = Self::default();
        for p in permissions {
            let (w, b) = p.into().bit();
            set.0[w] |= b;
        }
        set
    }
    pub fn contains(self, p: impl Into<PermId>) -> bool {
        let (w, b) = p.into().bit();
        self.0[w] & b != 0
    }
    pub fn is_subset(self, of: PermissionSet) -> bool {
        self.0.iter().zip(of.0).all(|(a, b)| a & !b == 0)
    }
    /// Every permission of either set.
    pub fn union(self, other: PermissionSet) -> PermissionSet {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }
    /// The permissions of this set that `other` lacks, in catalogue order.
    pub fn beyond(self, other: PermissionSet) -> Vec<PermId> {
        self.iter().filter(|p| !other.contains(*p)).collect()
    }
    /// In catalogue order.
    pub fn iter(self) -> impl Iterator<Item = PermId> {
        current().all().filter(move |p| self.contains(*p))
    }
    /// The names, in catalogue order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(PermId::as_str).collect()
    }
    pub fn len(self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// The set in its stored form, over identities no catalogue change moves: the service's
    /// permissions by their place in [`Permission::ALL`] (append-only, held by a test), as bits
    /// of `u64` words without trailing zero words; the operator's by [`stable_id`], sorted.
    pub fn to_stable(self) -> (Vec<u64>, Vec<u32>) {
        self.to_stable_in(current())
    }
    fn to_stable_in(self, c: &Catalogue) -> (Vec<u64>, Vec<u32>) {
        let mut words = vec![0u64; SERVICE.div_ceil(64)];
        let mut operator = Vec::new();
        for i in 0..c.len() {
            if !self.contains(PermId(i as u16)) {
                continue;
            }
            if i < SERVICE {
                words[i / 64] |= 1u64 << (i % 64);
            } else {
                operator.push(c.operator_ids[i - SERVICE]);
            }
        }
        while words.last() == Some(&0) {
            words.pop();
        }
        operator.sort_unstable();
        (words, operator)
    }
    /// A stored set read back with the catalogue in force: a service bit past what this build
    /// knows, or an operator identity the catalogue no longer has, is held by nobody.
    pub fn from_stable(words: &[u64], operator: &[u32]) -> Self {
        Self::from_stable_in(current(), words, operator)
    }
    pub fn is_empty(self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    fn from_stable_in(c: &Catalogue, words: &[u64], operator: &[u32]) -> Self {
        let mut set = Self::default();
        for (w, word) in words.iter().enumerate() {
            for bit in 0..64 {
                let i = w * 64 + bit;
                if word & (1u64 << bit) != 0 && i < SERVICE {
                    let (sw, sb) = PermId(i as u16).bit();
                    set.0[sw] |= sb;
                }
            }
        }
        for id in operator {
            if let Some(i) = c.operator_ids.iter().position(|x| x == id) {
                let (sw, sb) = PermId((SERVICE + i) as u16).bit();
                set.0[sw] |= sb;
            }
        }
        set
    }
}

/// An operator permission's stable identity: the 32-bit FNV-1a hash of its name. Stored custom
/// roles name operator permissions by it, so reordering, adding or removing permissions in the
/// catalogue never moves another's; a catalogue with two names of one identity is refused.
pub fn stable_id(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl Role {
    /// Whether this role holds `p` (every role from its weakest holder up does).
    pub fn holds(self, p: PermId) -> bool {
        self.permission_set().contains(p)
    }
    /// Everything the role holds organization-wide, the operator's permissions included.
    pub fn permission_set(self) -> PermissionSet {
        current().role_sets[self.rank() as usize]
    }
}

impl ProjectRole {
    /// Whether this project role holds `p` inside its project.
    pub fn holds(self, p: PermId) -> bool {
        self.permission_set().contains(p)
    }
    /// Everything it holds inside its project, the operator's permissions included.
    pub fn permission_set(self) -> PermissionSet {
        current().project_role_sets[self.rank() as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "permissions": [
        {"name": "databases.create", "description": "Create databases.", "roles": ["developer"], "projectRoles": ["developer"]},
        {"name": "databases.read", "description": "See databases.", "roles": ["viewer"], "projectRoles": ["viewer"]},
        {"name": "gpu.quota.manage", "description": "Change GPU quotas.", "roles": []}
      ],
      "plans": [{"name": "free", "seatLimit": 2}, {"name": "team", "seatLimit": 25}, {"name": "enterprise", "seatLimit": null}],
      "defaultPlan": "free",
      "billingPortalUrl": "https://billing.example.com/portal"
    }"#;

    #[test]
    fn the_service_permissions_keep_their_places() {
        let listed: Vec<&str> = include_str!("permission-ids.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        let compiled: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert!(
            compiled.len() >= listed.len() && compiled[..listed.len()] == listed[..],
            "shared/model/src/permission-ids.txt: stored custom roles number the service's permissions by their place; append new permissions at the end of the list and of the file, never reorder or remove one"
        );
        assert_eq!(
            compiled.len(),
            listed.len(),
            "append the new permissions to shared/model/src/permission-ids.txt"
        );
    }

    #[test]
    fn a_stored_role_set_reads_back_the_same_whatever_the_catalogue_became() {
        let before = Catalogue::parse(EXAMPLE, "before").unwrap();
        // The operator reorders its permissions, drops one and adds another.
        let after = Catalogue::parse(
            &EXAMPLE
                .replace(r#"{"name": "databases.create", "description": "Create databases.", "roles": ["developer"], "projectRoles": ["developer"]},"#, "")
                .replace(r#"{"name": "gpu.quota.manage""#, r#"{"name": "new.thing", "description": "New.", "roles": []}, {"name": "databases.create", "description": "Create databases.", "roles": ["developer"]}, {"name": "gpu.quota.manage""#),
            "after",
        )
        .unwrap();
        let id = |c: &Catalogue, name: &str| {
            PermId((SERVICE + c.operator.iter().position(|o| o.name == name).unwrap()) as u16)
        };
        let set = PermissionSet::of([
            PermId::from(Permission::OrgRead),
            PermId::from(Permission::DnsManage),
            id(&before, "databases.create"),
            id(&before, "gpu.quota.manage"),
        ]);
        let (words, operator) = set.to_stable_in(&before);
        assert_eq!(words.len(), 1);
        assert_eq!(operator.len(), 2);
        let read = PermissionSet::from_stable_in(&after, &words, &operator);
        let expected = PermissionSet::of([
            PermId::from(Permission::OrgRead),
            PermId::from(Permission::DnsManage),
            id(&after, "databases.create"),
            id(&after, "gpu.quota.manage"),
        ]);
        assert_eq!(
            read, expected,
            "each permission is found again where the new catalogue put it"
        );
        assert!(!read.contains(id(&after, "new.thing")));
        // A removed permission is held by nobody; nothing else moves into its place.
        let without =
            Catalogue::parse(&EXAMPLE.replace("gpu.quota.manage", "gpu.other"), "w").unwrap();
        let read = PermissionSet::from_stable_in(&without, &words, &operator);
        assert!(!read.contains(id(&without, "gpu.other")));
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn two_operator_permissions_of_one_stable_identity_are_refused() {
        assert_eq!(stable_id("area.p553539"), stable_id("area.p1013182"));
        let doc = r#"{"permissions": [
            {"name": "area.p553539", "description": "One.", "roles": ["admin"]},
            {"name": "area.p1013182", "description": "Two.", "roles": ["admin"]}
        ]}"#;
        let problems = Catalogue::parse(doc, "collision").unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("stable identity")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_operator_catalogue_adds_permissions_and_replaces_the_plans() {
        let c = Catalogue::parse(EXAMPLE, "example").unwrap();
        assert_eq!(c.len(), Permission::ALL.len() + 3);
        let [db_create, db_read, gpu] = [&c.operator[0], &c.operator[1], &c.operator[2]];
        assert_eq!(db_create.min_role, Role::Developer);
        assert_eq!(db_create.min_project_role, Some(ProjectRole::Developer));
        assert_eq!(db_read.min_role, Role::Viewer);
        assert_eq!(
            gpu.min_role,
            Role::Owner,
            "no role listed: the owner's alone"
        );
        assert_eq!(gpu.min_project_role, None);
        // Each role's set is worked out once: the operator's permission from its weakest holder up.
        let (create, read) = (PermId(SERVICE as u16), PermId(SERVICE as u16 + 1));
        let set = |r: Role| c.role_sets[r.rank() as usize];
        assert!(set(Role::Developer).contains(create) && set(Role::Owner).contains(create));
        assert!(!set(Role::Viewer).contains(create) && set(Role::Viewer).contains(read));
        assert!(
            !set(Role::Admin).contains(PermId(SERVICE as u16 + 2)),
            "the owner's alone"
        );
        let project = |r: ProjectRole| c.project_role_sets[r.rank() as usize];
        assert!(project(ProjectRole::Developer).contains(create));
        assert!(!project(ProjectRole::Viewer).contains(create));
        assert!(project(ProjectRole::Viewer).contains(Permission::ProjectsRead));
        assert_eq!(c.plan("team").unwrap().seat_limit, Some(25));
        assert_eq!(c.plan("enterprise").unwrap().seat_limit, None);
        assert!(c.plan("pro").is_none(), "plans replace the built-in list");
        assert_eq!(
            c.billing_portal_url(),
            Some("https://billing.example.com/portal")
        );
        // Every plan of the built-in catalogue is gone from this one.
        assert_eq!(c.keeps_plans_of(&Catalogue::built_in()).len(), 3);
        assert!(c.keeps_plans_of(&c).is_empty());
    }

    #[test]
    fn a_bad_catalogue_is_refused_with_every_problem_named() {
        let bad = r#"{
          "permissions": [
            {"name": "members.read", "description": "mine now", "roles": ["viewer"]},
            {"name": "Databases", "description": "", "roles": ["guest", "boss"]},
            {"name": "x.y", "description": "ok", "projectRoles": ["owner"]},
            {"name": "x.y", "description": "twice"}
          ],
          "plans": [{"name": "free", "seatLimit": 0}],
          "defaultPlan": "gold",
          "billingPortalUrl": "ftp://x"
        }"#;
        let problems = Catalogue::parse(bad, "bad").unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "the service's own permission",
            "a name is `area.action`",
            "`description` is 1 to 500",
            "a guest holds nothing",
            "got `boss`",
            "got `owner`",
            "named twice",
            "`seatLimit` is at least 1",
            "`defaultPlan` (gold)",
            "`billingPortalUrl`",
        ] {
            assert!(all.contains(expected), "{expected}: {all}");
        }
        assert!(Catalogue::parse(r#"{"permissions": [], "extra": 1}"#, "x").is_err());
        assert!(Catalogue::parse(r#"{"defaultPlan": "free", "defaultPlan": "pro"}"#, "x").is_err());
        assert!(
            Catalogue::parse(r#"{"plans": [{"name": "team", "seatLimit": 9}]}"#, "x").unwrap_err()
                [0]
            .contains("defaultPlan")
        );
    }

    #[test]
    fn the_built_in_catalogue_is_the_compiled_matrix() {
        let c = Catalogue::built_in();
        assert_eq!(c.len(), Permission::ALL.len());
        for r in Role::ALL {
            let compiled = PermissionSet::of(r.permissions());
            assert_eq!(r.permission_set(), compiled, "{r}");
        }
        for r in ProjectRole::ALL {
            assert_eq!(
                r.permission_set(),
                PermissionSet::of(r.permissions()),
                "{r}"
            );
        }
        for p in Permission::ALL {
            let id = PermId::from(*p);
            assert_eq!(PermId::parse(p.as_str()), Some(id));
            assert_eq!(id.as_str(), p.as_str());
            assert_eq!(id.is_read(), p.is_read());
            assert_eq!(id.owner_only(), p.owner_only());
        }
    }

    #[test]
    fn permission_sets_compare_as_sets() {
        let viewer = Role::Viewer.permission_set();
        let admin = Role::Admin.permission_set();
        assert!(viewer.is_subset(admin) && !admin.is_subset(viewer));
        let odd = PermissionSet::of([Permission::OrgRead, Permission::BillingRead]);
        assert_eq!(
            odd.beyond(admin)
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["billing.read"]
        );
        assert_eq!(viewer.union(admin), admin);
        assert!(PermissionSet::default().is_empty());
    }
}
