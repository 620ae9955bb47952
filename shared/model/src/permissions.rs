//! The permission model as data: six system roles, each a strict superset of the next,
//! and the service's named permissions grouped by area; `crate::catalogue` adds the operator's
//! own, and `GET /roles` serves both.

use serde::{Deserialize, Serialize};

/// A system role, strongest first. The derived order follows the declaration order,
/// so `Role::Owner < Role::Admin` means "owner ranks above admin"; use [`Role::rank`] to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Developer,
    Viewer,
    Guest,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Editor,
        Role::Developer,
        Role::Viewer,
        Role::Guest,
    ];

    /// Higher is stronger: owner 5 ... guest 0.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 5,
            Role::Admin => 4,
            Role::Editor => 3,
            Role::Developer => 2,
            Role::Viewer => 1,
            Role::Guest => 0,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
            Role::Guest => "guest",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn has(self, permission: Permission) -> bool {
        self.rank() >= permission.min_role().rank()
    }
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.has(*p))
    }
    /// The hierarchy rule: a role may be granted only by someone whose permission set contains it.
    /// Because the sets are nested, that is "rank at most my own".
    pub fn can_grant(self, granted: Role) -> bool {
        granted.rank() <= self.rank()
    }
    pub fn description(self) -> &'static str {
        match self {
            Role::Owner => "Everything, including billing, closing and reactivating the organization and transferring ownership. Exactly one per organization.",
            Role::Admin => "All resources, members, invitations, teams, settings and integrations; admin on every project. No billing.",
            Role::Editor => "Create, modify and delete resources (projects, servers, environments, ...). No members, settings or billing.",
            Role::Developer => "Everything a viewer reads, plus create projects; changes inside a project through teams, grants or as its creator.",
            Role::Viewer => "Read-only access to all organization resources.",
            Role::Guest => "Nothing organization-wide; only the projects granted to them.",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! permissions {
    ($( $variant:ident = $name:literal, $role:ident, $desc:literal; )*) => {
        /// A named permission. `min_role` is the weakest role that holds it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Permission { $( $variant, )* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[ $( Permission::$variant, )* ];
            pub fn as_str(self) -> &'static str {
                match self { $( Permission::$variant => $name, )* }
            }
            pub fn min_role(self) -> Role {
                match self { $( Permission::$variant => Role::$role, )* }
            }
            pub fn description(self) -> &'static str {
                match self { $( Permission::$variant => $desc, )* }
            }
        }
    };
}

