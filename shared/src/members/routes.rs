use super::handlers;
use super::item::MemberItem;
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{body, org, org_on, Dynamo::*, Effect::*, Need, Place, RouteDef, Subject};

/// The membership a path's `{userId}` names.
const PATH_MEMBER: Subject = Subject {
    param: "userId",
    at: Place::Path,
    key: MemberItem::key_in_path,
    missing: super::member_not_found,
};

/// The membership the body's `userId` names (a body naming nobody valid is the operation's to refuse).
const BODY_MEMBER: Subject = Subject {
    param: "userId",
    at: Place::Body,
    key: MemberItem::key_in_path,
    missing: super::member_not_found,
};

pub static LIST_MEMBERS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/members",
    function: "list-members",
    summary: "Members with their roles, paginated; filter by role.",
    access: org(Need::Perm(Permission::MembersRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor, RoleNotFound],
    body: None,
    handler: crate::org_handler!(handlers::list_members),
};

pub static CHANGE_MEMBER_ROLE: RouteDef = RouteDef {
    method: "PATCH",
    path: "/orgs/{orgId}/members/{userId}",
    function: "change-member-role",
    summary: "Change a member's role (never to or above owner, never above your own), or deactivate or reactivate them.",
    access: org_on(Need::Perm(Permission::MembersUpdate), Write, PATH_MEMBER).reading_seats(),
    dynamo: &[BatchGetItem, UpdateItem, ConditionCheckItem, PutItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        OwnerRoleFixed,
        OwnerOnlyByTransfer,
        RoleAboveYours,
        MemberAboveYou,
        MemberOnTeams,
        ConcurrentUpdate,
        YourRoleChanged,
        RoleNotFound,
        NothingToUpdate,
        CannotDeactivate,
        SeatLimitReached,
    ],
    body: body::<handlers::ChangeMember>(),
    handler: crate::org_handler!(handlers::change_member),
};

pub static REMOVE_MEMBER: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/members/{userId}",
    function: "remove-member",
    summary: "Remove a member, or leave (yourself); the owner can do neither.",
    access: org_on(
        Need::PermOrSelf(Permission::MembersRemove),
        Write,
        PATH_MEMBER,
    ),
    dynamo: &[
        BatchGetItem,
        DeleteItem,
        UpdateItem,
        ConditionCheckItem,
        PutItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        OwnerCannotLeave,
        MemberAboveYou,
        ConcurrentUpdate,
        YourRoleChanged,
    ],
    body: None,
    handler: crate::org_handler!(handlers::remove_member),
};

pub static TRANSFER_OWNERSHIP: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/ownership-transfer",
    function: "transfer-ownership",
    summary: "Make another member the owner; the old owner becomes admin.",
    access: org_on(Need::Perm(Permission::OrgTransfer), Write, BODY_MEMBER),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        AlreadyOwner,
        MemberNotFound,
        ConcurrentUpdate,
        CannotDeactivate,
    ],
    body: body::<handlers::TransferOwnership>(),
    handler: crate::org_handler!(handlers::transfer_ownership),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_MEMBERS,
    &CHANGE_MEMBER_ROLE,
    &REMOVE_MEMBER,
    &TRANSFER_OWNERSHIP,
];
