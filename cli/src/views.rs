//! The tables, each over an endpoint's items (the drift test checks their fields).

use crate::api;
use crate::output::View;

pub const ORGS: View = View {
    endpoint: api::LIST_MY_ORGS,
    columns: &[
        ("ID", "id"),
        ("SLUG", "slug"),
        ("NAME", "name"),
        ("ROLE", "myRoleName"),
        ("STATUS", "status"),
    ],
};
pub const MEMBERS: View = View {
    endpoint: api::LIST_MEMBERS,
    columns: &[
        ("USER", "userId"),
        ("EMAIL", "email"),
        ("ROLE", "roleName"),
        ("STATUS", "status"),
        ("JOINED", "joinedAt"),
    ],
};
pub const INVITATIONS: View = View {
    endpoint: api::LIST_INVITATIONS,
    columns: &[
        ("ID", "id"),
        ("EMAIL", "email"),
        ("ROLE", "roleName"),
        ("STATUS", "status"),
        ("USES", "uses"),
        ("MAX", "maxUses"),
        ("EXPIRES", "expiresAt"),
    ],
};
pub const MY_INVITATIONS: View = View {
    endpoint: api::LIST_MY_INVITATIONS,
    columns: &[
        ("ORGANIZATION", "orgName"),
        ("ROLE", "role"),
        ("FROM", "inviterName"),
        ("EXPIRES", "expiresAt"),
    ],
};
pub const TEAMS: View = View {
    endpoint: api::LIST_TEAMS,
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("MEMBERS", "memberCount"),
        ("PROJECTS", "projectCount"),
    ],
};
pub const PROJECTS: View = View {
    endpoint: api::LIST_PROJECTS,
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("YOUR ROLE", "myRole"),
        ("CREATED BY", "createdBy"),
    ],
};
pub const GRANTS: View = View {
    endpoint: api::LIST_PROJECT_ACCESS,
    columns: &[
        ("PRINCIPAL", "principal"),
        ("ROLE", "role"),
        ("GRANTED BY", "grantedBy"),
        ("AT", "grantedAt"),
    ],
};
pub const INTEGRATIONS: View = View {
    endpoint: api::LIST_INTEGRATIONS,
    columns: &[
        ("ID", "id"),
        ("KIND", "kind"),
        ("PROVIDER", "provider"),
        ("NAME", "name"),
        ("FINGERPRINT", "fingerprint"),
        ("DEFAULT STORAGE", "defaultStorage"),
    ],
};
pub const API_KEYS: View = View {
    endpoint: api::LIST_API_KEYS,
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("ROLE", "roleName"),
        ("PREFIX", "prefix"),
        ("EXPIRES", "expiresAt"),
        ("LAST USED", "lastUsedAt"),
        ("CREATOR A MEMBER", "createdByMember"),
    ],
};
pub const SCIM_TOKENS: View = View {
    endpoint: api::LIST_SCIM_TOKENS,
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("PREFIX", "prefix"),
        ("CREATED", "createdAt"),
        ("EXPIRES", "expiresAt"),
    ],
};
pub const WEBHOOKS: View = View {
    endpoint: api::LIST_WEBHOOKS,
    columns: &[
        ("ID", "id"),
        ("URL", "url"),
        ("EVENT TYPES", "eventTypes"),
        ("ENABLED", "enabled"),
        ("DISABLED", "disabledReason"),
        ("FAILING SINCE", "failingSince"),
    ],
};
pub const WEBHOOK_DELIVERIES: View = View {
    endpoint: api::LIST_WEBHOOK_DELIVERIES,
    columns: &[
        ("AT", "at"),
        ("MESSAGE", "messageId"),
        ("TYPE", "eventType"),
        ("ATTEMPT", "attempt"),
        ("STATE", "state"),
        ("STATUS", "statusCode"),
        ("ERROR", "error"),
        ("MS", "durationMs"),
        ("NEXT ATTEMPT", "nextAttemptAt"),
    ],
};
pub const ROLES: View = View {
    endpoint: api::LIST_ORG_ROLES,
    columns: &[
        ("ID", "id"),
        ("KIND", "kind"),
        ("NAME", "name"),
        ("PROJECT ROLE", "projectRole"),
        ("MEMBERS", "holders.members"),
        ("PERMISSIONS", "permissions"),
    ],
};
pub const AUDIT: View = View {
    endpoint: api::LIST_AUDIT_LOG,
    columns: &[
        ("AT", "at"),
        ("ACTOR", "actorId"),
        ("ACTION", "action"),
        ("SUMMARY", "summary"),
    ],
};
pub const DOMAINS: View = View {
    endpoint: api::LIST_DOMAINS,
    columns: &[
        ("DOMAIN", "domain"),
        ("STATUS", "status"),
        ("ENROLLMENT", "enrollment.mode"),
        ("ROLE", "enrollment.roleName"),
        ("VERIFIED", "verifiedAt"),
    ],
};
pub const MEMBERSHIP_REQUESTS: View = View {
    endpoint: api::LIST_MEMBERSHIP_REQUESTS,
    columns: &[
        ("ID", "id"),
        ("USER", "userId"),
        ("EMAIL", "email"),
        ("STATUS", "status"),
        ("ASKED", "createdAt"),
    ],
};
#[cfg(test)]
pub const ALL: &[&View] = &[
    &ORGS,
    &MEMBERS,
    &INVITATIONS,
    &MY_INVITATIONS,
    &TEAMS,
    &PROJECTS,
    &GRANTS,
    &INTEGRATIONS,
    &API_KEYS,
    &SCIM_TOKENS,
    &WEBHOOKS,
    &WEBHOOK_DELIVERIES,
    &DOMAINS,
    &MEMBERSHIP_REQUESTS,
    &ROLES,
    &AUDIT,
];
