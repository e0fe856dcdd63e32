//! The MongoDB store (6.0+, a replica set: it uses multi-document transactions), on the
//! official driver. The specification's collections — `servers`, `action_templates`,
//! `executions`, `server_locks`, `audit_logs` — keep its document shapes; the rest are what
//! the hub needs beside them.
//!
//! Each document is what `store::codec` makes (secrets sealed) plus a few fields queries
//! filter and sort on (`q_*`: times as epoch milliseconds, which sort as numbers). A change
//! that spans documents runs in one transaction (`txn`), retried when MongoDB labels its
//! failure `TransientTransactionError` (a write conflict with a concurrent writer) or its
//! commit `UnknownTransactionCommitResult`. Sequence numbers followers read in order (audit
//! entries, outbox events) are taken from a counter document inside the writing
//! transaction, so two writers serialise on it and commit in order. Output cursors are
//! allocated per execution outside transactions; a reader stops at the first one not yet
//! written (see `output`).
//!
//! The hot path of a fan-out — lease, first output, heartbeat, result — moves one job
//! without a transaction (`moves`): hundreds of agents of one execution would otherwise all
//! conflict on its control record.
//!
//! Indexes are created idempotently when the store opens (`migrate`), TTL indexes included.
//! Queries on the hot path are equalities, ranges and `$in` over an index's leading fields;
//! anything else (a flag outside the index, an `$or`, a due time that may be null) is checked
//! in Rust on what the index returns. MongoDB would plan most of those well, but SecantusDB,
//! the server the tests and benchmarks run on, answers them by scanning the collection.

mod audit;
mod dump;
mod executions;
mod imp;
mod locks;
mod metrics;
mod moves;
mod notify;
mod output;
mod schedules;
mod servers;
mod sweeps;
mod templates;
mod users;
mod work;

use super::codec::Codec;
use super::{StoreError, StoreResult};
use futures::TryStreamExt;
use futures::future::BoxFuture;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use std::time::Duration;

/// How many times a transaction is tried before its conflict is reported.
const TXN_ATTEMPTS: u32 = 60;

/// The MongoDB store. Cheap to clone.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    db: Database,
    codec: Codec,
    /// Audit appends of this process, one at a time: they all extend the chain's one head
    /// document, so concurrent transactions would only conflict and retry. Writers in other
    /// replicas still meet on the head (and retry), which keeps the chain whole.
    audit_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A driver error as the store's: write conflicts and transient transaction failures are
/// `Conflict` (retried by `txn`), a duplicate key is `Duplicate`, an unreachable server is
/// `Unavailable`.
pub(super) fn classify(e: mongodb::error::Error) -> StoreError {
    use mongodb::error::{
        ErrorKind, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT, WriteFailure,
    };
    if e.contains_label(TRANSIENT_TRANSACTION_ERROR)
        || e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
    {
        return StoreError::Conflict(e.to_string());
    }
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => {
            StoreError::Duplicate { what: "record" }
        }
        ErrorKind::Command(c) if c.code == 11000 => StoreError::Duplicate { what: "record" },
        // OutOfDiskSpace
        ErrorKind::Command(c) if c.code == 14031 => StoreError::Full(e.to_string()),
        ErrorKind::Command(c) if c.code == 112 || c.code == 251 => {
            StoreError::Conflict(e.to_string())
        }
        // The server is shutting down, stepping down or cannot reach its peers: the store is
        // unavailable for now, not broken (HostUnreachable, HostNotFound, NetworkTimeout,
        // ShutdownInProgress, PrimarySteppedDown, NotWritablePrimary, InterruptedAtShutdown,
        // InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary).
        ErrorKind::Command(c)
            if [6, 7, 89, 91, 189, 10107, 11600, 11602, 13435, 13436].contains(&c.code) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        ErrorKind::InsertMany(m)
            if m.write_errors
                .as_ref()
                .is_some_and(|w| !w.is_empty() && w.iter().all(|w| w.code == 11000)) =>
        {
            StoreError::Duplicate { what: "record" }
        }
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. } => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

impl From<mongodb::error::Error> for StoreError {
    fn from(e: mongodb::error::Error) -> Self {
        classify(e)
    }
}

/// A duplicate named for the caller.
pub(super) fn named(what: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Duplicate { .. } => StoreError::Duplicate { what },
        other => other,
    }
}

