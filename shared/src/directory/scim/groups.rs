//! `/Groups`: teams the directory manages. A group's members are the directory's users (by
//! their SCIM id); those who joined are the team's members, the others become so when they join
//! (`crate::directory::link`). Their name and members change only here (the team routes answer
//! 409 `managed_by_directory`); their project access is managed as any team's.
//!
//! Member changes are applied `CHANGES_PER_TX` at a time, each batch one transaction with its
//! audit entry (`team.members_changed`); every change is idempotent (adding a member twice, or
//! removing one who is not there, changes nothing), so a request that failed part-way converges
//! when the identity provider retries it. A deleted group's memberships are removed after it by
//! the stream's clean-up (`crate::teams::cleanup`), however many there are.
//!
//! DynamoDB requests: GET by id 1 + one Query per 1,000 members (none with
//! `excludedAttributes=members`); list 2 (+ members); POST 2 + per batch of members 2-3; PUT and
//! PATCH 1 + the current members' Queries (a `replace` of `members` only) + per batch 2-3;
//! DELETE 2.

use super::filter::{self, Attr, Cond};
use super::patch::{self, Kind};
use super::resource::{get_ci, list_reply, paging, Projection};
use super::{body_of, Scim, GROUP_SCHEMA, MAX_COUNT};
use crate::audit::Audited;
use crate::directory::item::group::{group_name_taken, Group, GroupLookupItem, GroupMemberItem};
use crate::directory::item::user::{DirUserItem, GROUPS_PER_USER, VALUE_MAX_CHARS};
use crate::directory::item::{Counter, DirectoryItem};
use crate::domain::{DirUserId, DisplayName, OrgId, TeamId, Timestamp};
use crate::error::{ApiError, ApiResult, Code};
use crate::limits::{TEAMS_PER_MEMBER, TEAMS_PER_ORG};
use crate::members::item::MemberItem;
use crate::permissions::Role;
use crate::pipeline::{Input, Reply};
use crate::store::{Key, Tx};
use crate::teams::item::{TeamItem, TeamMemberItem};
use crate::App;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Member changes (one user added or removed) per transaction: each writes up to 4 items.
pub const CHANGES_PER_TX: usize = 20;
const _: () = assert!(4 * CHANGES_PER_TX + 4 <= 100);

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::ScimInvalidValue, detail)
}

fn group_not_found() -> ApiError {
    ApiError::new(
        Code::ScimResourceNotFound,
        "No group with this id in the organization's directory.",
    )
}

fn org_in(input: &Input) -> ApiResult<OrgId> {
    OrgId::parse(input.path_param("orgId")).ok_or_else(super::unauthorized)
}

fn team_key(org: &OrgId, id: &str) -> Key {
    TeamItem::key_in(org, id).unwrap_or_else(|| Key::new("NONE", "NONE"))
}

/// What a body says of a group.
struct GroupBody {
    name: DisplayName,
    external_id: Option<String>,
    members: Option<Vec<DirUserId>>,
}

fn member_ids(v: &Value) -> ApiResult<Vec<DirUserId>> {
    let list = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return Err(invalid("`members` is a list of {value: <a user's id>}.")),
    };
    let mut out = Vec::new();
    for m in list {
        let value = match &m {
            Value::Object(o) => get_ci(o, "value")
                .and_then(Value::as_str)
                .map(str::to_string),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
        .ok_or_else(|| invalid("Each of `members` is {value: <a user's id>}."))?;
        let id = DirUserId::parse(&value).ok_or_else(|| {
            invalid(format!(
                "`members`: `{value}` is not a user of this directory."
            ))
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn name_of(v: Option<&Value>) -> ApiResult<DisplayName> {
    match v {
        Some(Value::String(s)) => {
            DisplayName::parse("displayName", s).map_err(|e| invalid(e.detail))
        }
        _ => Err(invalid("`displayName` is required (a non-empty string).")),
    }
}

fn external_id_of(v: Option<&Value>) -> ApiResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s))
            if s.chars().count() <= VALUE_MAX_CHARS && !s.contains(char::is_control) =>
        {
            Ok(Some(s.trim().to_string()))
        }
        _ => Err(invalid(format!(
            "`externalId` is a string of at most {VALUE_MAX_CHARS} characters."
        ))),
    }
}

