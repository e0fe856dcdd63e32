//! The agent's own counters, rendered as Prometheus text on `/metrics` (names
//! `greenroom_agent_*`): jobs by outcome, a job duration histogram, reconnects to the hub.
//! Plain atomics and a hand-written exposition: no metrics crate needed for a dozen series.

use greenroom_proto::{JobResult, Outcome};
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Upper bounds (seconds) of the job duration histogram.
pub const DURATION_BUCKETS: [f64; 10] =
    [0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0];
const OUTCOMES: [(Outcome, &str); 4] = [
    (Outcome::Success, "success"),
    (Outcome::Failed, "failed"),
    (Outcome::Timeout, "timeout"),
    (Outcome::Cancelled, "cancelled"),
];

#[derive(Debug, Default)]
pub struct Stats {
    jobs: [AtomicU64; 4],
    buckets: [AtomicU64; DURATION_BUCKETS.len()],
    duration_ms_sum: AtomicU64,
    reconnects: AtomicU64,
    connected: AtomicBool,
    ever_connected: AtomicBool,
}

impl Stats {
    pub fn record(&self, r: &JobResult) {
        if let Some(i) = OUTCOMES.iter().position(|(o, _)| *o == r.status) {
            self.jobs[i].fetch_add(1, Ordering::Relaxed);
        }
        for (i, le) in DURATION_BUCKETS.iter().enumerate() {
            if r.execution_time <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_ms_sum
            .fetch_add((r.execution_time * 1000.0) as u64, Ordering::Relaxed);
    }

    /// Notes whether the last exchange with the hub worked; counts reconnections.
    pub fn connected(&self, ok: bool) {
        let was = self.connected.swap(ok, Ordering::Relaxed);
        if ok && !was && self.ever_connected.swap(true, Ordering::Relaxed) {
            self.reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition; `gauges` are extra `(name, help, value)` lines.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP greenroom_agent_jobs_total Jobs finished, by outcome."
        );
        let _ = writeln!(out, "# TYPE greenroom_agent_jobs_total counter");
        for (i, (_, name)) in OUTCOMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "greenroom_agent_jobs_total{{status=\"{name}\"}} {}",
                self.jobs[i].load(Ordering::Relaxed)
            );
        }
        let count: u64 = self.jobs.iter().map(|j| j.load(Ordering::Relaxed)).sum();
        let _ = writeln!(
            out,
            "# HELP greenroom_agent_job_duration_seconds Wall time of finished jobs."
        );
        let _ = writeln!(out, "# TYPE greenroom_agent_job_duration_seconds histogram");
        for (i, le) in DURATION_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "greenroom_agent_job_duration_seconds_bucket{{le=\"{le}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "greenroom_agent_job_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "greenroom_agent_job_duration_seconds_sum {}",
            self.duration_ms_sum.load(Ordering::Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(out, "greenroom_agent_job_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP greenroom_agent_reconnects_total Times the hub was reached again after a failure."
        );
        let _ = writeln!(out, "# TYPE greenroom_agent_reconnects_total counter");
        let _ = writeln!(
            out,
            "greenroom_agent_reconnects_total {}",
            self.reconnects.load(Ordering::Relaxed)
        );
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP greenroom_agent_{name} {help}");
            let _ = writeln!(out, "# TYPE greenroom_agent_{name} gauge");
            let _ = writeln!(out, "greenroom_agent_{name} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_counters_histogram_and_gauges() {
        let s = Stats::default();
        s.connected(true);
        s.connected(false);
        s.connected(true);
        let now = chrono::Utc::now();
        s.record(&JobResult {
            status: Outcome::Success,
            exit_code: Some(0),
            output: String::new(),
            error_output: String::new(),
            execution_time: 2.0,
            resource_usage: Default::default(),
            truncated: false,
            started_at: now,
            finished_at: now,
            checks: Vec::new(),
            request_id: None,
            sent_at: None,
        });
        let text = s.render(&[("outbox_depth", "Results not yet acknowledged.", 3.0)]);
        for line in [
            "greenroom_agent_jobs_total{status=\"success\"} 1",
            "greenroom_agent_job_duration_seconds_bucket{le=\"1\"} 0",
            "greenroom_agent_job_duration_seconds_bucket{le=\"5\"} 1",
            "greenroom_agent_job_duration_seconds_count 1",
            "greenroom_agent_reconnects_total 1",
            "greenroom_agent_outbox_depth 3",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }
}
