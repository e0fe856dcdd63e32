//! Backups of the SQLite store in the common format (`store::dump`): documents as stored,
//! rows as flat records; and restoring them into an empty store.

use super::super::codec::Codec;
use super::super::dump::{Kind, kind_of};
use super::super::{StoreError, StoreResult};
use crate::model::{Delivery, Execution, ExecutionControl, Session};
use rusqlite::{Connection, Transaction, params_from_iter};
use serde_json::Value;

fn unknown(collection: &str) -> StoreError {
    StoreError::Backend(format!("no collection named {collection:?}"))
}

pub(super) fn dump(
    c: &Connection,
    collection: &str,
    skip: u64,
    limit: u32,
) -> StoreResult<Vec<Value>> {
    let kind = kind_of(collection).ok_or_else(|| unknown(collection))?;
    match (collection, kind) {
        ("counters", _) => {
            let next: i64 =
                c.query_row("SELECT next FROM fencing WHERE id = 1", [], |r| r.get(0))?;
            Ok(if skip == 0 {
                vec![serde_json::json!({"name": "fencing", "value": next})]
            } else {
                Vec::new()
            })
        }
        (table, Kind::Doc) => super::docs(
            c,
            &format!("SELECT doc FROM {table} ORDER BY rowid LIMIT ?1 OFFSET ?2"),
            rusqlite::params![limit, skip as i64],
        ),
        (table, Kind::Row(cols)) => {
            let fields = cols
                .iter()
                .map(|c| format!("'{c}', {c}"))
                .collect::<Vec<_>>()
                .join(", ");
            super::docs(
                c,
                &format!(
                    "SELECT json_object({fields}) FROM {table} ORDER BY rowid LIMIT ?1 OFFSET ?2"
                ),
                rusqlite::params![limit, skip as i64],
            )
        }
    }
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Bool(b) => S::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(S::Integer)
            .or_else(|| n.as_f64().map(S::Real))
            .unwrap_or(S::Null),
        Value::String(s) => S::Text(s.clone()),
        other => S::Text(other.to_string()),
    }
}

pub(super) fn restore(
    tx: &Transaction<'_>,
    codec: &Codec,
    collection: &str,
    docs: &[Value],
) -> StoreResult<()> {
    let kind = kind_of(collection).ok_or_else(|| unknown(collection))?;
    for d in docs {
        match (collection, kind) {
            ("counters", _) => {
                if d["name"] == "fencing" {
                    tx.execute(
                        "UPDATE fencing SET next = MAX(next, ?1) WHERE id = 1",
                        [d["value"].as_i64().unwrap_or(1)],
                    )?;
                }
            }
            (table, Kind::Row(cols)) => {
                let marks = vec!["?"; cols.len()].join(", ");
                tx.execute(
                    &format!(
                        "INSERT OR REPLACE INTO {table}({}) VALUES ({marks})",
                        cols.join(", ")
                    ),
                    params_from_iter(cols.iter().map(|c| sql_value(&d[*c]))),
                )?;
            }
            ("users", _) => super::users::insert(tx, codec, &codec.user_from(d.clone())?)?,
            ("sessions", _) => {
                let s: Session = codec.from_plain("session", d.clone())?;
                super::users::insert_session(tx, codec, &s)?
            }
            ("servers", _) => super::servers::insert(tx, codec, &codec.server_from(d.clone())?)?,
            ("action_templates", _) => {
                super::templates::insert(tx, codec, &codec.template_from(d.clone())?)?
            }
            ("executions", _) => {
                let e: Execution = codec.from_plain("execution", d.clone())?;
                super::executions::insert_execution_row(tx, &e)?
            }
            ("execution_control", _) => {
                let c: ExecutionControl = codec.from_plain("execution control", d.clone())?;
                super::executions::insert_control(tx, &c)?
            }
            ("jobs", _) => {
                super::executions::insert_job_in(tx, codec, "jobs", &codec.job_from(d.clone())?)?
            }
            ("server_locks", _) => super::locks::write(tx, codec, &codec.lock_from(d.clone())?)?,
            ("schedules", _) => {
                super::schedules::insert(tx, codec, &codec.schedule_from(d.clone())?)?
            }
            ("notification_rules", _) => {
                super::notify::put_rule(tx, codec, &codec.rule_from(d.clone())?)?
            }
            ("notification_deliveries", _) => {
                let dl: Delivery = codec.from_plain("delivery", d.clone())?;
                super::notify::add_deliveries(tx, &[dl])?
            }
            (other, Kind::Doc) => return Err(unknown(other)),
        }
    }
    Ok(())
}
