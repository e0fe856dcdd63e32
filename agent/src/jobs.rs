//! One leased job from start to outbox: register it as running (so the heartbeat renews its
//! lease and the hub can cancel it), run it, stream its output live in ordered batches, and
//! put its result in the outbox for delivery.

use crate::daemon::Shared;
use crate::runner::output::{OutputPiece, Utf8Carry};
use crate::runner::{JobControl, run_action};
use greenroom_proto::{
    JobResult, LeasedJob, Outcome, OutputBatch, OutputChunk, ResourceUsage, Stream,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;

/// A job's output batches go at most this often (a chatty job's lines are gathered)…
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// …while the first line after a quiet spell waits only this long for the rest of its burst.
const FLUSH_LINGER: Duration = Duration::from_millis(10);
/// …or once it holds this much.
const FLUSH_BYTES: usize = 32 * 1024;
/// Attempts per output batch before it is dropped (output is best-effort).
const OUTPUT_ATTEMPTS: u32 = 3;
/// How long a finished job waits for its last output batches before its result goes.
const OUTPUT_LINGER: Duration = Duration::from_secs(15);

/// The jobs this agent holds (running, or queued for a slot), each with the switch that
/// cancels it, and a watch of how many there are.
#[derive(Debug, Clone)]
pub struct Running(Arc<RunningInner>);

#[derive(Debug)]
struct RunningInner {
    map: Mutex<HashMap<String, watch::Sender<bool>>>,
    count: watch::Sender<usize>,
}

impl Default for Running {
    fn default() -> Self {
        Self(Arc::new(RunningInner {
            map: Mutex::new(HashMap::new()),
            count: watch::Sender::new(0),
        }))
    }
}

impl Running {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.0.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a job; `None` if a job with that id already runs here.
    pub fn insert(&self, job_id: &str) -> Option<watch::Receiver<bool>> {
        let mut map = self.map();
        if map.contains_key(job_id) {
            return None;
        }
        let (tx, rx) = watch::channel(false);
        map.insert(job_id.to_string(), tx);
        self.0.count.send_replace(map.len());
        Some(rx)
    }

    pub fn remove(&self, job_id: &str) {
        let mut map = self.map();
        map.remove(job_id);
        self.0.count.send_replace(map.len());
    }

    /// Asks a running job to stop; false if it is not running here.
    pub fn cancel(&self, job_id: &str) -> bool {
        self.map()
            .get(job_id)
            .map(|tx| tx.send_replace(true))
            .is_some()
    }

    pub fn cancel_all(&self) {
        for tx in self.map().values() {
            tx.send_replace(true);
        }
    }

    /// Resolves once fewer than `n` jobs are held.
    pub async fn wait_below(&self, n: usize) {
        let mut rx = self.0.count.subscribe();
        let _ = rx.wait_for(|c| *c < n).await;
    }

    /// Waits until no job is held; false when `limit` passed first.
    pub async fn wait_empty(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.wait_below(1))
            .await
            .is_ok()
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.map().keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The wire name of an outcome, for logs.
pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failed => "failed",
        Outcome::Timeout => "timeout",
        Outcome::Cancelled => "cancelled",
    }
}

