//! Test support shared by the hub's unit tests and its integration tests. Not used by the
//! hub itself.
//!
//! - The MongoDB server: the one at `MONGODB_URL` when it is set (`make test` starts one for
//!   the whole run), otherwise a SecantusDB server this process starts itself (installed by
//!   `scripts/secantus.sh` into `target/`, killed when the process ends). Each caller gets a
//!   database of its own.
//! - [`Redis`]: a `redis-server` of the test's own; [`Secantus`]: a SecantusDB server of the
//!   test's own, both restartable.

use crate::store::codec::Codec;
use crate::store::mongo::MongoStore;
use std::sync::OnceLock;

static URL: OnceLock<String> = OnceLock::new();

/// A test server process on a port of its own, started by `command`, killed (SIGKILL) when
/// dropped; `restart` kills it and starts it again on the same port.
struct Daemon {
    port: u16,
    what: &'static str,
    ready_secs: u64,
    command: Box<dyn Fn(u16) -> std::process::Command + Send + Sync>,
    child: Option<std::process::Child>,
}

impl Daemon {
    fn start(
        what: &'static str,
        ready_secs: u64,
        command: impl Fn(u16) -> std::process::Command + Send + Sync + 'static,
    ) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut d = Daemon {
            port,
            what,
            ready_secs,
            command: Box::new(command),
            child: None,
        };
        d.spawn();
        d
    }

    fn spawn(&mut self) {
        let mut cmd = (self.command)(self.port);
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        self.child = Some(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", self.what)),
        );
        wait_for_port(self.port, self.ready_secs, self.what);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn restart(&mut self, down_for: std::time::Duration) {
        self.kill();
        std::thread::sleep(down_for);
        self.spawn();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A SecantusDB server of its own (`scripts/secantus.sh` installs it into `target/`) on a free
/// port, its data under `target/secantus/scratch/<pid>-<port>` (what test processes that are
/// gone left there is removed), killed when the test process ends or the value is dropped;
/// `restart` kills it (SIGKILL) and starts it again on the same port and data.
pub struct Secantus(Daemon);

impl Secantus {
    pub fn start() -> Secantus {
        Self::start_with(&[])
    }

    /// A server that a test kills (SIGKILL) and starts again, durable as a replica-set
    /// mongod is: every commit reaches its journal before it is acknowledged
    /// (`--sync-on-commit`; mongod's default majority write concern implies `j: true`). By
    /// default SecantusDB acknowledges a commit while its journal record is still in the
    /// process's memory, so a SIGKILL lost writes acknowledged a second earlier (seen: an
    /// execution gone after the restart, in about one run of three).
    pub fn start_durable() -> Secantus {
        Self::start_with(&["--sync-on-commit"])
    }

    fn start_with(extra: &'static [&'static str]) -> Secantus {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/secantus.sh"))
            .arg("bin")
            .output()
            .expect("run scripts/secantus.sh");
        assert!(
            out.status.success(),
            "installing SecantusDB failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let scratch = root.join("target/secantus/scratch");
        for old in std::fs::read_dir(&scratch).into_iter().flatten().flatten() {
            let name = old.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().unwrap_or_default();
            if !std::path::Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        Secantus(Daemon::start("SecantusDB", 60, move |port| {
            use std::os::unix::process::CommandExt as _;
            let dir = scratch.join(format!("{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create SecantusDB dir");
            let mut cmd = std::process::Command::new(&bin);
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--log-level", "WARNING", "--storage-path"])
                .arg(dir.join("data"))
                .args(extra);
            // SAFETY: see `signal_on_parent_death`.
            unsafe {
                cmd.pre_exec(crate::demo::signal_on_parent_death(nix::libc::SIGKILL));
            }
            cmd
        }))
    }

    pub fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}/", self.0.port)
    }

    /// Kills the server (SIGKILL) and, after `down_for`, starts it again on its data.
    pub fn restart(&mut self, down_for: std::time::Duration) {
        self.0.restart(down_for);
    }
}

/// Waits until something accepts connections on 127.0.0.1:`port`; panics after `secs`.
fn wait_for_port(port: u16, secs: u64, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start within {secs} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Starts SecantusDB for this process (it lives as long as the process); its URL.
fn start_secantus() -> String {
    let s = Secantus::start();
    let url = s.url();
    // The server outlives every test of the process; `signal_on_parent_death` ends it.
    std::mem::forget(s);
    url
}

/// The MongoDB server's URL for this test process.
pub fn mongodb_url() -> String {
    URL.get_or_init(|| match std::env::var("MONGODB_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => start_secantus(),
    })
    .clone()
}

/// A fresh database name for one test.
pub fn database_name() -> String {
    format!("greenroom_test_{}", uuid::Uuid::new_v4().simple())
}

/// A MongoDB store on a database of its own.
pub async fn mongo_store(codec: Codec) -> MongoStore {
    let url = mongodb_url();
    let db = database_name();
    MongoStore::open(&url, &db, 20, codec)
        .await
        .unwrap_or_else(|e| panic!("MongoDB at {url}: {e}"))
}

/// A `redis-server` of the test's own on a free port (no persistence), killed when dropped;
/// `restart` kills it and starts an empty one on the same port.
pub struct Redis(Daemon);

impl Redis {
    pub fn start() -> Redis {
        Redis(Daemon::start(
            "redis-server (apt-get install -y redis-server; make test installs it)",
            10,
            |port| {
                let mut cmd = std::process::Command::new("redis-server");
                cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no"]);
                cmd
            },
        ))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.0.port)
    }

    /// Kills the server (everything in it is lost) and, after `down_for`, starts an empty one.
    pub fn restart(&mut self, down_for: std::time::Duration) {
        self.0.restart(down_for);
    }

    /// Kills the server (everything in it is lost) until [`Self::start_again`].
    pub fn stop(&mut self) {
        self.0.kill();
    }

    /// Starts an empty server again on the same port, after [`Self::stop`].
    pub fn start_again(&mut self) {
        self.0.spawn();
    }
}
