#!/usr/bin/env python3
"""`make soak`: steady mixed load with a fault every few minutes; every result accounted for.

A production-configured hub (`serve`, SQLite, 30 s heartbeats, 90 s leases) and N load-
generator agents (`greenroom-loadgen agents --ledger`, which writes one line per result the
hub took or refused). Every 10 s an execution of `sleep 2; echo soak` starts on 100 of them
(one more just before each fault, so that every fault meets jobs in flight), and API reads
run at 20 a second. Every `--fault-every` seconds one fault, in turn:

  hub-kill     the hub SIGKILLed and started again on its data
  fleet-pause  the agents frozen (SIGSTOP) past their lease, then thawed: their late
               results must be refused, their jobs end `unreachable`
  hub-pause    the hub frozen for 20 s (a stalled disk or VM), then thawed
  fleet-blip   the agents frozen for 20 s, less than a lease: nothing may be lost

After the last start the run drains (up to 4 minutes), then checks, against the hub's own
answer for every execution it started:
  - none stuck: every execution and every job in a final state;
  - none lost: every result the hub took (ledger `stored: true`) is that job's recorded
    result (`success`), and no job the hub records as `success` lacks an answered result
    (`stored: false` answers both a late result it fenced off and a result delivered again
    after its acknowledgement was lost);
  - none twice: no job's result acknowledged twice;
  - memory: within each hub process's life (after 3 minutes of warm-up), the median RSS of
    the last third of the samples within 25 % of that of the first third; never 600 MB.
The report goes between `<!-- soak:begin -->` and `<!-- soak:end -->` in docs/reliability.md
and as a JSON line in bench/results/. Exit 1 when a check fails. Standard library only."""
import argparse, collections, json, os, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import PASSWORD, call  # noqa: E402
from hub import Fleet, Hub, rss_mb  # noqa: E402

FAULTS = ["hub-kill", "fleet-pause", "hub-pause", "fleet-blip"]
LEASE_S = 90  # the production default (execution.lease_seconds)
# Run by the load generator's agents (`--mode exec`): long enough to be in flight when a
# fault strikes.
COMMAND = "sleep 2; echo soak"
# A ceiling that only runaway growth reaches: under this load the hub's working set is about
# 300 MB (each history read answers ~0.9 MB: 20 executions with 100 results each).
RSS_CEILING_MB = 600


class SoakHub(Hub):
    """A `Hub` that can be killed and started again on the same data and config."""

    def restart(self):
        self.proc.kill()
        self.proc.wait()
        self.serve()


