//! The discovery endpoints (RFC 7644 §4): what this service provider does, its resource types,
//! and the schemas of exactly the attributes it stores (so a client knows what round-trips).

use super::{Scim, GROUP_SCHEMA, LIST_SCHEMA, MAX_COUNT, USER_SCHEMA};
use crate::error::{ApiError, ApiResult, Code};
use crate::pipeline::{Input, Reply};
use crate::App;
use serde_json::{json, Value};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn meta(scim: &Scim, resource_type: &str, path: &str) -> Value {
    json!({ "resourceType": resource_type, "location": format!("{}/{path}", scim.base) })
}

/// `GET /ServiceProviderConfig`
pub async fn config(app: &App, input: &Input) -> ApiResult<Reply> {
    let scim = Scim::admit(app, input, Vec::new(), false).await?;
    Ok(Reply::ok(&json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_COUNT },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "One of the organization's SCIM tokens (POST /orgs/{orgId}/scim-tokens), as `Authorization: Bearer orgs_scim_...`.",
            "primary": true
        }],
        "meta": meta(&scim, "ServiceProviderConfig", "ServiceProviderConfig"),
    })))
}

fn resource_type(scim: &Scim, name: &str) -> Option<Value> {
    let (endpoint, schema, description) = match name {
        "User" => (
            "/Users",
            USER_SCHEMA,
            "People the directory provisions; each becomes a member when they first sign in.",
        ),
        "Group" => (
            "/Groups",
            GROUP_SCHEMA,
            "Groups: the organization's teams the directory manages.",
        ),
        _ => return None,
    };
    Some(json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": [],
        "meta": meta(scim, "ResourceType", &format!("ResourceTypes/{name}")),
    }))
}

fn list(items: Vec<Value>) -> Reply {
    Reply::ok(&json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": items.len(),
        "itemsPerPage": items.len(),
        "startIndex": 1,
        "Resources": items,
    }))
}

fn unknown(what: &str, id: &str) -> ApiError {
    ApiError::new(
        Code::ScimResourceNotFound,
        format!("No {what} `{id}` here: GET the list to see those this service provider has."),
    )
}

/// `GET /ResourceTypes` and `GET /ResourceTypes/{id}`
pub async fn resource_types(app: &App, input: &Input, id: Option<&str>) -> ApiResult<Reply> {
    let scim = Scim::admit(app, input, Vec::new(), false).await?;
    match id {
        Some(id) => resource_type(&scim, id)
            .map(|r| Reply::ok(&r))
            .ok_or_else(|| unknown("resource type", id)),
        None => Ok(list(
            ["User", "Group"]
                .iter()
                .filter_map(|n| resource_type(&scim, n))
                .collect(),
        )),
    }
}

/// One attribute of a schema.
fn attr(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut v: Value, changes: Value) -> Value {
    for (k, val) in changes.as_object().into_iter().flatten() {
        v[k] = val.clone();
    }
    v
}

fn user_schema() -> Value {
    let string = |n: &str, d: &str| attr(n, "string", d);
    json!({
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person the organization's directory provisions.",
        "attributes": [
            with(string("userName", "Unique in the organization's directory, not case-exact; the identity provider's login name."),
                json!({ "required": true, "uniqueness": "server" })),
            with(string("externalId", "The identity provider's id for the person."), json!({ "caseExact": true })),
            with(attr("name", "complex", "The person's name."), json!({ "subAttributes": [
                string("formatted", "The full name, formatted for display."),
                string("familyName", "The family name."),
                string("givenName", "The given name."),
            ]})),
            string("displayName", "The name shown for the person."),
            with(attr("emails", "complex", "Email addresses; the primary one (else the first) is the one the person signs in with and becomes a member by."),
                json!({ "multiValued": true, "subAttributes": [
                    string("value", "The address."),
                    with(string("type", "work, home or other."), json!({ "canonicalValues": ["work", "home", "other"] })),
                    attr("primary", "boolean", "Whether this is the person's email."),
                ]})),
            attr("active", "boolean", "false: the person's membership is deactivated (no access, no seat) until true again."),
        ],
        "meta": { "resourceType": "Schema" },
    })
}

fn group_schema() -> Value {
    json!({
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A team of the organization, managed by its directory.",
        "attributes": [
            with(attr("displayName", "string", "The team's name: unique in the organization's directory, not case-exact."),
                json!({ "required": true, "uniqueness": "server" })),
            with(attr("externalId", "string", "The identity provider's id for the group."), json!({ "caseExact": true })),
            with(attr("members", "complex", "The group's users (by their SCIM id); a user who has not joined yet becomes a team member when they join."),
                json!({ "multiValued": true, "subAttributes": [
                    with(attr("value", "string", "The user's SCIM id."), json!({ "mutability": "immutable" })),
                    with(attr("$ref", "reference", "The user's location."), json!({ "mutability": "immutable", "referenceTypes": ["User"] })),
                    with(attr("type", "string", "User (groups are not members of groups here)."), json!({ "mutability": "immutable", "canonicalValues": ["User"] })),
                ]})),
        ],
        "meta": { "resourceType": "Schema" },
    })
}

fn schema(scim: &Scim, id: &str) -> Option<Value> {
    let mut s = match id {
        USER_SCHEMA => user_schema(),
        GROUP_SCHEMA => group_schema(),
        _ => return None,
    };
    s["schemas"] = json!([SCHEMA_SCHEMA]);
    s["meta"]["location"] = json!(format!("{}/Schemas/{id}", scim.base));
    Some(s)
}

/// `GET /Schemas` and `GET /Schemas/{id}`
pub async fn schemas(app: &App, input: &Input, id: Option<&str>) -> ApiResult<Reply> {
    let scim = Scim::admit(app, input, Vec::new(), false).await?;
    match id {
        Some(id) => schema(&scim, id)
            .map(|s| Reply::ok(&s))
            .ok_or_else(|| unknown("schema", id)),
        None => Ok(list(
            [USER_SCHEMA, GROUP_SCHEMA]
                .iter()
                .filter_map(|id| schema(&scim, id))
                .collect(),
        )),
    }
}
