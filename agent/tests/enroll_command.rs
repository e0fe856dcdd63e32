//! `greenroom-agent enroll` end to end against the real hub binary: refusals (wrong CA
//! fingerprint, bad token, unreachable hub, unwritable config path, already enrolled) are
//! one line each and leave no config behind nor spend the token; a successful enrollment by
//! fingerprint writes the config (without the token), the CA and the identity; `--force`
//! with `--ca-file` enrolls again; then `greenroom-agent run` with the written config picks
//! up the identity and runs a job. Run as root, the service user named does not exist, so
//! the files stay with the caller (the ownership decision itself is unit-tested).

mod common;

use common::{Agent, Hub, agent_bin, closed_port};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn enroll(hub: &str, token: &str, ca: &[&str], config: &Path, state: &Path, extra: &[&str]) -> Out {
    let out = Command::new(agent_bin())
        .arg("enroll")
        .args(["--hub", hub, "--token", token])
        .args(ca)
        .args(["--server-id", "enroll-01", "--environment", "staging"])
        .args(["--tag", "agent-it", "--tag", "web"])
        .arg("--config")
        .arg(config)
        .arg("--state-dir")
        .arg(state)
        .args(["--service-user", "greenroom-no-such-user-xyz"])
        .args(extra)
        .output()
        .expect("run greenroom-agent enroll");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn refused(out: &Out, needle: &str) {
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(
        out.stderr.contains(needle),
        "missing {needle:?}: {}",
        out.stderr
    );
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_writes_config_ca_and_identity_and_the_daemon_runs_with_them() {
    let hub = Hub::start().await;
    let url = format!("https://127.0.0.1:{}", hub.agent_port);
    let ca_text = std::fs::read_to_string(hub.ca_path()).unwrap();
    let fp = greenroom_pki::fingerprint_pem(&ca_text).unwrap();
    // As `openssl x509 -fingerprint -sha256` prints it: upper case with colons.
    let fp_colons = fp
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc").join("agent_config.yaml");
    let state = dir.path().join("state");
    let token = hub.enroll_token();
    let pinned = ["--ca-sha256", fp_colons.as_str()];

    // Refusals: nothing written, the token not spent.
    let wrong = "ab".repeat(32);
    let out = enroll(&url, &token, &["--ca-sha256", &wrong], &config, &state, &[]);
    refused(
        &out,
        &format!(
            "the hub's CA fingerprint is {fp}, not the {wrong} you gave: do not trust this hub"
        ),
    );
    let out = enroll(&url, "not-a-token", &pinned, &config, &state, &[]);
    refused(&out, "enrollment refused by the hub");
    let dead = format!("https://127.0.0.1:{}", closed_port());
    let out = enroll(
        &dead,
        &token,
        &["--ca-file", hub.ca_path().to_str().unwrap()],
        &config,
        &state,
        &[],
    );
    refused(&out, "cannot reach the hub at");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let out = enroll(
        &url,
        &token,
        &pinned,
        &blocker.join("agent_config.yaml"),
        &state,
        &[],
    );
    refused(&out, "not-a-dir");
    assert!(!config.exists() && !state.join("agent.crt").exists());
    assert!(!config.with_file_name("agent_config.yaml.new").exists());

    // Enrolled by fingerprint, with the same token.
    let out = enroll(&url, &token, &pinned, &config, &state, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("systemctl enable --now greenroom-agent"),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        !written.contains(&token),
        "the token is never written: {written}"
    );
    assert!(
        written.contains(&format!("backend_urls: [\"{url}\"]")),
        "{written}"
    );
    assert_eq!(mode(&config), 0o640);
    let ca_written = std::fs::read_to_string(config.with_file_name("ca.crt")).unwrap();
    assert_eq!(greenroom_pki::fingerprint_pem(&ca_written).unwrap(), fp);
    assert_eq!(mode(&state.join("agent.key")), 0o600);
    assert_eq!(mode(&state), 0o700);
    let first_cert = std::fs::read_to_string(state.join("agent.crt")).unwrap();
    let check = Command::new(agent_bin())
        .arg("check-config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Enrolled already: refused unless --force (here with --ca-file and a new token).
    let again = hub.enroll_token();
    let out = enroll(&url, &again, &pinned, &config, &state, &[]);
    refused(&out, "already enrolled");
    let ca_path = hub.ca_path();
    let ca_file = ["--ca-file", ca_path.to_str().unwrap()];
    let out = enroll(&url, &again, &ca_file, &config, &state, &["--force"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_ne!(
        std::fs::read_to_string(state.join("agent.crt")).unwrap(),
        first_cert
    );

    // The daemon picks up the identity (this test runs as root: allow it, and let the OS
    // pick the health port).
    let runnable = written
        .replace("security:\n", "security:\n  allow_root: true\n")
        .replace("health_check_port: 8081", "health_check_port: 0")
        .replace("heartbeat_interval: 30", "heartbeat_interval: 2");
    std::fs::write(&config, runnable).unwrap();
    let agent = Agent::start(&config);
    let admin = hub.login().await;
    hub.wait_online(&admin, "enroll-01").await;
    let id = hub
        .execute(
            &admin,
            "enroll-01",
            json!({"type": "shell_command", "command": "echo enrolled-in-one-line"}),
        )
        .await;
    let done = hub.finished(&admin, &id, 60).await;
    assert_eq!(
        done["results"]["details"][0]["status"],
        "success",
        "{done}\n{}",
        agent.log()
    );
    assert_eq!(
        done["results"]["details"][0]["output"], "enrolled-in-one-line\n",
        "{done}"
    );
    assert!(
        !agent.log().contains("enrolled\""),
        "no second enrollment: {}",
        agent.log()
    );
}

/// The command the hub hands out with a new token (the dashboard's Agents page shows it) is
/// the one that enrolls a server: run as given, with only this test's paths added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enroll_command_the_hub_hands_out_enrolls_a_server() {
    let hub = Hub::start().await;
    let admin = hub.login().await;
    let (status, issued) = hub
        .post(
            "/api/v1/enrollment-tokens",
            Some(&admin),
            json!({"uses": 1}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let fp =
        greenroom_pki::fingerprint_pem(&std::fs::read_to_string(hub.ca_path()).unwrap()).unwrap();
    assert_eq!(issued["ca_sha256"], fp.as_str(), "{issued}");
    assert_eq!(
        issued["hub_url"],
        format!("https://127.0.0.1:{}", hub.agent_port),
        "{issued}"
    );
    let command = issued["enroll_command"].as_str().expect("enroll_command");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&words[..2], ["greenroom-agent", "enroll"], "{command}");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent_config.yaml");
    let state = dir.path().join("state");
    let out = Command::new(agent_bin())
        .args(&words[1..])
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(&state)
        .args([
            "--server-id",
            "handed-out-01",
            "--service-user",
            "greenroom-no-such-user-xyz",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("enrolled as handed-out-01"), "{stdout}");
    // Not the packaged paths, so the service is not started; the next step is printed.
    assert!(
        stdout.contains("next: systemctl enable --now greenroom-agent"),
        "{stdout}"
    );
    assert!(state.join("agent.crt").exists());
}
