"""The SCIM 2.0 service provider through `cargo lambda watch`: the RFC compliance checker
scim2-tester over Users (and Groups once the directory serves them), then what it does not check,
end to end: a burst of the same userName (one is created) and of distinct people on a plan with
few seats (exactly the free seats are taken).

Usage: e2e_scim.py BASE_URL DEVTOOL LOCAL_JWT_SECRET

Prints the checker's results counted by status; fails on any ERROR, CRITICAL or DEVIATION (a
SKIPPED check is what the checker chose not to run)."""

import collections
import concurrent.futures
import json
import subprocess
import sys
import urllib.request
import uuid

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, devtool, secret = sys.argv[1:4]


def token_for(user):
    return subprocess.check_output([devtool, "token", secret, user, f"{user}@example.com"], text=True).strip()


def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def directory(plan_name):
    """A new organization with a SCIM token: (org id, token, base URL)."""
    owner = token_for(f"scim-owner-{uuid.uuid4().hex[:8]}")
    status, org = call("POST", "/orgs", owner, {"name": f"SCIM {plan_name}"})
    assert status == 201, (status, org)
    status, tok = call("POST", f"/orgs/{org['id']}/scim-tokens", owner, {"name": "scim2-tester"})
    assert status == 201, (status, tok)
    assert tok["baseUrl"] == f"{base}/orgs/{org['id']}/scim/v2", tok["baseUrl"]
    return org["id"], tok["token"], tok["baseUrl"]


# The checker, over every resource type the discovery endpoints publish, on a plan with room for
# the people it provisions (the billing route: IAM in production, open locally).
org, token, scim_base = directory("checker")
status, _ = call("PUT", f"/billing/orgs/{org}/subscription", "none", {"plan": "pro"})
assert status == 200, status
client = SyncSCIMClient(httpx2.Client(base_url=scim_base, headers={"Authorization": f"Bearer {token}"}, timeout=120))
results = check_server(client)
counts = collections.Counter(r.status.name for r in results)
print("scim2-tester: " + ", ".join(f"{name} {counts[name]}" for name in sorted(counts)))
bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)]
for r in results:
    if r.status not in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE):
        print(f"  {r.status.name:9} {r.resource_type or '-':6} {r.title}: {r.reason}")
if bad:
    sys.exit(f"scim2-tester: {len(bad)} checks ERROR, CRITICAL or DEVIATION")

# A burst of one userName through parallel instances: one is created, the rest 409 uniqueness.
users = f"/orgs/{org}/scim/v2/Users"
body = lambda name: {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
                     "emails": [{"value": f"{uuid.uuid4().hex[:8]}@corp.example", "primary": True}]}
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    answers = list(pool.map(lambda _: call("POST", users, token, body("burst@example.com")), range(8)))
statuses = sorted(s for s, _ in answers)
assert statuses.count(201) == 1 and set(statuses) == {201, 409}, answers
assert all(b.get("scimType") == "uniqueness" for s, b in answers if s == 409), answers
print(f"scim: 8 parallel POST /Users of one userName -> {statuses}")

# The free plan (2 seats, the owner's one): a burst of 6 people takes exactly the one left.
free_org, free_token, _ = directory("free")
with concurrent.futures.ThreadPoolExecutor(6) as pool:
    answers = list(pool.map(lambda i: call("POST", f"/orgs/{free_org}/scim/v2/Users", free_token, body(f"p{i}@example.com")), range(6)))
statuses = sorted(s for s, _ in answers)
assert statuses.count(201) == 1 and set(statuses) <= {201, 402, 409}, answers
status, listed = call("GET", f"/orgs/{free_org}/scim/v2/Users", free_token)
assert status == 200 and listed["totalResults"] == 1, listed
print(f"scim: 6 parallel POST /Users on the free plan -> {statuses}; totalResults 1")
