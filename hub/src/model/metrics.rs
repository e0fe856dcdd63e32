//! A server's heartbeat metrics over time: buckets of samples at two resolutions (a
//! minute, kept a day; a quarter hour, kept a week), each holding sums and maxima so that
//! several hub replicas can add to one bucket, and the points a chart asks for by range.

use super::Timestamp;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One metric within a bucket or point: the sum of its samples and the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub sum: f64,
    pub max: f64,
}

impl Stat {
    fn of(v: f64) -> Self {
        Stat { sum: v, max: v }
    }
    /// The mean over `samples` (zero without any).
    pub fn mean(&self, samples: i64) -> f64 {
        if samples > 0 {
            self.sum / samples as f64
        } else {
            0.0
        }
    }
    fn add(&mut self, other: Stat) {
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }
}

/// The four metrics a heartbeat carries that are charted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricStats {
    pub cpu: Stat,
    pub memory: Stat,
    pub disk: Stat,
    /// The one-minute load average.
    pub load: Stat,
}

impl MetricStats {
    pub fn sample(cpu: f64, memory: f64, disk: f64, load: f64) -> Self {
        // A value the agent could not read arrives as NaN or infinity from a broken
        // source; it must not poison a bucket's sum.
        let v = |x: f64| if x.is_finite() { x } else { 0.0 };
        MetricStats {
            cpu: Stat::of(v(cpu)),
            memory: Stat::of(v(memory)),
            disk: Stat::of(v(disk)),
            load: Stat::of(v(load)),
        }
    }
    pub fn add(&mut self, other: &MetricStats) {
        self.cpu.add(other.cpu);
        self.memory.add(other.memory);
        self.disk.add(other.disk);
        self.load.add(other.load);
    }
}

/// The samples of one server that fell in `[start, start + resolution)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricBucket {
    pub tenant_id: String,
    pub server_id: String,
    /// Seconds: [`Resolution::Minute`] or [`Resolution::QuarterHour`].
    pub resolution: i64,
    pub start: Timestamp,
    pub count: i64,
    pub stats: MetricStats,
}

/// The resolutions buckets are kept at, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Minute,
    QuarterHour,
}

impl Resolution {
    pub const ALL: [Resolution; 2] = [Resolution::Minute, Resolution::QuarterHour];

    pub fn seconds(self) -> i64 {
        match self {
            Resolution::Minute => 60,
            Resolution::QuarterHour => 900,
        }
    }

    /// How long buckets of this resolution are kept: a little over the longest range
    /// served from them.
    pub fn retention(self) -> Duration {
        match self {
            Resolution::Minute => Duration::hours(25),
            Resolution::QuarterHour => Duration::days(8),
        }
    }

    /// The start of the bucket `at` falls in.
    pub fn bucket_start(self, at: Timestamp) -> Timestamp {
        let s = self.seconds();
        let t = at.timestamp().div_euclid(s) * s;
        DateTime::<Utc>::from_timestamp(t, 0).unwrap_or(at)
    }
}

/// The ranges a chart asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum MetricsRange {
    /// The last hour, a point a minute.
    Hour,
    /// The last 24 hours, a point every 5 minutes.
    Day,
    /// The last 7 days, a point an hour.
    Week,
}

impl MetricsRange {
    /// `1h`, `24h`, `7d` (as in the REST query string).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1h" | "hour" => Some(MetricsRange::Hour),
            "24h" | "1d" | "day" => Some(MetricsRange::Day),
            "7d" | "week" => Some(MetricsRange::Week),
            _ => None,
        }
    }

    pub fn span(self) -> Duration {
        match self {
            MetricsRange::Hour => Duration::hours(1),
            MetricsRange::Day => Duration::hours(24),
            MetricsRange::Week => Duration::days(7),
        }
    }

    /// The buckets read for this range.
    pub fn resolution(self) -> Resolution {
        match self {
            MetricsRange::Hour | MetricsRange::Day => Resolution::Minute,
            MetricsRange::Week => Resolution::QuarterHour,
        }
    }

    /// Seconds between points.
    pub fn step(self) -> i64 {
        match self {
            MetricsRange::Hour => 60,
            MetricsRange::Day => 300,
            MetricsRange::Week => 3600,
        }
    }
}

