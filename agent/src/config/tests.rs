//! Tests of `agent_config.yaml` parsing and validation.

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    ca: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    Fixture { _dir: dir, ca }
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn a_minimal_file_gets_the_documented_defaults() {
    let f = fixture();
    let yaml = format!(
        "agent:\n  backend_url: https://127.0.0.1:8443/\n  ca_cert: {}\n",
        f.ca.display()
    );
    let cfg = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect("valid");
    assert_eq!(cfg.agent.server_id, crate::metrics::hostname());
    assert_eq!(cfg.backend_urls(), vec!["https://127.0.0.1:8443"]);
    assert_eq!(
        cfg.agent.state_dir,
        PathBuf::from("/var/lib/greenroom-agent")
    );
    assert_eq!(cfg.auth_token(), None);
    assert_eq!(cfg.agent.renew_before_expiry_percent, 33.0);
    assert_eq!(cfg.execution.max_concurrent_jobs, 3);
    assert_eq!(cfg.execution.default_timeout, 300);
    assert_eq!(cfg.execution.log_level, LogLevel::Info);
    assert!(cfg.security.allowed_commands.is_empty());
    assert_eq!(cfg.security.resource_limits.memory_mb, None);
    assert_eq!(cfg.monitoring.heartbeat_interval, 30);
    assert!(cfg.monitoring.metrics_collection);
    assert_eq!(cfg.monitoring.health_check_port, 8081);
    assert_eq!(
        cfg.monitoring.health_check_bind,
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
}

#[test]
fn the_specification_example_parses_with_extensions_and_vars() {
    let f = fixture();
    let yaml = format!(
        r#"
agent:
  server_id: "nonprod-web-01"
  backend_url: "https://127.0.0.1:8443"
  auth_token: "${{AGENT_AUTH_TOKEN}}"
  ca_cert: "{}"
  state_dir: "${{STATE:-/srv/agent}}"
  environment: staging
  server_group: web-tier
  tags: ["nginx", "php"]
execution:
  max_concurrent_jobs: 3
  default_timeout: 300
  temp_directory: "/tmp/automation"
  log_level: "debug"
security:
  allowed_commands: ["/usr/bin/*", "/opt/scripts/*"]
  forbidden_paths: ["/etc/passwd", "/root/*"]
  resource_limits: {{ cpu_percent: 80, memory_mb: 512, execution_time: 600 }}
monitoring:
  heartbeat_interval: 30
  metrics_collection: true
  health_check_port: 8081
  health_check_bind: "0.0.0.0"
"#,
        f.ca.display()
    );
    let env = |k: &str| (k == "AGENT_AUTH_TOKEN").then(|| "tok-123".to_string());
    let cfg = AgentConfig::from_yaml_with(&yaml, "a.yaml", env).expect("valid");
    assert_eq!(cfg.auth_token(), Some("tok-123"));
    assert_eq!(cfg.agent.state_dir, PathBuf::from("/srv/agent"));
    assert_eq!(cfg.execution.log_level, LogLevel::Debug);
    assert_eq!(cfg.security.resource_limits.memory_mb, Some(512));
    assert_eq!(cfg.agent.tags, vec!["nginx", "php"]);
    assert!(
        !format!("{cfg:?}").contains("tok-123"),
        "the token must not be printed"
    );
}

#[test]
fn a_bad_field_is_named_in_the_one_error_line() {
    let f = fixture();
    let yaml = format!(
        "agent:\n  backend_url: https://h\n  ca_cert: {}\nexecution:\n  max_concurrent_jobs: lots\n",
        f.ca.display()
    );
    let err = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect_err("invalid");
    assert!(
        err.0
            .starts_with("a.yaml: field `execution.max_concurrent_jobs`"),
        "{err}"
    );
    assert!(!err.0.contains('\n'), "{err}");

    let yaml = format!(
        "agent:\n  backend_url: https://h\n  ca_cert: {}\n  colour: red\n",
        f.ca.display()
    );
    let err = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect_err("invalid");
    assert!(err.0.contains("colour"), "{err}");
}

#[test]
fn missing_backend_url_and_unset_variables_are_refused() {
    let f = fixture();
    let yaml = format!("agent:\n  ca_cert: {}\n", f.ca.display());
    let err = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect_err("invalid");
    assert!(err.0.contains("backend_url"), "{err}");

    // The token's variable may be unset (it is only needed until enrolled)…
    let yaml = format!(
        "agent:\n  backend_url: https://h\n  ca_cert: {}\n  auth_token: \"${{AGENT_AUTH_TOKEN}}\"\n",
        f.ca.display()
    );
    let cfg = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect("valid");
    assert_eq!(cfg.auth_token(), None);
    // …any other one may not.
    let yaml = format!(
        "agent:\n  backend_url: https://h\n  ca_cert: {}\n  environment: ${{ENV_NAME}}\n",
        f.ca.display()
    );
    let err = AgentConfig::from_yaml_with(&yaml, "a.yaml", no_env).expect_err("invalid");
    assert!(err.0.contains("ENV_NAME is not set"), "{err}");
}

#[test]
fn renew_before_expiry_percent_is_checked() {
    let f = fixture();
    let with = |v: &str| {
        format!(
            "agent:\n  backend_url: https://h\n  ca_cert: {}\n  renew_before_expiry_percent: {v}\n",
            f.ca.display()
        )
    };
    for ok in ["1", "50", "99", "99.999"] {
        let cfg = AgentConfig::from_yaml_with(&with(ok), "a.yaml", no_env).expect(ok);
        assert_eq!(
            cfg.agent.renew_before_expiry_percent,
            ok.parse::<f64>().unwrap()
        );
    }
    for bad in ["0", "0.5", "100", "150", "-3", ".nan"] {
        let err = AgentConfig::from_yaml_with(&with(bad), "a.yaml", no_env).expect_err(bad);
        assert!(
            err.0.starts_with(
                "a.yaml: agent.renew_before_expiry_percent: must be at least 1 and below 100"
            ),
            "{bad}: {err}"
        );
    }
    let err = AgentConfig::from_yaml_with(&with("soon"), "a.yaml", no_env).expect_err("text");
    assert!(err.0.contains("agent.renew_before_expiry_percent"), "{err}");
}

#[test]
fn validation_reports_every_problem_at_once() {
    let yaml = "agent:\n  server_id: ../x\n  backend_url: http://h\n  ca_cert: /nonexistent/ca.crt\n\
                execution:\n  max_concurrent_jobs: 0\n  log_level: Warning\n\
                security:\n  allowed_commands: [\"bin/*\"]\n  forbidden_paths: [\"/srv/[x\", \"/opt/a**\"]\n";
    let err = AgentConfig::from_yaml_with(yaml, "a.yaml", no_env).expect_err("invalid");
    for needle in [
        "agent.server_id",
        "agent.backend_url: must be an https",
        "agent.ca_cert: cannot read /nonexistent/ca.crt",
        "execution.max_concurrent_jobs",
        "security.allowed_commands[0]",
        "security.forbidden_paths[0]: \"/srv/[x\" is not a valid glob",
        "security.forbidden_paths[1]: \"/opt/a**\" uses `**` inside a path component",
    ] {
        assert!(err.0.contains(needle), "missing {needle:?} in {err}");
    }
    let err = AgentConfig::from_yaml_with(
        "agent:\n  backend_url: https://h\n  ca_cert: /x\nexecution:\n  log_level: loud\n",
        "a.yaml",
        no_env,
    )
    .expect_err("invalid");
    assert!(
        err.0.contains("execution.log_level") && err.0.contains("unknown log level"),
        "{err}"
    );
}

#[test]
fn several_hub_addresses_are_accepted_and_checked_at_once() {
    let f = fixture();
    let with = |agent: &str| format!("agent:\n{agent}  ca_cert: {}\n", f.ca.display());
    let cfg = AgentConfig::from_yaml_with(
        &with("  backend_urls: [\"https://hub-a:8443/\", \"https://hub-b:8443\"]\n"),
        "a.yaml",
        no_env,
    )
    .expect("valid");
    assert_eq!(
        cfg.backend_urls(),
        vec!["https://hub-a:8443", "https://hub-b:8443"]
    );
    let err = AgentConfig::from_yaml_with(
        &with("  backend_url: https://hub-a:8443\n  backend_urls: [\"https://hub-b:8443\"]\n"),
        "a.yaml",
        no_env,
    )
    .expect_err("both");
    assert!(
        err.0
            .contains("agent.backend_url and agent.backend_urls: give one of them, not both"),
        "{err}"
    );
    let err = AgentConfig::from_yaml_with(
        &with("  backend_urls: [\"http://hub-a\", \"https://\", \"not a url\", \"https://hub-b\", \"https://hub-b/\"]\n"),
        "a.yaml",
        no_env,
    )
    .expect_err("bad urls");
    for needle in [
        "agent.backend_urls[0]: must be an https:// URL",
        "agent.backend_urls[1]",
        "agent.backend_urls[2]",
        "agent.backend_urls[4]: \"https://hub-b/\" is listed twice",
    ] {
        assert!(err.0.contains(needle), "missing {needle:?} in {err}");
    }
    assert!(!err.0.contains("backend_urls[3]"), "{err}");
    let err = AgentConfig::from_yaml_with(&with("  backend_urls: []\n"), "a.yaml", no_env)
        .expect_err("empty");
    assert!(
        err.0.contains("agent.backend_urls: must list at least one"),
        "{err}"
    );
}
