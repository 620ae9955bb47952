#!/usr/bin/env python3
"""The local run's domain events, read back from EventBridge in moto.

  local_events.py setup MOTO_URL   a rule on the default bus copying every `orgs` event into the
                                   queue `orgs-events-local` (scripts/dev.sh runs it)
  local_events.py show MOTO_URL    prints the events received since the last `show`, one per line
"""
import json
import sys

import boto3

QUEUE = "orgs-events-local"


def clients(url):
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="local",
                                    aws_secret_access_key="local")
    return session.client("events", endpoint_url=url), session.client("sqs", endpoint_url=url)


def setup(url):
    events, sqs = clients(url)
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orgs-local", EventPattern=json.dumps({"source": ["orgs"]}))
    events.put_targets(Rule="orgs-local", Targets=[{"Id": "queue", "Arn": arn}])


def show(url):
    _, sqs = clients(url)
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return
        for m in messages:
            e = json.loads(m["Body"])
            d = e.get("detail", {})
            print(f'{e.get("time")} {e.get("detail-type")} org={d.get("orgId")} actor={d.get("actorId")} {json.dumps(d.get("details"))}')
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("setup", "show"):
        sys.exit(__doc__)
    {"setup": setup, "show": show}[sys.argv[1]](sys.argv[2])