/// A codec document (JSON) as BSON, with `extra` fields (ids, query fields) added.
pub(super) fn to_bson(v: &serde_json::Value, extra: Document) -> StoreResult<Document> {
    let mut d =
        mongodb::bson::to_document(v).map_err(|e| StoreError::Backend(format!("to BSON: {e}")))?;
    d.extend(extra);
    Ok(d)
}

/// A stored document back as the codec's JSON (our own fields dropped).
pub(super) fn to_json(mut d: Document) -> StoreResult<serde_json::Value> {
    d.remove("_id");
    let keys: Vec<String> = d.keys().filter(|k| k.starts_with("q_")).cloned().collect();
    for k in keys {
        d.remove(&k);
    }
    let v: serde_json::Value = mongodb::bson::from_document(d)
        .map_err(|e| StoreError::Corrupt(format!("from BSON: {e}")))?;
    Ok(v)
}

/// One line for a database the hub could not reach at start: where (the URL, password
/// masked), for how long, and the first reason the driver gave.
fn unreachable(url: &str, waited: Duration, e: &mongodb::error::Error) -> String {
    let text = e.to_string();
    let reason = ["I/O error: ", "Error: Kind: "]
        .iter()
        .find_map(|m| text.split_once(m).map(|(_, r)| r))
        .map(|r| r.split([',', '}']).next().unwrap_or(r).trim().to_string())
        .unwrap_or_else(|| text.clone());
    greenroom_proto::secrets::mask_secrets_in_text(&format!(
        "database.mongodb_url: no MongoDB server answered at {} within {}s ({reason})",
        greenroom_proto::secrets::mask_connection_string(url),
        waited.as_secs_f32()
    ))
}

/// A whole number field however the server sent it back (Int64, Int32 or a whole Double:
/// servers and tools differ in what small numbers come back as).
pub(super) fn int(d: &Document, key: &str) -> Option<i64> {
    match d.get(key)? {
        Bson::Int64(v) => Some(*v),
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Double(v) if v.fract() == 0.0 => Some(*v as i64),
        _ => None,
    }
}

/// Epoch milliseconds, the form times are queried in.
pub(super) fn ms(t: crate::model::Timestamp) -> i64 {
    t.timestamp_millis()
}

/// A BSON date (what TTL indexes expire on).
pub(super) fn date(t: crate::model::Timestamp) -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(t.timestamp_millis()))
}

/// The documents a cursor yields inside a transaction.
pub(super) async fn collect_in(
    s: &mut ClientSession,
    mut cursor: mongodb::SessionCursor<Document>,
) -> StoreResult<Vec<Document>> {
    let mut out = Vec::new();
    while let Some(d) = cursor.next(s).await {
        out.push(d?);
    }
    Ok(out)
}

/// The documents a cursor yields.
pub(super) async fn collect(cursor: mongodb::Cursor<Document>) -> StoreResult<Vec<Document>> {
    Ok(cursor.try_collect().await?)
}