/// Runs one leased job (registered in `shared.running` by the caller, which gave its cancel
/// switch) to its stored result. It waits for a slot of `max_concurrent_jobs` first, and
/// holds it throughout; cancelled while queued, it reports `cancelled` without running.
pub async fn run_job(
    shared: Arc<Shared>,
    job: LeasedJob,
    mut cancel: watch::Receiver<bool>,
    slots: Arc<Semaphore>,
) {
    let request_id = job.request_id.clone().unwrap_or_default();
    let span = tracing::info_span!("job", job_id = %job.job_id, execution_id = %job.execution_id, request_id = %request_id);
    async move {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                tracing::info!("all slots are busy; the job waits in the local queue");
                tokio::select! {
                    p = slots.acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => return,
                    },
                    _ = crate::runner::cancelled(&mut cancel) => {
                        let mut r = internal_failure(chrono::Utc::now(), "cancelled while waiting for a free slot; it did not run");
                        r.status = Outcome::Cancelled;
                        r.request_id.clone_from(&job.request_id);
                        store_result(&shared, &job.job_id, &r);
                        return;
                    }
                }
            }
        };
        tracing::info!(kind = job.action.kind(), "job started");
        let (live_tx, live_rx) = mpsc::channel(256);
        let streamer = tokio::spawn(
            stream_output(shared.clone(), job.job_id.clone(), job.request_id.clone(), live_rx)
                .instrument(tracing::Span::current()),
        );
        let action = job.action.clone();
        let policy = shared.policy.clone();
        let started_at = chrono::Utc::now();
        let ctl = JobControl { cancel, live: Some(live_tx) };
        let run = tokio::spawn(async move { run_action(&action, &policy, ctl).await }.in_current_span());
        let mut result = match run.await {
            Ok(r) => r,
            Err(e) => internal_failure(started_at, &format!("the runner failed: {e}")),
        };
        result.request_id.clone_from(&job.request_id);
        tracing::info!(
            status = outcome_name(result.status),
            exit_code = result.exit_code,
            duration = result.execution_time,
            "job finished"
        );
        shared.job_finished(&job.action, &result);
        if let Err(e) = shared.outbox.put(&job.job_id, &result) {
            tracing::error!(error = %e, "could not write the result to the outbox; keeping it in memory");
        }
        shared.running.remove(&job.job_id);
        drop(permit);
        if tokio::time::timeout(OUTPUT_LINGER, streamer).await.is_err() {
            tracing::warn!("live output still pending; sending the result first");
        }
        shared.wake_delivery.notify_one();
    }
    .instrument(span)
    .await
}

/// Puts a result in the outbox, forgets the job and wakes delivery.
fn store_result(shared: &Shared, job_id: &str, result: &JobResult) {
    if let Err(e) = shared.outbox.put(job_id, result) {
        tracing::error!(job_id, error = %e, "could not write the result to the outbox; keeping it in memory");
    }
    shared.running.remove(job_id);
    shared.wake_delivery.notify_one();
}

/// Reports a failed result for a leased job this agent cannot even read.
pub fn refuse_unreadable(shared: &Shared, job_id: &str, error: &str) {
    tracing::error!(
        job_id,
        error,
        "the hub sent a job this agent version cannot read"
    );
    let result = internal_failure(
        chrono::Utc::now(),
        &format!("this agent version cannot read the job: {error}"),
    );
    store_result(shared, job_id, &result);
}

fn internal_failure(started_at: chrono::DateTime<chrono::Utc>, message: &str) -> JobResult {
    let now = chrono::Utc::now();
    JobResult {
        status: Outcome::Failed,
        exit_code: None,
        output: String::new(),
        error_output: format!("[greenroom] {message}"),
        execution_time: (now - started_at).num_milliseconds().max(0) as f64 / 1000.0,
        resource_usage: ResourceUsage::default(),
        truncated: false,
        started_at,
        finished_at: now,
        checks: Vec::new(),
        request_id: None,
        sent_at: None,
    }
}

/// Builds ordered output chunks (per-job `seq` from 0) from raw pieces.
#[derive(Default)]
struct Batcher {
    seq: u64,
    stdout: Utf8Carry,
    stderr: Utf8Carry,
    chunks: Vec<OutputChunk>,
    bytes: usize,
}

impl Batcher {
    fn add(&mut self, stream: Stream, text: String) {
        if text.is_empty() {
            return;
        }
        self.bytes += text.len();
        if let Some(last) = self.chunks.last_mut()
            && last.stream == stream
            && last.data.len() + text.len() <= FLUSH_BYTES
        {
            last.data.push_str(&text);
            return;
        }
        self.chunks.push(OutputChunk {
            seq: self.seq,
            stream,
            data: text,
        });
        self.seq += 1;
    }

    fn push(&mut self, piece: OutputPiece) {
        let text = match piece.stream {
            Stream::Stdout => self.stdout.push(&piece.data),
            Stream::Stderr => self.stderr.push(&piece.data),
        };
        self.add(piece.stream, text);
    }

    fn finish(&mut self) {
        let out = self.stdout.finish();
        self.add(Stream::Stdout, out);
        let err = self.stderr.finish();
        self.add(Stream::Stderr, err);
    }

    fn take(&mut self) -> Vec<OutputChunk> {
        self.bytes = 0;
        std::mem::take(&mut self.chunks)
    }
}

