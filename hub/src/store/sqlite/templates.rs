//! Action templates in the SQLite store; a name is unique within its tenant.

use super::super::codec::Codec;
use super::super::{StoreError, StoreResult};
use super::{docs, page_of};
use crate::model::{ActionTemplate, Page, PageRequest};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

fn map_dup(e: rusqlite::Error) -> StoreError {
    if super::is_duplicate(&e) {
        StoreError::Duplicate {
            what: "template_name",
        }
    } else {
        e.into()
    }
}

pub(super) fn insert(tx: &Transaction<'_>, codec: &Codec, t: &ActionTemplate) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO action_templates(id, tenant_id, name, doc) VALUES (?1, ?2, ?3, ?4)",
        params![t.id, t.tenant_id, t.name, codec.template(t)?.to_string()],
    )
    .map_err(map_dup)?;
    Ok(())
}

pub(super) fn put(tx: &Transaction<'_>, codec: &Codec, t: &ActionTemplate) -> StoreResult<()> {
    tx.execute(
        "UPDATE action_templates SET name = ?3, doc = ?4 WHERE id = ?1 AND tenant_id = ?2",
        params![t.id, t.tenant_id, t.name, codec.template(t)?.to_string()],
    )
    .map_err(map_dup)?;
    Ok(())
}

pub(super) fn get(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<ActionTemplate>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM action_templates WHERE id = ?1 AND tenant_id = ?2")?
        .query_row(params![id, tenant], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.template_from(super::doc(&d)?)).transpose()
}

pub(super) fn count_use(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<()> {
    if let Some(mut t) = get(tx, codec, tenant, id)? {
        t.metadata.usage_count += 1;
        put(tx, codec, &t)?;
    }
    Ok(())
}

pub(super) fn delete(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<bool> {
    Ok(tx.execute(
        "DELETE FROM action_templates WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
    )? > 0)
}

pub(super) fn list(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    q: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<ActionTemplate>> {
    let q = q.unwrap_or("").to_lowercase();
    let total: i64 = c.query_row(
        "SELECT COUNT(*) FROM action_templates WHERE tenant_id = ?1 AND instr(lower(name), ?2) > 0",
        params![tenant, q],
        |r| r.get(0),
    )?;
    let items = docs(
        c,
        "SELECT doc FROM action_templates WHERE tenant_id = ?1 AND instr(lower(name), ?2) > 0
         ORDER BY name LIMIT ?3 OFFSET ?4",
        params![tenant, q, page.page_size, page.offset() as i64],
    )?
    .into_iter()
    .map(|d| codec.template_from(d))
    .collect::<StoreResult<_>>()?;
    Ok(page_of(items, total, page))
}
