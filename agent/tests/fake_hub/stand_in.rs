//! The stand-in hub: the agent protocol over real mTLS, with failures a test can switch on
//! (503s on results, revocation, cancellation while running), and the helpers that start an
//! agent against it.

#![allow(dead_code)]

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use greenroom_agent::{AgentConfig, AgentError};
use greenroom_pki::CertificateAuthority;
use greenroom_proto::*;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Default)]
pub struct HubState {
    pub jobs: VecDeque<serde_json::Value>,
    pub results: HashMap<String, JobResult>,
    pub output: Vec<(String, OutputChunk)>,
    pub running_seen: Vec<String>,
    pub cancel_when_running: Vec<String>,
    pub fail_results: u32,
    pub result_attempts: u32,
    pub revoked: bool,
    pub heartbeats: u32,
    /// `capacity` of every lease poll, in order ("-" when absent).
    pub capacities: Vec<String>,
    /// Jobs named in `cancel_jobs` of the next lease answer with capacity 0.
    pub cancel_on_busy_lease: Vec<String>,
    /// Answer 422 to `capacity`, like a hub from before it existed.
    pub refuse_capacity: bool,
    /// What the lease poll does with a heartbeat it carries (`heartbeat=true`).
    pub heartbeat_on_lease: OnLease,
    /// Heartbeats that came with a lease poll (also counted in `heartbeats`).
    pub heartbeats_on_lease: u32,
}

/// How the stand-in treats a heartbeat on the lease poll.
#[derive(Default, Clone, Copy, PartialEq)]
pub enum OnLease {
    /// Records and answers it, as the real hub does.
    #[default]
    Take,
    /// Answers the poll without it (a hub that ignores the parameter).
    Ignore,
    /// 422 for the unknown parameter, like a hub from before it existed.
    Refuse,
}

pub struct Hub {
    pub ca: CertificateAuthority,
    pub state: Mutex<HubState>,
}

#[derive(Clone)]
pub struct Conn {
    pub hub: Arc<Hub>,
    pub peer: Option<String>,
}

pub fn err(status: StatusCode, code: &str) -> Response {
    (status, Json(serde_json::json!({"error": {"code": code, "message": format!("test hub says {code}")}})))
        .into_response()
}

impl Conn {
    fn check(&self) -> Option<Response> {
        if self.peer.is_none() {
            return Some(err(StatusCode::UNAUTHORIZED, "unauthenticated"));
        }
        if self.hub.state.lock().unwrap().revoked {
            return Some(err(StatusCode::UNAUTHORIZED, "certificate_revoked"));
        }
        None
    }
}

