//! The organizations service's domain crate: generic layers (validated values, errors, the
//! permission model, the request pipeline, the single-table store) and one folder per concept.
//! Each Lambda binary in `functions/` wires one route from here.

// Generic layers: they know no concept.
pub mod auth;
pub mod aws;
pub mod catalogue;
pub mod config;
pub mod dns;
pub mod domain;
pub mod error;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod permissions;
pub mod pipeline;
pub mod store;

// One folder per concept: its items, store operations, handlers, views and routes.
pub mod access;
pub mod api_keys;
pub mod audit;
pub mod closure;
pub mod domains;
pub mod email;
pub mod events;
pub mod integrations;
pub mod invitations;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod projects;
pub mod roles;
pub mod settings;
pub mod subscription;
pub mod teams;

// The index of every function, and the cold-start wiring of the binaries.
pub mod routes;
pub mod runtime;

use config::Config;
use std::sync::Arc;
use store::Store;

/// What every handler shares: configuration and clients, built once at cold start.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    /// Only the functions that send email have one (it keeps the SES client out of the others).
    pub ses: Option<aws_sdk_ses::Client>,
    /// Only the functions that write integration secrets have one.
    pub secrets: Option<aws_sdk_secretsmanager::Client>,
    /// Where the request lines and job reports (embedded metric documents) go: stdout, or a
    /// list in tests.
    pub log: metrics::LogSink,
}

impl App {
    pub fn new(
        config: Config,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: Option<aws_sdk_ses::Client>,
        secrets: Option<aws_sdk_secretsmanager::Client>,
    ) -> Self {
        let store = Store::new(dynamodb, config.table_name.clone());
        Self {
            config: Arc::new(config),
            store,
            ses,
            secrets,
            log: metrics::LogSink::Stdout,
        }
    }
}

#[cfg(test)]
mod house;

#[cfg(test)]
mod entity_shapes {
    //! Every item type is stored with its `entity_type` and the key it derives from its ids.
    use crate::audit::AuditEntry;
    use crate::domain::*;
    use crate::invitations::item::{InvitationItem, InvitationTerms};
    use crate::members::item::MemberItem;
    use crate::orgs::item::{OrgItem, SlugItem};
    use crate::permissions::Role;
    use crate::projects::item::ProjectItem;
    use crate::store::{entity_type, from_item, to_item, Entity, Key};
    use crate::teams::item::TeamItem;

    fn check<T: Entity + std::fmt::Debug>(item: &T) {
        let stored = to_item(item).unwrap();
        assert_eq!(entity_type(&stored), Some(T::TYPE), "{item:?}");
        assert_eq!(Key::of_item(&stored), Some(item.key()), "{item:?}");
        let back: T = from_item(stored.clone()).unwrap();
        assert_eq!(to_item(&back).unwrap(), stored, "round trip of {}", T::TYPE);
    }

    #[test]
    fn every_item_carries_its_type_and_its_own_key() {
        let now = Timestamp::now();
        let user = UserId::parse("userId", "u-1").unwrap();
        let email = Email::parse("email", "u@example.com").unwrap();
        let org = OrgItem::new(
            OrgId::new(),
            DisplayName::parse("name", "Acme").unwrap(),
            Slug::parse("acme").unwrap(),
            &user,
            false,
            now,
        );
        check(&org);
        check(&SlugItem::new(&org.slug, &org.org_id));
        check(&crate::orgs::item::SeatsItem::new(&org.org_id));
        let member = MemberItem::new(
            &org.org_id,
            &user,
            Some(email.clone()),
            None,
            Role::Admin.into(),
            now,
        );
        check(&member);
        check(&member.email_item().unwrap());
        let project = ProjectItem::new(
            &org.org_id,
            DisplayName::parse("name", "Web").unwrap(),
            None,
            &user,
            true,
            now,
        );
        check(&project);
        let mut team = TeamItem::new(
            &org.org_id,
            DisplayName::parse("name", "Team").unwrap(),
            Some(Description::parse("description", "d").unwrap()),
            &user,
            now,
        );
        team.members.insert(user.clone());
        team.projects.insert(project.project_id.clone());
        check(&team);
        check(&crate::teams::item::TeamMemberItem::new(
            &org.org_id,
            &team.team_id,
            &member,
            &user,
            now,
        ));
        // Teams and direct grants are string sets (ADD/DELETE in place), and round-trip as such.
        let mut on_teams = member.clone();
        on_teams.teams.insert(team.team_id.clone());
        on_teams.projects.insert(project.project_id.clone());
        let stored = to_item(&on_teams).unwrap();
        assert!(stored["teams"].is_ss() && stored["grantedProjects"].is_ss());
        check(&on_teams);
        check(&InvitationItem::new(
            &org.org_id,
            InvitationTerms {
                email,
                role: Role::Viewer.into(),
                expires_in_days: 7,
                max_uses: 1,
                message: None,
                project_ids: vec![],
            },
            &user,
            ("U".into(), Some("U".into())),
            "nonce".into(),
            now,
        ));
        check(
            &AuditEntry {
                org_id: org.org_id.clone(),
                actor_id: user,
                action: "org.created",
                event_type: "OrganizationCreated",
                at: now,
                summary: "s".into(),
                details: serde_json::json!({}),
            }
            .into_item(),
        );
    }
}
