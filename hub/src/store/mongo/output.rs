//! Job output in MongoDB. Lines of one execution take contiguous cursors from a counter
//! (`output_cursors`), allocated by one atomic `$inc` outside any transaction — output is
//! the busiest write and must not serialise on the execution's control record. A writer
//! that took cursors and then found its lines already stored (a repeated delivery racing
//! another) fills them with tombstones. A reader following `after` returns lines up to the
//! first cursor not yet written and stops there, so it is never overtaken by a slower
//! concurrent writer; a gap older than `GAP_GRACE_SECS` (a writer that died between taking
//! cursors and writing) is passed over.

use super::super::{Appended, GAP_GRACE_SECS, LogLine, OutputWindow, StoreError, StoreResult};
use super::moves::{Moved, Step};
use super::{MongoStore, collect, ms};
use crate::lifecycle::{redact, settle};
use crate::model::Timestamp;
use greenroom_proto::{OutputChunk, Stream};
use mongodb::bson::{Document, doc};
use std::collections::BTreeSet;

fn line_from(d: &Document) -> Option<LogLine> {
    Some(LogLine {
        cursor: super::int(d, "cursor")? as u64,
        server_id: d.get_str("server_id").ok()?.to_string(),
        job_id: d.get_str("job_id").ok()?.to_string(),
        seq: super::int(d, "seq")? as u64,
        stream: d.get_str("stream").ok()?.to_string(),
        data: d.get_str("data").ok()?.to_string(),
        timestamp: chrono::DateTime::from_timestamp_millis(super::int(d, "at")?)
            .unwrap_or_default(),
        attempt: super::int(d, "attempt")? as u32,
    })
}

