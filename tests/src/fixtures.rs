//! Set-up that reads as intent: organizations through the API, members and invitations through
//! the concepts' own item operations (the same writes, conditions and formats production uses).

use crate::client::{TestApp, User};
use serde_json::json;
use service::domain::{Email, InvitationId, OrgId, Timestamp, UserId};
use service::error::ApiError;
use service::invitations::item::{EmailStatus, InvitationItem, InvitationTerms};
use service::members::item::MemberItem;
use service::orgs::item::{InvitationHold, OrgItem, SeatState, SeatsItem};
use service::permissions::Role;

/// One organization with an owner and members of the given roles.
pub struct OrgFixture {
    pub id: String,
    pub owner: User,
    pub members: Vec<(Role, User)>,
}

impl OrgFixture {
    /// The first member with `role`.
    #[track_caller]
    pub fn member(&self, role: Role) -> &User {
        if role == Role::Owner {
            return &self.owner;
        }
        &self
            .members
            .iter()
            .find(|(r, _)| *r == role)
            .unwrap_or_else(|| panic!("the fixture has no {role}"))
            .1
    }
}

impl TestApp {
    /// Creates an organization owned by `owner` (through the API) and returns its id.
    pub async fn create_org(&self, owner: &User, name: &str) -> String {
        let a = self
            .as_user(owner)
            .post("/orgs", json!({ "name": name }))
            .await;
        assert_eq!(a.status, 201, "create org: {}", a.body);
        let id = a.body["id"].as_str().unwrap().to_string();
        self.owners
            .lock()
            .unwrap()
            .insert(id.clone(), owner.clone());
        id
    }

    /// An organization named `name` on `plan` with one member of each of `roles` (users named
    /// after their role).
    pub async fn org_fixture(&self, name: &str, plan: &str, roles: &[Role]) -> OrgFixture {
        let owner = self.user("owner");
        let id = self.create_org(&owner, name).await;
        let members: Vec<(Role, User)> =
            roles.iter().map(|r| (*r, self.user(r.as_str()))).collect();
        // Members first on a plan with room, then the plan asked for (refused if they do not fit).
        self.set_plan(&id, "pro").await;
        let added: Vec<(&User, Role)> = members.iter().map(|(r, u)| (u, *r)).collect();
        self.add_members(&id, &added).await;
        if plan != "pro" {
            self.set_plan(&id, plan).await;
        }
        OrgFixture { id, owner, members }
    }

    /// The owner of an organization the fixtures created.
    pub fn owner_of(&self, org: &str) -> User {
        self.owners
            .lock()
            .unwrap()
            .get(org)
            .cloned()
            .expect("an organization created with TestApp::create_org")
    }

    /// Sets an organization's plan as the platform's billing system does
    /// (`PUT /billing/orgs/{orgId}/subscription`, a service route: no token locally).
    pub async fn set_plan(&self, org: &str, plan: &str) {
        let a = self.set_plan_by_billing(org, plan).await;
        assert_eq!(a.status, 200, "set plan {plan}: {}", a.body);
    }

    /// An invitation `by` sends through the API (`body` as `POST /orgs/{orgId}/invitations` takes
    /// it), and its code as the owner copies it: the code the invitee accepts.
    pub async fn invite_code(&self, org: &str, by: &User, body: serde_json::Value) -> String {
        let inv = self
            .as_user(by)
            .post(&format!("/orgs/{org}/invitations"), body)
            .await;
        let id = inv.assert_status(201)["id"].as_str().unwrap().to_string();
        self.invitation_code(org, &id).await
    }

