//! The hub on MongoDB, through the real binaries: the demo on `--mongodb-url`, two hubs
//! sharing one database (sessions, executions and output are in the store, so whichever hub
//! serves a request answers it), and a wrong or unreachable `database:` section as one clear
//! line. The MongoDB server is `MONGODB_URL` or a SecantusDB this test starts
//! (`greenroom_hub::testkit`). The rest of the integration suite runs on MongoDB too when
//! `GREENROOM_TEST_STORE=mongodb` (`make test` does both).

mod common;

use common::*;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_runs_on_mongodb() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let database = greenroom_hub::testkit::database_name();
    let url = greenroom_hub::testkit::mongodb_url();
    let _demo = Proc(
        Command::new(hub_bin())
            .args(["demo", "--agents", "2", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--mongodb-url", &url, "--database-name", &database])
            .arg("--agent-bin")
            .arg(agent_bin())
            .env("GREENROOM_ADMIN_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let http = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let token = loop {
        assert!(Instant::now() < deadline, "the demo did not come up");
        if let Ok(r) = client
            .post(format!("{http}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN, "password": PASSWORD}))
            .send()
            .await
            && r.status().is_success()
        {
            let v: serde_json::Value = r.json().await.unwrap();
            break v["access_token"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let servers = loop {
        assert!(
            Instant::now() < deadline,
            "the demo's agents did not come online"
        );
        let v: serde_json::Value = client
            .get(format!("{http}/api/v1/servers"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<String> = v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .filter(|s| s["status"]["current"] == "idle")
            .map(|s| s["server_id"].as_str().unwrap().to_string())
            .collect();
        if ids.len() == 2 {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let started: serde_json::Value = client
        .post(format!("{http}/api/v1/executions"))
        .bearer_auth(&token)
        .json(&json!({"action": {"type": "shell_command", "command": "echo on-mongo"}, "target_servers": servers}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["execution_id"].as_str().unwrap().to_string();
    let done = loop {
        assert!(Instant::now() < deadline, "the execution did not finish");
        let v: serde_json::Value = client
            .get(format!("{http}/api/v1/executions/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["status"]["overall"] == "completed" {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["results"]["success_count"], 2, "{done}");
    // The truth is in the MongoDB database, not in the data dir.
    assert!(
        !dir.path().join("greenroom.db").exists(),
        "the demo made a SQLite store"
    );
    let db = mongodb::Client::with_uri_str(&url)
        .await
        .unwrap()
        .database(&database);
    let stored = db
        .collection::<mongodb::bson::Document>("executions")
        .count_documents(mongodb::bson::doc! {"_id": &id})
        .await
        .unwrap();
    assert_eq!(
        stored, 1,
        "the execution is not in the executions collection"
    );
    let lines = db
        .collection::<mongodb::bson::Document>("job_output")
        .count_documents(mongodb::bson::doc! {"execution_id": &id, "data": {"$regex": "on-mongo"}})
        .await
        .unwrap();
    assert_eq!(lines, 2, "each server's output line is in the store once");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hubs_on_one_database_answer_for_each_other() {
    let database = greenroom_hub::testkit::database_name();
    let section = mongodb_section(&database);
    let dir_a = tempfile::tempdir().unwrap();
    let cfg_a = write_config(dir_a.path(), &section);
    let a = Hub::start_in(dir_a, cfg_a).await;
    let _agent = a.agent("two-01", "dev");
    let dir_b = tempfile::tempdir().unwrap();
    let cfg_b = write_config(dir_b.path(), &section);
    let b = Hub::start_in(dir_b, cfg_b).await;

    // A session made on A is good on B: sessions are in the store.
    let token = a.login().await;
    wait_idle(&a, &token, &["two-01"]).await;
    let (status, servers) = b.get("/api/v1/servers", Some(&token)).await;
    assert_eq!(status, 200, "{servers}");
    assert!(servers.to_string().contains("two-01"), "{servers}");

    // An execution run through A is read, output included, from B.
    let id = start_execution(
        &a,
        &token,
        json!({"action": {"type": "shell_command", "command": "printf 'one\\ntwo\\n'"}, "target_servers": ["two-01"]}),
    )
    .await;
    wait_final(&a, &token, &id, 30).await;
    let done = wait_final(&b, &token, &id, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    let (_, logs) = b
        .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
        .await;
    let text = logs.to_string();
    assert!(text.contains("one") && text.contains("two"), "{logs}");

    // Signing out everywhere on B ends the session on A.
    let resp = b
        .client
        .post(format!("{}/api/v1/auth/logout?everywhere=true", b.http))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{resp:?}");
    let (status, _) = a.get("/api/v1/servers", Some(&token)).await;
    assert_eq!(status, 401, "a session ended on B still works on A");
}

#[test]
fn a_wrong_or_unreachable_database_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "database:\n  mongodb_url: \"http://db.example:27017\"\n",
            "database.mongodb_url",
        ),
        (
            "database:\n  mongodb_url: \"mongodb://127.0.0.1:27017\"\n  database_name: \"a.b\"\n",
            "database.database_name",
        ),
        (
            "database:\n  mongodb_url: \"mongodb://127.0.0.1:27017\"\n  connection_pool_size: 0\n",
            "database.connection_pool_size",
        ),
        (
            "database:\n  mongodb_url: \"mongodb://greenroom:hunter2-pw@127.0.0.1:1/?serverSelectionTimeoutMS=500\"\n",
            "127.0.0.1:1",
        ),
    ];
    for (section, named) in cases {
        let cfg = write_config(dir.path(), section);
        let out = Command::new(hub_bin())
            .args(["serve", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{section}: the hub started");
        assert!(err.contains(named), "{section}: {err}");
        assert!(!err.contains("panicked"), "{section}: {err}");
        assert!(
            !err.contains("hunter2-pw"),
            "the password is in the error: {err}"
        );
    }
}
