//! Backup and restore through the real binaries (`greenroom-hub backup` / `restore`): a hub
//! with an agent, an execution with output, a template with a secret default, a schedule, a
//! lock and their audit trail is backed up, its data dir wiped, and the file restored into a
//! new SQLite store and across into a new MongoDB database. Each time everything is found
//! again (a second backup of the restored store holds the same records), the audit chain
//! verifies, secrets stay sealed and write-only, and the agent — never re-enrolled — keeps
//! working with the restored CA.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

/// Runs a hub verb on a config: success, stdout and stderr.
fn verb(args: &[&str], config: &Path) -> (bool, String, String) {
    let out = Command::new(hub_bin())
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The record lines of a backup file: its header (with its own time) left out, and sealed
/// values (sealed anew, with a fresh nonce, whenever they are written) reduced to a marker.
fn records(file: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut out = String::new();
            let mut rest = l;
            while let Some(i) = rest.find("sealed1:") {
                out.push_str(&rest[..i]);
                out.push_str("sealed");
                rest = &rest[i..];
                rest = &rest[rest.find('"').unwrap_or(rest.len())..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// A config on fixed ports with this store section (empty: SQLite in the data dir, named
/// so the suite's own store choice does not apply).
fn config(dir: &Path, http: u16, agents: u16, store: &str) -> std::path::PathBuf {
    let store = if store.is_empty() {
        format!(
            "database:\n  sqlite_path: {:?}\n",
            dir.join("greenroom.db").display().to_string()
        )
    } else {
        store.to_string()
    };
    write_config_with(
        dir,
        FAST,
        &format!("127.0.0.1:{http}"),
        &format!("127.0.0.1:{agents}"),
        &store,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_restores_everything_into_sqlite_and_into_mongodb() {
    let (http, agents) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    // The source runs on whichever store the suite runs on (GREENROOM_TEST_STORE).
    let source_store = store_section();
    let cfg = config(dir.path(), http, agents, &source_store);
    let hub = Hub::start_in(dir, cfg).await;
    let _agent = hub.agent("bk-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["bk-01"]).await;

    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Greet", "category": "system", "action_type": "execution",
                   "parameters": {"who": {"type": "string", "required": true},
                                  "key": {"type": "secret", "default": "s3cret-default-value"}},
                   "command_template": "echo hello {who}"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let template = t["id"].as_str().unwrap().to_string();
    let id = start_execution(
        &hub,
        &token,
        json!({"action_template_id": template, "parameters": {"who": "backed-up-world"}, "target_servers": ["bk-01"]}),
    )
    .await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    let (status, s) = hub
        .post(
            "/api/v1/schedules",
            Some(&token),
            json!({"name": "nightly", "trigger": {"type": "cron", "expression": "0 0 3 * * *"},
                   "execution": {"action": {"type": "shell_command", "command": "echo nightly"}, "target_servers": ["bk-01"]}}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    let schedule = s["id"].as_str().unwrap().to_string();
    let (status, lock) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "bk-01", "reason": "backup drill", "ttl_minutes": 60}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    let mongo_source = hub.mongodb();
    let (dir, cfg) = hub.stop();

    // The backup: one file, 0600 (it holds the CA's key), every record and the CA.
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("greenroom.backup");
    let (ok, out, err) = verb(&["backup", "--out", file.to_str().unwrap()], &cfg);
    assert!(ok, "backup failed: {err}");
    assert!(out.contains("records"), "{out}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let backed_up = records(&file);
    assert!(
        backed_up
            .iter()
            .any(|l| l.contains("\"file\":\"pki/ca.key\"")),
        "the CA's key is not in the backup"
    );
    // A second backup to the same path is refused, not overwritten.
    let (ok, _, err) = verb(&["backup", "--out", file.to_str().unwrap()], &cfg);
    assert!(!ok && err.contains("must not exist"), "{err}");
    // A restore into the store it came from is refused: it is not empty.
    let (ok, _, err) = verb(&["restore", "--from", file.to_str().unwrap()], &cfg);
    assert!(!ok && err.contains("not empty"), "{err}");
    // Not a backup: one clear line.
    let junk = work.path().join("junk");
    std::fs::write(&junk, "{\"hello\": 1}\n").unwrap();
    let (ok, _, err) = verb(&["restore", "--from", junk.to_str().unwrap()], &cfg);
    assert!(!ok && err.contains("not a Greenroom backup"), "{err}");

    // The original is gone: its data dir (the CA with it) and its database.
    drop(dir);
    if let Some((url, name)) = mongo_source {
        mongodb::Client::with_uri_str(&url)
            .await
            .unwrap()
            .database(&name)
            .drop()
            .await
            .unwrap();
    }

    let targets = [
        ("sqlite", String::new()),
        (
            "mongodb",
            mongodb_section(&greenroom_hub::testkit::database_name()),
        ),
    ];
    for (target, store) in targets {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), http, agents, &store);
        let (ok, out, err) = verb(&["restore", "--from", file.to_str().unwrap()], &cfg);
        assert!(ok, "{target}: restore failed: {err}");
        assert!(out.contains("records"), "{target}: {out}");
        // Everything came back: a backup of the restored store holds the same records and files.
        let again = work.path().join(format!("{target}.backup"));
        let (ok, _, err) = verb(&["backup", "--out", again.to_str().unwrap()], &cfg);
        assert!(ok, "{target}: {err}");
        let restored = records(&again);
        let missing: Vec<_> = backed_up.difference(&restored).take(3).collect();
        let extra: Vec<_> = restored.difference(&backed_up).take(3).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{target}: restored store differs\nmissing {missing:?}\nextra {extra:?}"
        );
        // A CA already in place is not replaced without --replace-ca.
        let other = tempfile::tempdir().unwrap();
        let other_cfg = config(other.path(), http, agents, "");
        std::fs::create_dir_all(other.path().join("pki")).unwrap();
        std::fs::copy(
            dir.path().join("pki/ca.crt"),
            other.path().join("pki/ca.crt"),
        )
        .unwrap();
        let (ok, _, err) = verb(&["restore", "--from", file.to_str().unwrap()], &other_cfg);
        assert!(!ok && err.contains("--replace-ca"), "{target}: {err}");

        let hub = Hub::start_in(dir, cfg).await;
        let token = hub.login().await;
        let (_, e) = hub
            .get(&format!("/api/v1/executions/{id}"), Some(&token))
            .await;
        assert_eq!(e["status"]["overall"], "completed", "{target}: {e}");
        let (_, logs) = hub
            .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
            .await;
        assert!(
            logs.to_string().contains("hello backed-up-world"),
            "{target}: the output did not come back: {logs}"
        );
        let (_, t) = hub
            .get(&format!("/api/v1/actions/{template}"), Some(&token))
            .await;
        assert_eq!(t["name"], "Greet", "{target}: {t}");
        assert!(
            !t.to_string().contains("s3cret-default-value"),
            "{target}: a secret default is answered after a restore: {t}"
        );
        let (status, _) = hub
            .get(&format!("/api/v1/schedules/{schedule}"), Some(&token))
            .await;
        assert_eq!(status, 200, "{target}: the schedule is gone");
        let (_, locks) = hub.get("/api/v1/locks", Some(&token)).await;
        assert!(
            locks.to_string().contains("backup drill"),
            "{target}: the lock is gone: {locks}"
        );
        let (_, v) = hub.get("/api/v1/audit/verify", Some(&token)).await;
        assert_eq!(v["intact"], true, "{target}: {v}");
        let bytes = hub.store_bytes().await;
        assert!(
            !bytes
                .windows(b"s3cret-default-value".len())
                .any(|w| w == b"s3cret-default-value"),
            "{target}: the secret default is in the restored store in clear"
        );
        // The agent was never re-enrolled: its certificate, from the restored CA, still works.
        let release = hub
            .client
            .delete(format!(
                "{}/api/v1/locks/{}",
                hub.http,
                lock["lock_id"].as_str().unwrap()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(release.status().is_success(), "{target}: {release:?}");
        let next = start_execution(
            &hub,
            &token,
            json!({"action": {"type": "shell_command", "command": format!("echo after-{target}-restore")}, "target_servers": ["bk-01"]}),
        )
        .await;
        let done: Value = wait_final(&hub, &token, &next, 60).await;
        assert!(
            done["results"]["details"][0]["output"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("after-{target}-restore")),
            "{target}: {done}"
        );
        hub.stop();
    }
}
