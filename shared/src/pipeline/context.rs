//! The organization part of the pipeline: ONE consistent BatchGetItem of what the caller's
//! access is made of (plus the route's subject), then the permission and state checks.
//! What the access is made of is the concepts' business: they implement [`OrgAccess`].

use super::route::{Effect, Need, OrgRule, Place, Subject};
use super::{Input, Reply};
use crate::auth::Caller;
use crate::config::Config;
use crate::domain::{OrgId, UserId};
use crate::error::{ApiError, ApiResult, Code};
use crate::permissions::Permission;
use crate::store::{from_item, Entity, Item, Key, Store, Tx};
use crate::App;
use std::future::Future;

/// What an organization route is decided on. The pipeline reads the items `keys` names in one
/// request and asks the result for the caller's role, permissions and the organization's state.
pub trait OrgAccess: Sized + Send + Sync + 'static {
    /// The items that make up the caller's access: the organization first, then the caller's own
    /// (a person's membership, or the API key they present).
    fn keys(org: &OrgId, caller: &Caller) -> [Key; 2];
    /// The item of the organization's seats, read with those for the routes that decide on
    /// seats (`OrgRule::seats`); the operation reads it with [`OrgCtx::seats_as_read`].
    fn seats_key(org: &OrgId) -> Key;
    /// Built from what the read found (in `keys` order); `None` when the caller has no access,
    /// which answers like an unknown organization (an API key that cannot be used: 401).
    fn from_items(
        org: Option<Item>,
        own: Option<Item>,
        caller: &Caller,
        config: &Config,
    ) -> ApiResult<Option<Self>>;
    /// Whether the caller holds the permission here (the role's, plus what the organization's
    /// settings extend).
    fn holds(&self, permission: Permission) -> bool;
    /// Closed (read-only) organizations refuse writes and accept reactivation.
    fn is_closed(&self) -> bool;
    /// Adds to a transaction the conditions that keep the decision true until it commits: the
    /// caller still has the access (the role) it was authorized with and, for a write, the
    /// organization is still in the state that allowed it.
    fn guard(&self, tx: Tx, effect: Effect) -> ApiResult<Tx>;
    /// The refusal of a change while the organization is closed (says until when and how to reopen).
    fn closed(&self) -> ApiError {
        ApiError::org_closed()
    }
    /// Admits the caller under the organization's own sign-in rules (a second factor, for one),
    /// before anything else is decided; remembered for `guard`.
    fn admit(&mut self, _caller: &Caller) -> ApiResult<()> {
        Ok(())
    }
    /// Narrows the access to the route's subject, read with it (a project's grants add to what
    /// the caller holds there). `holds` and `guard` answer for the scope from then on.
    fn scope(&mut self, _subject: Option<&Item>) -> ApiResult<()> {
        Ok(())
    }
}

/// Everything an organization operation may rely on: identity, the caller's access (checked
/// against the route's need and the organization's state) and the subject, if the route has one.
pub struct OrgCtx<A> {
    pub caller: Caller,
    pub access: A,
    subject: Option<Item>,
    also: Option<Item>,
    /// The organization's `SEATS` item, when the route reads it (`Some(None)`: not there).
    seats: Option<Option<Item>>,
    missing: Option<fn() -> ApiError>,
    effect: Effect,
    store: Store,
}

impl<A> std::ops::Deref for OrgCtx<A> {
    type Target = A;
    fn deref(&self) -> &A {
        &self.access
    }
}

impl<A: OrgAccess> OrgCtx<A> {
    /// The transaction every change of an organization operation is written in: it starts with
    /// the access guard, so a caller demoted or removed while the request was in flight changes
    /// nothing (no extra request: the guard rides in the same TransactWriteItems).
    pub fn tx(&self) -> ApiResult<Tx> {
        self.access.guard(self.store.tx(), self.effect)
    }
}

impl<A> OrgCtx<A> {
    pub fn user_id(&self) -> &UserId {
        &self.caller.user_id
    }
    /// The item the route acts on, or the route's "not found" answer.
    pub fn subject<T: Entity>(&self) -> ApiResult<T> {
        match &self.subject {
            Some(item) => from_item(item.clone()),
            None => Err(self
                .missing
                .map(|m| m())
                .unwrap_or_else(|| ApiError::internal("the route reads no subject"))),
        }
    }
    /// The subject, if the route has one and it exists.
    pub fn subject_if_any<T: Entity>(&self) -> ApiResult<Option<T>> {
        self.subject.clone().map(from_item).transpose()
    }
    /// The organization's seats item as read (`None`: it does not exist); an error on a route
    /// whose rule does not read it.
    pub fn seats_as_read(&self) -> ApiResult<Option<Item>> {
        self.seats
            .clone()
            .ok_or_else(|| ApiError::internal("the route does not read the seats"))
    }
    /// The route's second item as read, if it exists and is a `T` (the id in the request may name
    /// another kind of item, a grant's principal for example).
    pub fn also<T: Entity>(&self) -> ApiResult<Option<T>> {
        self.also
            .clone()
            .filter(|i| crate::store::entity_type(i) == Some(T::TYPE))
            .map(from_item)
            .transpose()
    }
}

