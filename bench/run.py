#!/usr/bin/env python3
"""`make bench`: every performance scenario of docs/performance.md, on this machine, with the
release build; Ansible and Salt beside Greenroom in the same run where they install.

Scenarios (`--only a,b`; all by default):
  fanout     `echo hi` on N real agent processes (demo), API call to the last result
             stored, median of 3 after a warm-up run reported apart; per-job p50/p99
  fanout-lg  the same through the load generator's identities (`--mode noop`: the hub's
             own cost), up to 5,000 agents
  idle       the load generator's fleet at the production heartbeat (30 s): the hub's CPU
             (share of one core) and RSS
  api        50 open-loop clients (own users) over 5,000 servers: REST list, filter,
             search, execution reads, GraphQL lists; p50/p95/p99 and throughput
  live       output line → WebSocket subscriber, 200 real agents, start burst included
  footprint  one idle real agent: RSS, CPU, binary size (bench/agent_footprint.sh)
  peers      Ansible (N = 10, 100, 500), and Salt (N = 10, 50, 100) with `--peers ansible,salt`
  soak       (only when named: `make bench-soak`) an hour of steady mixed load on 500
             agents; the hub's RSS must stay flat

`--quick` shrinks every N for a smoke run. Each result is one JSON line in
bench/results/<UTC time>.jsonl; a table with the goals and the Greenroom/peer ratios ends
the run. Standard library only.
"""
import argparse, datetime, json, os, re, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import PASSWORD, Demo, call  # noqa: E402
from fanout import fan_out, percentile  # noqa: E402
from hub import Fleet, Hub, cpu_seconds, rss_mb  # noqa: E402
import output_latency  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FULL = {"fanout": [10, 100, 500, 1000], "fanout-lg": [1000, 5000], "idle": [1000, 5000], "api_servers": 5000,
        "live": 200, "ansible": [10, 100, 500], "salt": [10, 50, 100], "idle_s": 120, "api_s": 30}
QUICK = {"fanout": [10, 100], "fanout-lg": [500], "idle": [500], "api_servers": 500,
         "live": 20, "ansible": [10], "salt": [10], "idle_s": 30, "api_s": 10}


