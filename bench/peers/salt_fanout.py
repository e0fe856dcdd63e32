#!/usr/bin/env python3
"""Peer fan-out, Salt: wall-clock time of `salt '*' cmd.run 'echo hi'` (one CLI call, from start
until it has printed every minion's return) with a real salt-master and N salt-minion processes
on 127.0.0.1, talking over loopback ZeroMQ. Setup (master, minions, key acceptance, waiting
until all N answer test.ping) is not timed. One warm-up run reported apart (`first_s`), then
--runs timed runs; every minion must return `hi` or the script fails.

Usage: bench/peers/salt_fanout.py --agents N [--runs 3] [--venv DIR]
Installs salt (pinned) into the venv (default target/bench/venv-salt) if missing. A minion
takes about 70 MB: callers use 10, 50, 100; N > 200 is refused. Everything lives under a temp
root dir and every daemon is killed (by process group) on exit, error or Ctrl-C.
Prints one JSON line on stdout - or, if salt cannot be installed or started here,
{"scenario":"fanout","tool":"salt","agents":N,"skipped":"<reason>"} and exit 0.
Progress on stderr. Standard library only.
"""
import argparse, getpass, json, os, signal, socket, subprocess, sys, tempfile, time
from pathlib import Path

from peerlib import ROOT, emit, ensure_venv, log, timed_runs

VERSION = "3008.4"  # 3008.5 needs certifi>=2026.10.23, which the package index here does not have
MAX_AGENTS = 200


class Skip(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_conf(path, **kv):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in kv.items()))  # JSON scalars are YAML


def tail(path, n=2000):
    try:
        return Path(path).read_text(errors="replace")[-n:]
    except OSError:
        return ""


class Cluster:
    """salt-master + N salt-minions under `root`, each daemon in its own process group."""

    def __init__(self, bin_dir, root, n):
        self.bin, self.root, self.n, self.procs = bin_dir, root, n, []
        pub, ret, user = free_port(), free_port(), getpass.getuser()
        self.conf = root / "conf"
        write_conf(self.conf / "master", root_dir=str(root / "master"), interface="127.0.0.1",
                   publish_port=pub, ret_port=ret, user=user, auto_accept=True, log_level="warning")
        self.ids = [f"m{i:04d}" for i in range(1, n + 1)]
        for mid in self.ids:
            write_conf(self.conf / mid / "minion", id=mid, root_dir=str(root / mid), master="127.0.0.1",
                       master_port=ret, publish_port=pub, user=user, log_level="warning",
                       enable_fqdns_grains=False)

    def spawn(self, name, args):
        with open(self.root / f"{name}.out", "wb") as out:
            self.procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True))

    def salt(self, *args, timeout=120):
        p = subprocess.run([str(self.bin / "salt"), "-c", str(self.conf), "*", *args, "--out", "json", "--static"],
                           capture_output=True, text=True, timeout=timeout)
        try:
            return json.loads(p.stdout or "{}")
        except ValueError:
            return {}

    def start(self):
        self.spawn("master", [str(self.bin / "salt-master"), "-c", str(self.conf)])
        time.sleep(3)
        if self.procs[0].poll() is not None:
            last = (tail(self.root / "master.out", 300).strip().splitlines() or [""])[-1]
            raise Skip(f"salt-master exited with {self.procs[0].returncode}: {last}")
        for mid in self.ids:
            self.spawn(mid, [str(self.bin / "salt-minion"), "-c", str(self.conf / mid)])
        deadline = time.monotonic() + 120 + 2 * self.n
        up = {}
        while time.monotonic() < deadline:
            try:
                up = {k: v for k, v in self.salt("test.ping", "--timeout", "10", timeout=60).items() if v is True}
            except subprocess.TimeoutExpired:
                up = {}
            log(f"{len(up)}/{self.n} minions answer test.ping")
            if len(up) == self.n:
                return
            time.sleep(2)
        log(tail(self.root / "master.out"), tail(self.root / f"{self.ids[0]}.out"))
        raise Skip(f"only {len(up)}/{self.n} minions answered test.ping within {120 + 2 * self.n} s")

    def stop(self):
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            for p in self.procs:
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
            end = time.monotonic() + grace
            while time.monotonic() < end and any(p.poll() is None for p in self.procs):
                time.sleep(0.2)
        # a process group can outlive its leader; SIGKILL whatever is left in each
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--venv", default=str(ROOT / "target/bench/venv-salt"))
    a = ap.parse_args()
    if not 1 <= a.agents <= MAX_AGENTS:
        ap.error(f"--agents must be 1..{MAX_AGENTS}: a salt-minion takes about 70 MB, and N minions share 2 cores")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the teardown on kill too

    def skip(reason):
        print(json.dumps({"scenario": "fanout", "tool": "salt", "agents": a.agents, "skipped": reason},
                         separators=(",", ":")), flush=True)

    try:
        bin_dir = ensure_venv(a.venv, "salt", VERSION)
    except subprocess.CalledProcessError as e:
        return skip(f"pip install salt=={VERSION} failed (exit {e.returncode})")
    with tempfile.TemporaryDirectory(prefix="bench-salt-") as tmp:
        c = Cluster(bin_dir, Path(tmp), a.agents)
        try:
            log(f"salt {VERSION}: starting a master and {a.agents} minions under {tmp}")
            t0 = time.perf_counter()
            c.start()
            log(f"all {a.agents} minions up in {time.perf_counter() - t0:.1f} s")

            def run_once():
                out = c.salt("cmd.run", "echo hi", "--timeout", "60")
                ok = sum(out.get(m) == "hi" for m in c.ids)
                if ok != a.agents:
                    sys.exit(f"salt: {ok}/{a.agents} minions returned hi; got {str(out)[:500]}")

            first, rest = timed_runs(run_once, a.runs)
        except Skip as e:
            return skip(str(e))
        finally:
            c.stop()
    emit("salt", VERSION, a.agents, first, rest)


if __name__ == "__main__":
    main()