pub async fn enroll(State(c): State<Conn>, Json(req): Json<EnrollRequest>) -> Response {
    if req.token != "good-token" {
        return err(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    let signed = c
        .hub
        .ca
        .sign_agent_csr(&req.csr_pem, &req.server_id, 30)
        .unwrap();
    Json(EnrollResponse {
        server_id: req.server_id,
        certificate_pem: signed.certificate_pem,
        ca_pem: c.hub.ca.cert_pem().to_string(),
        not_after: signed.not_after,
        ca_bundle_pem: Vec::new(),
    })
    .into_response()
}

pub async fn heartbeat(State(c): State<Conn>, Json(req): Json<HeartbeatRequest>) -> Response {
    if let Some(r) = c.check() {
        return r;
    }
    Json(beat(&mut c.hub.state.lock().unwrap(), &req)).into_response()
}

/// Records a heartbeat, on its own or with a lease poll.
fn beat(s: &mut HubState, req: &HeartbeatRequest) -> HeartbeatResponse {
    s.heartbeats += 1;
    s.running_seen.extend(req.running_jobs.iter().cloned());
    let cancel: Vec<String> = s
        .cancel_when_running
        .iter()
        .filter(|j| req.running_jobs.contains(j))
        .cloned()
        .collect();
    HeartbeatResponse {
        server_time: chrono::Utc::now(),
        heartbeat_interval: 1,
        cancel_jobs: cancel,
        trust_bundle_sha256: None,
        renew_now: false,
    }
}

/// Like the real hub: a job only when `capacity` > 0 (or absent: the older protocol).
pub async fn lease(
    State(c): State<Conn>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = c.check() {
        return r;
    }
    let capacity = q.get("capacity").cloned();
    let carried = q.get("heartbeat").map(String::as_str) == Some("true");
    let (job, cancel, heartbeat) = {
        let mut s = c.hub.state.lock().unwrap();
        s.capacities
            .push(capacity.clone().unwrap_or_else(|| "-".into()));
        if s.refuse_capacity && capacity.is_some() {
            return err(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        }
        let heartbeat = match (carried, s.heartbeat_on_lease) {
            (false, _) | (true, OnLease::Ignore) => None,
            (true, OnLease::Refuse) => return err(StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            (true, OnLease::Take) => {
                let Ok(req) = serde_json::from_slice::<HeartbeatRequest>(&body) else {
                    return err(StatusCode::UNPROCESSABLE_ENTITY, "invalid_heartbeat");
                };
                s.heartbeats_on_lease += 1;
                Some(beat(&mut s, &req))
            }
        };
        if capacity.as_deref() == Some("0") {
            (None, std::mem::take(&mut s.cancel_on_busy_lease), heartbeat)
        } else {
            (s.jobs.pop_front(), Vec::new(), heartbeat)
        }
    };
    if job.is_none() && cancel.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut answer = serde_json::json!({ "job": job, "cancel_jobs": cancel });
    if let Some(h) = heartbeat {
        answer["heartbeat"] = serde_json::to_value(h).unwrap();
    }
    Json(answer).into_response()
}

pub async fn output(
    State(c): State<Conn>,
    UrlPath(id): UrlPath<String>,
    Json(b): Json<OutputBatch>,
) -> Response {
    if let Some(r) = c.check() {
        return r;
    }
    let mut s = c.hub.state.lock().unwrap();
    s.output
        .extend(b.chunks.into_iter().map(|ch| (id.clone(), ch)));
    Json(Ack { stored: true }).into_response()
}

pub async fn result(
    State(c): State<Conn>,
    UrlPath(id): UrlPath<String>,
    Json(r): Json<JobResult>,
) -> Response {
    if let Some(r) = c.check() {
        return r;
    }
    let mut s = c.hub.state.lock().unwrap();
    s.result_attempts += 1;
    if s.fail_results > 0 {
        s.fail_results -= 1;
        return err(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
    if id == "unknown-job" {
        return err(StatusCode::NOT_FOUND, "not_found");
    }
    s.results.insert(id, r);
    Json(Ack { stored: true }).into_response()
}

/// Starts the test hub on 127.0.0.1; returns it, its URL and the CA file.
pub async fn start_hub(dir: &Path) -> (Arc<Hub>, String, PathBuf) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = CertificateAuthority::load_or_create(&dir.join("hub-ca")).unwrap();
    let (cert, key) = ca.issue_server_certificate(&["127.0.0.1".into()]).unwrap();
    let tls = greenroom_pki::hub_server_config(ca.cert_pem(), &cert, &key).unwrap();
    let ca_file = dir.join("ca.crt");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let hub = Arc::new(Hub {
        ca,
        state: Mutex::new(HubState::default()),
    });
    let routes: Router<Conn> = Router::new()
        .route("/agent/v1/enroll", post(enroll))
        .route("/agent/v1/heartbeat", post(heartbeat))
        .route("/agent/v1/lease", post(lease))
        .route("/agent/v1/jobs/{id}/output", post(output))
        .route("/agent/v1/jobs/{id}/result", post(result));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let h = hub.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, routes, hub) = (acceptor.clone(), routes.clone(), h.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(greenroom_pki::peer_identity)
                    .map(|p| p.server_id);
                let service = hyper_util::service::TowerToHyperService::new(
                    routes.with_state(Conn { hub, peer }),
                );
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            });
        }
    });
    (hub, url, ca_file)
}

pub fn config(dir: &Path, url: &str, ca: &Path, token: &str) -> AgentConfig {
    config_with(dir, url, ca, token, 2)
}

pub fn config_with(dir: &Path, url: &str, ca: &Path, token: &str, jobs: u32) -> AgentConfig {
    let yaml = format!(
        "agent:\n  server_id: test-agent-01\n  backend_url: {url}\n  auth_token: \"{token}\"\n  ca_cert: {}\n  state_dir: {}\n\
         execution:\n  max_concurrent_jobs: {jobs}\n  default_timeout: 20\n  temp_directory: {}\n\
         monitoring:\n  heartbeat_interval: 1\n  health_check_port: 0\n",
        ca.display(),
        dir.join("state").display(),
        dir.join("tmp").display()
    );
    AgentConfig::from_yaml_with(&yaml, "test.yaml", |_| None).unwrap()
}

pub fn job(id: &str, command: &str) -> serde_json::Value {
    raw_job(
        id,
        serde_json::json!({"type": "shell_command", "command": command}),
    )
}

pub fn raw_job(id: &str, action: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "job_id": id,
        "execution_id": "exec-1",
        "action": action,
        "lease_expires_at": chrono::Utc::now() + chrono::Duration::seconds(60),
        "lease_seconds": 60,
    })
}

/// Starts the agent; returns its task and the switch that shuts it down.
pub fn start_agent(
    cfg: AgentConfig,
) -> (
    tokio::task::JoinHandle<Result<(), AgentError>>,
    oneshot::Sender<()>,
) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(greenroom_agent::run(cfg, async move {
        let _ = rx.await;
    }));
    (task, tx)
}

pub async fn until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Shuts the agent down and waits (bounded) for it to stop cleanly.
pub async fn stop_agent(
    agent: tokio::task::JoinHandle<Result<(), AgentError>>,
    stop: oneshot::Sender<()>,
    secs: u64,
) {
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(secs), agent)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
