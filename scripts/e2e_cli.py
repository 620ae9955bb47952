#!/usr/bin/env python3
"""End-to-end: the `orgs` CLI against the local stack, as a newcomer would use it (README quick
start): login, create, invite, read the code, accept as another user, list members, change a role,
audit, an integration with its secret from stdin, a refused action, close with the typed name,
reactivate. Then what people expect of a CLI: a closed pipe ends it quietly, flags of a group's
default list on the short form, hidden secret prompts and confirmations on a terminal (a pty),
`--yes` for scripts, the current organization named, teams and projects by name, `--help` with
the allowed values, `orgs api`, `--jq`, `--limit`, relative times, and `orgs login --web` (PKCE)
against a small local OAuth server. Asserts on `--json` output and exit codes.

usage: e2e_cli.py BASE_URL DEVTOOL SECRET ORGS_BINARY
"""
import base64
import hashlib
import http.server
import json
import os
import pty
import re
import secrets as pysecrets
import select
import stat
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.parse
import urllib.request
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


def on_terminal(args, answers, extra_env=None, timeout=60):
    """Runs `orgs ARGS` on a pseudo-terminal, writing each answer once its prompt (a regex) shows;
    returns (exit code, everything the terminal showed). The pty is the command's controlling
    terminal (what a hidden prompt reads from), as in a real session."""
    e = dict(env, **(extra_env or {}))
    pid, master = pty.fork()
    if pid == 0:
        os.execve(orgs, [orgs, *args], e)
    shown, pending, deadline = b"", list(answers), time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        if pending and re.search(pending[0][0], shown.decode(errors="replace")):
            # A hidden prompt shows its text before it turns the echo off: a secret is typed only
            # once the terminal no longer echoes (a person types slower than that takes).
            hidden = len(pending[0]) > 2 and pending[0][2]
            if hidden and termios.tcgetattr(master)[3] & termios.ECHO:
                continue
            os.write(master, pending.pop(0)[1].encode())
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


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
# Signed in, the only organization (the personal one the first listing made) is current.
assert cli_json("show")["personal"] is True

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
# A role's permissions fit its row: the first three and a count.
assert max(len(line) for line in listed.splitlines()) < 200 and " more" in listed, listed
assert "members.update" in cli("roles", "matrix").stdout
assert cli_json("members", "role", member_id, "Deployer")["role"] == role["id"], "a custom role by its name"
assert [m["userId"] for m in cli_json("members", "list", "--role", "deployer")["items"]] == [member_id]
cli("can", "deployments.create", "--org", org["id"], extra_env=member_env)
edited = cli_json("roles", "edit", "deployer", "--name", "releaser", "--remove", "deployments.create")
assert edited["name"] == "releaser" and "deployments.create" not in edited["permissions"], edited
cli("can", "deployments.create", "--org", org["id"], want=1, extra_env=member_env)
p = cli("roles", "delete", "releaser", "--yes", want=1)
assert "role_in_use" in p.stderr, p.stderr
cli_json("members", "role", member_id, "developer")
cli("roles", "delete", "releaser", "--yes")
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
cli("api-keys", "revoke", key_id, "--yes")
assert cli_json("api-keys", "list")["items"] == []
# Settings are one object: changing one keeps the other.
on = cli_json("settings", "non-expiring-api-keys", "on")
assert on["settings"]["allowNonExpiringApiKeys"] is True, on
both = cli_json("settings", "invite-policy", "members")
assert both["settings"] == {"invitePolicy": "members", "allowNonExpiringApiKeys": True, "apiKeysMayCallApi": False}, both
forever = cli_json("api-keys", "create", "backups", "--role", "viewer", "--never-expires")
assert forever["expiresAt"] is None, forever
cli("api-keys", "revoke", forever["id"], "--yes")

