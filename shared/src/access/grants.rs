//! Project-scoped roles granted to one user (teams come later).

use crate::domain::{OrgId, Timestamp, UserId};
use crate::error::ApiError;
use crate::orgs::item::org_pk;
use crate::permissions::Role;
use crate::store::{Entity, Expr, Key, Tx};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "entity_type")]
    entity_type: String,
    pub org_id: OrgId,
    pub project_id: String,
    pub principal: String,
    pub role: Role,
    pub granted_by: UserId,
    pub granted_at: Timestamp,
}

impl Entity for GrantItem {
    const TYPE: &'static str = "grant";
    fn key(&self) -> Key {
        Key::new(self.pk.clone(), self.sk.clone())
    }
}

impl GrantItem {
    pub fn user_key(org: &OrgId, project: &str, user: &UserId) -> Key {
        Key::new(
            org_pk(org),
            format!("GRANT#{project}#user:{}", user.as_str()),
        )
    }
    pub fn for_user(
        org: &OrgId,
        project: &str,
        user: &UserId,
        role: Role,
        by: &UserId,
        at: Timestamp,
    ) -> Self {
        let key = Self::user_key(org, project, user);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity_type: Self::TYPE.into(),
            org_id: org.clone(),
            project_id: project.to_string(),
            principal: format!("user:{}", user.as_str()),
            role,
            granted_by: by.clone(),
            granted_at: at,
        }
    }
    /// Writes the grant (a new member's: nothing can be there before them).
    pub fn write(&self, tx: Tx) -> Result<Tx, ApiError> {
        tx.put(
            self,
            None,
            Expr::new(),
            ApiError::internal("grant write failed"),
        )
    }
}
