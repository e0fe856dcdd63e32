//! The local HTTP endpoint (`monitoring.health_check_bind:health_check_port`): `GET /health`
//! with the agent's state and the server's metrics, for systemd, load balancers and people.

use crate::jobs::Running;
use crate::metrics::SharedMetrics;
use axum::extract::State;
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
}

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
    pub metrics: Metrics,
}

/// The local API's routes.
pub fn router(state: HealthState) -> Router {
    Router::new()
        .route("/health", get(health))
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
        metrics: s.metrics.get(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        };
        let _cancel = state.running.insert("job-1");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
        conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut text = String::new();
        conn.read_to_string(&mut text).await.expect("read");
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let body = &text[text.find("\r\n\r\n").expect("body") + 4..];
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
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
        assert_eq!(
            v["metrics"]["load_average"]
                .as_array()
                .expect("array")
                .len(),
            3
        );
    }
}
