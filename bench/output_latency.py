#!/usr/bin/env python3
"""Output latency: from an agent reading a line its job printed to a subscribed client
receiving it over `/ws/executions/{id}`, with N agents all streaming at once, on a real demo
(hub + N agents) on 127.0.0.1.

Each job prints its own clock (`$EPOCHREALTIME`, no fork) a number of times; the client
compares it with its clock when the line arrives (same machine, same clock). The figure
includes the agent's output batching, its HTTPS post, the hub's store write and the bus, so
it is an upper bound of agent-send → client-receive.

Usage: bench/output_latency.py [--bin-dir target/release] [--agents 200] [--lines 20]
       [--interval 0.5]
Prints p50 / p95 / p99 / max in milliseconds. Standard library only (a minimal WebSocket
reader is below: the hub's frames to a client are never masked).
"""
import argparse, base64, json, os, socket, struct, sys, time

from demo import Demo, call
from fanout import percentile


class Ws:
    """Just enough of RFC 6455 to read text frames from a server."""

    def __init__(self, port, path):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            sys.exit(f"websocket refused: {head[:200]!r}")

    def _take(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next text message, or None once the server closes."""
        parts = []
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            op = b0 & 0x0F
            if op == 8:
                return None
            if op in (1, 0):
                parts.append(payload)
                if b0 & 0x80:
                    return b"".join(parts).decode()


def measure(d, lines, interval):
    """Streams `lines` lines from every agent of demo `d`; latencies in ms, `all` and
    `steady` (each job's first two lines left out: they come with the start burst)."""
    script = f"for i in $(seq 1 {lines}); do echo \"t=$i:$EPOCHREALTIME\"; sleep {interval}; done"
    action = {"type": "shell_command", "command": f"bash -c '{script}'", "timeout": 600}
    eid = call(d.base + "/api/v1/executions", {"action": action, "target_servers": d.targets}, d.token)["execution_id"]
    ws = Ws(d.port, f"/ws/executions/{eid}?token={d.token}")
    latencies, steady, missed, final, seen = [], [], 0, None, set()
    while True:
        msg = ws.recv()
        if msg is None:
            break
        now = time.time()
        m = json.loads(msg)
        # A socket that connects after the first lines gets them in its snapshot: they count
        # too, at the time the snapshot arrived (leaving them out would flatter the burst). A
        # snapshot after missed events repeats lines already counted: each counts once.
        if m["type"] in ("output", "snapshot"):
            for line in m["lines"] if m["type"] == "output" else m["output"]:
                if line["cursor"] in seen:
                    continue
                seen.add(line["cursor"])
                # A chunk may hold several printed lines.
                for text in line["data"].split("\n"):
                    if text.startswith("t="):
                        n, printed = text[2:].split(":")
                        ms = (now - float(printed)) * 1000
                        latencies.append(ms)
                        if int(n) > 2:
                            steady.append(ms)
        if m["type"] == "missed":
            missed += m["events"]
        if m["type"] in ("update", "snapshot"):
            final = m["execution"]["status"]["overall"]
    if final != "completed":
        sys.exit(f"execution ended {final}")
    return {"all": sorted(latencies), "steady": sorted(steady), "missed": missed, "expected": len(d.targets) * lines}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--lines", type=int, default=20, help="lines each job prints")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between a job's lines")
    a = ap.parse_args()
    with Demo(a.bin_dir, a.agents) as d:
        m = measure(d, a.lines, a.interval)
    print(f"output latency, {a.agents} agents x {a.lines} lines: {len(m['all'])} of {m['expected']} lines live"
          f" (missed events {m['missed']})")
    # The first lines of every job come in one burst with the jobs' start (200 processes
    # spawned at once); "steady" leaves each job's first two lines out.
    for name in ("all", "steady"):
        xs = m[name]
        print(f"  {name}: p50 {percentile(xs, 0.5):.1f} ms, p95 {percentile(xs, 0.95):.1f} ms, "
              f"p99 {percentile(xs, 0.99):.1f} ms, max {xs[-1]:.1f} ms")


if __name__ == "__main__":
    main()
