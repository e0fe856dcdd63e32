//! The policy through the real agent binary: every refusal names its rule and nothing runs;
//! memory, CPU and wall-time limits; the timeout kills the whole process group; the output
//! cap keeps head and tail; the daemon refuses to start as root unless allowed.

mod common;

use common::{local_config, run_once};
use serde_json::json;
use std::time::Duration;

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|r| r.trim_start().starts_with(['Z', 'X']))
        })
        .is_some_and(|zombie| !zombie)
}

#[test]
fn refusals_name_the_rule_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::write(secret.join("key"), "k").unwrap();
    let marker = dir.path().join("ran");
    let cfg = local_config(
        dir.path(),
        &format!(
            "security:\n  allow_root: true\n  allowed_commands: [\"/usr/bin/*\", \"/bin/*\"]\n  forbidden_paths: [\"{}/*\", \"/etc/shadow\"]\n",
            secret.display()
        ),
    );
    let touch = format!("touch {}", marker.display());
    let cases = [
        (
            json!({"type": "shell_command", "command": format!("{touch}; /opt/not-allowed/tool")}),
            "security.allowed_commands",
        ),
        (
            json!({"type": "shell_command", "command": format!("{touch}; echo $(id)")}),
            "cannot be checked",
        ),
        (
            json!({"type": "shell_command", "command": format!("{touch}; cat {}/key", secret.display())}),
            "security.forbidden_paths",
        ),
        (
            json!({"type": "shell_command", "command": format!("{touch}; cat < /etc/shadow")}),
            "\"/etc/shadow\"",
        ),
        (
            json!({"type": "shell_command", "command": touch.clone(), "working_directory": secret}),
            "working directory",
        ),
        (
            json!({"type": "shell_command", "command": format!("{touch} {}/../secret/x", secret.display()), "shell": false}),
            "security.forbidden_paths",
        ),
        (
            json!({"type": "file_validation", "path": secret.join("key"), "checks": ["exists"]}),
            "the file",
        ),
        (
            json!({"type": "database_query", "connection_string": format!("sqlite:{}/key", secret.display()), "query": "SELECT 1"}),
            "database file",
        ),
    ];
    for (action, needle) in cases {
        let (code, r, _) = run_once(&cfg, &action);
        assert_eq!(code, 1, "{action}: {r}");
        let why = format!(
            "{}{}",
            r["error_output"].as_str().unwrap(),
            r["output"].as_str().unwrap()
        );
        assert!(why.contains("refused"), "{action}: {r}");
        assert!(
            why.contains(needle),
            "{action}: expected {needle:?} in {why}"
        );
        assert!(!marker.exists(), "{action} ran although refused");
    }
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "shell_command", "command": "ls /tmp | head -1; cat /etc/hostname"}),
    );
    assert_eq!(code, 0, "allowed commands run: {r}");
}

#[test]
fn memory_and_cpu_limits_stop_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(
        dir.path(),
        "security:\n  allow_root: true\n  resource_limits:\n    memory_mb: 64\n    cpu_percent: 10\n",
    );
    // 200 MB held in a shell variable: over RLIMIT_AS (or the group watchdog).
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "shell_command", "command": "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}", "timeout": 30}),
    );
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["status"], "failed", "{r}");
    assert!(!r["output"].as_str().unwrap().contains("survived"), "{r}");
    // 10% of a 10 s timeout = 1 s of CPU: a busy loop is stopped by RLIMIT_CPU long before.
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "shell_command", "command": "while :; do :; done", "timeout": 10}),
    );
    assert_eq!((code, r["status"].as_str()), (1, Some("failed")), "{r}");
    assert!(
        r["error_output"].as_str().unwrap().contains("SIGXCPU")
            || r["error_output"]
                .as_str()
                .unwrap()
                .contains("CPU time limit"),
        "{r}"
    );
}

#[test]
fn the_wall_time_limit_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(
        dir.path(),
        "security:\n  allow_root: true\n  resource_limits:\n    execution_time: 1\n",
    );
    let pidfile = dir.path().join("bg.pid");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "shell_command", "command": format!("sleep 300 & echo $! > {}; (sleep 300; echo orphan) & sleep 300", pidfile.display()), "timeout": 600}),
    );
    assert_eq!((code, r["status"].as_str()), (1, Some("timeout")), "{r}");
    assert!(
        r["error_output"]
            .as_str()
            .unwrap()
            .contains("timed out after 1 s"),
        "{r}"
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "background child {pid} outlived the job"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn output_is_capped_keeping_head_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(
        dir.path(),
        "execution:\n  max_output_kb: 1\nsecurity:\n  allow_root: true\n",
    );
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "shell_command", "command": "seq 1 100000"}),
    );
    assert_eq!(code, 0, "{r}");
    let out = r["output"].as_str().unwrap();
    assert!(r["truncated"].as_bool().unwrap(), "{r}");
    assert!(
        out.starts_with("1\n2\n3\n") && out.ends_with("99999\n100000\n"),
        "{out}"
    );
    assert!(
        out.contains("bytes omitted") && out.len() < 1200,
        "{}",
        out.len()
    );
    assert!(
        r["error_output"]
            .as_str()
            .unwrap()
            .contains("output truncated"),
        "{r}"
    );
}

#[test]
fn the_daemon_refuses_to_run_as_root_unless_allowed() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: nothing to check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(dir.path(), "");
    let out = std::process::Command::new(common::agent_bin())
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to run as root") && err.contains("security.allow_root"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.path().join("state").exists(), "nothing was started");
}
