//! The organization's custom roles (`customRoles`, by id; `rolesVersion`) and their holders
//! (`roleHolders`): the writes of a role's definition, the counts of what holds each role, and
//! the guard of a decision made on a custom role; and the roles resolved as the organization
//! defines them (what a role reference holds here, its name, who may hold what).

use super::OrgItem;
use crate::domain::RoleId;
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::{ProjectRole, Role, RoleRef};
use crate::roles::role::{CustomRole, HeldRole, Holder};
use crate::store::{Entity, Expr, Tx};
use std::collections::BTreeMap;

fn roles_changed() -> ApiError {
    ApiError::concurrent(
        "The organization's roles changed meanwhile (a role was created, changed or deleted); nothing changed. Reload and retry.",
    )
}

impl OrgItem {
    /// Every write of a role: the organization active and its roles as read.
    fn roles_as_read(&self) -> (String, Expr) {
        let (active, expr) = Self::active();
        let (version, version_expr) = self.roles_version_is(":rv");
        (
            format!("{active} AND {version}"),
            expr.value(":rv1", &(self.roles_version + 1))
                .merge(&version_expr),
        )
    }

    /// `rolesVersion` is as read (absent before the first role), with `placeholder` for its value.
    fn roles_version_is(&self, placeholder: &str) -> (String, Expr) {
        if self.roles_version == 0 {
            ("attribute_not_exists(rolesVersion)".into(), Expr::new())
        } else {
            (
                format!("rolesVersion = {placeholder}"),
                Expr::new().value(placeholder, &self.roles_version),
            )
        }
    }

    /// A new custom role (its name unique and the limit checked on the read; a role written
    /// meanwhile fails the version).
    pub fn role_created(&self, tx: Tx, id: &RoleId, role: &CustomRole) -> Result<Tx, ApiError> {
        let (cond, expr) = self.roles_as_read();
        let (set_role, expr) = match &self.custom_roles {
            Some(_) => (
                "customRoles.#cr = :role",
                expr.name("#cr", id.as_str()).value(":role", role),
            ),
            None => (
                "customRoles = :roles",
                expr.value(":roles", &BTreeMap::from([(id.to_string(), role.clone())])),
            ),
        };
        tx.update(
            self.key(),
            &format!("SET {set_role}, roleHolders = if_not_exists(roleHolders, :noholders), rolesVersion = :rv1"),
            Some(&cond),
            expr.value(":noholders", &BTreeMap::<String, i64>::new()),
            roles_changed(),
        )
    }

    /// A custom role's new definition, conditional on the roles as read.
    pub fn role_updated(&self, tx: Tx, id: &RoleId, role: &CustomRole) -> Result<Tx, ApiError> {
        let (cond, expr) = self.roles_as_read();
        tx.update(
            self.key(),
            "SET customRoles.#cr = :role, rolesVersion = :rv1",
            Some(&format!("{cond} AND attribute_exists(customRoles.#cr)")),
            expr.name("#cr", id.as_str()).value(":role", role),
            roles_changed(),
        )
    }

    /// A custom role deleted: only while nothing holds it (the counts are conditions of this
    /// write, so a holder added meanwhile makes it fail).
    pub fn role_deleted(&self, tx: Tx, id: &RoleId) -> Result<Tx, ApiError> {
        let (mut cond, mut expr) = self.roles_as_read();
        cond.push_str(" AND attribute_exists(customRoles.#cr)");
        let mut removals = vec!["customRoles.#cr".to_string()];
        expr = expr.name("#cr", id.as_str()).value(":zero", &0);
        for (i, holder) in Holder::ALL.iter().enumerate() {
            let name = format!("#hk{i}");
            cond.push_str(&format!(
                " AND (attribute_not_exists(roleHolders.{name}) OR roleHolders.{name} = :zero)"
            ));
            removals.push(format!("roleHolders.{name}"));
            expr = expr.name(&name, &holder.count_key(id));
        }
        tx.update(
            self.key(),
            &format!("SET rolesVersion = :rv1 REMOVE {}", removals.join(", ")),
            Some(&cond),
            expr,
            ApiError::concurrent(
                "The organization's roles changed, or the role was given to someone, meanwhile; nothing changed. Reload and retry.",
            ),
        )
    }