    /// An invitation's code, as its organization's owner copies it (`GET .../code`).
    pub async fn invitation_code(&self, org: &str, invitation: &str) -> String {
        let owner = self.owner_of(org);
        let code = self
            .as_user(&owner)
            .get(&format!("/orgs/{org}/invitations/{invitation}/code"))
            .await;
        code.assert_status(200)["code"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The billing system's plan change, as answered.
    pub async fn set_plan_by_billing(&self, org: &str, plan: &str) -> crate::client::Answer {
        self.call(
            "PUT",
            &format!("/billing/orgs/{org}/subscription"),
            None,
            Some(json!({ "plan": plan })),
        )
        .await
    }

    /// The organization's item as stored.
    pub async fn org_item(&self, org: &str) -> OrgItem {
        let id = OrgId::parse(org).unwrap();
        let mut found: Vec<OrgItem> = self
            .app
            .store
            .batch_get_as(vec![OrgItem::key_of(&id)])
            .await
            .unwrap();
        found.pop().expect("the organization exists")
    }

    /// The organization's seats item as stored (`None`: an organization that keeps its seats
    /// on its own item, from before `SEATS`).
    pub async fn seats_item(&self, org: &str) -> Option<SeatsItem> {
        let id = OrgId::parse(org).unwrap();
        let mut found: Vec<SeatsItem> = self
            .app
            .store
            .batch_get_as(vec![SeatsItem::key_of(&id)])
            .await
            .unwrap();
        found.pop()
    }

    /// The organization's item in the shape versions before `SEATS` stored: its seat state on
    /// it (as `SEATS` holds it now). Written with [`Self::store_org_as_before`].
    pub async fn org_before_seats_item(&self, org: &str) -> OrgItem {
        let mut item = self.org_item(org).await;
        let state = self.seat_state(org).await;
        item.pending_seats = Some(state.pending_seats);
        item.seats_used = Some(state.seats_used);
        item.seat_days = state.seat_days;
        item.seat_holds = state.seat_holds;
        item
    }

    /// A transaction that writes an organization item as [`Self::org_before_seats_item`] made
    /// it and deletes its `SEATS` item: the organization as stored before `SEATS`.
    pub fn store_org_as_before(&self, item: &OrgItem) -> service::store::Tx {
        self.store_as_before(item)
            .delete(
                SeatsItem::key_of(&item.org_id),
                None,
                service::store::Expr::new(),
                ApiError::internal("delete seats"),
            )
            .unwrap()
    }

    /// The organization's seat state as stored, wherever it is kept.
    pub async fn seat_state(&self, org: &str) -> SeatState {
        let item = self.org_item(org).await;
        let own = self.seats_item(org).await;
        item.seats(own).unwrap().state
    }

    /// Puts `user` into `org` with `role`: a seat reserved, then taken by the membership, with the
    /// writes (and seat-limit conditions) of creating and accepting an invitation.
    pub async fn add_member(&self, org: &str, user: &User, role: Role) {
        self.add_members(org, &[(user, role)]).await
    }

    /// Several members at once, with the seat writes of one invitation for all of them: their
    /// seats reserved (on the day such an invitation expires), then taken by the memberships.
    pub async fn add_members(&self, org: &str, members: &[(&User, Role)]) {
        if members.is_empty() {
            return;
        }
        let item = self.org_item(org).await;
        let seats = item.seats(self.seats_item(org).await).unwrap();
        let n = members.len() as u32;
        let now = Timestamp::now();
        let hold = InvitationHold {
            invitation: InvitationId::new(),
            n,
            expires_at: (now + chrono::Duration::days(1)).ceil_day(),
            role: None,
            window_start: now,
        };
        let (tx, _) = seats
            .reserve_seats(
                self.app.store.tx(),
                &hold,
                now,
                ApiError::internal("no seat left: set a larger plan before adding members"),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("reserve seats");
        let item = self.org_item(org).await;
        let seats = item.seats(self.seats_item(org).await).unwrap();
        let exists = || ApiError::internal("member exists");
        let mut tx = self.app.store.tx();
        for (user, role) in members {
            let member = MemberItem::new(
                &item.org_id,
                &UserId::parse("userId", &user.id).unwrap(),
                Email::parse("email", &user.email).ok(),
                None,
                (*role).into(),
                Timestamp::now(),
            );
            tx = member.join(tx, exists(), exists()).unwrap();
        }
        let tx = seats.seats_taken(tx, &hold, n, exists()).unwrap();
        self.app.store.commit(tx).await.expect("add members");
    }

    /// A pending invitation created with the invitation's own writes (its seats reserved), its
    /// email recorded as sent two minutes ago (so a resend is allowed); returns its id and code.
    pub async fn insert_invitation(
        &self,
        org: &str,
        by: &User,
        email: &str,
        role: Role,
        max_uses: u32,
    ) -> (String, String) {
        let item = self.org_item(org).await;
        let now = Timestamp::now();
        let inv = InvitationItem::new(
            &item.org_id,
            InvitationTerms {
                email: Email::parse("email", email).unwrap(),
                role: role.into(),
                expires_in_days: 7,
                max_uses,
                message: None,
                project_ids: Vec::new(),
            },
            &UserId::parse("userId", &by.id).unwrap(),
            (by.id.clone(), None),
            format!("nonce-{}", uuid::Uuid::new_v4()),
            now,
        );
        let tx = inv.create(self.app.store.tx()).unwrap();
        let seats = item.seats(self.seats_item(org).await).unwrap();
        let (tx, _) = seats
            .reserve_seats(tx, &inv.hold(), now, ApiError::internal("no seat left"))
            .unwrap();
        self.app.store.commit(tx).await.expect("insert invitation");
        let tx = inv
            .record_send(
                self.app.store.tx(),
                EmailStatus::Sent,
                now - chrono::Duration::minutes(2),
                ApiError::internal("record send"),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("record the send");
        let code = service::invitations::code::code_of(&self.app, &inv).unwrap();
        (inv.invitation_id.to_string(), code)
    }

    /// A transaction that writes `item` whole, as it is: what a test uses to put back an item in
    /// the shape an older version stored (its fields as those versions wrote them).
    pub fn store_as_before<T: service::store::Entity>(&self, item: &T) -> service::store::Tx {
        self.app
            .store
            .tx()
            .put(
                item,
                None,
                service::store::Expr::new(),
                ApiError::internal("put"),
            )
            .unwrap()
    }

    /// The invitation's item as stored.
    pub async fn invitation_item(&self, org: &str, invitation: &str) -> InvitationItem {
        let key = InvitationItem::key_of(
            &OrgId::parse(org).unwrap(),
            &InvitationId::parse(invitation).unwrap(),
        );
        let mut found: Vec<InvitationItem> = self.app.store.batch_get_as(vec![key]).await.unwrap();
        found.pop().expect("the invitation exists")
    }

    /// Lets an invitation expire at the start of today (UTC): its last renewal moved back a day
    /// and more, written by the resend's own writes (so the stored expiry and the day its seats
    /// are kept under have the production format).
    pub async fn expire_invitation(&self, org: &str, invitation: &str) {
        let inv = self.invitation_item(org, invitation).await;
        let back = chrono::Duration::days(i64::from(inv.expires_in_days) + 1);
        let renewed = inv.renewed(Timestamp::now() - back);
        let tx = inv
            .renew(self.app.store.tx(), &renewed, ApiError::internal("expire"))
            .unwrap();
        // Its seats follow, as a resend moves them.
        let org_item = self.org_item(org).await;
        let seats = org_item.seats(self.seats_item(org).await).unwrap();
        let tx = seats
            .extend_hold(tx, &inv.hold(), renewed.expires_at)
            .unwrap();
        self.app.store.commit(tx).await.expect("expire invitation");
        assert!(renewed.expires_at <= Timestamp::now());
    }

    /// Closes an organization with the closure's own write (read-only for 30 days).
    pub async fn close_org(&self, org: &str) {
        let item = self.org_item(org).await;
        let seats = item.seats(self.seats_item(org).await).unwrap();
        let tx = item
            .close(
                self.app.store.tx(),
                &seats,
                &item.owner_id,
                Timestamp::now(),
                chrono::Duration::days(30),
            )
            .unwrap();
        self.app.store.commit(tx).await.expect("close org");
    }

    /// A project created by `by` through the API (`by` becomes its admin); returns its id.
    pub async fn create_project(&self, org: &str, by: &User, name: &str) -> String {
        let a = self
            .as_user(by)
            .post(&format!("/orgs/{org}/projects"), json!({ "name": name }))
            .await;
        assert_eq!(a.status, 201, "create project: {}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    /// A team created by `by` through the API; returns its id.
    pub async fn create_team(&self, org: &str, by: &User, name: &str) -> String {
        let a = self
            .as_user(by)
            .post(&format!("/orgs/{org}/teams"), json!({ "name": name }))
            .await;
        assert_eq!(a.status, 201, "create team: {}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    /// Puts members on a team through the API, as the organization's owner.
    pub async fn add_to_team(&self, org: &str, team: &str, users: &[&User]) {
        let owner = self.owner_of(org);
        for u in users {
            let a = self
                .as_user(&owner)
                .put_empty(&format!("/orgs/{org}/teams/{team}/members/{}", u.id))
                .await;
            assert_eq!(a.status, 200, "add to team: {}", a.body);
        }
    }

    /// Grants `principal` (`user:<id>` / `team:<id>`) a project role through the API.
    pub async fn grant(&self, org: &str, by: &User, project: &str, principal: &str, role: &str) {
        let a = self
            .as_user(by)
            .put(
                &format!("/orgs/{org}/projects/{project}/access/{principal}"),
                json!({ "role": role }),
            )
            .await;
        assert_eq!(a.status, 200, "grant {principal} {role}: {}", a.body);
    }

    /// An integration created by `by` through the API (its secret goes to moto); returns its id.
    pub async fn create_integration(
        &self,
        org: &str,
        by: &User,
        body: serde_json::Value,
    ) -> String {
        let a = self
            .as_user(by)
            .post(&format!("/orgs/{org}/integrations"), body)
            .await;
        assert_eq!(a.status, 201, "create integration: {}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    /// Every item of the test's table (a Scan: test inspection only, never in a request path),
    /// each as canonical JSON (attributes and map keys sorted), keyed by `PK|SK`.
    pub async fn table_items(&self) -> std::collections::BTreeMap<String, String> {
        let client = crate::dynamodb_client(&crate::dynamodb_endpoint(), None).await;
        let mut out = std::collections::BTreeMap::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan the test table");
            for item in page.items() {
                let key = format!(
                    "{}|{}",
                    item["PK"].as_s().unwrap(),
                    item["SK"].as_s().unwrap()
                );
                let json: serde_json::Value =
                    serde_dynamo::from_item(item.clone()).expect("an item as JSON");
                out.insert(key, json.to_string());
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return out,
            }
        }
    }

    /// Closes an organization as its owner does (`POST /orgs/{orgId}/close` with its name).
    pub async fn close_through_api(&self, org: &str) {
        let owner = self.owner_of(org);
        let name = self.org_item(org).await.name;
        let a = self
            .as_user(&owner)
            .post(
                &format!("/orgs/{org}/close"),
                json!({ "confirmName": name }),
            )
            .await;
        assert_eq!(a.status, 200, "close: {}", a.body);
    }

    /// `n` organizations, each with its own owner, written with the organization creation's own
    /// writes (`orgs::handlers::creation_tx`), 14 organizations per transaction (98 items) so a
    /// thousand take 72 transactions; returns their ids.
    pub async fn create_orgs(&self, n: usize, prefix: &str) -> Vec<String> {
        use service::domain::{DisplayName, Slug};
        use service::orgs::item::UserItem;
        let mut ids = Vec::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(14) {
            let mut tx = self.app.store.tx();
            for i in chunk {
                let user = UserId::parse("userId", &format!("{prefix}-{i}")).unwrap();
                let name = DisplayName::parse("name", &format!("{prefix} {i}")).unwrap();
                let slug = Slug::parse(&format!("{prefix}-{i}")).unwrap();
                let now = Timestamp::now();
                let org = OrgItem::new(OrgId::new(), name, slug, &user, false, now);
                let email = Email::parse("email", &format!("{prefix}-{i}@example.com")).ok();
                let owner =
                    MemberItem::new(&org.org_id, &user, email, None, Role::Owner.into(), now);
                tx = service::orgs::handlers::creation_tx(tx, &org, &owner, |tx| {
                    UserItem::count_created(tx, &user, 1)
                })
                .unwrap();
                ids.push(org.org_id.to_string());
            }
            self.app
                .store
                .commit(tx)
                .await
                .expect("create organizations");
        }
        ids
    }
}
