use serde::{Deserialize, Serialize};

/// A subscription plan: one of the catalogue's plans (`crate::catalogue`), by name; the built-in
/// catalogue has free (2 seats), starter (5), pro and agency (unlimited). Stored and answered as
/// its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plan(&'static str);

impl crate::body::Parse for Plan {
    type Raw = String;
    fn parse(field: &str, raw: String) -> Result<Self, crate::error::ApiError> {
        Plan::parse(&raw).ok_or_else(|| {
            let offered: Vec<&str> = Plan::all().into_iter().map(Plan::as_str).collect();
            crate::error::ApiError::validation(
                field,
                format!(
                    "`{field}` must be one of the catalogue's plans: {} (got `{}`).",
                    offered.join(", "),
                    crate::domain::shown(&raw)
                ),
            )
        })
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "description": "A plan of the catalogue in force (built-in: free, starter, pro, agency)." })
    }
}

impl Plan {
    /// A plan of the catalogue in force, by name.
    pub fn parse(raw: &str) -> Option<Plan> {
        crate::catalogue::current().plan(raw).map(|p| Plan(p.name))
    }
    /// The plan new organizations start on, and a closed one's while it is closed.
    pub fn default_plan() -> Plan {
        Plan(crate::catalogue::current().default_plan())
    }
    /// Every plan of the catalogue, in its order.
    pub fn all() -> Vec<Plan> {
        crate::catalogue::current()
            .plans()
            .iter()
            .map(|p| Plan(p.name))
            .collect()
    }
    /// Whether the catalogue in force has it (a plan an operator dropped against the rule that
    /// keeps them: its organizations get the default plan's limits until billing moves them).
    pub fn is_offered(self) -> bool {
        crate::catalogue::current().plan(self.0).is_some()
    }
    /// Seat limit; `None` is unlimited.
    pub fn seat_limit(self) -> Option<u32> {
        match crate::catalogue::current().plan(self.0) {
            Some(p) => p.seat_limit,
            None => Self::default_plan().seat_limit(),
        }
    }
    /// Invitation emails per UTC day the catalogue sets for the plan, if it sets them.
    pub fn invitation_emails_per_day(self) -> Option<u32> {
        crate::catalogue::current()
            .plan(self.0)
            .and_then(|p| p.invitation_emails_per_day)
    }
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Plan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Plan {
    /// A stored plan is read whatever the catalogue says of it (an organization stays on a plan
    /// that is no longer offered, see [`Plan::is_offered`]).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(match crate::catalogue::current().plan(&raw) {
            Some(p) => Plan(p.name),
            None => Plan(Box::leak(raw.into_boxed_str())),
        })
    }
}