/// Sends live output as it arrives: a line after a quiet spell goes within `FLUSH_LINGER`;
/// a steady stream goes in batches at most every `FLUSH_EVERY` (or at `FLUSH_BYTES`).
/// Batches go in order, each retried a few times and then dropped with a warning.
async fn stream_output(
    shared: Arc<Shared>,
    job_id: String,
    request_id: Option<String>,
    mut rx: mpsc::Receiver<OutputPiece>,
) {
    let mut batcher = Batcher::default();
    let mut closed = false;
    let mut give_up = false;
    let mut last_sent: Option<tokio::time::Instant> = None;
    while !closed {
        match rx.recv().await {
            Some(p) => batcher.push(p),
            None => closed = true,
        }
        let now = tokio::time::Instant::now();
        let deadline = last_sent.map_or(now + FLUSH_LINGER, |t| {
            (t + FLUSH_EVERY).max(now + FLUSH_LINGER)
        });
        while !closed && batcher.bytes < FLUSH_BYTES {
            tokio::select! {
                p = rx.recv() => match p {
                    Some(p) => batcher.push(p),
                    None => closed = true,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if closed {
            batcher.finish();
        }
        let chunks = batcher.take();
        if chunks.is_empty() || give_up {
            continue;
        }
        last_sent = Some(tokio::time::Instant::now());
        let batch = OutputBatch {
            chunks,
            request_id: request_id.clone(),
        };
        give_up = !send_batch(&shared, &job_id, batch).await;
    }
}

/// Sends one batch; false when the hub will not take any more output for this job.
async fn send_batch(shared: &Shared, job_id: &str, batch: OutputBatch) -> bool {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=OUTPUT_ATTEMPTS {
        match shared.client.output(job_id, &batch).await {
            Ok(_) => return true,
            Err(e) if e.is_identity_rejected() => {
                shared.report_fatal(&e);
                return false;
            }
            Err(e) if e.is_client_error() => {
                tracing::warn!(error = %e, "the hub refuses output for this job; no more will be streamed");
                return false;
            }
            Err(e) if attempt == OUTPUT_ATTEMPTS => {
                let first = batch.chunks.first().map_or(0, |c| c.seq);
                tracing::warn!(error = %e, first_seq = first, chunks = batch.chunks.len(), "dropping an output batch");
            }
            Err(e) => {
                tracing::debug!(error = %e, attempt, "output batch failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batcher_numbers_chunks_and_merges_runs_of_one_stream() {
        let mut b = Batcher::default();
        b.push(OutputPiece {
            stream: Stream::Stdout,
            data: b"a\n".to_vec(),
        });
        b.push(OutputPiece {
            stream: Stream::Stdout,
            data: b"b\xc3".to_vec(),
        });
        b.push(OutputPiece {
            stream: Stream::Stderr,
            data: b"oops\n".to_vec(),
        });
        b.push(OutputPiece {
            stream: Stream::Stdout,
            data: b"\xa9\n".to_vec(),
        });
        let first = b.take();
        assert_eq!(
            first,
            vec![
                OutputChunk {
                    seq: 0,
                    stream: Stream::Stdout,
                    data: "a\nb".into()
                },
                OutputChunk {
                    seq: 1,
                    stream: Stream::Stderr,
                    data: "oops\n".into()
                },
                OutputChunk {
                    seq: 2,
                    stream: Stream::Stdout,
                    data: "é\n".into()
                },
            ]
        );
        b.push(OutputPiece {
            stream: Stream::Stdout,
            data: b"tail\xe2".to_vec(),
        });
        b.finish();
        let second = b.take();
        assert_eq!(
            second,
            vec![OutputChunk {
                seq: 3,
                stream: Stream::Stdout,
                data: "tail\u{FFFD}".into()
            }]
        );
    }

    #[test]
    fn running_jobs_can_be_cancelled_once_registered() {
        let r = Running::default();
        let rx = r.insert("j1").expect("new");
        assert!(r.insert("j1").is_none(), "duplicates are refused");
        assert_eq!(r.ids(), vec!["j1"]);
        assert!(!r.cancel("other"));
        assert!(r.cancel("j1"));
        assert!(*rx.borrow());
        r.remove("j1");
        assert!(r.is_empty());
    }
}
