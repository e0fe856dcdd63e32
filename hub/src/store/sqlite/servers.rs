//! Servers in the SQLite store, keyed by tenant and server id, found by certificate
//! fingerprint for agent requests.

use super::super::codec::Codec;
use super::super::{Counted, ServerRef, StoreError, StoreResult};
use super::{ms, page_of, parsed};
use crate::model::{AgentIdentity, Page, PageRequest, Server, ServerFilter, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

/// The columns migration 4 created; later ones are written by [`insert`] and [`update`].
const V4_COLUMNS: &str =
    "tenant_id, server_id, environment, state, last_heartbeat, fingerprint, doc";

/// Separates the fields of `search` and the tags of `tags`: no server id, hostname, address
/// or tag holds it (a search for it matches nothing).
const SEP: char = '\u{1}';

fn values(codec: &Codec, s: &Server) -> StoreResult<Vec<rusqlite::types::Value>> {
    Ok(vec![
        s.tenant_id.clone().into(),
        s.server_id.clone().into(),
        s.environment.clone().into(),
        s.status.current.as_str().to_string().into(),
        s.status.last_heartbeat.map(ms).into(),
        s.credentials.certificate_fingerprint.clone().into(),
        codec.server_text(s)?.into(),
    ])
}

/// The servers a query returns (its first column the document), each parsed straight from
/// its stored text ([`Codec::server_from_text`]), not through a JSON value.
fn servers_of(
    c: &Connection,
    codec: &Codec,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<Server>> {
    parsed(c, sql, params, |d| codec.server_from_text(d))
}

/// What the list's filters read, kept in columns (migration 8) so that a search over
/// thousands of servers reads a covering index rather than every server's JSON document
/// (the index leaves out what heartbeats change, so they do not rewrite it):
/// the server group; the tags as `SEP tag SEP tag SEP`; and `search`, the lowercased id,
/// hostname, address and tags joined by `SEP`, which `q` is a substring of.
fn filter_values(s: &Server) -> [rusqlite::types::Value; 3] {
    let tags = if s.tags.is_empty() {
        String::new()
    } else {
        format!("{SEP}{}{SEP}", s.tags.join(&SEP.to_string()))
    };
    let search = [s.server_id.as_str(), &s.hostname, &s.ip_address]
        .into_iter()
        .chain(s.tags.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(&SEP.to_string())
        .to_lowercase();
    [s.server_group.clone().into(), tags.into(), search.into()]
}

/// Inserts into `servers_v4` while migration 4 copies into it (its columns only).
pub(super) fn insert_v4(tx: &Transaction<'_>, codec: &Codec, s: &Server) -> StoreResult<()> {
    tx.execute(
        &format!("INSERT INTO servers_v4({V4_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params_from_iter(values(codec, s)?),
    )?;
    Ok(())
}

pub(super) fn insert(tx: &Transaction<'_>, codec: &Codec, s: &Server) -> StoreResult<()> {
    let mut v = values(codec, s)?;
    v.extend(filter_values(s));
    let r = tx.execute(
        &format!(
            "INSERT INTO servers({V4_COLUMNS}, server_group, tags, search) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params_from_iter(v),
    );
    match r {
        Ok(_) => Ok(()),
        Err(e) if super::is_duplicate(&e) => Err(StoreError::Duplicate { what: "server" }),
        Err(e) => Err(e.into()),
    }
}

/// Rewrites a server's row; the filter columns only when `before` (the record as read)
/// searched differently, so a heartbeat does not rewrite the search index's entry.
fn update(tx: &Transaction<'_>, codec: &Codec, s: &Server, before: &Server) -> StoreResult<()> {
    let mut v = values(codec, s)?;
    let sql = if filter_values(s) == filter_values(before) {
        "UPDATE servers SET environment = ?3, state = ?4, last_heartbeat = ?5, fingerprint = ?6, doc = ?7
         WHERE tenant_id = ?1 AND server_id = ?2"
    } else {
        v.extend(filter_values(s));
        "UPDATE servers SET environment = ?3, state = ?4, last_heartbeat = ?5, fingerprint = ?6, doc = ?7,
         server_group = ?8, tags = ?9, search = ?10
         WHERE tenant_id = ?1 AND server_id = ?2"
    };
    let r = tx
        .prepare_cached(sql)
        .and_then(|mut st| st.execute(params_from_iter(v)));
    match r {
        Ok(_) => Ok(()),
        Err(e) if super::is_duplicate(&e) => Err(StoreError::Duplicate {
            what: "certificate_fingerprint",
        }),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn get(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Server>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM servers WHERE tenant_id = ?1 AND server_id = ?2")?
        .query_row(params![tenant, id], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.server_from_text(&d)).transpose()
}

pub(super) fn get_many(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    ids: &[String],
) -> StoreResult<Vec<Server>> {
    let mut out = Vec::with_capacity(ids.len());
    // Within SQLite's limit on bound parameters.
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let args = std::iter::once(tenant.to_string()).chain(chunk.iter().cloned());
        out.extend(servers_of(
            c,
            codec,
            &format!("SELECT doc FROM servers WHERE tenant_id = ? AND server_id IN ({marks})"),
            params_from_iter(args),
        )?);
    }
    Ok(out)
}

pub(super) fn agent_by_fingerprint(
    c: &Connection,
    codec: &Codec,
    fp: &str,
) -> StoreResult<Option<AgentIdentity>> {
    let mut st = c.prepare_cached("SELECT doc FROM servers WHERE fingerprint = ?1")?;
    let mut rows = st.query([fp])?;
    // Decoded from the row's text in place, not copied out of it first.
    match rows.next()? {
        Some(r) => Ok(Some(codec.agent_identity_from_text(
            r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?,
        )?)),
        None => Ok(None),
    }
}

pub(super) fn modify(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    id: &str,
    change: &(dyn Fn(&mut Server) + Send + Sync),
) -> StoreResult<Option<Server>> {
    modify_if(tx, codec, tenant, id, |s| {
        change(s);
        true
    })
}

/// Changes a server in the caller's transaction, written only when `change` says it changed
/// something; the server as written, or None (no such server, or nothing to write).
pub(super) fn modify_if(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    id: &str,
    change: impl FnOnce(&mut Server) -> bool,
) -> StoreResult<Option<Server>> {
    let Some(before) = get(tx, codec, tenant, id)? else {
        return Ok(None);
    };
    let mut s = before.clone();
    if !change(&mut s) {
        return Ok(None);
    }
    // The key cannot change.
    s.tenant_id = tenant.to_string();
    s.server_id = id.to_string();
    update(tx, codec, &s, &before)?;
    Ok(Some(s))
}

pub(super) fn list(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    f: &ServerFilter,
    page: PageRequest,
) -> StoreResult<Page<Server>> {
    let mut clauses = vec!["tenant_id = ?".to_string()];
    let mut args: Vec<String> = vec![tenant.to_string()];
    if let Some(env) = &f.environment {
        clauses.push("environment = ?".into());
        args.push(env.clone());
    }
    if let Some(state) = f.status {
        clauses.push("state = ?".into());
        args.push(state.as_str().into());
    }
    if let Some(group) = &f.server_group {
        clauses.push("server_group = ?".into());
        args.push(group.clone());
    }
    for tag in f.tags.iter().flatten().chain(f.tag.as_ref()) {
        clauses.push("instr(tags, ?) > 0".into());
        args.push(format!("{SEP}{tag}{SEP}"));
    }
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        if q.contains(SEP) {
            clauses.push("0".into());
        } else {
            clauses.push("instr(search, ?) > 0".into());
            args.push(q.to_lowercase());
        }
    }
    let total: i64 = c.query_row(
        &format!(
            "SELECT COUNT(*) FROM servers WHERE {}",
            clauses.join(" AND ")
        ),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    // A keyset page: by server id, the list's order.
    let seek = &f.seek;
    if let Some(a) = &seek.after {
        clauses.push("server_id > ?".into());
        args.push(a.clone());
    }
    if let Some(b) = &seek.before {
        clauses.push("server_id < ?".into());
        args.push(b.clone());
    }
    let dir = if seek.from_end { "DESC" } else { "ASC" };
    let offset = if seek.is_active() { 0 } else { page.offset() };
    let mut items = servers_of(
        c,
        codec,
        &format!(
            "SELECT doc FROM servers WHERE {} ORDER BY server_id {dir} LIMIT {} OFFSET {offset}",
            clauses.join(" AND "),
            page.page_size,
        ),
        params_from_iter(args.iter()),
    )?;
    if seek.from_end {
        items.reverse();
    }
    Ok(page_of(items, total, page))
}

pub(super) fn delete(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<bool> {
    Ok(tx.execute(
        "DELETE FROM servers WHERE tenant_id = ?1 AND server_id = ?2",
        params![tenant, id],
    )? > 0)
}

pub(super) fn mark_unreachable(
    tx: &Transaction<'_>,
    codec: &Codec,
    cutoff: Timestamp,
    now: Timestamp,
) -> StoreResult<Vec<ServerRef>> {
    // Two ranges of the (state, last_heartbeat) index per state: a `NOT IN` or an `OR`
    // read every server's row, each sweep (every 2 s).
    let states = crate::lifecycle::servers::MAY_GO_SILENT
        .map(|s| format!("'{}'", s.as_str()))
        .join(", ");
    let stale = servers_of(
        tx,
        codec,
        &format!(
            "SELECT doc FROM servers WHERE state IN ({states}) AND last_heartbeat < ?1
             UNION ALL SELECT doc FROM servers WHERE state IN ({states}) AND last_heartbeat IS NULL"
        ),
        [ms(cutoff)],
    )?;
    let mut out = Vec::new();
    for mut s in stale {
        let before = s.clone();
        let Some((kind, details)) = crate::lifecycle::servers::mark_if_silent(&mut s, cutoff)
        else {
            continue;
        };
        update(tx, codec, &s, &before)?;
        super::audit::record_event(tx, &s.tenant_id, kind, &s.server_id, &details, now)?;
        out.push(ServerRef {
            tenant_id: s.tenant_id,
            server_id: s.server_id,
        });
    }
    Ok(out)
}

pub(super) fn all(c: &Connection, codec: &Codec) -> StoreResult<Vec<Server>> {
    servers_of(
        c,
        codec,
        "SELECT doc FROM servers ORDER BY tenant_id, server_id",
        [],
    )
}

pub(super) fn count_by_state(c: &Connection, what: Counted) -> StoreResult<Vec<(String, u64)>> {
    let sql = match what {
        Counted::Servers => "SELECT state, COUNT(*) FROM servers GROUP BY state",
        Counted::Executions => "SELECT state, COUNT(*) FROM executions GROUP BY state",
        Counted::Jobs => "SELECT state, COUNT(*) FROM jobs GROUP BY state",
        Counted::Queue => {
            "SELECT CASE priority WHEN 2 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END, COUNT(*)
             FROM jobs WHERE state = 'pending' GROUP BY priority"
        }
    };
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
