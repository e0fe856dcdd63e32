//! Every operation through the real agent binary (`run-once`), against real services on
//! loopback: PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306 (each test makes its
//! own table and drops it), SQLite files, a local HTTP server, a local TLS server.

mod common;

use common::{local_config, run_once};
use serde_json::{Value, json};
use std::path::Path;

fn config(dir: &Path) -> std::path::PathBuf {
    local_config(dir, "security:\n  allow_root: true\n")
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000_007
}

fn check<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {r}"))
}

#[test]
fn shell_command_reports_output_exit_code_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let (code, r, _) = run_once(
        &config(dir.path()),
        &json!({"type": "shell_command", "command": "echo out; echo err >&2; head -c 20000000 /dev/zero | wc -c; exit 3", "environment_vars": {"X": "1"}}),
    );
    assert_eq!(code, 1);
    assert_eq!(
        (r["status"].as_str(), r["exit_code"].as_i64()),
        (Some("failed"), Some(3)),
        "{r}"
    );
    assert_eq!(r["output"], "out\n20000000\n");
    assert_eq!(r["error_output"], "err\n");
    assert!(
        r["resource_usage"]["memory_mb"].as_f64().unwrap() > 0.0,
        "{r}"
    );
    assert!(r["execution_time"].as_f64().unwrap() > 0.0);
    let (code, r, _) = run_once(
        &config(dir.path()),
        &json!({"type": "shell_command", "command": "printf %s \"$X\"", "environment_vars": {"X": "yes"}, "working_directory": "/tmp"}),
    );
    assert_eq!((code, r["output"].as_str()), (0, Some("yes")), "{r}");
}

#[test]
fn file_validation_reports_each_check_with_what_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("data.txt");
    std::fs::write(&f, "hello world\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let sha = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
    let checks = [
        "exists",
        "readable",
        "writable",
        "is_file",
        "size_lt_mb:1",
        "modified_within:1h",
        "owner:root",
        "mode:0640",
        "contains:world",
        &format!("sha256:{sha}"),
    ];
    let (code, r, _) = run_once(
        &config(dir.path()),
        &json!({"type": "file_validation", "path": f, "checks": checks}),
    );
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["checks"].as_array().unwrap().len(), checks.len());
    assert_eq!(check(&r, "mode:0640")["observed"], "0640");
    let (code, r, _) = run_once(
        &config(dir.path()),
        &json!({"type": "file_validation", "path": f, "checks": ["is_dir", "executable", "size_gt_mb:100", "mode:0644", "contains:absent", "owner:nobody"]}),
    );
    assert_eq!(code, 1);
    assert!(
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == false),
        "{r}"
    );
    assert_eq!(check(&r, "size_gt_mb:100")["observed"], "0.00 MB");
    assert_eq!(check(&r, "owner:nobody")["observed"], "root");
}

#[test]
fn database_queries_against_postgresql_with_env_secrets_and_read_only_mode() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let table = unique("gr_agent_pg");
    let url = "postgresql://postgres@127.0.0.1:5432/test";
    let setup = |sql: String| {
        let (code, r, _) = run_once(
            &cfg,
            &json!({"type": "database_query", "connection_string": url, "query": sql, "allow_writes": true}),
        );
        assert_eq!(code, 0, "{r}");
    };
    setup(format!("CREATE TABLE {table} (id int, name text)"));
    setup(format!(
        "INSERT INTO {table} VALUES (1, 'a'), (2, 'b'), (3, NULL)"
    ));
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url, "query": format!("SELECT COUNT(*) FROM {table}"), "expected_result_type": "scalar", "expected_range": {"min": 1, "max": 10}}),
    );
    assert_eq!(code, 0, "{r}");
    assert_eq!(check(&r, "expected_range")["observed"], "3");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url, "query": format!("SELECT * FROM {table} ORDER BY id"), "expected_result_type": "rows", "expected_range": {"min": 5}}),
    );
    assert_eq!(code, 1, "{r}");
    assert!(r["output"].as_str().unwrap().contains("3\tNULL"), "{r}");
    // Refused before it reaches the database, and again by the read-only transaction.
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url, "query": format!("DELETE FROM {table}")}),
    );
    assert_eq!(code, 1);
    assert!(
        r["error_output"].as_str().unwrap().contains("allow_writes"),
        "{r}"
    );
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url, "query": format!("WITH d AS (DELETE FROM {table} RETURNING 1) SELECT COUNT(*) FROM d")}),
    );
    assert_eq!(code, 1);
    assert!(r["output"].as_str().unwrap().contains("read-only"), "{r}");
    // A connection string from the agent's environment; its password never shows.
    let out = std::process::Command::new(common::agent_bin())
        .args(["run-once", "--config"]).arg(&cfg)
        .arg("--action").arg(json!({"type": "database_query", "connection_string": "env:GR_TEST_DB", "query": "SELECT 1"}).to_string())
        .env("GR_TEST_DB", "postgresql://postgres:hunter2-secret@127.0.0.1:1/test")
        .output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("cannot connect"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && text.contains("postgres:***@"),
        "{text}"
    );
    setup(format!("DROP TABLE {table}"));
}

