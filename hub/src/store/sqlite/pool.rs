//! A fixed set of read-only SQLite connections handed out one at a time.
//!
//! Home-made on purpose: the kept pools for rusqlite (`r2d2_sqlite` 0.35, `deadpool-sqlite`
//! 0.14) pin rusqlite 0.40 while this workspace is on 0.43, and what is needed here is
//! small — N connections opened up front, a semaphore so waiters queue fairly, and the
//! connection back in the pool when its guard drops.

use super::super::StoreResult;
use rusqlite::Connection;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(super) struct Pool {
    conns: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

/// A connection out of the pool; back in it when dropped.
pub(super) struct Pooled {
    conn: Option<Connection>,
    conns: Arc<Mutex<Vec<Connection>>>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.conns.lock().unwrap_or_else(|p| p.into_inner()).push(c);
        }
    }
}

impl Pool {
    pub(super) fn open(
        n: usize,
        mut connect: impl FnMut() -> rusqlite::Result<Connection>,
    ) -> StoreResult<Self> {
        let conns = (0..n)
            .map(|_| connect())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self {
            conns: Arc::new(Mutex::new(conns)),
            permits: Arc::new(Semaphore::new(n)),
        })
    }

    pub(super) async fn acquire(&self) -> StoreResult<Pooled> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| super::StoreError::Backend("the reader pool is closed".into()))?;
        let conn = self.conns.lock().unwrap_or_else(|p| p.into_inner()).pop();
        Ok(Pooled {
            conn: Some(conn.ok_or_else(|| {
                super::StoreError::Backend("a reader permit without a connection".into())
            })?),
            conns: self.conns.clone(),
            _permit: permit,
        })
    }
}