    /// Counts holders given (`+n`) or taken (`-n`) a custom role in this transaction (system
    /// roles are not counted), in the same write as the transaction's other change of the
    /// organization. Giving a role is conditional on its definition as read (the decision was
    /// made on its permissions); taking one on its existence. A role this organization does not
    /// define (as read) has nothing to take.
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
        let mut deltas: BTreeMap<(RoleId, Holder), i64> = BTreeMap::new();
        for (id, holder, n) in changes {
            *deltas.entry((id.clone(), holder)).or_default() += n;
        }
        deltas.retain(|(id, _), n| *n != 0 && (*n > 0 || self.custom_role(id).is_some()));
        if deltas.is_empty() {
            return Ok(tx);
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
                let def = self.custom_role(id).ok_or_else(|| {
                    ApiError::internal(format!(
                        "giving {id}, which {} does not define",
                        self.org_id
                    ))
                })?;
                conds.push(format!("customRoles.#{p}.version = :{p}v"));
                expr = expr.value(&format!(":{p}v"), &def.version);
            } else {
                conds.push(format!("attribute_exists(customRoles.#{p})"));
            }
        }
        tx.update(
            self.key(),
            &format!("SET {}", sets.join(", ")),
            Some(&conds.join(" AND ")),
            expr,
            ApiError::concurrent(
                "A custom role this change gives or takes was changed or deleted meanwhile; nothing changed. Reload and retry.",
            ),
        )
    }

    /// Guards a transaction: the custom role a decision was made on is still defined as read
    /// (placeholders named after the role, so the caller's role and a target's can both be guarded).
    pub fn guard_custom_role(
        &self,
        tx: Tx,
        id: &RoleId,
        version: u64,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        let p = format!("g_cr_{}", id.as_str().trim_start_matches(RoleId::PREFIX));
        tx.guard(
            self.key(),
            &format!("customRoles.#{p}.version = :{p}v"),
            Expr::new()
                .name(&format!("#{p}"), id.as_str())
                .value(&format!(":{p}v"), &version),
            on_fail,
        )
    }

    /// Guards a transaction: no custom role was created, changed or deleted since the read.
    pub fn guard_roles_unchanged(&self, tx: Tx, on_fail: ApiError) -> Result<Tx, ApiError> {
        let (cond, expr) = self.roles_version_is(":g_rv");
        tx.guard(self.key(), &cond, expr, on_fail)
    }
}

impl OrgItem {
    /// The organization's custom role `id`, if it defines one.
    pub fn custom_role(&self, id: &RoleId) -> Option<&CustomRole> {
        self.custom_roles.as_ref().and_then(|m| m.get(id.as_str()))
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
            self.custom_roles_iter()
                .map(|(id, def)| HeldRole::custom(&id, def)),
        )
    }
    /// The custom roles in id order.
    pub fn custom_roles_iter(&self) -> impl Iterator<Item = (RoleId, &CustomRole)> {
        self.custom_roles
            .iter()
            .flatten()
            .filter_map(|(id, def)| RoleId::parse(id).map(|id| (id, def)))
    }
    /// How many `holder`s hold custom role `id` (as read).
    pub fn holders_of(&self, id: &RoleId, holder: Holder) -> i64 {
        self.role_holders
            .get(&holder.count_key(id))
            .copied()
            .unwrap_or_default()
    }
    /// A role a request names (`field`): a system role's name or one of this organization's
    /// custom roles' ids.
    pub fn role_asked(&self, field: &str, raw: &str) -> ApiResult<HeldRole> {
        let known = || {
            let mut names: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
            names.extend(
                self.custom_roles_iter()
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