impl MongoStore {
    pub(super) async fn append_output(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> StoreResult<Option<Appended>> {
        let Some(job) = self.col("jobs").find_one(doc! {"_id": job_id}).await? else {
            return Ok(None);
        };
        let job = self.job_from(job)?;
        if job.server_id != server || job.tenant_id != tenant {
            return Ok(None);
        }
        let attempt = i64::from(job.attempt.max(1));
        let seqs: Vec<i64> = chunks.iter().map(|c| c.seq as i64).collect();
        let stored: BTreeSet<i64> = collect(
            self.col("job_output")
                .find(doc! {
                    "execution_id": &job.execution_id, "server_id": server, "job_id": job_id,
                    "attempt": attempt, "seq": {"$in": &seqs},
                })
                .projection(doc! {"seq": 1})
                .await?,
        )
        .await?
        .iter()
        .filter_map(|d| super::int(d, "seq"))
        .collect();
        let mut seen = BTreeSet::new();
        let new: Vec<&OutputChunk> = chunks
            .iter()
            .filter(|c| !stored.contains(&(c.seq as i64)) && seen.insert(c.seq))
            .collect();
        let mut fresh = Vec::new();
        if !new.is_empty() {
            let n = new.len() as i64;
            let end = self.allocate_cursors(&job.execution_id, n).await?;
            let first = end - n + 1;
            let mut docs = Vec::with_capacity(new.len());
            for (i, ch) in new.iter().enumerate() {
                let stream = match ch.stream {
                    Stream::Stdout => "stdout",
                    Stream::Stderr => "stderr",
                };
                let line = LogLine {
                    cursor: (first + i as i64) as u64,
                    server_id: server.to_string(),
                    job_id: job_id.to_string(),
                    seq: ch.seq,
                    stream: stream.to_string(),
                    data: redact::text(&job, &ch.data),
                    timestamp: now,
                    attempt: attempt as u32,
                };
                docs.push(doc! {
                    "execution_id": &job.execution_id, "cursor": line.cursor as i64, "job_id": job_id,
                    "attempt": attempt, "seq": ch.seq as i64, "server_id": server, "stream": stream,
                    "data": &line.data, "at": ms(now),
                });
                fresh.push(line);
            }
            let inserted = self
                .col("job_output")
                .insert_many(docs)
                .ordered(false)
                .await;
            if let Err(e) = inserted {
                // Lines another delivery stored first: their cursors become tombstones, the
                // rest are ours.
                let failed: BTreeSet<usize> = match e.kind.as_ref() {
                    mongodb::error::ErrorKind::InsertMany(m) => m
                        .write_errors
                        .iter()
                        .flatten()
                        .filter(|w| w.code == 11000)
                        .map(|w| w.index)
                        .collect(),
                    _ => return Err(super::classify(e)),
                };
                let mut kept = Vec::new();
                for (i, line) in fresh.into_iter().enumerate() {
                    if failed.contains(&i) {
                        self.col("job_output")
                            .insert_one(doc! {"execution_id": &job.execution_id, "cursor": line.cursor as i64, "void": true, "at": ms(now)})
                            .await?;
                    } else {
                        kept.push(line);
                    }
                }
                fresh = kept;
            }
        }
        // The first output marks the job running: a single-document move (`moves`).
        let job_changed = if crate::lifecycle::on_output(job.state) != job.state {
            matches!(
                self.move_job(job_id, now, |j, ctl| if settle::on_output(j, ctl) {
                    Step::Write(true)
                } else {
                    Step::Keep(false)
                })
                .await?,
                Some(Ok(Moved { answer: true, .. }))
            )
        } else {
            false
        };
        Ok(Some(Appended {
            execution_id: job.execution_id,
            fresh,
            job_changed,
        }))
    }

    pub(super) async fn execution_logs(
        &self,
        id: &str,
        server: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<LogLine>, u64)> {
        let mut filter = doc! {"execution_id": id, "void": {"$exists": false}};
        if let Some(s) = server {
            filter.insert("server_id", s);
        }
        let total = self
            .col("job_output")
            .count_documents(filter.clone())
            .await?;
        let docs = collect(
            self.col("job_output")
                .find(filter)
                .sort(doc! {"server_id": 1, "job_id": 1, "attempt": 1, "seq": 1})
                .skip(offset)
                .limit(i64::from(limit))
                .await?,
        )
        .await?;
        Ok((docs.iter().filter_map(line_from).collect(), total))
    }

    pub(super) async fn execution_output(
        &self,
        id: &str,
        window: OutputWindow,
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Vec<LogLine>> {
        match window {
            OutputWindow::Tail => {
                let docs = collect(
                    self.col("job_output")
                        .find(doc! {"execution_id": id, "void": {"$exists": false}})
                        .sort(doc! {"cursor": -1})
                        .limit(i64::from(limit))
                        .await?,
                )
                .await?;
                let mut lines: Vec<LogLine> = docs.iter().filter_map(line_from).collect();
                lines.reverse();
                Ok(lines)
            }
            OutputWindow::After(after) => {
                let docs = collect(
                    self.col("job_output")
                        .find(doc! {"execution_id": id, "cursor": {"$gt": after as i64}})
                        .sort(doc! {"cursor": 1})
                        .limit(i64::from(limit))
                        .await?,
                )
                .await?;
                let grace = ms(now) - GAP_GRACE_SECS * 1000;
                let mut expected = after as i64 + 1;
                let mut out = Vec::new();
                for d in &docs {
                    let cursor = super::int(d, "cursor").unwrap_or(expected);
                    if cursor != expected {
                        // A cursor before this one is not written yet. Stop, unless the
                        // lines after the gap are old enough that its writer must be gone.
                        if super::int(d, "at").unwrap_or(0) > grace {
                            break;
                        }
                    }
                    expected = cursor + 1;
                    if let Some(line) = line_from(d) {
                        out.push(line);
                    }
                }
                Ok(out)
            }
        }
    }

    pub(super) async fn insert_output_row(&self, d: Document) -> StoreResult<()> {
        self.col("job_output").insert_one(d).await?;
        Ok(())
    }
}

impl MongoStore {
    /// Takes `n` cursors from the execution's counter; the last one taken. No upsert: an
    /// upserting `findAndModify` that inserts may be retried by the driver or answered without
    /// the document, and an increment counted twice would leave a hole readers wait out. The
    /// counter is made by `insert_execution`; for an execution from before it (a restore), the
    /// first writer makes it here, and a racing maker's duplicate is harmless.
    async fn allocate_cursors(&self, execution_id: &str, n: i64) -> StoreResult<i64> {
        for _ in 0..2 {
            let counter = self
                .col("output_cursors")
                .find_one_and_update(doc! {"_id": execution_id}, doc! {"$inc": {"next": n}})
                .return_document(mongodb::options::ReturnDocument::After)
                .await?;
            if let Some(counter) = counter {
                return super::int(&counter, "next").ok_or_else(|| {
                    StoreError::Backend("output cursor counter is not a number".into())
                });
            }
            match self
                .col("output_cursors")
                .insert_one(doc! {"_id": execution_id, "next": 0_i64})
                .await
            {
                Ok(_) => {}
                Err(e) => match super::classify(e) {
                    StoreError::Duplicate { .. } => {}
                    other => return Err(other),
                },
            }
        }
        Err(StoreError::Backend(format!(
            "could not allocate output cursors for execution {execution_id}"
        )))
    }
}