permissions! {
    // organization
    OrgRead = "org.read", Guest, "See the organization's name (and your own membership).";
    OrgDetailsRead = "org.details.read", Viewer, "See the organization's slug, status, plan and other details.";
    OrgUpdate = "org.update", Admin, "Rename the organization or change its slug.";
    OrgClose = "org.close", Owner, "Close the organization (30-day read-only grace, then purge).";
    OrgReactivate = "org.reactivate", Owner, "Reactivate a closed organization during its grace period.";
    OrgTransfer = "org.transfer", Owner, "Transfer ownership to another member.";
    OrgClosureImpact = "org.closure_impact", Owner, "See what closing the organization would affect.";
    // billing and usage
    BillingRead = "billing.read", Owner, "See the billing profile and invoices.";
    BillingManage = "billing.manage", Owner, "Change the billing profile and the plan.";
    UsageRead = "usage.read", Viewer, "See usage: seats used and the plan's limits.";
    // members
    MembersRead = "members.read", Viewer, "List members and their roles.";
    MembersUpdate = "members.update", Admin, "Change members' roles (never above your own).";
    MembersRemove = "members.remove", Admin, "Remove members (never above your own).";
    // invitations
    InvitationsRead = "invitations.read", Admin, "List invitations and their status.";
    InvitationsCreate = "invitations.create", Admin, "Invite people (never to a role above your own).";
    InvitationsRevoke = "invitations.revoke", Admin, "Revoke invitations.";
    InvitationsResend = "invitations.resend", Admin, "Resend invitation emails.";
    InvitationsCode = "invitations.code", Admin, "Copy an invitation's code or link.";
    InvitationsCleanup = "invitations.cleanup", Admin, "Remove expired, revoked and used-up invitations.";
    // teams
    TeamsRead = "teams.read", Viewer, "List teams and their members.";
    TeamsManage = "teams.manage", Admin, "Create, rename and delete teams and change their members.";
    // projects
    ProjectsRead = "projects.read", Viewer, "See projects.";
    ProjectsCreate = "projects.create", Developer, "Create projects (the creator becomes the project's admin).";
    ProjectsUpdate = "projects.update", Editor, "Modify any project.";
    ProjectsDelete = "projects.delete", Editor, "Delete any project.";
    ProjectsAccessManage = "projects.access_manage", Admin, "Grant and revoke project access for teams and users.";
    // environments and deployments
    EnvironmentsRead = "environments.read", Viewer, "See environments.";
    EnvironmentsManage = "environments.manage", Editor, "Create, modify and delete environments.";
    DeploymentsRead = "deployments.read", Viewer, "See deployments.";
    DeploymentsCreate = "deployments.create", Editor, "Deploy to any environment.";
    // infrastructure
    ServersRead = "servers.read", Viewer, "See servers.";
    ServersManage = "servers.manage", Editor, "Create, modify and delete servers.";
    StorageRead = "storage.read", Viewer, "See storage buckets and volumes.";
    StorageManage = "storage.manage", Editor, "Create, modify and delete storage.";
    DnsRead = "dns.read", Viewer, "See DNS zones and records.";
    DnsManage = "dns.manage", Editor, "Change DNS records.";
    DomainsRead = "domains.read", Viewer, "See custom domains.";
    DomainsManage = "domains.manage", Editor, "Add and remove custom domains.";
    BackupsRead = "backups.read", Viewer, "See backups.";
    BackupsManage = "backups.manage", Editor, "Create, restore and delete backups.";
    LogsRead = "logs.read", Viewer, "Read application and build logs.";
    // integrations (settings tabs)
    CloudAccountsRead = "cloud_accounts.read", Viewer, "See connected cloud accounts (never their credentials).";
    CloudAccountsManage = "cloud_accounts.manage", Admin, "Connect and disconnect cloud accounts.";
    DnsProvidersManage = "dns_providers.manage", Admin, "Connect and disconnect DNS providers.";
    StorageProvidersManage = "storage_providers.manage", Admin, "Connect and disconnect storage providers.";
    GitRead = "git.read", Viewer, "See git connections.";
    GitManage = "git.manage", Admin, "Connect and disconnect git providers.";
    AddonReposRead = "addon_repos.read", Viewer, "See addon repositories.";
    AddonReposManage = "addon_repos.manage", Admin, "Add and remove addon repositories.";
    IntegrationsRead = "integrations.read", Viewer, "List integrations (never their secrets).";
    IntegrationsManage = "integrations.manage", Admin, "Create and delete integrations.";
    // governance
    AuditRead = "audit.read", Admin, "Read the audit log.";
    SettingsRead = "settings.read", Viewer, "See the organization's settings.";
    SettingsManage = "settings.manage", Admin, "Change the organization's settings.";
    VerifiedDomainsRead = "verified_domains.read", Viewer, "See the organization's email domains, their verification and how people there join.";
    VerifiedDomainsManage = "verified_domains.manage", Admin, "Add, verify and remove the organization's email domains and set how people there join.";
    CleanupPolicyRead = "cleanup_policy.read", Viewer, "See the cleanup policy.";
    CleanupPolicyManage = "cleanup_policy.manage", Admin, "Change the cleanup policy.";
    ApiKeysRead = "api_keys.read", Admin, "List API keys (never their secrets).";
    ApiKeysManage = "api_keys.manage", Admin, "Create and revoke API keys.";
    RolesRead = "roles.read", Viewer, "See the organization's roles, system and custom, and their permissions.";
    RolesManage = "roles.manage", Admin, "Create, change and delete custom roles (never with permissions beyond your own).";
    SubscriptionRead = "subscription.read", Viewer, "See the plan and seat usage.";
    SubscriptionManage = "subscription.manage", Owner, "Change the plan in the billing portal (the platform's billing system sets it).";
    DirectoryManage = "directory.manage", Admin, "Connect the organization's identity provider: create and revoke SCIM tokens, set the role provisioned people join with.";
    WebhooksManage = "webhooks.manage", Admin, "Manage the organization's webhook endpoints: create, change, delete, rotate their signing secrets, send tests, read their delivery logs and resend messages.";
}

