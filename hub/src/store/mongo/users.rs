//! Users (`_id` tenant/email), sessions, refresh tokens and enrollment tokens in MongoDB.
//! Refresh and enrollment tokens are kept by hash and expire through TTL indexes.

use super::super::{RefreshToken, RefreshUse, StoreResult};
use super::{MongoStore, collect, date, ms, named, to_bson, to_json};
use crate::model::{Session, Timestamp, User};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::doc;

fn user_id(tenant: &str, email: &str) -> String {
    format!("{tenant}/{}", email.to_lowercase())
}

impl MongoStore {
    fn user_doc(&self, u: &User) -> StoreResult<mongodb::bson::Document> {
        to_bson(
            &self.codec.user(u)?,
            doc! {"_id": user_id(&u.tenant_id, &u.email)},
        )
    }

    pub(super) async fn insert_user(&self, u: &User) -> StoreResult<()> {
        let mut u = u.clone();
        u.email = u.email.to_lowercase();
        self.col("users")
            .insert_one(self.user_doc(&u)?)
            .await
            .map_err(super::classify)
            .map_err(named("user"))?;
        Ok(())
    }

    pub(super) async fn get_user(&self, tenant: &str, email: &str) -> StoreResult<Option<User>> {
        self.col("users")
            .find_one(doc! {"_id": user_id(tenant, email)})
            .await?
            .map(|d| self.codec.user_from(to_json(d)?))
            .transpose()
    }

