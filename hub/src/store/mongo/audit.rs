//! The audit log (append-only, hash-chained), the event outbox, named cursors and the
//! singleton leases of hub replicas in MongoDB. An audit entry and an event take their
//! sequence number from a counter document inside the writing transaction: concurrent
//! writers serialise on it, so sequence order is commit order and a follower reading
//! `_id > last` never skips one.

use super::super::{PkiFiles, Singleton, StoreError, StoreResult};
use super::{MongoStore, collect, ms};
use crate::audit::AuditFilter;
use crate::model::{AuditEntry, EventKind, Page, PageRequest, StoredEvent, Timestamp};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::doc;

impl MongoStore {
    pub(super) async fn append_audit(&self, e: &AuditEntry) -> StoreResult<u64> {
        let _one_at_a_time = self.audit_gate.lock().await;
        self.txn((self, e), |s, &(st, e)| st.append_audit_in(s, e).boxed())
            .await
    }

    /// Appends an audit entry inside the caller's transaction; its sequence number. The
    /// chain's head (last sequence and hash) is one document every writer updates: two
    /// appends cannot both extend the same entry (one conflicts and its transaction re-runs).
    pub(super) async fn append_audit_in(
        &self,
        s: &mut ClientSession,
        e: &AuditEntry,
    ) -> StoreResult<u64> {
        let text = serde_json::to_string(e)?;
        let head = self
            .col("counters")
            .find_one(doc! {"_id": "audit"})
            .session(&mut *s)
            .await?;
        let (seq, prev) = match head {
            Some(h) => (
                super::int(&h, "value").unwrap_or(0),
                h.get_str("hash").unwrap_or_default().to_string(),
            ),
            None => (0, String::new()),
        };
        let seq = seq + 1;
        let hash = crate::audit::chain_hash(&prev, &text);
        self.col("counters")
            .update_one(
                doc! {"_id": "audit"},
                doc! {"$set": {"value": seq, "hash": &hash}},
            )
            .upsert(true)
            .session(&mut *s)
            .await?;
        let mut entry = doc! {
            "_id": seq, "tenant_id": &e.tenant_id, "timestamp": ms(e.timestamp),
            "event_type": &e.event_type, "doc": text.as_str(), "prev_hash": &prev, "hash": &hash,
        };
        entry.extend(audit_query_fields(&text));
        self.col("audit_logs")
            .insert_one(entry)
            .session(&mut *s)
            .await?;
        Ok(seq as u64)
    }

