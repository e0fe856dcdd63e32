//! Prometheus metrics of the hub, served at `/metrics` in the text exposition format. Names
//! follow Prometheus conventions (`greenroom_` prefix, `_total` counters, `_seconds` units).
//! Gauges of stored state (servers, executions, jobs by status) are read at scrape time.

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Buckets of the request and store latency histograms, in seconds.
const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0,
];

/// Store calls, timed where every call passes (the SQLite store's connection hand-off); one
/// process-wide histogram, registered in each registry.
pub static STORE_DURATION: std::sync::LazyLock<prometheus::Histogram> =
    std::sync::LazyLock::new(|| {
        prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "store_operation_duration_seconds",
                "Store calls from request to answer, including the wait for the connection",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("static metric")
    });

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub graphql_duration: HistogramVec,
    /// Every store call, from asking to done (includes waiting for the connection).
    pub store_duration: prometheus::Histogram,
    pub queue_depth: IntGaugeVec,
    pub executions_started: IntCounter,
    pub jobs_leased: IntCounter,
    pub results: IntCounterVec,
    pub job_duration: HistogramVec,
    pub heartbeats: IntCounter,
    /// Requests on the agent listener, by endpoint (the route's template) and status: the
    /// fleet's load on the hub (an idle agent sends one lease poll per heartbeat interval).
    pub agent_requests: IntCounterVec,
    pub enrollments: IntCounterVec,
    pub servers: IntGaugeVec,
    pub executions: IntGaugeVec,
    pub jobs: IntGaugeVec,
    pub long_polls: IntGauge,
    pub lease_expiries: IntCounter,
    pub lock_events: IntCounterVec,
    pub subscriptions: IntGauge,
    pub dropped_events: IntCounter,
    /// 1 while the audit chain verifies, 0 once an entry does not (checked periodically).
    pub audit_chain_intact: IntGauge,
    pub notifications: IntCounterVec,
    /// `not_after` of each CA (`ca` = active, next, retiring), set at scrape time.
    pub ca_expiry: IntGaugeVec,
    pub rate_limited: IntCounterVec,
    pub login_failures: IntCounterVec,
    /// 1 while events and wake-ups reach the other replicas (always 1 in-process).
    pub bus_connected: IntGauge,
    /// Events and wake-ups that could not be relayed to the other replicas.
    pub bus_relay_dropped: IntCounter,
    /// 1 on the replica that holds a singleton (`name`: sweeper, scheduler, notifier, …).
    pub singleton_held: IntGaugeVec,
    /// Times this replica took a singleton over.
    pub singleton_takeovers: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn reg<C: Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("each metric registered once");
    c
}

