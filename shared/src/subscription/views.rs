use crate::domain::Plan;
use crate::domain::Timestamp;
use crate::orgs::item::Seats;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsView {
    pub used: u32,
    pub limit: Option<u32>,
    pub members: u32,
    pub pending_invitations: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    pub plan: Plan,
    pub seat_limit: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub plan: Plan,
    pub seats: SeatsView,
    pub plans: Vec<PlanView>,
    /// Where the owner changes the plan (the catalogue's `billingPortalUrl`; `null`: none set).
    /// The plan itself is set by the platform's billing system.
    pub billing_portal_url: Option<&'static str>,
}

impl SubscriptionView {
    /// Seats really held at `now`: expired invitations do not count, reclaimed or not.
    pub fn new(seats: &Seats<'_>, now: Timestamp) -> Self {
        let org = seats.org;
        Self {
            plan: org.plan,
            seats: SeatsView {
                used: seats.seats_in_use(now),
                limit: org.plan.seat_limit(),
                members: org.member_count,
                pending_invitations: seats.held_seats(now),
            },
            plans: Plan::all()
                .into_iter()
                .map(|p| PlanView {
                    plan: p,
                    seat_limit: p.seat_limit(),
                })
                .collect(),
            billing_portal_url: crate::catalogue::current().billing_portal_url(),
        }
    }
}
