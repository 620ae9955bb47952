#!/usr/bin/env python3
"""End-to-end signed webhooks, checked by libraries others wrote: real deliveries from the
functions `cargo lambda watch` serves (deliver-webhooks on the table's stream, through the local
stream poller) to a receiver on 127.0.0.1, each verified with the PyPI libraries `standardwebhooks`
and `svix` (`Webhook(secret).verify(body, headers)`); a tampered body and an old timestamp are
refused by both; during a rotation's grace a delivery verifies with the old and the new secret;
a 500 is retried with the same webhook-id until a 2xx (retry-webhooks invoked ahead in time, as the
schedule would), then nothing more; a filter sends only its types; private addresses are refused.
Prints the delivery latency from the change's commit to the receiver (median, worst) over a run
of changes.

usage: e2e_webhooks.py BASE_URL DEVTOOL SECRET [--changes N] [--record FILE]
"""
import datetime
import http.server
import json
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from importlib.metadata import version

from e2e_http import Api

import standardwebhooks.webhooks as stdwh
import svix.webhooks as svixwh

base, devtool, secret = sys.argv[1:4]
changes = int(sys.argv[sys.argv.index("--changes") + 1]) if "--changes" in sys.argv else 20
record = sys.argv[sys.argv.index("--record") + 1] if "--record" in sys.argv else None
run = uuid.uuid4().hex[:8]
api = Api(base, devtool, secret)


def fail(why):
    sys.exit(f"webhooks e2e: {why}")


class Receiver(http.server.ThreadingHTTPServer):
    """Records every request (path, headers, body, arrival) and answers the queued statuses first."""

    def __init__(self):
        self.got, self.answers, self.lock = [], [], threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def of(self, path):
        with self.lock:
            return [g for g in self.got if g["path"] == path]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.server.lock:
            self.server.got.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body, "at": time.time()})
            status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


