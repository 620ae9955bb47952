//! Projects and the grants on them. A project's grants (team and user principals, their project
//! role, who granted, when) live in a map on the project item, so the access read of a project
//! route (the organization, the caller's membership, the project: one BatchGetItem) already holds
//! every grant that can reach the caller.

use crate::body::Parsed;
use crate::domain::{Description, DisplayName, OrgId, ProjectId, TeamId, Timestamp, UserId};
use crate::error::{ApiError, Code};
use crate::permissions::ProjectRole;
use crate::store::org_pk;
use crate::store::{Entity, Expr, Key, QuerySpec, SortCond, Tx};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PROJECT_PREFIX: &str = "PROJECT#";

/// Who a grant is for: `user:<userId>` or `team:<teamId>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Principal {
    User(UserId),
    Team(TeamId),
}

impl Principal {
    pub fn parse(raw: &str) -> Option<Principal> {
        let (kind, id) = raw.split_once(':')?;
        match kind {
            "user" => UserId::parse("principal", id).ok().map(Principal::User),
            "team" => TeamId::parse(id).map(Principal::Team),
            _ => None,
        }
    }
    /// A `{principal}` path segment: as sent, or percent-encoded (`team%3A<id>`: generated
    /// clients encode the colon, and API Gateway passes path parameters as they came).
    pub fn from_path(raw: &str) -> Option<Principal> {
        Self::parse(raw).or_else(|| Self::parse(&percent_decoded(raw)?))
    }
    pub fn as_string(&self) -> String {
        match self {
            Principal::User(u) => format!("user:{}", u.as_str()),
            Principal::Team(t) => format!("team:{}", t.as_str()),
        }
    }
}

/// `raw` with each `%XX` decoded, if that is UTF-8 (`None` for a malformed escape).
fn percent_decoded(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A project role granted to a principal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub role: ProjectRole,
    pub granted_by: UserId,
    pub granted_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub project_id: ProjectId,
    pub name: DisplayName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// principal (`user:<id>` / `team:<id>`) -> grant. Always stored (an empty map too), so a
    /// grant is one `SET grants.#p`.
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
    /// Bumped by every grant change: deleting the project requires the grants it read.
    #[serde(default)]
    version: u64,
}

impl Entity for ProjectItem {
    const TYPE: &'static str = "project";
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.project_id)
    }
}

pub fn project_not_found() -> ApiError {
    ApiError::new(
        Code::ProjectNotFound,
        "No project with this id in the organization.",
    )
}

fn changed() -> ApiError {
    ApiError::concurrent("The project or its access changed meanwhile; reload and retry.")
}

/// Changes to a project's or a team's own fields.
pub struct NameChanges {
    pub name: Option<DisplayName>,
    /// `Some(None)` removes the description.
    pub description: Option<Option<Description>>,
}

impl NameChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none()
    }
    /// The update expression: `updatedAt` always, then what changes.
    pub fn expression(&self, now: Timestamp) -> (String, Expr) {
        let mut sets = vec!["updatedAt = :now"];
        let mut expr = Expr::new().value(":now", &now);
        let mut remove = "";
        if let Some(name) = &self.name {
            sets.push("#name = :name");
            expr = expr.value(":name", name).name("#name", "name");
        }
        match &self.description {
            Some(Some(d)) => {
                sets.push("description = :d");
                expr = expr.value(":d", d);
            }
            Some(None) => remove = " REMOVE description",
            None => {}
        }
        (format!("SET {}{remove}", sets.join(", ")), expr)
    }
}

impl ProjectItem {
    pub fn key_of(org: &OrgId, project: &ProjectId) -> Key {
        Key::new(org_pk(org), format!("{PROJECT_PREFIX}{}", project.as_str()))
    }
    /// The key of the project a path, body or query names, if it can be a project id.
    pub fn key_in(org: &OrgId, raw: &str) -> Option<Key> {
        ProjectId::parse(raw).map(|p| Self::key_of(org, &p))
    }

