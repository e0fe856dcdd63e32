#!/usr/bin/env python3
"""Fan-out: `echo hi` on every agent of a real demo (hub + N real greenroom-agent processes on
127.0.0.1), from the API call that starts it until the last result is stored (the execution
reads back `completed`), median of --runs. The store and the hubs are chosen per run:

  --store sqlite                      the embedded default
  --store mongodb --mongodb-url URL   MongoDB (SecantusDB here)
  --replicas 2 --redis-url URL        two hubs on MongoDB + Redis; the execution is started
                                      on the first, half the agents poll the second

Usage: bench/fanout.py [--bin-dir target/release] [--agents 500] [--runs 3] [options above]
Prints one line per setting. Standard library only.
"""
import argparse, statistics, time

# How often the execution is read back while it runs. Only to learn that it has ended: the
# time is the hub's own (below), so this costs no precision. A read of a 100-job execution
# takes the hub ~4 ms (p50); read every 10 ms, that took hub time from the run it measured.
POLL_S = 0.05
from datetime import datetime

from demo import Demo, call


def fan_out(base, token, targets, runs):
    """`runs` + 1 fan-outs of `echo hi` to `targets`; the first warms caches and connections
    and is reported apart. Each run: `{"total_s", "seen_s", "jobs_ms"}`:
      total_s  the API call to the last result stored: from just before the call to the
               execution's `completed_at`, which the hub stamps in the transaction that
               stores the last result (same machine, same clock);
      seen_s   the same end as this client saw it by reading the execution back (adds up to
               POLL_S and a read);
      jobs_ms  per job, the execution's creation to the job's end."""
    out = []
    for _ in range(runs + 1):
        t0_wall, t0 = time.time(), time.perf_counter()
        eid = call(base + "/api/v1/executions", {"action": {"type": "shell_command", "command": "echo hi", "timeout": 60},
                                                 "target_servers": targets}, token)["execution_id"]
        while True:
            e = call(f"{base}/api/v1/executions/{eid}", token=token)
            if e["status"]["overall"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(POLL_S)
        seen = time.perf_counter() - t0
        assert e["results"]["success_count"] == len(targets), e["results"]
        created = datetime.fromisoformat(e["timing"]["created_at"])
        total = datetime.fromisoformat(e["timing"]["completed_at"]).timestamp() - t0_wall
        jobs = sorted((datetime.fromisoformat(j["finished_at"]) - created).total_seconds() * 1000
                      for j in e["results"]["details"])
        out.append({"total_s": total, "seen_s": seen, "jobs_ms": jobs})
    return out[0], out[1:]


def percentile(xs, q):
    """The q-quantile (0..1) of a sorted list, nearest rank."""
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs))) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--store", choices=["sqlite", "mongodb"], default="sqlite")
    ap.add_argument("--mongodb-url")
    ap.add_argument("--redis-url")
    ap.add_argument("--replicas", type=int, default=1)
    a = ap.parse_args()
    if a.store == "mongodb" and not a.mongodb_url:
        ap.error("--store mongodb needs --mongodb-url")
    if a.replicas > 1 and not (a.mongodb_url and a.redis_url):
        ap.error("--replicas needs --mongodb-url and --redis-url")
    setting = f"{a.store}" if a.replicas == 1 else f"{a.replicas} replicas on mongodb + redis"
    with Demo(a.bin_dir, a.agents, mongodb_url=a.mongodb_url if a.store == "mongodb" or a.replicas > 1 else None,
              redis_url=a.redis_url if a.replicas > 1 else None, replicas=a.replicas) as d:
        first, rest = fan_out(d.base, d.token, d.targets, a.runs)
        times = [r["total_s"] for r in rest]
        print(f"fan-out, {len(d.targets)} agents, {setting}: median {statistics.median(times):.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)} s; first {first['total_s']:.2f} s)", flush=True)


if __name__ == "__main__":
    main()
