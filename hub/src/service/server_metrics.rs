//! Servers' heartbeat metrics over time. Each heartbeat's sample is added in memory to its
//! minute and quarter-hour buckets ([`MetricsHistory::record`]); every replica writes what
//! it gathered to the store every [`FLUSH_EVERY`] (and when it stops), where buckets are
//! added to, not replaced, so samples a server sent to two replicas count once each.
//! The sweeper's holder drops buckets past their retention. A chart reads a range
//! ([`history`]): the buckets of its resolution merged into points of its step.
//!
//! Samples are kept in memory up to a flush: a hub killed outright loses at most the last
//! [`FLUSH_EVERY`] of chart data (never a result or a server's state; the latest metrics
//! live on the server record, written by every heartbeat).

use crate::app::App;
use crate::auth::Caller;
use crate::error::Result;
use crate::model::{MetricBucket, MetricPoint, MetricStats, MetricsRange, Resolution, Timestamp};
use crate::store::{Store, StoreResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How often a replica writes the samples it gathered.
pub const FLUSH_EVERY: Duration = Duration::from_secs(30);

/// Buckets gathered since the last flush, keyed by tenant, server, resolution and start.
type PendingKey = (String, String, i64, Timestamp);
type Pending = HashMap<PendingKey, (i64, MetricStats)>;

fn bucket(((t, s, r, start), (count, stats)): (&PendingKey, &(i64, MetricStats))) -> MetricBucket {
    MetricBucket {
        tenant_id: t.clone(),
        server_id: s.clone(),
        resolution: *r,
        start: *start,
        count: *count,
        stats: *stats,
    }
}

/// The samples this replica gathered and has not yet written.
#[derive(Default)]
pub struct MetricsHistory {
    pending: Mutex<Pending>,
}

impl MetricsHistory {
    /// Adds one heartbeat's sample to its buckets.
    pub fn record(&self, tenant: &str, server: &str, at: Timestamp, m: &greenroom_proto::Metrics) {
        let sample = MetricStats::sample(
            m.cpu_percent,
            m.memory_usage_percent,
            m.disk_usage_percent,
            m.load_average[0],
        );
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for r in Resolution::ALL {
            let key = (
                tenant.to_string(),
                server.to_string(),
                r.seconds(),
                r.bucket_start(at),
            );
            let (count, stats) = pending.entry(key).or_default();
            stats.add(&sample);
            *count += 1;
        }
    }

    /// Writes the gathered buckets; on failure they are kept for the next flush (added to
    /// what arrives meanwhile), so a store briefly away loses no sample.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<usize> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if taken.is_empty() {
            return Ok(0);
        }
        let buckets: Vec<MetricBucket> = taken.iter().map(bucket).collect();
        match store.add_metric_buckets(&buckets).await {
            Ok(()) => Ok(buckets.len()),
            Err(e) => {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (key, (count, stats)) in taken {
                    let (c, s) = pending.entry(key).or_default();
                    s.add(&stats);
                    *c += count;
                }
                Err(e)
            }
        }
    }
}

/// Drops buckets past their retention (the sweeper's holder, hourly).
pub async fn prune(app: &App, now: Timestamp) -> Result<u64> {
    let mut removed = 0;
    for r in Resolution::ALL {
        removed += app
            .store
            .prune_metric_buckets(r.seconds(), now - r.retention())
            .await?;
    }
    Ok(removed)
}

/// A server's metrics over `range` up to `now`, oldest point first (only the caller's
/// tenant's servers; an unknown one is not found).
pub async fn history(
    app: &App,
    caller: &Caller,
    server_id: &str,
    range: MetricsRange,
    now: Timestamp,
) -> Result<Vec<MetricPoint>> {
    let server = super::servers::get(app, caller, server_id).await?;
    let resolution = range.resolution();
    let from = resolution.bucket_start(now - range.span());
    let mut buckets = app
        .store
        .metric_buckets(
            &server.tenant_id,
            &server.server_id,
            resolution.seconds(),
            from,
            now + chrono::Duration::seconds(1),
        )
        .await?;
    // What this replica gathered but has not written yet belongs to the newest points.
    buckets.extend(
        app.metrics_history
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((t, s, r, start), _)| {
                t == &server.tenant_id
                    && s == &server.server_id
                    && *r == resolution.seconds()
                    && *start >= from
            })
            .map(bucket),
    );
    Ok(crate::model::points(&buckets, range.step()))
}
