use super::item::InvitationItem;
use super::{by_code, create, manage};
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Access, Dynamo::*, Effect::*, Need, Place, RouteDef, ServerKey::*, Subject,
};

/// The invitation a path's `{invitationId}` names.
const PATH_INVITATION: Subject = Subject {
    param: "invitationId",
    at: Place::Path,
    key: InvitationItem::key_in_path,
    missing: super::invitation_not_found,
};

pub static CREATE_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations",
    function: "create-invitation",
    summary: "Invite by email with a role (never above your own; developers and above too with invitePolicy members); reserves seats and sends the email.",
    access: org(Need::Perm(Permission::InvitationsCreate), Write).reading_seats(),
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: true,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[
        EmailDomainNotAllowed,
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        OwnerOnlyByTransfer,
        RoleAboveYours,
        GrantAboveYou,
        AlreadyMember,
        SeatLimitReached,
        InvitationEmailLimit,
        RecipientEmailLimit,
        ProjectNotFound,
        ConcurrentUpdate,
        RoleNotFound,
    ],
    body: body::<create::CreateInvitation>(),
    handler: crate::org_handler!(create::create_invitation),
};

pub static LIST_INVITATIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/invitations",
    function: "list-invitations",
    summary: "Invitations with their status and uses, paginated.",
    access: org(Need::Perm(Permission::InvitationsRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(manage::list_invitations),
};

pub static GET_INVITATION_CODE: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/invitations/{invitationId}/code",
    function: "get-invitation-code",
    summary: "The code and link of a pending invitation, to copy.",
    access: org_on(
        Need::Perm(Permission::InvitationsCode),
        Read,
        PATH_INVITATION,
    ),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[InvitationNotPending],
    body: None,
    handler: crate::org_handler!(manage::get_code),
};

pub static RESEND_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations/{invitationId}/resend",
    function: "resend-invitation",
    summary: "A new expiry window and the email again (rate-limited).",
    access: org_on(
        Need::Perm(Permission::InvitationsResend),
        Write,
        PATH_INVITATION,
    )
    .reading_seats(),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: true,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[
        EmailDomainNotAllowed,
        InvitationNotPending,
        ResendLimitReached,
        ResendTooSoon,
        SeatLimitReached,
        InvitationEmailLimit,
        RecipientEmailLimit,
        ConcurrentUpdate,
        RoleNotFound,
    ],
    body: None,
    handler: crate::org_handler!(manage::resend),
};

pub static REVOKE_INVITATION: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/invitations/{invitationId}",
    function: "revoke-invitation",
    summary: "Revoke an invitation; its remaining seats are released.",
    access: org_on(
        Need::Perm(Permission::InvitationsRevoke),
        Write,
        PATH_INVITATION,
    )
    .reading_seats(),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[InvitationNotPending, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(manage::revoke),
};

pub static CLEANUP_INVITATIONS: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/invitations/cleanup",
    function: "cleanup-invitations",
    summary: "Remove expired, revoked and used-up invitations (in batches; follow nextCursor).",
    access: org(Need::Perm(Permission::InvitationsCleanup), Write).reading_seats(),
    dynamo: &[
        BatchGetItem,
        Query,
        DeleteItem,
        UpdateItem,
        PutItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[InvalidCursor, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(manage::cleanup),
};

pub static PREVIEW_INVITATION: RouteDef = RouteDef {
    method: "GET",
    path: "/invitations/{code}",
    function: "preview-invitation",
    summary: "What an invitation offers: organization, role, inviter, expiry.",
    access: Access::User,
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[InvitationInvalid, AlreadyMember],
    body: None,
    handler: crate::user_handler!(by_code::preview),
};

pub static ACCEPT_INVITATION: RouteDef = RouteDef {
    method: "POST",
    path: "/invitations/{code}/accept",
    function: "accept-invitation",
    summary: "Join the organization with the invitation.",
    access: Access::User,
    dynamo: &[
        BatchGetItem,
        UpdateItem,
        PutItem,
        DeleteItem,
        ConditionCheckItem,
    ],
    ses: false,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[
        EmailDomainNotAllowed,
        EmailNotVerified,
        MfaRequired,
        InvitationInvalid,
        AlreadyMember,
        InvitationEmailMismatch,
        SeatLimitReached,
        RoleNotFound,
        ConcurrentUpdate,
        EnrollmentLapsed,
    ],
    body: None,
    handler: crate::user_handler!(by_code::accept),
};

pub static LIST_MY_INVITATIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/me/invitations",
    function: "list-my-invitations",
    summary: "Pending invitations addressed to my verified email.",
    access: Access::User,
    dynamo: &[Query, BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[InvitationCode],
    errors: &[ValidationFailed, InvalidCursor, EmailNotVerified],
    body: None,
    handler: crate::user_handler!(by_code::list_mine),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &CREATE_INVITATION,
    &LIST_INVITATIONS,
    &GET_INVITATION_CODE,
    &RESEND_INVITATION,
    &REVOKE_INVITATION,
    &CLEANUP_INVITATIONS,
    &PREVIEW_INVITATION,
    &ACCEPT_INVITATION,
    &LIST_MY_INVITATIONS,
];
