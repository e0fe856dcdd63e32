//! The versioned JSON wire types spoken between the hub and its agents.
//!
//! Defined once and used by both sides, so that a field renamed on one side is a compile
//! error on the other. Operations (`Action`) follow the specification's payloads exactly.

pub mod action;
pub mod config;
pub mod logfile;
pub mod secrets;

pub use action::{
    Action, DatabaseQuery, DiskFree, FileValidation, HttpCheck, ProcessRunning, ServiceHealth,
    ShellCommand, TcpPort, TlsCertificateExpiry,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the agent protocol described in this crate; sent by the agent on enrollment
/// and heartbeat so the hub can refuse an agent it cannot talk to.
pub const PROTOCOL_VERSION: u32 = 1;

/// Template parameter values reach a command only as environment variables named this prefix
/// and the parameter's name (the hub renders references to them; the agent checks their
/// values against its `forbidden_paths`).
pub const PARAM_ENV_PREFIX: &str = "GREENROOM_PARAM_";

/// Longest long-poll the hub honours, in seconds.
pub const MAX_LEASE_WAIT_SECS: u64 = 30;

/// Static facts an agent reports about its server; a missing field is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub hostname: String,
    pub ip_address: String,
    pub os_info: String,
    pub agent_version: String,
    pub environment: String,
    pub server_group: String,
    pub tags: Vec<String>,
    pub capabilities: Vec<String>,
    pub max_concurrent_jobs: u32,
    pub timeout_default: u64,
}

/// Live system metrics, sampled by the agent; a missing field is zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metrics {
    pub cpu_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
    pub load_average: [f64; 3],
    pub uptime_seconds: u64,
}

/// `POST /agent/v1/enroll` — sent without a client certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub protocol_version: u32,
    /// One-time enrollment token issued by an administrator.
    pub token: String,
    pub server_id: String,
    /// PEM certificate signing request for a key the agent generated and keeps.
    pub csr_pem: String,
    pub facts: Facts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub server_id: String,
    /// The agent's certificate, PEM.
    pub certificate_pem: String,
    /// The CA that signed `certificate_pem` and the hub's own certificate, PEM. Kept for
    /// agents that predate `ca_bundle_pem`.
    pub ca_pem: String,
    pub not_after: DateTime<Utc>,
    /// Every CA the hub trusts now, one PEM each: the active CA, plus the next and the
    /// retiring one during a CA rotation. Empty from hubs that predate it (use `ca_pem`).
    #[serde(default)]
    pub ca_bundle_pem: Vec<String>,
}

/// `GET /agent/v1/trust-bundle` — over mTLS: the CAs the hub trusts now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustBundle {
    /// One PEM per CA.
    pub ca_bundle_pem: Vec<String>,
    /// SHA-256 over the sorted SHA-256 fingerprints of the certificates (see
    /// `greenroom_pki::bundle_sha256_pem`), as in the heartbeat answer.
    pub trust_bundle_sha256: String,
}

/// `GET /agent/v1/ca` — unauthenticated: the hub's CA certificates, for an agent that
/// enrolls with only a fingerprint of the CA (`greenroom-agent enroll --ca-sha256`). It
/// must check the fingerprint itself: the answer comes over a connection it could not
/// verify yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaCertificates {
    /// The active CA (it signs agent certificates), PEM.
    pub ca_pem: String,
    /// Every CA the hub trusts now (one PEM each; two during a CA rotation).
    pub ca_bundle_pem: Vec<String>,
}

/// `POST /agent/v1/renew` — over mTLS with the current certificate: a new certificate for a
/// new key, answered like enrollment. The old certificate stops working once this answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewRequest {
    pub protocol_version: u32,
    pub csr_pem: String,
}

/// `POST /agent/v1/heartbeat`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    pub protocol_version: u32,
    pub facts: Facts,
    pub metrics: Metrics,
    /// Jobs running on the agent now; the hub extends their leases.
    #[serde(default)]
    pub running_jobs: Vec<String>,
    /// The hash of the trust bundle the agent holds (see [`TrustBundle`]); the hub records
    /// it to know which agents will trust a staged CA once it is activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_bundle_sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    pub server_time: DateTime<Utc>,
    /// Seconds until the next heartbeat is expected.
    pub heartbeat_interval: u64,
    /// Jobs among `running_jobs` the hub wants stopped (cancelled or lease lost).
    #[serde(default)]
    pub cancel_jobs: Vec<String>,
    /// The hash of the hub's trust bundle now; an agent holding another one fetches
    /// `GET /agent/v1/trust-bundle`. Absent from hubs that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_bundle_sha256: Option<String>,
    /// The agent's certificate was not issued by the hub's active CA (a CA rotation is
    /// under way): renew it now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renew_now: bool,
}

