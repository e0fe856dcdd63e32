//! The audit log (append-only, hash-chained), the event outbox, named cursors and the
//! singleton leases of hub replicas in the SQLite store. Sequence numbers are taken inside
//! the writing transaction by the single writer, so they commit in order.

use super::super::codec::Codec;
use super::super::{PkiFiles, Singleton, StoreError, StoreResult};
use super::{from_ms, ms, page_of};
use crate::audit::AuditFilter;
use crate::model::{AuditEntry, EventKind, Page, PageRequest, StoredEvent, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::audit::chain_hash as audit_hash;

pub(super) fn append(tx: &Transaction<'_>, e: &AuditEntry) -> StoreResult<u64> {
    let doc = serde_json::to_string(e)?;
    let prev: String = tx
        .prepare_cached("SELECT hash FROM audit_logs ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let hash = audit_hash(&prev, &doc);
    tx.prepare_cached(
        "INSERT INTO audit_logs(tenant_id, timestamp, event_type, doc, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![e.tenant_id, ms(e.timestamp), e.event_type, doc, prev, hash])?;
    Ok(tx.last_insert_rowid() as u64)
}

/// The WHERE clause of an audit query and its parameters: the tenant, then each filter
/// field that is set (actor and resource are read from the stored document).
fn audit_where(tenant: &str, f: &AuditFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value as V;
    let mut sql = String::from("tenant_id = ?");
    let mut args = vec![V::Text(tenant.to_string())];
    let mut eq = |expr: &str, v: &Option<String>, sql: &mut String| {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {expr} = ?"));
            args.push(V::Text(v.clone()));
        }
    };
    eq("event_type", &f.event_type, &mut sql);
    eq("json_extract(doc, '$.actor.id')", &f.actor, &mut sql);
    eq(
        "json_extract(doc, '$.resource.type')",
        &f.resource_type,
        &mut sql,
    );
    eq(
        "json_extract(doc, '$.resource.id')",
        &f.resource_id,
        &mut sql,
    );
    if !f.exclude_event_types.is_empty() {
        let marks = vec!["?"; f.exclude_event_types.len()].join(", ");
        sql.push_str(&format!(" AND event_type NOT IN ({marks})"));
        args.extend(f.exclude_event_types.iter().cloned().map(V::Text));
    }
    if let Some(from) = f.from {
        sql.push_str(" AND timestamp >= ?");
        args.push(V::Integer(ms(from)));
    }
    if let Some(to) = f.to {
        sql.push_str(" AND timestamp < ?");
        args.push(V::Integer(ms(to)));
    }
    (sql, args)
}

pub(super) fn list(
    c: &Connection,
    tenant: &str,
    filter: &AuditFilter,
    page: PageRequest,
) -> StoreResult<Page<serde_json::Value>> {
    let (cond, mut args) = audit_where(tenant, filter);
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM audit_logs WHERE {cond}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    // A keyset page: the key is the sequence number; the list is newest (largest) first.
    let mut cond = cond;
    let seek = &filter.seek;
    for (key, op) in [(&seek.after, "<"), (&seek.before, ">")] {
        if let Some(key) = key {
            let Ok(seq) = key.parse::<i64>() else {
                return Err(StoreError::Corrupt(format!("not an audit key: {key}")));
            };
            cond.push_str(&format!(" AND seq {op} ?"));
            args.push(rusqlite::types::Value::Integer(seq));
        }
    }
    let dir = if seek.from_end { "ASC" } else { "DESC" };
    let offset = if seek.is_active() { 0 } else { page.offset() };
    let mut st = c.prepare_cached(&format!(
        "SELECT seq, doc, hash FROM audit_logs WHERE {cond} ORDER BY seq {dir} LIMIT ? OFFSET ?"
    ))?;
    args.push(rusqlite::types::Value::Integer(i64::from(page.page_size)));
    args.push(rusqlite::types::Value::Integer(offset as i64));
    let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
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
    if seek.from_end {
        items.reverse();
    }
    Ok(page_of(items, total, page))
}

pub(super) fn verify(c: &Connection) -> StoreResult<Option<u64>> {
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
}

/// Appends an event to the outbox within the writing transaction; returns its sequence.
pub(super) fn record_event(
    tx: &Connection,
    tenant: &str,
    kind: EventKind,
    subject: &str,
    details: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<u64> {
    tx.prepare_cached(
        "INSERT INTO events(tenant_id, kind, subject, at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        tenant,
        kind.as_str(),
        subject,
        ms(now),
        details.to_string()
    ])?;
    Ok(tx.last_insert_rowid() as u64)
}

pub(super) fn events_after(c: &Connection, seq: u64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, tenant_id, kind, subject, at, doc FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![seq as i64, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, tenant_id, kind, subject, at, doc) = row?;
        // An event of a kind this version does not know is skipped, not fatal.
        let Some(kind) = EventKind::parse(&kind) else {
            continue;
        };
        out.push(StoredEvent {
            seq: seq as u64,
            tenant_id,
            kind,
            subject,
            at: from_ms(at),
            details: serde_json::from_str(&doc)?,
        });
    }
    Ok(out)
}

pub(super) fn cursor(c: &Connection, name: &str) -> StoreResult<u64> {
    let v: Option<i64> = c
        .prepare_cached("SELECT value FROM cursors WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

pub(super) fn set_cursor(tx: &Transaction<'_>, name: &str, value: u64) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO cursors(name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![name, value as i64],
    )?;
    Ok(())
}

pub(super) fn hold_singleton(
    tx: &Transaction<'_>,
    name: &str,
    holder: &str,
    ttl: chrono::Duration,
    now: Timestamp,
) -> StoreResult<Option<Singleton>> {
    let row: Option<(String, i64, i64)> = tx
        .query_row(
            "SELECT holder, token, expires_at FROM singletons WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let until = now + ttl;
    let token = match row {
        Some((h, token, _)) if h == holder => token,
        Some((_, token, exp)) if exp <= ms(now) => token + 1,
        Some(_) => return Ok(None),
        None => 1,
    };
    tx.execute(
        "INSERT INTO singletons(name, holder, token, expires_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO UPDATE SET holder = ?2, token = ?3, expires_at = ?4",
        params![name, holder, token, ms(until)],
    )?;
    Ok(Some(Singleton {
        name: name.to_string(),
        holder: holder.to_string(),
        token: token as u64,
        expires_at: until,
    }))
}

pub(super) fn release_singleton(tx: &Transaction<'_>, name: &str, holder: &str) -> StoreResult<()> {
    tx.execute(
        "UPDATE singletons SET expires_at = 0 WHERE name = ?1 AND holder = ?2",
        params![name, holder],
    )?;
    Ok(())
}

pub(super) fn pki_files(c: &Connection, codec: &Codec) -> StoreResult<Option<PkiFiles>> {
    let row: Option<(i64, String)> = c
        .query_row("SELECT version, sealed FROM pki WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    row.map(|(version, sealed)| {
        Ok(PkiFiles {
            version: version as u64,
            files: codec.pki_from(&sealed)?,
        })
    })
    .transpose()
}

pub(super) fn put_pki_files(
    tx: &Transaction<'_>,
    codec: &Codec,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    expected: Option<u64>,
) -> StoreResult<bool> {
    let current: Option<i64> = tx
        .query_row("SELECT version FROM pki WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    if current.map(|v| v as u64) != expected {
        return Ok(false);
    }
    let next = expected.unwrap_or(0) as i64 + 1;
    tx.execute(
        "INSERT INTO pki(id, version, sealed) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET version = ?1, sealed = ?2",
        params![next, codec.pki(files)],
    )?;
    Ok(true)
}
