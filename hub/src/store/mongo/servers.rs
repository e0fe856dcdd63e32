//! Servers in MongoDB: `_id` tenant/server id, found by certificate fingerprint (a unique
//! partial index) for agent requests.

use super::super::{Counted, ServerRef, StoreResult};
use super::{MongoStore, collect, ms, named, to_bson, to_json};
use crate::model::{AgentIdentity, Page, PageRequest, Server, ServerFilter, Timestamp};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::{Bson, Document, doc};

fn server_id(tenant: &str, id: &str) -> String {
    format!("{tenant}/{id}")
}

/// `s` as a regular expression matching it literally (case-insensitive search).
pub(super) fn literal(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

impl MongoStore {
    pub(super) fn server_doc(&self, s: &Server) -> StoreResult<Document> {
        let fp = s
            .credentials
            .certificate_fingerprint
            .clone()
            .map(Bson::String)
            .unwrap_or(Bson::Null);
        to_bson(
            &self.codec.server(s)?,
            doc! {
                "_id": server_id(&s.tenant_id, &s.server_id),
                "q_state": s.status.current.as_str(),
                "q_heartbeat": s.status.last_heartbeat.map(ms),
                "q_fingerprint": fp,
            },
        )
    }

    pub(super) async fn insert_server(&self, s: &Server) -> StoreResult<()> {
        self.col("servers")
            .insert_one(self.server_doc(s)?)
            .await
            .map_err(super::classify)
            .map_err(named("server"))?;
        Ok(())
    }

    pub(super) async fn modify_server(
        &self,
        tenant: &str,
        id: &str,
        change: crate::store::ServerChange,
    ) -> StoreResult<Option<Server>> {
        self.modify_server_if(
            tenant,
            id,
            std::sync::Arc::new(move |s: &mut Server| {
                change(s);
                true
            }),
        )
        .await
    }

    /// Changes a server in a transaction of its own, written only when `change` says it
    /// changed something (it may run again on a retry); the server as written, or None (no
    /// such server, or nothing to write).
    pub(super) async fn modify_server_if(
        &self,
        tenant: &str,
        id: &str,
        change: std::sync::Arc<dyn Fn(&mut Server) -> bool + Send + Sync>,
    ) -> StoreResult<Option<Server>> {
        self.txn((self, change, tenant, id), |s, (st, change, tenant, id)| {
            st.modify_server_in(s, tenant, id, |srv| change(srv))
                .boxed()
        })
        .await
    }

    /// [`Self::modify_server_if`] in the caller's transaction (`s`).
    pub(super) async fn modify_server_in(
        &self,
        s: &mut ClientSession,
        tenant: &str,
        id: &str,
        change: impl FnOnce(&mut Server) -> bool,
    ) -> StoreResult<Option<Server>> {
        let key = server_id(tenant, id);
        let Some(d) = self
            .col("servers")
            .find_one(doc! {"_id": key.as_str()})
            .session(&mut *s)
            .await?
        else {
            return Ok(None);
        };
        let mut server = self.codec.server_from(to_json(d)?)?;
        if !change(&mut server) {
            return Ok(None);
        }
        server.tenant_id = tenant.to_string();
        server.server_id = id.to_string();
        self.col("servers")
            .replace_one(doc! {"_id": key.as_str()}, self.server_doc(&server)?)
            .session(&mut *s)
            .await
            .map_err(super::classify)
            .map_err(named("certificate_fingerprint"))?;
        Ok(Some(server))
    }

    pub(super) async fn get_server(&self, tenant: &str, id: &str) -> StoreResult<Option<Server>> {
        self.col("servers")
            .find_one(doc! {"_id": server_id(tenant, id)})
            .await?
            .map(|d| self.codec.server_from(to_json(d)?))
            .transpose()
    }

    pub(super) async fn get_servers(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> StoreResult<Vec<Server>> {
        let keys: Vec<String> = ids.iter().map(|id| server_id(tenant, id)).collect();
        collect(
            self.col("servers")
                .find(doc! {"_id": {"$in": keys}})
                .await?,
        )
        .await?
        .into_iter()
        .map(|d| self.codec.server_from(to_json(d)?))
        .collect()
    }

    pub(super) async fn agent_by_fingerprint(
        &self,
        fp: &str,
    ) -> StoreResult<Option<AgentIdentity>> {
        self.col("servers")
            .find_one(doc! {"q_fingerprint": fp})
            .projection(doc! {
                "tenant_id": 1, "server_id": 1, "credentials.certificate_fingerprint": 1,
                "credentials.revoked": 1, "credentials.issuer_fingerprint": 1,
                "circuit.open_until": 1,
            })
            .await?
            .map(|d| self.codec.agent_identity_from(to_json(d)?))
            .transpose()
    }

    pub(super) async fn list_servers(
        &self,
        tenant: &str,
        f: &ServerFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Server>> {
        let mut filter = doc! {"tenant_id": tenant};
        if let Some(env) = &f.environment {
            filter.insert("environment", env);
        }
        if let Some(state) = f.status {
            filter.insert("q_state", state.as_str());
        }
        if let Some(group) = &f.server_group {
            filter.insert("server_group", group);
        }
        let tags: Vec<&String> = f.tags.iter().flatten().chain(f.tag.as_ref()).collect();
        if !tags.is_empty() {
            filter.insert("tags", doc! {"$all": tags});
        }
        if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
            let re = doc! {"$regex": literal(q), "$options": "i"};
            filter.insert(
                "$or",
                vec![
                    doc! {"server_id": re.clone()},
                    doc! {"hostname": re.clone()},
                    doc! {"ip_address": re.clone()},
                    doc! {"tags": re},
                ],
            );
        }
        let total = self.col("servers").count_documents(filter.clone()).await?;
        // A keyset page: by server id, the list's order.
        let seek = &f.seek;
        let key = |k: &Option<String>| k.clone().map(|k| vec![k.into()]);
        if let Some(bounds) =
            super::seek_filter(&["server_id"], key(&seek.after), key(&seek.before), true)
        {
            filter.insert("$and", vec![bounds]);
        }
        let docs = collect(
            self.col("servers")
                .find(filter)
                .sort(doc! {"server_id": if seek.from_end { -1 } else { 1 }})
                .skip(if seek.is_active() { 0 } else { page.offset() })
                .limit(i64::from(page.page_size))
                .await?,
        )
        .await?;
        let mut items: Vec<Server> = docs
            .into_iter()
            .map(|d| self.codec.server_from(to_json(d)?))
            .collect::<StoreResult<_>>()?;
        if seek.from_end {
            items.reverse();
        }
        Ok(Page {
            items,
            total,
            page: page.page,
            page_size: page.page_size,
        })
    }

    pub(super) async fn delete_server(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        Ok(self
            .col("servers")
            .delete_one(doc! {"_id": server_id(tenant, id)})
            .await?
            .deleted_count
            > 0)
    }

    pub(super) async fn mark_unreachable(
        &self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<ServerRef>> {
        // One equality-and-range read per state and case (an `$or` or `$nin` makes
        // SecantusDB, the test server, scan every server).
        let mut stale = Vec::new();
        for state in crate::lifecycle::servers::MAY_GO_SILENT.map(|s| s.as_str()) {
            for heartbeat in [Bson::Null, doc! {"$lt": ms(cutoff)}.into()] {
                stale.extend(
                    collect(
                        self.col("servers")
                            .find(doc! {"q_state": state, "q_heartbeat": heartbeat})
                            .await?,
                    )
                    .await?,
                );
            }
        }
        let mut out = Vec::new();
        for d in stale {
            let key = d.get_str("_id").unwrap_or_default().to_string();
            // Each in its own transaction, with its event; re-checked there (a heartbeat may
            // have come since).
            let marked = self
                .txn(
                    (self, key.as_str(), cutoff, now),
                    |s, &(st, key, cutoff, now)| {
                        async move {
                            let Some(d) = st
                                .col("servers")
                                .find_one(doc! {"_id": key})
                                .session(&mut *s)
                                .await?
                            else {
                                return Ok(None);
                            };
                            let mut server = st.codec.server_from(to_json(d)?)?;
                            let Some((kind, details)) =
                                crate::lifecycle::servers::mark_if_silent(&mut server, cutoff)
                            else {
                                return Ok(None);
                            };
                            st.col("servers")
                                .replace_one(doc! {"_id": key}, st.server_doc(&server)?)
                                .session(&mut *s)
                                .await?;
                            st.record_event_in(
                                s,
                                &server.tenant_id,
                                kind,
                                &server.server_id,
                                &details,
                                now,
                            )
                            .await?;
                            Ok(Some(ServerRef {
                                tenant_id: server.tenant_id,
                                server_id: server.server_id,
                            }))
                        }
                        .boxed()
                    },
                )
                .await?;
            out.extend(marked);
        }
        Ok(out)
    }

    pub(super) async fn all_servers(&self) -> StoreResult<Vec<Server>> {
        let docs = collect(
            self.col("servers")
                .find(doc! {})
                .sort(doc! {"tenant_id": 1, "server_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter()
            .map(|d| self.codec.server_from(to_json(d)?))
            .collect()
    }

    pub(super) async fn count_by_state(&self, what: Counted) -> StoreResult<Vec<(String, u64)>> {
        let (col, field, filter) = match what {
            Counted::Servers => ("servers", "$q_state", doc! {}),
            Counted::Executions => ("executions", "$state", doc! {}),
            Counted::Jobs => ("jobs", "$state", doc! {}),
            Counted::Queue => ("jobs", "$q_priority", doc! {"state": "pending"}),
        };
        let docs = collect(
            self.col(col)
                .aggregate(vec![
                    doc! {"$match": filter},
                    doc! {"$group": {"_id": field, "n": {"$sum": 1}}},
                ])
                .await?,
        )
        .await?;
        Ok(docs
            .into_iter()
            .map(|d| {
                let key = match d.get("_id") {
                    Some(Bson::String(s)) => s.clone(),
                    Some(Bson::Int32(2)) | Some(Bson::Int64(2)) => "high".into(),
                    Some(Bson::Int32(1)) | Some(Bson::Int64(1)) => "normal".into(),
                    Some(Bson::Int32(_)) | Some(Bson::Int64(_)) => "low".into(),
                    _ => "unknown".into(),
                };
                let n = super::int(&d, "n").unwrap_or(0);
                (key, n.max(0) as u64)
            })
            .collect())
    }
}
