//! The local HTTP API (`monitoring.health_check_bind:health_check_port`, 127.0.0.1 unless
//! configured otherwise): `GET /health` (agent state, host metrics, disk I/O, running jobs),
//! `GET /metrics` (Prometheus text), `GET /openapi.json` (this API, described by hand in
//! `openapi.json` beside this file) and `GET /docs` (a self-contained page rendering it —
//! no CDN, no JavaScript framework).

use crate::jobs::Running;
use crate::metrics::{LocalMetrics, SharedMetrics};
use crate::stats::Stats;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use greenroom_proto::Metrics;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What the health endpoint reads.
#[derive(Clone)]
pub struct HealthState {
    pub started: Instant,
    pub server_id: String,
    pub enrolled: Arc<AtomicBool>,
    pub running: Running,
    pub metrics: SharedMetrics,
    pub stats: Arc<Stats>,
    /// Holds the outbox (counted for `greenroom_agent_outbox_depth`) and the certificate
    /// (`greenroom_agent_certificate_expiry_seconds`).
    pub state_dir: std::path::PathBuf,
}

/// Seconds until the agent's certificate expires (negative once it has), when it has one.
fn certificate_expiry_seconds(state_dir: &std::path::Path) -> Option<f64> {
    let pem = std::fs::read_to_string(state_dir.join("agent.crt")).ok()?;
    let not_after = greenroom_pki::not_after_pem(&pem).ok()?;
    Some((not_after - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0)
}

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");
const DOCS: &str = include_str!("docs.html");

/// The body of `GET /health`.
#[derive(Debug, Serialize)]
pub struct HealthBody {
    pub status: &'static str,
    pub version: &'static str,
    pub server_id: String,
    pub enrolled: bool,
    /// Seconds since the agent process started.
    pub uptime_seconds: u64,
    pub running_jobs: usize,
    /// Whether the last exchange with the hub worked.
    pub hub_connected: bool,
    pub metrics: Metrics,
    pub local: LocalMetrics,
}

/// The local API's routes.
pub fn router(state: HealthState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(prometheus))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(|| async { Html(DOCS) }))
        .with_state(state)
}

async fn health(State(s): State<HealthState>) -> Json<HealthBody> {
    Json(HealthBody {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        server_id: s.server_id.clone(),
        enrolled: s.enrolled.load(Ordering::Relaxed),
        uptime_seconds: s.started.elapsed().as_secs(),
        running_jobs: s.running.len(),
        hub_connected: s.stats.is_connected(),
        metrics: s.metrics.get(),
        local: s.metrics.local(),
    })
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

fn outbox_depth(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    })
}

async fn prometheus(State(s): State<HealthState>) -> impl IntoResponse {
    let m = s.metrics.get();
    let l = s.metrics.local();
    let depth = outbox_depth(&s.state_dir.join("outbox")) as f64;
    let mut gauges = vec![
        (
            "jobs_running",
            "Jobs running or queued on this agent.",
            s.running.len() as f64,
        ),
        (
            "outbox_depth",
            "Results kept until the hub acknowledges them.",
            depth,
        ),
        (
            "hub_connected",
            "1 when the last exchange with the hub worked.",
            f64::from(u8::from(s.stats.is_connected())),
        ),
        (
            "uptime_seconds",
            "Seconds since the agent started.",
            s.started.elapsed().as_secs_f64(),
        ),
        ("host_cpu_percent", "CPU use of the host.", m.cpu_percent),
        (
            "host_memory_usage_percent",
            "Memory use of the host.",
            m.memory_usage_percent,
        ),
        (
            "host_disk_usage_percent",
            "Use of the filesystem holding the state directory.",
            m.disk_usage_percent,
        ),
        ("host_load1", "1-minute load average.", m.load_average[0]),
        (
            "host_disk_read_bytes_per_second",
            "Bytes read from the host's disks per second.",
            l.disk_read_bytes_per_sec,
        ),
        (
            "host_disk_write_bytes_per_second",
            "Bytes written to the host's disks per second.",
            l.disk_write_bytes_per_sec,
        ),
        (
            "process_resident_memory_mb",
            "Resident memory of the agent process, MiB.",
            l.agent_rss_mb,
        ),
        (
            "process_cpu_seconds_total",
            "CPU seconds used by the agent process.",
            l.agent_cpu_seconds,
        ),
    ];
    if let Some(left) = certificate_expiry_seconds(&s.state_dir) {
        gauges.push((
            "certificate_expiry_seconds",
            "Seconds until this agent's certificate expires (it renews well before).",
            left,
        ));
    }
    let text = s.stats.render(&gauges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_certificate_expiry_is_read_from_the_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(certificate_expiry_seconds(dir.path()), None, "not enrolled");
        let ca = greenroom_pki::CertificateAuthority::load_or_create(&dir.path().join("pki"))
            .expect("a CA");
        std::fs::write(dir.path().join("agent.crt"), ca.cert_pem()).unwrap();
        let left = certificate_expiry_seconds(dir.path()).expect("a certificate");
        let years = left / (365.0 * 86400.0);
        assert!(
            (9.0..=10.1).contains(&years),
            "a ten-year CA: {years} years"
        );
        std::fs::write(dir.path().join("agent.crt"), "not a certificate").unwrap();
        assert_eq!(certificate_expiry_seconds(dir.path()), None);
    }

    #[tokio::test]
    async fn health_reports_state_and_metrics() {
        let state = HealthState {
            started: Instant::now(),
            server_id: "web-01".into(),
            enrolled: Arc::new(AtomicBool::new(true)),
            running: Running::default(),
            metrics: crate::metrics::spawn_sampler(
                std::path::Path::new("/"),
                true,
                std::time::Duration::from_secs(60),
            ),
            stats: Arc::new(Stats::default()),
            state_dir: std::path::PathBuf::from("/nonexistent"),
        };
        let _cancel = state.running.insert("job-1");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        let get = |path: &'static str| async move {
            let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
            conn.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .expect("write");
            let mut text = String::new();
            conn.read_to_string(&mut text).await.expect("read");
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            text[text.find("\r\n\r\n").expect("body") + 4..].to_string()
        };
        let metrics = get("/metrics").await;
        assert!(
            metrics.contains("greenroom_agent_jobs_running 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("greenroom_agent_outbox_depth 0"),
            "{metrics}"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&get("/openapi.json").await).expect("openapi json");
        assert!(
            doc["paths"]["/health"].is_object() && doc["paths"]["/metrics"].is_object(),
            "{doc}"
        );
        let docs = get("/docs").await;
        assert!(
            docs.contains("<html") && !docs.contains("https://"),
            "the docs page loads nothing from outside"
        );
        let body = get("/health").await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["server_id"], "web-01");
        assert_eq!(v["enrolled"], true);
        assert_eq!(v["running_jobs"], 1);
        assert!(
            v["metrics"]["memory_usage_percent"]
                .as_f64()
                .expect("number")
                > 0.0,
            "{v}"
        );
        assert!(
            v["local"]["agent_rss_mb"].as_f64().expect("rss") > 0.0,
            "{v}"
        );
        assert!(v["local"]["disk_read_bytes_per_sec"].is_number(), "{v}");
        assert_eq!(
            v["metrics"]["load_average"]
                .as_array()
                .expect("array")
                .len(),
            3
        );
    }
}
