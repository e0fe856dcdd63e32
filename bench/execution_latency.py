#!/usr/bin/env python3
"""Execution latency: POST /api/v1/executions (echo hello on every demo agent) until the
execution reads back `completed`, on a real demo (hub + N agents) on 127.0.0.1.

Usage: bench/execution_latency.py [--bin-dir target/release] [--agents 3] [--runs 30]
Prints p50 / p95 / max in milliseconds. Standard library only.
"""
import argparse, statistics, time

from demo import Demo, call


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    with Demo(a.bin_dir, a.agents) as d:
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            eid = call(d.base + "/api/v1/executions", {"action": {"type": "shell_command", "command": "echo hello", "timeout": 30}, "target_servers": d.targets}, d.token)["execution_id"]
            while True:
                e = call(f"{d.base}/api/v1/executions/{eid}", token=d.token)
                if e["status"]["overall"] in ("completed", "failed"):
                    break
                time.sleep(0.002)
            times.append((time.perf_counter() - t0) * 1000)
            assert e["results"]["success_count"] == len(d.targets), e
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"execution latency, {len(d.targets)} agents, {a.runs} runs: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