impl MongoStore {
    /// Connects (`database.mongodb_url`), checks the server answers, and creates indexes.
    pub async fn open(
        url: &str,
        database: &str,
        pool_size: u32,
        codec: Codec,
    ) -> StoreResult<Self> {
        let mut opts = mongodb::options::ClientOptions::parse(url)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "database.mongodb_url: {}",
                    greenroom_proto::secrets::mask_secrets_in_text(&e.to_string())
                ))
            })?;
        opts.max_pool_size = Some(pool_size.max(2));
        opts.app_name = Some("greenroom-hub".into());
        // Shorter than the driver's 30 s unless the URL says otherwise: a hub that cannot
        // reach its database says so soon.
        opts.server_selection_timeout
            .get_or_insert(Duration::from_secs(10));
        opts.connect_timeout.get_or_insert(Duration::from_secs(5));
        let timeout = opts.server_selection_timeout.unwrap_or_default();
        let client = Client::with_options(opts).map_err(classify)?;
        let store = Self {
            db: client.database(database),
            client,
            codec,
            audit_gate: Default::default(),
        };
        let hello = match store.db.run_command(doc! {"hello": 1}).await {
            Ok(h) => h,
            Err(e) => return Err(StoreError::Unavailable(unreachable(url, timeout, &e))),
        };
        // Every write is a transaction, which a standalone server refuses: say so at start,
        // not as an internal error at the first write.
        if hello.get_str("setName").is_err() && hello.get_str("msg") != Ok("isdbgrid") {
            return Err(StoreError::Unavailable(format!(
                "database.mongodb_url: {} is a standalone MongoDB server; the hub needs a \
                 replica set (a single node will do: start mongod with --replSet rs0 and run \
                 rs.initiate() once) or mongos, because it writes in transactions",
                greenroom_proto::secrets::mask_connection_string(url)
            )));
        }
        store.migrate().await?;
        Ok(store)
    }

    pub(super) fn col(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }

    /// Runs `f` in a transaction, again while it fails with a write conflict (with a short,
    /// growing, jittered pause), and commits. What `f` works on comes in `ctx` (the store
    /// itself and the call's arguments), so the future it returns borrows only from there.
    pub(super) async fn txn<C, T, F>(&self, ctx: C, mut f: F) -> StoreResult<T>
    where
        C: Sync,
        F: for<'s> FnMut(&'s mut ClientSession, &'s C) -> BoxFuture<'s, StoreResult<T>>,
    {
        let mut session = self.client.start_session().await?;
        let mut last = None;
        for attempt in 0..TXN_ATTEMPTS {
            if attempt > 0 {
                let jitter: u64 = rand::random_range(0..=(2u64 << attempt.min(6)));
                tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
            }
            session.start_transaction().await?;
            match f(&mut session, &ctx).await {
                Ok(v) => {
                    let mut commit = session.commit_transaction().await;
                    // An unknown commit result may be retried as it is.
                    for _ in 0..3 {
                        match &commit {
                            Err(e)
                                if e.contains_label(
                                    mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT,
                                ) =>
                            {
                                commit = session.commit_transaction().await;
                            }
                            _ => break,
                        }
                    }
                    match commit.map_err(classify) {
                        Ok(()) => return Ok(v),
                        Err(e @ StoreError::Conflict(_)) => last = Some(e),
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => {
                    let _ = session.abort_transaction().await;
                    match e {
                        StoreError::Conflict(_) => last = Some(e),
                        other => return Err(other),
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| StoreError::Conflict("transaction retries exhausted".into())))
    }

    /// Takes the next value of a named counter inside the caller's transaction (writers of
    /// the same counter serialise on its document).
    pub(super) async fn next_in(
        &self,
        s: &mut ClientSession,
        name: &str,
        by: i64,
    ) -> StoreResult<i64> {
        let d = self
            .col("counters")
            .find_one_and_update(doc! {"_id": name}, doc! {"$inc": {"value": by}})
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .session(&mut *s)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("counter {name} did not come back")))?;
        Ok(int(&d, "value").unwrap_or(0))
    }

    /// Creates every index the store's queries need (idempotent), TTL indexes included.
    pub async fn migrate(&self) -> StoreResult<()> {
        let idx = |keys: Document, unique: bool| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().unique(unique).build())
                .build()
        };
        let partial = |keys: Document, filter: Document| {
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .partial_filter_expression(filter)
                        .build(),
                )
                .build()
        };
        let ttl = |field: &str| {
            IndexModel::builder()
                .keys(doc! {field: 1})
                .options(IndexOptions::builder().expire_after(Duration::ZERO).build())
                .build()
        };
        let plan: Vec<(&str, Vec<IndexModel>)> = vec![
            ("users", vec![idx(doc! {"email": 1}, false)]),
            (
                "sessions",
                vec![
                    idx(doc! {"tenant_id": 1, "email": 1, "q_ended": 1}, false),
                    ttl("q_expire"),
                ],
            ),
            (
                "refresh_tokens",
                vec![idx(doc! {"session_id": 1}, false), ttl("q_expire")],
            ),
            ("enrollment_tokens", vec![ttl("q_expire")]),
            (
                "servers",
                vec![
                    partial(
                        doc! {"q_fingerprint": 1},
                        doc! {"q_fingerprint": {"$type": "string"}},
                    ),
                    idx(doc! {"tenant_id": 1, "environment": 1}, false),
                    idx(doc! {"tenant_id": 1, "server_id": 1}, false),
                    idx(doc! {"q_state": 1, "q_heartbeat": 1}, false),
                ],
            ),
            (
                "action_templates",
                vec![idx(doc! {"tenant_id": 1, "name": 1}, true)],
            ),
            (
                "executions",
                vec![
                    idx(doc! {"tenant_id": 1, "q_created": -1}, false),
                    // Open executions counted at every start (max_concurrent_executions).
                    idx(doc! {"tenant_id": 1, "state": 1, "q_created": -1}, false),
                ],
            ),
            (
                "jobs",
                vec![
                    idx(
                        doc! {"tenant_id": 1, "server_id": 1, "state": 1, "q_priority": -1, "q_queued": 1, "job_id": 1},
                        false,
                    ),
                    idx(doc! {"execution_id": 1, "server_id": 1}, false),
                    idx(doc! {"state": 1, "q_lease": 1}, false),
                    idx(doc! {"state": 1, "q_not_before": 1}, false),
                ],
            ),
            (
                "job_output",
                vec![
                    idx(doc! {"execution_id": 1, "cursor": 1}, true),
                    partial(
                        doc! {"job_id": 1, "attempt": 1, "seq": 1},
                        doc! {"job_id": {"$type": "string"}},
                    ),
                    idx(
                        doc! {"execution_id": 1, "server_id": 1, "job_id": 1, "attempt": 1, "seq": 1},
                        false,
                    ),
                ],
            ),
            (
                "server_locks",
                vec![
                    partial(
                        doc! {"tenant_id": 1, "server_id": 1},
                        doc! {"status": "active"},
                    ),
                    idx(doc! {"status": 1, "q_expires": 1}, false),
                    idx(doc! {"tenant_id": 1, "q_order": -1}, false),
                ],
            ),
            (
                "metric_buckets",
                vec![
                    idx(
                        doc! {"tenant_id": 1, "server_id": 1, "resolution": 1, "start": 1},
                        false,
                    ),
                    idx(doc! {"resolution": 1, "start": 1}, false),
                ],
            ),
            (
                "schedules",
                vec![
                    idx(doc! {"enabled": 1, "q_next": 1}, false),
                    idx(doc! {"tenant_id": 1}, false),
                ],
            ),
            (
                "audit_logs",
                vec![idx(doc! {"tenant_id": 1, "_id": -1}, false)],
            ),
            (
                "notification_rules",
                vec![idx(doc! {"tenant_id": 1, "q_created": 1}, false)],
            ),
            (
                "notification_deliveries",
                vec![
                    idx(doc! {"rule_id": 1, "event_seq": 1}, true),
                    idx(doc! {"status": 1, "q_next": 1}, false),
                    idx(doc! {"tenant_id": 1, "q_created": -1}, false),
                ],
            ),
        ];
        for (col, models) in plan {
            self.col(col).create_indexes(models).await?;
        }
        self.col("jobs")
            .create_index(
                IndexModel::builder()
                    .keys(doc! {"q_unmarked": 1})
                    .options(IndexOptions::builder().sparse(true).build())
                    .build(),
            )
            .await?;
        self.fill_audit_query_fields().await?;
        self.mark_live_executions().await
    }

    /// Document upgrade: a live execution written before job marks existed (see `moves`)
    /// gets the marks of its jobs as they are.
    async fn mark_live_executions(&self) -> StoreResult<()> {
        let unmarked = collect(
            self.col("execution_control")
                .find(doc! {"q_js": {"$exists": false}, "state": {"$in": ["pending", "running"]}})
                .projection(doc! {"_id": 1})
                .await?,
        )
        .await?;
        for d in unmarked {
            let id = d.get_str("_id").unwrap_or_default().to_string();
            let jobs = self.jobs_of(&id).await?;
            self.col("execution_control")
                .update_one(
                    doc! {"_id": &id},
                    doc! {"$set": {"q_js": Self::marks_of(&jobs), "q_open": Self::open_of(&jobs)}},
                )
                .await?;
        }
        Ok(())
    }
}

