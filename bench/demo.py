"""A real demo (hub + N agents on 127.0.0.1) for the benchmarks: started, signed in to, and
waited on until every agent is idle; stopped on exit. Standard library only."""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

PASSWORD = "bench-password-123"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(url, body=None, token=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method="POST" if body is not None else "GET")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def free_port_pair():
    """Two consecutive free ports (the demo's replicas listen on the given port and the next)."""
    for _ in range(200):
        p = free_port()
        try:
            s = socket.socket(); s.bind(("127.0.0.1", p + 1)); s.close(); return p
        except OSError:
            continue
    sys.exit("no two consecutive free ports")


def stop(proc, wait):
    """SIGTERM, then SIGKILL after `wait` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()


def keep_or_remove(data, what):
    """Removes a run's data directory, or keeps it (saying where) when BENCH_DEMO_LOG is set."""
    if os.environ.get("BENCH_DEMO_LOG"):
        print(f"{what} kept in {data}", file=sys.stderr)
    else:
        shutil.rmtree(data, ignore_errors=True)


class Demo:
    """`with Demo(bin_dir, agents) as d:` gives `d.base`, `d.port`, `d.token`, `d.targets`;
    `d.bases` lists every replica's API (one unless `replicas` > 1). `mongodb_url` keeps the
    data in MongoDB (a fresh database per run), `redis_url` + `replicas` runs several hubs."""

    def __init__(self, bin_dir, agents, mongodb_url=None, redis_url=None, replicas=1):
        self.bin_dir, self.agents = bin_dir, agents
        self.mongodb_url, self.redis_url, self.replicas = mongodb_url, redis_url, replicas

    def __enter__(self):
        self.port = free_port_pair() if self.replicas > 1 else free_port()
        self.data = tempfile.mkdtemp(prefix="greenroom-bench-")
        env = dict(os.environ, GREENROOM_ADMIN_PASSWORD=PASSWORD)
        args = [os.path.join(self.bin_dir, "greenroom-hub"), "demo", "--listen", f"127.0.0.1:{self.port}",
                "--agents", str(self.agents), "--data-dir", self.data, "--log-level", "WARN"]
        if self.mongodb_url:
            args += ["--mongodb-url", self.mongodb_url, "--database-name", "bench_" + os.path.basename(self.data).replace("-", "_")]
        if self.redis_url:
            args += ["--redis-url", self.redis_url, "--replicas", str(self.replicas)]
        # AGENT_BIN: the agent as packaged (`make bench` sets it to the `release-agent`
        # build); else the one beside the hub.
        if os.environ.get("AGENT_BIN"):
            args += ["--agent-bin", os.environ["AGENT_BIN"]]
        # BENCH_DEMO_LOG=FILE keeps the demo's output, and its data directory (replica and
        # agent logs), for a run that went wrong.
        log = open(os.environ["BENCH_DEMO_LOG"], "ab") if os.environ.get("BENCH_DEMO_LOG") else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        self.base = f"http://127.0.0.1:{self.port}"
        self.bases = [f"http://127.0.0.1:{self.port + i}" for i in range(self.replicas)]
        try:
            self._wait_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_up(self):
        for base in self.bases:
            for _ in range(600):
                try:
                    call(base + "/healthz"); break
                except OSError:
                    if self.proc.poll() is not None:
                        sys.exit(f"the demo exited ({self.proc.returncode})")
                    time.sleep(0.1)
        # The demo creates its admin just after it starts listening: retry briefly.
        for _ in range(100):
            try:
                self.token = call(self.base + "/api/v1/auth/login", {"email": "admin@example.com", "password": PASSWORD})["access_token"]
                break
            except urllib.error.HTTPError:
                time.sleep(0.1)
        else:
            sys.exit("could not sign in to the demo")
        servers = {"total": 0}
        for _ in range(1800):
            try:
                servers = call(self.base + "/api/v1/servers?page_size=500", token=self.token)
            except OSError as e:  # a slow answer while hundreds of agents enroll: ask again
                print(f"(waiting for the agents: {e})", file=sys.stderr, flush=True)
                continue
            if servers["total"] == self.agents and all(s["status"]["current"] == "idle" for s in servers["items"]):
                break
            time.sleep(0.2)
        else:
            sys.exit(f"agents did not come up ({servers['total']} of {self.agents})")
        self.targets = [s["server_id"] for s in servers["items"]]

    def __exit__(self, *exc):
        stop(self.proc, 60)
        keep_or_remove(self.data, "demo data (hub and agent logs)")
