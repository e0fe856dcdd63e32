//! Users (keyed by tenant and email), their sessions, refresh tokens (by hash, each of one
//! session) and enrollment tokens in the SQLite store.

use super::super::codec::Codec;
use super::super::{RefreshToken, RefreshUse, StoreError, StoreResult};
use super::{docs, from_ms, ms};
use crate::model::{Session, Timestamp, User};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub(super) fn insert(tx: &Transaction<'_>, codec: &Codec, u: &User) -> StoreResult<()> {
    let r = tx.execute(
        "INSERT INTO users(tenant_id, email, doc) VALUES (?1, ?2, ?3)",
        params![
            u.tenant_id,
            u.email.to_lowercase(),
            codec.user(u)?.to_string()
        ],
    );
    match r {
        Ok(_) => Ok(()),
        Err(e) if super::is_duplicate(&e) => Err(StoreError::Duplicate { what: "user" }),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn get(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    email: &str,
) -> StoreResult<Option<User>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM users WHERE tenant_id = ?1 AND email = ?2")?
        .query_row(params![tenant, email.to_lowercase()], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.user_from(super::doc(&d)?)).transpose()
}

pub(super) fn by_email(c: &Connection, codec: &Codec, email: &str) -> StoreResult<Vec<User>> {
    docs(
        c,
        "SELECT doc FROM users WHERE email = ?1 ORDER BY tenant_id",
        [email.to_lowercase()],
    )?
    .into_iter()
    .map(|d| codec.user_from(d))
    .collect()
}

pub(super) fn list(c: &Connection, codec: &Codec, tenant: &str) -> StoreResult<Vec<User>> {
    docs(
        c,
        "SELECT doc FROM users WHERE tenant_id = ?1 ORDER BY email",
        [tenant],
    )?
    .into_iter()
    .map(|d| codec.user_from(d))
    .collect()
}

pub(super) fn modify(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    email: &str,
    change: &(dyn Fn(&mut User) + Send + Sync),
) -> StoreResult<Option<User>> {
    let Some(mut u) = get(tx, codec, tenant, email)? else {
        return Ok(None);
    };
    change(&mut u);
    u.tenant_id = tenant.to_string();
    u.email = email.to_lowercase();
    tx.execute(
        "UPDATE users SET doc = ?3 WHERE tenant_id = ?1 AND email = ?2",
        params![u.tenant_id, u.email, codec.user(&u)?.to_string()],
    )?;
    Ok(Some(u))
}

pub(super) fn insert_session(tx: &Transaction<'_>, codec: &Codec, s: &Session) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO sessions(session_id, tenant_id, email, ended, expires_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.session_id, s.tenant_id, s.email, s.ended_at.is_some(), ms(s.expires_at), codec.plain(s)?.to_string()],
    )?;
    Ok(())
}

pub(super) fn get_session(c: &Connection, codec: &Codec, id: &str) -> StoreResult<Option<Session>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM sessions WHERE session_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.from_plain("session", super::doc(&d)?))
        .transpose()
}

/// Ends a session and spends its refresh tokens; false when it had already ended.
pub(super) fn end_session(
    tx: &Transaction<'_>,
    codec: &Codec,
    id: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let Some(mut s) = get_session(tx, codec, id)? else {
        return Ok(false);
    };
    if s.ended_at.is_some() {
        return Ok(false);
    }
    s.ended_at = Some(now);
    s.end_reason = Some(reason.to_string());
    tx.execute(
        "UPDATE sessions SET ended = 1, doc = ?2 WHERE session_id = ?1",
        params![id, codec.plain(&s)?.to_string()],
    )?;
    tx.execute(
        "UPDATE refresh_tokens SET used = 1 WHERE session_id = ?1",
        [id],
    )?;
    Ok(true)
}

pub(super) fn end_sessions_of(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    email: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<Vec<String>> {
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT session_id FROM sessions WHERE tenant_id = ?1 AND email = ?2 AND ended = 0",
        )?
        .query_map(params![tenant, email.to_lowercase()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        end_session(tx, codec, id, reason, now)?;
    }
    Ok(ids)
}

pub(super) fn insert_refresh(tx: &Transaction<'_>, t: &RefreshToken) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO refresh_tokens(token_hash, session_id, tenant_id, email, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![t.token_hash, t.session_id, t.tenant_id, t.email, ms(t.expires_at)],
    )?;
    Ok(())
}

pub(super) fn use_refresh(
    tx: &Transaction<'_>,
    codec: &Codec,
    hash: &str,
    now: Timestamp,
) -> StoreResult<RefreshUse> {
    let row = tx
        .prepare_cached(
            "SELECT session_id, tenant_id, email, expires_at, used FROM refresh_tokens WHERE token_hash = ?1",
        )?
        .query_row([hash], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })
        .optional()?;
    let Some((session_id, tenant_id, email, exp, used)) = row else {
        return Ok(RefreshUse::Invalid);
    };
    let live = get_session(tx, codec, &session_id)?.is_some_and(|s| s.is_live(now));
    if used {
        // A spent token again: someone holds a copy. If its session still lives, end it.
        if live {
            end_session(tx, codec, &session_id, "refresh_token_reused", now)?;
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
    tx.execute(
        "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1",
        [hash],
    )?;
    Ok(RefreshUse::Fresh(RefreshToken {
        token_hash: hash.to_string(),
        session_id,
        email,
        tenant_id,
        expires_at: from_ms(exp),
    }))
}

pub(super) fn insert_enrollment(
    tx: &Transaction<'_>,
    hash: &str,
    tenant: &str,
    by: &str,
    exp: Timestamp,
    uses: u32,
    scope: Option<&serde_json::Value>,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO enrollment_tokens(token_hash, tenant_id, created_by, expires_at, uses_left, scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![hash, tenant, by, ms(exp), uses.max(1), scope.map(|v| v.to_string())],
    )?;
    Ok(())
}

pub(super) fn consume_enrollment(
    tx: &Transaction<'_>,
    hash: &str,
    server_id: &str,
    now: Timestamp,
) -> StoreResult<Option<(String, Option<serde_json::Value>)>> {
    let row: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT tenant_id, scope FROM enrollment_tokens WHERE token_hash = ?1 AND uses_left > 0 AND expires_at > ?2",
            params![hash, ms(now)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if row.is_some() {
        tx.execute(
            "UPDATE enrollment_tokens SET uses_left = uses_left - 1, used_at = ?2, used_by = ?3 WHERE token_hash = ?1",
            params![hash, ms(now), server_id],
        )?;
    }
    Ok(row.map(|(tenant, scope)| (tenant, scope.and_then(|s| serde_json::from_str(&s).ok()))))
}
