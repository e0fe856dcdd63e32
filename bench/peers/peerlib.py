"""Shared bits of the peer benchmarks: a pinned venv install, logging, the result line."""
import json, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repo root: two dirs above this file


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_venv(venv, dist, version):
    """`dist==version` in the venv at `venv` (created with `python3 -m venv`); installs only if missing.
    Returns the venv's bin dir."""
    venv = Path(venv).resolve()
    py = venv / "bin" / "python"
    if not py.exists():
        log(f"creating venv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
    have = subprocess.run([str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                          capture_output=True, text=True).stdout.strip()
    if have != version:
        log(f"installing {dist}=={version} into {venv} (found {have or 'none'})")
        t0 = time.perf_counter()
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{dist}=={version}"],
                       check=True, stdout=sys.stderr)
        log(f"installed {dist}=={version} in {time.perf_counter() - t0:.0f} s")
    return venv / "bin"


def timed_runs(run_once, runs):
    """One warm-up run reported apart, then `runs` timed runs; run_once() checks its own result."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        run_once()
        times.append(round(time.perf_counter() - t0, 3))
        log(f"run {i} ({'warm-up' if i == 0 else 'timed'}): {times[-1]:.2f} s")
    return times[0], times[1:]


def emit(tool, version, agents, first, rest, **extra):
    print(json.dumps({"scenario": "fanout", "tool": tool, "version": version, "agents": agents, **extra,
                      "median_s": round(statistics.median(rest), 3), "runs_s": rest, "first_s": first},
                     separators=(",", ":")), flush=True)
