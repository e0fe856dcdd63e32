#!/usr/bin/env bash
# Fan-out to N real agents on each store and across two replicas (bench/fanout.py): SQLite,
# MongoDB (SecantusDB from scripts/secantus.sh, or MONGODB_URL), and two hubs on MongoDB +
# a redis-server of our own on a free port. Usage: bench/fanout_stores.sh BIN_DIR [AGENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release}"
agents="${2:-500}"
work="$(mktemp -d)"
cleanup() {
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
  [ -z "${MONGODB_URL:-}" ] && bash scripts/secantus.sh stop "$work/secantus" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mongo="${MONGODB_URL:-$(bash scripts/secantus.sh start "$work/secantus")}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
ulimit -n 65536 2>/dev/null || true
python3 bench/fanout.py --bin-dir "$bin" --agents "$agents" --store sqlite
python3 bench/fanout.py --bin-dir "$bin" --agents "$agents" --store mongodb --mongodb-url "$mongo"
python3 bench/fanout.py --bin-dir "$bin" --agents "$agents" --replicas 2 --mongodb-url "$mongo" --redis-url "redis://127.0.0.1:$port/"
