#!/usr/bin/env bash
# The OrderService sample's acceptance scenario, on a real Kestrel server on 127.0.0.1 (a free port, a temp SQLite file):
# POST /orders runs the order to Succeeded with its four steps in GET /orders/{id}; an unknown id is 404, a malformed
# one 400; an event to an ended run is 409; /health is Healthy; the dashboard at /workflows lists the run and its page shows
# the four steps. Then a run is started with slow steps, the server is
# killed with SIGKILL in the middle of it, and a new server on the same file completes it (its hosted worker resumes
# it) with the clean run's output. The server is always stopped, on failure too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work="$(mktemp -d)"
pid=""
stop() { if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$work"' EXIT
fail() { echo "service sample: $*" >&2; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log" >&2; exit 1; }

dotnet build "$root/samples/OrderService" -c Release -nologo -v:quiet >/dev/null
out="$root/samples/OrderService/bin/Release/net10.0"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
db="$work/orders.db"

# start <extra args...>: the server on $port and $db, in the background; waits until /health answers (60 s).
start() {
  (cd "$out" && exec dotnet OrderService.dll --urls "$base" --Workflows:SqlitePath="$db" --Workflows:LeaseDuration=00:00:02 \
    --Workflows:PollInterval=00:00:00.200 "$@") >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -fs "$base/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "the server exited at start"
    sleep 0.5
  done
  fail "the server did not answer /health within 60 s"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# wait_status <run id> <status>: polls GET /orders/{id} until the run has the status (60 s); prints the last answer.
wait_status() {
  local body=""
  for _ in $(seq 1 120); do
    body="$(curl -fs "$base/orders/$1" || true)"
    if [ -n "$body" ] && [ "$(json 'd["status"]' <<<"$body")" = "$2" ]; then echo "$body"; return 0; fi
    sleep 0.5
  done
  fail "run $1 did not reach $2 within 60 s (last: $body)"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

start
headers="$work/headers"
started="$(curl -fs -D "$headers" -X POST "$base/orders")" || fail "POST /orders failed"
grep -qi '^HTTP/1.1 202' "$headers" || fail "POST /orders did not answer 202: $(head -1 "$headers")"
run="$(json 'd["runId"]' <<<"$started")"
grep -qi "^location: /orders/$run" "$headers" || fail "POST /orders gave no Location of the run"
done_body="$(wait_status "$run" Succeeded)"
echo "$done_body"
steps="$(json '",".join(s["name"]+":"+s["status"] for s in d["steps"])' <<<"$done_body")"
[ "$steps" = "reserve-inventory:Succeeded,charge-payment:Succeeded,create-shipment:Succeeded,send-confirmation:Succeeded" ] \
  || fail "unexpected timeline: $steps"
expected="$(json 'json.dumps(d["output"], sort_keys=True)' <<<"$done_body")"
[ "$expected" != "null" ] || fail "the run has no output"

[ "$(code "$base/orders/00000000-0000-0000-0000-000000000001")" = 404 ] || fail "GET of an unknown id is not 404"
[ "$(code "$base/orders/not-a-guid")" = 400 ] || fail "GET of a malformed id is not 400"
[ "$(code -X POST -H 'content-type: application/json' -d '{"ok":true}' "$base/orders/$run/events/approval")" = 409 ] \
  || fail "an event to an ended run is not 409"
[ "$(code -X POST -H 'content-type: application/json' -d '{"ok":true}' "$base/orders/00000000-0000-0000-0000-000000000001/events/approval")" = 404 ] \
  || fail "an event to an unknown run is not 404"
[ "$(code -X POST -H 'content-type: application/json' -d '{"orderId":' "$base/orders")" = 400 ] || fail "a malformed order is not 400"
health="$(curl -s "$base/health")"
[ "$health" = Healthy ] || fail "/health answered '$health'"
# The dashboard: its URL printed at start, the runs page lists the run, the run's page shows its steps by name.
grep -q "Workflows dashboard: $base/workflows" "$work/server.log" || fail "the service did not print the dashboard's URL"
[ "$(code "$base/workflows")" = 200 ] || fail "GET /workflows is not 200"
curl -fs "$base/workflows" | grep -q "data-run-id=\"$run\"" || fail "the dashboard's runs page does not list run $run"
[ "$(code "$base/workflows/runs/$run")" = 200 ] || fail "GET /workflows/runs/$run is not 200"
detail="$(curl -fs "$base/workflows/runs/$run")"
for step in reserve-inventory charge-payment create-shipment send-confirmation; do
  grep -q "<span class=\"name\">$step</span>" <<<"$detail" || fail "the dashboard's page of run $run does not show step $step"
done
[ "$(code "$base/workflows/runs/00000000-0000-0000-0000-000000000001")" = 404 ] || fail "the dashboard's page of an unknown run is not 404"
stop
echo "service sample: clean run $run OK ($steps), 404/400/409, /health and the dashboard (/workflows, the run's page) OK"

# Crash: every step call held back 1.5 s; SIGKILL once the first step is journaled and the second one's attempt is
# (the journal says charge-payment Running: killed inside its body, so the resume must run it as attempt 2).
start --Orders:StepDelayMs=1500
slow="$(curl -fs -X POST "$base/orders" | json 'd["runId"]')" || fail "POST /orders (slow) failed"
before=""
for _ in $(seq 1 120); do
  body="$(curl -fs "$base/orders/$slow" || true)"
  if [ -n "$body" ]; then
    before="$(json 'd["status"]+" "+",".join(s["name"]+":"+s["status"] for s in d["steps"])' <<<"$body")"
    case "$before" in "Running reserve-inventory:Succeeded,charge-payment:Running") break ;; esac
  fi
  sleep 0.1
done
[ "$before" = "Running reserve-inventory:Succeeded,charge-payment:Running" ] || fail "expected the slow run inside charge-payment before the kill, got: $before"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "service sample: killed the server (SIGKILL) with run $slow at: $before"

start
resumed="$(wait_status "$slow" Succeeded)"
echo "$resumed"
actual="$(json 'json.dumps(d["output"], sort_keys=True)' <<<"$resumed")"
[ "$actual" = "$expected" ] || fail "the resumed run's output differs: clean $expected, resumed $actual"
after="$(json '",".join(s["name"]+":"+s["status"] for s in d["steps"])' <<<"$resumed")"
[ "$after" = "$steps" ] || fail "unexpected timeline after the resume: $after"
# The journaled first step was replayed, not run again; the step the kill cut short ran a second attempt.
attempts="$(json '",".join(s["name"]+":"+str(s["attempt"]) for s in d["steps"][:2])' <<<"$resumed")"
[ "$attempts" = "reserve-inventory:1,charge-payment:2" ] || fail "unexpected attempts after the resume: $attempts"
stop
echo "service sample OK (clean run $run; run $slow killed at '$before', resumed by the restarted service's worker)"
