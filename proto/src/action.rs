//! Operations an agent can run: a tagged enum on `type`, with the specification's payloads.
//!
//! Validation that needs no server (required fields, ranges) lives here so the hub rejects a
//! malformed action before it is queued and the agent refuses it again before it runs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest timeout an action may ask for, in seconds (one day).
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    ShellCommand(ShellCommand),
    FileValidation(FileValidation),
    ServiceHealth(ServiceHealth),
    DatabaseQuery(DatabaseQuery),
    HttpCheck(HttpCheck),
    TcpPort(TcpPort),
    ProcessRunning(ProcessRunning),
    DiskFree(DiskFree),
    TlsCertificateExpiry(TlsCertificateExpiry),
}

/// Run a command. The command line is parsed into argv on the agent (no shell) unless
/// `shell` is true, in which case it is run by `/bin/sh -c`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellCommand {
    pub command: String,
    /// Seconds; the agent's `execution.default_timeout` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment_vars: BTreeMap<String, String>,
    #[serde(default = "default_true")]
    pub shell: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileValidation {
    pub path: String,
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceHealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_endpoint: Option<String>,
    /// A JSON value the endpoint's body must contain (objects: a subset match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_response: Option<serde_json::Value>,
    /// The HTTP status the endpoint must answer; any 2xx when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// Run one query against PostgreSQL (`postgres://`, `postgresql://`), MySQL / MariaDB
/// (`mysql://`, `mariadb://`) or SQLite (`sqlite:PATH`). `connection_string` may be
/// `env:VAR_NAME`: the agent reads it from its own environment, so secrets stay out of
/// templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseQuery {
    pub connection_string: String,
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_result_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_range: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Statements other than SELECT / WITH / SHOW / EXPLAIN / VALUES are refused, and the
    /// query runs in a read-only transaction, unless this is true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_writes: bool,
}

/// Request a URL and check the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub url: String,
    /// `GET` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Any 2xx when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// A JSON value the body must contain (objects: a subset match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// Check that a TCP port accepts connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpPort {
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// Check that at least `min_count` processes run whose name is `name` (exactly) or whose
/// command line contains `pattern`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessRunning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
}

/// Check free space on the filesystem holding `path` (as `df` counts it, for non-root users).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskFree {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_free_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_free_mb: Option<u64>,
}

