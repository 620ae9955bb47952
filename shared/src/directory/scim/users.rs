//! `/Users`: the people the directory provisions. A user holds a seat while active and not yet
//! a member (like a pending invitation); once they joined (`crate::directory::link`), `active`
//! deactivates and reactivates their membership, and a deletion removes it.
//!
//! DynamoDB requests: GET by id 1; list 1 + one Query per 100 users up to `startIndex + count`;
//! filter on `userName` 2 (the access read with the uniqueness item, then the user), on
//! `externalId` or `emails` 2-3; POST 2; PUT and PATCH 2 (3 when `active` changes for someone who
//! joined: their membership is read); DELETE 2 (3 for someone who joined).

use super::filter::{self, Attr, Cond};
use super::patch;
use super::resource::{list_reply, paging, user_from, user_json, Projection};
use super::{body_of, Scim, MAX_COUNT};
use crate::audit::Audited;
use crate::directory::item::user::{dir_user_not_found, DirLookupItem, DirUser, DirUserItem};
use crate::directory::item::{Counter, DirectoryItem};
use crate::domain::{Email, OrgId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::members::item::{MemberEmailItem, MemberItem, MemberStatus};
use crate::permissions::Role;
use crate::pipeline::{Input, Reply};
use crate::store::{Key, Tx};
use crate::App;
use serde_json::{json, Value};

/// The attributes a user stores (PATCH ignores others), and the multi-valued ones.
const KNOWN: &[&str] = &[
    "userName",
    "externalId",
    "name",
    "displayName",
    "emails",
    "active",
];
const MULTI: &[&str] = &["emails"];

fn org_in(input: &Input) -> ApiResult<OrgId> {
    OrgId::parse(input.path_param("orgId")).ok_or_else(super::unauthorized)
}

fn user_key(org: &OrgId, id: &str) -> Key {
    // An id that cannot be ours names a key nothing is stored under: 404 like any unknown id.
    DirUserItem::key_in(org, id).unwrap_or_else(|| Key::new("NONE", "NONE"))
}

fn created_reply(scim: &Scim, u: &DirUserItem) -> Reply {
    let v = user_json(scim, u);
    let location = v["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut r = Reply::created(&v);
    r = r.header("location", location);
    r
}

/// Whether `u` meets every condition.
fn meets(u: &DirUserItem, conds: &[Cond]) -> bool {
    conds.iter().all(|c| match c.attr {
        Attr::Id => u.id.as_str() == c.value,
        Attr::UserName => u.user.user_name.eq_ignore_ascii_case(&c.value),
        Attr::ExternalId => u.user.external_id.as_deref() == Some(c.value.as_str()),
        Attr::Email => u.user.emails.iter().any(|e| {
            e.value.eq_ignore_ascii_case(&c.value)
                && c.email_type
                    .as_deref()
                    .is_none_or(|t| e.kind.as_deref() == Some(t))
        }),
        Attr::DisplayName => false,
    })
}

/// `GET /Users?filter=&startIndex=&count=&attributes=&excludedAttributes=`
pub async fn list(app: &App, input: &Input) -> ApiResult<Reply> {
    let conds = input.query("filter").map(filter::parse).transpose()?;
    let (start, count) = paging(input)?;
    let projection = Projection::of(input);
    let org = org_in(input)?;
    let Some(conds) = conds else {
        let scim = Scim::admit(app, input, Vec::new(), false).await?;
        let wanted = start - 1 + count;
        let mut users = Vec::new();
        let mut cursor: Option<String> = None;
        while users.len() < wanted {
            let limit = (wanted - users.len()).min(MAX_COUNT) as u32;
            let q = DirUserItem::page_of_org(&org, limit, cursor.as_deref())?;
            let page = app.store.page_of::<DirUserItem>(q).await?;
            users.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let resources = users
            .iter()
            .skip(start - 1)
            .map(|u| projection.apply(user_json(&scim, u)))
            .collect();
        return Ok(list_reply(
            scim.directory.user_count as usize,
            start,
            resources,
        ));
    };
    if conds.iter().any(|c| c.attr == Attr::DisplayName) {
        return Err(ApiError::new(
            Code::ScimInvalidFilter,
            "Users are filtered by userName, externalId, emails or id; displayName filters Groups.",
        ));
    }
    // The most selective lookup: userName (unique), id, emails, externalId.
    let pick = |a: Attr| conds.iter().find(|c| c.attr == a);
    let (scim, found) = if let Some(c) = pick(Attr::UserName) {
        let name_key = DirUserItem::name_key(&org, &c.value);
        let scim = Scim::admit(app, input, vec![name_key.clone()], false).await?;
        let found = match scim.item::<DirLookupItem>(&name_key)? {
            Some(n) => {
                app.store
                    .batch_get_as::<DirUserItem>(vec![DirUserItem::key_of(&org, &n.id)])
                    .await?
            }
            None => Vec::new(),
        };
        (scim, found)
    } else if let Some(c) = pick(Attr::Id) {
        let key = user_key(&org, &c.value);
        let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
        let found = scim.item::<DirUserItem>(&key)?.into_iter().collect();
        (scim, found)
    } else if let Some(c) = pick(Attr::Email) {
        let scim = Scim::admit(app, input, Vec::new(), false).await?;
        let found = match Email::parse("filter", &c.value) {
            Ok(email) => {
                let q = DirUserItem::with_email(&org, &email, MAX_COUNT as u32);
                app.store.page_of::<DirUserItem>(q).await?.items
            }
            Err(_) => Vec::new(),
        };
        (scim, found)
    } else if let Some(c) = pick(Attr::ExternalId) {
        let scim = Scim::admit(app, input, Vec::new(), false).await?;
        let q = DirUserItem::with_external_id(&org, &c.value, MAX_COUNT as u32);
        let ids: Vec<Key> = app
            .store
            .page_of::<crate::directory::item::user::DirLookupItem>(q)
            .await?
            .items
            .iter()
            .map(|l| DirUserItem::key_of(&org, &l.id))
            .collect();
        let found = match ids.is_empty() {
            true => Vec::new(),
            false => app.store.batch_get_as::<DirUserItem>(ids).await?,
        };
        (scim, found)
    } else {
        return Err(ApiError::new(
            Code::ScimInvalidFilter,
            "The filter names no attribute users are looked up by.",
        ));
    };
    let mut matched: Vec<DirUserItem> = found.into_iter().filter(|u| meets(u, &conds)).collect();
    matched.sort_by(|a, b| a.id.cmp(&b.id));
    let total = matched.len();
    let resources = matched
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|u| projection.apply(user_json(&scim, u)))
        .collect();
    Ok(list_reply(total, start, resources))
}

/// `GET /Users/{id}`
pub async fn get(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let key = user_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
    let user = scim
        .item::<DirUserItem>(&key)?
        .ok_or_else(dir_user_not_found)?;
    Ok(Reply::ok(
        &Projection::of(input).apply(user_json(&scim, &user)),
    ))
}

/// `POST /Users`: provisions a person. They hold a seat while active (402 when none is free)
/// until they join; someone already a member with the user's email is linked to them at once.
pub async fn create(app: &App, input: &Input) -> ApiResult<Reply> {
    let user = user_from(&body_of(input)?)?;
    let org = org_in(input)?;
    let name_key = DirUserItem::name_key(&org, &user.user_name);
    let email_key = user
        .primary_email()
        .map(|e| MemberEmailItem::key_of(&org, &e));
    let mut extra = vec![name_key.clone()];
    extra.extend(email_key.clone());
    let scim = Scim::admit(app, input, extra, true).await?;
    scim.writable()?;
    if scim.item::<DirLookupItem>(&name_key)?.is_some() {
        return Err(crate::directory::item::user::user_name_taken(
            &user.user_name,
        ));
    }
    let now = Timestamp::now();
    let mut item = DirUserItem::new(&org, user, now, crate::domain::random_nonce()?);
    let existing_member = match &email_key {
        Some(k) => scim.item::<MemberEmailItem>(k)?,
        None => None,
    };
    // Someone already a member with this (verified) email is this person: linked now, their
    // seat is their membership's.
    if let Some(m) = existing_member.filter(|_| item.user.is_active()) {
        item.member = Some(m.user_id);
    }
    let tx = item.create(scim.tx(app)?)?;
    let tx = DirectoryItem::count(
        tx,
        &org,
        Counter::Users,
        1,
        None,
        ApiError::internal("counting the directory's users failed"),
    )?;
    let tx = match item.holds_seat() {
        true => {
            let seats = scim.org.seats(scim.seats.clone())?;
            crate::subscription::take_directory_seat(tx, &seats, now)?
        }
        false => tx,
    };
    let tx = tx.audit(scim.audit(
        "directory.user_provisioned",
        "DirectoryUserProvisioned",
        format!("provisioned {}", item.user.user_name),
        json!({ "scimUserId": item.id, "userName": item.user.user_name, "externalId": item.user.external_id, "active": item.user.is_active(), "userId": item.member }),
    ))?;
    app.store.commit(tx).await?;
    Ok(created_reply(&scim, &item))
}

/// `PUT /Users/{id}`: replaces what we store of the user.
pub async fn replace(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let user = user_from(&body_of(input)?)?;
    let key = user_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], true).await?;
    scim.writable()?;
    let before = scim
        .item::<DirUserItem>(&key)?
        .ok_or_else(dir_user_not_found)?;
    changed(app, &scim, &before, user).await
}