def wait_for(what, probe, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    fail(f"{what} did not arrive within {seconds} s")


def verified(secret_, got):
    """Verifies with both libraries; returns the parsed payload."""
    headers = {k: got["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    payload = stdwh.Webhook(secret_).verify(got["body"], headers)
    svixwh.Webhook(secret_).verify(got["body"], {k.replace("webhook-", "svix-"): v for k, v in headers.items()})
    svixwh.Webhook(secret_).verify(got["body"], headers)
    return payload


def refused(secret_, body, headers):
    for lib in (stdwh.Webhook(secret_), svixwh.Webhook(secret_)):
        try:
            lib.verify(body, headers)
        except Exception:  # each library's WebhookVerificationError
            continue
        return False
    return True


receiver = Receiver()
owner = api.token(f"hooks-{run}", f"hooks-{run}@example.com")
status, org = api.call("POST", "/orgs", owner, {"name": f"Hooks {run}"})
if status != 201:
    fail(f"POST /orgs answered {status}: {org}")
org = org["id"]

# Private and non-https addresses are refused at creation.
for url in ("https://10.0.0.1/x", "https://localhost/x", "http://hooks.example.com/x", "https://[::ffff:127.0.0.1]/x",
            "https://169.254.169.254/latest/meta-data"):
    status, body = api.call("POST", f"/orgs/{org}/webhooks", owner, {"url": url})
    if status != 400 or body.get("field") != "url":
        fail(f"{url} answered {status}: {body}")
print("webhooks e2e: private, link-local, mapped and non-https URLs refused (400)")

status, hook = api.call("POST", f"/orgs/{org}/webhooks", owner,
                        {"url": receiver.url("/all"), "eventTypes": ["TeamCreated", "TeamDeleted"]})
if status != 201:
    fail(f"create answered {status}: {hook}")
hook_id, first_secret = hook["id"], hook["secret"]
status, only = api.call("POST", f"/orgs/{org}/webhooks", owner,
                        {"url": receiver.url("/projects"), "eventTypes": ["ProjectCreated"]})
assert status == 201, only

# A run of changes: each delivered, verified by both libraries; the latency from the commit (the
# event's `data.at`) to the receiver.
latencies = []
for i in range(changes):
    status, team = api.call("POST", f"/orgs/{org}/teams", owner, {"name": f"Team {i}"})
    if status != 201:
        fail(f"team {i}: {status} {team}")
    got = wait_for(f"team {i}'s message", lambda: [g for g in receiver.of("/all")
                                                    if json.loads(g["body"])["data"]["details"].get("teamId") == team["id"]])
    payload = verified(first_secret, got[0])
    if payload["type"] != "TeamCreated" or payload["data"]["orgId"] != org:
        fail(f"unexpected payload {payload}")
    committed = datetime.datetime.fromisoformat(payload["data"]["at"].replace("Z", "+00:00")).timestamp()
    latencies.append((got[0]["at"] - committed) * 1000)
print(f"webhooks e2e: {changes} changes delivered and verified by standardwebhooks {version('standardwebhooks')} "
      f"and svix {version('svix')}")

# A tampered body, an old timestamp (signed with the right secret), a wrong secret: refused by both.
sample = receiver.of("/all")[0]
headers = {k: sample["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
if not refused(first_secret, sample["body"].replace(b"Team", b"Tram"), headers):
    fail("a tampered body verified")
old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
old_headers = {"webhook-id": headers["webhook-id"], "webhook-timestamp": str(int(old.timestamp())),
               "webhook-signature": stdwh.Webhook(first_secret).sign(headers["webhook-id"], old, sample["body"].decode())}
if not refused(first_secret, sample["body"], old_headers):
    fail("a ten-minute-old timestamp verified")
if not refused("whsec_" + "A" * 43 + "=", sample["body"], headers):
    fail("another secret verified")
print("webhooks e2e: a tampered body, an old timestamp and another secret are refused by both libraries")

# The filter: the project endpoint got only its project, never a team.
status, project = api.call("POST", f"/orgs/{org}/projects", owner, {"name": "Filtered"})
assert status == 201, project
got = wait_for("the project's message", lambda: receiver.of("/projects"))
if [json.loads(g["body"])["type"] for g in got] != ["ProjectCreated"] or any(
        json.loads(g["body"])["type"] == "ProjectCreated" for g in receiver.of("/all")):
    fail(f"the filters let through {[json.loads(g['body'])['type'] for g in got]}")
print("webhooks e2e: each endpoint got only the event types it chose")

# A rotation with a grace: the next delivery verifies with the old secret and with the new one.
status, rotated = api.call("POST", f"/orgs/{org}/webhooks/{hook_id}/rotate-secret", owner, {"graceMinutes": 60})
assert status == 200, rotated
new_secret = rotated["secret"]
status, team = api.call("POST", f"/orgs/{org}/teams", owner, {"name": "After rotation"})
got = wait_for("the message after the rotation", lambda: [g for g in receiver.of("/all")
                                                         if json.loads(g["body"])["data"]["details"].get("teamId") == team["id"]])
verified(first_secret, got[0])
verified(new_secret, got[0])
if len(got[0]["headers"]["webhook-signature"].split(" ")) != 2:
    fail("two signatures expected during the grace")
print("webhooks e2e: during the rotation's grace a delivery verifies with the old and the new secret")

# A 500, then the retry (retry-webhooks invoked 10 s ahead, as its schedule would run it): the same
# webhook-id until the 2xx, then nothing more.
receiver.answers.append(500)
status, team = api.call("POST", f"/orgs/{org}/teams", owner, {"name": "Retried"})
mine = lambda: [g for g in receiver.of("/all") if json.loads(g["body"])["data"]["details"].get("teamId") == team["id"]]
wait_for("the first attempt", mine)
deadline = time.time() + 60
while len(mine()) < 2 and time.time() < deadline:
    ahead = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"version": "0", "id": run, "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": ahead, "region": "us-east-1", "resources": [], "detail": {}}
    req = urllib.request.Request(f"{base}/2015-03-31/functions/retry-webhooks/invocations",
                                 data=json.dumps(event).encode(), method="POST")
    urllib.request.urlopen(req, timeout=120).read()
    time.sleep(1)
attempts = mine()
if len(attempts) != 2 or attempts[0]["headers"]["webhook-id"] != attempts[1]["headers"]["webhook-id"]:
    fail(f"expected the same message twice, got {[(a['headers']['webhook-id']) for a in attempts]}")
verified(new_secret, attempts[1])
time.sleep(3)
if len(mine()) != 2:
    fail("the message was sent again after its 2xx")
status, log = api.call("GET", f"/orgs/{org}/webhooks/{hook_id}/deliveries?limit=5", owner)
assert status == 200, log
if [(a["attempt"], a["statusCode"]) for a in log["items"][:2]] != [(2, 200), (1, 500)]:
    fail(f"the delivery log says {log['items'][:2]}")
print("webhooks e2e: a 500 is retried with the same webhook-id until the 2xx, then no more; the log shows both")

# The test button.
status, queued = api.call("POST", f"/orgs/{org}/webhooks/{only['id']}/test", owner)
assert status == 202, queued
got = wait_for("the test message", lambda: [g for g in receiver.of("/projects") if g["headers"]["webhook-id"] == queued["messageId"]])
if verified(only["secret"], got[0])["type"] != "WebhookTest":
    fail("the test message is not a WebhookTest")
print("webhooks e2e: the test message arrives and verifies")

latencies.sort()
lines = [
    f"deliveries from the commit to the receiver over {len(latencies)} changes (local: DynamoDB Local's stream read by",
    "scripts/stream_poller.py every 0.5 s when idle, two stream hops: the event, then its attempt):",
    f"  median {statistics.median(latencies):.0f} ms, worst {latencies[-1]:.0f} ms, best {latencies[0]:.0f} ms",
]
print("\n".join(lines))
if record:
    with open(record, "w") as f:
        f.write("\n".join(lines) + "\n")
