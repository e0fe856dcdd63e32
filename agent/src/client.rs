//! The hub's agent API over (m)TLS: one method per endpoint, JSON bodies from
//! `greenroom-proto`, and errors classified for the caller (retry, drop, or stop the agent).
//!
//! One [`HubClient`] is shared by every task. Its HTTP client (and with it the TLS identity)
//! can be swapped after a certificate renewal; the lease, heartbeat, delivery and output
//! paths take the current one for each request. A request that the hub refused as
//! `certificate_revoked` because it still carried the certificate a renewal just replaced
//! comes back as [`HubError::Superseded`] (retry it), not as a fatal identity rejection.
//!
//! Several hub addresses (`agent.backend_urls`): every request goes to the one in use; a
//! transport failure (connection refused or reset, TLS handshake, timeout) or a 502 / 503 /
//! 504 moves the client to the next address (logged once per switch: `switched hub
//! address`, with `from` and `to`). The callers' own retries, with their backoff, then
//! reach the new address; a working address is kept until it fails.
//!
//! The renewal request never overlaps this agent's heartbeat or result requests (a
//! read/write gate): the hub's handlers for those read the server record at
//! authentication and write it back whole, so one in flight across the renewal would put
//! the old certificate's fingerprint back and lock the agent out.

use greenroom_proto::{
    Ack, EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, JobResult, LeasedJob,
    OutputBatch, RenewRequest,
};
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Per-request timeout of everything but the long-poll.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Extra time the long-poll request gets beyond the wait it asks the hub for.
const LEASE_SLACK: Duration = Duration::from_secs(10);

/// The answer to a lease request: at most one job, the jobs the hub wants cancelled, and
/// the answer to the heartbeat the poll carried (`None`: not recorded, or none carried).
#[derive(Debug)]
pub struct LeaseAnswer {
    pub lease: Lease,
    pub cancel_jobs: Vec<String>,
    pub heartbeat: Option<HeartbeatResponse>,
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
        // An answer that cannot be read is no answer: the heartbeat is sent again.
        let heartbeat = answer
            .get("heartbeat")
            .and_then(|v| serde_json::from_value::<HeartbeatResponse>(v.clone()).ok());
        Ok(Self {
            lease: Lease::from_answer(answer)?,
            cancel_jobs,
            heartbeat,
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

/// A client for the hub (one or several addresses), with or without the agent's client
/// certificate. Clones share one HTTP client and the address in use, so
/// [`HubClient::replace_tls`] and a switch of address reach every holder.
#[derive(Debug, Clone)]
pub struct HubClient {
    inner: Arc<Inner>,
}

/// One request's address: the URL and the index of the hub address it was built from.
#[derive(Debug, Clone)]
struct Target {
    url: Url,
    base: usize,
}

#[derive(Debug)]
struct Inner {
    /// The hub addresses, in the configured order.
    bases: Vec<Url>,
    /// Index into `bases` of the address in use.
    current: AtomicUsize,
    http: RwLock<reqwest::Client>,
    /// Bumped by every [`HubClient::replace_tls`].
    generation: AtomicU64,
    /// A renewal is between its request and the swap of the client.
    renewing: AtomicBool,
    /// Held shared by heartbeat and result requests, exclusively by the renewal request.
    gate: tokio::sync::RwLock<()>,
}

/// Marks a renewal in progress until dropped (see [`HubClient::begin_renewal`]).
pub struct RenewalInProgress<'a>(&'a HubClient);

impl Drop for RenewalInProgress<'_> {
    fn drop(&mut self) {
        self.0.inner.renewing.store(false, Ordering::SeqCst);
    }
}

fn build_http(tls: rustls::ClientConfig) -> Result<reqwest::Client, HubError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(10))
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("greenroom-agent/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HubError::Network(format!("cannot build the HTTP client: {}", chain(&e))))
}

