//! Users in the SQLite store: accounts, status, session cut-off and login lock-out.

use super::{SqliteStore, from_ms, ms};
use crate::error::Result;
use crate::model::{Role, Timestamp, User};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "email, tenant_id, role, password_hash, disabled, tokens_valid_after, failed_logins, locked_until";

fn to_user(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        email: r.get(0)?,
        tenant_id: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Viewer),
        password_hash: r.get(3)?,
        disabled: r.get(4)?,
        tokens_valid_after: r.get::<_, Option<i64>>(5)?.map(from_ms),
        failed_logins: r.get::<_, i64>(6)? as u32,
        locked_until: r.get::<_, Option<i64>>(7)?.map(from_ms),
    })
}

pub(super) async fn upsert_user(s: &SqliteStore, user: &User) -> Result<()> {
    let u = user.clone();
    s.with(move |c| {
        c.execute(
            &format!(
                "INSERT INTO users({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(email) DO UPDATE SET tenant_id = ?2, role = ?3, password_hash = ?4, disabled = ?5,
                 tokens_valid_after = ?6, failed_logins = ?7, locked_until = ?8"
            ),
            params![
                u.email.to_lowercase(),
                u.tenant_id,
                u.role.as_str(),
                u.password_hash,
                u.disabled,
                u.tokens_valid_after.map(ms),
                u.failed_logins,
                u.locked_until.map(ms)
            ],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn user_by_email(s: &SqliteStore, email: &str) -> Result<Option<User>> {
    let email = email.to_lowercase();
    s.with(move |c| {
        Ok(c.query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE email = ?1"),
            [&email],
            to_user,
        )
        .optional()?)
    })
    .await
}

pub(super) async fn list_users(s: &SqliteStore, tenant: &str) -> Result<Vec<User>> {
    let tenant = tenant.to_string();
    s.with(move |c| {
        let mut st = c.prepare(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY email"
        ))?;
        Ok(st
            .query_map([&tenant], to_user)?
            .collect::<rusqlite::Result<_>>()?)
    })
    .await
}

/// Counts a failed sign-in; after `threshold` in a row the account is locked, for longer
/// each time (1, 2, 4, … minutes, at most an hour). Returns the user as it now stands.
pub(super) async fn record_login_failure(
    s: &SqliteStore,
    email: &str,
    threshold: u32,
    now: Timestamp,
) -> Result<Option<User>> {
    let email = email.to_lowercase();
    s.with(move |c| {
        let tx = c.transaction()?;
        let Some(mut u) = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE email = ?1"),
                [&email],
                to_user,
            )
            .optional()?
        else {
            return Ok(None);
        };
        u.failed_logins += 1;
        if u.failed_logins >= threshold {
            let minutes = 1i64 << (u.failed_logins - threshold).min(6);
            u.locked_until = Some(now + chrono::Duration::minutes(minutes.min(60)));
        }
        tx.execute(
            "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE email = ?1",
            params![email, u.failed_logins, u.locked_until.map(ms)],
        )?;
        tx.commit()?;
        Ok(Some(u))
    })
    .await
}

pub(super) async fn clear_login_failures(s: &SqliteStore, email: &str) -> Result<()> {
    let email = email.to_lowercase();
    s.with(move |c| {
        c.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE email = ?1",
            [&email],
        )?;
        Ok(())
    })
    .await
}
