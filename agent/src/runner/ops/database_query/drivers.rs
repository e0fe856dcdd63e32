//! The three drivers of `database_query`, each returning every value as text: PostgreSQL
//! (tokio-postgres, simple query protocol, no TLS yet), MySQL / MariaDB (mysql_async, pure
//! Rust) and SQLite (rusqlite, in a blocking thread, interrupted at the deadline).

use super::{Rows, Target};
use crate::runner::Policy;
use std::path::Path;
use std::time::Duration;

/// Runs `query` on the database `target` names. Errors may quote the connection string:
/// the caller sanitizes them.
pub async fn run(
    target: &Target,
    query: &str,
    allow_writes: bool,
    timeout: Duration,
    policy: &Policy,
) -> Result<Rows, String> {
    match target {
        Target::Postgres(conn) => postgres(conn, query, allow_writes, timeout).await,
        Target::MySql(url) => mysql(url, query, allow_writes).await,
        Target::Sqlite(path) => {
            policy
                .check_path(Path::new(path), "database file")
                .map_err(|r| r.to_string())?;
            let (path, query) = (path.clone(), query.to_string());
            tokio::task::spawn_blocking(move || sqlite(&path, &query, allow_writes, timeout))
                .await
                .map_err(|e| format!("the SQLite reader failed: {e}"))?
        }
    }
}

async fn postgres(
    conn: &str,
    query: &str,
    allow_writes: bool,
    timeout: Duration,
) -> Result<Rows, String> {
    use tokio_postgres::SimpleQueryMessage;
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let driver = tokio::spawn(connection);
    let setup = format!(
        "SET statement_timeout = {}{}",
        timeout.as_millis().max(1),
        if allow_writes {
            ""
        } else {
            "; START TRANSACTION READ ONLY"
        }
    );
    let outcome = async {
        client.batch_execute(&setup).await?;
        client.simple_query(query).await
    }
    .await;
    if !allow_writes {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    drop(client);
    driver.abort();
    let messages = outcome.map_err(|e| {
        let detail = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string());
        format!("PostgreSQL: {detail}")
    })?;
    let mut rows = Rows::default();
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(cols) if rows.columns.is_empty() => {
                rows.columns = cols.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(r) => {
                if rows.columns.is_empty() {
                    rows.columns = r.columns().iter().map(|c| c.name().to_string()).collect();
                }
                rows.rows
                    .push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
            }
            _ => {}
        }
    }
    Ok(rows)
}

async fn mysql(url: &str, query: &str, allow_writes: bool) -> Result<Rows, String> {
    use mysql_async::prelude::Queryable;
    let opts = mysql_async::Opts::from_url(url).map_err(|e| format!("connection_string: {e}"))?;
    let mut c = mysql_async::Conn::new(opts)
        .await
        .map_err(|e| format!("cannot connect to MySQL: {e}"))?;
    let outcome = async {
        if !allow_writes {
            c.query_drop("START TRANSACTION READ ONLY").await?;
        }
        let mut result = c.query_iter(query).await?;
        let columns: Vec<String> = result
            .columns_ref()
            .iter()
            .map(|col| col.name_str().into_owned())
            .collect();
        let raw: Vec<mysql_async::Row> = result.collect().await?;
        Ok::<_, mysql_async::Error>((columns, raw))
    }
    .await;
    if !allow_writes {
        let _ = c.query_drop("ROLLBACK").await;
    }
    let _ = c.disconnect().await;
    let (columns, raw) = outcome.map_err(|e| format!("MySQL: {e}"))?;
    let rows = raw
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.as_ref(i).and_then(mysql_text))
                .collect()
        })
        .collect();
    Ok(Rows { columns, rows })
}

fn mysql_text(v: &mysql_async::Value) -> Option<String> {
    use mysql_async::Value;
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn sqlite(path: &str, query: &str, allow_writes: bool, timeout: Duration) -> Result<Rows, String> {
    use rusqlite::OpenFlags;
    let flags = if allow_writes {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let db = rusqlite::Connection::open_with_flags(path, flags)
        .map_err(|e| format!("cannot open SQLite database {path}: {e}"))?;
    if !allow_writes {
        db.pragma_update(None, "query_only", true)
            .map_err(|e| format!("SQLite: {e}"))?;
    }
    // Interrupts the query at the deadline; dropping `_done` ends the watcher early.
    let interrupt = db.get_interrupt_handle();
    let (_done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(timeout) {
            interrupt.interrupt();
        }
    });
    let mut stmt = db.prepare(query).map_err(|e| format!("SQLite: {e}"))?;
    let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let width = columns.len();
    let mut out = Vec::new();
    let mut rows = stmt.query([]).map_err(|e| format!("SQLite: {e}"))?;
    while let Some(row) = rows.next().map_err(|e| format!("SQLite: {e}"))? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            use rusqlite::types::ValueRef;
            let v = row.get_ref(i).map_err(|e| format!("SQLite: {e}"))?;
            cells.push(match v {
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Some(format!("<{} bytes>", b.len())),
            });
        }
        out.push(cells);
    }
    Ok(Rows { columns, rows: out })
}