/// Connect with TLS and check the certificate the server presents: days until it expires,
/// and (as its own check) whether it is trusted by the system's roots for `server_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsCertificateExpiry {
    pub host: String,
    /// 443 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// SNI and the name checked for trust; `host` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// 14 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_remaining: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl Action {
    /// The wire name of the operation, e.g. `shell_command`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::ShellCommand(_) => "shell_command",
            Action::FileValidation(_) => "file_validation",
            Action::ServiceHealth(_) => "service_health",
            Action::DatabaseQuery(_) => "database_query",
            Action::HttpCheck(_) => "http_check",
            Action::TcpPort(_) => "tcp_port",
            Action::ProcessRunning(_) => "process_running",
            Action::DiskFree(_) => "disk_free",
            Action::TlsCertificateExpiry(_) => "tls_certificate_expiry",
        }
    }

    /// The timeout the action asks for, if any.
    pub fn timeout(&self) -> Option<u64> {
        match self {
            Action::ShellCommand(a) => a.timeout,
            Action::ServiceHealth(a) => a.timeout,
            Action::DatabaseQuery(a) => a.timeout,
            Action::HttpCheck(a) => a.timeout,
            Action::TcpPort(a) => a.timeout,
            Action::TlsCertificateExpiry(a) => a.timeout,
            Action::FileValidation(_) | Action::ProcessRunning(_) | Action::DiskFree(_) => None,
        }
    }

    /// Checks that need nothing but the action itself; every problem is reported at once.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Some(t) = self.timeout()
            && (t == 0 || t > MAX_TIMEOUT_SECS)
        {
            problems.push(format!(
                "timeout: must be between 1 and {MAX_TIMEOUT_SECS} seconds, got {t}"
            ));
        }
        match self {
            Action::ShellCommand(a) => {
                if a.command.trim().is_empty() {
                    problems.push("command: must not be empty".into());
                }
                if a.command.contains('\0') {
                    problems.push("command: must not contain NUL bytes".into());
                }
                for k in a.environment_vars.keys() {
                    if k.is_empty() || k.contains('=') || k.contains('\0') {
                        problems.push(format!("environment_vars: invalid variable name {k:?}"));
                    }
                }
            }
            Action::FileValidation(a) => {
                if a.path.trim().is_empty() {
                    problems.push("path: must not be empty".into());
                }
                if a.checks.is_empty() {
                    problems.push("checks: at least one check is required".into());
                }
                for c in &a.checks {
                    if let Err(e) = check_spec(c) {
                        problems.push(format!("checks: {e}"));
                    }
                }
            }
            Action::ServiceHealth(a) => {
                if a.service_name.is_none() && a.health_endpoint.is_none() {
                    problems
                        .push("service_name or health_endpoint: at least one is required".into());
                }
                if let Some(u) = &a.health_endpoint {
                    check_http_url("health_endpoint", u, &mut problems);
                }
                check_status("expected_status", a.expected_status, &mut problems);
            }
            Action::DatabaseQuery(a) => {
                if a.connection_string.trim().is_empty() {
                    problems.push("connection_string: must not be empty".into());
                }
                if a.query.trim().is_empty() {
                    problems.push("query: must not be empty".into());
                }
                if let Some(t) = &a.expected_result_type
                    && !matches!(t.as_str(), "scalar" | "row" | "rows")
                {
                    problems.push(format!(
                        "expected_result_type: must be scalar, row or rows, got {t:?}"
                    ));
                }
                if let Some(r) = &a.expected_range {
                    match r.as_object() {
                        Some(o)
                            if o.keys().all(|k| k == "min" || k == "max")
                                && o.values().all(serde_json::Value::is_number) => {}
                        _ => problems.push(
                            "expected_range: must be an object with numeric min and/or max".into(),
                        ),
                    }
                }
            }
            Action::HttpCheck(a) => {
                check_http_url("url", &a.url, &mut problems);
                check_status("expected_status", a.expected_status, &mut problems);
                if let Some(m) = &a.method
                    && !matches!(
                        m.to_ascii_uppercase().as_str(),
                        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "OPTIONS" | "PATCH"
                    )
                {
                    problems.push(format!("method: unsupported HTTP method {m:?}"));
                }
                for (k, v) in &a.headers {
                    if k.is_empty()
                        || !k
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
                        || v.contains(['\r', '\n'])
                    {
                        problems.push(format!("headers: invalid header {k:?}"));
                    }
                }
            }
            Action::TcpPort(a) => {
                if a.host.trim().is_empty() {
                    problems.push("host: must not be empty".into());
                }
                if a.port == 0 {
                    problems.push("port: must be 1-65535".into());
                }
            }
            Action::ProcessRunning(a) => {
                let empty = |o: &Option<String>| o.as_deref().is_none_or(|s| s.trim().is_empty());
                if empty(&a.name) && empty(&a.pattern) {
                    problems.push("name or pattern: at least one is required".into());
                }
            }
            Action::DiskFree(a) => {
                if !a.path.starts_with('/') {
                    problems.push("path: must be an absolute path".into());
                }
                if a.min_free_percent.is_none() && a.min_free_mb.is_none() {
                    problems
                        .push("min_free_percent or min_free_mb: at least one is required".into());
                }
                if let Some(p) = a.min_free_percent
                    && !(0.0..=100.0).contains(&p)
                {
                    problems.push(format!("min_free_percent: must be 0-100, got {p}"));
                }
            }
            Action::TlsCertificateExpiry(a) => {
                if a.host.trim().is_empty() {
                    problems.push("host: must not be empty".into());
                }
                if a.port == Some(0) {
                    problems.push("port: must be 1-65535".into());
                }
                if let Some(n) = &a.server_name
                    && n.trim().is_empty()
                {
                    problems.push("server_name: must not be empty when given".into());
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn check_http_url(field: &str, url: &str, problems: &mut Vec<String>) {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => {}
        _ => problems.push(format!(
            "{field}: must be an http:// or https:// URL, got {url:?}"
        )),
    }
}

fn check_status(field: &str, status: Option<u16>, problems: &mut Vec<String>) {
    if let Some(s) = status
        && !(100..=599).contains(&s)
    {
        problems.push(format!("{field}: must be an HTTP status 100-599, got {s}"));
    }
}

/// One `file_validation` check, parsed: `exists`, `readable`, `writable`, `executable`,
/// `is_file`, `is_dir`, `size_gt_mb:N`, `size_lt_mb:N`, `modified_within:24h` (s/m/h/d),
/// `owner:NAME`, `mode:0644`, `contains:TEXT`, `sha256:HEX`.
#[derive(Debug, Clone, PartialEq)]
pub enum FileCheck {
    Exists,
    Readable,
    Writable,
    Executable,
    IsFile,
    IsDir,
    SizeGtMb(f64),
    SizeLtMb(f64),
    ModifiedWithin(u64),
    Owner(String),
    Mode(u32),
    Contains(String),
    Sha256(String),
}

/// Parses one `file_validation` check; the error names what is wrong.
pub fn check_spec(spec: &str) -> Result<FileCheck, String> {
    let (name, arg) = match spec.split_once(':') {
        Some((n, a)) => (n.trim(), Some(a)),
        None => (spec.trim(), None),
    };
    fn need<'a>(name: &str, a: Option<&'a str>) -> Result<&'a str, String> {
        a.filter(|s| !s.is_empty())
            .ok_or_else(|| format!("{name}: needs a value ({name}:VALUE)"))
    }
    let number = |a: Option<&str>| -> Result<f64, String> {
        let v = need(name, a)?;
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| format!("{spec}: {v:?} is not a size in MB"))
    };
    let plain = |c: FileCheck| match arg {
        None => Ok(c),
        Some(_) => Err(format!("{name}: takes no value")),
    };
    match name {
        "exists" => plain(FileCheck::Exists),
        "readable" => plain(FileCheck::Readable),
        "writable" => plain(FileCheck::Writable),
        "executable" => plain(FileCheck::Executable),
        "is_file" => plain(FileCheck::IsFile),
        "is_dir" => plain(FileCheck::IsDir),
        "size_gt_mb" => Ok(FileCheck::SizeGtMb(number(arg)?)),
        "size_lt_mb" => Ok(FileCheck::SizeLtMb(number(arg)?)),
        "modified_within" => {
            let v = need(name, arg)?.trim();
            parse_duration_secs(v)
                .map(FileCheck::ModifiedWithin)
                .ok_or_else(|| format!("{spec}: use a duration like 30s, 15m, 24h or 7d"))
        }
        "owner" => Ok(FileCheck::Owner(need(name, arg)?.trim().to_string())),
        "mode" => {
            let v = need(name, arg)?.trim();
            u32::from_str_radix(v, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .map(FileCheck::Mode)
                .ok_or_else(|| format!("{spec}: use an octal mode like 0644"))
        }
        "contains" => Ok(FileCheck::Contains(need(name, arg)?.to_string())),
        "sha256" => {
            let v = need(name, arg)?.trim().to_ascii_lowercase();
            if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(FileCheck::Sha256(v))
            } else {
                Err(format!("{spec}: needs 64 hex digits"))
            }
        }
        other => Err(format!("unknown check {other:?}")),
    }
}

