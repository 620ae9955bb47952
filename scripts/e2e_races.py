#!/usr/bin/env python3
"""End-to-end races through `cargo lambda watch --concurrency N`: truly parallel requests to one
route, served by several instances of its function at once.

usage: DNS_ZONE_FILE=... e2e_races.py BASE_URL DEVTOOL SECRET (the zone file the local nameserver serves)
"""
import os
import sys
import threading
import time
import uuid

from e2e_http import Api

base, devtool, secret = sys.argv[1:4]
run = uuid.uuid4().hex[:8]


api = Api(base, devtool, secret)
token, call = api.token, api.call


def parallel(calls):
    """Runs the calls at the same moment (one thread each, released together)."""
    results = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def worker(i, f):
        gate.wait()
        results[i] = f()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def expect(cond, what):
    if not cond:
        print("race FAILED: " + what, file=sys.stderr)
        sys.exit(1)


owner = token(f"race-owner-{run}", f"race-owner-{run}@example.com")

# 1. Twenty parallel accepts of an invitation with five uses: five members.
status, org = call("POST", "/orgs", owner, {"name": f"Race {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
status, body = call("PUT", f"/billing/orgs/{org}/subscription", owner, {"plan": "pro"})
expect(status == 200, f"plan: {status} {body}")
status, inv = call("POST", f"/orgs/{org}/invitations", owner,
                   {"email": f"race-{run}@example.com", "role": "viewer", "maxUses": 5})
expect(status == 201, f"invite: {status} {inv}")
status, code = call("GET", f"/orgs/{org}/invitations/{inv['id']}/code", owner)
expect(status == 200, f"code: {status} {code}")
joiners = [token(f"race-{run}-{i}", f"race-{run}-{i}@example.com") for i in range(20)]
answers = parallel([lambda t=t: call("POST", f"/invitations/{code['code']}/accept", t) for t in joiners])
statuses = sorted(s for s, _ in answers)
expect(statuses.count(201) == 5, f"20 parallel accepts of 5 uses: {statuses}")
expect(all(s in (201, 404) for s in statuses), f"only joins and the one refusal: {answers}")
status, members = call("GET", f"/orgs/{org}/members?limit=100", owner)
expect(len(members["items"]) == 6, f"owner + 5 members: {len(members['items'])}")
status, sub = call("GET", f"/orgs/{org}/subscription", owner)
expect(sub["seats"]["used"] == 6 and sub["seats"]["pendingInvitations"] == 0, f"seats: {sub}")
print(f"race: 20 parallel accepts of a 5-use invitation -> {statuses.count(201)} x 201, "
      f"{statuses.count(404)} x 404; 6 members, seats {sub['seats']['used']}")

# 2. Ten parallel invitations for the last free seat: one.
status, org = call("POST", "/orgs", owner, {"name": f"Seat race {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
answers = parallel([
    lambda i=i: call("POST", f"/orgs/{org}/invitations", owner,
                     {"email": f"seat-{run}-{i}@example.com", "role": "viewer"})
    for i in range(10)
])
statuses = sorted(s for s, _ in answers)
expect(statuses.count(201) == 1 and statuses.count(402) == 9, f"10 invitations for 1 seat: {statuses}")
status, sub = call("GET", f"/orgs/{org}/subscription", owner)
expect(sub["seats"]["used"] == 2, f"seats: {sub}")
print(f"race: 10 parallel invitations for the last free seat -> 1 x 201, 9 x 402; seats {sub['seats']['used']}/2")

# 3. Members put on a team while they are removed from the organization: no orphan membership.
status, org = call("POST", "/orgs", owner, {"name": f"Team race {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
status, body = call("PUT", f"/billing/orgs/{org}/subscription", owner, {"plan": "pro"})
status, inv = call("POST", f"/orgs/{org}/invitations", owner,
                   {"email": f"team-race-{run}@example.com", "role": "developer", "maxUses": 8})
expect(status == 201, f"invite: {status} {inv}")
status, code = call("GET", f"/orgs/{org}/invitations/{inv['id']}/code", owner)
people = [(f"team-race-{run}-{i}", token(f"team-race-{run}-{i}", f"team-race-{run}-{i}@example.com")) for i in range(8)]
for _, t in people:
    status, body = call("POST", f"/invitations/{code['code']}/accept", t)
    expect(status == 201, f"join: {status} {body}")
status, team = call("POST", f"/orgs/{org}/teams", owner, {"name": "Racers"})
expect(status == 201, f"team: {status} {team}")
team = team["id"]
status, project = call("POST", f"/orgs/{org}/projects", owner, {"name": "Raced"})
status, body = call("PUT", f"/orgs/{org}/projects/{project['id']}/access/team:{team}", owner, {"role": "editor"})
expect(status == 200, f"grant: {status} {body}")
calls = []
for uid, _ in people:
    calls.append(lambda uid=uid: call("PUT", f"/orgs/{org}/teams/{team}/members/{uid}", owner))
    calls.append(lambda uid=uid: call("DELETE", f"/orgs/{org}/members/{uid}", owner))
answers = parallel(calls)
# A removal leaves the member's places on teams to finish-removals (the table's stream, through
# the local poller): the team's count agrees with its members once that ran.
for _ in range(120):
    status, detail = call("GET", f"/orgs/{org}/teams/{team}?limit=100", owner)
    on_team = {m["userId"] for m in detail["members"]}
    if detail["memberCount"] == len(on_team):
        break
    time.sleep(0.5)
status, members = call("GET", f"/orgs/{org}/members?limit=100", owner)
still = {m["userId"] for m in members["items"]}
expect(detail["memberCount"] == len(on_team), f"team count and members agree: {detail}")
expect(on_team <= still, f"on the team but not a member: {on_team - still}")
removed = sum(1 for s, _ in answers[1::2] if s == 204)
print(f"race: 8 parallel team additions and removals of the same members -> {removed} removed, "
      f"{len(on_team)} on the team, no orphan")

# 4. A team deleted while it is granted a project: no grant to a missing team.
orphans = 0
for i in range(5):
    status, t2 = call("POST", f"/orgs/{org}/teams", owner, {"name": f"Doomed {i}"})
    expect(status == 201, f"team: {status} {t2}")
    grant, delete = parallel([
        lambda: call("PUT", f"/orgs/{org}/projects/{project['id']}/access/team:{t2['id']}", owner, {"role": "viewer"}),
        lambda: call("DELETE", f"/orgs/{org}/teams/{t2['id']}", owner),
    ])
    exists = call("GET", f"/orgs/{org}/teams/{t2['id']}", owner)[0] == 200
    status, access = call("GET", f"/orgs/{org}/projects/{project['id']}/access?limit=100", owner)
    granted = any(g["principal"] == f"team:{t2['id']}" for g in access["items"])
    expect(exists or not granted, f"grant {grant} delete {delete}: a grant to a deleted team")
    orphans += granted and not exists
print(f"race: 5 team deletions while granting the team -> {orphans} grants to missing teams")

# 5. Ten parallel API key creations for the last five places: five keys, never more than 50.
status, org = call("POST", "/orgs", owner, {"name": f"Key race {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
for i in range(45):
    status, body = call("POST", f"/orgs/{org}/api-keys", owner, {"name": f"K{i}", "role": "viewer"})
    expect(status == 201, f"key {i}: {status} {body}")
answers = parallel([
    lambda i=i: call("POST", f"/orgs/{org}/api-keys", owner, {"name": f"Raced {i}", "role": "viewer"})
    for i in range(10)
])
statuses = sorted(s for s, _ in answers)
expect(statuses.count(201) == 5 and statuses.count(409) == 5, f"10 creations for 5 places: {statuses}")
status, page = call("GET", f"/orgs/{org}/api-keys?limit=100", owner)
expect(len(page["items"]) == 50, f"50 keys: {len(page['items'])}")
print(f"race: 10 parallel API key creations for the last 5 places -> 5 x 201, 5 x 409; 50 keys")

# 6. Verifications in parallel with the key's revocation: each answers valid or invalid, every
# one after the revocation answered is invalid, and the key's last use was recorded.
key = next(b for s, b in answers if s == 201)
verify = lambda: call("POST", "/api-keys/verify", owner, {"key": key["key"], "permissions": ["org.read"]})
answers = parallel([verify for _ in range(12)])
expect(all(s == 200 and b["valid"] is True for s, b in answers), f"12 parallel verifications: {answers}")
status, got = call("GET", f"/orgs/{org}/api-keys/{key['id']}", owner)
expect(got["lastUsedAt"] is not None, f"last use recorded: {got}")
answers = parallel([lambda: call("DELETE", f"/orgs/{org}/api-keys/{key['id']}", owner)] + [verify for _ in range(11)])
expect(answers[0][0] == 204, f"revoke: {answers[0]}")
expect(all(s == 200 and b["valid"] in (True, False) for s, b in answers[1:]), f"verifications: {answers[1:]}")
after = parallel([verify for _ in range(8)])
expect(all(s == 200 and b == {"valid": False} for s, b in after), f"after the revocation: {after}")
during = sum(1 for _, b in answers[1:] if b["valid"])
print(f"race: 11 verifications beside the key's revocation -> {during} valid (before it), "
      f"{11 - during} invalid; all 8 after it invalid")

# 7. A custom role deleted while it is given to members in parallel: never a member holding a
# role that does not exist, and the role's count of members is the members who hold it.
status, org = call("POST", "/orgs", owner, {"name": f"Role race {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
status, sub = call("PUT", f"/billing/orgs/{org}/subscription", owner, {"plan": "pro"})
expect(status == 200, f"plan: {status} {sub}")
status, inv = call("POST", f"/orgs/{org}/invitations", owner,
                   {"email": f"role-race-{run}@example.com", "role": "viewer", "maxUses": 4})
expect(status == 201, f"invite: {status} {inv}")
status, code = call("GET", f"/orgs/{org}/invitations/{inv['id']}/code", owner)
people = [f"role-race-{run}-{i}" for i in range(4)]
for p in people:
    status, body = call("POST", f"/invitations/{code['code']}/accept", token(p, f"{p}@example.com"))
    expect(status == 201, f"accept: {status} {body}")
lost = 0
for rnd in range(3):
    status, role = call("POST", f"/orgs/{org}/roles", owner,
                        {"name": f"Raced role {rnd}", "permissions": ["members.read"], "projectRole": "viewer"})
    expect(status == 201, f"create role: {status} {role}")
    rid = role["id"]
    answers = parallel([lambda: call("DELETE", f"/orgs/{org}/roles/{rid}", owner)] + [
        lambda p=p: call("PATCH", f"/orgs/{org}/members/{p}", owner, {"role": rid}) for p in people
    ])
    status, roles = call("GET", f"/orgs/{org}/roles", owner)
    listed = next((r for r in roles["items"] if r["id"] == rid), None)
    status, members = call("GET", f"/orgs/{org}/members?limit=100", owner)
    holding = [m["userId"] for m in members["items"] if m["role"] == rid]
    expect(listed is not None or not holding, f"round {rnd}: {holding} hold a deleted role ({answers})")
    expect((answers[0][0] == 204) == (listed is None), f"round {rnd}: delete {answers[0]}")
    if listed is not None:
        expect(listed["holders"]["members"] == len(holding), f"round {rnd}: count {listed['holders']} vs {holding}")
        for p in holding:
            status, body = call("PATCH", f"/orgs/{org}/members/{p}", owner, {"role": "viewer"})
            expect(status == 200, f"reset: {status} {body}")
    lost += listed is None
print(f"race: 3 role deletions beside 4 parallel assignments each -> {lost} deleted before any assignment, "
      f"{3 - lost} kept with their holders counted; no member holds a missing role")

# 8. Four organizations verify one domain at once (each one's record published): one holds it.
zone = os.environ["DNS_ZONE_FILE"]
domain = f"race-{run}.example"
orgs = []
for i in range(4):
    t = token(f"race-domain-owner-{run}-{i}", f"race-domain-{run}-{i}@example.com")
    status, o = call("POST", "/orgs", t, {"name": f"Domain race {run} {i}"})
    expect(status == 201, f"create org: {status} {o}")
    status, d = call("POST", f"/orgs/{o['id']}/domains", t, {"domain": domain})
    expect(status == 201, f"add domain: {status} {d}")
    with open(zone, "a") as z:
        z.write(f"{d['verification']['name']} {d['verification']['value']}\n")
    orgs.append((o["id"], t))
answers = parallel([lambda o=o, t=t: call("POST", f"/orgs/{o}/domains/{domain}/verify", t, {}) for o, t in orgs])
verified = [a for s, a in answers if s == 200 and a["status"] == "verified"]
refused = sorted(a["code"] for s, a in answers if s == 409)
expect(len(verified) == 1 and len(refused) == 3, f"4 parallel verifications: {answers}")
print(f"race: 4 organizations verifying one domain at once -> 1 verified, 3 x 409 ({', '.join(refused)})")

# 9. The operator's catalogue (infra/catalogue.example.json, ORGS_CATALOGUE_FILE): its permission in a
# custom role and an API key, answered by /authorize and the key's verification; its 25-seat plan set
# by the billing route; the owner cannot set the plan.
status, matrix = call("GET", "/roles", owner)
expect(status == 200 and any(p["name"] == "databases.create" and p["source"] == "operator"
                             for p in matrix["permissions"]), f"/roles: {status}")
expect(any(p["name"] == "team" and p["seatLimit"] == 25 for p in matrix["plans"]), f"plans: {matrix['plans']}")
status, org = call("POST", "/orgs", owner, {"name": f"Catalogue {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
status, body = call("PUT", f"/orgs/{org}/subscription", owner, {"plan": "agency"})
expect(400 <= status < 500, f"the owner's plan change answered {status} {body}")
status, sub = call("GET", f"/orgs/{org}/subscription", owner)
expect(sub["plan"] == "free" and sub["billingPortalUrl"] == "https://billing.example.com/portal", f"{sub}")
status, sub = call("PUT", f"/billing/orgs/{org}/subscription", owner, {"plan": "team"})
expect(status == 200 and sub["seats"]["limit"] == 25, f"billing: {status} {sub}")
status, role = call("POST", f"/orgs/{org}/roles", owner,
                    {"name": "DB creators", "permissions": ["databases.create", "projects.read"], "projectRole": "none"})
expect(status == 201, f"custom role: {status} {role}")
status, key = call("POST", f"/orgs/{org}/api-keys", owner, {"name": "db-bot", "role": role["id"]})
expect(status == 201, f"key: {status} {key}")
status, v = call("POST", "/api-keys/verify", owner, {"key": key["key"], "permissions": ["databases.create", "databases.delete"]})
expect(status == 200 and v["allowed"] == {"databases.create": True, "databases.delete": False}, f"verify: {status} {v}")
dev = token(f"catalogue-dev-{run}", f"catalogue-dev-{run}@example.com")
status, inv = call("POST", f"/orgs/{org}/invitations", owner, {"email": f"catalogue-dev-{run}@example.com", "role": "developer"})
expect(status == 201, f"invite: {status} {inv}")
status, code = call("GET", f"/orgs/{org}/invitations/{inv['id']}/code", owner)
status, _ = call("POST", f"/invitations/{code['code']}/accept", dev)
expect(status == 201, f"accept: {status}")
status, a = call("POST", f"/orgs/{org}/authorize", dev, {"permissions": ["databases.create", "databases.delete"]})
expect(status == 200 and [r["allowed"] for r in a["results"]] == [True, False]
       and a["results"][1]["reason"] == "not_granted", f"authorize: {status} {a}")
print("catalogue: databases.create in a custom role and an API key (verified), a developer allowed it by /authorize; "
      "the team plan (25 seats) set by billing; the owner's plan change refused")


# 6. Machines as callers and writes a client may retry, through the real binaries: an API key
# invites within its role once its organization allows keys; eight parallel creates under one
# Idempotency-Key (served by several instances at once) make one invitation, and a later retry
# answers the first answer; the same key with another body is refused.
status, org = call("POST", "/orgs", owner, {"name": f"Machines {run}"})
expect(status == 201, f"create org: {status} {org}")
org = org["id"]
status, body = call("PUT", f"/billing/orgs/{org}/subscription", owner, {"plan": "pro"})
expect(status == 200, f"plan: {status} {body}")
status, key = call("POST", f"/orgs/{org}/api-keys", owner, {"name": "ci", "role": "admin"})
expect(status == 201, f"key: {status} {key}")
machine = key["key"]
status, body = call("GET", f"/orgs/{org}/members", machine)
expect(status == 403 and body["code"] == "api_key_calls_disabled", f"keys off by default: {status} {body}")
status, body = call("PATCH", f"/orgs/{org}", owner, {"settings": {"apiKeysMayCallApi": True}})
expect(status == 200, f"allow keys: {status} {body}")
status, body = call("POST", f"/orgs/{org}/api-keys", machine, {"name": "minted", "role": "admin"})
expect(status == 403 and body["code"] == "person_required", f"a key mints no key: {status} {body}")
invite = {"email": f"contractor-{run}@example.com", "role": "developer"}
idem = {"Idempotency-Key": f"invite-contractor-{run}"}
answers = parallel([lambda: api.call_full("POST", f"/orgs/{org}/invitations", machine, invite, idem)
                    for _ in range(8)])
made = [a for a in answers if a[0] == 201]
expect(made and all(a[0] in (201, 409) for a in answers), f"parallel: {[(a[0], a[1]) for a in answers]}")
expect(len({a[1]["id"] for a in made}) == 1, f"one invitation: {[a[1]['id'] for a in made]}")
expect(all(a[1]["code"] == "idempotency_key_in_flight" for a in answers if a[0] == 409), f"{answers}")
status, listed = call("GET", f"/orgs/{org}/invitations", owner)
expect(status == 200 and len(listed["items"]) == 1, f"one invitation listed: {listed}")
status, again, headers = api.call_full("POST", f"/orgs/{org}/invitations", machine, invite, idem)
expect(status == 201 and again["id"] == made[0][1]["id"], f"retry: {status} {again}")
expect({k.lower(): v for k, v in headers.items()}.get("idempotent-replayed") == "true", f"{headers}")
status, body = call("POST", f"/orgs/{org}/invitations", machine, {**invite, "role": "viewer"}, idem)
expect(status == 422 and body["code"] == "idempotency_key_reused", f"another body: {status} {body}")
status, log = call("GET", f"/orgs/{org}/audit-log?action=invitation.created", owner)
expect(status == 200 and len(log["items"]) == 1 and log["items"][0]["actorKind"] == "api_key"
       and log["items"][0]["actorId"] == key["id"], f"audit: {log}")
print(f"machines: an API key invited once for 8 parallel requests under one Idempotency-Key "
      f"({sum(1 for a in answers if a[0] == 201)} answered 201, {sum(1 for a in answers if a[0] == 409)} in flight); "
      "the retry replayed it, another body under the key was refused, the audit entry names the key")