/// The keyset bounds of a page (`model::Seek`) over a sort key of one or more fields, the
/// list in `ascending` order on all of them: items strictly after `after` and before
/// `before` in that order, as a filter to add with `$and` (None when neither is set).
pub(super) fn seek_filter(
    fields: &[&str],
    after: Option<Vec<mongodb::bson::Bson>>,
    before: Option<Vec<mongodb::bson::Bson>>,
    ascending: bool,
) -> Option<Document> {
    // (f1, f2) > (a, b)  ⇔  f1 > a  ∨  (f1 = a ∧ f2 > b)
    let bound = |key: Vec<mongodb::bson::Bson>, greater: bool| {
        let op = if greater { "$gt" } else { "$lt" };
        let mut alternatives = Vec::new();
        for i in 0..fields.len().min(key.len()) {
            let mut d = Document::new();
            for j in 0..i {
                d.insert(fields[j], key[j].clone());
            }
            d.insert(fields[i], doc! {op: key[i].clone()});
            alternatives.push(d);
        }
        doc! {"$or": alternatives}
    };
    let mut all = Vec::new();
    if let Some(a) = after {
        all.push(bound(a, ascending));
    }
    if let Some(b) = before {
        all.push(bound(b, !ascending));
    }
    (!all.is_empty()).then(|| doc! {"$and": all})
}
