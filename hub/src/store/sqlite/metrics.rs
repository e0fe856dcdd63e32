//! Heartbeat metric buckets in SQLite: one row per (server, resolution, bucket start),
//! added to with an upsert (counts and sums added, maxima kept).

use super::super::StoreResult;
use super::{from_ms, ms};
use crate::model::{MetricBucket, MetricStats, Stat, Timestamp};
use rusqlite::{Connection, Transaction, params};

pub(super) fn add(tx: &Transaction<'_>, buckets: &[MetricBucket]) -> StoreResult<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO metric_buckets(tenant_id, server_id, resolution, start, count,
             cpu_sum, cpu_max, mem_sum, mem_max, disk_sum, disk_max, load_sum, load_max)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(tenant_id, server_id, resolution, start) DO UPDATE SET
             count = count + excluded.count,
             cpu_sum = cpu_sum + excluded.cpu_sum, cpu_max = max(cpu_max, excluded.cpu_max),
             mem_sum = mem_sum + excluded.mem_sum, mem_max = max(mem_max, excluded.mem_max),
             disk_sum = disk_sum + excluded.disk_sum, disk_max = max(disk_max, excluded.disk_max),
             load_sum = load_sum + excluded.load_sum, load_max = max(load_max, excluded.load_max)",
    )?;
    for b in buckets {
        let s = &b.stats;
        st.execute(params![
            b.tenant_id,
            b.server_id,
            b.resolution,
            ms(b.start),
            b.count,
            s.cpu.sum,
            s.cpu.max,
            s.memory.sum,
            s.memory.max,
            s.disk.sum,
            s.disk.max,
            s.load.sum,
            s.load.max
        ])?;
    }
    Ok(())
}

pub(super) fn range(
    c: &Connection,
    tenant: &str,
    server: &str,
    resolution: i64,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<MetricBucket>> {
    let mut st = c.prepare_cached(
        "SELECT start, count, cpu_sum, cpu_max, mem_sum, mem_max, disk_sum, disk_max, load_sum, load_max
         FROM metric_buckets
         WHERE tenant_id = ?1 AND server_id = ?2 AND resolution = ?3 AND start >= ?4 AND start < ?5
         ORDER BY start",
    )?;
    let rows = st.query_map(params![tenant, server, resolution, ms(from), ms(to)], |r| {
        let stat = |i: usize| -> rusqlite::Result<Stat> {
            Ok(Stat {
                sum: r.get(i)?,
                max: r.get(i + 1)?,
            })
        };
        Ok(MetricBucket {
            tenant_id: tenant.to_string(),
            server_id: server.to_string(),
            resolution,
            start: from_ms(r.get(0)?),
            count: r.get(1)?,
            stats: MetricStats {
                cpu: stat(2)?,
                memory: stat(4)?,
                disk: stat(6)?,
                load: stat(8)?,
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn prune(tx: &Transaction<'_>, resolution: i64, before: Timestamp) -> StoreResult<u64> {
    Ok(tx.execute(
        "DELETE FROM metric_buckets WHERE resolution = ?1 AND start < ?2",
        params![resolution, ms(before)],
    )? as u64)
}

pub(super) fn delete_server(tx: &Transaction<'_>, tenant: &str, server: &str) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM metric_buckets WHERE tenant_id = ?1 AND server_id = ?2",
        params![tenant, server],
    )?;
    Ok(())
}
