//! Group commit: one writer thread owns the write path; writes that arrive while it is busy
//! share its next transaction.
//!
//! Each write still runs alone, in the order it was queued, inside its own savepoint of the
//! batch's `BEGIN IMMEDIATE` transaction: an error (or a panic) undoes only that write's
//! changes and reaches only its caller. Callers hear back only after the batch commits, so
//! nothing is acknowledged before it is durable (a failed commit fails every write of the
//! batch). Running the writes one after another on one connection is what running them in
//! separate transactions did — same serial order, sequence numbers still in commit order —
//! but SQLite commits, and appends WAL frames for pages every write touches (an execution's
//! control row during a fan-out, the servers table during heartbeats), once per batch
//! instead of once per write.
//!
//! A thread fed by a channel, rather than a blocking task per write contending for the
//! connection's mutex: the profile of a 500-agent fan-out showed most of the hub's time in
//! thread hand-offs (futex waits and wake-ups) around that mutex.
//!
//! Written here rather than taken from a crate: it is the inside of this store's write path
//! (savepoints on our one writer connection), which no SQLite crate offers for rusqlite.

use super::super::codec::Codec;
use super::super::{StoreError, StoreResult};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Writes one transaction takes at most, so a long queue still commits regularly.
const MAX_BATCH: usize = 256;

/// One queued write.
pub(super) trait Write: Send {
    /// Runs the write inside its savepoint; whether it succeeded.
    fn run(&mut self, tx: &Transaction<'_>, codec: &Codec) -> bool;
    /// The batch is over: `commit` is the commit's error, if it failed.
    fn finish(self: Box<Self>, commit: Option<&StoreError>);
}

/// A write whose caller waits for its typed answer.
pub(super) struct Pending<T, F> {
    f: Option<F>,
    out: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>, &Codec) -> StoreResult<T> + Send + 'static,
{
    pub(super) fn new(f: F) -> (Box<Self>, oneshot::Receiver<StoreResult<T>>) {
        let (reply, answer) = oneshot::channel();
        let pending = Box::new(Self {
            f: Some(f),
            out: None,
            reply,
        });
        (pending, answer)
    }
}

impl<T, F> Write for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>, &Codec) -> StoreResult<T> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>, codec: &Codec) -> bool {
        let Some(f) = self.f.take() else { return false };
        let out = catch_unwind(AssertUnwindSafe(|| f(tx, codec))).unwrap_or_else(|_| {
            Err(StoreError::Backend(
                "a store write panicked; it was undone".into(),
            ))
        });
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, commit: Option<&StoreError>) {
        let answer = match (self.out, commit) {
            // Its own error stands whatever the batch did.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)), Some(e)) => Err(e.clone()),
            (Some(Ok(v)), None) => Ok(v),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(StoreError::Backend("a store write was not run".into())),
        };
        // The caller may have gone (its request ended); the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// The writer thread's end of the queue: writes are sent here and run in order.
pub(super) type Sender = std::sync::mpsc::Sender<Box<dyn Write>>;

/// Starts the thread that runs every write on `conn` (locked per batch, so in-memory
/// stores can still read through it between batches). It ends when the last sender is
/// dropped, with the store.
pub(super) fn start_writer(conn: Arc<Mutex<Connection>>, codec: Codec) -> std::io::Result<Sender> {
    let (tx, rx) = std::sync::mpsc::channel::<Box<dyn Write>>();
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(w) => batch.push(w),
                        Err(_) => break,
                    }
                }
                // A write that panicked was caught in its savepoint: the connection is sound.
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                run_batch(&mut conn, &codec, batch);
            }
        })?;
    Ok(tx)
}

fn run_batch(conn: &mut Connection, codec: &Codec, mut batch: Vec<Box<dyn Write>>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = StoreError::from(e);
            batch.into_iter().for_each(|w| w.finish(Some(&e)));
            return;
        }
    };
    for w in batch.iter_mut() {
        if let Err(e) = tx.execute_batch("SAVEPOINT w") {
            // Not run: it hears the error at the end.
            tracing::warn!(error = %e, "cannot open a savepoint for a store write");
            continue;
        }
        let undo = if w.run(&tx, codec) {
            "RELEASE w"
        } else {
            "ROLLBACK TO w; RELEASE w"
        };
        if let Err(e) = tx.execute_batch(undo) {
            // The transaction can no longer be trusted to hold exactly the good writes.
            let e = StoreError::from(e);
            drop(tx);
            batch.into_iter().for_each(|w| w.finish(Some(&e)));
            return;
        }
    }
    match tx.commit() {
        Ok(()) => batch.into_iter().for_each(|w| w.finish(None)),
        Err(e) => {
            let e = StoreError::from(e);
            batch.into_iter().for_each(|w| w.finish(Some(&e)));
        }
    }
}
