use serde::{Deserialize, Serialize};

/// A subscription plan and its seat limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Starter,
    Pro,
    Agency,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Starter, Plan::Pro, Plan::Agency];
    /// Seat limit; `None` is unlimited.
    pub fn seat_limit(self) -> Option<u32> {
        match self {
            Plan::Free => Some(2),
            Plan::Starter => Some(5),
            Plan::Pro | Plan::Agency => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Agency => "agency",
        }
    }
    pub fn parse(raw: &str) -> Option<Plan> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}