#[test]
fn database_queries_against_mariadb_and_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let table = unique("gr_agent_my");
    let url = "mysql://root@127.0.0.1:3306/test";
    let write = |sql: String| {
        let (code, r, _) = run_once(
            &cfg,
            &json!({"type": "database_query", "connection_string": url, "query": sql, "allow_writes": true}),
        );
        assert_eq!(code, 0, "{r}");
    };
    write(format!("CREATE TABLE {table} (id int, name varchar(10))"));
    write(format!("INSERT INTO {table} VALUES (1, 'a'), (2, 'b')"));
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url.replace("mysql:", "mariadb:"), "query": format!("SELECT id, name FROM {table} WHERE id = 2"), "expected_result_type": "row", "expected_range": {"min": 2, "max": 2}}),
    );
    assert_eq!(code, 0, "{r}");
    assert!(r["output"].as_str().unwrap().contains("2\tb"), "{r}");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": url, "query": format!("SELECT COUNT(*) FROM {table}"), "expected_result_type": "scalar", "expected_range": {"max": 1}}),
    );
    assert_eq!(code, 1, "{r}");
    assert_eq!(check(&r, "expected_range")["observed"], "2");
    write(format!("DROP TABLE {table}"));

    let db = dir.path().join("app.db");
    let sqlite = format!("sqlite:{}", db.display());
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (5), (7);")
        .unwrap();
    drop(c);
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": sqlite, "query": "SELECT SUM(x) FROM t", "expected_result_type": "scalar", "expected_range": {"min": 12, "max": 12}}),
    );
    assert_eq!(code, 0, "{r}");
    // Even a statement that slips past the keyword check cannot write: the file is opened read-only.
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": sqlite, "query": "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a"}),
    );
    assert_eq!(code, 1, "{r}");
    assert!(
        r["output"].as_str().unwrap().contains("readonly")
            || r["output"].as_str().unwrap().contains("read-only"),
        "{r}"
    );
}

/// A one-shot HTTP server answering every request with `status` and `body`.
fn http_server(status: u16, body: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn http_check_service_health_tcp_port_process_and_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let port = http_server(200, r#"{"status":"healthy","db":{"ok":true,"lag":3}}"#);
    let url = format!("http://127.0.0.1:{port}/health");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "http_check", "url": url, "expected_status": 200, "body_contains": "healthy", "json": {"db": {"ok": true}}, "headers": {"X-Probe": "1"}}),
    );
    assert_eq!(code, 0, "{r}");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "http_check", "url": url, "json": {"status": "down"}}),
    );
    assert_eq!(code, 1);
    assert!(!check(&r, "json")["passed"].as_bool().unwrap(), "{r}");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "service_health", "health_endpoint": url, "expected_response": {"status": "healthy"}}),
    );
    assert_eq!(code, 0, "{r}");
    let bad = http_server(503, "{}");
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "service_health", "service_name": "no-such-service-xyz", "health_endpoint": format!("http://127.0.0.1:{bad}/")}),
    );
    assert_eq!(code, 1);
    assert_eq!(check(&r, "status")["observed"], "503");
    assert!(!check(&r, "service")["passed"].as_bool().unwrap(), "{r}");

    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "tcp_port", "host": "127.0.0.1", "port": port}),
    );
    assert_eq!(code, 0, "{r}");
    let (code, _, _) = run_once(
        &cfg,
        &json!({"type": "tcp_port", "host": "127.0.0.1", "port": 1, "timeout": 2}),
    );
    assert_eq!(code, 1);

    let mut sleeper = std::process::Command::new("sleep")
        .arg("77.5")
        .spawn()
        .unwrap();
    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "process_running", "pattern": "sleep 77.5", "min_count": 1}),
    );
    let (code2, _, _) = run_once(
        &cfg,
        &json!({"type": "process_running", "name": "sleep", "min_count": 1}),
    );
    let (code3, _, _) = run_once(
        &cfg,
        &json!({"type": "process_running", "name": "no-such-process-xyz"}),
    );
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!((code, code2, code3), (0, 0, 1), "{r}");

    let (code, r, _) = run_once(
        &cfg,
        &json!({"type": "disk_free", "path": "/", "min_free_percent": 0.001, "min_free_mb": 1}),
    );
    assert_eq!(code, 0, "{r}");
    let (code, _, _) = run_once(
        &cfg,
        &json!({"type": "disk_free", "path": "/", "min_free_percent": 100}),
    );
    assert_eq!(code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_certificate_expiry_reads_an_untrusted_certificate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let ca = greenroom_pki::CertificateAuthority::load_or_create(&dir.path().join("ca")).unwrap();
    let (cert, key) = ca.issue_server_certificate(&["localhost".into()]).unwrap();
    let tls = greenroom_pki::hub_server_config(ca.cert_pem(), &cert, &key).unwrap();
    // The hub's config asks for, but does not require, a client certificate.
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    let action = json!({"type": "tls_certificate_expiry", "host": "127.0.0.1", "port": port, "server_name": "localhost", "min_days_remaining": 1});
    let (code, r, _) = tokio::task::spawn_blocking(move || run_once(&cfg, &action))
        .await
        .unwrap();
    assert_eq!(code, 1, "untrusted: {r}");
    assert!(
        check(&r, "days_remaining")["passed"].as_bool().unwrap(),
        "{r}"
    );
    let trusted = check(&r, "trusted");
    assert!(
        !trusted["passed"].as_bool().unwrap()
            && trusted["observed"]
                .as_str()
                .unwrap()
                .contains("UnknownIssuer"),
        "{r}"
    );
}
