//! The event outbox, named cursors, notification rules and deliveries in the SQLite store.
//! `record_in` writes an event inside the caller's transaction, so an event exists exactly
//! when the change it describes was committed.

use super::{SqliteStore, from_ms, ms, page_of};
use crate::error::Result;
use crate::model::{
    Delivery, EventKind, NotificationRule, Page, PageRequest, StoredEvent, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, params};

/// Appends an event to the outbox within an open transaction; returns its sequence number.
pub(super) fn record_in(
    c: &Connection,
    tenant: &str,
    kind: EventKind,
    subject: &str,
    details: &serde_json::Value,
    now: Timestamp,
) -> Result<u64> {
    c.execute(
        "INSERT INTO events(tenant_id, kind, subject, at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![tenant, kind.as_str(), subject, ms(now), details.to_string()],
    )?;
    Ok(c.last_insert_rowid() as u64)
}

pub(super) async fn record_event(
    st: &SqliteStore,
    tenant: &str,
    kind: EventKind,
    subject: &str,
    details: &serde_json::Value,
    now: Timestamp,
) -> Result<u64> {
    let (tenant, subject, details) = (tenant.to_string(), subject.to_string(), details.clone());
    st.with(move |c| record_in(c, &tenant, kind, &subject, &details, now))
        .await
}

pub(super) async fn events_after(
    st: &SqliteStore,
    seq: u64,
    limit: u32,
) -> Result<Vec<StoredEvent>> {
    st.with(move |c| {
        let mut stmt = c.prepare(
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
            let Some(kind) = EventKind::parse(&kind) else { continue };
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
    })
    .await
}

pub(super) async fn cursor(st: &SqliteStore, name: &str) -> Result<u64> {
    let name = name.to_string();
    st.with(move |c| {
        let v: Option<i64> = c
            .query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.unwrap_or(0).max(0) as u64)
    })
    .await
}

pub(super) async fn set_cursor(st: &SqliteStore, name: &str, value: u64) -> Result<()> {
    let name = name.to_string();
    st.with(move |c| {
        c.execute(
            "INSERT INTO cursors(name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            params![name, value as i64],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn put_rule(st: &SqliteStore, rule: &NotificationRule) -> Result<()> {
    let (doc, r) = (serde_json::to_string(rule)?, rule.clone());
    st.with(move |c| {
        c.execute(
            "INSERT INTO notification_rules(id, tenant_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET doc = excluded.doc WHERE tenant_id = excluded.tenant_id",
            params![r.id, r.tenant_id, ms(r.created_at), doc],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn get_rule(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
) -> Result<Option<NotificationRule>> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let doc: Option<String> = c
            .query_row(
                "SELECT doc FROM notification_rules WHERE id = ?1 AND tenant_id = ?2",
                params![id, tenant],
                |r| r.get(0),
            )
            .optional()?;
        Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
    })
    .await
}

pub(super) async fn list_rules(st: &SqliteStore, tenant: &str) -> Result<Vec<NotificationRule>> {
    let tenant = tenant.to_string();
    st.with(move |c| {
        let mut stmt = c.prepare(
            "SELECT doc FROM notification_rules WHERE tenant_id = ?1 ORDER BY created_at, id",
        )?;
        let docs = stmt.query_map([tenant], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in docs {
            out.push(serde_json::from_str(&d?)?);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn delete_rule(st: &SqliteStore, tenant: &str, id: &str) -> Result<bool> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let n = c.execute(
            "DELETE FROM notification_rules WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )?;
        Ok(n > 0)
    })
    .await
}

pub(super) async fn add_deliveries(st: &SqliteStore, ds: &[Delivery]) -> Result<()> {
    let ds = ds.to_vec();
    st.with(move |c| {
        let tx = c.transaction()?;
        {
            let mut ins = tx.prepare(
                "INSERT OR IGNORE INTO notification_deliveries(id, tenant_id, rule_id, event_seq, status, next_attempt_at, created_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for d in &ds {
                ins.execute(params![
                    d.id,
                    d.tenant_id,
                    d.rule_id,
                    d.event_seq as i64,
                    d.status.as_str(),
                    d.next_attempt_at.map(ms),
                    ms(d.created_at),
                    serde_json::to_string(d)?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    })
    .await
}

fn deliveries(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<Delivery>> {
    let mut stmt = c.prepare(sql)?;
    let docs = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for d in docs {
        out.push(serde_json::from_str(&d?)?);
    }
    Ok(out)
}

pub(super) async fn due_deliveries(
    st: &SqliteStore,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Delivery>> {
    st.with(move |c| {
        deliveries(
            c,
            "SELECT doc FROM notification_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, created_at LIMIT ?2",
            params![ms(now), limit],
        )
    })
    .await
}

pub(super) async fn update_delivery(st: &SqliteStore, d: &Delivery) -> Result<()> {
    let (doc, d) = (serde_json::to_string(d)?, d.clone());
    st.with(move |c| {
        c.execute(
            "UPDATE notification_deliveries SET status = ?2, next_attempt_at = ?3, doc = ?4 WHERE id = ?1",
            params![d.id, d.status.as_str(), d.next_attempt_at.map(ms), doc],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn list_deliveries(
    st: &SqliteStore,
    tenant: &str,
    rule_id: Option<&str>,
    page: PageRequest,
) -> Result<Page<Delivery>> {
    let (tenant, rule) = (tenant.to_string(), rule_id.map(str::to_string));
    st.with(move |c| {
        let total: i64 = c.query_row(
            "SELECT COUNT(*) FROM notification_deliveries WHERE tenant_id = ?1 AND (?2 IS NULL OR rule_id = ?2)",
            params![tenant, rule],
            |r| r.get(0),
        )?;
        let items = deliveries(
            c,
            "SELECT doc FROM notification_deliveries WHERE tenant_id = ?1 AND (?2 IS NULL OR rule_id = ?2)
             ORDER BY created_at DESC, event_seq DESC LIMIT ?3 OFFSET ?4",
            params![tenant, rule, page.page_size, page.offset() as i64],
        )?;
        Ok(page_of(items, total, page))
    })
    .await
}
