//! Latency summaries (HdrHistogram, microseconds) printed as the harness reads them.

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::time::Duration;

/// One kind of measurement: latencies and a count of failures.
pub struct Recorder {
    hist: Histogram<u64>,
    pub errors: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            // 1 µs .. 10 min, 3 significant digits.
            hist: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"),
            errors: 0,
        }
    }
}

impl Recorder {
    pub fn record(&mut self, d: Duration) {
        self.hist.saturating_record(d.as_micros().max(1) as u64);
    }

    pub fn add(&mut self, other: &Recorder) {
        // Same bounds on both sides: cannot fail.
        let _ = self.hist.add(&other.hist);
        self.errors += other.errors;
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// `{count, errors, p50_ms, p95_ms, p99_ms, max_ms}`.
    pub fn summary(&self) -> Value {
        let ms = |q: f64| self.hist.value_at_quantile(q) as f64 / 1000.0;
        json!({
            "count": self.count(),
            "errors": self.errors,
            "p50_ms": ms(0.50),
            "p95_ms": ms(0.95),
            "p99_ms": ms(0.99),
            "max_ms": self.hist.max() as f64 / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_what_was_recorded() {
        let mut r = Recorder::default();
        for ms in 1..=100 {
            r.record(Duration::from_millis(ms));
        }
        let s = r.summary();
        assert_eq!(s["count"], 100);
        let p50 = s["p50_ms"].as_f64().unwrap();
        let p99 = s["p99_ms"].as_f64().unwrap();
        assert!((49.9..=50.1).contains(&p50), "{p50}");
        assert!((98.9..=99.1).contains(&p99), "{p99}");
        let mut total = Recorder::default();
        total.add(&r);
        total.add(&r);
        assert_eq!(total.count(), 200);
    }
}
