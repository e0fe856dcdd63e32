//! The hub's agent API over (m)TLS: one method per endpoint, JSON bodies from
//! `greenroom-proto`, and errors classified for the caller (retry, drop, or stop the agent).

use greenroom_proto::{
    Ack, EnrollRequest, EnrollResponse, ErrorBody, HeartbeatRequest, HeartbeatResponse, JobResult,
    LeasedJob, OutputBatch,
};
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Per-request timeout of everything but the long-poll.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Extra time the long-poll request gets beyond the wait it asks the hub for.
const LEASE_SLACK: Duration = Duration::from_secs(10);

/// A failed exchange with the hub.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubError {
    /// No answer: connection, TLS or timeout. Worth retrying.
    #[error("{0}")]
    Network(String),
    /// A non-2xx answer, with the hub's error body.
    #[error("hub answered {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx answer whose body is not what the protocol says.
    #[error("unexpected answer from the hub: {0}")]
    Decode(String),
}

impl HubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            HubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The hub revoked or does not know this agent: nothing but an operator can fix it.
    pub fn is_identity_rejected(&self) -> bool {
        matches!(self, HubError::Status { status: 401, code, .. }
            if code == "certificate_revoked" || code == "unknown_agent")
    }

    /// The hub will never accept this request as it is (for results: drop it).
    pub fn is_permanent_rejection(&self) -> bool {
        matches!(self.status(), Some(404 | 409 | 422))
    }

    /// A client error that retrying will not fix (not 408 / 429).
    pub fn is_client_error(&self) -> bool {
        self.status()
            .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429)
    }
}

/// The answer to a lease request: at most one job, and the jobs the hub wants cancelled.
#[derive(Debug)]
pub struct LeaseAnswer {
    pub lease: Lease,
    pub cancel_jobs: Vec<String>,
}

/// The job part of a lease answer.
#[derive(Debug)]
pub enum Lease {
    /// Nothing to do after the wait.
    Nothing,
    Job(Box<LeasedJob>),
    /// A job this agent cannot read (e.g. an operation added after this version); it must
    /// still get a result, or it would stay leased to us until its lease lapses.
    Unreadable {
        job_id: String,
        error: String,
    },
}

impl LeaseAnswer {
    fn from_answer(answer: serde_json::Value) -> Result<Self, HubError> {
        let cancel_jobs = answer
            .get("cancel_jobs")
            .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
            .unwrap_or_default();
        Ok(Self {
            lease: Lease::from_answer(answer)?,
            cancel_jobs,
        })
    }
}

impl Lease {
    fn from_answer(answer: serde_json::Value) -> Result<Self, HubError> {
        let job = match answer.get("job") {
            None => return Err(HubError::Decode("lease answer has no `job` field".into())),
            Some(serde_json::Value::Null) => return Ok(Lease::Nothing),
            Some(job) => job,
        };
        match serde_json::from_value::<LeasedJob>(job.clone()) {
            Ok(j) => Ok(Lease::Job(Box::new(j))),
            Err(e) => match job.get("job_id").and_then(|v| v.as_str()) {
                Some(id) => Ok(Lease::Unreadable {
                    job_id: id.to_string(),
                    error: e.to_string(),
                }),
                None => Err(HubError::Decode(format!(
                    "leased job without a job_id: {e}"
                ))),
            },
        }
    }
}

/// A client for one hub, with or without the agent's client certificate.
#[derive(Debug, Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: Url,
}

