#!/usr/bin/env python3
"""Cold start of Lambda binaries, measured locally against a fake Lambda Runtime API (this file):
init (process start -> its first `GET .../invocation/next`, what Lambda reports as Init Duration)
and the first invocation (the event handed out -> its response posted; a real request, so work moved
from init into the first call is counted). Median and p90 of N runs, every binary in every round
(interleaved), so the numbers are comparable within one run.

usage: scripts/coldstart.py [-n RUNS] BINARY[=EVENT_FILE]...
  without an event file only init is measured. The environment is passed on (TABLE_NAME,
  AWS_ENDPOINT_URL_DYNAMODB ... for a real first request).
"""
import http.server
import json
import os
import statistics
import secrets
import subprocess
import sys
import threading
import time

runs = 15
args = sys.argv[1:]
if args[:1] == ["-n"]:
    runs, args = int(args[1]), args[2:]
if not args:
    sys.exit(__doc__)


class Round:
    """One process's life: when it asked for its first event and when it answered it."""

    def __init__(self, event):
        self.event = event
        self.asked = threading.Event()
        self.answered = threading.Event()
        self.t_asked = self.t_answered = None
        self.served = False
        self.status = None


current = None


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # /2018-06-01/runtime/invocation/next
        r = current
        if r.served or r.event is None:
            if not r.asked.is_set():
                r.t_asked = time.perf_counter()
                r.asked.set()
            time.sleep(30)  # no more events; the process is killed
            return
        r.t_asked = time.perf_counter()
        r.served = True
        r.asked.set()
        body = r.event
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "coldstart-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:coldstart")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # .../invocation/<id>/response or /error, or /init/error
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length)
        r = current
        r.t_answered = time.perf_counter()
        try:
            r.status = json.loads(payload).get("statusCode", "ok") if "/response" in self.path else "error"
        except ValueError:
            r.status = "ok"
        r.answered.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed process drops its waiting request: expected


def runtime_api():
    """A Runtime API of its own for each process, so a killed one's last request cannot take the
    next one's event."""
    server = Server(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


env = dict(os.environ)
env.update({
    "AWS_LAMBDA_FUNCTION_NAME": "coldstart", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_LOG_STREAM_NAME": "x", "AWS_LAMBDA_LOG_GROUP_NAME": "x",
})
for k, v in {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
             "TABLE_NAME": "coldstart", "AUTH_MODE": "jwt", "SES_FROM_ADDRESS": "no-reply@example.com",
             "APP_BASE_URL": "http://localhost", "RUST_LOG": "warn",
             # the functions that derive invitation codes refuse to start without a real key
             "INVITATION_CODE_KEY": secrets.token_hex(32),
             "API_KEY_HASH_KEY": secrets.token_hex(32)}.items():
    env.setdefault(k, v)

binaries = []
for a in args:
    path, _, event = a.partition("=")
    binaries.append((path, open(event, "rb").read() if event else None))
init = {b: [] for b, _ in binaries}
first = {b: [] for b, _ in binaries}
status = {}
for _ in range(runs):
    for binary, event in binaries:
        current = Round(event)
        server = runtime_api()
        env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{server.server_address[1]}"
        start = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=open(os.environ["COLDSTART_LOG"], "ab") if os.environ.get("COLDSTART_LOG") else subprocess.DEVNULL)
        if not current.asked.wait(10):
            p.kill()
            sys.exit(f"{binary} never asked for an event")
        init[binary].append((current.t_asked - start) * 1000)
        if event is not None:
            if not current.answered.wait(60):
                p.kill()
                sys.exit(f"{binary} never answered its event")
            first[binary].append((current.t_answered - current.t_asked) * 1000)
            status[binary] = current.status
        p.kill()
        p.wait()
        server.shutdown()
        server.server_close()


def med(t):
    return statistics.median(t) if t else float("nan")


def p90(t):
    return sorted(t)[max(0, int(len(t) * 0.9) - 1)] if t else float("nan")


print(f"{'binary':<28} {'init ms':>8} {'p90':>6} {'1st call ms':>11} {'p90':>6} {'init+1st':>9} {'answer':>7}  ({runs} runs each, interleaved)")
for binary, _ in binaries:
    total = [a + b for a, b in zip(init[binary], first[binary])] if first[binary] else init[binary]
    print(f"{os.path.basename(binary):<28} {med(init[binary]):>8.1f} {p90(init[binary]):>6.1f} "
          f"{med(first[binary]):>11.1f} {p90(first[binary]):>6.1f} {med(total):>9.1f} {str(status.get(binary, '-')):>7}")