class Results:
    """Appends every result to one JSON-lines file and keeps them for the table."""

    def __init__(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        self.path = os.path.join(out_dir, f"{stamp}.jsonl")
        self.rows = []

    def add(self, **row):
        row["at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.rows.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        print("  " + json.dumps(row), flush=True)


def fanout_row(results, tool, agents, first, rest, goal_s=None):
    times = [r["total_s"] for r in rest]
    jobs = sorted(j for r in rest for j in r["jobs_ms"])
    worst = max(times + [first["total_s"]])
    results.add(scenario="fanout", tool=tool, agents=agents, median_s=round(statistics.median(times), 3),
                runs_s=[round(t, 3) for t in times], first_s=round(first["total_s"], 3),
                seen_s=[round(r["seen_s"], 3) for r in rest],
                job_p50_ms=round(percentile(jobs, 0.5), 1), job_p99_ms=round(percentile(jobs, 0.99), 1),
                goal_s=goal_s, met=None if goal_s is None else worst < goal_s)


FANOUT_GOALS = {100: 0.2, 1000: 2.0, 5000: 8.0}


def scenario_fanout(a, sizes, results):
    for n in sizes["fanout"]:
        with Demo(a.bin_dir, n) as d:
            first, rest = fan_out(d.base, d.token, d.targets, a.runs)
        fanout_row(results, "greenroom (real agents)", n, first, rest, FANOUT_GOALS.get(n))


def scenario_fanout_lg(a, sizes, results):
    for n in sizes["fanout-lg"]:
        with Hub(a.bin_dir) as h, Fleet(a.bin_dir, h, n):
            targets = [s["server_id"] for s in h.servers()]
            first, rest = fan_out(h.base, h.token, targets, a.runs)
        fanout_row(results, "greenroom (load generator)", n, first, rest, FANOUT_GOALS.get(n) if n == 5000 else None)


def sample(pid, seconds):
    """CPU share of one core and RSS (MB, start and end) of `pid` over `seconds`."""
    c0, t0, r0 = cpu_seconds(pid), time.monotonic(), rss_mb(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0) * 100, r0, rss_mb(pid)


def scenario_idle(a, sizes, results, then=None):
    for n in sizes["idle"]:
        with Hub(a.bin_dir) as h, Fleet(a.bin_dir, h, n) as f:
            time.sleep(min(35, sizes["idle_s"]))  # enrollment's burst over, heartbeats spread
            cpu, r0, r1 = sample(h.pid, sizes["idle_s"])
            lg_cpu = sample(f.pid, 5)[0]
            results.add(scenario="idle", agents=n, heartbeat_s=h.heartbeat, seconds=sizes["idle_s"],
                        hub_cpu_pct=round(cpu, 2), hub_rss_mb=round(r1, 1), hub_rss_start_mb=round(r0, 1),
                        loadgen_cpu_pct=round(lg_cpu, 1), enroll_s=round(f.ready["enroll_s"], 1),
                        goal="< 5 % of a core, < 200 MB" if n == 5000 else None,
                        met=(cpu < 5 and r1 < 200) if n == 5000 else None)
            if then and n == sizes["api_servers"]:
                then(h)


def api_load(a, sizes, results, h):
    """50 users, each its own client, over the servers `h` has."""
    servers = h.servers()
    tokens = []
    for i in range(a.clients):
        email = f"bench-{i:02d}@example.com"
        try:
            call(h.base + "/api/v1/users", {"email": email, "password": PASSWORD, "role": "operator"}, h.token)
        except OSError:
            pass  # exists from an earlier pass
        tokens.append(h.login(email))
    # A few executions to read back.
    ids = []
    for k in range(5):
        targets = [s["server_id"] for s in servers[k * 10:(k + 1) * 10]]
        ids.append(call(h.base + "/api/v1/executions", {"action": {"type": "shell_command", "command": "echo hi"},
                                                        "target_servers": targets}, h.token)["execution_id"])
    name = servers[len(servers) // 2]["server_id"]
    gql_servers = {"query": "query($f: ServerFilter) { servers(first: 50, filter: $f) { totalCount nodes { id serverId status { current } } } }",
                   "variables": {"f": {"environment": "staging"}}}
    gql_executions = {"query": "{ executions(first: 20) { totalCount nodes { id executionId overall progress } } }"}
    requests = [
        {"name": "rest list", "method": "GET", "path": "/api/v1/servers?page_size=50"},
        {"name": "rest filter", "method": "GET", "path": "/api/v1/servers?environment=staging&page_size=50"},
        {"name": "rest search", "method": "GET", "path": f"/api/v1/servers?q={name[-5:]}&page_size=50"},
        {"name": "rest execution", "method": "GET", "path": f"/api/v1/executions/{ids[0]}"},
        {"name": "graphql servers", "method": "POST", "path": "/graphql", "body": gql_servers},
        {"name": "graphql executions", "method": "POST", "path": "/graphql", "body": gql_executions},
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tf, rf = os.path.join(tmp, "tokens"), os.path.join(tmp, "requests.json")
        open(tf, "w").write("\n".join(tokens))
        json.dump(requests, open(rf, "w"))
        for rate in a.api_rates:
            out = subprocess.run([os.path.join(a.bin_dir, "greenroom-loadgen"), "api", "--base", h.base, "--tokens", tf,
                                  "--requests", rf, "--clients", str(a.clients), "--rate", str(rate),
                                  "--duration", str(sizes["api_s"])], check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                r = json.loads(line)
                overall = r["request"] == "all"
                r.update(clients=a.clients, target_rps=rate)
                results.add(scenario="api", servers=len(servers), **r,
                            goal="p99 < 50 ms" if overall else None, met=(r["p99_ms"] < 50 and r["errors"] == 0) if overall else None)


def scenario_api(a, sizes, results):
    # Over the idle fleet of that size when it runs; else a fleet of its own.
    with Hub(a.bin_dir) as h, Fleet(a.bin_dir, h, sizes["api_servers"]):
        api_load(a, sizes, results, h)


def scenario_live(a, sizes, results):
    n = sizes["live"]
    with Demo(a.bin_dir, n) as d:
        m = output_latency.measure(d, 20, 0.5)
    for name in ("all", "steady"):
        xs = m[name]
        results.add(scenario="live", agents=n, lines=name, count=len(xs), expected=m["expected"], missed=m["missed"],
                    p50_ms=round(percentile(xs, 0.5), 1), p95_ms=round(percentile(xs, 0.95), 1),
                    p99_ms=round(percentile(xs, 0.99), 1), max_ms=round(xs[-1], 1),
                    goal="p99 < 100 ms" if name == "all" else None, met=percentile(xs, 0.99) < 100 if name == "all" else None)


def scenario_footprint(a, sizes, results):
    out = subprocess.run(["bash", os.path.join(ROOT, "bench/agent_footprint.sh"), a.bin_dir, "60"],
                         check=True, capture_output=True, text=True).stdout
    rss = float(re.search(r"idle RSS \| ([\d.]+) MB", out).group(1))
    cpu = float(re.search(r"idle CPU over \d+ s, 30 s heartbeat \| ([\d.]+) %", out).group(1))
    size = float(re.search(r"binary size \([^)]*\) \| ([\d.]+) MB", out).group(1))
    results.add(scenario="footprint", agent_rss_mb=rss, agent_cpu_pct=cpu, binary_mb=size, goal="RSS < 10 MB", met=rss < 10)


def scenario_peers(a, sizes, results):
    for peer in a.peers:
        for n in sizes[peer]:
            out = subprocess.run([sys.executable, os.path.join(ROOT, f"bench/peers/{peer}_fanout.py"), "--agents", str(n),
                                  "--runs", str(a.runs)], capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode != 0 or not lines:
                results.add(scenario="fanout", tool=peer, agents=n, skipped=f"exit {out.returncode}: {out.stderr.strip()[-300:]}")
                continue
            row = json.loads(lines[-1])
            row.pop("scenario", None)
            results.add(scenario="fanout", **row)


def scenario_soak(a, sizes, results):
    """Steady mixed load for `--soak-minutes`: an execution on 100 of 500 agents every 10 s,
    API reads at 20 a second; the hub's RSS sampled every minute must stay flat (±10 %)."""
    minutes = a.soak_minutes
    with Hub(a.bin_dir) as h, Fleet(a.bin_dir, h, 500 if not a.quick else 50):
        servers = [s["server_id"] for s in h.servers()]
        end = time.monotonic() + minutes * 60
        rss, started, k = [], 0, 0
        next_sample = time.monotonic() + 60
        with tempfile.TemporaryDirectory() as tmp:
            tf, rf = os.path.join(tmp, "tokens"), os.path.join(tmp, "requests.json")
            open(tf, "w").write(h.token)
            json.dump([{"name": "rest list", "method": "GET", "path": "/api/v1/servers?page_size=50"},
                       {"name": "rest history", "method": "GET", "path": "/api/v1/executions?page_size=20"}], open(rf, "w"))
            api = subprocess.Popen([os.path.join(a.bin_dir, "greenroom-loadgen"), "api", "--base", h.base, "--tokens", tf,
                                    "--requests", rf, "--clients", "4", "--rate", "20", "--warmup", "0",
                                    "--duration", str(minutes * 60)], stdout=subprocess.PIPE, text=True)
            while time.monotonic() < end:
                targets = [servers[(k * 100 + i) % len(servers)] for i in range(min(100, len(servers)))]
                call(h.base + "/api/v1/executions", {"action": {"type": "shell_command", "command": "echo soak"},
                                                     "target_servers": targets}, h.token)
                started, k = started + 1, k + 1
                time.sleep(10)
                if time.monotonic() >= next_sample:
                    rss.append(rss_mb(h.pid))
                    next_sample += 60
            api_out = [json.loads(ln) for ln in api.communicate()[0].splitlines()]
        history = call(h.base + "/api/v1/executions?page_size=1", token=h.token)
        stuck = [e for e in call(h.base + "/api/v1/executions?page_size=500", token=h.token)["items"]
                 if e["status"]["overall"] not in ("completed", "failed", "cancelled", "running", "pending")]
    # The first five minutes warm caches and pools; flat means the rest stays within ±10 % of them.
    base = rss[min(4, len(rss) - 1)] if rss else 0
    drift = max((abs(r - base) / base * 100 for r in rss[5:]), default=0) if base else 0
    overall = next((r for r in api_out if r["request"] == "all"), {})
    results.add(scenario="soak", minutes=minutes, executions=started, executions_recorded=history.get("total"),
                stuck=len(stuck), rss_mb=[round(r, 1) for r in rss], drift_pct=round(drift, 1),
                api_p99_ms=overall.get("p99_ms"), api_errors=overall.get("errors"),
                goal="RSS flat (±10 %)", met=drift <= 10 and not stuck)


# The table's setting and result cells, by scenario (fan-out apart: it compares with ours).
CELLS = {
    "idle": (lambda r: f"{r['agents']} idle agents, {r['heartbeat_s']} s heartbeat",
             lambda r: f"hub {r['hub_cpu_pct']:.2f} % of a core, {r['hub_rss_mb']:.0f} MB RSS"),
    "api": (lambda r: f"{r['request']}, {r['clients']} clients at {r['target_rps']:.0f}/s, {r['servers']} servers",
            lambda r: f"p50/p95/p99 {r['p50_ms']:.1f}/{r['p95_ms']:.1f}/{r['p99_ms']:.1f} ms, {r['rate_rps']:.0f}/s, {r['errors']} errors"),
    "live": (lambda r: f"{r['agents']} agents, {r['lines']} lines",
             lambda r: f"p50/p99 {r['p50_ms']:.1f}/{r['p99_ms']:.1f} ms ({r['count']} of {r['expected']})"),
    "soak": (lambda r: f"{r['minutes']} min, {r['executions']} executions",
             lambda r: f"hub RSS {min(r['rss_mb'], default=0):.0f}–{max(r['rss_mb'], default=0):.0f} MB (drift {r['drift_pct']} %)"),
    "footprint": (lambda r: "one idle agent",
                  lambda r: f"{r['agent_rss_mb']:.1f} MB RSS, {r['agent_cpu_pct']:.3f} % CPU, {r['binary_mb']:.1f} MB binary"),
}


def fanout_cells(r, ours):
    setting = f"{r['tool']}, {r['agents']} agents"
    if "skipped" in r:
        return setting, f"skipped: {r['skipped'][:80]}"
    res = f"median {r['median_s']:.2f} s (first {r['first_s']:.2f} s)"
    if "job_p50_ms" in r:
        res += f", job p50/p99 {r['job_p50_ms']:.0f}/{r['job_p99_ms']:.0f} ms"
    if not r["tool"].startswith("greenroom") and r["agents"] in ours:
        res += f"; Greenroom {r['median_s'] / ours[r['agents']]['median_s']:.0f}× faster"
    return setting, res


def table(results):
    print("\n| scenario | setting | result | goal | met |\n|---|---|---|---|---|")
    ours = {r["agents"]: r for r in results.rows if r["scenario"] == "fanout" and r.get("tool", "").startswith("greenroom (real")}
    for r in results.rows:
        s = r["scenario"]
        if s == "fanout":
            setting, res = fanout_cells(r, ours)
        elif s in CELLS:
            setting, res = (f(r) for f in CELLS[s])
        else:
            setting, res = "", json.dumps(r)
        goal = r.get("goal") or (f"< {r['goal_s']} s" if r.get("goal_s") else "")
        met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
        print(f"| {s} | {setting} | {res} | {goal} | {met} |")
    print(f"\nresults: {os.path.relpath(results.path, ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--only", default="fanout,fanout-lg,idle,api,live,footprint,peers")
    ap.add_argument("--peers", default="ansible", help="comma-separated: ansible, salt")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--api-rates", default="100,250", help="requests a second, comma-separated")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--soak-minutes", type=int, default=60, help="for --only soak")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    a = ap.parse_args()
    a.peers = [p for p in a.peers.split(",") if p]
    a.api_rates = [float(r) for r in a.api_rates.split(",")]
    sizes = QUICK if a.quick else FULL
    only = a.only.split(",")
    results = Results(a.out)
    print(f"bench: {', '.join(only)} ({'quick' if a.quick else 'full'}); results in {results.path}", flush=True)
    steps = {"fanout": scenario_fanout, "fanout-lg": scenario_fanout_lg, "live": scenario_live,
             "footprint": scenario_footprint, "peers": scenario_peers, "soak": scenario_soak}
    for name in only:
        print(f"== {name}", flush=True)
        if name == "idle":
            # The API scenario runs over the idle fleet of its size rather than enrolling again.
            api_then = (lambda h: api_load(a, sizes, results, h)) if "api" in only else None
            scenario_idle(a, sizes, results, then=api_then)
        elif name == "api":
            if "idle" not in only or sizes["api_servers"] not in sizes["idle"]:
                scenario_api(a, sizes, results)
        else:
            steps[name](a, sizes, results)
    table(results)


if __name__ == "__main__":
    main()