# A webhook endpoint: its secret printed once, a test message to a local receiver delivered (the
# stream poller), its log read, disabled, enabled, rotated, deleted.
class _Hook(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        _Hook.got.append((self.headers.get("webhook-id"), self.rfile.read(int(self.headers.get("content-length", 0)))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_):
        pass


hook_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
threading.Thread(target=hook_server.serve_forever, daemon=True).start()
hook_url = f"http://127.0.0.1:{hook_server.server_address[1]}/cli"
p = cli("webhooks", "create", hook_url, "--event", "TeamCreated", "--description", "cli")
whsec = next(w for w in p.stdout.split() if w.startswith("whsec_"))
hooks = cli_json("webhooks", "list")
assert len(hooks["items"]) == 1 and "secret" not in hooks["items"][0], hooks
hook_id = hooks["items"][0]["id"]
assert whsec not in cli("webhooks").stdout
queued = cli_json("webhooks", "test", hook_id)
deadline = time.time() + 60
while not any(h == queued["messageId"] for h, _ in _Hook.got) and time.time() < deadline:
    time.sleep(0.2)
assert any(h == queued["messageId"] for h, _ in _Hook.got), _Hook.got
deadline = time.time() + 30
while time.time() < deadline:
    log = cli_json("webhooks", "deliveries", hook_id)
    if log["items"] and log["items"][0]["state"] == "succeeded":
        break
    time.sleep(0.2)
assert log["items"][0]["statusCode"] == 204, log
assert "WebhookTest" in cli("webhooks", "deliveries", hook_id).stdout
assert cli_json("webhooks", "update", hook_id, "--disable")["enabled"] is False
assert cli_json("webhooks", "update", hook_id, "--enable", "--all-events")["eventTypes"] is None
rotated = cli_json("webhooks", "rotate-secret", hook_id, "--grace-minutes", "5")
assert rotated["secret"].startswith("whsec_") and rotated["secret"] != whsec, rotated
cli("webhooks", "resend", hook_id, queued["messageId"])
cli("webhooks", "delete", hook_id, "--yes")
assert cli_json("webhooks", "list")["items"] == []
hook_server.shutdown()

# A verified domain: added (the record to publish), pending until the local nameserver serves
# the record, then an automatic suggestion that a person at the domain asks to join through.
zone = os.environ["DNS_ZONE_FILE"]
domain = f"cli-{run}.example"
added = cli_json("domains", "add", domain)
assert added["status"] == "pending", added
record = added["verification"]
# Still pending: exit 4 (not there yet), the JSON as answered.
looked = cli_json("domains", "verify", domain, want=4)
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
cli("domains", "remove", domain, "--yes")
assert cli_json("domains")["items"] == []

# ---- What people expect of a CLI (gh and flyctl are what they compare it with).

# A reader that stops early (`orgs roles matrix | head -1`) ends the command quietly: exit 0, no
# panic. The pipe is closed before the command has written anything (it waits on the API first).
reader = subprocess.Popen([orgs, "roles", "matrix"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
reader.stdout.close()
_, err = reader.communicate(timeout=60)
assert reader.returncode == 0 and b"panicked" not in err and b"Broken pipe" not in err, (reader.returncode, err)
head = subprocess.run(f"'{orgs}' roles matrix | head -n 1", shell=True, capture_output=True, text=True, env=env)
assert head.stdout.startswith("permission") and "panicked" not in head.stderr, head

# Teams and projects by name; the flags of a group's default list on its short form; --limit.
for t in ["Backend", "Frontend", "Ops"]:
    cli("teams", "create", t)
shown = cli_json("teams", "show", "backend")
assert shown["name"] == "Backend", shown
cli("teams", "add", "Backend", member_id)
assert [m["userId"] for m in cli_json("teams", "show", "Backend")["members"]] == [member_id]
page = cli_json("teams", "--limit", "2")
assert len(page["items"]) == 2 and page["nextCursor"], page
assert len(cli_json("teams", "--all")["items"]) == 3
assert len(cli_json("teams", "list", "--limit", "3")["items"]) == 3
cli("projects", "create", "Website")
cli("access", "grant", "Website", "team:Backend", "developer")
grants = cli_json("access", "list", "website")
assert [(g["principal"], g["role"]) for g in grants["items"]] == [(f"team:{shown['id']}", "developer")], grants
assert cli_json("projects", "--all")["items"][0]["name"] == "Website"
assert [m["userId"] for m in cli_json("members", "--role", "developer")["items"]] == [member_id]
assert len(cli_json("invitations", "--limit", "1")["items"]) == 1
cli_json("integrations", "--all")
cli_json("api-keys", "--limit", "5")
p = cli("teams", "show", "Nobody", want=2)
assert "no team named `Nobody`" in p.stderr, p.stderr

# --jq picks from the JSON, one value per line; relative times in tables.
ids = cli("members", "--jq", ".items[].userId").stdout.split()
assert sorted(ids) == sorted([owner_id, member_id]), ids
assert cli("show", "--jq", ".slug").stdout.strip() == org["slug"]
p = cli("members", "--jq", ".items | length", want=2)
assert "pipe --json into jq" in p.stderr, p.stderr
table = cli("members").stdout
assert re.search(r"just now|minutes? ago", table), table
# Invited for 3 days: valid until the end of its last day (the UTC midnight after), 3 to 4 days.
assert re.search(r"in [34] days", cli("invitations").stdout), cli("invitations").stdout

# `orgs api`: any route, authenticated; {orgId} is the current organization; fields typed.
team = cli_json("api", "POST", "/orgs/{orgId}/teams", "-f", "name=Infra", "-f", "description=Boxes")
assert team["name"] == "Infra" and team["description"] == "Boxes", team
assert "Infra" in cli("api", "GET", "/orgs/{orgId}/teams?limit=10", "--jq", ".items[].name").stdout.split()
p = cli("api", "GET", "/orgs/{orgId}/teams/team_" + "0" * 32, want=1)
assert json.loads(p.stdout)["code"] == "team_not_found" and "team_not_found" in p.stderr, p

# Destructive commands: a script must say --yes; on a terminal they ask, and "n" changes nothing.
p = cli("teams", "delete", "Ops", want=2)
assert "--yes" in p.stderr, p.stderr
code, shown_tty = on_terminal(["teams", "delete", "Ops"], [(r"\[y/N\]", "n\n")])
assert code == 2 and "not confirmed" in shown_tty, (code, shown_tty)
assert "Ops" in [t["name"] for t in cli_json("teams", "--all")["items"]]
code, shown_tty = on_terminal(["teams", "delete", "Ops"], [(r"\[y/N\]", "y\n")])
assert code == 0 and "deleted Ops" in shown_tty, (code, shown_tty)
cli("teams", "delete", "Frontend", "--yes")
assert sorted(t["name"] for t in cli_json("teams", "--all")["items"]) == ["Backend", "Infra"]
p = cli("members", "remove", member_id, want=2)
assert "--yes" in p.stderr, p.stderr

# A secret typed at a prompt is not shown (the terminal's echo is off while it is read).
tty_home = tempfile.mkdtemp(prefix="orgs-cli-tty-")
code, shown_tty = on_terminal(["login", "--api", base], [(r"token \(not shown\):", owner_token + "\n", True)],
                              extra_env={"ORGS_CONFIG_DIR": tty_home})
assert code == 0 and "logged in as" in shown_tty and owner_token[-20:] not in shown_tty, (code, shown_tty)

# `--help` describes every argument and lists the allowed values.
grant_help = cli("access", "grant", "--help").stdout
assert "[possible values: admin, editor, developer, viewer]" in grant_help, grant_help
add_help = cli("integrations", "add", "--help").stdout
assert "dns_provider: cloudflare, route53" in add_help and "storage_provider" in add_help, add_help
assert "--limit <N>" in cli("members", "--help").stdout

# The current organization: the one you create becomes it, and each command says where it acts.
second = cli_json("create", "--name", f"Second {run}")
assert cli_json("show")["id"] == second["id"]
p = cli("members")
assert f"in Second {run} ({second['slug']})" in p.stderr, p.stderr
cli("switch", org["slug"])
assert f"in {name} ({org['slug']})" in cli("teams").stderr

# `orgs login --web`: authorization code with PKCE against a local OAuth server (discovery,
# /authorize redirecting back to the CLI's loopback address, /token checking the verifier); the
# token it gives is one the API accepts, kept with mode 0600.
web_user = f"cli-web-{run}"
oauth = {"codes": {}}


class OAuth(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/openid-configuration":
            return self.answer(200, {"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
                                     "token_endpoint": issuer + "/token"})
        assert url.path == "/authorize", url
        assert q["response_type"] == "code" and q["client_id"] == "orgs-cli-test" and q["code_challenge_method"] == "S256", q
        assert q["redirect_uri"].startswith("http://localhost:") and q["scope"] == "openid email profile", q
        code = pysecrets.token_urlsafe(16)
        oauth["codes"][code] = (q["code_challenge"], q["redirect_uri"])
        back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
        self.answer(302, {}, [("location", back)])

    def do_POST(self):
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["content-length"])).decode()))
        challenge, redirect = oauth["codes"].pop(form.get("code"), (None, None))
        verifier = form.get("code_verifier", "")
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (form.get("grant_type") != "authorization_code" or challenge != computed
                or form.get("redirect_uri") != redirect or form.get("client_id") != "orgs-cli-test"):
            return self.answer(400, {"error": "invalid_grant"})
        self.answer(200, {"id_token": token(web_user, f"{web_user}@example.com"), "access_token": "opaque",
                          "token_type": "Bearer", "expires_in": 3600})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OAuth)
