//! What a role is: a custom role's stored definition, what holds it, and a role resolved to the
//! permissions a decision uses. Imports nothing of the organization (its item stores these).

use crate::catalogue::{PermId, PermissionSet};
use crate::domain::{RoleId, Timestamp, UserId};
use crate::permissions::{ProjectRole, Role, RoleRef};
use serde::{Deserialize, Serialize};

/// A custom role as stored in the organization item's `customRoles` map (by id): what a
/// decision uses. What only the role routes show is on its own item (`roles::item::RoleItem`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomRole {
    pub name: String,
    /// Its permissions (never empty: `org.read` is always part of a role), stored compact over
    /// the catalogue's stable identities ([`RolePermissions`]).
    pub permissions: RolePermissions,
    /// The project role it gives on every project (`None`: none, like a guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_role: Option<ProjectRole>,
    /// Bumped by every change: what a decision made on this role is conditional on.
    pub version: u64,
    /// A role written before its own item existed kept these here; read, never written again
    /// (its next change moves them to its item).
    #[serde(flatten, default, skip_serializing)]
    pub legacy: Option<LegacyRoleDetails>,
}

/// What a role written before `RoleItem` kept on the organization item.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LegacyRoleDetails {
    #[serde(default)]
    pub description: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CustomRole {
    /// Its permissions as the catalogue in force knows them (a permission the operator removed
    /// from the catalogue is held by nobody).
    pub fn permission_set(&self) -> PermissionSet {
        self.permissions.0
    }
}

/// A custom role's permissions. Stored as `{s, o}`: the service's permissions as bits of `u64`
/// words by their place in the compiled list, the operator's as their 32-bit stable identities
/// ([`crate::catalogue::stable_id`]): about 30 bytes for a role that holds nearly everything,
/// where its names took over a kilobyte, on the item every request reads. Read back with the
/// catalogue in force; a role stored as names (before this form) reads as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RolePermissions(pub PermissionSet);

impl RolePermissions {
    /// The names, in catalogue order (what views and audit entries show).
    pub fn names(&self) -> Vec<&'static str> {
        self.0.names()
    }
    /// The names in alphabetical order (what audit entries record).
    pub fn sorted_names(&self) -> Vec<&'static str> {
        let mut names = self.names();
        names.sort_unstable();
        names
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredPermissions {
    Compact {
        s: Vec<u64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        o: Vec<u32>,
    },
    Names(Vec<String>),
}

impl Serialize for RolePermissions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (s, o) = self.0.to_stable();
        StoredPermissions::Compact { s, o }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RolePermissions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match StoredPermissions::deserialize(deserializer)? {
            StoredPermissions::Compact { s, o } => PermissionSet::from_stable(&s, &o),
            StoredPermissions::Names(names) => {
                PermissionSet::of(names.iter().filter_map(|p| PermId::parse(p)))
            }
        }))
    }
}

/// What holds a custom role, counted on the organization item by every write that adds or takes
/// a holder (so deleting a held role is refused by the deletion's own condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Members,
    Invitations,
    ApiKeys,
    /// A verified domain's enrollment gives the role to whoever joins through it.
    Enrollments,
}

impl Holder {
    pub const ALL: [Holder; 4] = [
        Holder::Members,
        Holder::Invitations,
        Holder::ApiKeys,
        Holder::Enrollments,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Members => "members",
            Holder::Invitations => "invitations",
            Holder::ApiKeys => "apiKeys",
            Holder::Enrollments => "enrollments",
        }
    }
    /// The key of a role's count of this holder in the organization item's `roleHolders` map.
    pub fn count_key(self, role: &RoleId) -> String {
        format!("{role}:{}", self.as_str())
    }
}

/// A role resolved against its organization: what it holds, as the decision uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldRole {
    pub role: RoleRef,
    pub name: String,
    pub permissions: PermissionSet,
    /// The project role it gives on every project.
    pub project_role: Option<ProjectRole>,
    /// A custom role's version as read (the decision is conditional on it).
    pub version: Option<u64>,
}

