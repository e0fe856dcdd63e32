//! Servers and action templates in the SQLite store.

use super::{SqliteStore, ms, page_of};
use crate::error::{Error, Result};
use crate::model::{
    ActionTemplate, EventKind, Page, PageRequest, Server, ServerFilter, ServerState, Timestamp,
};
use rusqlite::{OptionalExtension, params, params_from_iter};

fn to_server(tenant: String, doc: &str) -> Result<Server> {
    let mut s: Server = serde_json::from_str(doc)?;
    s.tenant_id = tenant;
    Ok(s)
}

pub(super) async fn insert_server(st: &SqliteStore, s: &Server) -> Result<()> {
    let doc = serde_json::to_string(s)?;
    let s = s.clone();
    st.with(move |c| {
        let n = c.execute(
            "INSERT OR IGNORE INTO servers(server_id, tenant_id, environment, state, last_heartbeat, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.server_id, s.tenant_id, s.environment, s.status.current.as_str(), s.status.last_heartbeat.map(ms), doc],
        )?;
        if n == 0 {
            return Err(Error::Conflict(format!("server {} already exists", s.server_id)));
        }
        Ok(())
    })
    .await
}

pub(super) async fn put_server(st: &SqliteStore, s: &Server) -> Result<()> {
    let doc = serde_json::to_string(s)?;
    let s = s.clone();
    st.with(move |c| {
        c.execute(
            "INSERT INTO servers(server_id, tenant_id, environment, state, last_heartbeat, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(server_id) DO UPDATE SET tenant_id = ?2, environment = ?3, state = ?4, last_heartbeat = ?5, doc = ?6",
            params![s.server_id, s.tenant_id, s.environment, s.status.current.as_str(), s.status.last_heartbeat.map(ms), doc],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn get_server(
    st: &SqliteStore,
    tenant: Option<&str>,
    id: &str,
) -> Result<Option<Server>> {
    let (tenant, id) = (tenant.map(str::to_string), id.to_string());
    st.with(move |c| {
        let row: Option<(String, String)> = c
            .query_row(
                "SELECT tenant_id, doc FROM servers WHERE server_id = ?1 AND (?2 IS NULL OR tenant_id = ?2)",
                params![id, tenant],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(t, d)| to_server(t, &d)).transpose()
    })
    .await
}

pub(super) async fn list_servers(
    st: &SqliteStore,
    tenant: &str,
    f: &ServerFilter,
    page: PageRequest,
) -> Result<Page<Server>> {
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
        clauses.push("json_extract(doc, '$.server_group') = ?".into());
        args.push(group.clone());
    }
    for tag in f.tags.iter().flatten() {
        clauses.push("EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = ?)".into());
        args.push(tag.clone());
    }
    if let Some(tag) = &f.tag {
        clauses.push("EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = ?)".into());
        args.push(tag.clone());
    }
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        clauses.push(
            "(instr(lower(server_id), ?) > 0 OR instr(lower(json_extract(doc, '$.hostname')), ?) > 0 \
             OR instr(json_extract(doc, '$.ip_address'), ?) > 0 \
             OR EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE instr(lower(value), ?) > 0))"
                .into(),
        );
        let q = q.to_lowercase();
        args.extend([q.clone(), q.clone(), q.clone(), q]);
    }
    let where_ = clauses.join(" AND ");
    st.with(move |c| {
        let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM servers WHERE {where_}"), params_from_iter(args.iter()), |r| r.get(0))?;
        let sql = format!(
            "SELECT tenant_id, doc FROM servers WHERE {where_} ORDER BY server_id LIMIT {} OFFSET {}",
            page.page_size,
            page.offset()
        );
        let mut stmt = c.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut items = Vec::new();
        for row in rows {
            let (t, d) = row?;
            items.push(to_server(t, &d)?);
        }
        Ok(page_of(items, total, page))
    })
    .await
}

pub(super) async fn delete_server(st: &SqliteStore, tenant: &str, id: &str) -> Result<bool> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        Ok(c.execute(
            "DELETE FROM servers WHERE server_id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )? > 0)
    })
    .await
}

pub(super) async fn mark_unreachable(st: &SqliteStore, cutoff: Timestamp) -> Result<Vec<String>> {
    let now = chrono::Utc::now();
    st.with(move |c| {
        let tx = c.transaction()?;
        let stale: Vec<(String, String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT server_id, tenant_id, doc FROM servers WHERE state NOT IN ('unreachable', 'maintenance')
                 AND (last_heartbeat IS NULL OR last_heartbeat < ?1)",
            )?;
            let rows = stmt.query_map([ms(cutoff)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut ids = Vec::new();
        for (id, tenant, doc) in stale {
            let mut s = to_server(tenant, &doc)?;
            s.status.current = ServerState::Unreachable;
            tx.execute(
                "UPDATE servers SET state = 'unreachable', doc = ?2 WHERE server_id = ?1",
                params![id, serde_json::to_string(&s)?],
            )?;
            let details = serde_json::json!({"hostname": s.hostname, "last_heartbeat": s.status.last_heartbeat});
            super::notify::record_in(&tx, &s.tenant_id, EventKind::ServerUnreachable, &id, &details, now)?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    })
    .await
}

pub(super) async fn all_servers(st: &SqliteStore) -> Result<Vec<Server>> {
    st.with(|c| {
        let mut stmt = c.prepare("SELECT tenant_id, doc FROM servers ORDER BY server_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|r| {
            let (t, d) = r?;
            to_server(t, &d)
        })
        .collect()
    })
    .await
}

pub(super) async fn count_servers_by_state(st: &SqliteStore) -> Result<Vec<(String, u64)>> {
    st.with(|c| {
        let mut stmt = c.prepare("SELECT state, COUNT(*) FROM servers GROUP BY state")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
    .await
}

pub(super) async fn insert_template(st: &SqliteStore, t: &ActionTemplate) -> Result<()> {
    let doc = serde_json::to_string(t)?;
    let t = t.clone();
    st.with(move |c| {
        let n = c.execute(
            "INSERT OR IGNORE INTO action_templates(id, tenant_id, name, doc) VALUES (?1, ?2, ?3, ?4)",
            params![t.id, t.tenant_id, t.name, doc],
        )?;
        if n == 0 {
            return Err(Error::Conflict(format!("an action template named {:?} already exists", t.name)));
        }
        Ok(())
    })
    .await
}

fn to_template(tenant: String, doc: &str) -> Result<ActionTemplate> {
    let mut t: ActionTemplate = serde_json::from_str(doc)?;
    t.tenant_id = tenant;
    Ok(t)
}

pub(super) async fn get_template(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
) -> Result<Option<ActionTemplate>> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let doc: Option<String> = c
            .query_row(
                "SELECT doc FROM action_templates WHERE id = ?1 AND tenant_id = ?2",
                params![id, tenant],
                |r| r.get(0),
            )
            .optional()?;
        doc.map(|d| to_template(tenant, &d)).transpose()
    })
    .await
}

pub(super) async fn list_templates(
    st: &SqliteStore,
    tenant: &str,
    q: Option<&str>,
    page: PageRequest,
) -> Result<Page<ActionTemplate>> {
    let (tenant, q) = (tenant.to_string(), q.unwrap_or("").to_lowercase());
    st.with(move |c| {
        let total: i64 = c.query_row(
            "SELECT COUNT(*) FROM action_templates WHERE tenant_id = ?1 AND instr(lower(name), ?2) > 0",
            params![tenant, q],
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(
            "SELECT doc FROM action_templates WHERE tenant_id = ?1 AND instr(lower(name), ?2) > 0 ORDER BY name LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(params![tenant, q, page.page_size, page.offset() as i64], |r| r.get::<_, String>(0))?;
        let mut items = Vec::new();
        for d in rows {
            items.push(to_template(tenant.clone(), &d?)?);
        }
        Ok(page_of(items, total, page))
    })
    .await
}

pub(super) async fn put_template(st: &SqliteStore, t: &ActionTemplate) -> Result<()> {
    let doc = serde_json::to_string(t)?;
    let t = t.clone();
    st.with(move |c| {
        let taken: Option<String> = c
            .query_row(
                "SELECT id FROM action_templates WHERE tenant_id = ?1 AND name = ?2 AND id != ?3",
                params![t.tenant_id, t.name, t.id],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(Error::Conflict(format!(
                "an action template named {:?} already exists",
                t.name
            )));
        }
        c.execute(
            "UPDATE action_templates SET name = ?3, doc = ?4 WHERE id = ?1 AND tenant_id = ?2",
            params![t.id, t.tenant_id, t.name, doc],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn delete_template(st: &SqliteStore, tenant: &str, id: &str) -> Result<bool> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        Ok(c.execute(
            "DELETE FROM action_templates WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )? > 0)
    })
    .await
}

pub(super) async fn count_by_state(
    st: &SqliteStore,
    collection: &str,
) -> Result<Vec<(String, u64)>> {
    // The table name comes from this fixed list, never from input.
    let sql = match collection {
        "executions" => "SELECT state, COUNT(*) FROM executions GROUP BY state",
        "jobs" => "SELECT state, COUNT(*) FROM jobs GROUP BY state",
        "queue" => {
            "SELECT CASE priority WHEN 2 THEN 'high' WHEN 1 THEN 'normal' ELSE 'low' END, COUNT(*)
             FROM jobs WHERE state = 'pending' GROUP BY priority"
        }
        other => return Err(Error::internal(format!("no state counts for {other}"))),
    };
    st.with(move |c| {
        let mut stmt = c.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
    .await
}

pub(super) async fn modify_server(
    st: &SqliteStore,
    tenant: Option<&str>,
    id: &str,
    change: crate::store::ServerChangeFn,
) -> Result<Option<Server>> {
    let (tenant, id) = (tenant.map(str::to_string), id.to_string());
    st.with(move |c| {
        let tx = c.transaction()?;
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT tenant_id, doc FROM servers WHERE server_id = ?1 AND (?2 IS NULL OR tenant_id = ?2)",
                params![id, tenant],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((t, d)) = row else { return Ok(None) };
        let mut s = to_server(t, &d)?;
        change(&mut s);
        tx.execute(
            "UPDATE servers SET environment = ?2, state = ?3, last_heartbeat = ?4, doc = ?5 WHERE server_id = ?1",
            params![s.server_id, s.environment, s.status.current.as_str(), s.status.last_heartbeat.map(ms), serde_json::to_string(&s)?],
        )?;
        tx.commit()?;
        Ok(Some(s))
    })
    .await
}