    pub(super) async fn list_audit(
        &self,
        tenant: &str,
        f: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<serde_json::Value>> {
        let mut filter = doc! {"tenant_id": tenant};
        if let Some(v) = &f.event_type {
            filter.insert("event_type", v);
        }
        if !f.exclude_event_types.is_empty() {
            // Beside an exact `event_type`, both conditions must hold.
            filter.insert(
                "$and",
                vec![doc! {"event_type": {"$nin": &f.exclude_event_types}}],
            );
        }
        for (field, v) in [
            ("q_actor", &f.actor),
            ("q_rtype", &f.resource_type),
            ("q_rid", &f.resource_id),
        ] {
            if let Some(v) = v {
                filter.insert(field, v);
            }
        }
        let mut at = mongodb::bson::Document::new();
        if let Some(from) = f.from {
            at.insert("$gte", ms(from));
        }
        if let Some(to) = f.to {
            at.insert("$lt", ms(to));
        }
        if !at.is_empty() {
            filter.insert("timestamp", at);
        }
        let total = self
            .col("audit_logs")
            .count_documents(filter.clone())
            .await?;
        // A keyset page: the key is the sequence number (`_id`); newest first.
        let seek = &f.seek;
        let key = |k: &Option<String>| -> StoreResult<Option<Vec<mongodb::bson::Bson>>> {
            k.as_ref()
                .map(|k| {
                    k.parse::<i64>()
                        .map(|seq| vec![seq.into()])
                        .map_err(|_| StoreError::Corrupt(format!("not an audit key: {k}")))
                })
                .transpose()
        };
        if let Some(bounds) =
            super::seek_filter(&["_id"], key(&seek.after)?, key(&seek.before)?, false)
        {
            filter.insert("$and", vec![bounds]);
        }
        let mut docs = collect(
            self.col("audit_logs")
                .find(filter)
                .sort(doc! {"_id": if seek.from_end { 1 } else { -1 }})
                .skip(if seek.is_active() { 0 } else { page.offset() })
                .limit(i64::from(page.page_size))
                .await?,
        )
        .await?;
        if seek.from_end {
            docs.reverse();
        }
        let mut items = Vec::new();
        for d in docs {
            let mut v: serde_json::Value = serde_json::from_str(d.get_str("doc").unwrap_or("{}"))?;
            v["seq"] = super::int(&d, "_id").unwrap_or(0).into();
            v["hash"] = d.get_str("hash").unwrap_or_default().into();
            if let Some(o) = v.as_object_mut() {
                o.remove("tenant_id");
            }
            items.push(v);
        }
        Ok(Page {
            items,
            total,
            page: page.page,
            page_size: page.page_size,
        })
    }

    /// Document upgrade: audit entries written before the query fields existed get them
    /// (read from their document; the document and its hash are not touched).
    pub(super) async fn fill_audit_query_fields(&self) -> StoreResult<()> {
        let old = collect(
            self.col("audit_logs")
                .find(doc! {"q_actor": {"$exists": false}})
                .projection(doc! {"_id": 1, "doc": 1})
                .await?,
        )
        .await?;
        for d in old {
            let fields = audit_query_fields(d.get_str("doc").unwrap_or("{}"));
            self.col("audit_logs")
                .update_one(doc! {"_id": d.get("_id").cloned()}, doc! {"$set": fields})
                .await?;
        }
        Ok(())
    }

    pub(super) async fn verify_audit_chain(&self) -> StoreResult<Option<u64>> {
        use futures::TryStreamExt;
        let mut cursor = self
            .col("audit_logs")
            .find(doc! {})
            .sort(doc! {"_id": 1})
            .await?;
        let mut prev = String::new();
        while let Some(d) = cursor.try_next().await? {
            let seq = super::int(&d, "_id").unwrap_or(0);
            let text = d.get_str("doc").unwrap_or_default();
            let (p, h) = (
                d.get_str("prev_hash").unwrap_or_default(),
                d.get_str("hash").unwrap_or_default(),
            );
            if p != prev || crate::audit::chain_hash(&prev, text) != h {
                return Ok(Some(seq as u64));
            }
            prev = h.to_string();
        }
        Ok(None)
    }

    /// Appends an event inside the caller's transaction; its sequence number.
    pub(super) async fn record_event_in(
        &self,
        s: &mut ClientSession,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let seq = self.next_in(s, "events", 1).await?;
        self.col("events")
            .insert_one(doc! {
                "_id": seq, "tenant_id": tenant, "kind": kind.as_str(), "subject": subject,
                "at": ms(now), "doc": details.to_string(),
            })
            .session(&mut *s)
            .await?;
        Ok(seq as u64)
    }

    pub(super) async fn record_event(
        &self,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.txn(
            (self, tenant, kind, subject, details, now),
            |s, &(st, tenant, kind, subject, details, now)| {
                async move {
                    st.record_event_in(s, tenant, kind, subject, details, now)
                        .await
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn events_after(&self, seq: u64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        let docs = collect(
            self.col("events")
                .find(doc! {"_id": {"$gt": seq as i64}})
                .sort(doc! {"_id": 1})
                .limit(i64::from(limit))
                .await?,
        )
        .await?;
        let mut out = Vec::new();
        for d in docs {
            let Some(kind) = EventKind::parse(d.get_str("kind").unwrap_or_default()) else {
                continue;
            };
            out.push(StoredEvent {
                seq: super::int(&d, "_id").unwrap_or(0) as u64,
                tenant_id: d.get_str("tenant_id").unwrap_or_default().to_string(),
                kind,
                subject: d.get_str("subject").unwrap_or_default().to_string(),
                at: chrono::DateTime::from_timestamp_millis(super::int(&d, "at").unwrap_or(0))
                    .unwrap_or_default(),
                details: serde_json::from_str(d.get_str("doc").unwrap_or("{}"))?,
            });
        }
        Ok(out)
    }

    pub(super) async fn cursor(&self, name: &str) -> StoreResult<u64> {
        let d = self.col("cursors").find_one(doc! {"_id": name}).await?;
        Ok(d.and_then(|d| super::int(&d, "value")).unwrap_or(0).max(0) as u64)
    }

    pub(super) async fn set_cursor(&self, name: &str, value: u64) -> StoreResult<()> {
        self.col("cursors")
            .update_one(doc! {"_id": name}, doc! {"$set": {"value": value as i64}})
            .upsert(true)
            .await?;
        Ok(())
    }

    pub(super) async fn hold_singleton(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Singleton>> {
        let until = now + ttl;
        self.txn(
            (self, name, holder, now, until),
            |s, &(st, name, holder, now, until)| {
                async move {
                    let current = st
                        .col("singletons")
                        .find_one(doc! {"_id": name})
                        .session(&mut *s)
                        .await?;
                    let token = match &current {
                        Some(d) if d.get_str("holder").unwrap_or_default() == holder => {
                            super::int(d, "token").unwrap_or(1)
                        }
                        Some(d) if super::int(d, "expires_at").unwrap_or(0) <= ms(now) => {
                            super::int(d, "token").unwrap_or(0) + 1
                        }
                        Some(_) => return Ok(None),
                        None => 1,
                    };
                    st.col("singletons")
                    .update_one(
                        doc! {"_id": name},
                        doc! {"$set": {"holder": holder, "token": token, "expires_at": ms(until)}},
                    )
                    .upsert(true)
                    .session(&mut *s)
                    .await?;
                    Ok(Some(Singleton {
                        name: name.to_string(),
                        holder: holder.to_string(),
                        token: token as u64,
                        expires_at: until,
                    }))
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn release_singleton(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.col("singletons")
            .update_one(
                doc! {"_id": name, "holder": holder},
                doc! {"$set": {"expires_at": 0i64}},
            )
            .await?;
        Ok(())
    }
}

impl MongoStore {
    pub(super) async fn pki_files(&self) -> StoreResult<Option<PkiFiles>> {
        let Some(d) = self.col("pki").find_one(doc! {"_id": "ca"}).await? else {
            return Ok(None);
        };
        Ok(Some(PkiFiles {
            version: super::int(&d, "version").unwrap_or(0) as u64,
            files: self
                .codec
                .pki_from(d.get_str("sealed").unwrap_or_default())?,
        }))
    }

    pub(super) async fn put_pki_files(
        &self,
        files: &std::collections::BTreeMap<String, Vec<u8>>,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        let sealed = self.codec.pki(files);
        let next = expected.unwrap_or(0) as i64 + 1;
        match expected {
            None => match self
                .col("pki")
                .insert_one(doc! {"_id": "ca", "version": next, "sealed": sealed})
                .await
            {
                Ok(_) => Ok(true),
                Err(e) => match super::classify(e) {
                    StoreError::Duplicate { .. } => Ok(false),
                    other => Err(other),
                },
            },
            Some(v) => {
                let r = self
                    .col("pki")
                    .update_one(
                        doc! {"_id": "ca", "version": v as i64},
                        doc! {"$set": {"version": next, "sealed": sealed}},
                    )
                    .await?;
                Ok(r.modified_count == 1)
            }
        }
    }
}

/// The fields an audit query filters on that live inside the entry's document (who, and
/// what it touched), kept beside it so the query can match them: `q_actor`, `q_rtype`,
/// `q_rid` (null when the entry has none).
pub(super) fn audit_query_fields(text: &str) -> mongodb::bson::Document {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    doc! {
        "q_actor": s("/actor/id"),
        "q_rtype": s("/resource/type"),
        "q_rid": s("/resource/id"),
    }
}
