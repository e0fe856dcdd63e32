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


class Demo:
    """`with Demo(bin_dir, agents) as d:` gives `d.base`, `d.port`, `d.token`, `d.targets`."""

    def __init__(self, bin_dir, agents):
        self.bin_dir, self.agents = bin_dir, agents

    def __enter__(self):
        self.port, self.data = free_port(), tempfile.mkdtemp(prefix="greenroom-bench-")
        env = dict(os.environ, GREENROOM_ADMIN_PASSWORD=PASSWORD)
        self.proc = subprocess.Popen([os.path.join(self.bin_dir, "greenroom-hub"), "demo", "--listen", f"127.0.0.1:{self.port}",
                                      "--agents", str(self.agents), "--data-dir", self.data, "--log-level", "WARN"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            self._wait_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_up(self):
        for _ in range(600):
            try:
                call(self.base + "/healthz"); break
            except OSError:
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
        for _ in range(1800):
            servers = call(self.base + "/api/v1/servers?page_size=500", token=self.token)
            if servers["total"] == self.agents and all(s["status"]["current"] == "idle" for s in servers["items"]):
                break
            time.sleep(0.2)
        else:
            sys.exit(f"agents did not come up ({servers['total']} of {self.agents})")
        self.targets = [s["server_id"] for s in servers["items"]]

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.data, ignore_errors=True)
