//! `deploy/` holds what this machine cannot run (no Docker engine here): the Dockerfile, the
//! compose file, the proxy's config and a hub config per environment. What can be checked
//! without containers is checked here: every environment's config passes the real hub's
//! `check-config` with the variables compose gives it, and the compose file, the Dockerfile,
//! the proxy and the scripts agree with each other and with those configs. The topology itself
//! runs without containers in `tests/replicas.rs` (`demo --replicas`).

mod common;

use common::hub_bin;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn deploy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(deploy().join(name)).unwrap_or_else(|e| panic!("deploy/{name}: {e}"))
}

#[test]
fn every_environments_config_is_valid_with_what_compose_gives_it() {
    for env in ["dev", "staging", "uat", "preprod"] {
        let out = std::process::Command::new(hub_bin())
            .arg("check-config")
            .arg(deploy().join("config").join(format!("{env}.yaml")))
            .env("MONGODB_URL", "mongodb://mongo:27017/?replicaSet=rs0")
            .env("REDIS_URL", "redis://redis:6379/0")
            .env("GREENROOM_JWT_SECRET", "x".repeat(48))
            .env("GREENROOM_ENCRYPTION_KEY", "")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = read(&format!("config/{env}.yaml"));
        // The names agents reach the hubs by are in the hubs' certificates.
        for host in ["proxy", "hub-1", "hub-2"] {
            assert!(text.contains(&format!("\"{host}\"")), "{env}: {host}");
        }
        // No secret is written in the file itself.
        assert!(text.contains("${GREENROOM_JWT_SECRET}"), "{env}");
    }
}

#[test]
fn compose_the_dockerfile_the_proxy_and_the_scripts_agree() {
    let compose: serde_yaml::Value = serde_yaml::from_str(&read("docker-compose.yml")).unwrap();
    let services: BTreeSet<String> = compose["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    for s in [
        "mongo",
        "redis",
        "hub-1",
        "hub-2",
        "proxy",
        "bootstrap",
        "agent-1",
        "agent-2",
        "agent-3",
    ] {
        assert!(services.contains(s), "no service {s}: {services:?}");
    }
    // MongoDB runs as a replica set (the hub uses transactions) and the hubs name it.
    let text = read("docker-compose.yml");
    assert!(text.contains("--replSet") && text.contains("replicaSet=rs0"));
    // Every file compose mounts from deploy/ exists (GREENROOM_ENV's default, dev).
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ");
        if let Some(src) = line.strip_prefix("./") {
            let src = src.replace("${GREENROOM_ENV:-dev}", "dev");
            let file = src.split(':').next().unwrap().to_string();
            assert!(
                deploy().join(&file).is_file(),
                "compose mounts deploy/{file}"
            );
        }
    }
    // The Dockerfile builds both targets compose uses, and what they run exists.
    let dockerfile = read("Dockerfile");
    for target in ["hub", "agent"] {
        assert!(
            dockerfile.contains(&format!(" AS {target}\n")),
            "Dockerfile target {target}"
        );
        assert!(text.contains(&format!("target: {target}")), "{target}");
    }
    assert!(dockerfile.contains("COPY deploy/agent-entrypoint.sh"));
    assert!(deploy().join("agent-entrypoint.sh").is_file());
    // The proxy balances both replicas on the ports their configs listen on.
    let proxy = read("haproxy.cfg");
    let dev = read("config/dev.yaml");
    for port in ["8000", "8443"] {
        assert!(
            dev.contains(&format!("0.0.0.0:{port}")),
            "hub listens on {port}"
        );
        for hub in ["hub-1", "hub-2"] {
            assert!(
                proxy.contains(&format!("{hub}:{port}")),
                "proxy → {hub}:{port}"
            );
        }
    }
    assert!(
        proxy.contains("mode tcp"),
        "agents' mTLS is passed through, not terminated"
    );
    // The agents enroll through the proxy with the token and CA the bootstrap writes.
    let bootstrap = read("bootstrap.sh");
    let entry = read("agent-entrypoint.sh");
    for file in ["/bootstrap/token", "/bootstrap/ca.crt"] {
        assert!(bootstrap.contains(file) && entry.contains(file), "{file}");
    }
    assert!(text.contains("https://proxy:8443"));
    // Verbs the scripts call exist in the binaries' help.
    let help = std::process::Command::new(hub_bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for verb in ["serve", "create-user", "enroll-token", "ca"] {
        assert!(help.contains(verb), "greenroom-hub {verb}");
    }
}
