//! Heartbeat metric buckets in MongoDB: one document per (server, resolution, bucket
//! start), added to by upserts (`$inc` counts and sums, `$max` maxima) sent as one
//! `update` command per batch, so a flush of a whole fleet is a few round trips.

use super::super::{StoreError, StoreResult};
use super::{MongoStore, collect, ms};
use crate::model::{MetricBucket, MetricStats, Stat, Timestamp};
use mongodb::bson::{Bson, Document, doc};

/// Updates per `update` command (well under the 100,000 a batch may hold, and the 16 MiB).
const BATCH: usize = 1000;

fn upsert(b: &MetricBucket) -> Document {
    let s = &b.stats;
    doc! {
        "q": {"_id": {"t": &b.tenant_id, "s": &b.server_id, "r": b.resolution, "at": ms(b.start)}},
        "u": {
            "$setOnInsert": {
                "tenant_id": &b.tenant_id, "server_id": &b.server_id,
                "resolution": b.resolution, "start": ms(b.start),
            },
            "$inc": {
                "count": b.count, "cpu_sum": s.cpu.sum, "mem_sum": s.memory.sum,
                "disk_sum": s.disk.sum, "load_sum": s.load.sum,
            },
            "$max": {
                "cpu_max": s.cpu.max, "mem_max": s.memory.max,
                "disk_max": s.disk.max, "load_max": s.load.max,
            },
        },
        "upsert": true,
    }
}

fn num(d: &Document, key: &str) -> f64 {
    match d.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

fn bucket_from(d: &Document, tenant: &str, server: &str, resolution: i64) -> MetricBucket {
    let stat = |sum: &str, max: &str| Stat {
        sum: num(d, sum),
        max: num(d, max),
    };
    MetricBucket {
        tenant_id: tenant.to_string(),
        server_id: server.to_string(),
        resolution,
        start: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(num(d, "start") as i64)
            .unwrap_or_default(),
        count: num(d, "count") as i64,
        stats: MetricStats {
            cpu: stat("cpu_sum", "cpu_max"),
            memory: stat("mem_sum", "mem_max"),
            disk: stat("disk_sum", "disk_max"),
            load: stat("load_sum", "load_max"),
        },
    }
}

impl MongoStore {
    pub(super) async fn add_metric_buckets(&self, buckets: &[MetricBucket]) -> StoreResult<()> {
        for chunk in buckets.chunks(BATCH) {
            let updates: Vec<Document> = chunk.iter().map(upsert).collect();
            let answer = self
                .db
                .run_command(
                    doc! {"update": "metric_buckets", "updates": updates, "ordered": false},
                )
                .await?;
            if let Ok(errors) = answer.get_array("writeErrors")
                && let Some(first) = errors.first()
            {
                return Err(StoreError::Unavailable(format!(
                    "{} of {} metric buckets were not written: {first}",
                    errors.len(),
                    chunk.len()
                )));
            }
        }
        Ok(())
    }

    pub(super) async fn metric_buckets(
        &self,
        tenant: &str,
        server: &str,
        resolution: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<MetricBucket>> {
        let docs = collect(
            self.col("metric_buckets")
                .find(doc! {
                    "tenant_id": tenant, "server_id": server, "resolution": resolution,
                    "start": {"$gte": ms(from), "$lt": ms(to)},
                })
                .sort(doc! {"start": 1})
                .await?,
        )
        .await?;
        Ok(docs
            .iter()
            .map(|d| bucket_from(d, tenant, server, resolution))
            .collect())
    }

    pub(super) async fn prune_metric_buckets(
        &self,
        resolution: i64,
        before: Timestamp,
    ) -> StoreResult<u64> {
        Ok(self
            .col("metric_buckets")
            .delete_many(doc! {"resolution": resolution, "start": {"$lt": ms(before)}})
            .await?
            .deleted_count)
    }

    pub(super) async fn delete_metric_buckets_of(
        &self,
        tenant: &str,
        server: &str,
    ) -> StoreResult<()> {
        self.col("metric_buckets")
            .delete_many(doc! {"tenant_id": tenant, "server_id": server})
            .await?;
        Ok(())
    }
}
