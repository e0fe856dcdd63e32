"""A hub run as in production (`greenroom-hub serve` with a config file: 30 s heartbeats,
the production defaults) for the benchmarks that bring their own agents — the load
generator's identities (`greenroom-loadgen agents`). Started, signed in to, stopped on exit.
Standard library only."""
import json, os, secrets, subprocess, sys, tempfile, time

from demo import PASSWORD, call, free_port, keep_or_remove, stop


class Hub:
    """`with Hub(bin_dir) as h:` gives `h.base` (API), `h.agent_url` (agents' mTLS),
    `h.token` (the admin's bearer), `h.pid`, and `h.enroll(uses)` → (token, CA path)."""

    def __init__(self, bin_dir, heartbeat=30, log_level="WARN"):
        self.bin_dir, self.heartbeat, self.log_level = bin_dir, heartbeat, log_level

    def __enter__(self):
        self.data = tempfile.mkdtemp(prefix="greenroom-bench-hub-")
        port, agent_port = free_port(), free_port()
        self.base, self.agent_url = f"http://127.0.0.1:{port}", f"https://127.0.0.1:{agent_port}"
        self.config = os.path.join(self.data, "backend_config.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  listen: "127.0.0.1:{port}"
  agent_listen: "127.0.0.1:{agent_port}"
  agent_hostnames: ["127.0.0.1", "localhost"]
  data_dir: "{self.data}"
security:
  jwt_secret: "{secrets.token_hex(32)}"
  # 50 users sign in from one address in the API benchmark.
  login_rate_limit_per_minute: 10000
  rate_limit_per_minute: 6000
execution:
  heartbeat_interval: {self.heartbeat}
  offline_after_seconds: {self.heartbeat * 2 + 10}
logging:
  level: "{self.log_level}"
""")
        hub = os.path.join(self.bin_dir, "greenroom-hub")
        env = dict(os.environ, GREENROOM_PASSWORD=PASSWORD)
        subprocess.run([hub, "create-user", "--config", self.config, "--email", "admin@example.com", "--role", "admin"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            self.serve()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def serve(self):
        """Starts `greenroom-hub serve` on this hub's data and config, waits until it answers,
        signs the admin in (again, after a restart)."""
        hub = os.path.join(self.bin_dir, "greenroom-hub")
        log = open(os.path.join(self.data, "hub.log"), "ab")
        self.proc = subprocess.Popen([hub, "serve", "--config", self.config], stdout=log, stderr=log)
        self.pid = self.proc.pid
        for _ in range(600):
            try:
                call(self.base + "/healthz"); break
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit(f"the hub exited ({self.proc.returncode}); its log: {log.name}")
                time.sleep(0.1)
        self.token = self.login("admin@example.com")

    def login(self, email, password=PASSWORD):
        return call(self.base + "/api/v1/auth/login", {"email": email, "password": password})["access_token"]

    def enroll(self, uses):
        """An enrollment token for `uses` agents, and the CA file they must trust."""
        issued = call(self.base + "/api/v1/enrollment-tokens", {"uses": uses}, self.token)
        ca = os.path.join(self.data, "bench-ca.crt")
        with open(ca, "w") as f:
            f.write(issued["ca_pem"])
        return issued["token"], ca

    def servers(self):
        """Every registered server (REST pages of 500)."""
        out, page = [], 1
        while True:
            got = call(f"{self.base}/api/v1/servers?page_size=500&page={page}", token=self.token)
            out += got["items"]
            if len(out) >= got["total"] or not got["items"]:
                return out
            page += 1

    def __exit__(self, *exc):
        stop(self.proc, 60)
        keep_or_remove(self.data, "hub data and log")


class Fleet:
    """`with Fleet(bin_dir, hub, n) as f:` runs n load-generator identities against `hub`
    until every one has had a heartbeat accepted; `f.pid` is the load generator's."""

    def __init__(self, bin_dir, hub, agents, mode="noop", heartbeat=None, ledger=None, stderr=None):
        self.bin_dir, self.hub, self.agents, self.mode = bin_dir, hub, agents, mode
        self.heartbeat = heartbeat or hub.heartbeat
        self.ledger, self.stderr = ledger, stderr

    def __enter__(self):
        token, ca = self.hub.enroll(self.agents)
        args = [os.path.join(self.bin_dir, "greenroom-loadgen"), "agents", "--hub", self.hub.agent_url, "--ca", ca,
                "--agents", str(self.agents), "--heartbeat", str(self.heartbeat), "--mode", self.mode, "--status-every", "0"]
        if self.ledger:
            args += ["--ledger", self.ledger]
        err = open(self.stderr, "ab") if self.stderr else None
        self.proc = subprocess.Popen(args, env=dict(os.environ, LOADGEN_TOKEN=token), stdout=subprocess.PIPE, text=True,
                                     stderr=err)
        self.pid = self.proc.pid
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"the load generator exited ({self.proc.wait()}) before its agents were ready")
        self.ready = json.loads(line)
        return self

    def __exit__(self, *exc):
        stop(self.proc, 30)


def cpu_seconds(pid):
    """User + system CPU seconds a process has used (children excluded)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
