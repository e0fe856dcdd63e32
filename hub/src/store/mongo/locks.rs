//! Server locks in MongoDB: at most one active lock per server (a partial unique index on
//! tenant and server where `status` is `active`), fencing tokens from one counter that only
//! grows, every status decided by `crate::lifecycle::locks`.

use super::super::StoreResult;
use super::{MongoStore, collect, collect_in, ms, to_bson, to_json};
use crate::lifecycle::locks::{self as rules, LockRefusal};
use crate::model::{LockStatus, ServerLock, Timestamp};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::{Document, doc};

impl MongoStore {
    fn lock_doc(&self, l: &ServerLock) -> StoreResult<Document> {
        to_bson(
            &self.codec.lock(l)?,
            doc! {"_id": &l.lock_id, "q_expires": ms(l.timing.expires_at), "q_order": ms(l.timing.acquired_at)},
        )
    }

    fn lock_from(&self, d: Document) -> StoreResult<ServerLock> {
        self.codec.lock_from(to_json(d)?)
    }

    pub(super) async fn write_lock_in(
        &self,
        s: &mut ClientSession,
        l: &ServerLock,
    ) -> StoreResult<()> {
        self.col("server_locks")
            .replace_one(doc! {"_id": &l.lock_id}, self.lock_doc(l)?)
            .upsert(true)
            .session(&mut *s)
            .await?;
        Ok(())
    }

    pub(super) async fn lock_by_id_in(
        &self,
        s: &mut ClientSession,
        id: &str,
    ) -> StoreResult<Option<ServerLock>> {
        self.col("server_locks")
            .find_one(doc! {"_id": id})
            .session(&mut *s)
            .await?
            .map(|d| self.lock_from(d))
            .transpose()
    }

    /// Ends a lapsed lock, with its `lock_expired` audit entry in the same transaction.
    async fn expire_lock_in(
        &self,
        s: &mut ClientSession,
        l: &mut ServerLock,
        now: Timestamp,
    ) -> StoreResult<()> {
        rules::expire(l, now);
        self.write_lock_in(s, l).await?;
        self.append_audit_in(s, &crate::audit::lock_expired(l, now))
            .await?;
        Ok(())
    }