/// `PATCH /Users/{id}`: the operations applied to the user as read, the result read by the same
/// rules as a PUT's body.
pub async fn patch(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let ops = patch::ops_of(&body_of(input)?)?;
    let key = user_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], true).await?;
    scim.writable()?;
    let before = scim
        .item::<DirUserItem>(&key)?
        .ok_or_else(dir_user_not_found)?;
    let Value::Object(mut resource) = user_json(&scim, &before) else {
        return Err(ApiError::internal("a user renders as an object"));
    };
    for k in ["schemas", "id", "meta"] {
        resource.remove(k);
    }
    for op in &ops {
        patch::apply(&mut resource, op, KNOWN, MULTI)?;
    }
    let user = user_from(&resource)?;
    changed(app, &scim, &before, user).await
}

fn owner_fixed() -> ApiError {
    ApiError::new(
        Code::CannotDeactivate,
        "This user is the organization's owner, who is never deactivated or removed by the directory; the owner transfers ownership first (POST /orgs/{orgId}/ownership-transfer).",
    )
}

/// The membership of a user who joined, read now (`None`: it ended meanwhile).
async fn member_of(app: &App, scim: &Scim, u: &DirUserItem) -> ApiResult<Option<MemberItem>> {
    let Some(user_id) = &u.member else {
        return Ok(None);
    };
    Ok(app
        .store
        .batch_get_as::<MemberItem>(vec![MemberItem::key_of(scim.org_id(), user_id)])
        .await?
        .pop())
}