/// One point of a chart: the samples of `[at, at + step)`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub at: Timestamp,
    pub samples: i64,
    pub stats: MetricStats,
}

/// Merges buckets (of one server and resolution, any order) into points `step` seconds
/// apart, oldest first; steps without samples have no point (a chart shows a gap).
pub fn points(buckets: &[MetricBucket], step: i64) -> Vec<MetricPoint> {
    let mut out: std::collections::BTreeMap<i64, MetricPoint> = Default::default();
    for b in buckets.iter().filter(|b| b.count > 0) {
        let key = b.start.timestamp().div_euclid(step) * step;
        let p = out.entry(key).or_insert_with(|| MetricPoint {
            at: DateTime::<Utc>::from_timestamp(key, 0).unwrap_or(b.start),
            samples: 0,
            stats: MetricStats::default(),
        });
        // Metrics are never negative: a default (zero) maximum is a neutral start.
        p.stats.add(&b.stats);
        p.samples += b.count;
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn bucket(min: i64, count: i64, cpu: f64, cpu_max: f64) -> MetricBucket {
        MetricBucket {
            tenant_id: "t".into(),
            server_id: "s".into(),
            resolution: 60,
            start: Utc.timestamp_opt(1_800_000_000 + min * 60, 0).unwrap(),
            count,
            stats: MetricStats {
                cpu: Stat {
                    sum: cpu,
                    max: cpu_max,
                },
                ..Default::default()
            },
        }
    }

    #[test]
    fn buckets_merge_into_points_of_the_step_with_sums_and_maxima() {
        // Minutes 0..5 fall in the first 5-minute step, 5 in the next; minute 2 is empty.
        let b = [
            bucket(0, 2, 20.0, 15.0),
            bucket(1, 1, 50.0, 50.0),
            bucket(2, 0, 0.0, 0.0),
            bucket(5, 4, 40.0, 12.0),
        ];
        let p = points(&b, 300);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].samples, 3);
        assert_eq!(p[0].stats.cpu.sum, 70.0);
        assert_eq!(p[0].stats.cpu.max, 50.0);
        assert_eq!(p[0].at, b[0].start);
        assert_eq!(p[1].samples, 4);
        assert_eq!(p[1].at, b[3].start);
        // A point a minute keeps every bucket with samples, and nothing for the empty one.
        assert_eq!(points(&b, 60).len(), 3);
    }

    #[test]
    fn a_sample_lands_in_the_bucket_that_holds_it_and_bad_values_count_as_zero() {
        let at = Utc.timestamp_opt(1_800_000_959, 0).unwrap();
        assert_eq!(
            Resolution::Minute.bucket_start(at).timestamp(),
            1_800_000_900
        );
        assert_eq!(
            Resolution::QuarterHour.bucket_start(at).timestamp() % 900,
            0
        );
        let s = MetricStats::sample(f64::NAN, 10.0, f64::INFINITY, 1.5);
        assert_eq!(
            (s.cpu.sum, s.memory.sum, s.disk.max, s.load.max),
            (0.0, 10.0, 0.0, 1.5)
        );
    }

    #[test]
    fn each_range_reads_buckets_kept_long_enough() {
        for r in [MetricsRange::Hour, MetricsRange::Day, MetricsRange::Week] {
            assert!(r.resolution().retention() > r.span(), "{r:?}");
            assert_eq!(r.step() % r.resolution().seconds(), 0, "{r:?}");
        }
        assert_eq!(MetricsRange::parse("7d"), Some(MetricsRange::Week));
        assert_eq!(MetricsRange::parse("2h"), None);
    }
}
