#!/usr/bin/env bash
# Peak RSS of the password-hashing Lambdas (register, login) after many sequential events in
# one sandbox, with the perf harness's fake Runtime API (docs/performance.md, "Password hashing
# memory"). Every event hashes once: register hashes before its write, login verifies against
# DECOY_HASH for an unknown email. A stub DynamoDB on loopback answers every read "no item" and
# every write "ok" (login's failure counter: "no counter yet"), so both run their whole path,
# and its call counts prove each event got past the hash. Nothing reaches the network.
#
#   scripts/rss_bench.sh                  cargo build --release -p register -p login, then measure
#   RSS_BIN_DIR=DIR scripts/rss_bench.sh  measure DIR/register and DIR/login, no build
#   RSS_N=200 RSS_LIMIT_MB=48             the defaults: events per sandbox, VmHWM limit (MiB)
#
# Skips (exit 0, with a message) when ../shared/perf/fake_runtime.py is absent: the harness is
# the team's, not the project's. Exit 1 when a binary's VmHWM is over the limit, an event did
# not hash, or a launch failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

harness="$root/../shared/perf/fake_runtime.py"
if [[ ! -f "$harness" ]]; then
  echo "scripts/rss_bench.sh: $harness not found (the perf harness is not part of the project); skipping the RSS check"
  exit 0
fi
n="${RSS_N:-200}"
limit_mb="${RSS_LIMIT_MB:-48}"

if [[ -n "${RSS_BIN_DIR:-}" ]]; then
  bin_dir="$RSS_BIN_DIR"
else
  cargo build --release -p register -p login
  bin_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release"
fi

work="$(mktemp -d)"
stub_pid=""
cleanup() {
  if [[ -n "$stub_pid" ]]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# DynamoDB JSON 1.0 on loopback: GetItem -> no item; UpdateItem -> ConditionalCheckFailed (login
# then creates its failure counter with PutItem); anything else -> {}. GET /counts: calls so far.
cat >"$work/stub.py" <<'PY'
import json, sys, threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts, lock = Counter(), threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, each answer waits ~40 ms for the
    # client's delayed ACK, which would swamp the ~30 ms hash in the latency figures.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            self.answer(200, dict(counts))

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        op = (self.headers.get("X-Amz-Target") or "?").rpartition(".")[2]
        with lock:
            counts[op] += 1
        if op == "UpdateItem":
            self.answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                              "message": "The conditional request failed"})
        else:
            self.answer(200, {})

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 -u "$work/stub.py" >"$work/stub.port" &
stub_pid=$!
for _ in $(seq 1 50); do [[ -s "$work/stub.port" ]] && break; sleep 0.1; done
stub="http://127.0.0.1:$(head -1 "$work/stub.port")"
counts() { python3 -c 'import sys, urllib.request as u; print(u.build_opener(u.ProxyHandler({})).open(sys.argv[1]).read().decode())' "$stub/counts"; }

# register: one TransactWriteItems per event, after its hash; login: one PutItem per event
# (the failure counter), after its verification.
status=0
printf '%-10s %6s %10s %12s %12s  %s\n' binary events "VmHWM MB" "warm p50 ms" "warm p99 ms" "< ${limit_mb} MB"
for spec in register:TransactWriteItems login:PutItem; do
  name="${spec%%:*}" after_hash="${spec#*:}"
  before="$(counts)"
  # The template's variables (template.yaml: Globals), with a secret long enough for init;
  # AWS_ENDPOINT_URL_DYNAMODB wins over the harness's offline endpoint for DynamoDB only.
  python3 "$harness" --bin "$bin_dir/$name" --event "events/$name.json" -n "$n" --cold 1 --warmup 0 \
    --warm-budget 600 --json \
    --env TABLE_NAME=roost --env JWT_ISSUER=roost --env JWT_AUDIENCE=roost-api \
    --env JWT_SECRET=rss-bench-secret-rss-bench-secret-0123456789 \
    --env AWS_ENDPOINT_URL_DYNAMODB="$stub" >"$work/$name.json" || true
  after="$(counts)"
  python3 - "$work/$name.json" "$before" "$after" "$after_hash" "$n" "$limit_mb" "$name" <<'PY' || status=1
import json, sys
path, before, after, op, n, limit, name = sys.argv[1:]
r = json.load(open(path))
hashed = json.loads(after).get(op, 0) - json.loads(before).get(op, 0)
warm = r.get("warm_ms") or {}
rss = r.get("peak_rss_mb")
# The cold launch serves one event, the warm launch n.
expected = int(n) + r.get("cold_launches", 0)
ok = rss is not None and rss < float(limit) and hashed == expected and not r.get("failures")
print(f"{name:<10} {hashed:>6} {rss or float('nan'):>10.1f} {warm.get('p50', float('nan')):>12.2f}"
      f" {warm.get('p99', float('nan')):>12.2f}  {'pass' if ok else 'FAIL'}")
if hashed != expected:
    print(f"  {name}: {hashed} events reached the write after the hash, expected {expected};"
          f" status codes {r.get('status_codes')}, errors {r.get('error_samples')}")
if r.get("failures"):
    print(f"  {name}: failed launches: {r['failures']}")
sys.exit(0 if ok else 1)
PY
done
exit "$status"
