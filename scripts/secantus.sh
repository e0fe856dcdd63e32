#!/usr/bin/env bash
# A MongoDB-compatible test server for the MongoDB store's tests: SecantusDB (pinned, from
# PyPI) in a virtual environment under target/, started on a free port with its data in
# DIR. Prints the connection URL once the server answers; the server keeps running (its pid
# is in DIR/secantusd.pid). `stop DIR` stops it.
#   scripts/secantus.sh start DIR   ->  mongodb://127.0.0.1:PORT/
#   scripts/secantus.sh stop DIR
#   scripts/secantus.sh bin         ->  the secantusd-py executable (installed if needed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/secantus/venv"
version="0.7.0b3"

ensure_venv() {
    if [ ! -x "$venv/bin/secantusd-py" ] || ! grep -qx "$version" "$venv/.secantus-version" 2>/dev/null; then
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check "SecantusDB==$version" >&2
        echo "$version" > "$venv/.secantus-version"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
    start)
        dir="${2:?usage: secantus.sh start DIR}"
        mkdir -p "$dir"
        ensure_venv
        port="$(free_port)"
        "$venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$dir/data" \
            --log-level WARNING > "$dir/secantusd.log" 2>&1 &
        echo $! > "$dir/secantusd.pid"
        for _ in $(seq 1 150); do
            if python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2)
s.close()
PY
            then
                echo "mongodb://127.0.0.1:$port/"
                exit 0
            fi
            if ! kill -0 "$(cat "$dir/secantusd.pid")" 2>/dev/null; then
                echo "secantusd exited; see $dir/secantusd.log" >&2
                tail -20 "$dir/secantusd.log" >&2
                exit 1
            fi
            sleep 0.2
        done
        echo "secantusd did not answer on port $port within 30 s; see $dir/secantusd.log" >&2
        exit 1
        ;;
    bin)
        ensure_venv
        echo "$venv/bin/secantusd-py"
        ;;
    stop)
        dir="${2:?usage: secantus.sh stop DIR}"
        if [ -f "$dir/secantusd.pid" ]; then
            kill "$(cat "$dir/secantusd.pid")" 2>/dev/null || true
            rm -f "$dir/secantusd.pid"
        fi
        ;;
    *)
        echo "usage: $0 start DIR | stop DIR | bin" >&2
        exit 2
        ;;
esac