impl Permission {
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.iter().copied().find(|p| p.as_str() == s)
    }
    /// Held by the owner alone (transfer, close, reactivate, billing and plan changes, closure
    /// impact): never part of a custom role.
    pub fn owner_only(self) -> bool {
        self.min_role() == Role::Owner
    }
    /// What only a person may do, whatever an API key's role holds: manage credentials (API keys,
    /// SCIM tokens, webhook endpoints and their secrets, integrations and their secrets), roles,
    /// the organization's settings (they say whether keys may call the API at all), and what
    /// only the owner does (ownership, closure, reactivation, billing).
    pub fn person_only(self) -> bool {
        self.owner_only()
            || matches!(
                self,
                Permission::ApiKeysManage
                    | Permission::DirectoryManage
                    | Permission::WebhooksManage
                    | Permission::IntegrationsManage
                    | Permission::CloudAccountsManage
                    | Permission::DnsProvidersManage
                    | Permission::StorageProvidersManage
                    | Permission::GitManage
                    | Permission::AddonReposManage
                    | Permission::RolesManage
                    | Permission::SettingsManage
            )
    }
    /// Whether the permission only reads (allowed while the organization is closed, as is
    /// reactivating it); everything else changes something.
    pub fn is_read(self) -> bool {
        self.as_str().ends_with(".read")
            || matches!(
                self,
                Permission::OrgClosureImpact | Permission::InvitationsCode
            )
    }
    /// Usable while the organization is closed (read-only grace).
    pub fn usable_while_closed(self) -> bool {
        self.is_read() || self == Permission::OrgReactivate
    }
    /// The area is the part before the dot: `members.read` -> `members`.
    pub fn area(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("")
    }
    /// Whether a project-scoped role grants this permission inside its project. Creating projects
    /// is an organization-wide act, so it is not.
    pub fn project_scoped(self) -> bool {
        matches!(
            self.area(),
            "projects"
                | "environments"
                | "deployments"
                | "servers"
                | "storage"
                | "dns"
                | "domains"
                | "backups"
                | "logs"
        ) && self != Permission::ProjectsCreate
    }
}

/// A project-scoped role: what it grants applies inside one project only. Each is a strict
/// superset of the next; a project role is not the organization role of the same name cut down to
/// one project (a project `developer` deploys and changes environments, which the organization-wide
/// developer cannot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ProjectRole {
    Viewer,
    Developer,
    Editor,
    Admin,
}

impl ProjectRole {
    /// Strongest first, as served by `GET /roles`.
    pub const ALL: [ProjectRole; 4] = [
        ProjectRole::Admin,
        ProjectRole::Editor,
        ProjectRole::Developer,
        ProjectRole::Viewer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Admin => "admin",
            ProjectRole::Editor => "editor",
            ProjectRole::Developer => "developer",
            ProjectRole::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<ProjectRole> {
        ProjectRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Higher is stronger: admin 3 ... viewer 0.
    pub fn rank(self) -> u8 {
        self as u8
    }
    /// The weakest project role that holds a project-scoped permission (`None`: no project role does).
    fn min_for(permission: Permission) -> Option<ProjectRole> {
        use Permission::*;
        Some(match permission {
            ProjectsRead | EnvironmentsRead | DeploymentsRead | ServersRead | StorageRead
            | DnsRead | DomainsRead | BackupsRead | LogsRead => ProjectRole::Viewer,
            EnvironmentsManage | DeploymentsCreate => ProjectRole::Developer,
            ServersManage | StorageManage | DnsManage | DomainsManage | BackupsManage => {
                ProjectRole::Editor
            }
            ProjectsUpdate | ProjectsDelete | ProjectsAccessManage => ProjectRole::Admin,
            _ => return None,
        })
    }
    pub fn has(self, permission: Permission) -> bool {
        Self::min_for(permission).is_some_and(|min| self >= min)
    }
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.has(*p))
    }
    pub fn description(self) -> &'static str {
        match self {
            ProjectRole::Admin => "Everything project-scoped: update and delete the project, grant and revoke its access (never above admin).",
            ProjectRole::Editor => "Manage the project's environments, deployments, servers, storage, DNS, domains and backups.",
            ProjectRole::Developer => "Deploy, create and change environments, read logs; no infrastructure (servers, storage, DNS), no deletion.",
            ProjectRole::Viewer => "Read everything of the project.",
        }
    }
    /// The project role an invitation limited to projects grants for the organization role it
    /// names (a guest invited to a project views it).
    pub fn for_invited(role: Role) -> ProjectRole {
        match role {
            Role::Owner | Role::Admin => ProjectRole::Admin,
            Role::Editor => ProjectRole::Editor,
            Role::Developer => ProjectRole::Developer,
            Role::Viewer | Role::Guest => ProjectRole::Viewer,
        }
    }
}

