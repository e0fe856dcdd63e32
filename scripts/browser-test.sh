#!/usr/bin/env bash
# Runs the dashboard's browser test against a real demo: the hub plus 3 real agents.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
export GREENROOM_ADMIN_PASSWORD="browser-test-$(date +%s)-pw"
./target/debug/greenroom-hub demo --listen "127.0.0.1:$port" --agents 3 --data-dir "$dir" --web-dir web/dist \
  >"$dir/demo.out" 2>"$dir/demo.log" &
demo=$!
cleanup() {
  kill -TERM "$demo" 2>/dev/null || true
  wait "$demo" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 "$demo" 2>/dev/null || { echo "demo exited:"; cat "$dir/demo.log"; exit 1; }
  sleep 0.2
done
status=0
(cd web && GREENROOM_URL="http://127.0.0.1:$port" GREENROOM_EXPECT_SERVERS=3 npm run --silent e2e) 2>&1 | tee "$dir/e2e.out" || status=$?
if [ "$status" != 0 ]; then
  # The demo's log first, then why each test failed: the end of a CI log is what gets read.
  echo "--- demo log (tail)"; tail -n 40 "$dir/demo.log"
  echo "--- why the browser tests failed"; sed -n '/failing tests:/,$p' "$dir/e2e.out" | cut -c1-400 | head -n 120
fi
exit "$status"