/// `30s`, `15m`, `24h`, `7d` (or plain seconds) in seconds.
pub fn parse_duration_secs(v: &str) -> Option<u64> {
    let (num, unit) = match v.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&v[..i], c),
        _ => (v, 's'),
    };
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_four_payloads_parse() {
        let payloads = [
            r#"{"type":"shell_command","command":"systemctl status nginx","timeout":30,"working_directory":"/opt/app","environment_vars":{"ENV":"staging"}}"#,
            r#"{"type":"file_validation","path":"/data/exports/latest.sql","checks":["exists","readable","size_gt_mb:100","modified_within:24h"]}"#,
            r#"{"type":"service_health","service_name":"postgresql","health_endpoint":"http://localhost:5432/health","expected_response":{"status":"healthy"}}"#,
            r#"{"type":"database_query","connection_string":"postgresql://x","query":"SELECT 1","expected_result_type":"scalar","expected_range":{"min":0,"max":10000}}"#,
        ];
        for p in payloads {
            let a: Action = serde_json::from_str(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(a.validate().is_ok(), "{p}");
        }
    }

    #[test]
    fn unknown_fields_and_types_are_rejected() {
        assert!(
            serde_json::from_str::<Action>(r#"{"type":"shell_command","command":"x","bogus":1}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<Action>(r#"{"type":"reboot"}"#).is_err());
    }

    #[test]
    fn the_added_checks_parse_and_validate() {
        let good = [
            r#"{"type":"http_check","url":"https://example.com/health","method":"GET","expected_status":200,"body_contains":"ok","json":{"status":"up"},"timeout":5,"headers":{"Accept":"application/json"}}"#,
            r#"{"type":"tcp_port","host":"127.0.0.1","port":5432,"timeout":3}"#,
            r#"{"type":"process_running","name":"postgres","min_count":1}"#,
            r#"{"type":"disk_free","path":"/var","min_free_percent":10.5,"min_free_mb":500}"#,
            r#"{"type":"tls_certificate_expiry","host":"example.com","port":443,"server_name":"example.com","min_days_remaining":14}"#,
            r#"{"type":"database_query","connection_string":"env:DB_URL","query":"DELETE FROM t","allow_writes":true}"#,
        ];
        for p in good {
            let a: Action = serde_json::from_str(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(a.validate().is_ok(), "{p}: {:?}", a.validate());
            let back = serde_json::to_value(&a).unwrap();
            assert_eq!(back, serde_json::from_str::<serde_json::Value>(p).unwrap());
        }
        let bad = [
            (r#"{"type":"http_check","url":"ftp://x"}"#, "url"),
            (r#"{"type":"tcp_port","host":"","port":0}"#, "port"),
            (r#"{"type":"process_running"}"#, "name or pattern"),
            (
                r#"{"type":"disk_free","path":"var"}"#,
                "min_free_percent or",
            ),
            (
                r#"{"type":"file_validation","path":"/x","checks":["size_gt_mb:lots","bogus","mode:999"]}"#,
                "bogus",
            ),
            (
                r#"{"type":"database_query","connection_string":"x","query":"q","expected_result_type":"table"}"#,
                "expected_result_type",
            ),
        ];
        for (p, needle) in bad {
            let a: Action = serde_json::from_str(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            let errs = a.validate().expect_err(p).join("; ");
            assert!(errs.contains(needle), "{p}: {errs}");
        }
    }

    #[test]
    fn file_checks_parse_with_their_values() {
        assert_eq!(check_spec("size_gt_mb:100"), Ok(FileCheck::SizeGtMb(100.0)));
        assert_eq!(
            check_spec("modified_within:24h"),
            Ok(FileCheck::ModifiedWithin(86_400))
        );
        assert_eq!(check_spec("mode:0644"), Ok(FileCheck::Mode(0o644)));
        assert_eq!(
            check_spec("contains:a:b"),
            Ok(FileCheck::Contains("a:b".into()))
        );
        assert!(check_spec("exists:yes").is_err());
        assert!(check_spec("sha256:abc").is_err());
        assert_eq!(parse_duration_secs("7d"), Some(604_800));
        assert_eq!(parse_duration_secs("15x"), None);
    }

    #[test]
    fn validation_reports_every_problem() {
        let a: Action =
            serde_json::from_str(r#"{"type":"shell_command","command":" ","timeout":0}"#).unwrap();
        let errs = a.validate().unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
    }
}
