//! The organizations service's model: the validated values, the errors with their stable codes,
//! the permission model and the operator's catalogue, the single-table store (keys, expressions,
//! transactions, cursors), and every item with its named reads and writes, the seat rules
//! included. It knows no request, no route and no handler: the service crate (`shared/`) builds the
//! pipeline, the access context and each concept's handlers on top of it, and the compiler keeps
//! this crate from reaching up.

// Generic layers: they know no item.
pub mod aws;
pub mod body;
pub mod catalogue;
pub mod credentials;
pub mod domain;
pub mod error;
pub mod json;
pub mod limits;
pub mod permissions;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

// The items, one module per concept, each with its keys and named writes.
pub mod api_keys;
pub mod audit;
pub mod directory;
pub mod domains;
pub mod idempotency;
pub mod integrations;
pub mod invitations;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod projects;
pub mod roles;
pub mod settings;
pub mod teams;
pub mod webhooks;

#[cfg(test)]
mod entity_shapes {
    //! Every item type is stored with its `entity_type` and the key it derives from its ids.
    use crate::audit::AuditEntry;
    use crate::domain::*;
    use crate::invitations::{InvitationItem, InvitationTerms};
    use crate::members::MemberItem;
    use crate::orgs::{OrgItem, SlugItem};
    use crate::permissions::Role;
    use crate::projects::ProjectItem;
    use crate::store::{entity_type, from_item, to_item, Entity, Key};
    use crate::teams::TeamItem;

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
        check(&crate::orgs::SeatsItem::new(&org.org_id));
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
        check(&crate::teams::TeamMemberItem::new(
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
                actor_kind: crate::audit::ActorKind::User,
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