impl std::fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// The project role a member holds on every project through their organization role alone
    /// (owner and admin: admin; editor: editor; developer and viewer: viewer; guest: none).
    pub fn project_role(self) -> Option<ProjectRole> {
        match self {
            Role::Owner | Role::Admin => Some(ProjectRole::Admin),
            Role::Editor => Some(ProjectRole::Editor),
            Role::Developer | Role::Viewer => Some(ProjectRole::Viewer),
            Role::Guest => None,
        }
    }
}

/// What a member, an invitation or an API key holds: one of the six system roles, or one of its
/// organization's custom roles by id (so renaming a custom role never changes anyone's access).
/// Stored and answered as one string: the system role's name or the custom role's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleRef {
    System(Role),
    Custom(crate::domain::RoleId),
}

impl crate::body::Parse for ProjectRole {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, crate::error::ApiError> {
        ProjectRole::parse(&raw).ok_or_else(|| {
            crate::error::ApiError::validation(
                field,
                format!(
                    "`{field}` must be one of admin, editor, developer, viewer (got `{}`).",
                    crate::domain::shown(&raw)
                ),
            )
        })
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let names: Vec<&str> = ProjectRole::ALL.iter().map(|r| r.as_str()).collect();
        serde_json::json!({ "type": "string", "enum": names })
    }
}

/// A role as a request body names it: a system role's name or a custom role's id, resolved
/// against the organization by the handler (`OrgItem::role_asked`: an unknown name is refused
/// there, with the organization's own roles listed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleAsked(pub String);

impl crate::body::Parse for RoleAsked {
    type Raw = String;
    fn parse(_field: &str, raw: String) -> Result<Self, crate::error::ApiError> {
        Ok(Self(raw))
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let system: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| **r != Role::Owner)
            .map(|r| r.as_str())
            .collect();
        serde_json::json!({
            "type": "string",
            "pattern": format!("^({}|{}[0-9a-f]{{{}}})$", system.join("|"), crate::domain::RoleId::PREFIX, crate::domain::ID_HEX_DIGITS),
            "description": "A system role other than owner, or one of the organization's custom roles' ids.",
        })
    }
}

impl RoleRef {
    /// A system role's name or a custom role's id (`role_` and 32 hex digits).
    pub fn parse(s: &str) -> Option<RoleRef> {
        Role::parse(s)
            .map(RoleRef::System)
            .or_else(|| crate::domain::RoleId::parse(s).map(RoleRef::Custom))
    }
    pub fn as_str(&self) -> &str {
        match self {
            RoleRef::System(r) => r.as_str(),
            RoleRef::Custom(id) => id.as_str(),
        }
    }
    pub fn system(&self) -> Option<Role> {
        match self {
            RoleRef::System(r) => Some(*r),
            RoleRef::Custom(_) => None,
        }
    }
    pub fn custom(&self) -> Option<&crate::domain::RoleId> {
        match self {
            RoleRef::System(_) => None,
            RoleRef::Custom(id) => Some(id),
        }
    }
    pub fn is(&self, role: Role) -> bool {
        self.system() == Some(role)
    }
}

impl From<Role> for RoleRef {
    fn from(r: Role) -> Self {
        RoleRef::System(r)
    }
}

