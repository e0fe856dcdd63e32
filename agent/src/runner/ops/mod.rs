//! The operations: one module per action type, each behind [`Executor`].
//!
//! `shell_command` manages its own process group, timeout and cancellation; every other
//! operation is a check, run by [`execute`] under the job's timeout and cancel switch (the
//! check's future is dropped, which closes its sockets and files) and reported as a list of
//! [`CheckResult`]s.

pub mod database_query;
pub mod disk_free;
pub mod file_validation;
pub mod http_check;
pub mod process_running;
pub mod service_health;
pub mod shell_command;
pub mod tcp_port;
pub mod tls_certificate_expiry;

use super::{Finished, JobControl, Policy, cancelled};
use greenroom_proto::{Action, CheckResult, Outcome};
use std::future::Future;
use std::time::Duration;

/// One operation. Refusals by the policy happen inside, before anything runs; an executor
/// returns a result for every outcome and never panics on purpose.
pub trait Executor {
    fn execute(&self, policy: &Policy, ctl: JobControl) -> impl Future<Output = Finished> + Send;
}

/// Runs `action` with its executor.
pub async fn execute(action: &Action, policy: &Policy, ctl: JobControl) -> Finished {
    match action {
        Action::ShellCommand(a) => a.execute(policy, ctl).await,
        Action::FileValidation(a) => checked(a, action, policy, ctl).await,
        Action::ServiceHealth(a) => checked(a, action, policy, ctl).await,
        Action::DatabaseQuery(a) => checked(a, action, policy, ctl).await,
        Action::HttpCheck(a) => checked(a, action, policy, ctl).await,
        Action::TcpPort(a) => checked(a, action, policy, ctl).await,
        Action::ProcessRunning(a) => checked(a, action, policy, ctl).await,
        Action::DiskFree(a) => checked(a, action, policy, ctl).await,
        Action::TlsCertificateExpiry(a) => checked(a, action, policy, ctl).await,
    }
}

/// A check under the job's timeout and cancel switch.
async fn checked(
    exec: &impl Executor,
    action: &Action,
    policy: &Policy,
    mut ctl: JobControl,
) -> Finished {
    let timeout = policy.timeout_for(action.timeout());
    let mut cancel = ctl.cancel.clone();
    ctl.live = None;
    tokio::select! {
        f = exec.execute(policy, ctl) => f,
        _ = tokio::time::sleep(Duration::from_secs(timeout)) => Finished {
            status: Outcome::Timeout,
            ..Finished::failed(format!("[greenroom] timed out after {timeout} s\n"))
        },
        _ = cancelled(&mut cancel) => Finished {
            status: Outcome::Cancelled,
            ..Finished::failed("[greenroom] cancelled\n")
        },
    }
}

/// Builds a check result.
pub fn check(
    name: impl Into<String>,
    passed: bool,
    observed: impl Into<String>,
    expected: impl Into<String>,
) -> CheckResult {
    CheckResult {
        name: name.into(),
        passed,
        observed: observed.into(),
        expected: expected.into(),
    }
}

/// Whether `actual` contains `expected`: objects by subset (recursively), arrays when every
/// expected element matches some actual element, scalars by equality (numbers by value).
pub fn json_contains(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| json_contains(av, ev))),
        (Value::Array(a), Value::Array(e)) => {
            e.iter().all(|ev| a.iter().any(|av| json_contains(av, ev)))
        }
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        (a, e) => a == e,
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_subset_matching() {
        let body = json!({"status": "healthy", "checks": [{"db": "up"}, {"cache": "up"}], "n": 3});
        assert!(json_contains(&body, &json!({"status": "healthy"})));
        assert!(json_contains(
            &body,
            &json!({"checks": [{"db": "up"}], "n": 3.0})
        ));
        assert!(!json_contains(&body, &json!({"status": "down"})));
        assert!(!json_contains(&body, &json!({"missing": null})));
    }

    #[test]
    fn a_check_job_passes_only_when_every_check_does() {
        let ok = Finished::from_checks(vec![check("a", true, "1", "1")], vec![]);
        assert_eq!((ok.status, ok.exit_code), (Outcome::Success, Some(0)));
        let bad = Finished::from_checks(
            vec![check("a", true, "1", "1"), check("b", false, "2", "3")],
            vec!["note".into()],
        );
        assert_eq!((bad.status, bad.exit_code), (Outcome::Failed, Some(1)));
        assert!(
            bad.output.contains("FAIL b: observed 2, expected 3"),
            "{}",
            bad.output
        );
        assert!(
            bad.output.contains("1 of 2 checks passed"),
            "{}",
            bad.output
        );
        assert_eq!(bad.error_output, "[greenroom] note\n");
        let none = Finished::from_checks(vec![], vec![]);
        assert_eq!(none.status, Outcome::Failed);
    }
}
