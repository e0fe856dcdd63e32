#!/usr/bin/env bash
# Property-based tests of the hub's API (`make api-fuzz`; `make test` runs it): schemathesis
# (pinned, from PyPI into target/schemathesis) generates requests for every REST operation of
# the OpenAPI document the hub serves, and GraphQL operations from its schema, against a real
# hub (debug build, SQLite, a few servers and a template seeded). The bar: no 5xx, no GraphQL
# error that is INTERNAL or carries no code (scripts/api_fuzz_hooks.py), no request hanging
# past 30 s, no panic in the hub's log. API_FUZZ_SECONDS is each run's budget (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
budget=${API_FUZZ_SECONDS:-60}
venv=target/schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi
hub=target/debug/greenroom-hub
[ -x "$hub" ] || { echo "$hub is missing: cargo build -p greenroom-hub (make api-fuzz does)" >&2; exit 1; }
dir=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(port)
agents=$(port)
cat > "$dir/config.yaml" <<YAML
server:
  listen: "127.0.0.1:$http"
  agent_listen: "127.0.0.1:$agents"
  data_dir: "$dir"
security:
  jwt_secret: "$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
  rate_limit_per_minute: 1000000
  login_rate_limit_per_minute: 1000000
logging:
  level: "WARN"
YAML
password=fuzz-$(head -c 12 /dev/urandom | base64 | tr -d '\n/+=')
"$hub" serve --config "$dir/config.yaml" 2> "$dir/hub.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base=http://127.0.0.1:$http
for _ in $(seq 100); do curl -fs "$base/api/v1/openapi.json" >/dev/null && break; sleep 0.1; done
# A fresh admin and session for each run: a run may well change or disable the user it runs
# as (GET /users hands it the address, PUT /users/{email} is fuzzed too), ending its session.
session() {
    GREENROOM_PASSWORD=$password "$hub" create-user --role admin --email "fuzz-$1@example.com" \
        --config "$dir/config.yaml" >/dev/null
    curl -fsS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"fuzz-$1@example.com\",\"password\":\"$password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
token=$(session seed)
api() { curl -fsS -X "$1" "$base$2" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$3" >/dev/null; }
for i in 1 2 3; do
    api POST /api/v1/servers "{\"server_id\":\"fuzz-$i\",\"environment\":\"staging\",\"tags\":[\"web\"]}"
done
api POST /api/v1/actions '{"name":"Disk check","category":"system","action_type":"execution","command_template":"df -h {path}","parameters":{"path":{"type":"string","required":true,"description":"where"}}}'
export SCHEMATHESIS_HOOKS=api_fuzz_hooks PYTHONPATH="$root/scripts"
# One run; a failure is a check that failed, a hang, or the schema not loading. A crash inside
# schemathesis itself ("Runtime Error": Hypothesis or CPython failing on a generated value) is
# reported, not counted against the hub.
fuzz() {
    local what=$1 location=$2
    shift 2
    echo "$what: $location, $budget s"
    local out=$dir/$what.out rc=0
    "$venv/bin/schemathesis" run -H "Authorization: Bearer $(session "${what,,}")" --max-time "$budget" \
        --workers 2 --request-timeout 30 --no-color "$location" "$@" > "$out" 2>&1 || rc=$?
    cut -c1-400 "$out" # (a crash inside schemathesis prints a source file per line)
    [ "$rc" = 0 ] && return 0
    python3 - "$out" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
summary = text.rsplit("SUMMARY", 1)[-1]
errors, section = [], None
for line in summary.splitlines():
    stripped = line.strip()
    if stripped in ("Failures:", "Errors:", "Warnings:"):
        section = stripped
    elif not stripped:
        section = None
    elif section == "Errors:":
        errors.append(stripped)
tool_only = "Failures:" not in summary and errors and all("Runtime Error" in e for e in errors)
if tool_only:
    print("api-fuzz: schemathesis itself crashed on a generated case (above); no hub fault in this run")
sys.exit(0 if tool_only else 1)
PY
}
status=0
# auth/logout would end the session the run uses.
fuzz REST "$base/api/v1/openapi.json" --checks not_a_server_error --exclude-path-regex 'auth/logout' || status=1
# Refusals of input (INVALID_INPUT, NOT_FOUND, ...) are answers, not faults: the hook decides.
# positive_data_acceptance is off: the hub refuses schema-valid values its fields do not take
# (a negative count, two members of a @oneOf), with a clear error, which that check counts as a
# failure. negative_data_rejection is on: a value the schema refuses (an Int beyond 32 bits,
# the wrong type) must be refused.
fuzz GraphQL "$base/graphql" --exclude-checks not_a_server_error,positive_data_acceptance || status=1
if grep -n -i 'panicked' "$dir/hub.log"; then
    echo "the hub panicked during the run (above)" >&2
    status=1
fi
exit $status
