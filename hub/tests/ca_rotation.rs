//! CA rotation against the real hub and agent binaries over mTLS: stage, activate and finish
//! with agents running, stopped and never told, and a corrupt staged key.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `greenroom-hub ca <args> --config <hub's>`: (success, stdout, stderr).
fn ca(hub: &Hub, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(hub_bin())
        .arg("ca")
        .args(args)
        .arg("--config")
        .arg(&hub.config)
        .output()
        .expect("run greenroom-hub ca");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn fingerprint(path: &Path) -> String {
    greenroom_pki::fingerprint_pem(&read(path)).unwrap()
}

fn certs_in(path: &Path) -> usize {
    read(path).matches("BEGIN CERTIFICATE").count()
}

async fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn credentials(hub: &Hub, token: &str, id: &str) -> Value {
    let (status, s) = hub.get(&format!("/api/v1/servers/{id}"), Some(token)).await;
    assert_eq!(status, 200, "{s}");
    s["credentials"].clone()
}

async fn wait_credentials(hub: &Hub, token: &str, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    hub.wait_for(&format!("/api/v1/servers/{id}"), token, 30, |v| {
        f(&v["credentials"])
    })
    .await["credentials"]
        .clone()
}

async fn echo_on(hub: &Hub, token: &str, server: &str, text: &str) {
    let id = start_execution(
        hub,
        token,
        json!({"action": {"type": "shell_command", "command": format!("echo {text}")}, "target_servers": [server]}),
    )
    .await;
    let done = wait_final(hub, token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(
        (d["status"].as_str(), d["output"].as_str()),
        (Some("success"), Some(format!("{text}\n").as_str())),
        "{done}"
    );
}

/// An mTLS client for the agent listener with an agent's files and `trust` as roots.
fn client_as(agent: &Path, trust: &str) -> reqwest::Client {
    agent_client(
        greenroom_pki::agent_client_config(
            trust,
            Some((
                &read(&agent.join("agent.crt")),
                &read(&agent.join("agent.key")),
            )),
        )
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_moves_every_agent_to_the_new_ca_without_stranding_one() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let pki = hub.dir.path().join("pki");
    let a = hub.agent("rot-a", "dev");
    let mut b = hub.agent("rot-b", "dev");
    let mut c = hub.agent("rot-c", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["rot-a", "rot-b", "rot-c"]).await;
    let old_ca = fingerprint(&hub.ca_path());
    for id in ["rot-a", "rot-b", "rot-c"] {
        let cred = credentials(&hub, &token, id).await;
        assert_eq!(cred["issuer_fingerprint"], old_ca, "{id}: {cred}");
    }
    c.kill(); // C never hears of the next CA.

    // 1. Stage: running agents fetch the two-CA bundle at their next heartbeat.
    let (ok, out, err) = ca(&hub, &["rotate", "stage"]);
    assert!(ok, "{out}{err}");
    let next_ca = fingerprint(&pki.join("ca-next.crt"));
    assert!(out.contains(&next_ca), "{out}");
    let bundle_sha = greenroom_pki::bundle_sha256_pem(&format!(
        "{}{}",
        read(&hub.ca_path()),
        read(&pki.join("ca-next.crt"))
    ))
    .unwrap();
    for agent in [&a, &b] {
        until("the agent to save the two-CA bundle", 30, || {
            certs_in(&agent.state.join("ca.crt")) == 2
        })
        .await;
        wait_credentials(&hub, &token, &agent.server_id, |c| {
            c["trust_bundle_sha256"] == bundle_sha.as_str()
        })
        .await;
    }
    let (ok, status, err) = ca(&hub, &["status"]);
    assert!(ok, "{err}");
    assert!(
        status.contains(&format!("next      {next_ca}"))
            && status.contains("agents holding it: 2 of 3"),
        "{status}"
    );
    let metrics = hub.text("/metrics", None).await;
    for role in ["active", "next"] {
        assert!(
            metrics.contains(&format!(
                "greenroom_ca_certificate_expiry_timestamp_seconds{{ca=\"{role}\"}}"
            )),
            "{metrics}"
        );
    }
    b.kill(); // B holds the bundle but is down during the activation.

    // 2. Activate: refused while C cannot trust the next CA; forced.
    let (ok, _, err) = ca(&hub, &["rotate", "activate"]);
    assert!(
        !ok && err.contains("rot-c") && !err.contains("rot-b"),
        "{err}"
    );
    assert_eq!(fingerprint(&hub.ca_path()), old_ca, "nothing moved");
    let before = credentials(&hub, &token, "rot-a").await["certificate_fingerprint"].clone();
    let (ok, out, err) = ca(&hub, &["rotate", "activate", "--force"]);
    assert!(ok, "{out}{err}");
    assert_eq!(fingerprint(&hub.ca_path()), next_ca);
    // A is told to renew at its next heartbeat and gets a certificate from the new CA.
    let cred = wait_credentials(&hub, &token, "rot-a", |c| {
        c["issuer_fingerprint"] == next_ca.as_str() && c["certificate_fingerprint"] != before
    })
    .await;
    until("A's new certificate on disk", 10, || {
        greenroom_pki::fingerprint_pem(&read(&a.state.join("agent.crt"))).ok()
            == cred["certificate_fingerprint"].as_str().map(str::to_string)
    })
    .await;
    echo_on(&hub, &token, "rot-a", "after-activation").await;
    // The hub presents a certificate from the new CA: a client trusting only it gets in.
    let as_a = client_as(&a.state, &read(&hub.ca_path()));
    let resp = as_a
        .get(format!(
            "https://127.0.0.1:{}/agent/v1/trust-bundle",
            hub.agent_port
        ))
        .send()
        .await
        .expect("the hub's certificate is from the new CA");
    let bundle: Value = resp.json().await.unwrap();
    assert_eq!(
        bundle["trust_bundle_sha256"],
        bundle_sha.as_str(),
        "{bundle}"
    );

    // 3. Finish: refused while B and C are on the old CA.
    let (ok, _, err) = ca(&hub, &["rotate", "finish"]);
    assert!(
        !ok && err.contains("rot-b") && err.contains("rot-c"),
        "{err}"
    );
    // B comes back: it trusts the new hub certificate (the bundle), its old certificate is
    // still accepted, and it renews at once.
    b.respawn();
    wait_credentials(&hub, &token, "rot-b", |c| {
        c["issuer_fingerprint"] == next_ca.as_str()
    })
    .await;
    let (ok, _, err) = ca(&hub, &["rotate", "finish"]);
    assert!(
        !ok && err.contains("rot-c") && !err.contains("rot-b"),
        "{err}"
    );
    // C's old certificate passes the TLS handshake until the finish (and is refused by
    // the revocation); revoking C lets the rotation finish.
    let as_c = client_as(&c.state, &read(&hub.ca_path()));
    let hb = json!({"protocol_version": 1, "facts": {}, "metrics": {}});
    let heartbeat_url = format!("https://127.0.0.1:{}/agent/v1/heartbeat", hub.agent_port);
    let (status, _) = hub
        .post("/api/v1/servers/rot-c/revoke", Some(&token), json!({}))
        .await;
    assert_eq!(status, 200);
    let resp = as_c.post(&heartbeat_url).json(&hb).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let (ok, out, err) = ca(&hub, &["rotate", "finish"]);
    assert!(ok, "{out}{err}");
    assert!(pki.join("retired").join(format!("{old_ca}.crt")).is_file());
    assert!(!pki.join("ca-retiring.key").exists() && !pki.join("ca-retiring.crt").exists());

    // After the finish a certificate from the old CA is refused at the handshake.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let as_c = client_as(&c.state, &read(&hub.ca_path()));
        match as_c.post(&heartbeat_url).json(&hb).send().await {
            Err(_) => break,
            Ok(r) => assert!(
                Instant::now() < deadline,
                "the old CA's certificate still gets answers: {}",
                r.status()
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The agents on the new CA keep working, with the one-CA bundle.
    for agent in [&a, &b] {
        until("the agent to save the one-CA bundle", 30, || {
            certs_in(&agent.state.join("ca.crt")) == 1
        })
        .await;
    }
    echo_on(&hub, &token, "rot-b", "after-finish").await;
    let (ok, status, _) = ca(&hub, &["status"]);
    assert!(
        ok && status.contains("rotation: none under way"),
        "{status}"
    );
    for (name, agent) in [("A", &a), ("B", &b)] {
        assert!(!agent.log().contains("panicked"), "{name}: {}", agent.log());
    }
    assert!(!hub.log().contains("panicked"), "{}", hub.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_staged_key_is_named_and_the_running_hub_keeps_its_cas() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let pki = hub.dir.path().join("pki");
    let (ok, out, err) = ca(&hub, &["rotate", "stage"]);
    assert!(ok, "{out}{err}");
    let active = fingerprint(&hub.ca_path());
    let staged_key = std::fs::read(pki.join("ca-next.key")).unwrap();
    until("the hub to follow the staged CA", 15, || {
        hub.log().contains("the CA changed in the store")
    })
    .await;

    // The hub's copy of the CA is damaged on disk: the running hub logs it, keeps its CAs,
    // and agents still enroll and work.
    std::fs::write(pki.join("ca-next.key"), "garbage").unwrap();
    until("the hub to log the bad file", 15, || {
        let log = hub.log();
        log.contains("cannot reload the certificate authorities") && log.contains("ca-next.key")
    })
    .await;
    let _agent = hub.agent("after-corrupt", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["after-corrupt"]).await;
    echo_on(&hub, &token, "after-corrupt", "still-serving").await;
    // The store keeps the CA every hub shares: the next `ca` command puts the copy right.
    let (ok, out, err) = ca(&hub, &["status"]);
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(pki.join("ca-next.key")).unwrap(), staged_key);

    // Damaged in the store itself: every verb names the file and changes nothing.
    let (dir, config) = hub.stop();
    corrupt_in_store(&config, "ca-next.key").await;
    for args in [
        &["status"][..],
        &["rotate", "activate"],
        &["rotate", "activate", "--force"],
    ] {
        let out = Command::new(hub_bin())
            .arg("ca")
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("ca-next.key") && err.trim().lines().count() == 1,
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        fingerprint(&dir.path().join("pki/ca.crt")),
        active,
        "nothing moved"
    );

    // And a hub refuses to start on it, naming the file.
    let mut serve = Command::new(hub_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = serve.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = serve.kill();
            panic!("the hub started with a corrupt ca-next.key");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut serve.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success() && err.contains("ca-next.key"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Replaces one of the CA's files in the store (as someone with write access to it could).
async fn corrupt_in_store(config: &Path, file: &str) {
    let cfg = greenroom_hub::config::Config::load(config).unwrap();
    let store = greenroom_hub::store::open(&cfg).await.unwrap();
    let mut saved = store.pki_files().await.unwrap().unwrap();
    saved.files.insert(file.to_string(), b"garbage".to_vec());
    assert!(
        store
            .put_pki_files(&saved.files, Some(saved.version))
            .await
            .unwrap()
    );
}
