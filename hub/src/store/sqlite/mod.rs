//! The embedded store: one SQLite file in WAL mode, written by one connection and read by a
//! small pool of read-only connections, so reads never queue behind each other or behind a
//! write (WAL readers see the last committed state). Every write goes to one writer thread
//! and runs, in queue order, in its own savepoint of that thread's `BEGIN IMMEDIATE`
//! transactions (group commit, `commit`: writes queued together commit together), which
//! makes commit order the order of sequence numbers (events, audit entries, output
//! cursors) — the single writer is what keeps followers from being overtaken here; the
//! MongoDB store gets the same from its transactions.
//!
//! Tables mirror the specification's collections; each row keeps the whole document (as
//! `store::codec` makes it, secrets sealed) as JSON beside the columns that are filtered
//! and sorted on. `secure_delete` is on, so a rewritten or deleted row leaves no copy in the
//! file's free pages.
//!
//! The SQL lives in one module per collection as plain functions over a connection; `imp`
//! turns them into the async `Store` methods. WAL checkpoints run on a thread of their own
//! (`checkpoint`), never inside a write's commit.

mod audit;
mod checkpoint;
mod commit;
mod dump;
mod executions;
mod imp;
mod locks;
mod metrics;
mod notify;
mod output;
mod pool;
mod schedules;
pub(crate) mod schema;
mod servers;
mod templates;
mod users;
mod work;

use super::codec::Codec;
use super::{StoreError, StoreResult};
use crate::model::{Page, PageRequest, Timestamp};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use schema::SCHEMA_V0;

/// Read-only connections kept for readers.
const READERS: usize = 4;

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Read by in-memory stores between write batches; written only by the writer thread.
    writer: Arc<Mutex<Connection>>,
    /// The writer thread (`commit`): every write goes through it.
    writes: commit::Sender,
    /// None for an in-memory database: reads then use the writer.
    readers: Option<pool::Pool>,
    codec: Codec,
    path: Option<PathBuf>,
    /// WAL checkpoints off the writer's path (a file's store; `checkpoint`).
    _checkpoints: Option<checkpoint::Checkpointer>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Unavailable(e.to_string()),
            Some(DiskFull) => StoreError::Full(e.to_string()),
            Some(ReadOnly | CannotOpen | PermissionDenied) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

/// Whether an error is a UNIQUE / PRIMARY KEY violation.
pub(super) fn is_duplicate(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(f.extended_code, 1555 | 2067)
    )
}

/// Prepared statements each connection keeps. rusqlite's default is 16, fewer than the
/// statements the writer cycles through every few seconds (heartbeats, leases, the sweeper,
/// the metric flush), so hot statements were evicted and parsed again.
const STATEMENT_CACHE: usize = 256;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path, codec: Codec) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        configure(&conn)?;
        let conn = schema::migrate(conn, &codec)?;
        let checkpoints = checkpoint::start(&conn, path)?;
        let readers = pool::Pool::open(READERS, || {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&c)?;
            Ok(c)
        })?;
        Self::with(
            conn,
            Some(readers),
            codec,
            Some(path.to_path_buf()),
            Some(checkpoints),
        )
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> StoreResult<Self> {
        Self::in_memory_with(Codec::for_tests())
    }

    pub fn in_memory_with(codec: Codec) -> StoreResult<Self> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let conn = schema::migrate(conn, &codec)?;
        Self::with(conn, None, codec, None, None)
    }

    fn with(
        conn: Connection,
        readers: Option<pool::Pool>,
        codec: Codec,
        path: Option<PathBuf>,
        checkpoints: Option<checkpoint::Checkpointer>,
    ) -> StoreResult<Self> {
        let writer = Arc::new(Mutex::new(conn));
        let writes = commit::start_writer(writer.clone(), codec.clone())
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer,
                writes,
                readers,
                codec,
                path,
                _checkpoints: checkpoints,
            }),
        })
    }

    /// The database file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Runs `f` in the writer's next transaction (`BEGIN IMMEDIATE`, shared with the writes
    /// queued beside it: `commit`), in a savepoint of its own: its changes commit when it
    /// returns Ok and the batch commits, and are undone when it returns an error. Answers
    /// once the batch is committed.
    pub(super) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Codec) -> StoreResult<T> + Send + 'static,
    {
        let _timer = crate::metrics::STORE_DURATION.start_timer();
        let (pending, answer) = commit::Pending::new(f);
        self.inner
            .writes
            .send(pending)
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the writer thread dropped a write".into()))?
    }

    /// A write that most calls find nothing to do: `check` on a reader says whether there is
    /// work, and only then does `f` take the writer (it re-reads, so a stale "yes" costs one
    /// empty write); otherwise the answer is `T::default()`. Idle agents' polls use it, so
    /// they never queue on the writer; work arriving after the look wakes the poll, which
    /// looks again.
    pub(super) async fn write_if_read<T, C, F>(&self, check: C, f: F) -> StoreResult<T>
    where
        T: Default + Send + 'static,
        C: FnOnce(&Connection) -> StoreResult<bool> + Send + 'static,
        F: FnOnce(&Transaction<'_>, &Codec) -> StoreResult<T> + Send + 'static,
    {
        if !self.read_inline(move |c, _| check(c)).await? {
            return Ok(T::default());
        }
        self.write(f).await
    }

    /// Runs `f` on a read-only connection on the calling task's thread, for lookups that
    /// read a few pages through an index (an agent's certificate, a lease poll's checks):
    /// there the hand-off to a blocking thread and back costs more than the read — an idle
    /// fleet's hub spent a quarter of its time switching threads. WAL readers do not wait
    /// for the writer, so such a read holds the thread for microseconds. In-memory stores
    /// read through the writer's connection, which may be busy: they use `read`.
    pub(super) async fn read_inline<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Codec) -> StoreResult<T> + Send + 'static,
    {
        let Some(readers) = &self.inner.readers else {
            return self.read(f).await;
        };
        let _timer = crate::metrics::STORE_DURATION.start_timer();
        let conn = readers.acquire().await?;
        f(&conn, &self.inner.codec)
    }

    /// Runs `f` on a read-only connection on a blocking thread.
    pub(super) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Codec) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let _timer = crate::metrics::STORE_DURATION.start_timer();
        let permit = match &inner.readers {
            Some(p) => Some(p.acquire().await?),
            None => None,
        };
        tokio::task::spawn_blocking(move || match permit {
            Some(conn) => f(&conn, &inner.codec),
            None => {
                let conn = inner.writer.lock().map_err(|_| {
                    StoreError::Backend("the writer connection was poisoned".into())
                })?;
                f(&conn, &inner.codec)
            }
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
    }
}

pub(super) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> Timestamp {
    DateTime::<Utc>::from_timestamp_millis(v).unwrap_or_default()
}

pub(super) fn page_of<T>(items: Vec<T>, total: i64, page: PageRequest) -> Page<T> {
    Page {
        items,
        total: total.max(0) as u64,
        page: page.page,
        page_size: page.page_size,
    }
}

/// Parses a JSON document column.
pub(super) fn doc(text: &str) -> StoreResult<serde_json::Value> {
    Ok(serde_json::from_str(text)?)
}

/// Reads the JSON documents a query returns in its first column.
pub(super) fn docs(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<serde_json::Value>> {
    parsed(c, sql, params, doc)
}

/// The text a query returns in its first column, each turned into a record by `parse`.
pub(super) fn parsed<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    parse: impl Fn(&str) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    rows.map(|d| parse(&d?)).collect()
}
