#!/usr/bin/env python3
"""Execution latency: POST /api/v1/executions (echo hello on every demo agent) until the
execution reads back `completed`, on a real demo (hub + N agents) on 127.0.0.1.

Usage: bench/execution_latency.py [--bin-dir target/release] [--agents 3] [--runs 30]
Prints p50 / p95 / max in milliseconds. Standard library only.
"""
import argparse, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def call(url, body=None, token=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method="POST" if body is not None else "GET")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    port, data = free_port(), tempfile.mkdtemp(prefix="greenroom-bench-")
    env = dict(os.environ, GREENROOM_ADMIN_PASSWORD="bench-password-123")
    demo = subprocess.Popen([os.path.join(a.bin_dir, "greenroom-hub"), "demo", "--listen", f"127.0.0.1:{port}",
                             "--agents", str(a.agents), "--data-dir", data, "--log-level", "WARN"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                call(base + "/healthz"); break
            except OSError:
                time.sleep(0.1)
        # The demo creates its admin just after it starts listening: retry briefly.
        for _ in range(100):
            try:
                token = call(base + "/api/v1/auth/login", {"email": "admin@example.com", "password": env["GREENROOM_ADMIN_PASSWORD"]})["access_token"]
                break
            except urllib.error.HTTPError:
                time.sleep(0.1)
        else:
            sys.exit("could not sign in to the demo")
        for _ in range(300):
            servers = call(base + "/api/v1/servers", token=token)
            if servers["total"] == a.agents and all(s["status"]["current"] == "idle" for s in servers["items"]):
                break
            time.sleep(0.1)
        else:
            sys.exit("agents did not come up")
        targets = [s["server_id"] for s in servers["items"]]
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            eid = call(base + "/api/v1/executions", {"action": {"type": "shell_command", "command": "echo hello", "timeout": 30}, "target_servers": targets}, token)["execution_id"]
            while True:
                e = call(f"{base}/api/v1/executions/{eid}", token=token)
                if e["status"]["overall"] in ("completed", "failed"):
                    break
                time.sleep(0.002)
            times.append((time.perf_counter() - t0) * 1000)
            assert e["results"]["success_count"] == len(targets), e
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"execution latency, {len(targets)} agents, {a.runs} runs: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            demo.kill()
        shutil.rmtree(data, ignore_errors=True)

if __name__ == "__main__":
    main()
