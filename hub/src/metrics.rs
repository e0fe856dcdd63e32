//! Prometheus metrics of the hub, served at `/metrics` in the text exposition format.

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub executions_started: IntCounter,
    pub jobs_leased: IntCounter,
    pub results: IntCounterVec,
    pub heartbeats: IntCounter,
    pub enrollments: IntCounterVec,
    pub servers: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("greenroom".into()), None).expect("static prefix is valid");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route class and status",
            ),
            &["api", "status"],
        )
        .expect("static metric");
        let executions_started = IntCounter::new("executions_started_total", "Executions started")
            .expect("static metric");
        let jobs_leased =
            IntCounter::new("jobs_leased_total", "Jobs leased to agents").expect("static metric");
        let results = IntCounterVec::new(
            Opts::new("job_results_total", "Job results stored, by outcome"),
            &["outcome"],
        )
        .expect("static metric");
        let heartbeats = IntCounter::new("agent_heartbeats_total", "Agent heartbeats received")
            .expect("static metric");
        let enrollments = IntCounterVec::new(
            Opts::new("agent_enrollments_total", "Agent enrollments by result"),
            &["result"],
        )
        .expect("static metric");
        let servers = IntGaugeVec::new(Opts::new("servers", "Servers by status"), &["status"])
            .expect("static metric");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(executions_started.clone()),
            Box::new(jobs_leased.clone()),
            Box::new(results.clone()),
            Box::new(heartbeats.clone()),
            Box::new(enrollments.clone()),
            Box::new(servers.clone()),
        ] {
            registry.register(c).expect("each metric registered once");
        }
        Self {
            registry,
            http_requests,
            executions_started,
            jobs_leased,
            results,
            heartbeats,
            enrollments,
            servers,
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "could not encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
