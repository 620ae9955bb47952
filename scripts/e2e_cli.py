#!/usr/bin/env python3
"""End-to-end: the `orgs` CLI against the local stack, as a newcomer would use it (README quick
start): login, create, invite, read the code, accept as another user, list members, change a role,
audit, an integration with its secret from stdin, a refused action, close with the typed name,
reactivate. Asserts on `--json` output and exit codes.

usage: e2e_cli.py BASE_URL DEVTOOL SECRET ORGS_BINARY
"""
import json
import os
import stat
import subprocess
import sys
import tempfile
import uuid

from e2e_http import Api

base, devtool, secret, orgs = sys.argv[1:5]
run = uuid.uuid4().hex[:8]
home = tempfile.mkdtemp(prefix="orgs-cli-")
env = {k: v for k, v in os.environ.items() if not k.startswith("ORGS_")}
env.update({"ORGS_CONFIG_DIR": home, "NO_COLOR": "1"})


token = Api(base, devtool, secret).token


def cli(*args, stdin=None, want=0, extra_env=None):
    e = dict(env, **(extra_env or {}))
    p = subprocess.run([orgs, *args], input=stdin, capture_output=True, text=True, env=e, timeout=120)
    if p.returncode != want:
        sys.exit(f"cli e2e: `orgs {' '.join(args)}` exited {p.returncode}, not {want}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def cli_json(*args, **kw):
    p = cli(*args, "--json", **kw)
    return json.loads(p.stdout)


owner_id, member_id = f"cli-owner-{run}", f"cli-member-{run}"
owner_token = token(owner_id, f"{owner_id}@example.com")
member_env = {"ORGS_API_URL": base, "ORGS_TOKEN": token(member_id, f"{member_id}@example.com")}

# Not logged in yet: exit 3 and what to do.
p = cli("list", want=3)
assert "orgs login" in p.stderr, p.stderr
# Login with the token on stdin; the config file is the owner's alone.
cli("login", "--api", base, "--token-stdin", stdin=owner_token)
config = os.path.join(home, "config.json")
assert stat.S_IMODE(os.stat(config).st_mode) == 0o600, oct(os.stat(config).st_mode)
assert cli_json("whoami")["userId"] == owner_id

name = f"CLI {run}"
org = cli_json("create", "--name", name)
assert org["name"] == name and org["myRole"] == "owner", org
# The first organization created became the current one.
assert cli_json("show")["id"] == org["id"]
listed = cli_json("list", "--all")
assert any(o["id"] == org["id"] for o in listed["items"]), listed
cli("switch", org["slug"])

invited = cli_json("invite", f"{member_id}@example.com", "--role", "viewer", "--expires-in", "3d")
inv = invited["items"][0]
assert inv["role"] == "viewer" and inv["emailStatus"] == "sent", inv
code = cli_json("invitations", "code", inv["id"])["code"]
link = cli("invitations", "link", inv["id"]).stdout.strip()
assert link.endswith(code), link
# The member sees it, and accepts it by its link.
mine = cli_json("invitations", "mine", extra_env=member_env)
assert any(i["orgId"] == org["id"] for i in mine["items"]), mine
joined = cli_json("accept", link, extra_env=member_env)
assert joined["orgId"] == org["id"] and joined["role"] == "viewer", joined
members = cli_json("members", "list")
assert {m["userId"] for m in members["items"]} == {owner_id, member_id}, members
table = cli("members", "list").stdout
assert "USER" in table and member_id in table and "\x1b[" not in table, table

# A refused action: the member (viewer) may not invite; exit 1 with the API's words.
p = cli("invite", "x@example.com", "--role", "viewer", "--org", org["id"], want=1, extra_env=member_env)
assert "forbidden" in p.stderr and "invitations.create" in p.stderr, p.stderr
p = cli("can", "invitations.create", "--org", org["id"], want=1, extra_env=member_env)
cli("can", "invitations.create", "members.update")
assert cli_json("members", "role", member_id, "developer")["role"] == "developer"

audit = cli_json("audit", "--all")
actions = [e["action"] for e in audit["items"]]
assert "member.joined" in actions and "member.role_changed" in actions, actions
assert len(cli_json("audit", "--action", "member.joined")["items"]) == 1

# A custom role: created, given to the member, effective on their next call, changed by name,
# not deletable while held.
role = cli_json("roles", "create", "deployer", "--permission", "deployments.create",
                "--permission", "projects.read", "--project-role", "developer")
assert role["id"].startswith("role_") and role["permissions"] == ["org.read", "projects.read", "deployments.create"], role
listed = cli("roles").stdout
assert "deployer" in listed and "owner" in listed and "custom" in listed, listed
assert "members.update" in cli("roles", "matrix").stdout
assert cli_json("members", "role", member_id, "Deployer")["role"] == role["id"], "a custom role by its name"
assert [m["userId"] for m in cli_json("members", "list", "--role", "deployer")["items"]] == [member_id]
cli("can", "deployments.create", "--org", org["id"], extra_env=member_env)
edited = cli_json("roles", "edit", "deployer", "--name", "releaser", "--remove", "deployments.create")
assert edited["name"] == "releaser" and "deployments.create" not in edited["permissions"], edited
cli("can", "deployments.create", "--org", org["id"], want=1, extra_env=member_env)
p = cli("roles", "delete", "releaser", want=1)
assert "role_in_use" in p.stderr, p.stderr
cli_json("members", "role", member_id, "developer")
cli("roles", "delete", "releaser")
assert all(r["kind"] == "system" for r in cli_json("roles")["items"])

# An integration: the secret from stdin, shown back only as its fingerprint.
marker = f"cli-secret-{uuid.uuid4().hex}"
p = cli("integrations", "add", "--kind", "dns_provider", "--provider", "cloudflare", "--name", "cf",
        "--secret-stdin", "--json", stdin=marker + "\n")
integration = json.loads(p.stdout)
assert integration["fingerprint"] and marker not in p.stdout and marker not in p.stderr, p.stdout
listed = cli("integrations", "list").stdout
assert "cloudflare" in listed and marker not in listed

# An API key: printed once, verified by another service, rolled, revoked.
p = cli("api-keys", "create", "ci", "--role", "developer", "--expires-in-days", "30")
key = next(w for w in p.stdout.split() if w.startswith("orgs_sk_"))
keys = cli_json("api-keys", "list")
assert len(keys["items"]) == 1 and "key" not in keys["items"][0], keys
listed = cli("api-keys").stdout
assert "ci" in listed and key[14:] not in listed, listed
key_id = keys["items"][0]["id"]
rolled = cli_json("api-keys", "roll", key_id, "--grace-minutes", "0")
assert rolled["key"] != key and rolled["key"].startswith("orgs_sk_"), rolled
cli("api-keys", "revoke", key_id)
assert cli_json("api-keys", "list")["items"] == []
# Settings are one object: changing one keeps the other.
on = cli_json("settings", "non-expiring-api-keys", "on")
assert on["settings"]["allowNonExpiringApiKeys"] is True, on
both = cli_json("settings", "invite-policy", "members")
assert both["settings"] == {"invitePolicy": "members", "allowNonExpiringApiKeys": True}, both
forever = cli_json("api-keys", "create", "backups", "--role", "viewer", "--never-expires")
assert forever["expiresAt"] is None, forever
cli("api-keys", "revoke", forever["id"])

# A verified domain: added (the record to publish), pending until the local nameserver serves
# the record, then an automatic suggestion that a person at the domain asks to join through.
zone = os.environ["DNS_ZONE_FILE"]
domain = f"cli-{run}.example"
added = cli_json("domains", "add", domain)
assert added["status"] == "pending", added
record = added["verification"]
looked = cli_json("domains", "verify", domain)
assert looked["status"] == "pending" and looked["found"] == [], looked
with open(zone, "a") as z:
    z.write(f"{record['name']} {record['value']}\n")
p = cli("domains", "verify", domain)
assert f"looked up {domain}: verified" in p.stdout, p.stdout
cli("domains", "enroll", domain, "automatic_suggestion", "--role", "viewer")
assert "automatic_suggestion" in cli("domains").stdout
api = Api(base, devtool, secret)
asker = token(f"cli-asker-{run}", f"asker-{run}@{domain}")
status, suggestions = api.call("GET", "/me/organization-suggestions", asker)
assert status == 200 and suggestions["items"][0]["orgId"] == org["id"], suggestions
status, asked = api.call("POST", f"/orgs/{org['id']}/membership-requests", asker, {})
assert status == 201, asked
requests = cli_json("requests", "list")
assert [r["id"] for r in requests["items"]] == [asked["id"]], requests
rejected = cli_json("requests", "reject", asked["id"])
assert rejected["status"] == "rejected", rejected
cli("requests", "approve", asked["id"], want=1)
cli("domains", "remove", domain)
assert cli_json("domains")["items"] == []

# Usage errors exit 2; an unreachable API exits 3.
cli("invite", "a@example.com", want=2)
cli("list", want=3, extra_env={"ORGS_API_URL": "http://127.0.0.1:9"})

# Close with the typed name (a wrong one is refused), then reactivate.
p = cli("close", "--confirm", "not the name", want=1)
assert "confirmation_mismatch" in p.stderr, p.stderr
closed = cli_json("close", "--confirm", name)
assert closed["status"] == "grace" and closed["purgeAt"], closed
p = cli("rename", "Renamed", want=1)
assert "purged at" in p.stderr and "orgs reactivate" in p.stderr, p.stderr
assert cli_json("reactivate")["status"] == "active"
cli("logout")
cli("list", want=3)
print(f"cli e2e: login, create, invite, accept, members, role, audit, custom role, integration, API key, verified domain and membership request, refusals, close and reactivate through `orgs` ({run})")
