//! The documented limits of teams and project access. Each keeps the transaction that must remove
//! everything at once within DynamoDB's 100 items (README, "Limits"):
//! - removing a member: membership, email item, organization, audit entry, the caller's guard, the
//!   block of the automatic paths (6) + one write per team (`TEAMS_PER_MEMBER`) + one per direct
//!   grant (`GRANTS_PER_MEMBER`) = 86;
//! - deleting a team: team, organization, audit entry, guard (4) + one write per member
//!   (`MEMBERS_PER_TEAM`) + one per project granted to it (`GRANTS_PER_TEAM`) = 84;
//! - deleting a project: project, audit entry, guard (3) + one write per grant (`GRANTS_PER_PROJECT`) = 53.

/// Teams in one organization.
pub const TEAMS_PER_ORG: usize = 50;
/// Members of one team.
pub const MEMBERS_PER_TEAM: usize = 40;
/// Projects granted to one team.
pub const GRANTS_PER_TEAM: usize = 40;
/// Teams one member is on.
pub const TEAMS_PER_MEMBER: usize = 20;
/// Projects granted to one member directly (an invitation's projects included).
pub const GRANTS_PER_MEMBER: usize = 60;
/// Grants (teams and users) on one project.
pub const GRANTS_PER_PROJECT: usize = 50;

// Checked when the crate compiles: a limit raised past what one transaction holds fails the build.
const _: () = assert!(6 + TEAMS_PER_MEMBER + GRANTS_PER_MEMBER <= 100);
const _: () = assert!(4 + MEMBERS_PER_TEAM + GRANTS_PER_TEAM <= 100);
const _: () = assert!(3 + GRANTS_PER_PROJECT <= 100);
