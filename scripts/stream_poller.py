#!/usr/bin/env python3
"""Delivers the table's stream locally, as Lambda's event source mapping does in AWS, and runs
the template's every-minute schedules, as EventBridge does.

Reads the stream of TABLE from DynamoDB Local and invokes every stream-triggered function of
infra/template.yaml through `cargo lambda watch` (POST /2015-03-31/functions/<name>/invocations)
with the records its FilterCriteria accept, in stream order, in batches of its BatchSize. A
function that reports batch item failures gets the batch again from the first failed record (a
few times, with a pause), then the records are dropped with a log line, like a dead-letter queue.

usage: stream_poller.py DYNAMODB_ENDPOINT TABLE INVOKE_BASE_URL TEMPLATE [--from-start] [--warm]
  --from-start  read each shard from its oldest record (TRIM_HORIZON) instead of from now
  --warm        first invoke each function with an empty batch, so their instances are up before
                the first record (scripts/dev.sh waits for "stream: warm")
Every minute it also invokes each function the template schedules at "rate(1 minute)"
(retry-webhooks) with a scheduled event whose `time` is now.
Runs until killed. Logs one line per invocation on stdout.
"""
import datetime
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import yaml

RETRIES = 5


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!GetAtt, !Ref, !Sub ...) as plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _any_tag)


def stream_functions(template_path):
    """[(function name, [filter patterns], batch size)] of the template's stream-triggered functions,
    those of its nested stacks (AWS::Serverless::Application with a local Location) included."""
    with open(template_path) as f:
        template = yaml.load(f, Loader=_Loader)
    out = []
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Application":
            location = resource["Properties"]["Location"]
            out.extend(stream_functions(os.path.join(os.path.dirname(template_path), location)))
            continue
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        # CodeUri is the binary's build output, ../../target/lambda/<binary>/
        name = resource["Properties"]["CodeUri"].rstrip("/").split("/")[-1]
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            props = event["Properties"]
            filters = props.get("FilterCriteria", {}).get("Filters", [])
            patterns = [json.loads(f["Pattern"]) for f in filters]
            out.append((name, patterns, int(props.get("BatchSize", 100))))
    return out


def minute_functions(template_path):
    """The functions the template (and its nested stacks) schedules at "rate(1 minute)"."""
    with open(template_path) as f:
        template = yaml.load(f, Loader=_Loader)
    out = []
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Application":
            location = resource["Properties"]["Location"]
            out.extend(minute_functions(os.path.join(os.path.dirname(template_path), location)))
            continue
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        name = resource["Properties"]["CodeUri"].rstrip("/").split("/")[-1]
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "Schedule" and event["Properties"].get("Schedule") == "rate(1 minute)":
                out.append(name)
    return out


def run_schedule(base, function):
    """One scheduled invocation, as EventBridge sends it (its `time` is now)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"version": "0", "id": f"local-{now}", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "123456789012", "time": now,
             "region": "us-east-1", "resources": [], "detail": {}}
    request = urllib.request.Request(
        f"{base}/2015-03-31/functions/{function}/invocations", data=json.dumps(event).encode(),
        method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
        print(f"schedule: {function} at {now}", flush=True)
    except (urllib.error.URLError, OSError) as e:
        print(f"schedule: {function} failed ({e})", flush=True)


def matches(pattern, value):
    """The subset of event filtering patterns the template uses: nested objects, lists of allowed
    values, {"prefix": ...} and {"exists": bool}."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, sub in pattern.items():
            if isinstance(sub, list) and any(isinstance(p, dict) and "exists" in p for p in sub):
                if (key in value) != next(p["exists"] for p in sub if isinstance(p, dict) and "exists" in p):
                    return False
                continue
            if key not in value or not matches(sub, value[key]):
                return False
        return True
    if isinstance(pattern, list):
        for p in pattern:
            if isinstance(p, dict) and "prefix" in p:
                if isinstance(value, str) and value.startswith(p["prefix"]):
                    return True
            elif p == value:
                return True
        return False
    return pattern == value


def lambda_record(record, stream_arn):
    """A stream record as Lambda delivers it (the Streams API's shape, times as epoch seconds)."""
    change = dict(record["dynamodb"])
    when = change.get("ApproximateCreationDateTime")
    if isinstance(when, datetime.datetime):
        change["ApproximateCreationDateTime"] = when.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "eventSourceARN": stream_arn,
        "dynamodb": change,
    }


