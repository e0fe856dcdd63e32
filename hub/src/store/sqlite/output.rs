//! Job output in the SQLite store: an agent's chunks appended (idempotent by job, attempt
//! and seq; redacted), each new line taking the next contiguous cursor of its execution in
//! the same transaction, and lines read back per server or in cursor order.

use super::super::codec::Codec;
use super::super::{Appended, LogLine, OutputWindow, StoreResult};
use super::executions::{commit_control, read_control, read_job, write_job};
use super::{from_ms, ms};
use crate::lifecycle::{redact, settle};
use crate::model::Timestamp;
use greenroom_proto::{OutputChunk, Stream};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub(super) fn append(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    job_id: &str,
    chunks: &[OutputChunk],
    now: Timestamp,
) -> StoreResult<Option<Appended>> {
    let Some(mut job) = read_job(tx, codec, job_id)? else {
        return Ok(None);
    };
    if job.server_id != server || job.tenant_id != tenant {
        return Ok(None);
    }
    let Some(mut ctl) = read_control(tx, &job.execution_id)? else {
        return Ok(None);
    };
    let attempt = job.attempt.max(1);
    let mut fresh = Vec::new();
    {
        let mut exists = tx.prepare_cached(
            "SELECT 1 FROM job_output WHERE job_id = ?1 AND attempt = ?2 AND seq = ?3",
        )?;
        let mut ins = tx.prepare_cached(
            "INSERT INTO job_output(execution_id, cursor, job_id, attempt, seq, server_id, stream, data, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for ch in chunks {
            if exists
                .query_row(params![job_id, attempt, ch.seq as i64], |_| Ok(()))
                .optional()?
                .is_some()
            {
                continue;
            }
            let stream = match ch.stream {
                Stream::Stdout => "stdout",
                Stream::Stderr => "stderr",
            };
            let data = redact::text(&job, &ch.data);
            let cursor = ctl.next_cursor;
            ctl.next_cursor += 1;
            ins.execute(params![
                job.execution_id,
                cursor as i64,
                job_id,
                attempt,
                ch.seq as i64,
                server,
                stream,
                data,
                ms(now)
            ])?;
            fresh.push(LogLine {
                cursor,
                server_id: server.to_string(),
                job_id: job_id.to_string(),
                seq: ch.seq,
                stream: stream.to_string(),
                data,
                timestamp: now,
                attempt,
            });
        }
    }
    let job_changed = settle::on_output(&mut job, &mut ctl);
    if job_changed {
        write_job(tx, codec, &job)?;
    }
    if job_changed || !fresh.is_empty() {
        commit_control(tx, &mut ctl, now)?;
    }
    Ok(Some(Appended {
        execution_id: job.execution_id,
        fresh,
        job_changed,
    }))
}

const LOG_COLUMNS: &str = "cursor, server_id, job_id, seq, stream, data, at, attempt";

fn log_line(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogLine> {
    Ok(LogLine {
        cursor: r.get::<_, i64>(0)? as u64,
        server_id: r.get(1)?,
        job_id: r.get(2)?,
        seq: r.get::<_, i64>(3)? as u64,
        stream: r.get(4)?,
        data: r.get(5)?,
        timestamp: from_ms(r.get(6)?),
        attempt: r.get::<_, i64>(7)? as u32,
    })
}

pub(super) fn logs(
    c: &Connection,
    execution_id: &str,
    server: Option<&str>,
    offset: u64,
    limit: u32,
) -> StoreResult<(Vec<LogLine>, u64)> {
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM job_output WHERE execution_id = ?1 AND (?2 IS NULL OR server_id = ?2)",
        params![execution_id, server],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 AND (?2 IS NULL OR server_id = ?2)
         ORDER BY server_id, job_id, attempt, seq LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt.query_map(
        params![execution_id, server, limit, offset as i64],
        log_line,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total.max(0) as u64))
}

/// Lines in cursor order. With one writer, every cursor up to the last committed one is
/// there: no reader can be overtaken.
pub(super) fn window(
    c: &Connection,
    execution_id: &str,
    window: OutputWindow,
    limit: u32,
) -> StoreResult<Vec<LogLine>> {
    Ok(match window {
        OutputWindow::After(after) => {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 AND cursor > ?2 ORDER BY cursor LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![execution_id, after as i64, limit], log_line)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
        OutputWindow::Tail => {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 ORDER BY cursor DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![execution_id, limit], log_line)?;
            let mut v: Vec<LogLine> = rows.collect::<rusqlite::Result<_>>()?;
            v.reverse();
            v
        }
    })
}
