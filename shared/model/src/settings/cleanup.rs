//! The cleanup policy: what the platform's other services clean up on their own, and when. We
//! store and validate it; they enforce it (the `CleanupPolicyChanged` event carries all of it).

use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// A rule's `afterDays`: from the first to the last.
pub const AFTER_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// One automatic cleanup: on or off, and after how many days (1 to 365).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CleanupRule {
    pub enabled: bool,
    pub after_days: u32,
}

impl CleanupRule {
    const fn off(after_days: u32) -> Self {
        Self {
            enabled: false,
            after_days,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CleanupPolicy {
    /// Stop environments nobody deployed to or opened for this many days.
    pub stop_idle_environments: CleanupRule,
    /// Delete preview environments stopped for this many days.
    pub delete_stopped_previews: CleanupRule,
    /// Delete volumes attached to nothing for this many days.
    pub delete_unattached_volumes: CleanupRule,
}

impl Default for CleanupPolicy {
    /// Everything off until the organization decides.
    fn default() -> Self {
        Self {
            stop_idle_environments: CleanupRule::off(14),
            delete_stopped_previews: CleanupRule::off(7),
            delete_unattached_volumes: CleanupRule::off(30),
        }
    }
}

impl CleanupPolicy {
    fn rules(&self) -> [(&'static str, CleanupRule); 3] {
        [
            ("stopIdleEnvironments", self.stop_idle_environments),
            ("deleteStoppedPreviews", self.delete_stopped_previews),
            ("deleteUnattachedVolumes", self.delete_unattached_volumes),
        ]
    }

    /// Every `afterDays` within 1 to 365 (the field is named in the answer).
    pub fn validate(self) -> ApiResult<Self> {
        for (name, rule) in self.rules() {
            if !AFTER_DAYS.contains(&rule.after_days) {
                let field = format!("{name}.afterDays");
                return Err(ApiError::validation(
                    &field,
                    format!(
                        "`{field}` must be {} to {} days (got {}).",
                        AFTER_DAYS.start(),
                        AFTER_DAYS.end(),
                        rule.after_days
                    ),
                ));
            }
        }
        Ok(self)
    }

    /// The rules that differ from `before`.
    pub fn changed_from(&self, before: &CleanupPolicy) -> Vec<&'static str> {
        super::changed_keys(self.rules(), before.rules())
    }
}

/// `PUT /orgs/{orgId}/settings/cleanup-policy`'s body: every rule's `afterDays` in `AFTER_DAYS`.
impl crate::body::Parse for CleanupPolicy {
    type Raw = CleanupPolicy;
    fn parse(_field: &str, raw: CleanupPolicy) -> ApiResult<Self> {
        raw.validate()
    }
    #[cfg(feature = "openapi")]
    fn schema() -> serde_json::Value {
        let rule = |what: &str| {
            serde_json::json!({
                "type": "object",
                "description": what,
                "additionalProperties": false,
                "required": ["enabled", "afterDays"],
                "properties": {
                    "enabled": { "type": "boolean" },
                    "afterDays": { "type": "integer", "minimum": AFTER_DAYS.start(), "maximum": AFTER_DAYS.end() },
                },
            })
        };
        serde_json::json!({
            "type": "object",
            "description": "What the platform's other services clean up on their own, and when.",
            "additionalProperties": false,
            "required": ["stopIdleEnvironments", "deleteStoppedPreviews", "deleteUnattachedVolumes"],
            "properties": {
                "stopIdleEnvironments": rule("Stop environments nobody deployed to or opened for this many days."),
                "deleteStoppedPreviews": rule("Delete preview environments stopped for this many days."),
                "deleteUnattachedVolumes": rule("Delete volumes attached to nothing for this many days."),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_changes() {
        let mut p = CleanupPolicy::default();
        assert!(p.validate().is_ok());
        p.delete_stopped_previews = CleanupRule {
            enabled: true,
            after_days: 0,
        };
        let e = p.validate().unwrap_err();
        assert_eq!(e.extra["field"], "deleteStoppedPreviews.afterDays");
        p.delete_stopped_previews.after_days = 3;
        assert_eq!(
            p.changed_from(&CleanupPolicy::default()),
            vec!["deleteStoppedPreviews"]
        );
    }
}
