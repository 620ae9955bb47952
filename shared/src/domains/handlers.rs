//! The organization's domains: list, add, verify, set the enrollment, remove. The entries live
//! on the organization item, so every route is the pipeline's access read plus at most one
//! transaction (and, to verify, one DNS lookup between them).

use super::entry::{DomainStatus, Enrollment, EnrollmentMode, OrgDomain, DOMAINS_PER_ORG};
use super::item::DomainClaimItem;
use super::name::{record_found, record_value, DomainName};
use super::views::DomainView;
use crate::access::Ctx;
use crate::audit::Audited;
use crate::body::Parsed;
use crate::dns::DnsError;
use crate::domain::{InvitationId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::RoleAsked;
use crate::permissions::RoleRef;
use crate::pipeline::{Input, Reply};
use crate::roles::Holder;
use crate::App;
use serde::Deserialize;
use serde_json::json;

/// Seconds a caller waits before retrying a lookup the nameserver did not answer.
const DNS_RETRY_AFTER: u64 = 30;

/// `POST /orgs/{orgId}/domains`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddDomain {
    domain: Parsed<DomainName>,
}

/// `PUT /orgs/{orgId}/domains/{domain}/enrollment`'s body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DomainEnrollment {
    mode: Parsed<EnrollmentMode>,
    /// A system role at most editor, or a custom role's id. Required unless `mode` is manual.
    role: Option<Parsed<RoleAsked>>,
}

pub fn domain_not_found() -> ApiError {
    ApiError::new(
        Code::DomainNotFound,
        "This organization has no such domain; GET /orgs/{orgId}/domains lists its domains.",
    )
}

fn taken(domain: &DomainName) -> ApiError {
    ApiError::new(
        Code::DomainTaken,
        format!("Another organization has verified {}; a domain is one organization's at a time. If it is yours, remove it there first.", domain.as_str()),
    )
    .with("domain", domain.as_str())
}

/// The domain `{domain}` names and its entry as read.
fn path_domain(ctx: &Ctx, input: &Input) -> ApiResult<(DomainName, OrgDomain)> {
    let domain =
        DomainName::parse("domain", input.path_param("domain")).map_err(|_| domain_not_found())?;
    let entry = ctx
        .org
        .domains
        .get(&domain)
        .cloned()
        .ok_or_else(domain_not_found)?;
    Ok((domain, entry))
}

/// `GET /orgs/{orgId}/domains`: from the organization item (at most 10: one page).
pub async fn list_domains(_app: App, ctx: Ctx, _input: Input) -> ApiResult<Reply> {
    let items = ctx
        .org
        .domains
        .iter()
        .map(|(d, e)| DomainView::new(d, e, &ctx.org))
        .collect();
    Ok(Reply::list(items, None))
}

/// `POST /orgs/{orgId}/domains` `{domain}`: a pending domain with its TXT record to publish.
pub async fn add_domain(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let domain = input.json::<AddDomain>()?.domain.into_inner();
    if ctx.org.domains.get(&domain).is_some() {
        return Err(ApiError::new(
            Code::DomainExists,
            format!("The organization has {} already; verify it with POST /orgs/{{orgId}}/domains/{}/verify.", domain.as_str(), domain.as_str()),
        )
        .with("domain", domain.as_str()));
    }
    if ctx.org.domains.iter().count() >= DOMAINS_PER_ORG {
        return Err(ApiError::limit(
            "domainsPerOrganization",
            DOMAINS_PER_ORG,
            format!("An organization has at most {DOMAINS_PER_ORG} domains; remove one first."),
        ));
    }
    let entry = OrgDomain::new(ctx.user_id(), Timestamp::now());
    let tx = ctx
        .org
        .domain_added(ctx.tx()?, &domain, &entry, DOMAINS_PER_ORG)?;
    let tx = tx.audit(ctx.audit(
        "domain.added",
        "DomainAdded",
        format!("added domain {}", domain.as_str()),
        json!({ "domain": domain.as_str() }),
    ))?;
    app.commit(
        tx,
        Reply::created(&DomainView::new(domain.as_str(), &entry, &ctx.org)),
    )
    .await
}

/// `POST /orgs/{orgId}/domains/{domain}/verify`: looks the TXT record up. Found: verified, with
/// the domain's uniqueness item, in one transaction (another organization's verification
/// answers 409 `domain_taken`). Not found: 200, still pending, with what the lookup found and
/// nothing written. A nameserver that does not answer is 503 with Retry-After.
pub async fn verify_domain(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let (domain, entry) = path_domain(&ctx, &input)?;
    let found = match app.config.resolver()?.txt(&domain.record_name()).await {
        Ok(found) => found,
        Err(e) => return Err(dns_unavailable(&e)),
    };
    let mut view_entry = entry.clone();
    let mut verified = None;
    if entry.status != DomainStatus::Verified && record_found(&found, &record_value(&entry.token)) {
        let now = Timestamp::now();
        let tx = ctx
            .org
            .domain_marked(ctx.tx()?, &domain, &entry, DomainStatus::Verified, now)?;
        let tx = DomainClaimItem::claim(tx, &domain, ctx.org_id(), now, taken(&domain))?;
        let tx = tx.audit(ctx.audit(
            "domain.verified",
            "DomainVerified",
            format!("verified domain {}", domain.as_str()),
            json!({ "domain": domain.as_str() }),
        ))?;
        verified = Some(tx);
        view_entry.status = DomainStatus::Verified;
        view_entry.verified_at = Some(now);
        view_entry.missing_days = 0;
    }
    let mut view = DomainView::new(domain.as_str(), &view_entry, &ctx.org);
    view.found = Some(found);
    match verified {
        Some(tx) => app.commit(tx, Reply::ok(&view)).await,
        None => Ok(Reply::ok(&view)),
    }
}