fn group_from(obj: &Map<String, Value>) -> ApiResult<GroupBody> {
    if let Some(schemas) = get_ci(obj, "schemas") {
        if !schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(GROUP_SCHEMA)))
        {
            return Err(invalid(format!("`schemas` must include {GROUP_SCHEMA}.")));
        }
    }
    Ok(GroupBody {
        name: name_of(get_ci(obj, "displayName"))?,
        external_id: external_id_of(get_ci(obj, "externalId"))?,
        members: get_ci(obj, "members").map(member_ids).transpose()?,
    })
}

/// A group as SCIM shows it; `members` when given.
fn group_json(scim: &Scim, team: &TeamItem, members: Option<&[DirUserId]>) -> Value {
    let location = format!("{}/Groups/{}", scim.base, team.team_id.as_str());
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": team.team_id,
        "displayName": team.name,
        "meta": {
            "resourceType": "Group",
            "created": team.created_at,
            "lastModified": team.updated_at,
            "location": location,
        },
    });
    if let Some(ext) = team.directory.as_ref().and_then(|d| d.external_id.as_ref()) {
        v["externalId"] = json!(ext);
    }
    if let Some(members) = members {
        v["members"] = json!(members
            .iter()
            .map(|m| json!({
                "value": m,
                "$ref": format!("{}/Users/{}", scim.base, m.as_str()),
                "type": "User",
            }))
            .collect::<Vec<_>>());
    }
    v
}

/// Whether the answer shows `members` (`attributes` / `excludedAttributes`).
fn wants_members(input: &Input) -> bool {
    let listed = |name: &str| {
        input.query(name).is_some_and(|q| {
            q.split(',')
                .map(|p| {
                    p.trim()
                        .rsplit(':')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase()
                })
                .any(|p| p == "members" || p.starts_with("members."))
        })
    };
    match input.query("attributes").filter(|a| !a.trim().is_empty()) {
        Some(_) => listed("attributes"),
        None => !listed("excludedAttributes"),
    }
}

/// Every member of a group, page after page.
async fn all_members(app: &App, org: &OrgId, team: &TeamId) -> ApiResult<Vec<DirUserId>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = Group::members_page(org, team, 1000, cursor.as_deref())?;
        let page = app.store.page_of::<GroupMemberItem>(q).await?;
        out.extend(page.items.into_iter().map(|m| m.user));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The directory's team `key` names, as read with the access (a team of the organization that is
/// not a group is no SCIM resource).
fn group_as_read(scim: &Scim, key: &Key) -> ApiResult<TeamItem> {
    scim.item::<TeamItem>(key)?
        .filter(|t| t.directory.is_some())
        .ok_or_else(group_not_found)
}

async fn shown(app: &App, scim: &Scim, input: &Input, team: &TeamItem) -> ApiResult<Value> {
    let members = match wants_members(input) {
        true => Some(all_members(app, scim.org_id(), &team.team_id).await?),
        false => None,
    };
    Ok(Projection::of(input).apply(group_json(scim, team, members.as_deref())))
}

/// `GET /Groups/{id}`
pub async fn get(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let key = team_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
    let team = group_as_read(&scim, &key)?;
    Ok(Reply::ok(&shown(app, &scim, input, &team).await?))
}

fn meets(team: &TeamItem, conds: &[Cond]) -> bool {
    conds.iter().all(|c| match c.attr {
        Attr::Id => team.team_id.as_str() == c.value,
        Attr::DisplayName => team.name.as_str().eq_ignore_ascii_case(&c.value),
        Attr::ExternalId => {
            team.directory
                .as_ref()
                .and_then(|d| d.external_id.as_deref())
                == Some(c.value.as_str())
        }
        Attr::UserName | Attr::Email => false,
    })
}

