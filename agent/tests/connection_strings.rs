//! Connection strings and their passwords on the `database_query` path:
//! - `connection_string_secrets` reads the password the agent's own drivers use
//!   (tokio-postgres for libpq key/value and PostgreSQL URLs, mysql_async for MySQL URLs),
//!   checked over generated passwords;
//! - the real agent binary (`run-once`) against real PostgreSQL (127.0.0.1:5432, trust
//!   auth, db `test`) and MariaDB (127.0.0.1:3306, root without password, db `test`): wrong
//!   password, unreachable host, bad URL, unknown dialect, key/value with spaces and quotes —
//!   no field of the result, and no log line, holds the password.

mod common;

use common::{local_config, run_once};
use greenroom_proto::secrets::connection_string_secrets;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::str::FromStr;

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn libpq_quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

fn libpq_word(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let esc = c.is_whitespace() || c == '\'' || c == '\\';
            esc.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

fn password() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 '\";@/:=?&#%{}\\\\*é€😀-]{1,20}").expect("regex")
}

/// What tokio-postgres would send as the password for `conn`, if it parses.
fn postgres_password(conn: &str) -> Option<String> {
    let cfg = tokio_postgres::Config::from_str(conn).ok()?;
    cfg.get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// What mysql_async would send as the password for `url`, if it parses.
fn mysql_password(url: &str) -> Option<String> {
    let opts = mysql_async::Opts::from_url(url).ok()?;
    opts.pass().map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_secrets_are_what_the_drivers_use(pw in password()) {
        let enc = percent_encode(&pw);
        // Well-formed strings: the driver reads exactly the generated password, and so do we.
        let exact = [
            format!("host=db user=app password='{}' dbname=app", libpq_quoted(&pw)),
            format!("host = db password = '{}' dbname = app", libpq_quoted(&pw)),
            format!("host=db user=app password={} dbname=app", libpq_word(&pw)),
            format!("postgresql://app:{enc}@db:5432/app?sslmode=disable"),
            format!("postgres://db/app?user=app&password={enc}"),
        ];
        for conn in &exact {
            prop_assert_eq!(postgres_password(conn), Some(pw.clone()), "tokio-postgres on {}", conn);
            prop_assert_eq!(connection_string_secrets(conn), vec![pw.clone()], "{}", conn);
        }
        let url = format!("mysql://app:{enc}@db:3306/app");
        prop_assert_eq!(mysql_password(&url), Some(pw.clone()), "mysql_async on {}", url);
        prop_assert_eq!(connection_string_secrets(&url), vec![pw.clone()], "{}", url);

        // Raw passwords in URLs (`@`, `/`, `:`, `%` unencoded): whatever the driver makes of
        // it is our first reading.
        let raw_pg = format!("postgresql://app:{pw}@db/app");
        if let Some(used) = postgres_password(&raw_pg).filter(|p| !p.is_empty()) {
            prop_assert_eq!(connection_string_secrets(&raw_pg).into_iter().next(), Some(used), "{}", raw_pg);
        }
        let raw_my = format!("mysql://app:{pw}@db/app");
        if let Some(used) = mysql_password(&raw_my).filter(|p| !p.is_empty()) {
            prop_assert_eq!(connection_string_secrets(&raw_my).into_iter().next(), Some(used), "{}", raw_my);
        }
    }
}

/// The distinctive part of every test password: no result may contain it.
const CORE: &str = "Sekr1tCore";

/// Runs a `database_query` on `conn` (directly or through `env:`) and checks that neither
/// the result nor the agent's stderr holds the password in any form. Returns the result.
fn run_without_leak(conn: &str, password: &str, query: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(dir.path(), "security:\n  allow_root: true\n");
    let (_, result, stderr) = run_once(
        &cfg,
        &json!({"type": "database_query", "connection_string": conn, "query": query}),
    );
    let text = result.to_string();
    for leak in [
        CORE.to_string(),
        password.to_string(),
        percent_encode(password),
    ] {
        assert!(
            !text.contains(&leak) && !stderr.contains(&leak),
            "{leak:?} leaked for {conn}:\n{result:#}\n{stderr}"
        );
    }
    result
}

fn failed_with(result: &Value, needle: &str) {
    assert_eq!(result["status"], "failed", "{result:#}");
    let text = result.to_string();
    assert!(text.contains(needle), "missing {needle:?}: {result:#}");
}

#[test]
fn postgresql_errors_and_results_never_show_the_password() {
    let pw = format!("{CORE} p@ss/w:rd 'q\"");
    let enc = percent_encode(&pw);
    // Unreachable (a closed port), URL and key/value with spaces and quotes.
    let r = run_without_leak(
        &format!("postgresql://postgres:{enc}@127.0.0.1:1/test"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "cannot connect to PostgreSQL");
    assert!(r.to_string().contains("postgres:***@127.0.0.1:1"), "{r:#}");
    let kv = format!(
        "host = 127.0.0.1 port = 1 user = postgres password = '{}' dbname = test",
        libpq_quoted(&pw)
    );
    let r = run_without_leak(&kv, &pw, "SELECT 1");
    failed_with(&r, "cannot connect to PostgreSQL");
    // A bad URL (the port is not a number): refused by the driver's parser.
    let r = run_without_leak(
        &format!("postgresql://postgres:{enc}@127.0.0.1:port/test"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "PostgreSQL");
    // Trust auth accepts any password: the query runs, and echoing the password through the
    // query's own output is redacted too.
    let kv = format!(
        "host=127.0.0.1 port=5432 user=postgres password='{}' dbname=test",
        libpq_quoted(&pw)
    );
    let query = format!("SELECT '{}' AS echo", pw.replace('\'', "''"));
    let r = run_without_leak(&kv, &pw, &query);
    assert_eq!(r["status"], "success", "{r:#}");
    assert!(r["output"].as_str().unwrap().contains("***"), "{r:#}");
    // A database that does not exist: the server's own error.
    let r = run_without_leak(
        &format!("postgresql://postgres:{enc}@127.0.0.1:5432/no_such_db_xyz"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "no_such_db_xyz");
}

#[test]
fn mariadb_errors_never_show_the_password() {
    let pw = format!("{CORE} p@ss/w:rd 'q\"");
    let enc = percent_encode(&pw);
    // Wrong password: root has none.
    let r = run_without_leak(
        &format!("mysql://root:{enc}@127.0.0.1:3306/test"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "Access denied");
    let r = run_without_leak(
        &format!("mariadb://root:{enc}@127.0.0.1:1/test"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "cannot connect to MySQL");
    // mysql_async quotes a bad parameter value in its error: here, the password.
    let r = run_without_leak(
        &format!("mysql://root:{enc}@127.0.0.1:3306/test?pool_min={enc}"),
        &pw,
        "SELECT 1",
    );
    failed_with(&r, "connection_string");
    // A URL that does not parse (raw space and quote in the authority).
    let r = run_without_leak(
        &format!("mysql://root:{pw}@127.0.0.1:3306/test"),
        &pw,
        "SELECT 1",
    );
    assert_eq!(r["status"], "failed", "{r:#}");
}

#[test]
fn unknown_dialects_are_refused_without_echoing_the_string() {
    let pw = format!("{CORE}-pw");
    for conn in [
        format!("Server=127.0.0.1;Database=test;User Id=sa;Password={pw};"),
        format!("oracle://scott:{pw}@127.0.0.1/orcl"),
        pw.clone(),
    ] {
        let r = run_without_leak(&conn, &pw, "SELECT 1");
        failed_with(&r, "not");
        failed_with(&r, "sqlite:PATH");
        assert!(
            !r.to_string().contains("127.0.0.1"),
            "the string is not echoed: {r:#}"
        );
    }
}

#[test]
fn a_connection_string_from_the_environment_is_sanitized_too() {
    let pw = format!("{CORE}-env");
    let dir = tempfile::tempdir().unwrap();
    let cfg = local_config(dir.path(), "security:\n  allow_root: true\n");
    let out = std::process::Command::new(common::agent_bin())
        .args(["run-once", "--config"])
        .arg(&cfg)
        .arg("--action")
        .arg(
            json!({"type": "database_query", "connection_string": "env:GR_SECRET_DB", "query": "SELECT 1"})
                .to_string(),
        )
        .env(
            "GR_SECRET_DB",
            format!("Data Source=db;Password={pw};Initial Catalog=x"),
        )
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(CORE), "{text}");
    assert!(text.contains("sqlite:PATH"), "{text}");
}
