//! The documented limits of teams and project access (README, "Limits"), each with its reason.
//! A team's memberships are items of their own, removed after a team's deletion or a member's
//! removal by the stream's clean-up (`crate::teams::cleanup`), so no transaction holds them. What
//! one transaction still removes at once is bounded by DynamoDB's 100 items:
//! - removing a member: membership, email item, organization, audit entry, the caller's guard, the
//!   block of the automatic paths (6) + one write per direct grant (`GRANTS_PER_MEMBER`) = 66;
//! - deleting a team: team, organization, audit entry, guard (4) + one write per project granted
//!   to it (`GRANTS_PER_TEAM`) = 44;
//! - deleting a project: project, audit entry, guard (3) + one write per grant (`GRANTS_PER_PROJECT`) = 53.

/// Teams in one organization.
pub const TEAMS_PER_ORG: usize = 50;
/// Members of one team: a protection, not a shape limit (membership items, counted by the team;
/// a deleted team's are removed page after page). Directory groups of tens of thousands fit.
pub const MEMBERS_PER_TEAM: usize = 100_000;
/// Projects granted to one team.
pub const GRANTS_PER_TEAM: usize = 40;
/// Teams one member is on: their membership record names them and is read on every request
/// (a team id is 37 bytes: 100 are 3.7 KB of it, which makes that read 2 units instead of 1).
pub const TEAMS_PER_MEMBER: usize = 100;
/// Projects granted to one member directly (an invitation's projects included).
pub const GRANTS_PER_MEMBER: usize = 60;
/// Grants (teams and users) on one project.
pub const GRANTS_PER_PROJECT: usize = 50;

// Checked when the crate compiles: a limit raised past what one transaction holds fails the build.
const _: () = assert!(6 + GRANTS_PER_MEMBER <= 100);
const _: () = assert!(4 + GRANTS_PER_TEAM <= 100);
const _: () = assert!(3 + GRANTS_PER_PROJECT <= 100);