/// Writes a user's new values: the user (its `userName` and lookups follow), and what `active`
/// changes: the seat of someone who has not joined, the membership of someone who has.
async fn changed(app: &App, scim: &Scim, before: &DirUserItem, user: DirUser) -> ApiResult<Reply> {
    let now = Timestamp::now();
    let mut after = before.with(user, now);
    if after.user == before.user {
        return Ok(Reply::ok(&user_json(scim, before)));
    }
    let activity = (before.user.is_active(), after.user.is_active());
    let mut member_change = None;
    let mut tx = scim.tx(app)?;
    if activity.0 != activity.1 {
        let member = member_of(app, scim, before).await?;
        if before.member.is_some() && member.is_none() {
            // Their membership ended meanwhile (removed, or they left): unlinked from now on.
            after.member = None;
        }
        match member {
            Some(m) => {
                let status = match after.user.is_active() {
                    true => MemberStatus::Active,
                    false => MemberStatus::Deactivated,
                };
                if m.role.is(Role::Owner) {
                    return Err(owner_fixed());
                }
                if MemberStatus::of(&m) != status {
                    let seats = match status {
                        MemberStatus::Active => Some(scim.org.seats(scim.seats.clone())?),
                        MemberStatus::Deactivated => None,
                    };
                    let (t, _) =
                        crate::members::status_changed(tx, &scim.org, seats, &m, status, now)?;
                    tx = t;
                    member_change = Some((m, status));
                }
            }
            None => {
                // Not a member (never joined, or their membership ended: then they held no
                // directory seat before, and hold one now if active).
                let seats = scim.org.seats(scim.seats.clone())?;
                tx = match (before.holds_seat(), after.holds_seat()) {
                    (false, true) => crate::subscription::take_directory_seat(tx, &seats, now)?,
                    (true, false) => seats.directory_seat_released(tx)?,
                    _ => tx,
                };
            }
        }
    }
    let tx = after.replace(tx, before)?;
    let mut tx = tx.audit(scim.audit(
        "directory.user_updated",
        "DirectoryUserUpdated",
        format!("updated {}", after.user.user_name),
        json!({ "scimUserId": after.id, "userName": after.user.user_name, "active": { "before": before.user.is_active(), "after": after.user.is_active() }, "userId": after.member }),
    ))?;
    if let Some((m, status)) = member_change {
        let (action, event, verb) = match status {
            MemberStatus::Deactivated => ("member.deactivated", "MemberDeactivated", "deactivated"),
            MemberStatus::Active => ("member.reactivated", "MemberReactivated", "reactivated"),
        };
        tx = tx.audit(scim.audit(
            action,
            event,
            format!("{verb} {} (directory)", m.user_id.as_str()),
            json!({ "userId": m.user_id, "role": m.role, "status": status.as_str(), "teamIds": m.teams, "projectIds": m.projects }),
        ))?;
    }
    app.store.commit(tx).await?;
    Ok(Reply::ok(&user_json(scim, &after)))
}

