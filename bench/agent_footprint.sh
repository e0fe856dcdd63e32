#!/usr/bin/env bash
# Agent footprint: idle RSS, idle CPU over 60 s with a 30 s heartbeat against a real hub,
# and the size of the agent binary. Usage: bench/agent_footprint.sh [BIN_DIR] [SECONDS]
# (BIN_DIR defaults to target/release; it must hold greenroom-agent and greenroom-hub;
# AGENT_BIN names another agent binary: `make bench-agent` measures the packaged build,
# target/release-agent/greenroom-agent).
set -euo pipefail
BIN_DIR=${1:-target/release}
SECONDS_IDLE=${2:-60}
AGENT=${AGENT_BIN:-$BIN_DIR/greenroom-agent}
HUB=${HUB:-$BIN_DIR/greenroom-hub}  # any build of the hub will do
for b in "$AGENT" "$HUB"; do
  [ -x "$b" ] || { echo "missing $b: build it first (cargo build --release -p greenroom-agent -p greenroom-hub)" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

cat > "$WORK/hub.yaml" <<YAML
server:
  listen: "127.0.0.1:0"
  agent_listen: "127.0.0.1:0"
  data_dir: "$WORK/hub"
security:
  jwt_secret: "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
execution:
  heartbeat_interval: 30
  offline_after_seconds: 120
YAML
"$HUB" serve --config "$WORK/hub.yaml" 2> "$WORK/hub.log" > /dev/null &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "hub listening" "$WORK/hub.log" 2>/dev/null && break; sleep 0.1; done
AGENT_ADDR=$(grep "hub listening" "$WORK/hub.log" | head -1 | sed -E 's/.*"agent_addr":"([^"]+)".*/\1/')
TOKEN=$("$HUB" enroll-token --config "$WORK/hub.yaml")
ALLOW_ROOT=false; [ "$(id -u)" = 0 ] && ALLOW_ROOT=true
cat > "$WORK/agent.yaml" <<YAML
agent:
  server_id: bench-agent
  backend_url: "https://$AGENT_ADDR"
  auth_token: "$TOKEN"
  ca_cert: "$WORK/hub/pki/ca.crt"
  state_dir: "$WORK/agent"
execution:
  temp_directory: "$WORK/tmp"
security:
  allow_root: $ALLOW_ROOT
monitoring:
  heartbeat_interval: 30
  health_check_port: 0
YAML
"$AGENT" run --config "$WORK/agent.yaml" 2> "$WORK/agent.log" &
APID=$!
PIDS+=($APID)
for _ in $(seq 1 100); do grep -q "connected to hub" "$WORK/agent.log" 2>/dev/null && break; sleep 0.1; done
grep -q "connected to hub" "$WORK/agent.log" || { echo "the agent did not connect:"; cat "$WORK/agent.log"; exit 1; }
sleep 5  # let start-up settle (enrollment, first samples)

ticks() { awk '{print $14 + $15}' < <(sed -E 's/^.*\) //;s/^/x x /' "/proc/$APID/stat"); }
HZ=$(getconf CLK_TCK)
T0=$(ticks); S0=$(date +%s.%N)
sleep "$SECONDS_IDLE"
T1=$(ticks); S1=$(date +%s.%N)
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$APID/status")
HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$APID/status")
SIZE=$(stat -c %s "$AGENT")
CPU=$(awk -v t0="$T0" -v t1="$T1" -v hz="$HZ" -v s0="$S0" -v s1="$S1" 'BEGIN { printf "%.3f", (t1 - t0) / hz / (s1 - s0) * 100 }')
printf '| idle RSS | %.1f MB (peak %.1f MB) | goal < 10 MB |\n' "$(echo "$RSS_KB / 1024" | bc -l)" "$(echo "$HWM_KB / 1024" | bc -l)"
printf '| idle CPU over %s s, 30 s heartbeat | %s %% of a core (%s ticks of 1/%s s) | goal < 0.1 %% |\n' "$SECONDS_IDLE" "$CPU" "$((T1 - T0))" "$HZ"
printf '| binary size (%s) | %.1f MB | |\n' "$AGENT" "$(echo "$SIZE / 1048576" | bc -l)"
