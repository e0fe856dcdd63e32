#!/usr/bin/env python3
"""Peer fan-out, Ansible: wall-clock time of `ansible all -m command -a "echo hi"` on N inventory
hosts that all use `ansible_connection=local` on this machine (no SSH: this is Ansible's own
fan-out cost - forks, module packaging, a python per host - which flatters Ansible).
One warm-up run reported apart (`first_s`), then --runs timed runs; every host must report
CHANGED/SUCCESS with `hi` or the script fails.

Usage: bench/peers/ansible_fanout.py --agents N [--runs 3] [--forks 50] [--venv DIR]
Installs ansible-core (pinned) into the venv (default target/bench/venv-ansible) if missing.
Prints one JSON line on stdout; progress on stderr. Standard library only.
"""
import argparse, os, re, subprocess, sys, tempfile
from pathlib import Path

from peerlib import ROOT, emit, ensure_venv, log, timed_runs

VERSION = "2.19.14"
LINE = re.compile(r"^(host\d+) \| (?:CHANGED|SUCCESS) \| rc=0 \| \(stdout\) hi$", re.M)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--forks", type=int, default=50)
    ap.add_argument("--venv", default=str(ROOT / "target/bench/venv-ansible"))
    a = ap.parse_args()
    bin_dir = ensure_venv(a.venv, "ansible-core", VERSION)
    with tempfile.TemporaryDirectory(prefix="bench-ansible-") as tmp:
        inv = Path(tmp, "hosts.ini")
        inv.write_text("[all]\n" + "".join(
            f"host{i:04d} ansible_connection=local ansible_python_interpreter={bin_dir / 'python'}\n"
            for i in range(1, a.agents + 1)))
        env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False",
                   ANSIBLE_GATHERING="explicit", ANSIBLE_HOME=f"{tmp}/home", ANSIBLE_LOCAL_TEMP=f"{tmp}/local",
                   ANSIBLE_REMOTE_TEMP=f"{tmp}/remote", ANSIBLE_CONFIG=f"{tmp}/none.cfg",  # ignore any ansible.cfg
                   ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False", LC_ALL="C.UTF-8")
        cmd = [str(bin_dir / "ansible"), "all", "-i", str(inv), "-m", "command", "-a", "echo hi",
               "-f", str(a.forks), "--one-line"]

        def run_once():
            p = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
            ok = set(LINE.findall(p.stdout))
            if p.returncode != 0 or len(ok) != a.agents:
                log(p.stdout[-3000:], p.stderr[-3000:])
                sys.exit(f"ansible: {len(ok)}/{a.agents} hosts returned hi (exit {p.returncode})")

        log(f"ansible-core {VERSION}: {a.agents} local hosts, forks {a.forks}")
        first, rest = timed_runs(run_once, a.runs)
    emit("ansible", VERSION, a.agents, first, rest, forks=a.forks)


if __name__ == "__main__":
    main()