/// `DELETE /Users/{id}`: the user goes; a seat they held is free; the member they became is
/// removed (as an admin's removal does, without blocking a later way back in).
pub async fn delete(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let key = user_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], true).await?;
    scim.writable()?;
    let user = scim
        .item::<DirUserItem>(&key)?
        .ok_or_else(dir_user_not_found)?;
    let mut tx: Tx = user.delete(scim.tx(app)?)?;
    // Out of its groups (at most `TEAMS_PER_ORG`: each is a team).
    for team in &user.groups {
        tx = crate::directory::item::group::Group::member_removed(
            tx,
            scim.org_id(),
            team,
            &user.id,
        )?;
    }
    tx = DirectoryItem::count(
        tx,
        scim.org_id(),
        Counter::Users,
        -1,
        None,
        ApiError::concurrent("The user was deleted meanwhile."),
    )?;
    if user.holds_seat() {
        tx = scim
            .org
            .seats(scim.seats.clone())?
            .directory_seat_released(tx)?;
    }
    if let Some(m) = member_of(app, &scim, &user).await? {
        if m.role.is(Role::Owner) {
            return Err(owner_fixed());
        }
        let (t, keys_created) = crate::members::removal(tx, &scim.org, &m, None)?;
        tx = t.audit(scim.audit(
            "member.removed",
            "MemberRemoved",
            format!("removed {} (directory)", m.user_id.as_str()),
            json!({ "userId": m.user_id, "role": m.role, "left": false, "joinedAt": m.joined_at, "teamIds": m.teams, "projectIds": m.projects, "apiKeyIds": keys_created }),
        ))?;
    }
    let tx = tx.audit(scim.audit(
        "directory.user_deleted",
        "DirectoryUserDeleted",
        format!("deleted {}", user.user.user_name),
        json!({ "scimUserId": user.id, "userName": user.user.user_name, "userId": user.member }),
    ))?;
    app.store.commit(tx).await?;
    Ok(Reply::no_content())
}
