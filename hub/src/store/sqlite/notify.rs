//! Notification rules (their channels sealed) and deliveries in the SQLite store. The event
//! outbox they are made from is in `audit`.

use super::super::StoreResult;
use super::super::codec::Codec;
use super::{docs, ms, page_of};
use crate::model::{Delivery, NotificationRule, Page, PageRequest, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub(super) fn put_rule(
    tx: &Transaction<'_>,
    codec: &Codec,
    r: &NotificationRule,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO notification_rules(id, tenant_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET doc = excluded.doc WHERE tenant_id = excluded.tenant_id",
        params![
            r.id,
            r.tenant_id,
            ms(r.created_at),
            codec.rule(r)?.to_string()
        ],
    )?;
    Ok(())
}

pub(super) fn get_rule(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<NotificationRule>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM notification_rules WHERE id = ?1 AND tenant_id = ?2")?
        .query_row(params![id, tenant], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.rule_from(super::doc(&d)?)).transpose()
}

pub(super) fn list_rules(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
) -> StoreResult<Vec<NotificationRule>> {
    docs(
        c,
        "SELECT doc FROM notification_rules WHERE tenant_id = ?1 ORDER BY created_at, id",
        [tenant],
    )?
    .into_iter()
    .map(|d| codec.rule_from(d))
    .collect()
}

pub(super) fn delete_rule(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<bool> {
    Ok(tx.execute(
        "DELETE FROM notification_rules WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
    )? > 0)
}

pub(super) fn add_deliveries(tx: &Transaction<'_>, ds: &[Delivery]) -> StoreResult<()> {
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO notification_deliveries(id, tenant_id, rule_id, event_seq, status, next_attempt_at, created_at, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for d in ds {
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
    Ok(())
}

fn deliveries(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StoreResult<Vec<Delivery>> {
    docs(c, sql, p)?
        .into_iter()
        .map(|d| Ok(serde_json::from_value(d)?))
        .collect()
}

pub(super) fn claim_deliveries(
    tx: &Transaction<'_>,
    now: Timestamp,
    until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let mut due = deliveries(
        tx,
        "SELECT doc FROM notification_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, created_at LIMIT ?2",
        params![ms(now), limit],
    )?;
    for d in &mut due {
        d.next_attempt_at = Some(until);
        update_delivery(tx, d)?;
    }
    Ok(due)
}

pub(super) fn update_delivery(tx: &Transaction<'_>, d: &Delivery) -> StoreResult<()> {
    tx.execute(
        "UPDATE notification_deliveries SET status = ?2, next_attempt_at = ?3, doc = ?4 WHERE id = ?1",
        params![d.id, d.status.as_str(), d.next_attempt_at.map(ms), serde_json::to_string(d)?],
    )?;
    Ok(())
}

pub(super) fn list_deliveries(
    c: &Connection,
    tenant: &str,
    rule: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<Delivery>> {
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
}