/// `GET /Groups?filter=&startIndex=&count=&attributes=&excludedAttributes=`
pub async fn list(app: &App, input: &Input) -> ApiResult<Reply> {
    let conds = input
        .query("filter")
        .map(filter::parse)
        .transpose()?
        .unwrap_or_default();
    if conds
        .iter()
        .any(|c| matches!(c.attr, Attr::UserName | Attr::Email))
    {
        return Err(ApiError::new(
            Code::ScimInvalidFilter,
            "Groups are filtered by displayName, externalId or id; userName and emails filter Users.",
        ));
    }
    let (start, count) = paging(input)?;
    let org = org_in(input)?;
    let pick = |a: Attr| conds.iter().find(|c| c.attr == a);
    let (scim, found): (Scim, Vec<TeamItem>) = if let Some(c) = pick(Attr::DisplayName) {
        let name_key = Group::name_key(&org, &c.value);
        let scim = Scim::admit(app, input, vec![name_key.clone()], false).await?;
        let found = match scim.item::<GroupLookupItem>(&name_key)? {
            Some(l) => {
                app.store
                    .batch_get_as::<TeamItem>(vec![TeamItem::key_of(&org, &l.team_id)])
                    .await?
            }
            None => Vec::new(),
        };
        (scim, found)
    } else if let Some(c) = pick(Attr::Id) {
        let key = team_key(&org, &c.value);
        let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
        let found = scim.item::<TeamItem>(&key)?.into_iter().collect();
        (scim, found)
    } else if let Some(c) = pick(Attr::ExternalId) {
        let scim = Scim::admit(app, input, Vec::new(), false).await?;
        let q = Group::with_external_id(&org, &c.value, MAX_COUNT as u32);
        let keys: Vec<Key> = app
            .store
            .page_of::<GroupLookupItem>(q)
            .await?
            .items
            .iter()
            .map(|l| TeamItem::key_of(&org, &l.team_id))
            .collect();
        let found = match keys.is_empty() {
            true => Vec::new(),
            false => app.store.batch_get_as::<TeamItem>(keys).await?,
        };
        (scim, found)
    } else {
        // The organization's teams are few (`TEAMS_PER_ORG`): one page holds them.
        let scim = Scim::admit(app, input, Vec::new(), false).await?;
        let q = TeamItem::page_of_org(&org, TEAMS_PER_ORG as u32 * 2, None)?;
        (scim, app.store.page_of::<TeamItem>(q).await?.items)
    };
    let mut groups: Vec<TeamItem> = found
        .into_iter()
        .filter(|t| t.directory.is_some() && meets(t, &conds))
        .collect();
    groups.sort_by(|a, b| a.team_id.cmp(&b.team_id));
    let total = groups.len();
    let mut resources = Vec::new();
    for team in groups.iter().skip(start - 1).take(count) {
        resources.push(shown(app, &scim, input, team).await?);
    }
    Ok(list_reply(total, start, resources))
}

/// One member change: a user added to or removed from the group.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    Add,
    Remove,
}