impl Metrics {
    pub fn new() -> Self {
        let r =
            Registry::new_custom(Some("greenroom".into()), None).expect("static prefix is valid");
        let counter =
            |name: &str, help: &str| reg(&r, IntCounter::new(name, help).expect("static metric"));
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            reg(
                &r,
                IntCounterVec::new(Opts::new(name, help), labels).expect("static metric"),
            )
        };
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            reg(
                &r,
                IntGaugeVec::new(Opts::new(name, help), labels).expect("static metric"),
            )
        };
        let histogram = |name: &str, help: &str, labels: &[&str], buckets: Vec<f64>| {
            reg(
                &r,
                HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
                    .expect("static metric"),
            )
        };
        let m = Self {
            http_requests: counter_vec(
                "http_requests_total",
                "HTTP requests by API and status",
                &["api", "status"],
            ),
            http_duration: histogram(
                "http_request_duration_seconds",
                "HTTP request duration by API, route (the path template), method and status",
                &["api", "route", "method", "status"],
                LATENCY_BUCKETS.to_vec(),
            ),
            graphql_duration: histogram(
                "graphql_operation_duration_seconds",
                "GraphQL query and mutation duration by operation name and status (ok, error)",
                &["operation", "status"],
                LATENCY_BUCKETS.to_vec(),
            ),
            store_duration: reg(&r, STORE_DURATION.clone()),
            queue_depth: gauge_vec(
                "queue_depth",
                "Jobs waiting to be leased, by priority",
                &["priority"],
            ),
            executions_started: counter("executions_started_total", "Executions started"),
            jobs_leased: counter("jobs_leased_total", "Jobs leased to agents"),
            results: counter_vec(
                "job_results_total",
                "Job results stored, by outcome",
                &["outcome"],
            ),
            job_duration: histogram(
                "job_duration_seconds",
                "Job wall time reported by agents, by outcome",
                &["outcome"],
                vec![0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0],
            ),
            heartbeats: counter(
                "agent_heartbeats_total",
                "Agent heartbeats received, on their own or with a lease poll",
            ),
            agent_requests: counter_vec(
                "agent_requests_total",
                "Requests on the agent listener, by endpoint and status",
                &["endpoint", "status"],
            ),
            enrollments: counter_vec(
                "agent_enrollments_total",
                "Agent enrollments by result",
                &["result"],
            ),
            servers: gauge_vec("servers", "Servers by status", &["status"]),
            executions: gauge_vec("executions", "Executions by status", &["status"]),
            jobs: gauge_vec("jobs", "Per-server jobs by status", &["status"]),
            long_polls: reg(
                &r,
                IntGauge::new("lease_polls_held", "Agent lease long-polls held open now")
                    .expect("static metric"),
            ),
            lease_expiries: counter(
                "lease_expiries_total",
                "Job leases that lapsed (agent stopped reporting)",
            ),
            lock_events: counter_vec(
                "lock_events_total",
                "Server lock changes by event",
                &["event"],
            ),
            subscriptions: reg(
                &r,
                IntGauge::new("subscription_clients", "Live subscriptions open now")
                    .expect("static metric"),
            ),
            dropped_events: counter(
                "subscription_dropped_events_total",
                "Live events a slow subscriber missed (it was sent a fresh snapshot instead)",
            ),
            audit_chain_intact: reg(
                &r,
                IntGauge::new(
                    "audit_chain_intact",
                    "1 while every audit entry's hash verifies, 0 once one does not",
                )
                .expect("static metric"),
            ),
            notifications: counter_vec(
                "notification_attempts_total",
                "Notification delivery attempts by outcome (delivered, retried, failed)",
                &["outcome"],
            ),
            ca_expiry: gauge_vec(
                "ca_certificate_expiry_timestamp_seconds",
                "Expiry (Unix time) of the hub's CA certificates, by role in a rotation",
                &["ca"],
            ),
            rate_limited: counter_vec(
                "rate_limited_total",
                "Requests refused by a rate limit, by quota (api, login, login_account)",
                &["quota"],
            ),
            login_failures: counter_vec(
                "login_failures_total",
                "Failed sign-ins by reason (bad_password, unknown_account, disabled, throttled)",
                &["reason"],
            ),
            bus_connected: reg(
                &r,
                IntGauge::new(
                    "bus_connected",
                    "1 while live events and wake-ups reach the other hub replicas (Redis), always 1 for a single hub",
                )
                .expect("static metric"),
            ),
            bus_relay_dropped: reg(
                &r,
                IntCounter::new(
                    "bus_relay_dropped_total",
                    "Events and wake-ups not relayed to other replicas (Redis unreachable or too slow)",
                )
                .expect("static metric"),
            ),
            singleton_held: reg(
                &r,
                IntGaugeVec::new(
                    Opts::new("singleton_held", "1 on the replica that runs this singleton work now"),
                    &["name"],
                )
                .expect("static metric"),
            ),
            singleton_takeovers: counter_vec(
                "singleton_takeovers_total",
                "Times this replica took a singleton over (a first start, or another holder gone)",
                &["name"],
            ),
            registry: r,
        };
        m.bus_connected.set(1);
        // Series an alert rule or dashboard reads exist from the start (at 0).
        for reason in ["bad_password", "unknown_account", "disabled", "throttled"] {
            m.login_failures.with_label_values(&[reason]);
        }
        for quota in ["api", "login", "login_account"] {
            m.rate_limited.with_label_values(&[quota]);
        }
        for outcome in ["delivered", "retried", "failed"] {
            m.notifications.with_label_values(&[outcome]);
        }
        for event in [
            "acquired",
            "contended",
            "extended",
            "released",
            "force_released",
            "expired",
        ] {
            m.lock_events.with_label_values(&[event]);
        }
        m
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

/// Decrements a gauge when dropped: held by long-polls and subscriptions while they live.
pub struct GaugeGuard(IntGauge);

impl GaugeGuard {
    pub fn hold(g: &IntGauge) -> Self {
        g.inc();
        Self(g.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