/// Whether an identity rejection of a request is to be retried rather than believed: the
/// request was sent while a renewal was under way, or with a client replaced since.
fn superseded(
    renewing_at_start: bool,
    renewing_now: bool,
    gen_at_start: u64,
    gen_now: u64,
) -> bool {
    renewing_at_start || renewing_now || gen_at_start != gen_now
}

impl HubClient {
    /// `tls` comes from `greenroom_pki::agent_client_config`; `base_urls` are the hub's
    /// addresses (at least one), the first used first.
    pub fn new<S: AsRef<str>>(
        base_urls: &[S],
        tls: rustls::ClientConfig,
    ) -> Result<Self, HubError> {
        let bases = base_urls
            .iter()
            .map(|u| {
                Url::parse(u.as_ref())
                    .map_err(|e| HubError::Network(format!("hub address {:?}: {e}", u.as_ref())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if bases.is_empty() {
            return Err(HubError::Network("no hub address configured".into()));
        }
        let inner = Arc::new(Inner {
            bases,
            current: AtomicUsize::new(0),
            http: RwLock::new(build_http(tls)?),
            generation: AtomicU64::new(0),
            renewing: AtomicBool::new(false),
            gate: tokio::sync::RwLock::new(()),
        });
        Ok(Self { inner })
    }

    /// The hub address in use now.
    pub fn current_address(&self) -> String {
        let i = self.inner.current.load(Ordering::SeqCst);
        self.inner.bases[i]
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }

    /// After a request to address `base` failed with `e`: moves to the next address if `e`
    /// says this one is not answering and no other request moved already. Logged once.
    fn after_failure(&self, base: usize, e: &HubError) {
        let n = self.inner.bases.len();
        if n < 2 || !e.is_failover() {
            return;
        }
        let next = (base + 1) % n;
        if self
            .inner
            .current
            .compare_exchange(base, next, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            let shown = |i: usize| {
                self.inner.bases[i]
                    .as_str()
                    .trim_end_matches('/')
                    .to_string()
            };
            tracing::warn!(from = %shown(base), to = %shown(next), error = %e, "switched hub address");
        }
    }

    /// Uses `tls` (a renewed identity) for every request from now on, in every clone.
    /// Requests already under way finish on the old connection.
    pub fn replace_tls(&self, tls: rustls::ClientConfig) -> Result<(), HubError> {
        let http = build_http(tls)?;
        let mut slot = self.inner.http.write().unwrap_or_else(|p| p.into_inner());
        *slot = http;
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Marks a renewal as under way until the returned guard is dropped: identity rejections
    /// of other requests meanwhile are [`HubError::Superseded`], since the hub may already
    /// have switched to the new certificate.
    pub fn begin_renewal(&self) -> RenewalInProgress<'_> {
        self.inner.renewing.store(true, Ordering::SeqCst);
        RenewalInProgress(self)
    }

    /// The current HTTP client and its generation.
    fn current(&self) -> (reqwest::Client, u64, bool) {
        let http = self
            .inner
            .http
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (
            http,
            self.inner.generation.load(Ordering::SeqCst),
            self.inner.renewing.load(Ordering::SeqCst),
        )
    }

    /// The URL of `segments` under the hub address in use.
    fn url(&self, segments: &[&str]) -> Target {
        let base = self.inner.current.load(Ordering::SeqCst);
        let mut url = self.inner.bases[base].clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        Target { url, base }
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        target: Target,
        body: &B,
        timeout: Duration,
    ) -> Result<R, HubError> {
        let (http, generation, renewing) = self.current();
        match self.send(&http, target, body, timeout).await {
            Err(e) if e.is_identity_rejected() => {
                let now = self.current();
                if superseded(renewing, now.2, generation, now.1) {
                    Err(HubError::Superseded(e.to_string()))
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    async fn send<B: Serialize, R: DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        target: Target,
        body: &B,
        timeout: Duration,
    ) -> Result<R, HubError> {
        let base = target.base;
        let answer = async {
            let resp = http
                .post(target.url)
                .timeout(timeout)
                .json(body)
                .send()
                .await
                .map_err(|e| network(&e))?;
            read_answer(resp).await
        }
        .await;
        if let Err(e) = &answer {
            self.after_failure(base, e);
        }
        answer
    }

    /// The CAs the hub trusts now (`GET /agent/v1/trust-bundle`).
    pub async fn trust_bundle(&self) -> Result<greenroom_proto::TrustBundle, HubError> {
        let (http, _, _) = self.current();
        let target = self.url(&["agent", "v1", "trust-bundle"]);
        let base = target.base;
        let answer = async {
            let resp = http
                .get(target.url)
                .timeout(REQUEST_TIMEOUT)
                .send()
                .await
                .map_err(|e| network(&e))?;
            read_answer(resp).await
        }
        .await;
        if let Err(e) = &answer {
            self.after_failure(base, e);
        }
        answer
    }

    pub async fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, HubError> {
        self.post(self.url(&["agent", "v1", "enroll"]), req, REQUEST_TIMEOUT)
            .await
    }

    /// Asks for a certificate for a new key, authenticated by the current one. Its own
    /// identity rejection is never [`HubError::Superseded`]: it speaks for the current
    /// certificate.
    pub async fn renew(&self, req: &RenewRequest) -> Result<EnrollResponse, HubError> {
        let _alone = self.inner.gate.write().await;
        let (http, _, _) = self.current();
        self.send(
            &http,
            self.url(&["agent", "v1", "renew"]),
            req,
            REQUEST_TIMEOUT,
        )
        .await
    }

    pub async fn heartbeat(&self, req: &HeartbeatRequest) -> Result<HeartbeatResponse, HubError> {
        let _gate = self.inner.gate.read().await;
        self.post(
            self.url(&["agent", "v1", "heartbeat"]),
            req,
            REQUEST_TIMEOUT,
        )
        .await
    }

    /// Long-polls for a job: the hub answers at once when one is ready (only if `capacity`
    /// is above 0) or when it wants a job cancelled, else after `wait`. `capacity: None` is
    /// the older protocol (hubs that do not know the parameter). `heartbeat` rides on the
    /// poll (`heartbeat=true`; hubs that predate it refuse the parameter).
    pub async fn lease(
        &self,
        wait: Duration,
        capacity: Option<usize>,
        heartbeat: Option<&HeartbeatRequest>,
    ) -> Result<LeaseAnswer, HubError> {
        let mut target = self.url(&["agent", "v1", "lease"]);
        target
            .url
            .query_pairs_mut()
            // Whole seconds, rounded up: a poll that ends when a heartbeat is due ends just
            // after, so the next poll carries it.
            .append_pair("wait", &format!("{}s", wait.as_secs_f64().ceil() as u64));
        if let Some(c) = capacity {
            target
                .url
                .query_pairs_mut()
                .append_pair("capacity", &c.to_string());
        }
        let answer: serde_json::Value = match heartbeat {
            Some(h) => {
                target
                    .url
                    .query_pairs_mut()
                    .append_pair("heartbeat", "true");
                // Not behind the renewal gate (it would hold a renewal back for the whole
                // poll): only hubs that change a heartbeat's fields in place, never writing
                // the certificate back, take heartbeats on the poll.
                self.post(target, h, wait + LEASE_SLACK).await?
            }
            None => {
                self.post(target, &serde_json::json!({}), wait + LEASE_SLACK)
                    .await?
            }
        };
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
        let _gate = self.inner.gate.read().await;
        let sent = JobResult {
            sent_at: Some(chrono::Utc::now()),
            ..result.clone()
        };
        self.post(
            self.url(&["agent", "v1", "jobs", job_id, "result"]),
            &sent,
            REQUEST_TIMEOUT,
        )
        .await
    }
}

mod error;

pub use error::HubError;
use error::{chain, network, read_answer};

#[cfg(test)]
mod tests;