impl HubClient {
    /// `tls` comes from `greenroom_pki::agent_client_config`.
    pub fn new(base_url: &str, tls: rustls::ClientConfig) -> Result<Self, HubError> {
        let base = Url::parse(base_url)
            .map_err(|e| HubError::Network(format!("backend_url {base_url:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("greenroom-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                HubError::Network(format!("cannot build the HTTP client: {}", chain(&e)))
            })?;
        Ok(Self { http, base })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
        timeout: Duration,
    ) -> Result<R, HubError> {
        let resp = self
            .http
            .post(url)
            .timeout(timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| network(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| network(&e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| HubError::Decode(e.to_string()));
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => (b.error.code, b.error.message),
            Err(_) => {
                let text = String::from_utf8_lossy(&bytes);
                (
                    format!("http_{}", status.as_u16()),
                    text.chars().take(200).collect(),
                )
            }
        };
        Err(HubError::Status {
            status: status.as_u16(),
            code,
            message,
        })
    }

    pub async fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, HubError> {
        self.post(self.url(&["agent", "v1", "enroll"]), req, REQUEST_TIMEOUT)
            .await
    }

    pub async fn heartbeat(&self, req: &HeartbeatRequest) -> Result<HeartbeatResponse, HubError> {
        self.post(
            self.url(&["agent", "v1", "heartbeat"]),
            req,
            REQUEST_TIMEOUT,
        )
        .await
    }

    /// Long-polls for a job: the hub answers at once when one is ready (only if `capacity`
    /// is above 0) or when it wants a job cancelled, else after `wait`. `capacity: None` is
    /// the older protocol (hubs that do not know the parameter).
    pub async fn lease(
        &self,
        wait: Duration,
        capacity: Option<usize>,
    ) -> Result<LeaseAnswer, HubError> {
        let mut url = self.url(&["agent", "v1", "lease"]);
        url.query_pairs_mut()
            .append_pair("wait", &format!("{}s", wait.as_secs()));
        if let Some(c) = capacity {
            url.query_pairs_mut()
                .append_pair("capacity", &c.to_string());
        }
        let answer: serde_json::Value = self
            .post(url, &serde_json::json!({}), wait + LEASE_SLACK)
            .await?;
        LeaseAnswer::from_answer(answer)
    }

    pub async fn output(&self, job_id: &str, batch: &OutputBatch) -> Result<Ack, HubError> {
        self.post(
            self.url(&["agent", "v1", "jobs", job_id, "output"]),
            batch,
            REQUEST_TIMEOUT,
        )
        .await
    }

    pub async fn result(&self, job_id: &str, result: &JobResult) -> Result<Ack, HubError> {
        self.post(
            self.url(&["agent", "v1", "jobs", job_id, "result"]),
            result,
            REQUEST_TIMEOUT,
        )
        .await
    }
}

/// An error and all its causes, `: `-joined.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// Says what a transport failure most likely means. A client certificate the hub refuses
/// shows on this side only as a closed connection or an alert, so that is named plainly.
fn network(e: &reqwest::Error) -> HubError {
    HubError::Network(describe_transport(
        &chain(e),
        e.is_timeout(),
        e.is_connect(),
    ))
}

fn describe_transport(detail: &str, timeout: bool, connect: bool) -> String {
    let lower = detail.to_ascii_lowercase();
    if timeout {
        format!("the hub did not answer in time: {detail}")
    } else if lower.contains("invalid peer certificate") || lower.contains("unknownissuer") {
        format!("the hub's certificate is not trusted (check agent.ca_cert): {detail}")
    } else if lower.contains("connection refused") {
        format!("cannot connect to the hub: {detail}")
    } else if [
        "alert",
        "connection closed",
        "unexpected eof",
        "connection reset",
        "closed before",
        "peer closed",
        "broken pipe",
        "stream closed",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
    {
        format!("hub refused the TLS connection (is the certificate valid?): {detail}")
    } else if connect {
        format!("cannot connect to the hub: {detail}")
    } else {
        detail.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_are_named_for_the_operator() {
        let closed = describe_transport(
            "error sending request: connection closed via error",
            false,
            true,
        );
        assert!(
            closed.starts_with("hub refused the TLS connection (is the certificate valid?)"),
            "{closed}"
        );
        let refused = describe_transport(
            "tcp connect error: Connection refused (os error 111)",
            false,
            true,
        );
        assert!(
            refused.starts_with("cannot connect to the hub"),
            "{refused}"
        );
        let untrusted = describe_transport("invalid peer certificate: UnknownIssuer", false, true);
        assert!(untrusted.contains("check agent.ca_cert"), "{untrusted}");
    }

    #[test]
    fn errors_are_classified() {
        let revoked = HubError::Status {
            status: 401,
            code: "certificate_revoked".into(),
            message: "m".into(),
        };
        assert!(revoked.is_identity_rejected());
        let other = HubError::Status {
            status: 401,
            code: "unauthenticated".into(),
            message: "m".into(),
        };
        assert!(!other.is_identity_rejected());
        let gone = HubError::Status {
            status: 409,
            code: "conflict".into(),
            message: "m".into(),
        };
        assert!(gone.is_permanent_rejection() && gone.is_client_error());
        assert!(!HubError::Network("x".into()).is_permanent_rejection());
        let busy = HubError::Status {
            status: 429,
            code: "rate_limited".into(),
            message: "m".into(),
        };
        assert!(!busy.is_client_error());
    }

    #[test]
    fn a_job_this_version_cannot_read_is_still_identified() {
        let none = LeaseAnswer::from_answer(serde_json::json!({"job": null})).expect("ok");
        assert!(matches!(none.lease, Lease::Nothing) && none.cancel_jobs.is_empty());
        let cancel =
            LeaseAnswer::from_answer(serde_json::json!({"job": null, "cancel_jobs": ["j1", "j2"]}))
                .expect("ok");
        assert_eq!(cancel.cancel_jobs, vec!["j1", "j2"]);
        let odd = serde_json::json!({"job": {"job_id": "j9", "execution_id": "e", "lease_seconds": 5,
            "lease_expires_at": "2026-01-01T00:00:00Z", "action": {"type": "reboot_the_world"}}});
        match Lease::from_answer(odd).expect("ok") {
            Lease::Unreadable { job_id, error } => {
                assert_eq!(job_id, "j9");
                assert!(error.contains("reboot_the_world"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(Lease::from_answer(serde_json::json!({"job": {"x": 1}})).is_err());
    }

    #[test]
    fn urls_keep_a_base_path_and_escape_job_ids() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let c = HubClient::new("https://hub.example:8443/base/", tls).expect("client");
        assert_eq!(
            c.url(&["agent", "v1", "jobs", "a/b c", "result"]).as_str(),
            "https://hub.example:8443/base/agent/v1/jobs/a%2Fb%20c/result"
        );
    }
}
