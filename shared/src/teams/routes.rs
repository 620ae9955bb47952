use super::handlers;
use super::item::{team_not_found, TeamItem};
use crate::error::Code::*;
use crate::members::item::MemberItem;
use crate::members::member_not_found;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, org_on_with, Dynamo::*, Effect::*, Need, Place, RouteDef, Subject,
};

/// The team a path's `{teamId}` names.
const PATH_TEAM: Subject = Subject {
    param: "teamId",
    at: Place::Path,
    key: TeamItem::key_in,
    missing: team_not_found,
};

/// The member a path's `{userId}` names (read with the team).
const PATH_MEMBER: Subject = Subject {
    param: "userId",
    at: Place::Path,
    key: MemberItem::key_in_path,
    missing: member_not_found,
};

pub static LIST_TEAMS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/teams",
    function: "list-teams",
    summary: "Teams, paginated.",
    access: org(Need::Perm(Permission::TeamsRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::list_teams),
};

pub static CREATE_TEAM: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/teams",
    function: "create-team",
    summary: "Create a team (teams.manage), within the limit of teams per organization.",
    access: org(Need::Perm(Permission::TeamsManage), Write),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<crate::projects::item::CreateNamed>(),
    handler: crate::org_handler!(handlers::create_team),
};

pub static GET_TEAM: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/teams/{teamId}",
    function: "get-team",
    summary: "A team with one page of its members (limit, cursor).",
    access: org_on(Need::Perm(Permission::TeamsRead), Read, PATH_TEAM),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(handlers::get_team),
};

pub static UPDATE_TEAM: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/teams/{teamId}",
    function: "update-team",
    summary: "Rename or re-describe a team (teams.manage).",
    access: org_on(Need::Perm(Permission::TeamsManage), Write, PATH_TEAM),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        NothingToUpdate,
        ManagedByDirectory,
    ],
    body: body::<crate::projects::item::UpdateNamed>(),
    handler: crate::org_handler!(handlers::update_team),
};

pub static DELETE_TEAM: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/teams/{teamId}",
    function: "delete-team",
    summary: "Delete a team and its project grants at once (teams.manage); its memberships are removed from the stream right after.",
    access: org_on(Need::Perm(Permission::TeamsManage), Write, PATH_TEAM),
    dynamo: &[
        BatchGetItem,
        DeleteItem,
        UpdateItem,
        PutItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ConcurrentUpdate, ManagedByDirectory],
    body: None,
    handler: crate::org_handler!(handlers::delete_team),
};

pub static ADD_TEAM_MEMBER: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/teams/{teamId}/members/{userId}",
    function: "add-team-member",
    summary: "Put a member of the organization on a team (never a guest); idempotent.",
    access: org_on_with(
        Need::Perm(Permission::TeamsManage),
        Write,
        PATH_TEAM,
        PATH_MEMBER,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        MemberNotFound,
        GuestCannotJoinTeam,
        GrantAboveYou,
        LimitReached,
        ConcurrentUpdate,
        ManagedByDirectory,
    ],
    body: None,
    handler: crate::org_handler!(handlers::add_team_member),
};

pub static REMOVE_TEAM_MEMBER: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/teams/{teamId}/members/{userId}",
    function: "remove-team-member",
    summary: "Take a member off a team; the access the team gave ends at once.",
    access: org_on(Need::Perm(Permission::TeamsManage), Write, PATH_TEAM),
    dynamo: &[
        BatchGetItem,
        UpdateItem,
        DeleteItem,
        PutItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        ValidationFailed,
        TeamMemberNotFound,
        ConcurrentUpdate,
        ManagedByDirectory,
    ],
    body: None,
    handler: crate::org_handler!(handlers::remove_team_member),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_TEAMS,
    &CREATE_TEAM,
    &GET_TEAM,
    &UPDATE_TEAM,
    &DELETE_TEAM,
    &ADD_TEAM_MEMBER,
    &REMOVE_TEAM_MEMBER,
];