/// A lookup that failed is never "record missing": the caller retries.
fn dns_unavailable(e: &DnsError) -> ApiError {
    let mut err = ApiError::new(
        Code::ServiceUnavailable,
        "The DNS lookup did not get an answer (the nameserver timed out or failed); nothing changed. Retry shortly.",
    )
    .retry_after(DNS_RETRY_AFTER);
    err.cause = Some(format!("DNS lookup: {e}"));
    err
}

/// `PUT /orgs/{orgId}/domains/{domain}/enrollment` `{mode, role}`: how people with a verified
/// email at the domain join. The role is at most `editor` (never owner or admin: nobody
/// administers an organization by owning an address) and at or below the author's own.
pub async fn set_enrollment(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let body: DomainEnrollment = input.json()?;
    let (domain, entry) = path_domain(&ctx, &input)?;
    let mode = body.mode.into_inner();
    let now = Timestamp::now();
    let (enrollment, held) = match (mode, body.role.map(|r| r.into_inner().0)) {
        (EnrollmentMode::Manual, Some(_)) => {
            return Err(ApiError::validation(
                "role",
                "`manual` gives no role: people join by invitation. Leave `role` out.",
            ))
        }
        (EnrollmentMode::Manual, None) => (None, None),
        (_, None) => {
            return Err(ApiError::validation(
                "role",
                "Give `role`: the role people join with (editor or below, or a custom role within editor's permissions).",
            ))
        }
        (mode, Some(raw)) => {
            let held = ctx.org.role_asked("role", &raw)?;
            ctx.require_can_grant(&held)?;
            if !super::join::domain_bound().covers(&held) {
                return Err(ApiError::validation(
                    "role",
                    format!("`{}` is above what a domain gives: people join through a domain as editor or below (or with a custom role within editor's permissions). Invite administrators one by one.", crate::domain::shown(&raw)),
                ));
            }
            let enrollment = Enrollment {
                mode,
                role: held.role.clone(),
                set_by: ctx.user_id().clone(),
                set_at: now,
                invitation_id: InvitationId::new(),
                code_nonce: crate::domain::random_nonce()?,
                counted: true,
            };
            (Some(enrollment), Some(held))
        }
    };
    let tx = ctx
        .org
        .domain_enrollment_set(ctx.tx()?, &domain, &entry, enrollment.as_ref())?;
    let tx = match &held {
        Some(held) => ctx.guard_role_as_read(
            tx,
            held,
            ApiError::concurrent("The role was changed meanwhile; reload and retry."),
        )?,
        None => tx,
    };
    // The role an enrollment gives is held by it (a held custom role is not deleted).
    let mut counts: Vec<(&RoleRef, Holder, i64)> = entry
        .enrollment
        .iter()
        .filter_map(Enrollment::uncounted)
        .collect();
    counts.extend(enrollment.iter().map(|e| (&e.role, Holder::Enrollments, 1)));
    let tx = ctx.org.count_holders(tx, &counts)?;
    let tx = tx.audit(ctx.audit(
        "domain.enrollment_set",
        "DomainEnrollmentSet",
        format!("set the enrollment of {} to {}", domain.as_str(), mode.as_str()),
        json!({ "domain": domain.as_str(), "mode": mode, "role": enrollment.as_ref().map(|e| &e.role) }),
    ))?;
    let mut after = entry;
    after.enrollment = enrollment;
    after.version += 1;
    app.commit(
        tx,
        Reply::ok(&DomainView::new(domain.as_str(), &after, &ctx.org)),
    )
    .await
}

/// `DELETE /orgs/{orgId}/domains/{domain}`: the entry, and the uniqueness item when verified
/// (the domain is free for another organization), in one transaction.
pub async fn remove_domain(app: App, ctx: Ctx, input: Input) -> ApiResult<Reply> {
    let (domain, entry) = path_domain(&ctx, &input)?;
    let tx = ctx.org.domain_removed(ctx.tx()?, &domain, &entry)?;
    let counts: Vec<_> = entry
        .enrollment
        .iter()
        .filter_map(Enrollment::uncounted)
        .collect();
    let tx = ctx.org.count_holders(tx, &counts)?;
    let tx = if entry.status == DomainStatus::Verified {
        DomainClaimItem::release(
            tx,
            &domain,
            ctx.org_id(),
            ApiError::concurrent("The domain changed meanwhile; reload and retry."),
        )?
    } else {
        tx
    };
    let tx = tx.audit(ctx.audit(
        "domain.removed",
        "DomainRemoved",
        format!("removed domain {}", domain.as_str()),
        json!({ "domain": domain.as_str(), "status": entry.status }),
    ))?;
    app.commit(tx, Reply::no_content()).await
}