    /// A new project; its creator's grant, if any, is in `grants` from the start.
    pub fn new(
        org: &OrgId,
        name: DisplayName,
        description: Option<Description>,
        creator: &UserId,
        creator_grant: bool,
        now: Timestamp,
    ) -> Self {
        let project_id = ProjectId::new();
        let key = Self::key_of(org, &project_id);
        let mut grants = BTreeMap::new();
        if creator_grant {
            grants.insert(
                Principal::User(creator.clone()).as_string(),
                Grant {
                    role: ProjectRole::Admin,
                    granted_by: creator.clone(),
                    granted_at: now,
                },
            );
        }
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            project_id,
            name,
            description,
            created_by: creator.clone(),
            created_at: now,
            updated_at: now,
            grants,
            version: 0,
        }
    }

    pub fn grant_of(&self, principal: &Principal) -> Option<&Grant> {
        self.grants.get(&principal.as_string())
    }

    /// The grants as principals, in principal order.
    pub fn principals(&self) -> impl Iterator<Item = (Principal, &Grant)> {
        self.grants
            .iter()
            .filter_map(|(p, g)| Principal::parse(p).map(|p| (p, g)))
    }

    pub fn create(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put_new(self, ApiError::internal("project id collision"))
    }

    /// Renames or re-describes the project (it must still exist).
    pub fn update(&self, tx: Tx, changes: &NameChanges, now: Timestamp) -> Result<Tx, ApiError> {
        let (update, expr) = changes.expression(now);
        tx.update(
            self.key(),
            &update,
            Some("attribute_exists(PK)"),
            expr,
            project_not_found(),
        )
    }

    /// Deletes the project, conditional on its grants as read (the principals' own records of
    /// them are the caller's to remove in the same transaction).
    pub fn delete(&self, tx: Tx) -> Result<Tx, ApiError> {
        Ok(tx
            .delete(
                self.key(),
                Some("version = :v"),
                Expr::new().value(":v", &self.version),
                changed(),
            )?
            .or_if_missing(project_not_found()))
    }

    /// Grants `principal` a role, replacing the grant read, within the limit of grants per project.
    pub fn put_grant(
        &self,
        tx: Tx,
        principal: &Principal,
        grant: &Grant,
        max: usize,
    ) -> Result<Tx, ApiError> {
        let expr = Expr::new()
            .value(":g", grant)
            .value(":zero", &0u64)
            .value(":one", &1u64)
            .name("#p", &principal.as_string());
        // The limit is checked on the read first; a failure here is a change meanwhile.
        let (condition, expr) = match self.grant_of(principal) {
            Some(previous) => (
                "grants.#p.#role = :prev",
                expr.value(":prev", &previous.role).name("#role", "role"),
            ),
            None => (
                "attribute_exists(PK) AND attribute_not_exists(grants.#p) AND size(grants) < :max",
                expr.value(":max", &max),
            ),
        };
        tx.update(
            self.key(),
            "SET grants.#p = :g, version = if_not_exists(version, :zero) + :one",
            Some(condition),
            expr,
            changed(),
        )
    }

    /// Revokes `principal`'s grant, conditional on the grant read.
    pub fn remove_grant(
        &self,
        tx: Tx,
        principal: &Principal,
        role: ProjectRole,
    ) -> Result<Tx, ApiError> {
        tx.update(
            self.key(),
            "REMOVE grants.#p SET version = if_not_exists(version, :zero) + :one",
            Some("grants.#p.#role = :prev"),
            Expr::new()
                .value(":prev", &role)
                .value(":zero", &0u64)
                .value(":one", &1u64)
                .name("#p", &principal.as_string())
                .name("#role", "role"),
            changed(),
        )
    }

    /// A grant to a principal who has just joined (an invitation's project), by key: the project
    /// must still exist and have room.
    pub fn grant_new(
        tx: Tx,
        org: &OrgId,
        project: &ProjectId,
        principal: &Principal,
        grant: &Grant,
        max: usize,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, project),
            "SET grants.#p = :g, version = if_not_exists(version, :zero) + :one",
            Some(
                "attribute_exists(PK) AND attribute_not_exists(grants.#p) AND size(grants) < :max",
            ),
            Expr::new()
                .value(":g", grant)
                .value(":max", &max)
                .value(":zero", &0u64)
                .value(":one", &1u64)
                .name("#p", &principal.as_string()),
            on_fail,
        )
    }

    /// Removes a principal's grant by key, when the principal goes (a member removed, a team
    /// deleted): the principal's record says the grant is there, so it must be.
    pub fn grant_gone(
        tx: Tx,
        org: &OrgId,
        project: &ProjectId,
        principal: &Principal,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(org, project),
            "REMOVE grants.#p SET version = if_not_exists(version, :zero) + :one",
            Some("attribute_exists(grants.#p)"),
            Expr::new()
                .value(":zero", &0u64)
                .value(":one", &1u64)
                .name("#p", &principal.as_string()),
            on_fail,
        )
    }

    /// The project exists when the transaction commits (an invitation naming it).
    pub fn require_exists(tx: Tx, org: &OrgId, project: &ProjectId) -> Result<Tx, ApiError> {
        tx.check(
            Self::key_of(org, project),
            "attribute_exists(PK)",
            Expr::new(),
            project_not_found().with("projectId", project.as_str()),
        )
    }

    /// Guards a transaction: `principal` still holds `role` on this project when it commits (the
    /// caller's access through that grant).
    pub fn guard_grant(
        &self,
        tx: Tx,
        principal: &Principal,
        role: ProjectRole,
        on_fail: ApiError,
    ) -> Result<Tx, ApiError> {
        tx.guard(
            self.key(),
            "grants.#gp.#grole = :gprole",
            Expr::new()
                .value(":gprole", &role)
                .name("#gp", &principal.as_string())
                .name("#grole", "role"),
            on_fail,
        )
    }

    /// One page of the organization's projects.
    pub fn page_of_org(
        org: &OrgId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<QuerySpec, ApiError> {
        QuerySpec::new(
            org_pk(org),
            SortCond::BeginsWith(PROJECT_PREFIX.into()),
            limit,
        )
        .after(cursor)
    }
}

/// The body that creates a team or a project: `{name, description?}`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNamed {
    pub name: Parsed<DisplayName>,
    pub description: Option<Parsed<Description>>,
}

impl CreateNamed {
    pub fn into_parts(self) -> (DisplayName, Option<Description>) {
        (
            self.name.into_inner(),
            self.description.map(Parsed::into_inner),
        )
    }
}

/// The body of `PATCH` on a project or a team: `{name?, description?}`, at least one.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schemars(extend("minProperties" = 1)))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateNamed {
    name: Option<Parsed<DisplayName>>,
    /// `null` removes the description.
    #[serde(default, deserialize_with = "crate::json::explicit_null")]
    description: Option<Option<Parsed<Description>>>,
}

impl UpdateNamed {
    /// The changes; 400 `nothing_to_update` when there are none.
    pub fn changes(self) -> crate::error::ApiResult<NameChanges> {
        let changes = NameChanges {
            name: self.name.map(Parsed::into_inner),
            description: self.description.map(|d| d.map(Parsed::into_inner)),
        };
        if changes.is_empty() {
            return Err(ApiError::new(
                Code::NothingToUpdate,
                "Send at least one of `name`, `description`.",
            ));
        }
        Ok(changes)
    }
}