/// Runs an organization operation behind the pipeline's organization steps.
pub async fn run_org<A, F, Fut>(
    app: App,
    caller: Caller,
    input: Input,
    rule: OrgRule,
    op: F,
) -> ApiResult<Reply>
where
    A: OrgAccess,
    F: FnOnce(App, OrgCtx<A>, Input) -> Fut,
    Fut: Future<Output = ApiResult<Reply>>,
{
    let ctx = match org_access::<A>(&app, caller, &input, rule).await? {
        Ok(ctx) => ctx,
        // The same request under the same Idempotency-Key committed before: its answer.
        Err(replayed) => return Ok(replayed),
    };
    op(app, ctx, input).await
}

async fn org_access<A: OrgAccess>(
    app: &App,
    caller: Caller,
    input: &Input,
    rule: OrgRule,
) -> ApiResult<Result<OrgCtx<A>, Reply>> {
    let org_id = OrgId::parse(input.path_param("orgId")).ok_or_else(ApiError::org_not_found)?;
    // An API key reaches its own organization only: another's is not found, with nothing read.
    if caller.key.as_ref().is_some_and(|k| k.org() != &org_id) {
        return Err(ApiError::org_not_found());
    }
    let [org_key, caller_key] = A::keys(&org_id, &caller);
    // Ids in the path that cannot exist are refused after the access check, so a caller without access
    // learns nothing beyond "not found" about the organization.
    let subject_key = rule.subject.and_then(|s| key_of(s, &org_id, input));
    let unusable = rule
        .subject
        .filter(|s| s.at == Place::Path && subject_key.is_none())
        .map(|s| s.missing);
    let also_key = rule.also.and_then(|s| key_of(s, &org_id, input));
    let seats_key = rule.seats.then(|| A::seats_key(&org_id));
    // A write's Idempotency-Key record, read in the same request.
    let record_key = input.idempotency.as_ref().map(|p| p.key());
    let mut wanted = vec![org_key.clone(), caller_key.clone()];
    wanted.extend(subject_key.clone());
    wanted.extend(also_key.clone());
    wanted.extend(seats_key.clone());
    wanted.extend(record_key.clone());
    let mut record = None;
    let (mut org, mut mine, mut subject, mut also) = (None, None, None, None);
    let mut seats = seats_key.as_ref().map(|_| None);
    for item in app.store.batch_get(wanted).await? {
        let key = Key::of_item(&item);
        if record_key.is_some() && key == record_key {
            record = Some(item);
            continue;
        }
        if seats_key.is_some() && key == seats_key {
            seats = Some(Some(item));
            continue;
        }
        if key.as_ref() == subject_key.as_ref() {
            subject = Some(item.clone());
        }
        if key.as_ref() == also_key.as_ref() {
            also = Some(item.clone());
        }
        if key.as_ref() == Some(&org_key) {
            org = Some(item);
        } else if key.as_ref() == Some(&caller_key) {
            mine = Some(item);
        }
    }
    let Some(mut access) = A::from_items(org, mine, &caller, &app.config)? else {
        return Err(ApiError::org_not_found());
    };
    access.admit(&caller)?;
    // A write under an Idempotency-Key that committed before answers again, whatever changed
    // since (the caller is still who they were, and admitted).
    if let (Some(pending), Some(item)) = (&input.idempotency, record) {
        if let Some(replayed) = pending.answer(&from_item(item)?)? {
            return Ok(Err(replayed));
        }
    }
    access.scope(subject.as_ref())?;
    let is_self = subject_key.as_ref() == Some(&caller_key);
    // What only a person may do, an API key may not, whatever its role holds.
    if let (Some(_), Need::Perm(p) | Need::PermOrSelf(p)) = (&caller.key, rule.need) {
        if p.person_only() {
            return Err(ApiError::person_required(p.as_str()));
        }
    }
    let allowed = match rule.need {
        Need::Any => true,
        Need::Perm(p) => access.holds(p),
        Need::PermOrSelf(p) => is_self || access.holds(p),
    };
    if let (false, Need::Perm(p) | Need::PermOrSelf(p)) = (allowed, rule.need) {
        return Err(ApiError::forbidden(p.as_str()));
    }
    if let Some(missing) = unusable {
        return Err(missing());
    }
    match (access.is_closed(), rule.effect) {
        (true, Effect::Write) => return Err(access.closed()),
        (false, Effect::Reactivate) => {
            return Err(ApiError::new(
                Code::OrgNotClosed,
                "The organization is active; there is nothing to reactivate.",
            ))
        }
        _ => {}
    }
    Ok(Ok(OrgCtx {
        caller,
        access,
        subject,
        also,
        seats,
        missing: rule.subject.map(|s| s.missing),
        effect: rule.effect,
        store: app.store.clone(),
    }))
}

/// The key a subject's id names in the request, if it can be one.
fn key_of(s: Subject, org: &OrgId, input: &Input) -> Option<Key> {
    let raw = match s.at {
        Place::Path => Some(input.path_param(s.param).to_string()),
        Place::Body => input.body_field(s.param),
        Place::Query => input.query(s.param).map(str::to_string),
    };
    raw.as_deref().and_then(|r| (s.key)(org, r))
}
