//! The embedded store: one SQLite file (WAL), one connection used from a blocking thread.
//! Tables mirror the specification's collections; each row keeps the full document as JSON
//! beside the columns that are filtered and sorted on.

mod imp;
mod jobs;
mod locks;
mod notify;
mod output;
mod schedules;
mod servers;
mod settle;
mod users;

use crate::error::{Error, Result};
use crate::model::{AuditEntry, Page, PageRequest, Timestamp};
use crate::store::{RefreshToken, RefreshUse};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The first release's schema; later changes are `MIGRATIONS`.
pub(crate) const SCHEMA_V0: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, email TEXT NOT NULL, tenant_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family);
CREATE TABLE IF NOT EXISTS enrollment_tokens (
    token_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_by TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used_at INTEGER, used_by TEXT
);
CREATE TABLE IF NOT EXISTS servers (
    server_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, environment TEXT NOT NULL, state TEXT NOT NULL,
    last_heartbeat INTEGER, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS servers_tenant_env ON servers(tenant_id, environment);
CREATE TABLE IF NOT EXISTS action_templates (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE(tenant_id, name)
);
CREATE TABLE IF NOT EXISTS executions (
    execution_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, state TEXT NOT NULL,
    created_at INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_tenant_created ON executions(tenant_id, created_at);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL UNIQUE, execution_id TEXT NOT NULL,
    server_id TEXT NOT NULL, state TEXT NOT NULL, priority INTEGER NOT NULL,
    lease_expires_at INTEGER, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_server_state ON jobs(server_id, state);
CREATE INDEX IF NOT EXISTS jobs_execution ON jobs(execution_id);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(state, lease_expires_at);
CREATE TABLE IF NOT EXISTS job_output (
    job_id TEXT NOT NULL, seq INTEGER NOT NULL, execution_id TEXT NOT NULL, server_id TEXT NOT NULL,
    stream TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (job_id, seq)
);
CREATE INDEX IF NOT EXISTS job_output_execution ON job_output(execution_id);
CREATE TABLE IF NOT EXISTS audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, timestamp INTEGER NOT NULL,
    event_type TEXT NOT NULL, doc TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_logs_no_update BEFORE UPDATE ON audit_logs
    BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_logs_no_delete BEFORE DELETE ON audit_logs
    BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
"#;

/// Schema changes after the first release, applied in order; `PRAGMA user_version` counts
/// how many a database has.
const MIGRATIONS: &[&str] = &[
    // 1: rate control, priority, retries, cancellation, locks, schedules.
    r#"
    ALTER TABLE executions ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE executions ADD COLUMN max_concurrency INTEGER;
    ALTER TABLE executions ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN not_before INTEGER;
    ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS jobs_cancel ON jobs(server_id, cancel_requested);
    DROP TABLE IF EXISTS server_locks;
    CREATE TABLE server_locks (
        id TEXT PRIMARY KEY, server_id TEXT NOT NULL, tenant_id TEXT NOT NULL, status TEXT NOT NULL,
        expires_at INTEGER NOT NULL, owner_execution TEXT, fencing_token INTEGER NOT NULL, doc TEXT NOT NULL
    );
    CREATE INDEX server_locks_active ON server_locks(server_id, status);
    CREATE TABLE fencing (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);
    INSERT INTO fencing(id, next) VALUES (1, 1);
    CREATE TABLE schedules (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, enabled INTEGER NOT NULL, next_run_at INTEGER, doc TEXT NOT NULL
    );
    ALTER TABLE job_output RENAME TO job_output_v0;
    CREATE TABLE job_output (
        job_id TEXT NOT NULL, attempt INTEGER NOT NULL, seq INTEGER NOT NULL, execution_id TEXT NOT NULL,
        server_id TEXT NOT NULL, stream TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (job_id, attempt, seq)
    );
    INSERT INTO job_output SELECT job_id, 1, seq, execution_id, server_id, stream, data, at FROM job_output_v0;
    DROP TABLE job_output_v0;
    CREATE INDEX job_output_execution_v1 ON job_output(execution_id, server_id);
    CREATE TABLE schedule_runs (
        schedule_id TEXT NOT NULL, occurrence_at INTEGER NOT NULL, status TEXT NOT NULL, execution_id TEXT,
        recorded_at INTEGER NOT NULL, PRIMARY KEY (schedule_id, occurrence_at)
    );
    "#,
    // 2: user status, session cut-off, login lock-out.
    r#"
    ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER;
    ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN locked_until INTEGER;
    ALTER TABLE enrollment_tokens ADD COLUMN uses_left INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE enrollment_tokens ADD COLUMN scope TEXT;
    "#,
    // 3: output in append order; the event outbox; notification rules and deliveries.
    r#"
    CREATE INDEX job_output_append ON job_output(execution_id);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, kind TEXT NOT NULL,
        subject TEXT NOT NULL, at INTEGER NOT NULL, doc TEXT NOT NULL
    );
    CREATE TABLE cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE notification_rules (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL
    );
    CREATE TABLE notification_deliveries (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, rule_id TEXT NOT NULL, event_seq INTEGER NOT NULL,
        status TEXT NOT NULL, next_attempt_at INTEGER, created_at INTEGER NOT NULL, doc TEXT NOT NULL,
        UNIQUE (rule_id, event_seq)
    );
    CREATE INDEX notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
    CREATE INDEX notification_deliveries_tenant ON notification_deliveries(tenant_id, created_at);
    "#,
];

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA_V0)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    pub(super) async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        let _timer = crate::metrics::STORE_DURATION.start_timer();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| Error::internal("store connection poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(Error::internal)?
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

fn audit_hash(prev: &str, doc: &str) -> String {
    hex::encode(Sha256::digest(format!("{prev}\n{doc}").as_bytes()))
}

pub(super) async fn insert_refresh_token(s: &SqliteStore, t: &RefreshToken) -> Result<()> {
    let t = t.clone();
    s.with(move |c| {
        c.execute(
            "INSERT INTO refresh_tokens(token_hash, family, email, tenant_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.token_hash, t.family, t.email, t.tenant_id, ms(t.expires_at)],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn use_refresh_token(
    s: &SqliteStore,
    hash: &str,
    now: Timestamp,
) -> Result<RefreshUse> {
    let hash = hash.to_string();
    s.with(move |c| {
        let tx = c.transaction()?;
        let row = tx
            .query_row(
                "SELECT family, email, tenant_id, expires_at, used FROM refresh_tokens WHERE token_hash = ?1",
                [&hash],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?)),
            )
            .optional()?;
        let out = match row {
            None => RefreshUse::Invalid,
            Some((family, email, tenant_id, _, used)) if used != 0 => RefreshUse::Reused { family, email, tenant_id },
            Some((_, _, _, exp, _)) if exp <= ms(now) => RefreshUse::Invalid,
            Some((family, email, tenant_id, exp, _)) => {
                tx.execute("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1", [&hash])?;
                RefreshUse::Fresh(RefreshToken { token_hash: hash, family, email, tenant_id, expires_at: from_ms(exp) })
            }
        };
        tx.commit()?;
        Ok(out)
    })
    .await
}

pub(super) async fn revoke_refresh_family(s: &SqliteStore, family: &str) -> Result<()> {
    let family = family.to_string();
    s.with(move |c| {
        c.execute("DELETE FROM refresh_tokens WHERE family = ?1", [&family])?;
        Ok(())
    })
    .await
}

pub(super) async fn insert_enrollment_token(
    s: &SqliteStore,
    hash: &str,
    tenant: &str,
    by: &str,
    exp: Timestamp,
    uses: u32,
    scope: Option<&serde_json::Value>,
) -> Result<()> {
    let (hash, tenant, by) = (hash.to_string(), tenant.to_string(), by.to_string());
    let scope = scope.map(|v| v.to_string());
    s.with(move |c| {
        c.execute(
            "INSERT INTO enrollment_tokens(token_hash, tenant_id, created_by, expires_at, uses_left, scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![hash, tenant, by, ms(exp), uses.max(1), scope],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn consume_enrollment_token(
    s: &SqliteStore,
    hash: &str,
    server_id: &str,
    now: Timestamp,
) -> Result<Option<(String, Option<serde_json::Value>)>> {
    let (hash, server_id) = (hash.to_string(), server_id.to_string());
    s.with(move |c| {
        let tx = c.transaction()?;
        let row: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT tenant_id, scope FROM enrollment_tokens WHERE token_hash = ?1 AND uses_left > 0 AND expires_at > ?2",
                params![hash, ms(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if row.is_some() {
            tx.execute(
                "UPDATE enrollment_tokens SET uses_left = uses_left - 1, used_at = ?2, used_by = ?3 WHERE token_hash = ?1",
                params![hash, ms(now), server_id],
            )?;
        }
        tx.commit()?;
        Ok(row.map(|(tenant, scope)| (tenant, scope.and_then(|s| serde_json::from_str(&s).ok()))))
    })
    .await
}

pub(super) async fn append_audit(s: &SqliteStore, e: &AuditEntry) -> Result<()> {
    let doc = serde_json::to_string(e)?;
    let (tenant, ts, kind) = (e.tenant_id.clone(), ms(e.timestamp), e.event_type.clone());
    s.with(move |c| {
        let tx = c.transaction()?;
        let prev: String = tx
            .query_row("SELECT hash FROM audit_logs ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        let hash = audit_hash(&prev, &doc);
        tx.execute(
            "INSERT INTO audit_logs(tenant_id, timestamp, event_type, doc, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![tenant, ts, kind, doc, prev, hash],
        )?;
        tx.commit()?;
        Ok(())
    })
    .await
}

pub(super) async fn list_audit(
    s: &SqliteStore,
    tenant: &str,
    page: PageRequest,
) -> Result<Page<serde_json::Value>> {
    let tenant = tenant.to_string();
    s.with(move |c| {
        let total: i64 = c.query_row("SELECT COUNT(*) FROM audit_logs WHERE tenant_id = ?1", [&tenant], |r| r.get(0))?;
        let mut st = c.prepare("SELECT seq, doc, hash FROM audit_logs WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3")?;
        let rows = st.query_map(params![tenant, page.page_size, page.offset() as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (seq, doc, hash) = row?;
            let mut v: serde_json::Value = serde_json::from_str(&doc)?;
            v["seq"] = seq.into();
            v["hash"] = hash.into();
            if let Some(o) = v.as_object_mut() {
                o.remove("tenant_id");
            }
            items.push(v);
        }
        Ok(page_of(items, total, page))
    })
    .await
}

pub(super) async fn verify_audit_chain(s: &SqliteStore) -> Result<Option<u64>> {
    s.with(|c| {
        let mut st = c.prepare("SELECT seq, doc, prev_hash, hash FROM audit_logs ORDER BY seq")?;
        let mut rows = st.query([])?;
        let mut prev = String::new();
        while let Some(r) = rows.next()? {
            let (seq, doc, p, h): (i64, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            if p != prev || audit_hash(&prev, &doc) != h {
                return Ok(Some(seq as u64));
            }
            prev = h;
        }
        Ok(None)
    })
    .await
}