def api(h, path, body=None, tries=60):
    """A call that waits out a hub being restarted or frozen by the soak itself."""
    for i in range(tries):
        try:
            return call(h.base + path, body, h.token)
        except Exception as e:  # noqa: BLE001 — connection refused, timeouts, 401 after a restart
            if "401" in str(e):
                h.token = h.login("admin@example.com")
            if i == tries - 1:
                raise
            time.sleep(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default="target/release")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--fault-every", type=int, default=180, help="seconds between faults")
    ap.add_argument("--report", default="docs/reliability.md", help="'' to leave it alone")
    a = ap.parse_args()

    ledger_path = tempfile.mktemp(prefix="greenroom-soak-ledger-")
    os.environ["GREENROOM_PASSWORD"] = PASSWORD
    started, faults, rss = [], [], []  # rss: (hub life, seconds into it, MB)
    with SoakHub(a.bin_dir) as h:
        fleet = Fleet(a.bin_dir, h, a.agents, mode="exec", ledger=ledger_path,
                      stderr=os.path.join(h.data, "loadgen.log"))
        with fleet:
            servers = [s["server_id"] for s in h.servers()]
            print(f"soak: {len(servers)} agents ready; {a.minutes} min, a fault every {a.fault_every} s", flush=True)
            t0 = time.monotonic()
            end = t0 + a.minutes * 60
            next_fault, next_sample, k, life, life_t0 = t0 + a.fault_every, t0, 0, 0, t0

            def start(k):
                targets = [servers[(k * 100 + i) % len(servers)] for i in range(min(100, len(servers)))]
                e = api(h, "/api/v1/executions", {"action": {"type": "shell_command", "command": COMMAND},
                                                  "target_servers": targets})
                started.append((e["execution_id"], len(targets)))

            with tempfile.TemporaryDirectory() as tmp:
                tf, rf = os.path.join(tmp, "tokens"), os.path.join(tmp, "requests.json")
                open(tf, "w").write(h.token)
                json.dump([{"name": "rest list", "method": "GET", "path": "/api/v1/servers?page_size=50"},
                           {"name": "rest history", "method": "GET", "path": "/api/v1/executions?page_size=20"}],
                          open(rf, "w"))
                reads = subprocess.Popen([os.path.join(a.bin_dir, "greenroom-loadgen"), "api", "--base", h.base,
                                          "--tokens", tf, "--requests", rf, "--clients", "4", "--rate", "20",
                                          "--warmup", "0", "--duration", str(int(a.minutes * 60))],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while time.monotonic() < end:
                    now = time.monotonic()
                    if now >= next_sample:
                        rss.append((life, now - life_t0, rss_mb(h.pid)))
                        next_sample += 30
                    if now >= next_fault:
                        kind = FAULTS[len(faults) % len(FAULTS)]
                        print(f"soak: {int(now - t0)} s: {kind}", flush=True)
                        # Every fault meets jobs in flight: one execution starts just before it.
                        start(k)
                        k += 1
                        time.sleep(0.5)
                        faults.append({"at_s": int(now - t0), "fault": kind})
                        if kind == "hub-kill":
                            h.restart()
                            life, life_t0 = life + 1, time.monotonic()
                        elif kind == "hub-pause":
                            os.kill(h.pid, signal.SIGSTOP)
                            time.sleep(20)
                            os.kill(h.pid, signal.SIGCONT)
                        else:
                            os.kill(fleet.pid, signal.SIGSTOP)
                            time.sleep(LEASE_S + 30 if kind == "fleet-pause" else 20)
                            os.kill(fleet.pid, signal.SIGCONT)
                        next_fault += a.fault_every
                        continue
                    start(k)
                    k += 1
                    time.sleep(10)
                reads.wait(timeout=120)

            # Drain: every execution final, or 4 minutes.
            drain_end = time.monotonic() + 240
            pending = [x for x, _ in started]
            while pending and time.monotonic() < drain_end:
                pending = [x for x in pending
                           if api(h, f"/api/v1/executions/{x}")["status"]["overall"] not in ("completed", "failed", "cancelled")]
                if pending:
                    time.sleep(5)
            rss.append((life, time.monotonic() - life_t0, rss_mb(h.pid)))
            executions = {x: api(h, f"/api/v1/executions/{x}") for x, _ in started}
        duration_min = round((time.monotonic() - t0) / 60, 1)

    verdict = account(executions, started, ledger_path, rss)
    verdict.update(minutes=duration_min, agents=a.agents, faults=faults)
    if verdict["held"]:
        os.unlink(ledger_path)
    else:
        print(f"soak: the load generator's ledger is kept in {ledger_path}", file=sys.stderr)
    print(json.dumps(verdict), flush=True)
    os.makedirs("bench/results", exist_ok=True)
    with open(time.strftime("bench/results/soak-%Y%m%d-%H%M%S.jsonl"), "w") as f:
        f.write(json.dumps(verdict) + "\n")
    if a.report:
        write_report(a.report, verdict)
    sys.exit(0 if verdict["held"] else 1)


def account(executions, started, ledger_path, rss):
    stored, refused = collections.Counter(), collections.Counter()
    with open(ledger_path) as f:
        for line in f:
            row = json.loads(line)
            (stored if row.get("stored") else refused)[row["job_id"]] += 1
    expected = sum(n for _, n in started)
    jobs, stuck_exec, stuck_jobs, lost, invented = {}, [], [], [], []
    for x, e in executions.items():
        if e["status"]["overall"] not in ("completed", "failed", "cancelled"):
            stuck_exec.append(x)
        for d in e["results"]["details"]:
            jobs[d["job_id"]] = d["status"]
            if d["status"] in ("pending", "leased", "running"):
                stuck_jobs.append(d["job_id"])
    states = collections.Counter(jobs.values())
    for job, n in stored.items():
        if job in jobs and jobs[job] != "success":
            lost.append(f"{job}: acknowledged, recorded {jobs[job]}")
    for job, s in jobs.items():
        # A result delivered again after its acknowledgement was lost (the hub killed between
        # storing and answering) is answered `stored: false` — already recorded: that job's
        # success is its agent's result. Only a success no answer speaks of is invented.
        if s == "success" and job not in stored and job not in refused:
            invented.append(f"{job}: success without a result the hub answered")
    twice = [j for j, n in stored.items() if n > 1]
    growth, peak = [], 0.0
    by_life = collections.defaultdict(list)
    for life, t, mb in rss:
        by_life[life].append((t, mb))
        peak = max(peak, mb)
    for life, samples in by_life.items():
        # After 3 minutes of warm-up: the median of the last third against that of the first
        # (RSS swings ±10 % with the large answers of the history reads; a leak climbs).
        warm = [mb for t, mb in samples if t >= 180]
        if len(warm) >= 6:
            third = len(warm) // 3
            first, last = statistics.median(warm[:third]), statistics.median(warm[-third:])
            growth.append(round((last - first) / first * 100, 1))
    memory_ok = peak <= RSS_CEILING_MB and all(g <= 25 for g in growth)
    held = (not stuck_exec and not stuck_jobs and not lost and not invented and not twice
            and len(jobs) == expected and memory_ok)
    return {"held": held, "executions": len(executions), "jobs_expected": expected, "jobs_recorded": len(jobs),
            "job_states": dict(states), "results_acknowledged": len(stored), "late_results_refused": len(refused),
            "stuck_executions": stuck_exec[:10], "stuck_jobs": len(stuck_jobs), "lost": lost[:10],
            "invented": invented[:10], "acknowledged_twice": twice[:10], "rss_peak_mb": round(peak, 1),
            "rss_mb": [[life, round(t), round(mb, 1)] for life, t, mb in rss],
            "rss_growth_pct_per_hub_life": growth, "memory_ok": memory_ok}


def write_report(path, v):
    faults = collections.Counter(f["fault"] for f in v["faults"])
    rows = [
        "| | |", "|---|---|",
        f"| verdict | **{'held' if v['held'] else 'FAILED'}** |",
        f"| run | {v['minutes']} min, {v['agents']} load-generator agents, {v['executions']} executions of `sleep 2; echo soak` on 100 agents every 10 s, API reads 20/s |",
        f"| faults | {sum(faults.values())}: " + ", ".join(f"{k} ×{n}" for k, n in sorted(faults.items())) + " |",
        f"| jobs expected / recorded | {v['jobs_expected']} / {v['jobs_recorded']} |",
        f"| job states | " + ", ".join(f"{k} {n}" for k, n in sorted(v["job_states"].items())) + " |",
        f"| results taken / answered not taken (fenced late, or repeated) | {v['results_acknowledged']} / {v['late_results_refused']} |",
        f"| stuck executions / jobs | {len(v['stuck_executions'])} / {v['stuck_jobs']} |",
        f"| lost / invented / acknowledged twice | {len(v['lost'])} / {len(v['invented'])} / {len(v['acknowledged_twice'])} |",
        f"| hub RSS | peak {v['rss_peak_mb']} MB; growth after 3 min, per hub process: "
        + ", ".join(f"{g} %" for g in v["rss_growth_pct_per_hub_life"]) + f" (bound 25 %, ceiling {RSS_CEILING_MB} MB) |",
    ]
    text = open(path).read()
    begin, end = "<!-- soak:begin -->", "<!-- soak:end -->"
    if begin not in text:
        print(f"soak: {path} has no {begin} marker; report not written", file=sys.stderr)
        return
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    stamp = time.strftime("%Y-%m-%d")
    open(path, "w").write(f"{head}{begin}\nLast run {stamp} (`make soak`):\n\n" + "\n".join(rows) + f"\n{end}{tail}")


if __name__ == "__main__":
    main()
