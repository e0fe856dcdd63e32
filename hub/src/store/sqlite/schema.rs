//! The schema and its migrations. `PRAGMA user_version` counts the migrations a database
//! has; opening an older database upgrades it in place, in order, each step in one
//! transaction. Steps 1–3 are SQL; step 4 (tenant-scoped keys, sessions, execution control
//! records, contiguous output cursors, one active lock per server, secrets sealed at rest)
//! rewrites records through the codec, so it is Rust.

use super::super::StoreResult;
use super::super::codec::Codec;
use rusqlite::Connection;

/// The first release's schema; later changes are `MIGRATIONS`.
pub const SCHEMA_V0: &str = r#"
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
/// Schema changes of releases before the store for many writers, applied in order as SQL;
/// `PRAGMA user_version` counts the migrations a database has.
const SQL_MIGRATIONS: &[&str] = &[
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

/// Step 4: the store for many writers.
const V4_TABLES: &str = r#"
CREATE TABLE users_v4 (
    tenant_id TEXT NOT NULL, email TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, email)
);
CREATE INDEX users_v4_email ON users_v4(email);
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, email TEXT NOT NULL, ended INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(tenant_id, email, ended);
DROP TABLE refresh_tokens;
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, tenant_id TEXT NOT NULL, email TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
CREATE TABLE servers_v4 (
    tenant_id TEXT NOT NULL, server_id TEXT NOT NULL, environment TEXT NOT NULL, state TEXT NOT NULL,
    last_heartbeat INTEGER, fingerprint TEXT, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, server_id)
);
CREATE UNIQUE INDEX servers_v4_fingerprint ON servers_v4(fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX servers_v4_env ON servers_v4(tenant_id, environment);
CREATE INDEX servers_v4_state ON servers_v4(state, last_heartbeat);
CREATE TABLE execution_control (
    execution_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, state TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE jobs_v4 (
    job_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, execution_id TEXT NOT NULL, server_id TEXT NOT NULL,
    state TEXT NOT NULL, priority INTEGER NOT NULL, queued_at INTEGER NOT NULL, not_before INTEGER,
    lease_expires_at INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL
);
CREATE INDEX jobs_v4_queue ON jobs_v4(tenant_id, server_id, state, priority DESC, queued_at, job_id);
CREATE INDEX jobs_v4_execution ON jobs_v4(execution_id, server_id);
CREATE INDEX jobs_v4_lease ON jobs_v4(state, lease_expires_at);
CREATE INDEX jobs_v4_due ON jobs_v4(state, not_before);
CREATE TABLE job_output_v4 (
    execution_id TEXT NOT NULL, cursor INTEGER NOT NULL, job_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL, server_id TEXT NOT NULL, stream TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (execution_id, cursor), UNIQUE (job_id, attempt, seq)
);
CREATE INDEX job_output_v4_server ON job_output_v4(execution_id, server_id, job_id, attempt, seq);
CREATE TABLE singletons (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires_at INTEGER NOT NULL
);
"#;

/// The renames that finish step 4, once every record is copied.
const V4_SWAP: &str = r#"
DROP TABLE users; ALTER TABLE users_v4 RENAME TO users;
DROP TABLE servers; ALTER TABLE servers_v4 RENAME TO servers;
DROP TABLE jobs; ALTER TABLE jobs_v4 RENAME TO jobs;
DROP TABLE job_output; ALTER TABLE job_output_v4 RENAME TO job_output;
CREATE UNIQUE INDEX server_locks_one_active ON server_locks(tenant_id, server_id) WHERE status = 'active';
CREATE INDEX server_locks_expiry ON server_locks(status, expires_at);
"#;

fn v4(tx: &rusqlite::Transaction<'_>, codec: &Codec) -> StoreResult<()> {
    use crate::model::{ExecutionControl, Job, Server, User};
    use rusqlite::params;
    tx.execute_batch(V4_TABLES)?;
    // Users: keyed by tenant and email, the document through the codec.
    {
        let mut st = tx.prepare(
            "SELECT email, tenant_id, role, password_hash, disabled, tokens_valid_after FROM users",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        for row in rows {
            let (email, tenant, role, hash, disabled, valid_after) = row?;
            let mut u = User::new(
                &email,
                crate::model::Role::parse(&role).unwrap_or(crate::model::Role::Viewer),
                &tenant,
                hash,
            );
            u.disabled = disabled;
            u.tokens_valid_after = valid_after.map(super::from_ms);
            tx.execute(
                "INSERT INTO users_v4(tenant_id, email, doc) VALUES (?1, ?2, ?3)",
                params![u.tenant_id, u.email, codec.user(&u)?.to_string()],
            )?;
        }
    }
    // Servers: keyed by tenant and id, found by certificate fingerprint.
    {
        let mut st = tx.prepare("SELECT tenant_id, doc FROM servers")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (tenant, doc) = row?;
            let mut s: Server = serde_json::from_str(&doc)?;
            s.tenant_id = tenant;
            super::servers::insert_v4(tx, codec, &s)?;
        }
    }
    // Templates, notification rules: documents through the codec (secrets sealed).
    reencode(tx, "action_templates", "id", |v| {
        codec.template(&codec.template_from(v)?)
    })?;
    reencode(tx, "notification_rules", "id", |v| {
        codec.rule(&codec.rule_from(v)?)
    })?;
    // Locks: their documents carry their tenant; at most one active per server.
    tx.execute(
        "UPDATE server_locks SET doc = json_set(doc, '$.tenant_id', tenant_id)",
        [],
    )?;
    tx.execute(
        "UPDATE server_locks SET status = 'expired', doc = json_set(doc, '$.status', 'expired')
         WHERE status = 'active' AND rowid NOT IN (
             SELECT MAX(rowid) FROM server_locks WHERE status = 'active' GROUP BY tenant_id, server_id)",
        [],
    )?;
    // Schedules: their secret values sealed (the template says which parameters are secret).
    {
        let mut st = tx.prepare("SELECT id, tenant_id, doc FROM schedules")?;
        let rows: Vec<(String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, tenant, doc) in rows {
            let mut v: serde_json::Value = serde_json::from_str(&doc)?;
            v["tenant_id"] = tenant.clone().into();
            let mut s = codec.schedule_from(v)?;
            let template = s.execution["action_template_id"]
                .as_str()
                .map(str::to_string);
            let secret_params = match template {
                Some(tid) => super::templates::get(tx, codec, &tenant, &tid)?
                    .map(|t| t.secret_parameters())
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            s.take_secrets(&secret_params);
            tx.execute(
                "UPDATE schedules SET doc = ?2 WHERE id = ?1",
                params![id, codec.schedule(&s)?.to_string()],
            )?;
        }
    }
    // Jobs: tenant, priority and queue order as columns; secrets sealed.
    {
        let mut st = tx.prepare(
            "SELECT j.doc, j.priority, e.created_at FROM jobs j JOIN executions e ON e.execution_id = j.execution_id ORDER BY j.seq",
        )?;
        let rows: Vec<(String, i64, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (doc, priority, created) in rows {
            let mut j: Job = serde_json::from_str(&doc)?;
            j.priority = match priority {
                2 => crate::model::Priority::High,
                0 => crate::model::Priority::Low,
                _ => crate::model::Priority::Normal,
            };
            j.queued_at = super::from_ms(created);
            super::executions::insert_job_in(tx, codec, "jobs_v4", &j)?;
        }
    }
    // Each execution's control record, its counts from its jobs.
    {
        let mut st = tx.prepare("SELECT doc FROM executions")?;
        let execs: Vec<String> = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for doc in execs {
            let e: crate::model::Execution = serde_json::from_str(&doc)?;
            let jobs = super::executions::jobs_of(tx, codec, &e.execution_id)?;
            let mut ctl = ExecutionControl::of(&e, &jobs);
            let lines: i64 = tx.query_row(
                "SELECT COUNT(*) FROM job_output WHERE execution_id = ?1",
                [&e.execution_id],
                |r| r.get(0),
            )?;
            ctl.next_cursor = lines as u64 + 1;
            super::executions::insert_control(tx, &ctl)?;
        }
    }
    // Output: contiguous cursors per execution, in the order lines were stored.
    tx.execute_batch(
        "INSERT INTO job_output_v4(execution_id, cursor, job_id, attempt, seq, server_id, stream, data, at)
         SELECT execution_id, ROW_NUMBER() OVER (PARTITION BY execution_id ORDER BY rowid), job_id, attempt, seq,
                server_id, stream, data, at FROM job_output;",
    )?;
    tx.execute_batch(V4_SWAP)?;
    Ok(())
}

/// Rewrites every document of a table through `f`.
fn reencode(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    key: &str,
    f: impl Fn(serde_json::Value) -> StoreResult<serde_json::Value>,
) -> StoreResult<()> {
    let rows: Vec<(String, String, String)> = {
        let mut st = tx.prepare(&format!("SELECT {key}, tenant_id, doc FROM {table}"))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, tenant, doc) in rows {
        let mut v: serde_json::Value = serde_json::from_str(&doc)?;
        v["tenant_id"] = tenant.into();
        let new = f(v)?;
        tx.execute(
            &format!("UPDATE {table} SET doc = ?2 WHERE {key} = ?1"),
            rusqlite::params![id, new.to_string()],
        )?;
    }
    Ok(())
}

/// How many migrations a current database has.
/// Steps after 4 (the store for many writers), as SQL.
const LATER_MIGRATIONS: &[&str] = &[
    // 5: the certificate authority's files, shared by the hubs of one store (sealed).
    r#"
    CREATE TABLE pki (
        id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, sealed TEXT NOT NULL
    );
    "#,
    // 6: servers' heartbeat metrics over time, in buckets (model::metrics).
    r#"
    CREATE TABLE metric_buckets (
        tenant_id TEXT NOT NULL, server_id TEXT NOT NULL, resolution INTEGER NOT NULL,
        start INTEGER NOT NULL, count INTEGER NOT NULL,
        cpu_sum REAL NOT NULL, cpu_max REAL NOT NULL, mem_sum REAL NOT NULL, mem_max REAL NOT NULL,
        disk_sum REAL NOT NULL, disk_max REAL NOT NULL, load_sum REAL NOT NULL, load_max REAL NOT NULL,
        PRIMARY KEY (tenant_id, server_id, resolution, start)
    ) WITHOUT ROWID;
    CREATE INDEX metric_buckets_age ON metric_buckets(resolution, start);
    "#,
    // 7: open executions are counted at every start (max_concurrent_executions), and the
    // history is filtered by state: by index, not a scan of the tenant's history.
    r#"
    CREATE INDEX executions_tenant_state ON executions(tenant_id, state, created_at);
    "#,
    // 8: what the server list filters and searches on, in columns (`servers::filter_values`)
    // and a covering index: a search over 5,000 servers parsed every JSON document
    // (docs/performance.md). Filled here from the documents; SQLite's lower() folds ASCII
    // only, so a non-ASCII hostname is folded fully at the server's next write.
    r#"
    ALTER TABLE servers ADD COLUMN server_group TEXT;
    ALTER TABLE servers ADD COLUMN tags TEXT NOT NULL DEFAULT '';
    ALTER TABLE servers ADD COLUMN search TEXT NOT NULL DEFAULT '';
    UPDATE servers SET
        server_group = json_extract(doc, '$.server_group'),
        tags = coalesce((SELECT char(1) || group_concat(value, char(1)) || char(1) FROM json_each(doc, '$.tags')), ''),
        search = lower(server_id || char(1) || coalesce(json_extract(doc, '$.hostname'), '') || char(1)
            || coalesce(json_extract(doc, '$.ip_address'), '')
            || coalesce((SELECT char(1) || group_concat(value, char(1)) FROM json_each(doc, '$.tags')), ''));
    CREATE INDEX servers_filter ON servers(tenant_id, search, server_group, tags, server_id);
    "#,
];

pub const VERSION: i64 = SQL_MIGRATIONS.len() as i64 + 1 + LATER_MIGRATIONS.len() as i64;

/// Brings a database up to [`VERSION`]: the first release's schema if it is empty, then
/// each missing step in its own transaction. A database from a newer release is refused.
pub(super) fn migrate(mut conn: Connection, codec: &Codec) -> StoreResult<Connection> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        // A new database, or one of the first release (its tables already there).
        conn.execute_batch(SCHEMA_V0)?;
    }
    if version > VERSION {
        return Err(super::StoreError::Unavailable(format!(
            "the database has schema version {version}, newer than this hub's {VERSION}: upgrade the hub"
        )));
    }
    let mut rewrote = false;
    for step in version.max(0)..VERSION {
        let tx = conn.transaction()?;
        let step_ = step as usize;
        let v4_step = SQL_MIGRATIONS.len();
        if step_ < v4_step {
            tx.execute_batch(SQL_MIGRATIONS[step_])?;
        } else if step_ == v4_step {
            v4(&tx, codec)?;
            rewrote = true;
        } else {
            tx.execute_batch(LATER_MIGRATIONS[step_ - v4_step - 1])?;
        }
        tx.pragma_update(None, "user_version", step + 1)?;
        tx.commit()?;
    }
    if rewrote {
        // Records rewritten with their secrets sealed leave their old copies in free pages
        // and the WAL: rebuild the file and empty the WAL.
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    Ok(conn)
}
