use super::request::{request_not_found, MembershipRequestItem};
use super::{enroll, handlers};
use crate::error::Code::*;
use crate::permissions::Permission;
use crate::pipeline::{
    body, org, org_on, Access, Dynamo::*, Effect::*, Need, Place, RouteDef, Subject,
};

/// The membership request a path's `{requestId}` names.
const PATH_REQUEST: Subject = Subject {
    param: "requestId",
    at: Place::Path,
    key: MembershipRequestItem::key_in,
    missing: request_not_found,
};

pub static LIST_DOMAINS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/domains",
    function: "list-domains",
    summary:
        "The organization's email domains (at most 10), their verification records and enrollment.",
    access: org(Need::Perm(Permission::VerifiedDomainsRead), Read),
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[],
    body: None,
    handler: crate::org_handler!(handlers::list_domains),
};

pub static ADD_DOMAIN: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/domains",
    function: "add-domain",
    summary: "Add an email domain (never a public or disposable provider's): pending, with the TXT record to publish.",
    access: org(Need::Perm(Permission::VerifiedDomainsManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        DomainExists,
        LimitReached,
        ConcurrentUpdate,
    ],
    body: body::<handlers::AddDomain>(),
    handler: crate::org_handler!(handlers::add_domain),
};

pub static VERIFY_DOMAIN: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/domains/{domain}/verify",
    function: "verify-domain",
    summary: "Look the domain's TXT record up: verified (one organization at a time), or still pending with what was found.",
    access: org(Need::Perm(Permission::VerifiedDomainsManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[DomainNotFound, DomainTaken, ConcurrentUpdate, ServiceUnavailable],
    body: None,
    handler: crate::org_handler!(handlers::verify_domain),
};

pub static SET_DOMAIN_ENROLLMENT: RouteDef = RouteDef {
    method: "PUT",
    path: "/orgs/{orgId}/domains/{domain}/enrollment",
    function: "set-domain-enrollment",
    summary: "How people with a verified email at the domain join: manual, automatic_invitation or automatic_suggestion, with a role at most editor and at or below yours.",
    access: org(Need::Perm(Permission::VerifiedDomainsManage), Write),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        BodyRequired,
        InvalidBody,
        ValidationFailed,
        DomainNotFound,
        RoleAboveYours,
        OwnerOnlyByTransfer,
        RoleNotFound,
        ConcurrentUpdate,
    ],
    body: body::<handlers::DomainEnrollment>(),
    handler: crate::org_handler!(handlers::set_enrollment),
};

pub static REMOVE_DOMAIN: RouteDef = RouteDef {
    method: "DELETE",
    path: "/orgs/{orgId}/domains/{domain}",
    function: "remove-domain",
    summary: "Remove a domain; a verified one is free for another organization at once.",
    access: org(Need::Perm(Permission::VerifiedDomainsManage), Write),
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
    errors: &[DomainNotFound, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(handlers::remove_domain),
};

pub static LIST_MY_SUGGESTIONS: RouteDef = RouteDef {
    method: "GET",
    path: "/me/organization-suggestions",
    function: "list-my-suggestions",
    summary: "The organization that verified my verified email's domain and suggests itself there (automatic_suggestion).",
    access: Access::User,
    dynamo: &[BatchGetItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[EmailNotVerified],
    body: None,
    handler: crate::user_handler!(enroll::list_suggestions),
};

pub static REQUEST_MEMBERSHIP: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/membership-requests",
    function: "request-membership",
    summary: "Ask to join an organization that suggests itself to my verified email's domain (one request per person).",
    access: Access::User,
    dynamo: &[BatchGetItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        EmailNotVerified,
        OrgNotFound,
        AlreadyMember,
        MembershipRequestExists,
        MembershipRequestLimit,
        MfaRequired,
        EmailDomainNotAllowed,
        ConcurrentUpdate,
    ],
    body: None,
    handler: crate::user_handler!(enroll::request_membership),
};

pub static LIST_MEMBERSHIP_REQUESTS: RouteDef = RouteDef {
    method: "GET",
    path: "/orgs/{orgId}/membership-requests",
    function: "list-membership-requests",
    summary: "Requests to join through a verified domain: pending, and rejected within 30 days; paginated.",
    access: org(Need::Perm(Permission::InvitationsRead), Read),
    dynamo: &[BatchGetItem, Query],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[ValidationFailed, InvalidCursor],
    body: None,
    handler: crate::org_handler!(enroll::list_requests),
};

pub static APPROVE_MEMBERSHIP_REQUEST: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/membership-requests/{requestId}/approve",
    function: "approve-membership-request",
    summary: "The requester joins with the enrollment's role (seats, allowed domains and the domain's verification hold).",
    access: org_on(Need::Perm(Permission::InvitationsCreate), Write, PATH_REQUEST).reading_seats(),
    dynamo: &[BatchGetItem, DeleteItem, PutItem, UpdateItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[
        InvitationNotPending,
        SeatLimitReached,
        AlreadyMember,
        EmailDomainNotAllowed,
        RoleAboveYours,
        OwnerOnlyByTransfer,
        RoleNotFound,
        EnrollmentLapsed,
        ConcurrentUpdate,
    ],
    body: None,
    handler: crate::org_handler!(enroll::approve_request),
};

pub static REJECT_MEMBERSHIP_REQUEST: RouteDef = RouteDef {
    method: "POST",
    path: "/orgs/{orgId}/membership-requests/{requestId}/reject",
    function: "reject-membership-request",
    summary: "Reject a request; the person may ask again after 30 days.",
    access: org_on(
        Need::Perm(Permission::InvitationsCreate),
        Write,
        PATH_REQUEST,
    ),
    dynamo: &[BatchGetItem, UpdateItem, PutItem, ConditionCheckItem],
    ses: false,
    secrets: &[],
    keys: &[],
    errors: &[InvitationNotPending, ConcurrentUpdate],
    body: None,
    handler: crate::org_handler!(enroll::reject_request),
};

/// This concept's routes (`crate::routes::ROUTES` concatenates every concept's, in order).
pub static ROUTES: &[&RouteDef] = &[
    &LIST_DOMAINS,
    &ADD_DOMAIN,
    &VERIFY_DOMAIN,
    &SET_DOMAIN_ENROLLMENT,
    &REMOVE_DOMAIN,
    &LIST_MY_SUGGESTIONS,
    &REQUEST_MEMBERSHIP,
    &LIST_MEMBERSHIP_REQUESTS,
    &APPROVE_MEMBERSHIP_REQUEST,
    &REJECT_MEMBERSHIP_REQUEST,
];