issuer = f"http://127.0.0.1:{server.server_address[1]}"
threading.Thread(target=server.serve_forever, daemon=True).start()
web_home = tempfile.mkdtemp(prefix="orgs-cli-web-")
web_env = dict(env, ORGS_CONFIG_DIR=web_home)
login = subprocess.Popen([orgs, "login", "--web", "--api", base, "--issuer", issuer, "--client-id", "orgs-cli-test",
                          "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=web_env)
line = ""
while "http" not in line:
    line = login.stderr.readline()
    assert line or login.poll() is None, "orgs login --web printed no address"
address = line.strip()
assert address.startswith(issuer + "/authorize?") and "code_challenge=" in address, address
# The browser: follows the redirect to the CLI's loopback address, which answers a page.
with urllib.request.urlopen(address, timeout=60) as page:
    assert b"close this tab" in page.read()
out, err = login.communicate(timeout=60)
assert login.returncode == 0 and f"logged in as {web_user}" in out, (login.returncode, out, err)
web_config = os.path.join(web_home, "config.json")
assert stat.S_IMODE(os.stat(web_config).st_mode) == 0o600
saved = json.load(open(web_config))
assert saved["oauthIssuer"] == issuer and saved["oauthClientId"] == "orgs-cli-test", saved
assert cli_json("whoami", extra_env={"ORGS_CONFIG_DIR": web_home})["userId"] == web_user
server.shutdown()

# A machine: an admin API key, allowed to call once a person turns the setting on, creates a team
# with ORGS_API_KEY (no --org: the key's organization), and is refused what only a person does; then
# `orgs login --api-key-stdin` saves it. Every write carries an Idempotency-Key (seen in the log).
made = cli_json("api-keys", "create", "machine", "--role", "admin", "--expires-in-days", "1")
machine_env = {"ORGS_API_KEY": made["key"], "ORGS_CONFIG_DIR": tempfile.mkdtemp(prefix="orgs-key-"), "ORGS_API_URL": base}
p = cli("members", "list", want=1, extra_env=machine_env)
assert "api_key_calls_disabled" in p.stderr, p.stderr
cli("settings", "api-keys-may-call-api", "on")
team = cli_json("teams", "create", f"Machines {run}", extra_env=machine_env)
assert team["createdBy"] == made["id"], team
p = cli("api-keys", "create", "minted", "--role", "admin", want=1, extra_env=machine_env)
assert "person_required" in p.stderr, p.stderr
key_home = tempfile.mkdtemp(prefix="orgs-key-login-")
cli("login", "--api", base, "--api-key-stdin", stdin=made["key"], extra_env={"ORGS_CONFIG_DIR": key_home})
listed = cli_json("members", "list", extra_env={"ORGS_CONFIG_DIR": key_home})
assert listed["items"], listed
entries = cli_json("audit", "--action", "team.created")["items"]
assert any(e["actorKind"] == "api_key" and e["actorId"] == made["id"] for e in entries), entries
cli("settings", "api-keys-may-call-api", "off")
cli("api-keys", "revoke", made["id"], "--yes")

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
print(f"cli e2e: login, create, invite, accept, members, role, audit, custom role, integration, API key (and a key calling the API), webhook endpoint (a test delivered, its log), verified domain and membership request, refusals, close and reactivate through `orgs` ({run})")
print("cli e2e: a closed pipe exits 0; short-form list flags; teams and projects by name; --limit, --jq, relative times; "
      "orgs api; --yes for scripts, confirmations and a hidden token prompt on a pty; --help values; the current org named; login --web with PKCE")