impl std::fmt::Display for RoleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RoleRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RoleRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RoleRef::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("not a role: {raw}")))
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn there_are_at_least_55_unique_permissions() {
        let names: HashSet<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert!(names.len() >= 55, "only {} permissions", names.len());
        assert_eq!(
            names.len(),
            Permission::ALL.len(),
            "duplicate permission names"
        );
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
    }

    #[test]
    fn each_role_strictly_contains_the_next() {
        for pair in Role::ALL.windows(2) {
            let stronger: HashSet<_> = pair[0].permissions().collect();
            let weaker: HashSet<_> = pair[1].permissions().collect();
            assert!(
                weaker.is_subset(&stronger),
                "{} is not contained in {}",
                pair[1],
                pair[0]
            );
            assert!(
                stronger.len() > weaker.len(),
                "{} adds nothing over {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn guest_holds_at_most_the_org_name() {
        let guest: Vec<_> = Role::Guest.permissions().collect();
        assert_eq!(guest, vec![Permission::OrgRead]);
    }

    #[test]
    fn admin_has_no_billing_and_only_owner_transfers() {
        assert!(!Role::Admin.has(Permission::BillingManage));
        assert!(!Role::Admin.has(Permission::OrgTransfer));
        assert!(Role::Owner.has(Permission::OrgTransfer));
        assert!(!Role::Editor.has(Permission::MembersUpdate));
        assert!(!Role::Developer.has(Permission::InvitationsCreate));
    }

    #[test]
    fn project_roles_nest_and_reach_only_project_scoped_permissions() {
        for pair in ProjectRole::ALL.windows(2) {
            let stronger: HashSet<_> = pair[0].permissions().collect();
            let weaker: HashSet<_> = pair[1].permissions().collect();
            assert!(weaker.is_subset(&stronger) && stronger.len() > weaker.len());
        }
        for r in ProjectRole::ALL {
            assert!(r.permissions().all(Permission::project_scoped), "{r}");
        }
        // A project developer deploys and changes environments, which the org-wide developer cannot.
        assert!(ProjectRole::Developer.has(Permission::EnvironmentsManage));
        assert!(ProjectRole::Developer.has(Permission::DeploymentsCreate));
        assert!(!Role::Developer.has(Permission::EnvironmentsManage));
        assert!(!ProjectRole::Developer.has(Permission::ServersManage));
        assert!(!ProjectRole::Editor.has(Permission::ProjectsDelete));
        assert!(ProjectRole::Admin.has(Permission::ProjectsAccessManage));
        assert!(!ProjectRole::Admin.has(Permission::ProjectsCreate));
        assert!(!ProjectRole::Admin.has(Permission::MembersRead));
        assert_eq!(Role::Viewer.project_role(), Some(ProjectRole::Viewer));
        assert_eq!(Role::Guest.project_role(), None);
    }

    #[test]
    fn a_permissions_place_in_the_matrix_is_its_declaration_order() {
        for (i, p) in Permission::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i, "{p}");
        }
        let owner_only: Vec<_> = Permission::ALL
            .iter()
            .filter(|p| p.owner_only())
            .map(|p| p.as_str())
            .collect();
        assert_eq!(
            owner_only,
            [
                "org.close",
                "org.reactivate",
                "org.transfer",
                "org.closure_impact",
                "billing.read",
                "billing.manage",
                "subscription.manage"
            ]
        );
    }

    #[test]
    fn a_role_reference_is_a_system_name_or_a_custom_id() {
        assert_eq!(RoleRef::parse("admin"), Some(RoleRef::System(Role::Admin)));
        let id = crate::domain::RoleId::new();
        assert_eq!(
            RoleRef::parse(id.as_str()),
            Some(RoleRef::Custom(id.clone()))
        );
        assert_eq!(RoleRef::parse("Admin"), None);
        assert_eq!(RoleRef::parse("role_xyz"), None);
        let json = serde_json::to_string(&RoleRef::Custom(id.clone())).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: RoleRef = serde_json::from_str("\"viewer\"").unwrap();
        assert!(back.is(Role::Viewer));
    }

    #[test]
    fn hierarchy_rule_is_rank_comparison_and_matches_subset() {
        for a in Role::ALL {
            for b in Role::ALL {
                let sa: HashSet<_> = a.permissions().collect();
                let sb: HashSet<_> = b.permissions().collect();
                assert_eq!(a.can_grant(b), sb.is_subset(&sa), "{a} granting {b}");
            }
        }
    }
}