def invoke(base, function, records):
    """Invokes the function; returns the sequence number of the first failed record, or None."""
    body = json.dumps({"Records": records}).encode()
    request = urllib.request.Request(
        f"{base}/2015-03-31/functions/{function}/invocations", data=body, method="POST",
        headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"stream: {function} failed ({e}); the batch is retried", flush=True)
        return records[0]["dynamodb"]["SequenceNumber"] if records else None
    failures = (answer or {}).get("batchItemFailures") or []
    if failures and records:
        return failures[0].get("itemIdentifier") or records[0]["dynamodb"]["SequenceNumber"]
    return None


def deliver(base, function, records):
    """Delivers in order; a failure redelivers from the failed record, RETRIES times at most."""
    attempt = 0
    while records:
        failed = invoke(base, function, records)
        if failed is None:
            print(f"stream: {function} <- {len(records)} record(s)", flush=True)
            return
        attempt += 1
        at = next((i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == failed), 0)
        records = records[at:]
        if attempt > RETRIES:
            print(f"stream: {function} kept failing; {len(records)} record(s) dropped (the dead-letter queue in AWS)", flush=True)
            return
        time.sleep(min(2 ** attempt * 0.2, 5))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 4:
        sys.exit(__doc__)
    endpoint, table, base, template = args
    from_start = "--from-start" in sys.argv
    functions = stream_functions(template)
    if not functions:
        sys.exit("stream: the template has no stream-triggered function")
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="local",
                                    aws_secret_access_key="local")
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    streams = session.client("dynamodbstreams", endpoint_url=endpoint)
    stream_arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    print(f"stream: {table} -> {', '.join(f for f, _, _ in functions)}", flush=True)
    if "--warm" in sys.argv:
        for function, _, _ in functions:
            invoke(base, function, [])
        print("stream: warm", flush=True)
    scheduled = minute_functions(template)
    next_minute = time.time() + 60
    iterators = {}  # shard id -> iterator (None once the shard is closed and read)
    last_sequence = {}  # shard id -> the sequence number of the last record read
    first_pass = True
    while True:
        if scheduled and time.time() >= next_minute:
            next_minute += 60
            for function in scheduled:
                threading.Thread(target=run_schedule, args=(base, function), daemon=True).start()
        shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in iterators:
                # Shards that exist when the poller starts are read from now (unless --from-start);
                # shards that appear later from their start, so nothing written meanwhile is missed.
                kind = "TRIM_HORIZON" if (from_start or not first_pass) else "LATEST"
                iterators[sid] = streams.get_shard_iterator(
                    StreamArn=stream_arn, ShardId=sid, ShardIteratorType=kind)["ShardIterator"]
        first_pass = False
        idle = True
        for sid, iterator in list(iterators.items()):
            if iterator is None:
                continue
            try:
                out = streams.get_records(ShardIterator=iterator, Limit=1000)
            except (streams.exceptions.ExpiredIteratorException,
                    streams.exceptions.TrimmedDataAccessException) as e:
                # An iterator left unused for long (the functions were rebuilding) expires: go on
                # after the last record delivered, or from the oldest one kept.
                after = last_sequence.get(sid)
                print(f"stream: {sid}: {type(e).__name__}; reading again after {after or 'the trim horizon'}", flush=True)
                kind = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after \
                    else {"ShardIteratorType": "TRIM_HORIZON"}
                try:
                    iterators[sid] = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=sid, **kind)["ShardIterator"]
                except streams.exceptions.TrimmedDataAccessException:
                    iterators[sid] = streams.get_shard_iterator(
                        StreamArn=stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                continue
            iterators[sid] = out.get("NextShardIterator")
            if out.get("Records"):
                last_sequence[sid] = out["Records"][-1]["dynamodb"]["SequenceNumber"]
            records = [lambda_record(r, stream_arn) for r in out.get("Records", [])]
            if not records:
                continue
            idle = False
            for function, patterns, batch_size in functions:
                accepted = [r for r in records if not patterns or any(matches(p, r) for p in patterns)]
                for i in range(0, len(accepted), batch_size):
                    deliver(base, function, accepted[i:i + batch_size])
        if idle:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