/// Answer to `POST /agent/v1/lease?wait=30s&capacity=N`: a job (only when `capacity` > 0),
/// jobs to cancel, or nothing after the wait. The agent keeps one lease poll open at all
/// times — with `capacity=0` while all its slots are busy — so cancellations reach it at once.
///
/// With `&heartbeat=true` the poll's body is a [`HeartbeatRequest`]: the hub records it
/// before it waits, exactly as `POST /agent/v1/heartbeat` would, and answers it in
/// `heartbeat`. An idle agent so sends one request per interval instead of two. A hub that
/// predates it refuses the parameter (4xx); an answer without `heartbeat` means the
/// heartbeat was not recorded, and the agent sends it on its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaseResponse {
    pub job: Option<LeasedJob>,
    /// Jobs this agent runs that the hub wants stopped now (cancelled by a user, or no longer
    /// this agent's); the agent kills them and reports them `cancelled`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cancel_jobs: Vec<String>,
    /// The answer to the heartbeat the poll carried (`heartbeat=true`), as of when it was
    /// recorded, at the start of the poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<HeartbeatResponse>,
}

/// A job leased to one agent for a bounded time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeasedJob {
    pub job_id: String,
    pub execution_id: String,
    pub action: Action,
    pub lease_expires_at: DateTime<Utc>,
    /// Seconds the lease lasts; the agent renews it (by heartbeat) while the job runs.
    pub lease_seconds: u64,
    /// The request id of the API call that started the execution: the agent logs it with the
    /// job and sends it back with the job's output and result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One piece of output; `seq` starts at 0 and is unique per job, so re-sending is harmless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChunk {
    pub seq: u64,
    pub stream: Stream,
    pub data: String,
}

/// `POST /agent/v1/jobs/{id}/output`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputBatch {
    pub chunks: Vec<OutputChunk>,
    /// The leased job's request id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// How a job ended on the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failed,
    Timeout,
    Cancelled,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceUsage {
    pub cpu_seconds: f64,
    pub memory_mb: f64,
}

/// `POST /agent/v1/jobs/{id}/result` — idempotent by job id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub status: Outcome,
    pub exit_code: Option<i32>,
    pub output: String,
    pub error_output: String,
    /// Wall time in seconds.
    pub execution_time: f64,
    #[serde(default)]
    pub resource_usage: ResourceUsage,
    #[serde(default)]
    pub truncated: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// For checks (file_validation, service_health, database_query, http_check, ...): one
    /// entry per check, in order. Empty for shell commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// The request id of the API call that started the execution (from the leased job), so
    /// the hub's log lines for this result carry it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The agent's clock as it sends the result. The hub moves `started_at` and `finished_at`
    /// by the difference to its own clock, so an agent whose clock is off records the job at
    /// the hub's times (absent from older agents: their times are only kept from the future).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// One check of a check job: what was expected and what the agent observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// E.g. `exists`, `size_gt_mb:100`, `status`, `json`, `days_remaining`.
    pub name: String,
    pub passed: bool,
    #[serde(default)]
    pub observed: String,
    #[serde(default)]
    pub expected: String,
}

/// Acknowledgement of an output batch or a result: the hub stored it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ack {
    pub stored: bool,
}

/// Error body of every non-2xx answer, on both the agent and the user API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `unauthenticated`.
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_response_round_trips_with_a_shell_action() {
        let json = serde_json::json!({
            "job": {
                "job_id": "j1", "execution_id": "e1",
                "action": {"type": "shell_command", "command": "echo hi", "timeout": 5},
                "lease_expires_at": "2026-01-01T00:00:00Z", "lease_seconds": 60
            }
        });
        let r: LeaseResponse = serde_json::from_value(json).unwrap();
        let job = r.job.unwrap();
        match job.action {
            Action::ShellCommand(ref s) => assert_eq!(s.command, "echo hi"),
            ref other => panic!("unexpected {other:?}"),
        }
        let back = serde_json::to_value(&job).unwrap();
        assert_eq!(back["action"]["type"], "shell_command");
    }

    #[test]
    fn rotation_fields_are_optional_both_ways() {
        // A hub that predates CA rotation: no bundle, no hash, no renew_now.
        let old: EnrollResponse = serde_json::from_value(serde_json::json!({
            "server_id": "web-01", "certificate_pem": "c", "ca_pem": "a",
            "not_after": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert!(old.ca_bundle_pem.is_empty());
        let hb: HeartbeatResponse = serde_json::from_value(serde_json::json!({
            "server_time": "2026-01-01T00:00:00Z", "heartbeat_interval": 30
        }))
        .unwrap();
        assert!(hb.trust_bundle_sha256.is_none() && !hb.renew_now);
        // An agent that predates it sends no hash; the new fields it does not know about
        // are not sent when empty.
        let req: HeartbeatRequest = serde_json::from_value(serde_json::json!({
            "protocol_version": 1, "facts": {}, "metrics": {}
        }))
        .unwrap();
        assert!(req.trust_bundle_sha256.is_none());
        let back = serde_json::to_value(&hb).unwrap();
        assert!(back.get("renew_now").is_none() && back.get("trust_bundle_sha256").is_none());
    }

    #[test]
    fn outcome_is_lowercase_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&Outcome::Timeout).unwrap(),
            "\"timeout\""
        );
    }
}
