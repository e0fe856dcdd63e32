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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_response: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

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
}

impl Action {
    /// The wire name of the operation, e.g. `shell_command`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::ShellCommand(_) => "shell_command",
            Action::FileValidation(_) => "file_validation",
            Action::ServiceHealth(_) => "service_health",
            Action::DatabaseQuery(_) => "database_query",
        }
    }

    /// The timeout the action asks for, if any.
    pub fn timeout(&self) -> Option<u64> {
        match self {
            Action::ShellCommand(a) => a.timeout,
            Action::ServiceHealth(a) => a.timeout,
            Action::DatabaseQuery(a) => a.timeout,
            Action::FileValidation(_) => None,
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
            }
            Action::ServiceHealth(a) => {
                if a.service_name.is_none() && a.health_endpoint.is_none() {
                    problems
                        .push("service_name or health_endpoint: at least one is required".into());
                }
            }
            Action::DatabaseQuery(a) => {
                if a.connection_string.trim().is_empty() {
                    problems.push("connection_string: must not be empty".into());
                }
                if a.query.trim().is_empty() {
                    problems.push("query: must not be empty".into());
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
    fn validation_reports_every_problem() {
        let a: Action =
            serde_json::from_str(r#"{"type":"shell_command","command":" ","timeout":0}"#).unwrap();
        let errs = a.validate().unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
    }
}
