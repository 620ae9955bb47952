//! Which events email the organization's owner and admins. The emails are sent from the table's
//! stream (`send-notifications`), never inside the request that made the change.

use serde::{Deserialize, Serialize};

/// Which events email the owner and admins (`PUT /orgs/{orgId}/settings/notifications`'s body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Someone joined (accepted an invitation).
    pub member_joined: bool,
    /// A member left or was removed.
    pub member_left: bool,
    /// A member's role was changed to admin.
    pub role_changed_to_admin: bool,
    /// Ownership was transferred.
    pub ownership_transferred: bool,
    /// An integration (its credentials) was added or removed.
    pub integration_changed: bool,
    /// The organization was closed (the owner is always told, with the purge date; this adds the admins).
    pub organization_closed: bool,
}

impl Default for NotificationPreferences {
    /// What changes who holds power or credentials is on; comings and goings are off.
    fn default() -> Self {
        Self {
            member_joined: false,
            member_left: false,
            role_changed_to_admin: true,
            ownership_transferred: true,
            integration_changed: true,
            organization_closed: true,
        }
    }
}

/// The preference an event type answers to (`None`: it never notifies).
pub fn preference_of(event_type: &str, details: &serde_json::Value) -> Option<Preference> {
    Some(match event_type {
        "MemberJoined" => Preference::MemberJoined,
        "MemberRemoved" => Preference::MemberLeft,
        "MemberRoleChanged" if details["role"]["after"] == "admin" => {
            Preference::RoleChangedToAdmin
        }
        "OwnershipTransferred" => Preference::OwnershipTransferred,
        "IntegrationCreated" | "IntegrationDeleted" => Preference::IntegrationChanged,
        "OrganizationClosed" => Preference::OrganizationClosed,
        "DomainUnverified" => Preference::DomainUnverified,
        "WebhookEndpointDisabled" if details["reason"] == "failing" => {
            Preference::WebhookEndpointDisabled
        }
        _ => return None,
    })
}

/// The event types that may notify: the stream filter of `send-notifications` (the template's
/// pattern is generated from this list).
pub const NOTIFYING_EVENTS: &[&str] = &[
    "MemberJoined",
    "MemberRemoved",
    "MemberRoleChanged",
    "OwnershipTransferred",
    "IntegrationCreated",
    "IntegrationDeleted",
    "OrganizationClosed",
    "DomainUnverified",
    "WebhookEndpointDisabled",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    MemberJoined,
    MemberLeft,
    RoleChangedToAdmin,
    OwnershipTransferred,
    IntegrationChanged,
    OrganizationClosed,
    /// A verified domain lost its verification (the daily re-check): always the owner, and the
    /// admins (no preference turns it off: people can no longer join through it).
    DomainUnverified,
    /// A webhook endpoint was disabled after failing for 5 days: always the owner and the admins
    /// (no preference turns it off: its events are no longer delivered).
    WebhookEndpointDisabled,
}

impl NotificationPreferences {
    pub fn wants(&self, p: Preference) -> bool {
        match p {
            Preference::MemberJoined => self.member_joined,
            Preference::MemberLeft => self.member_left,
            Preference::RoleChangedToAdmin => self.role_changed_to_admin,
            Preference::OwnershipTransferred => self.ownership_transferred,
            Preference::IntegrationChanged => self.integration_changed,
            Preference::OrganizationClosed => self.organization_closed,
            Preference::DomainUnverified | Preference::WebhookEndpointDisabled => true,
        }
    }

    fn entries(&self) -> [(&'static str, bool); 6] {
        [
            ("memberJoined", self.member_joined),
            ("memberLeft", self.member_left),
            ("roleChangedToAdmin", self.role_changed_to_admin),
            ("ownershipTransferred", self.ownership_transferred),
            ("integrationChanged", self.integration_changed),
            ("organizationClosed", self.organization_closed),
        ]
    }

    /// The keys that differ from `before`.
    pub fn changed_from(&self, before: &NotificationPreferences) -> Vec<&'static str> {
        super::changed_keys(self.entries(), before.entries())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_map_to_their_preference() {
        assert_eq!(
            preference_of(
                "MemberRoleChanged",
                &json!({"role": {"before": "viewer", "after": "admin"}})
            ),
            Some(Preference::RoleChangedToAdmin)
        );
        assert_eq!(
            preference_of(
                "MemberRoleChanged",
                &json!({"role": {"before": "admin", "after": "viewer"}})
            ),
            None
        );
        assert_eq!(preference_of("TeamCreated", &json!({})), None);
        for e in NOTIFYING_EVENTS {
            let details = json!({"role": {"after": "admin"}, "reason": "failing"});
            assert!(preference_of(e, &details).is_some(), "{e}");
        }
    }
}
