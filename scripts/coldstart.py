#!/usr/bin/env python3
"""Init time of Lambda binaries, measured locally as Lambda reports it ("Init Duration"): from
starting the process to its first request for an event on the Runtime API (a stub here), median of
N runs, each binary next to the others in the same run (interleaved), a hello-world baseline first.

usage: scripts/coldstart.py [-n RUNS] BINARY...
"""
import http.server
import os
import statistics
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

ready = threading.Event()


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # .../runtime/invocation/next: init is over
        ready.set()
        time.sleep(5)  # never hand out an event; the process is killed
        self.send_response(500)
        self.end_headers()

    def log_message(self, *a):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
threading.Thread(target=server.serve_forever, daemon=True).start()
env = dict(os.environ)
env.update({
    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
    "AWS_LAMBDA_FUNCTION_NAME": "coldstart", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_LOG_STREAM_NAME": "x", "AWS_LAMBDA_LOG_GROUP_NAME": "x",
    "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
    "TABLE_NAME": "coldstart", "AUTH_MODE": "local", "LOCAL_JWT_SECRET": "coldstart",
    "SES_FROM_ADDRESS": "no-reply@example.com", "APP_BASE_URL": "http://localhost",
    "INVITATION_CODE_KEY": "local-invitation-code-key-change-me", "RUST_LOG": "warn",
})

times = {b: [] for b in args}
for _ in range(runs):
    for binary in args:
        ready.clear()
        start = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = ready.wait(10)
        elapsed = time.perf_counter() - start
        p.kill()
        p.wait()
        if not ok:
            sys.exit(f"{binary} never asked for an event")
        times[binary].append(elapsed * 1000)

print(f"{'binary':<32} {'median ms':>10} {'p90 ms':>8}  ({runs} runs each, interleaved)")
for binary, t in times.items():
    t.sort()
    print(f"{os.path.basename(binary):<32} {statistics.median(t):>10.1f} {t[int(len(t) * 0.9) - 1]:>8.1f}")
