//! The command line: `check-config` and `--version`.

use std::process::Command;

fn agent() -> Command {
    Command::new(env!("CARGO_BIN_EXE_greenroom-agent"))
}

#[test]
fn check_config_prints_ok_or_one_error_line_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        format!(
            "agent:\n  backend_url: https://hub:8443\n  ca_cert: {}\n",
            ca.display()
        ),
    )
    .unwrap();
    let out = agent().arg("check-config").arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("agent:\n  backend_url: https://hub:8443\n  ca_cert: {}\nmonitoring:\n  health_check_port: high\n", ca.display()),
    )
    .unwrap();
    let out = agent().arg("check-config").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.yaml") && err.contains("monitoring.health_check_port"),
        "{err}"
    );

    let out = agent()
        .args(["run", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "run refuses a bad config the same way"
    );
}

#[test]
fn version_is_printed() {
    let out = agent().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("greenroom-agent {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn check_config_names_an_invalid_glob_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let file = dir.path().join("globs.yaml");
    std::fs::write(
        &file,
        format!(
            "agent:\n  backend_url: https://hub:8443\n  ca_cert: {}\nsecurity:\n  allowed_commands: [\"/usr/bin/*\", \"/opt/[scripts\"]\n  forbidden_paths: [\"/etc/{{a,b\"]\n",
            ca.display()
        ),
    )
    .unwrap();
    let out = agent().arg("check-config").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    for needle in [
        "security.allowed_commands[1]: \"/opt/[scripts\" is not a valid glob",
        "security.forbidden_paths[0]: \"/etc/{a,b\" is not a valid glob",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
}
