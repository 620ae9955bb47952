//! The SCIM 2.0 service provider of one organization (RFC 7644), at `/orgs/{orgId}/scim/v2`:
//! `Users`, `Groups`, and the discovery endpoints (`ServiceProviderConfig`, `ResourceTypes`,
//! `Schemas`). One function serves them all (`ANY /orgs/{orgId}/scim/v2/{proxy+}`); its access
//! step is [`Scim::admit`]: the organization's own SCIM token (a missing, empty, revoked,
//! expired or another organization's token answers the same 401), read with the organization,
//! its `DIRECTORY` item and what the operation names, in ONE BatchGetItem. Every change is one
//! transaction with its audit entry (the actor is the token), conditional on the token still
//! being there and the organization active.

pub mod discovery;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod resource;
pub mod users;

use super::item::token::ScimTokenItem;
use super::item::DirectoryItem;
use crate::api_keys::secret::{Presented, SCIM_TOKEN};
use crate::audit::AuditEntry;
use crate::domain::{OrgId, ScimTokenId, Timestamp, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::orgs::item::{OrgItem, SeatsItem};
use crate::orgs::settings::OrgStatus;
use crate::pipeline::{Input, Reply};
use crate::store::{entity_type, from_item, Entity, Expr, Item, Key, Tx};
use crate::App;
use serde::de::DeserializeOwned;

/// SCIM's schema URNs.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `count` of a list: its default and its cap (RFC 7644 §3.4.2.4).
pub const MAX_COUNT: usize = 100;

pub(crate) fn unauthorized() -> ApiError {
    ApiError::new(
        Code::Unauthenticated,
        "Send one of this organization's SCIM tokens: `Authorization: Bearer orgs_scim_...` (an admin creates one with POST /orgs/{orgId}/scim-tokens). A revoked or expired token, or another organization's, is refused the same way.",
    )
}

/// The access of one SCIM request: the organization, its directory, the token, and the items the
/// operation asked to read with them.
pub struct Scim {
    pub org: OrgItem,
    pub directory: DirectoryItem,
    pub token: ScimTokenItem,
    pub seats: Option<SeatsItem>,
    items: Vec<Item>,
    /// `https://<host>/orgs/<orgId>/scim/v2`: the base of every `location`.
    pub base: String,
}

impl Scim {
    /// Admits the request: the bearer token is this organization's and valid now. `extra` keys
    /// are read in the same request (and found with [`Scim::item`]); `seats` reads the
    /// organization's seats too.
    pub async fn admit(app: &App, input: &Input, extra: Vec<Key>, seats: bool) -> ApiResult<Self> {
        let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(unauthorized)?;
        let presented = input
            .bearer
            .as_ref()
            .and_then(|b| Presented::<ScimTokenId>::parse(&SCIM_TOKEN, &b.0))
            .filter(|p| p.org == org_id)
            .ok_or_else(unauthorized)?;
        let token_key = ScimTokenItem::key_of(&org_id, &presented.key);
        let mut keys = vec![
            OrgItem::key_of(&org_id),
            token_key,
            DirectoryItem::key_of(&org_id),
        ];
        if seats {
            keys.push(SeatsItem::key_of(&org_id));
        }
        for k in extra {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let items = app.store.batch_get(keys).await?;
        let mut org = None;
        let mut token = None;
        let mut directory = None;
        let mut seats_item = None;
        let mut rest = Vec::new();
        for item in items {
            match entity_type(&item) {
                Some(OrgItem::TYPE) => org = Some(from_item::<OrgItem>(item)?),
                Some(ScimTokenItem::TYPE) => token = Some(from_item::<ScimTokenItem>(item)?),
                Some(DirectoryItem::TYPE) => directory = Some(from_item::<DirectoryItem>(item)?),
                Some(SeatsItem::TYPE) => seats_item = Some(from_item::<SeatsItem>(item)?),
                _ => rest.push(item),
            }
        }
        let (Some(org), Some(token)) = (org, token) else {
            return Err(unauthorized());
        };
        let server_key = app.config.require_api_key_hash_key()?;
        if token.is_expired(Timestamp::now()) || !presented.matches(server_key, &token.digest)? {
            return Err(unauthorized());
        }
        Ok(Self {
            directory: directory.unwrap_or_else(|| DirectoryItem::empty(&org_id)),
            base: format!(
                "{}/orgs/{}/scim/v2",
                input.origin.as_deref().unwrap_or(""),
                org_id.as_str()
            ),
            org,
            token,
            seats: seats_item,
            items: rest,
        })
    }

    pub fn org_id(&self) -> &OrgId {
        &self.org.org_id
    }

    /// An item read with the access, by key.
    pub fn item<T: Entity + DeserializeOwned>(&self, key: &Key) -> ApiResult<Option<T>> {
        self.items
            .iter()
            .find(|i| Key::of_item(i).as_ref() == Some(key))
            .map(|i| from_item(i.clone()))
            .transpose()
    }

    /// Provisioning changes nothing while the organization is closed (reads work).
    pub fn writable(&self) -> ApiResult<()> {
        match self.org.status {
            OrgStatus::Active => Ok(()),
            _ => Err(ApiError::new(
                Code::OrgClosed,
                "The organization is closed: the directory is read-only until its owner reactivates it.",
            )),
        }
    }

    /// A transaction guarded by what the request was admitted on: the token still there, the
    /// organization active.
    pub fn tx(&self, app: &App) -> ApiResult<Tx> {
        let tx = app.store.tx().guard(
            self.token.key(),
            "attribute_exists(PK)",
            Expr::new(),
            unauthorized(),
        )?;
        self.org.guard_active(tx)
    }

    /// The actor of the directory's changes: its token.
    pub fn actor(&self) -> UserId {
        UserId::parse("actorId", self.token.token_id.as_str()).expect("a token id is a user id")
    }

    pub fn audit(
        &self,
        action: &'static str,
        event_type: &'static str,
        summary: impl Into<String>,
        mut details: serde_json::Value,
    ) -> AuditEntry {
        details["via"] = serde_json::json!({ "scimTokenId": self.token.token_id, "scimTokenName": self.token.name });
        AuditEntry {
            org_id: self.org.org_id.clone(),
            actor_id: self.actor(),
            actor_kind: crate::audit::ActorKind::ScimToken,
            action,
            event_type,
            at: Timestamp::now(),
            summary: summary.into(),
            details,
        }
    }
}

/// A request body as JSON (SCIM messages are objects).
pub fn body_of(input: &Input) -> ApiResult<serde_json::Map<String, serde_json::Value>> {
    if input.body.is_empty() {
        return Err(ApiError::new(
            Code::ScimInvalidSyntax,
            "This request needs a SCIM message as its body.",
        ));
    }
    match serde_json::from_slice::<serde_json::Value>(&input.body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(ApiError::new(
            Code::ScimInvalidSyntax,
            "The body is not a JSON object (a SCIM resource or PatchOp message).",
        )),
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        Code::ScimResourceNotFound,
        "No such SCIM endpoint: the service provider serves Users, Groups, ServiceProviderConfig, ResourceTypes and Schemas.",
    )
}

fn not_allowed(method: &str, allowed: &str) -> ApiError {
    ApiError::new(
        Code::ScimMethodNotAllowed,
        format!("{method} is not allowed here; this endpoint takes {allowed}."),
    )
}

fn not_implemented(what: &str) -> ApiError {
    ApiError::new(
        Code::ScimNotImplemented,
        format!(
            "{what} is not implemented by this service provider (ServiceProviderConfig says so)."
        ),
    )
}

/// The directory's one function: dispatches on the method and the path after `/scim/v2/`.
pub async fn serve(app: App, input: Input) -> ApiResult<Reply> {
    let rest = input.path_param("proxy").trim_matches('/').to_string();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = input.method.to_uppercase();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["ServiceProviderConfig"]) => discovery::config(&app, &input).await,
        ("GET", ["ResourceTypes"]) => discovery::resource_types(&app, &input, None).await,
        ("GET", ["ResourceTypes", id]) => discovery::resource_types(&app, &input, Some(id)).await,
        ("GET", ["Schemas"]) => discovery::schemas(&app, &input, None).await,
        ("GET", ["Schemas", id]) => discovery::schemas(&app, &input, Some(id)).await,
        ("GET", ["Groups"]) => groups::list(&app, &input).await,
        ("POST", ["Groups"]) => groups::create(&app, &input).await,
        ("GET", ["Groups", id]) => groups::get(&app, &input, id).await,
        ("PUT", ["Groups", id]) => groups::replace(&app, &input, id).await,
        ("PATCH", ["Groups", id]) => groups::patch(&app, &input, id).await,
        ("DELETE", ["Groups", id]) => groups::delete(&app, &input, id).await,
        ("GET", ["Users"]) => users::list(&app, &input).await,
        ("POST", ["Users"]) => users::create(&app, &input).await,
        ("GET", ["Users", id]) => users::get(&app, &input, id).await,
        ("PUT", ["Users", id]) => users::replace(&app, &input, id).await,
        ("PATCH", ["Users", id]) => users::patch(&app, &input, id).await,
        ("DELETE", ["Users", id]) => users::delete(&app, &input, id).await,
        // The rest answers only a caller with the token: nothing here is told to anyone else.
        (_, rest) => {
            Scim::admit(&app, &input, Vec::new(), false).await?;
            Err(match rest {
                ["ServiceProviderConfig"]
                | ["ResourceTypes"]
                | ["ResourceTypes", _]
                | ["Schemas"]
                | ["Schemas", _] => not_allowed(&method, "only GET"),
                ["Users"] => not_allowed(&method, "GET and POST"),
                ["Users", _] | ["Groups", _] => not_allowed(&method, "GET, PUT, PATCH and DELETE"),
                ["Groups"] => not_allowed(&method, "GET and POST"),
                ["Bulk"] => not_implemented("Bulk"),
                ["Me"] => not_implemented("/Me"),
                [".search"] | [_, ".search"] => not_implemented("POST .search"),
                _ => not_found(),
            })
        }
    }
}
