//! Test support shared by the store contract suite and the integration tests: the MongoDB
//! server they run against. That is the server at `MONGODB_URL` when it is set (`make test`
//! starts one for the whole run), otherwise a SecantusDB server this process starts itself
//! (installed by `scripts/secantus.sh` into `target/`, killed when the process ends). Each
//! caller gets a database of its own. Not used by the hub itself.

use crate::store::codec::Codec;
use crate::store::mongo::MongoStore;
use std::sync::OnceLock;

static URL: OnceLock<String> = OnceLock::new();

/// Starts SecantusDB for this process; its URL.
fn start_secantus() -> String {
    use std::os::unix::process::CommandExt as _;
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let scratch = root.join("target/secantus/scratch");
    // Data left by test processes that are gone.
    for old in std::fs::read_dir(&scratch).into_iter().flatten().flatten() {
        let name = old.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().unwrap_or_default();
        if !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
    let dir = scratch.join(format!("{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create SecantusDB dir");
    let mut cmd = std::process::Command::new(bin);
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--log-level",
        "WARNING",
        "--storage-path",
    ])
    .arg(dir.join("data"))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    // SAFETY: prctl in the child before exec, only async-signal-safe work.
    unsafe {
        cmd.pre_exec(|| {
            nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGKILL);
            Ok(())
        });
    }
    std::mem::forget(cmd.spawn().expect("start secantusd-py"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "SecantusDB did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    format!("mongodb://127.0.0.1:{port}/")
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
