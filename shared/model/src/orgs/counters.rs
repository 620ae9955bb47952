//! Counters the limits are checked against: teams per organization on the organization item,
//! organizations created per user (and the personal organization) on the user's item.

use super::OrgItem;
use crate::domain::{OrgId, UserId};
use crate::error::{ApiError, Code};
use crate::store::{Entity, Expr, Key, Tx};

impl OrgItem {
    /// One more team, within the limit of teams per organization (checked on the read first; a
    /// failure here is a change meanwhile).
    pub fn team_created(&self, tx: Tx, max: usize) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET teamCount = if_not_exists(teamCount, :zero) + :one",
            Some(&format!(
                "{active} AND (attribute_not_exists(teamCount) OR teamCount < :max)"
            )),
            expr.value(":one", &1)
                .value(":zero", &0)
                .value(":max", &max),
            ApiError::limit(
                "teamsPerOrganization",
                max,
                format!("An organization has at most {max} teams; delete one first."),
            ),
        )
    }

    /// One team fewer.
    pub fn team_deleted(&self, tx: Tx) -> Result<Tx, ApiError> {
        let (active, expr) = Self::active();
        tx.update(
            self.key(),
            "SET teamCount = teamCount - :one",
            Some(&format!("{active} AND teamCount >= :one")),
            expr.value(":one", &1),
            ApiError::org_closed(),
        )
    }
}

/// Per-user bookkeeping: organizations created (for the creation limit) and the personal organization.
pub struct UserItem;

impl UserItem {
    pub const TYPE: &'static str = "user";
    pub fn key_of(user: &UserId) -> Key {
        Key::new(format!("USER#{}", user.as_str()), "USER")
    }
    /// GSI1 partition of a user's memberships.
    pub fn memberships_pk(user: &UserId) -> String {
        format!("USER#{}", user.as_str())
    }

    /// Counts one more organization created by `user`, refused at `limit`.
    pub fn count_created(tx: Tx, user: &UserId, limit: u32) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(user),
            "SET orgsCreated = if_not_exists(orgsCreated, :zero) + :one, entity_type = :type",
            Some("attribute_not_exists(orgsCreated) OR orgsCreated < :limit"),
            Expr::new()
                .value(":zero", &0)
                .value(":one", &1)
                .value(":limit", &limit)
                .value(":type", Self::TYPE),
            ApiError::new(
                Code::OrgLimitReached,
                format!("You have created {limit} organization(s), the most allowed per user. Ask an operator to raise ORG_CREATE_LIMIT or close one."),
            )
            .with("limit", "orgsCreatedPerUser")
            .with("max", limit),
        )
    }

    /// Records `org` as the user's personal organization, once.
    pub fn set_personal(tx: Tx, user: &UserId, org: &OrgId) -> Result<Tx, ApiError> {
        tx.update(
            Self::key_of(user),
            "SET personalOrgId = :org, entity_type = :type",
            Some("attribute_not_exists(personalOrgId)"),
            Expr::new().value(":org", org).value(":type", Self::TYPE),
            ApiError::new(
                Code::PersonalOrgExists,
                "The personal organization exists already.",
            ),
        )
    }

    /// Forgets a purged organization on its creator's item: the personal-organization pointer, or
    /// one organization created. Conditional on what was read, so a re-run changes nothing twice.
    pub fn org_purged(tx: Tx, user: &UserId, org: &OrgId, personal: bool) -> Result<Tx, ApiError> {
        let fail = || ApiError::concurrent("The creator's record changed meanwhile.");
        if personal {
            tx.update(
                Self::key_of(user),
                "REMOVE personalOrgId",
                Some("personalOrgId = :org"),
                Expr::new().value(":org", org),
                fail(),
            )
        } else {
            tx.update(
                Self::key_of(user),
                "SET orgsCreated = orgsCreated - :one",
                Some("orgsCreated >= :one"),
                Expr::new().value(":one", &1),
                fail(),
            )
        }
    }
}