/// Applies member changes to a group, `CHANGES_PER_TX` per transaction. The users are read
/// first (an id that is none of the directory's users is 400 before anything is written), then
/// the memberships of those who joined (whether they are on the team already).
async fn apply_members(
    app: &App,
    scim: &Scim,
    team: &TeamItem,
    changes: Vec<(DirUserId, Change)>,
) -> ApiResult<()> {
    // One change per user, the last one named (a PATCH may add and remove the same user, or name
    // them in two operations): a transaction writes an item once.
    let changes: Vec<(DirUserId, Change)> = changes
        .into_iter()
        .collect::<BTreeMap<DirUserId, Change>>()
        .into_iter()
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let org = scim.org_id().clone();
    let mut users: BTreeMap<DirUserId, DirUserItem> = BTreeMap::new();
    for chunk in changes.chunks(100) {
        let keys = chunk
            .iter()
            .map(|(id, _)| DirUserItem::key_of(&org, id))
            .collect();
        for u in app.store.batch_get_as::<DirUserItem>(keys).await? {
            users.insert(u.id.clone(), u);
        }
    }
    if let Some((missing, _)) = changes
        .iter()
        .find(|(id, c)| *c == Change::Add && !users.contains_key(id))
    {
        return Err(invalid(format!(
            "`members`: `{}` is not a user of this directory.",
            missing.as_str()
        )));
    }
    let linked: Vec<Key> = users
        .values()
        .filter_map(|u| u.member.as_ref().map(|m| MemberItem::key_of(&org, m)))
        .collect();
    let mut members: BTreeMap<crate::domain::UserId, MemberItem> = BTreeMap::new();
    for chunk in linked.chunks(100) {
        for m in app.store.batch_get_as::<MemberItem>(chunk.to_vec()).await? {
            members.insert(m.user_id.clone(), m);
        }
    }
    let now = Timestamp::now();
    let concurrent = || ApiError::concurrent("The group's members changed meanwhile; retry.");
    for chunk in changes.chunks(CHANGES_PER_TX) {
        let mut tx: Tx = scim.tx(app)?;
        let mut delta = 0i64;
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        let (mut scim_added, mut scim_removed) = (Vec::new(), Vec::new());
        for (id, change) in chunk {
            let user = users.get(id);
            let member = user
                .and_then(|u| u.member.as_ref())
                .and_then(|m| members.get(m));
            match change {
                Change::Add => {
                    tx = Group::member_added(tx, &org, &team.team_id, id)?;
                    tx = DirUserItem::in_group(tx, &org, id, &team.team_id, true, GROUPS_PER_USER)?;
                    scim_added.push(id.clone());
                    // Someone who joined is on the team (a guest is on no team).
                    if let Some(m) = member
                        .filter(|m| !m.teams.contains(&team.team_id) && !m.role.is(Role::Guest))
                    {
                        let place = TeamMemberItem::new(&org, &team.team_id, m, &scim.actor(), now);
                        tx = tx.put_new(&place, concurrent())?;
                        tx = m.join_team(tx, &team.team_id, TEAMS_PER_MEMBER, concurrent())?;
                        delta += 1;
                        added.push(m.user_id.clone());
                    }
                }
                Change::Remove => {
                    tx = Group::member_removed(tx, &org, &team.team_id, id)?;
                    if user.is_some() {
                        tx = DirUserItem::in_group(
                            tx,
                            &org,
                            id,
                            &team.team_id,
                            false,
                            TEAMS_PER_MEMBER,
                        )?;
                    }
                    scim_removed.push(id.clone());
                    if let Some(m) = member.filter(|m| m.teams.contains(&team.team_id)) {
                        tx = tx.delete(
                            TeamMemberItem::key_of(&org, &team.team_id, &m.user_id),
                            Some("attribute_exists(PK)"),
                            crate::store::Expr::new(),
                            concurrent(),
                        )?;
                        tx = MemberItem::leave_team(
                            tx,
                            &org,
                            &m.user_id,
                            &team.team_id,
                            concurrent(),
                        )?;
                        delta -= 1;
                        removed.push(m.user_id.clone());
                    }
                }
            }
        }
        tx = team.directory_members_counted(tx, delta)?;
        tx = tx.audit(scim.audit(
            "team.members_changed",
            "TeamMembersChanged",
            format!(
                "group {}: {} added, {} removed",
                team.name.as_str(),
                scim_added.len(),
                scim_removed.len()
            ),
            json!({ "teamId": team.team_id, "added": added, "removed": removed, "scimUsersAdded": scim_added, "scimUsersRemoved": scim_removed }),
        ))?;
        app.store.commit(tx).await?;
    }
    Ok(())
}