impl HeldRole {
    pub fn system(role: Role) -> Self {
        Self {
            role: RoleRef::System(role),
            name: role.as_str().to_string(),
            permissions: role.permission_set(),
            project_role: role.project_role(),
            version: None,
        }
    }
    pub fn custom(id: &RoleId, def: &CustomRole) -> Self {
        Self {
            role: RoleRef::Custom(id.clone()),
            name: def.name.clone(),
            permissions: def.permission_set(),
            project_role: def.project_role,
            version: Some(def.version),
        }
    }
    pub fn has(&self, permission: impl Into<PermId>) -> bool {
        self.permissions.contains(permission)
    }
    pub fn is(&self, role: Role) -> bool {
        self.role.is(role)
    }
    /// The hierarchy rule: `other` is at or below this role when its permissions are a subset
    /// of these and its project role is not above this one's. Between system roles that is rank
    /// order; two incomparable custom roles are not below each other.
    pub fn covers(&self, other: &HeldRole) -> bool {
        other.permissions.is_subset(self.permissions) && other.project_role <= self.project_role
    }
    /// The project role an invitation or API key limited to projects gives with this role on each
    /// of them: a system role's `ProjectRole::for_invited`, a custom role's project role (viewer
    /// when it gives none).
    pub fn for_projects(&self) -> ProjectRole {
        match self.role {
            RoleRef::System(r) => ProjectRole::for_invited(r),
            RoleRef::Custom(_) => self.project_role.unwrap_or(ProjectRole::Viewer),
        }
    }
    /// What this role holds inside any project on its own (no grant): its organization-wide
    /// permissions and those of the project role it gives on every project.
    pub fn in_every_project(&self) -> PermissionSet {
        match self.project_role {
            Some(r) => self.permissions.union(r.permission_set()),
            None => self.permissions,
        }
    }
    /// The hierarchy rule in the projects a deferred grant is limited to (an invitation's, an API
    /// key's): the project role `given` gives there is within what this role holds in every
    /// project by itself. Grants that reach the holder on one project do not count: a deferred
    /// grant is checked again when it is used, against the giver's role as it is then, and a
    /// project's own admins grant it through its access route instead.
    pub fn covers_in_projects(&self, given: ProjectRole) -> bool {
        given.permission_set().is_subset(self.in_every_project())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Permission;

    #[test]
    fn role_permissions_are_stored_compact_and_read_back_from_either_form() {
        use aws_sdk_dynamodb::types::AttributeValue;
        let set = PermissionSet::of([
            Permission::OrgRead,
            Permission::DnsManage,
            Permission::ServersManage,
        ]);
        let stored: AttributeValue =
            serde_dynamo::to_attribute_value(RolePermissions(set)).unwrap();
        let AttributeValue::M(m) = &stored else {
            panic!("{stored:?}")
        };
        assert!(m.contains_key("s") && !m.contains_key("o"), "{m:?}");
        let back: RolePermissions = serde_dynamo::from_attribute_value(stored).unwrap();
        assert_eq!(back.0, set);
        // A role written before (its permission names as a string set) reads the same.
        let names = AttributeValue::Ss(vec![
            "org.read".into(),
            "dns.manage".into(),
            "servers.manage".into(),
            "gone.permission".into(),
        ]);
        let legacy: RolePermissions = serde_dynamo::from_attribute_value(names).unwrap();
        assert_eq!(legacy.0, set);
    }

    #[test]
    fn a_role_written_before_its_item_reads_with_its_details_and_is_written_without_them() {
        use aws_sdk_dynamodb::types::AttributeValue as A;
        let s = |v: &str| A::S(v.into());
        let legacy = A::M(std::collections::HashMap::from([
            ("name".into(), s("Ops")),
            ("description".into(), s("Runs things")),
            (
                "permissions".into(),
                A::Ss(vec!["org.read".into(), "dns.manage".into()]),
            ),
            ("projectRole".into(), s("developer")),
            ("version".into(), A::N("3".into())),
            ("createdBy".into(), s("u-1")),
            ("createdAt".into(), s("2026-11-01T10:00:00.000000Z")),
            ("updatedAt".into(), s("2026-11-02T10:00:00.000000Z")),
        ]));
        let role: CustomRole = serde_dynamo::from_attribute_value(legacy).unwrap();
        let details = role.legacy.clone().expect("the details it kept");
        assert_eq!(details.description.as_deref(), Some("Runs things"));
        assert_eq!(details.created_by.as_str(), "u-1");
        assert_eq!(role.version, 3);
        assert_eq!(
            role.permission_set(),
            PermissionSet::of([Permission::OrgRead, Permission::DnsManage])
        );
        let A::M(written) = serde_dynamo::to_attribute_value::<_, A>(&role).unwrap() else {
            panic!()
        };
        let mut keys: Vec<&str> = written.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["name", "permissions", "projectRole", "version"]);
        let again: CustomRole = serde_dynamo::from_attribute_value(A::M(written)).unwrap();
        assert!(again.legacy.is_none());
    }

    #[test]
    fn covering_between_system_roles_is_the_rank_order() {
        for a in Role::ALL {
            for b in Role::ALL {
                assert_eq!(
                    HeldRole::system(a).covers(&HeldRole::system(b)),
                    a.can_grant(b),
                    "{a} covering {b}"
                );
            }
        }
    }

    #[test]
    fn incomparable_custom_roles_cover_neither_way() {
        let def = |perms: &[Permission], project_role| CustomRole {
            name: "r".into(),
            permissions: RolePermissions(PermissionSet::of(perms.iter().copied())),
            project_role,
            version: 1,
            legacy: None,
        };
        let (ia, ib) = (RoleId::new(), RoleId::new());
        let a = HeldRole::custom(
            &ia,
            &def(&[Permission::OrgRead, Permission::DnsManage], None),
        );
        let b = HeldRole::custom(
            &ib,
            &def(&[Permission::OrgRead, Permission::ServersManage], None),
        );
        assert!(!a.covers(&b) && !b.covers(&a));
        let guest = HeldRole::system(Role::Guest);
        assert!(a.covers(&guest) && !guest.covers(&a));
        // The project role counts too: the same permissions with a project role are above.
        let a_dev = HeldRole::custom(
            &ia,
            &def(
                &[Permission::OrgRead, Permission::DnsManage],
                Some(ProjectRole::Developer),
            ),
        );
        assert!(a_dev.covers(&a) && !a.covers(&a_dev));
        assert_eq!(a_dev.for_projects(), ProjectRole::Developer);
        assert_eq!(a.for_projects(), ProjectRole::Viewer);
        assert!(HeldRole::system(Role::Admin).covers(&a_dev));
    }
}