    /// The server's live lock inside a transaction: one that lapsed is ended here first.
    pub(super) async fn current_lock_in(
        &self,
        s: &mut ClientSession,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ServerLock>> {
        let found = self
            .col("server_locks")
            .find_one(doc! {"tenant_id": tenant, "server_id": server, "status": "active"})
            .session(&mut *s)
            .await?
            .map(|d| self.lock_from(d))
            .transpose()?;
        match found {
            Some(mut l) if rules::is_lapsed(&l, now) => {
                self.expire_lock_in(s, &mut l, now).await?;
                Ok(None)
            }
            other => Ok(other),
        }
    }

    /// Takes `lock` unless another is live on its server; assigns its fencing token.
    pub(super) async fn take_lock_in(
        &self,
        s: &mut ClientSession,
        mut lock: ServerLock,
        now: Timestamp,
    ) -> StoreResult<Result<ServerLock, LockRefusal>> {
        let held = self
            .current_lock_in(s, &lock.tenant_id, &lock.server_id, now)
            .await?;
        if let Err(refusal) = rules::may_take(held.as_ref(), now) {
            return Ok(Err(refusal));
        }
        lock.fencing_token = self.next_in(s, "fencing", 1).await? as u64;
        self.write_lock_in(s, &lock).await?;
        Ok(Ok(lock))
    }

    pub(super) async fn acquire_lock(
        &self,
        lock: &ServerLock,
        now: Timestamp,
    ) -> StoreResult<Result<ServerLock, LockRefusal>> {
        self.txn((self, lock, now), |s, &(st, lock, now)| {
            async move { st.take_lock_in(s, lock.clone(), now).await }.boxed()
        })
        .await
    }

    pub(super) async fn get_lock(&self, tenant: &str, id: &str) -> StoreResult<Option<ServerLock>> {
        self.col("server_locks")
            .find_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .map(|d| self.lock_from(d))
            .transpose()
    }

    pub(super) async fn active_lock(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ServerLock>> {
        Ok(self
            .col("server_locks")
            .find_one(doc! {"tenant_id": tenant, "server_id": server, "status": "active"})
            .await?
            .map(|d| self.lock_from(d))
            .transpose()?
            .filter(|l| rules::is_live(l, now)))
    }

    pub(super) async fn list_locks(
        &self,
        tenant: &str,
        active_only: bool,
    ) -> StoreResult<Vec<ServerLock>> {
        let mut filter = doc! {"tenant_id": tenant};
        if active_only {
            filter.insert("status", "active");
        }
        let docs = collect(
            self.col("server_locks")
                .find(filter)
                .sort(doc! {"q_order": -1})
                .limit(500)
                .await?,
        )
        .await?;
        let mut locks: Vec<ServerLock> = docs
            .into_iter()
            .map(|d| self.lock_from(d))
            .collect::<StoreResult<_>>()?;
        // Active ones first, newest first within each.
        locks.sort_by_key(|l| l.status != LockStatus::Active);
        Ok(locks)
    }

    /// Applies `change` to the tenant's lock `id` (a lapsed one is expired first).
    pub(super) async fn change_lock(
        &self,
        tenant: &str,
        id: &str,
        now: Timestamp,
        change: impl Fn(&mut ServerLock) -> Result<(), LockRefusal> + Sync,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
        self.txn(
            (self, tenant, id, now, &change),
            |s, &(st, tenant, id, now, change)| {
                async move {
                    let Some(d) = st
                        .col("server_locks")
                        .find_one(doc! {"_id": id, "tenant_id": tenant})
                        .session(&mut *s)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let mut l = st.lock_from(d)?;
                    if rules::is_lapsed(&l, now) {
                        st.expire_lock_in(s, &mut l, now).await?;
                    }
                    if let Err(r) = change(&mut l) {
                        return Ok(Some(Err(r)));
                    }
                    st.write_lock_in(s, &l).await?;
                    if let Some((kind, details)) = rules::event(&l) {
                        st.record_event_in(s, &l.tenant_id, kind, &l.lock_id, &details, now)
                            .await?;
                    }
                    Ok(Some(Ok(l)))
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn renew_lock_for_job_in(
        &self,
        s: &mut ClientSession,
        id: &str,
        until: Timestamp,
    ) -> StoreResult<()> {
        if let Some(mut l) = self.lock_by_id_in(s, id).await?
            && rules::renew_for_job(&mut l, until)
        {
            self.write_lock_in(s, &l).await?;
        }
        Ok(())
    }

    /// A job is leased under lock `id`: the lock document is written (a counter raised),
    /// not only read, so that the lease conflicts with a release committed meanwhile and
    /// re-runs, where snapshot isolation alone would let both commit and lease a job
    /// under a lock that has ended. (A no-op replace would not count as a write.)
    pub(super) async fn hold_lock_in(&self, s: &mut ClientSession, id: &str) -> StoreResult<()> {
        self.col("server_locks")
            .update_one(doc! {"_id": id}, doc! {"$inc": {"q_holds": 1}})
            .session(&mut *s)
            .await?;
        Ok(())
    }

    pub(super) async fn release_lock_for_job_in(
        &self,
        s: &mut ClientSession,
        id: &str,
        execution_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        if let Some(mut l) = self.lock_by_id_in(s, id).await?
            && rules::release_on_job_end(&mut l, execution_id, now)
        {
            self.write_lock_in(s, &l).await?;
        }
        Ok(())
    }

    pub(super) async fn expire_locks(&self, now: Timestamp) -> StoreResult<Vec<ServerLock>> {
        self.txn((self, now), |s, &(st, now)| {
            async move {
                let cursor = st
                    .col("server_locks")
                    .find(doc! {"status": "active", "q_expires": {"$lte": ms(now)}})
                    .session(&mut *s)
                    .await?;
                let mut out = Vec::new();
                for d in collect_in(s, cursor).await? {
                    let mut l = st.lock_from(d)?;
                    st.expire_lock_in(s, &mut l, now).await?;
                    out.push(l);
                }
                Ok(out)
            }
            .boxed()
        })
        .await
    }
}
