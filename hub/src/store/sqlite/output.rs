//! Job output in the SQLite store: appending an agent's chunks (idempotent by job, attempt
//! and seq; secrets redacted) and reading lines back per server or in the order they were
//! stored (`rowid` is the execution-wide cursor).

use super::jobs::{read_job, write_job};
use super::{SqliteStore, from_ms, ms};
use crate::error::Result;
use crate::lifecycle;
use crate::model::Timestamp;
use crate::store::{Appended, LogLine, OutputWindow};
use crate::template;
use greenroom_proto::{OutputChunk, Stream};
use rusqlite::params;

pub(super) async fn append_output(
    st: &SqliteStore,
    server_id: &str,
    job_id: &str,
    chunks: &[OutputChunk],
    now: Timestamp,
) -> Result<Option<Appended>> {
    let (server_id, job_id, chunks) = (server_id.to_string(), job_id.to_string(), chunks.to_vec());
    st.with(move |c| {
        let tx = c.transaction()?;
        let Some(mut job) = read_job(&tx, &job_id)? else { return Ok(None) };
        if job.server_id != server_id {
            return Ok(None);
        }
        let mut fresh = Vec::new();
        {
            let mut ins = tx.prepare(
                "INSERT OR IGNORE INTO job_output(job_id, attempt, seq, execution_id, server_id, stream, data, at) VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for mut ch in chunks {
                if !job.secrets.is_empty() {
                    ch.data = template::redact(&ch.data, &job.secrets);
                }
                let stream = match ch.stream {
                    Stream::Stdout => "stdout",
                    Stream::Stderr => "stderr",
                };
                let row = params![job_id, ch.seq as i64, job.execution_id, server_id, stream, ch.data, ms(now), job.attempt.max(1)];
                if ins.execute(row)? > 0 {
                    fresh.push(LogLine {
                        cursor: tx.last_insert_rowid() as u64,
                        server_id: server_id.clone(),
                        job_id: job_id.clone(),
                        seq: ch.seq,
                        stream: stream.to_string(),
                        data: ch.data,
                        timestamp: now,
                        attempt: job.attempt.max(1),
                    });
                }
            }
        }
        let next = lifecycle::on_output(job.state);
        let job_changed = next != job.state;
        if job_changed {
            job.state = next;
            write_job(&tx, &job)?;
        }
        tx.commit()?;
        Ok(Some(Appended { execution_id: job.execution_id, fresh, job_changed }))
    })
    .await
}

pub(super) async fn execution_logs(
    st: &SqliteStore,
    execution_id: &str,
    server: Option<&str>,
    offset: u64,
    limit: u32,
) -> Result<(Vec<LogLine>, u64)> {
    let (id, server) = (execution_id.to_string(), server.map(str::to_string));
    st.with(move |c| {
        let total: i64 = c.query_row(
            "SELECT COUNT(*) FROM job_output WHERE execution_id = ?1 AND (?2 IS NULL OR server_id = ?2)",
            params![id, server],
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(&format!(
            "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 AND (?2 IS NULL OR server_id = ?2)
             ORDER BY server_id, job_id, attempt, seq LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt.query_map(params![id, server, limit, offset as i64], log_line)?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total.max(0) as u64))
    })
    .await
}

const LOG_COLUMNS: &str = "rowid, server_id, job_id, seq, stream, data, at, attempt";

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

pub(super) async fn execution_output(
    st: &SqliteStore,
    execution_id: &str,
    window: OutputWindow,
    limit: u32,
) -> Result<Vec<LogLine>> {
    let id = execution_id.to_string();
    st.with(move |c| {
        let lines: Vec<LogLine> = match window {
            OutputWindow::After(after) => {
                let mut stmt = c.prepare(&format!(
                    "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3"
                ))?;
                let rows = stmt.query_map(params![id, after as i64, limit], log_line)?;
                rows.collect::<rusqlite::Result<_>>()?
            }
            OutputWindow::Tail => {
                let mut stmt = c.prepare(&format!(
                    "SELECT {LOG_COLUMNS} FROM job_output WHERE execution_id = ?1 ORDER BY rowid DESC LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![id, limit], log_line)?;
                let mut v: Vec<LogLine> = rows.collect::<rusqlite::Result<_>>()?;
                v.reverse();
                v
            }
        };
        Ok(lines)
    })
    .await
}
