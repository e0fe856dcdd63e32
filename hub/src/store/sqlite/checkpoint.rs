//! WAL checkpoints off the writer's path. Left to SQLite, a checkpoint runs inside the
//! commit that takes the WAL past 1,000 pages: that commit copies the pages into the
//! database file and fsyncs it while every write queued behind it waits — during a fan-out
//! of 100 jobs, about once per fan-out. Here the writer connection never checkpoints
//! (`wal_autocheckpoint = 0`); a thread with a connection of its own does, every second
//! (`PASSIVE`: it copies what no reader still needs and never blocks the writer or a
//! reader), and once more when the store closes. With `synchronous = NORMAL` a commit does
//! not fsync, so the writer no longer waits for the disk at all; what a power loss can take
//! is unchanged (commits since the last checkpoint's sync, as before).
//!
//! Written here rather than taken from a crate: it is a loop around one PRAGMA.

use super::super::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How often the WAL is copied into the database file.
const EVERY: Duration = Duration::from_secs(1);

/// The checkpoint thread; it stops (after a last checkpoint) when this is dropped.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

/// Turns the writer's automatic checkpoints off and starts the thread that does them.
pub(super) fn start(writer: &Connection, path: &Path) -> StoreResult<Checkpointer> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
    super::configure(&conn)?;
    writer.pragma_update(None, "wal_autocheckpoint", 0)?;
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            loop {
                let last = !matches!(
                    stopped.recv_timeout(EVERY),
                    Err(mpsc::RecvTimeoutError::Timeout)
                );
                // Busy (a backup's exclusive step, say) or a full disk: the next round tries again.
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
                if last {
                    return;
                }
            }
        })
        .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(Checkpointer { _stop: stop })
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;
    use crate::store::Store;

    /// The database file alone, without its WAL: what has been checkpointed into it.
    fn servers_in_main_file(path: &std::path::Path, copy: &std::path::Path) -> i64 {
        std::fs::copy(path, copy).unwrap();
        let c = rusqlite::Connection::open(copy).unwrap();
        c.query_row("SELECT COUNT(*) FROM servers", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn writes_reach_the_database_file_though_the_writer_never_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let (path, copy) = (dir.path().join("g.db"), dir.path().join("copy.db"));
        let st = SqliteStore::open(&path, crate::store::codec::Codec::for_tests()).unwrap();
        for i in 0..20 {
            let s = crate::store::contract::server("t1", &format!("s{i}"), "dev", &[]);
            st.insert_server(&s).await.unwrap();
        }
        // Far below the 1,000 pages at which SQLite would checkpoint by itself.
        let mut seen = 0;
        for _ in 0..50 {
            seen = servers_in_main_file(&path, &copy);
            if seen == 20 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(seen, 20, "the servers never left the WAL");
        // And the writer's own commits do not checkpoint.
        let writer_setting: i64 = st
            .inner
            .writer
            .lock()
            .unwrap()
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(writer_setting, 0);
    }
}
