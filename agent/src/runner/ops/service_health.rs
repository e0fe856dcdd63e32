//! `service_health`: a service's state — `systemctl is-active` where systemd runs, else a
//! process of that name — and/or its `health_endpoint`, whose status (any 2xx, or
//! `expected_status`) and body (`expected_response`, a JSON subset) are checked.

use super::http_check::{DEFAULT_TIMEOUT, fetch, json_check, status_check};
use super::process_running::matching;
use super::{Executor, check, clip};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::{CheckResult, ServiceHealth};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Whether systemd manages this machine (the check `sd_booted()` makes).
fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

async fn service_state(name: &str) -> CheckResult {
    if systemd_running() {
        let out = tokio::process::Command::new("systemctl")
            .args(["is-active", "--", name])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await;
        return match out {
            Ok(o) => {
                let state = String::from_utf8_lossy(&o.stdout).trim().to_string();
                check(
                    "service",
                    state == "active",
                    format!("systemd: {state}"),
                    "active",
                )
            }
            Err(e) => check(
                "service",
                false,
                format!("cannot run systemctl: {e}"),
                "active",
            ),
        };
    }
    let wanted = name.trim_end_matches(".service").to_string();
    let found = tokio::task::spawn_blocking(move || matching(Some(wanted), None))
        .await
        .unwrap_or_default();
    check(
        "service",
        !found.is_empty(),
        format!(
            "no systemd; {} process(es) named {name:?}{}",
            found.len(),
            if found.is_empty() {
                String::new()
            } else {
                format!(": {}", clip(&found.join("; "), 200))
            }
        ),
        "a running process",
    )
}

impl Executor for ServiceHealth {
    async fn execute(&self, _policy: &Policy, _ctl: JobControl) -> Finished {
        let mut checks = Vec::new();
        if let Some(name) = &self.service_name {
            checks.push(service_state(name).await);
        }
        if let Some(url) = &self.health_endpoint {
            let timeout = Duration::from_secs(self.timeout.unwrap_or(DEFAULT_TIMEOUT));
            match fetch(url, "GET", &BTreeMap::new(), timeout).await {
                Ok(answer) => {
                    checks.push(status_check(answer.status, self.expected_status));
                    if let Some(expected) = &self.expected_response {
                        checks.push(json_check(&answer.body, expected));
                    }
                }
                Err(e) => checks.push(check(
                    "health_endpoint",
                    false,
                    e,
                    format!("an answer from {url}"),
                )),
            }
        }
        Finished::from_checks(checks, Vec::new())
    }
}
