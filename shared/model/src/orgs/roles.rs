//! The organization's custom roles as its item embeds them ([`CustomRoles`]: the definitions by id
//! in `customRoles`, `rolesVersion`, the holders' counts in `roleHolders`): their reads, and each
//! write as a fragment of the organization's one write ([`OrgWrite`]) conditional on the roles as
//! read; then the roles resolved as the organization defines them (what a role reference holds
//! here, its name, who may hold what).

use super::{OrgItem, OrgWrite};
use crate::domain::RoleId;
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::{ProjectRole, Role, RoleRef};
use crate::roles::role::{CustomRole, HeldRole, Holder};
use crate::store::{Entity, Expr, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn roles_changed() -> ApiError {
    ApiError::concurrent(
        "The organization's roles changed meanwhile (a role was created, changed or deleted); nothing changed. Reload and retry.",
    )
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An organization's custom roles, embedded in its item (the access read brings them: no extra
/// request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomRoles {
    /// The definitions by id (`None` until the first one is created).
    #[serde(
        rename = "customRoles",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    defs: Option<BTreeMap<String, CustomRole>>,
    /// Bumped by every write of a custom role, each conditional on the version it read: names
    /// stay unique and the limit holds under parallel writes.
    #[serde(rename = "rolesVersion", default, skip_serializing_if = "is_zero")]
    version: u64,
    /// How many members, pending invitations and API keys hold each custom role
    /// (`<roleId>:members|invitations|apiKeys`), kept by the writes that give or take one.
    #[serde(
        rename = "roleHolders",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    holders: BTreeMap<String, i64>,
}

impl CustomRoles {
    /// Whether the organization defines any (or ever did: the map stays once created).
    pub fn any(&self) -> bool {
        self.defs.is_some()
    }
    /// The custom role `id`, if the organization defines one.
    pub fn get(&self, id: &RoleId) -> Option<&CustomRole> {
        self.defs.as_ref().and_then(|m| m.get(id.as_str()))
    }
    /// The custom roles in id order.
    pub fn iter(&self) -> impl Iterator<Item = (RoleId, &CustomRole)> {
        self.defs
            .iter()
            .flatten()
            .filter_map(|(id, def)| RoleId::parse(id).map(|id| (id, def)))
    }
    /// How many `holder`s hold custom role `id` (as read).
    pub fn holders_of(&self, id: &RoleId, holder: Holder) -> i64 {
        self.holders
            .get(&holder.count_key(id))
            .copied()
            .unwrap_or_default()
    }

    /// `rolesVersion` is as read (absent before the first role), with `placeholder` for its value.
    fn version_is(&self, placeholder: &str) -> (String, Expr) {
        if self.version == 0 {
            ("attribute_not_exists(rolesVersion)".into(), Expr::new())
        } else {
            (
                format!("rolesVersion = {placeholder}"),
                Expr::new().value(placeholder, &self.version),
            )
        }
    }

    /// A write of a role's definition: on the roles as read, bumping their version.
    fn write(&self, set: &str, cond: Option<&str>, expr: Expr, on_fail: ApiError) -> OrgWrite {
        let (version, version_expr) = self.version_is(":rv");
        let cond = match cond {
            Some(c) => format!("{version} AND {c}"),
            None => version,
        };
        OrgWrite::new(
            format!("SET {set}, rolesVersion = :rv1"),
            Some(cond),
            expr.value(":rv1", &(self.version + 1)).merge(&version_expr),
            on_fail,
        )
    }

    /// A new custom role (its name unique and the limit checked on the read; a role written
    /// meanwhile fails the version).
    pub fn created(&self, id: &RoleId, role: &CustomRole) -> OrgWrite {
        let (set_role, expr) = match &self.defs {
            Some(_) => (
                "customRoles.#cr = :role",
                Expr::new().name("#cr", id.as_str()).value(":role", role),
            ),
            None => (
                "customRoles = :roles",
                Expr::new().value(":roles", &BTreeMap::from([(id.to_string(), role.clone())])),
            ),
        };
        self.write(
            &format!("{set_role}, roleHolders = if_not_exists(roleHolders, :noholders)"),
            None,
            expr.value(":noholders", &BTreeMap::<String, i64>::new()),
            roles_changed(),
        )
    }

    /// A custom role's new definition.
    pub fn updated(&self, id: &RoleId, role: &CustomRole) -> OrgWrite {
        self.write(
            "customRoles.#cr = :role",
            Some("attribute_exists(customRoles.#cr)"),
            Expr::new().name("#cr", id.as_str()).value(":role", role),
            roles_changed(),
        )
    }

    /// A custom role deleted: only while nothing holds it (the counts are conditions of this
    /// write, so a holder added meanwhile makes it fail).
    pub fn deleted(&self, id: &RoleId) -> OrgWrite {
        let mut cond = String::from("attribute_exists(customRoles.#cr)");
        let mut removals = vec!["customRoles.#cr".to_string()];
        let mut expr = Expr::new().name("#cr", id.as_str()).value(":zero", &0);
        for (i, holder) in Holder::ALL.iter().enumerate() {
            let name = format!("#hk{i}");
            cond.push_str(&format!(
                " AND (attribute_not_exists(roleHolders.{name}) OR roleHolders.{name} = :zero)"
            ));
            removals.push(format!("roleHolders.{name}"));
            expr = expr.name(&name, &holder.count_key(id));
        }
        let (version, version_expr) = self.version_is(":rv");
        OrgWrite::new(
            format!("SET rolesVersion = :rv1 REMOVE {}", removals.join(", ")),
            Some(format!("{version} AND {cond}")),
            expr.value(":rv1", &(self.version + 1)).merge(&version_expr),
            ApiError::concurrent(
                "The organization's roles changed, or the role was given to someone, meanwhile; nothing changed. Reload and retry.",
            ),
        )
    }

    /// Holders of custom roles given (`+n`) or taken (`-n`), by id: `None` when nothing changes.
    /// Giving a role is conditional on its definition as read (the decision was made on its
    /// permissions); taking one on its existence. A role this organization does not define (as
    /// read) has nothing to take.
    pub fn counted<'a>(
        &self,
        org: &crate::domain::OrgId,
        changes: impl IntoIterator<Item = (&'a RoleId, Holder, i64)>,
    ) -> Result<Option<OrgWrite>, ApiError> {
        let mut deltas: BTreeMap<(RoleId, Holder), i64> = BTreeMap::new();
        for (id, holder, n) in changes {
            *deltas.entry((id.clone(), holder)).or_default() += n;
        }
        deltas.retain(|(id, _), n| *n != 0 && (*n > 0 || self.get(id).is_some()));
        if deltas.is_empty() {
            return Ok(None);
        }
        // Placeholders named after what they count. Two counts in one transaction (a use taken
        // from an invitation, a member given the role) are two fragments of the organization's
        // one write, each with its own placeholders (`Tx`); their paths must differ.
        let tag = |id: &RoleId| id.as_str().trim_start_matches(RoleId::PREFIX).to_string();
        let mut sets = Vec::new();
        let mut conds = Vec::new();
        let mut expr = Expr::new().value(":hc_zero", &0);
        let mut given: BTreeMap<RoleId, bool> = BTreeMap::new();
        for ((id, holder), n) in &deltas {
            let p = format!("hc_{}_{}", tag(id), *holder as u8);
            sets.push(format!(
                "roleHolders.#{p} = if_not_exists(roleHolders.#{p}, :hc_zero) + :{p}"
            ));
            expr = expr
                .name(&format!("#{p}"), &holder.count_key(id))
                .value(&format!(":{p}"), n);
            *given.entry(id.clone()).or_default() |= *n > 0;
        }
        for (id, gives) in &given {
            let p = format!("hr_{}", tag(id));
            expr = expr.name(&format!("#{p}"), id.as_str());
            if *gives {
                let def = self.get(id).ok_or_else(|| {
                    ApiError::internal(format!("giving {id}, which {org} does not define"))
                })?;
                conds.push(format!("customRoles.#{p}.version = :{p}v"));
                expr = expr.value(&format!(":{p}v"), &def.version);
            } else {
                conds.push(format!("attribute_exists(customRoles.#{p})"));
            }
        }
        Ok(Some(OrgWrite::new(
            format!("SET {}", sets.join(", ")),
            Some(conds.join(" AND ")),
            expr,
            ApiError::concurrent(
                "A custom role this change gives or takes was changed or deleted meanwhile; nothing changed. Reload and retry.",
            ),
        )))
    }

    /// The condition that custom role `id` is still defined as read at `version` (placeholders
    /// named after the role, so the caller's role and a target's can both be guarded).
    pub fn still_defined(id: &RoleId, version: u64) -> (String, Expr) {
        let p = format!("g_cr_{}", id.as_str().trim_start_matches(RoleId::PREFIX));
        (
            format!("customRoles.#{p}.version = :{p}v"),
            Expr::new()
                .name(&format!("#{p}"), id.as_str())
                .value(&format!(":{p}v"), &version),
        )
    }

    /// The condition that no custom role was created, changed or deleted since the read.
    pub fn unchanged(&self) -> (String, Expr) {
        self.version_is(":g_rv")
    }
}

impl OrgItem {
    /// A new custom role, while the organization is active.
    pub fn role_created(&self, tx: Tx, id: &RoleId, role: &CustomRole) -> Result<Tx, ApiError> {
        self.apply(tx, self.custom_roles.created(id, role).while_active())
    }

    /// A custom role's new definition, while the organization is active.
    pub fn role_updated(&self, tx: Tx, id: &RoleId, role: &CustomRole) -> Result<Tx, ApiError> {
        self.apply(tx, self.custom_roles.updated(id, role).while_active())
    }

    /// A custom role deleted (nothing holding it), while the organization is active.
    pub fn role_deleted(&self, tx: Tx, id: &RoleId) -> Result<Tx, ApiError> {
        self.apply(tx, self.custom_roles.deleted(id).while_active())
    }

    /// Counts holders given (`+n`) or taken (`-n`) a custom role in this transaction (system
    /// roles are not counted), in the same write as the transaction's other change of the
    /// organization ([`CustomRoles::counted`]).
    pub fn count_holders(
        &self,
        tx: Tx,
        changes: &[(&RoleRef, Holder, i64)],
    ) -> Result<Tx, ApiError> {
        self.count_custom_holders(
            tx,
            changes
                .iter()
                .filter_map(|(role, holder, n)| role.custom().map(|id| (id, *holder, *n))),
        )
    }

    /// [`Self::count_holders`] of custom roles by id (what seat holds name).
    pub(super) fn count_custom_holders<'a>(
        &self,
        tx: Tx,
        changes: impl IntoIterator<Item = (&'a RoleId, Holder, i64)>,
    ) -> Result<Tx, ApiError> {
        match self.custom_roles.counted(&self.org_id, changes)? {
            Some(write) => self.apply(tx, write),
            None => Ok(tx),
        }
    }

    /// Guards a transaction: the custom role a decision was made on is still defined as read.
    pub fn guard_custom_role(
        &self,
        tx: Tx,
        id: &RoleId,
        version: u64,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let (cond, expr) = CustomRoles::still_defined(id, version);
        tx.guard(self.key(), &cond, expr, on_fail)
    }

    /// Guards a transaction: no custom role was created, changed or deleted since the read.
    pub fn guard_roles_unchanged(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        let (cond, expr) = self.custom_roles.unchanged();
        tx.guard(self.key(), &cond, expr, on_fail)
    }
}

impl OrgItem {
    /// The organization's custom role `id`, if it defines one.
    pub fn custom_role(&self, id: &RoleId) -> Option<&CustomRole> {
        self.custom_roles.get(id)
    }
    /// `role` resolved here; `None` for a custom role the organization does not define.
    pub fn resolve(&self, role: &RoleRef) -> Option<HeldRole> {
        match role {
            RoleRef::System(r) => Some(HeldRole::system(*r)),
            RoleRef::Custom(id) => self.custom_role(id).map(|def| HeldRole::custom(id, def)),
        }
    }
    /// `role` as an item holds it: a role that does not resolve is a broken invariant (deleting
    /// a held role is refused), reported as our fault, never decided as "no permissions".
    pub fn held(&self, role: &RoleRef) -> ApiResult<HeldRole> {
        self.resolve(role).ok_or_else(|| {
            ApiError::internal(format!(
                "{} holds the role {role}, which it does not define",
                self.org_id
            ))
        })
    }
    /// The name views show next to a role (`roleName`).
    pub fn role_name(&self, role: &RoleRef) -> String {
        match role {
            RoleRef::System(r) => r.as_str().to_string(),
            RoleRef::Custom(id) => self
                .custom_role(id)
                .map_or_else(|| id.to_string(), |d| d.name.clone()),
        }
    }
    /// The project role an invitation or API key limited to projects gives with `role` on each
    /// of them ([`HeldRole::for_projects`]; viewer for a role that does not resolve).
    pub fn project_role_for(&self, role: &RoleRef) -> ProjectRole {
        self.resolve(role)
            .map_or(ProjectRole::Viewer, |h| h.for_projects())
    }
    /// Every role of the organization, resolved: the six system roles, then its custom roles in
    /// id order (what a rule that names the roles able to do something chooses from).
    pub fn roles(&self) -> impl Iterator<Item = HeldRole> + '_ {
        Role::ALL.into_iter().map(HeldRole::system).chain(
            self.custom_roles
                .iter()
                .map(|(id, def)| HeldRole::custom(&id, def)),
        )
    }
    /// A role a request names (`field`): a system role's name or one of this organization's
    /// custom roles' ids.
    pub fn role_asked(&self, field: &str, raw: &str) -> ApiResult<HeldRole> {
        let known = || {
            let mut names: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
            names.extend(
                self.custom_roles
                    .iter()
                    .map(|(id, d)| format!("{id} ({})", d.name)),
            );
            names.join(", ")
        };
        match RoleRef::parse(raw) {
            Some(RoleRef::Custom(id)) if self.custom_role(&id).is_none() => Err(ApiError::new(
                Code::RoleNotFound,
                format!("`{field}`: this organization has no role `{id}`; GET /orgs/{{orgId}}/roles lists its roles."),
            )
            .with("field", field)),
            Some(role) => self.held(&role),
            None => Err(ApiError::validation(
                field,
                format!("`{field}` must be a system role or a custom role's id: one of {} (got `{}`).", known(), crate::domain::shown(raw)),
            )),
        }
    }
}