    pub(super) async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        let docs = collect(
            self.col("users")
                .find(doc! {"email": email.to_lowercase()})
                .sort(doc! {"tenant_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter()
            .map(|d| self.codec.user_from(to_json(d)?))
            .collect()
    }

    pub(super) async fn list_users(&self, tenant: &str) -> StoreResult<Vec<User>> {
        let docs = collect(
            self.col("users")
                .find(doc! {"tenant_id": tenant})
                .sort(doc! {"email": 1})
                .await?,
        )
        .await?;
        docs.into_iter()
            .map(|d| self.codec.user_from(to_json(d)?))
            .collect()
    }

    pub(super) async fn modify_user(
        &self,
        tenant: &str,
        email: &str,
        change: crate::store::UserChange,
    ) -> StoreResult<Option<User>> {
        let id = user_id(tenant, email);
        self.txn((self, id, change), |s, (st, id, change)| {
            async move {
                let Some(d) = st
                    .col("users")
                    .find_one(doc! {"_id": id})
                    .session(&mut *s)
                    .await?
                else {
                    return Ok(None);
                };
                let mut u = st.codec.user_from(to_json(d)?)?;
                let (tenant, email) = (u.tenant_id.clone(), u.email.clone());
                change(&mut u);
                u.tenant_id = tenant;
                u.email = email;
                st.col("users")
                    .replace_one(doc! {"_id": id}, st.user_doc(&u)?)
                    .session(&mut *s)
                    .await?;
                Ok(Some(u))
            }
            .boxed()
        })
        .await
    }

    fn session_doc(&self, sess: &Session) -> StoreResult<mongodb::bson::Document> {
        to_bson(
            &self.codec.plain(sess)?,
            doc! {"_id": &sess.session_id, "q_ended": sess.ended_at.is_some(), "q_expire": date(sess.expires_at)},
        )
    }

    pub(super) async fn insert_session(&self, sess: &Session) -> StoreResult<()> {
        self.col("sessions")
            .insert_one(self.session_doc(sess)?)
            .await?;
        Ok(())
    }

    pub(super) async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        self.col("sessions")
            .find_one(doc! {"_id": id})
            .await?
            .map(|d| self.codec.from_plain("session", to_json(d)?))
            .transpose()
    }

    /// Ends a session and spends its refresh tokens, inside the caller's transaction.
    async fn end_session_in(
        &self,
        s: &mut ClientSession,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let Some(d) = self
            .col("sessions")
            .find_one(doc! {"_id": id})
            .session(&mut *s)
            .await?
        else {
            return Ok(false);
        };
        let mut sess: Session = self.codec.from_plain("session", to_json(d)?)?;
        if sess.ended_at.is_some() {
            return Ok(false);
        }
        sess.ended_at = Some(now);
        sess.end_reason = Some(reason.to_string());
        self.col("sessions")
            .replace_one(doc! {"_id": id}, self.session_doc(&sess)?)
            .session(&mut *s)
            .await?;
        self.col("refresh_tokens")
            .update_many(doc! {"session_id": id}, doc! {"$set": {"used": true}})
            .session(&mut *s)
            .await?;
        Ok(true)
    }

    pub(super) async fn end_session(
        &self,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.txn((self, id, reason, now), |s, &(st, id, reason, now)| {
            async move { st.end_session_in(s, id, reason, now).await }.boxed()
        })
        .await
    }

    pub(super) async fn end_sessions_of(
        &self,
        tenant: &str,
        email: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let email = email.to_lowercase();
        self.txn(
            (self, tenant, email.as_str(), reason, now),
            |s, &(st, tenant, email, reason, now)| {
                async move {
                    let cursor = st
                        .col("sessions")
                        .find(doc! {"tenant_id": tenant, "email": email, "q_ended": false})
                        .session(&mut *s)
                        .await?;
                    let docs = super::collect_in(s, cursor).await?;
                    let ids: Vec<String> = docs
                        .iter()
                        .filter_map(|d| d.get_str("_id").ok().map(str::to_string))
                        .collect();
                    for id in &ids {
                        st.end_session_in(s, id, reason, now).await?;
                    }
                    Ok(ids)
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn insert_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        self.col("refresh_tokens")
            .insert_one(doc! {
                "_id": &t.token_hash, "session_id": &t.session_id, "tenant_id": &t.tenant_id,
                "email": &t.email, "expires_at": ms(t.expires_at), "used": false,
                "q_expire": date(t.expires_at),
            })
            .await?;
        Ok(())
    }

    pub(super) async fn use_refresh_token(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> StoreResult<RefreshUse> {
        self.txn((self, hash, now), |s, &(st, hash, now)| {
            async move {
                let Some(d) = st
                    .col("refresh_tokens")
                    .find_one(doc! {"_id": hash})
                    .session(&mut *s)
                    .await?
                else {
                    return Ok(RefreshUse::Invalid);
                };
                let get = |k: &str| d.get_str(k).unwrap_or_default().to_string();
                let (session_id, tenant_id, email) =
                    (get("session_id"), get("tenant_id"), get("email"));
                let exp = super::int(&d, "expires_at").unwrap_or(0);
                let used = d.get_bool("used").unwrap_or(true);
                let live = match st
                    .col("sessions")
                    .find_one(doc! {"_id": &session_id})
                    .session(&mut *s)
                    .await?
                {
                    Some(sd) => st
                        .codec
                        .from_plain::<Session>("session", to_json(sd)?)?
                        .is_live(now),
                    None => false,
                };
                if used {
                    if live {
                        st.end_session_in(s, &session_id, "refresh_token_reused", now)
                            .await?;
                        return Ok(RefreshUse::Reused {
                            session_id,
                            email,
                            tenant_id,
                        });
                    }
                    return Ok(RefreshUse::Invalid);
                }
                if exp <= ms(now) || !live {
                    return Ok(RefreshUse::Invalid);
                }
                st.col("refresh_tokens")
                    .update_one(doc! {"_id": hash}, doc! {"$set": {"used": true}})
                    .session(&mut *s)
                    .await?;
                Ok(RefreshUse::Fresh(RefreshToken {
                    token_hash: hash.to_string(),
                    session_id,
                    email,
                    tenant_id,
                    expires_at: chrono::DateTime::from_timestamp_millis(exp).unwrap_or_default(),
                }))
            }
            .boxed()
        })
        .await
    }

    pub(super) async fn insert_enrollment_token(
        &self,
        hash: &str,
        tenant: &str,
        by: &str,
        exp: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        let scope = scope.map(|v| v.to_string());
        self.col("enrollment_tokens")
            .insert_one(doc! {
                "_id": hash, "tenant_id": tenant, "created_by": by, "expires_at": ms(exp),
                "uses_left": i64::from(uses.max(1)), "scope": scope, "used_at": null, "used_by": null,
                "q_expire": date(exp),
            })
            .await?;
        Ok(())
    }

    pub(super) async fn consume_enrollment_token(
        &self,
        hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(String, Option<serde_json::Value>)>> {
        // One guarded update spends a use: two agents racing for the last one cannot both win.
        let d = self
            .col("enrollment_tokens")
            .find_one_and_update(
                doc! {"_id": hash, "uses_left": {"$gt": 0}, "expires_at": {"$gt": ms(now)}},
                doc! {"$inc": {"uses_left": -1}, "$set": {"used_at": ms(now), "used_by": server_id}},
            )
            .await?;
        Ok(d.map(|d| {
            let scope = d
                .get_str("scope")
                .ok()
                .and_then(|s| serde_json::from_str(s).ok());
            (
                d.get_str("tenant_id").unwrap_or_default().to_string(),
                scope,
            )
        }))
    }
}
