#!/usr/bin/env python3
"""End-to-end through the local stream poller: a change made through the API reaches EventBridge
(moto) as its event and, where the notification preferences say so, the SES emulator as an email,
both delivered from the table's stream by the functions `cargo lambda watch` serves; a deleted
team's memberships are removed by `finish-removals` the same way.

usage: e2e_stream.py BASE_URL DEVTOOL SECRET SES_URL MOTO_URL
"""
import json
import sys
import time
import urllib.request
import uuid

from e2e_http import Api

import boto3

base, devtool, secret, ses_url, moto_url = sys.argv[1:6]
run = uuid.uuid4().hex[:8]


api = Api(base, devtool, secret)
token, call = api.token, api.call


def expect(status, want, what, body):
    if status != want:
        sys.exit(f"stream e2e: {what} answered {status}: {body}")


def wait_for(what, probe, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    sys.exit(f"stream e2e: {what} did not arrive within {seconds} s")


# Read the bus back: a rule on the default bus copies every `orgs` event into a queue.
session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
events = session.client("events", endpoint_url=moto_url)
sqs = session.client("sqs", endpoint_url=moto_url)
queue_url = sqs.create_queue(QueueName=f"e2e-{run}")["QueueUrl"]
queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name=f"e2e-{run}", EventPattern=json.dumps({"source": ["orgs"]}))
events.put_targets(Rule=f"e2e-{run}", Targets=[{"Id": "q", "Arn": queue_arn}])
received = []


def events_of(org, detail_type):
    for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        received.append(json.loads(m["Body"]))
    return [e for e in received if e.get("detail-type") == detail_type and e["detail"].get("orgId") == org]


def emails_to(address):
    with urllib.request.urlopen(ses_url + "/store", timeout=10) as r:
        store = json.loads(r.read())
    return [e for e in store.get("emails", []) if address in e["destination"]["to"]]


owner_email, new_email = f"owner-{run}@example.com", f"member-{run}@example.com"
owner, member = token(f"owner-{run}", owner_email), token(f"member-{run}", new_email)
status, org = call("POST", "/orgs", owner, {"name": f"Stream {run}"})
expect(status, 201, "POST /orgs", org)
org_id = org["id"]
status, inv = call("POST", f"/orgs/{org_id}/invitations", owner, {"email": new_email, "role": "viewer"})
expect(status, 201, "the invitation", inv)
status, code = call("GET", f"/orgs/{org_id}/invitations/{inv['id']}/code", owner)
expect(status, 200, "the invitation's code", code)
status, joined = call("POST", f"/invitations/{code['code']}/accept", member)
expect(status, 201, "accepting", joined)
status, changed = call("PATCH", f"/orgs/{org_id}/members/member-{run}", owner, {"role": "admin"})
expect(status, 200, "the role change", changed)
status, policy = call("PUT", f"/orgs/{org_id}/settings/authentication", owner,
                      {"requireMfa": False, "allowedEmailDomains": ["example.com"]})
expect(status, 200, "the authentication policy", policy)

# The new admin is told (roleChangedToAdmin is on by default); the owner, who acted, is not.
mail = wait_for("the role-change notification", lambda: emails_to(new_email) and [
    e for e in emails_to(new_email) if "now an admin" in e["subject"]])
print(f"stream e2e: notification in the SES emulator: {mail[0]['subject']!r}")
settings = wait_for("OrganizationSettingsChanged", lambda: events_of(org_id, "OrganizationSettingsChanged"))
detail = settings[0]["detail"]["details"]
if detail.get("section") != "authentication" or detail.get("changedKeys") != ["allowedEmailDomains"]:
    sys.exit(f"stream e2e: unexpected event details {detail}")
wait_for("MemberRoleChanged", lambda: events_of(org_id, "MemberRoleChanged"))
print("stream e2e: OrganizationSettingsChanged and MemberRoleChanged on the bus (moto)")
time.sleep(2)
if [e for e in emails_to(owner_email) if "now an admin" in e["subject"]]:
    sys.exit("stream e2e: the owner was told about their own change")
if len([e for e in emails_to(new_email) if "now an admin" in e["subject"]]) != 1:
    sys.exit("stream e2e: the notification was sent more than once")
print("stream e2e: one email, to the admin only")

# A team deleted: the access it gave ends with the request, its memberships go from the stream.
status, team = call("POST", f"/orgs/{org_id}/teams", owner, {"name": "Stream team"})
expect(status, 201, "the team", team)
status, added = call("PUT", f"/orgs/{org_id}/teams/{team['id']}/members/member-{run}", owner)
expect(status, 200, "putting the member on the team", added)
status, me = call("GET", f"/orgs/{org_id}/me", member)
expect(status, 200, "/me", me)
if me.get("teamIds") != [team["id"]]:
    sys.exit(f"stream e2e: the member's teams are {me.get('teamIds')}")
status, gone = call("DELETE", f"/orgs/{org_id}/teams/{team['id']}", owner)
expect(status, 204, "deleting the team", gone)


def forgot_team():
    status, me = call("GET", f"/orgs/{org_id}/me", member)
    expect(status, 200, "/me", me)
    return me.get("teamIds") == []


wait_for("the team's clean-up (finish-removals)", forgot_team)
print("stream e2e: the deleted team's membership removed by finish-removals")
