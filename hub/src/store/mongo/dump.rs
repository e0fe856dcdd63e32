//! Backups of the MongoDB store in the common format (`store::dump`), and restoring them into
//! an empty store: documents through the same paths that write them (so query fields and
//! indexes are right), rows as their fields; counters are set from what was restored.

use super::super::dump::{Kind, kind_of};
use super::super::{StoreError, StoreResult};
use super::{MongoStore, collect, date, to_json};
use crate::model::{Delivery, Execution, ExecutionControl, Session};
use mongodb::bson::{Bson, Document, doc};
use serde_json::{Value, json};

fn unknown(collection: &str) -> StoreError {
    StoreError::Backend(format!("no collection named {collection:?}"))
}

fn i(d: &Document, k: &str) -> Value {
    match d.get(k) {
        Some(Bson::Int64(v)) => json!(v),
        Some(Bson::Int32(v)) => json!(v),
        Some(Bson::String(s)) => json!(s),
        Some(Bson::Boolean(b)) => json!(i64::from(*b)),
        Some(Bson::Double(f)) => json!(f),
        _ => Value::Null,
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

impl MongoStore {
    pub(super) async fn dump(
        &self,
        collection: &str,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<Value>> {
        let kind = kind_of(collection).ok_or_else(|| unknown(collection))?;
        let (source, filter) = match collection {
            "job_output" => ("job_output", doc! {"void": {"$exists": false}}),
            "counters" => ("counters", doc! {"_id": "fencing"}),
            other => (other, doc! {}),
        };
        let docs = collect(
            self.col(source)
                .find(filter)
                .sort(doc! {"_id": 1})
                .skip(skip)
                .limit(i64::from(limit))
                .await?,
        )
        .await?;
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            out.push(match (collection, kind) {
                // Its counts are the tally of its jobs' marks (see `moves`).
                ("execution_control", _) => self.codec.plain(&self.control_from(d)?)?,
                (_, Kind::Doc) => to_json(d)?,
                ("refresh_tokens", _) => json!({"token_hash": i(&d, "_id"), "session_id": i(&d, "session_id"), "tenant_id": i(&d, "tenant_id"),
                    "email": i(&d, "email"), "expires_at": i(&d, "expires_at"), "used": i(&d, "used")}),
                ("enrollment_tokens", _) => json!({"token_hash": i(&d, "_id"), "tenant_id": i(&d, "tenant_id"), "created_by": i(&d, "created_by"),
                    "expires_at": i(&d, "expires_at"), "used_at": i(&d, "used_at"), "used_by": i(&d, "used_by"), "uses_left": i(&d, "uses_left"), "scope": i(&d, "scope")}),
                ("schedule_runs", _) => {
                    let status = match d.get_str("detail") {
                        Ok(detail) => format!("{}: {detail}", d.get_str("status").unwrap_or_default()),
                        Err(_) => d.get_str("status").unwrap_or_default().to_string(),
                    };
                    json!({"schedule_id": i(&d, "schedule_id"), "occurrence_at": i(&d, "occurrence_at"), "status": status,
                        "execution_id": i(&d, "execution_id"), "recorded_at": i(&d, "recorded_at")})
                }
                ("audit_logs", _) | ("events", _) | ("cursors", _) | ("counters", _) => {
                    let Kind::Row(cols) = kind else { unreachable!() };
                    let mut v = serde_json::Map::new();
                    for c in cols {
                        let key = if matches!(*c, "seq" | "name") { "_id" } else { c };
                        v.insert(c.to_string(), i(&d, key));
                    }
                    Value::Object(v)
                }
                (_, Kind::Row(cols)) => Value::Object(cols.iter().map(|c| (c.to_string(), i(&d, c))).collect()),
            });
        }
        Ok(out)
    }

    pub(super) async fn restore(&self, collection: &str, docs: &[Value]) -> StoreResult<()> {
        let kind = kind_of(collection).ok_or_else(|| unknown(collection))?;
        for d in docs {
            match (collection, kind) {
                ("users", _) => self.insert_user(&self.codec.user_from(d.clone())?).await?,
                ("sessions", _) => {
                    let s: Session = self.codec.from_plain("session", d.clone())?;
                    self.insert_session(&s).await?
                }
                ("servers", _) => {
                    self.insert_server(&self.codec.server_from(d.clone())?)
                        .await?
                }
                ("action_templates", _) => {
                    self.insert_template(&self.codec.template_from(d.clone())?)
                        .await?
                }
                ("executions", _) => {
                    let e: Execution = self.codec.from_plain("execution", d.clone())?;
                    self.insert_execution_row(&e).await?
                }
                ("execution_control", _) => {
                    let c: ExecutionControl =
                        self.codec.from_plain("execution control", d.clone())?;
                    self.insert_control(&c).await?
                }
                ("jobs", _) => self.insert_job(&self.codec.job_from(d.clone())?).await?,
                ("server_locks", _) => {
                    let l = self.codec.lock_from(d.clone())?;
                    self.col("server_locks")
                        .insert_one(super::to_bson(&self.codec.lock(&l)?, doc! {"_id": &l.lock_id,
                            "q_expires": super::ms(l.timing.expires_at), "q_order": super::ms(l.timing.acquired_at)})?)
                        .await?;
                }
                ("schedules", _) => {
                    self.insert_schedule(&self.codec.schedule_from(d.clone())?)
                        .await?
                }
                ("notification_rules", _) => {
                    self.put_notification_rule(&self.codec.rule_from(d.clone())?)
                        .await?
                }
                ("notification_deliveries", _) => {
                    let dl: Delivery = self.codec.from_plain("delivery", d.clone())?;
                    self.add_deliveries(&[dl]).await?
                }
                ("refresh_tokens", _) => {
                    self.col("refresh_tokens").insert_one(doc! {
                        "_id": text(&d["token_hash"]), "session_id": text(&d["session_id"]), "tenant_id": text(&d["tenant_id"]),
                        "email": text(&d["email"]), "expires_at": int(&d["expires_at"]), "used": int(&d["used"]) != 0,
                        "q_expire": date(chrono::DateTime::from_timestamp_millis(int(&d["expires_at"])).unwrap_or_default()),
                    }).await?;
                }
                ("enrollment_tokens", _) => {
                    self.col("enrollment_tokens").insert_one(doc! {
                        "_id": text(&d["token_hash"]), "tenant_id": text(&d["tenant_id"]), "created_by": text(&d["created_by"]),
                        "expires_at": int(&d["expires_at"]), "used_at": d["used_at"].as_i64(), "used_by": text(&d["used_by"]),
                        "uses_left": int(&d["uses_left"]), "scope": text(&d["scope"]),
                        "q_expire": date(chrono::DateTime::from_timestamp_millis(int(&d["expires_at"])).unwrap_or_default()),
                    }).await?;
                }
                ("job_output", _) => {
                    let (exec, cursor) = (
                        text(&d["execution_id"]).unwrap_or_default(),
                        int(&d["cursor"]),
                    );
                    self.insert_output_row(doc! {
                        "execution_id": &exec, "cursor": cursor, "job_id": text(&d["job_id"]), "attempt": int(&d["attempt"]),
                        "seq": int(&d["seq"]), "server_id": text(&d["server_id"]), "stream": text(&d["stream"]),
                        "data": text(&d["data"]), "at": int(&d["at"]),
                    }).await?;
                    self.col("output_cursors")
                        .update_one(doc! {"_id": &exec}, doc! {"$max": {"next": cursor}})
                        .upsert(true)
                        .await?;
                }
                ("schedule_runs", _) => {
                    let status = text(&d["status"]).unwrap_or_default();
                    let (status, detail) = match status.split_once(": ") {
                        Some((s, dt)) => (s.to_string(), Some(dt.to_string())),
                        None => (status, None),
                    };
                    self.col("schedule_runs").insert_one(doc! {
                        "_id": format!("{}/{}", text(&d["schedule_id"]).unwrap_or_default(), int(&d["occurrence_at"])),
                        "schedule_id": text(&d["schedule_id"]), "occurrence_at": int(&d["occurrence_at"]), "status": status,
                        "detail": detail, "execution_id": text(&d["execution_id"]), "recorded_at": int(&d["recorded_at"]),
                    }).await?;
                }
                ("audit_logs", _) => {
                    let seq = int(&d["seq"]);
                    let hash = text(&d["hash"]).unwrap_or_default();
                    let mut entry = doc! {
                        "_id": seq, "tenant_id": text(&d["tenant_id"]), "timestamp": int(&d["timestamp"]),
                        "event_type": text(&d["event_type"]), "doc": text(&d["doc"]), "prev_hash": text(&d["prev_hash"]), "hash": &hash,
                    };
                    entry.extend(super::audit::audit_query_fields(
                        &text(&d["doc"]).unwrap_or_default(),
                    ));
                    self.col("audit_logs").insert_one(entry).await?;
                    // The chain's head follows the last entry restored (they come in order).
                    self.col("counters")
                        .update_one(
                            doc! {"_id": "audit"},
                            doc! {"$set": {"value": seq, "hash": hash}},
                        )
                        .upsert(true)
                        .await?;
                }
                ("events", _) => {
                    let seq = int(&d["seq"]);
                    self.col("events").insert_one(doc! {
                        "_id": seq, "tenant_id": text(&d["tenant_id"]), "kind": text(&d["kind"]),
                        "subject": text(&d["subject"]), "at": int(&d["at"]), "doc": text(&d["doc"]),
                    }).await?;
                    self.col("counters")
                        .update_one(doc! {"_id": "events"}, doc! {"$max": {"value": seq}})
                        .upsert(true)
                        .await?;
                }
                ("cursors", _) => {
                    self.set_cursor(
                        &text(&d["name"]).unwrap_or_default(),
                        int(&d["value"]).max(0) as u64,
                    )
                    .await?;
                }
                ("counters", _) => {
                    self.col("counters")
                        .update_one(
                            doc! {"_id": text(&d["name"])},
                            doc! {"$max": {"value": int(&d["value"])}},
                        )
                        .upsert(true)
                        .await?;
                }
                (other, _) => return Err(unknown(other)),
            }
        }
        Ok(())
    }
}