/// `POST /Groups`: a team the directory manages, then its members.
pub async fn create(app: &App, input: &Input) -> ApiResult<Reply> {
    let body = group_from(&body_of(input)?)?;
    let org = org_in(input)?;
    let name_key = Group::name_key(&org, body.name.as_str());
    let scim = Scim::admit(app, input, vec![name_key.clone()], false).await?;
    scim.writable()?;
    if scim.item::<GroupLookupItem>(&name_key)?.is_some() {
        return Err(group_name_taken(body.name.as_str()));
    }
    let now = Timestamp::now();
    let team = TeamItem::for_directory(
        &org,
        body.name,
        body.external_id.clone(),
        &scim.actor(),
        now,
    );
    let tx = team.create(scim.tx(app)?)?;
    let tx = scim.org.team_created(tx, TEAMS_PER_ORG)?;
    let tx = Group::named(
        tx,
        &org,
        &team.team_id,
        team.name.as_str(),
        body.external_id.as_deref(),
    )?;
    let tx = DirectoryItem::count(
        tx,
        &org,
        Counter::Groups,
        1,
        None,
        ApiError::internal("counting groups"),
    )?;
    let tx = tx.audit(scim.audit(
        "team.created",
        "TeamCreated",
        format!("created team {} (directory group)", team.name.as_str()),
        json!({ "teamId": team.team_id, "name": team.name, "directory": true, "externalId": body.external_id }),
    ))?;
    app.store.commit(tx).await?;
    let members = body.members.unwrap_or_default();
    apply_members(
        app,
        &scim,
        &team,
        members.iter().map(|m| (m.clone(), Change::Add)).collect(),
    )
    .await?;
    let v = group_json(&scim, &team, Some(&members));
    let location = v["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok(Reply::created(&v).header("location", location))
}

/// Renames a group (its name's uniqueness item moves) when the name or `externalId` changed.
async fn renamed(
    app: &App,
    scim: &Scim,
    team: &TeamItem,
    name: &DisplayName,
    ext: Option<&str>,
) -> ApiResult<TeamItem> {
    let old_ext = team.directory.as_ref().and_then(|d| d.external_id.clone());
    if name == &team.name && ext == old_ext.as_deref() {
        return Ok(team.clone());
    }
    let org = scim.org_id();
    let now = Timestamp::now();
    let mut tx = team.directory_renamed(scim.tx(app)?, name, ext, now)?;
    // The name's uniqueness item moves only when the name does (not case-exact).
    if name.as_str().to_lowercase() != team.name.as_str().to_lowercase() {
        tx = Group::unnamed(tx, org, &team.team_id, team.name.as_str(), None)?;
        tx = Group::named(tx, org, &team.team_id, name.as_str(), None)?;
    }
    if ext != old_ext.as_deref() {
        tx = Group::external_id_moved(tx, org, &team.team_id, old_ext.as_deref(), ext)?;
    }
    let tx = tx.audit(scim.audit(
        "team.updated",
        "TeamUpdated",
        format!("renamed team {} -> {} (directory group)", team.name.as_str(), name.as_str()),
        json!({ "teamId": team.team_id, "name": { "before": team.name, "after": name }, "externalId": ext, "directory": true }),
    ))?;
    app.store.commit(tx).await?;
    let mut after = team.clone();
    after.name = name.clone();
    after.directory = Some(crate::teams::item::TeamDirectory {
        external_id: ext.map(str::to_string),
    });
    after.updated_at = now;
    Ok(after)
}

/// The changes that make the group's members exactly `wanted`.
async fn replaced_members(
    app: &App,
    scim: &Scim,
    team: &TeamItem,
    wanted: &[DirUserId],
) -> ApiResult<Vec<(DirUserId, Change)>> {
    let current: BTreeSet<DirUserId> = all_members(app, scim.org_id(), &team.team_id)
        .await?
        .into_iter()
        .collect();
    let wanted_set: BTreeSet<DirUserId> = wanted.iter().cloned().collect();
    let mut changes: Vec<(DirUserId, Change)> = wanted_set
        .difference(&current)
        .map(|id| (id.clone(), Change::Add))
        .collect();
    changes.extend(
        current
            .difference(&wanted_set)
            .map(|id| (id.clone(), Change::Remove)),
    );
    Ok(changes)
}

/// `PUT /Groups/{id}`: the name, `externalId` and members as given.
pub async fn replace(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let body = group_from(&body_of(input)?)?;
    let key = team_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
    scim.writable()?;
    let team = group_as_read(&scim, &key)?;
    let team = renamed(app, &scim, &team, &body.name, body.external_id.as_deref()).await?;
    let wanted = body.members.unwrap_or_default();
    let changes = replaced_members(app, &scim, &team, &wanted).await?;
    apply_members(app, &scim, &team, changes).await?;
    Ok(Reply::ok(&Projection::of(input).apply(group_json(
        &scim,
        &team,
        Some(&wanted),
    ))))
}

/// `PATCH /Groups/{id}`: name and `externalId` replaced, members added, removed or replaced, in
/// Okta's shapes (`members[value eq "..."]`) and Entra's (capitalised ops, `remove` of `members`
/// with a value list). Answers 204.
pub async fn patch(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let ops = patch::ops_of(&body_of(input)?)?;
    let key = team_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
    scim.writable()?;
    let team = group_as_read(&scim, &key)?;
    let mut name = team.name.clone();
    let mut ext = team.directory.as_ref().and_then(|d| d.external_id.clone());
    // Member changes in order; a `replace` of all members starts them over.
    let mut replace_all: Option<Vec<DirUserId>> = None;
    let mut changes: Vec<(DirUserId, Change)> = Vec::new();
    let mut attribute = |path: &str, kind: Kind, value: Option<&Value>| -> ApiResult<()> {
        let lower = path.to_ascii_lowercase();
        let lower = lower
            .rsplit_once(":group:")
            .map(|(_, a)| a.to_string())
            .unwrap_or(lower);
        match (lower.as_str(), kind) {
            ("displayname", Kind::Remove) => {
                Err(invalid("`displayName` is required; it cannot be removed."))
            }
            ("displayname", _) => {
                name = name_of(value)?;
                Ok(())
            }
            ("externalid", Kind::Remove) => {
                ext = None;
                Ok(())
            }
            ("externalid", _) => {
                ext = external_id_of(value)?;
                Ok(())
            }
            ("members", Kind::Replace) => {
                replace_all = Some(member_ids(value.unwrap_or(&Value::Null))?);
                changes.clear();
                Ok(())
            }
            ("members", Kind::Add) => {
                for m in member_ids(value.unwrap_or(&Value::Null))? {
                    changes.push((m, Change::Add));
                }
                Ok(())
            }
            ("members", Kind::Remove) => match value {
                Some(v) if !v.is_null() => {
                    for m in member_ids(v)? {
                        changes.push((m, Change::Remove));
                    }
                    Ok(())
                }
                _ => {
                    replace_all = Some(Vec::new());
                    changes.clear();
                    Ok(())
                }
            },
            (p, Kind::Remove) if p.starts_with("members[") => {
                let inner = p.trim_start_matches("members[").trim_end_matches(']');
                let conds = filter_value(inner)?;
                changes.push((conds, Change::Remove));
                Ok(())
            }
            // `id`, `meta`, and attributes a group does not store: ignored.
            _ => Ok(()),
        }
    };
    for op in &ops {
        match (&op.path, &op.value) {
            (None, Some(Value::Object(values))) => {
                for (k, v) in values {
                    attribute(k, op.kind, Some(v))?;
                }
            }
            (None, _) => {
                return Err(invalid(
                    "Without a `path`, `value` is an object of the attributes to set.",
                ))
            }
            (Some(path), value) => attribute(path, op.kind, value.as_ref())?,
        }
    }
    let team = renamed(app, &scim, &team, &name, ext.as_deref()).await?;
    let mut all = match &replace_all {
        Some(wanted) => replaced_members(app, &scim, &team, wanted).await?,
        None => Vec::new(),
    };
    all.extend(changes);
    apply_members(app, &scim, &team, all).await?;
    Ok(Reply::no_content())
}

/// The user id a `members[value eq "<id>"]` path names.
fn filter_value(inner: &str) -> ApiResult<DirUserId> {
    let mut words = inner.splitn(3, char::is_whitespace);
    let (Some(sub), Some(op), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Err(ApiError::new(
            Code::ScimInvalidPath,
            "`members[...]` takes `value eq \"<id>\"`.",
        ));
    };
    if sub != "value" || op != "eq" {
        return Err(ApiError::new(
            Code::ScimInvalidPath,
            "`members[...]` takes `value eq \"<id>\"`.",
        ));
    }
    let value = value.trim().trim_matches('"');
    DirUserId::parse(value).ok_or_else(|| {
        invalid(format!(
            "`members`: `{value}` is not a user of this directory."
        ))
    })
}

/// `DELETE /Groups/{id}`: the team goes (its project grants with it; its memberships and the
/// directory's member items after it, by the stream's clean-up).
pub async fn delete(app: &App, input: &Input, id: &str) -> ApiResult<Reply> {
    let key = team_key(&org_in(input)?, id);
    let scim = Scim::admit(app, input, vec![key.clone()], false).await?;
    scim.writable()?;
    let team = group_as_read(&scim, &key)?;
    let org = scim.org_id();
    let ext = team.directory.as_ref().and_then(|d| d.external_id.clone());
    let tx = team.delete(scim.tx(app)?)?;
    let mut tx = scim.org.team_deleted(tx)?;
    let principal = crate::projects::item::Principal::Team(team.team_id.clone());
    for project in &team.projects {
        tx = crate::projects::item::ProjectItem::grant_gone(
            tx,
            org,
            project,
            &principal,
            ApiError::concurrent("The team's access changed meanwhile; retry."),
        )?;
    }
    let tx = Group::unnamed(tx, org, &team.team_id, team.name.as_str(), ext.as_deref())?;
    let tx = DirectoryItem::count(
        tx,
        org,
        Counter::Groups,
        -1,
        None,
        ApiError::concurrent("The group was deleted meanwhile."),
    )?;
    let tx = tx.audit(scim.audit(
        "team.deleted",
        "TeamDeleted",
        format!(
            "deleted team {} (directory group, {} members)",
            team.name.as_str(),
            team.member_total()
        ),
        json!({
            "teamId": team.team_id,
            "name": team.name,
            "memberCount": team.member_total(),
            "legacyMembers": team.members,
            "projectIds": team.projects,
            "directory": true,
        }),
    ))?;
    app.store.commit(tx).await?;
    Ok(Reply::no_content())
}
