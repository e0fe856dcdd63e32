//! Users and sessions: sign-in (throttled per account and address, the same answer and cost
//! for an unknown account), refresh with replay detection, logout, and the administrator's
//! user management. Ending sessions is told to every live subscription through the bus.

use crate::app::App;
use crate::audit::{self, Actor, Origin, Resource};
use crate::auth::{self, Caller, Refreshed, TokenPair};
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::limits::Quota;
use crate::model::{Role, User};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// A hash of a random password nobody knows, checked for unknown users so that a wrong
/// email costs the same time as a wrong password.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> &'static str {
    DUMMY_HASH
        .get_or_init(|| async {
            auth::hash_password(&auth::random_token())
                .await
                .unwrap_or_default()
        })
        .await
}

const BAD_LOGIN: &str = "invalid email or password";

/// Sign-in attempts per account from one address: `security.login_max_failures` at once,
/// then one a minute. Counted before the password is checked, for known and unknown
/// accounts alike, so the answer never tells which exist, and nobody elsewhere can lock a
/// user out; a successful sign-in clears the count, so only failures in a row add up.
fn account_quota(app: &App) -> Quota {
    Quota {
        name: "login_account",
        burst: app.config.security.login_max_failures,
        period: std::time::Duration::from_secs(60),
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
    /// Needed only when the address belongs to users of several tenants.
    #[serde(default)]
    pub tenant: Option<String>,
}

pub async fn login(app: &App, login: &Login, origin: &Origin) -> Result<TokenPair> {
    let email = login.email.trim().to_lowercase();
    let address = origin.ip.as_deref().unwrap_or("unknown");
    let throttle_key = format!("{email}|{address}");
    if let Err(wait) = app.limiter.hit(&account_quota(app), &throttle_key).await {
        app.metrics
            .login_failures
            .with_label_values(&["throttled"])
            .inc();
        return Err(Error::RateLimited {
            message: format!("too many sign-in attempts; try again in {wait} s"),
            retry_after_secs: wait,
        });
    }
    let mut candidates = app.store.users_by_email(&email).await?;
    if let Some(t) = &login.tenant {
        candidates.retain(|u| &u.tenant_id == t);
    }
    let mut matched = Vec::new();
    if candidates.is_empty() {
        auth::verify_password(&login.password, dummy_hash().await).await;
    }
    for u in &candidates {
        if auth::verify_password(&login.password, &u.password_hash).await {
            matched.push(u.clone());
        }
    }
    let actor = || Actor::User {
        email: &email,
        origin,
    };
    let res = || Resource {
        kind: "user",
        id: &email,
        name: None,
    };
    match matched.as_slice() {
        [] => {
            let reason = if candidates.is_empty() {
                "unknown_account"
            } else {
                "bad_password"
            };
            app.metrics
                .login_failures
                .with_label_values(&[reason])
                .inc();
            // Failures against an account are its tenant's business; an unknown address
            // belongs to no tenant and is only counted.
            for u in &candidates {
                audit::record(
                    app,
                    &u.tenant_id,
                    actor(),
                    "user_login",
                    res(),
                    json!({}),
                    Some(BAD_LOGIN),
                )
                .await;
            }
            Err(Error::Unauthenticated(BAD_LOGIN.into()))
        }
        [u] if u.disabled => {
            app.metrics
                .login_failures
                .with_label_values(&["disabled"])
                .inc();
            audit::record(
                app,
                &u.tenant_id,
                actor(),
                "user_login",
                res(),
                json!({}),
                Some("account disabled"),
            )
            .await;
            Err(Error::Unauthenticated(format!(
                "the account {} is disabled",
                u.email
            )))
        }
        [u] => {
            audit::record(
                app,
                &u.tenant_id,
                actor(),
                "user_login",
                res(),
                json!({}),
                None,
            )
            .await;
            app.limiter.reset(&account_quota(app), &throttle_key).await;
            app.keys.sign_in(app.store.as_ref(), u).await
        }
        _ => Err(Error::invalid(
            "tenant: this email belongs to users of several tenants; say which (`tenant`)",
        )),
    }
}

pub async fn refresh(app: &App, refresh_token: &str, origin: &Origin) -> Result<TokenPair> {
    match app
        .keys
        .refresh(app.store.as_ref(), refresh_token, Utc::now())
        .await?
    {
        Refreshed::Pair(p) => Ok(p),
        Refreshed::Replayed {
            email,
            tenant_id,
            session_id,
        } => {
            app.bus.publish(Event::SessionsEnded {
                tenant_id: tenant_id.clone(),
                email: email.clone(),
                session_ids: vec![session_id],
            });
            let r = Resource {
                kind: "user",
                id: &email,
                name: None,
            };
            let actor = Actor::User {
                email: &email,
                origin,
            };
            audit::record(
                app,
                &tenant_id,
                actor,
                "refresh_token_reused",
                r,
                json!({"action": "session ended"}),
                Some("a spent refresh token was presented again"),
            )
            .await;
            Err(Error::Unauthenticated("refresh token already used; every token of that sign-in was revoked; sign in again".into()))
        }
        Refreshed::Invalid => Err(Error::Unauthenticated(
            "refresh token is invalid or expired".into(),
        )),
    }
}

/// Ends every live session of a user (and so every token of each), and tells the bus.
async fn end_all_sessions(
    app: &App,
    tenant: &str,
    email: &str,
    reason: &str,
) -> Result<Vec<String>> {
    let ended = app
        .store
        .end_sessions_of(tenant, email, reason, Utc::now())
        .await?;
    if !ended.is_empty() {
        app.bus.publish(Event::SessionsEnded {
            tenant_id: tenant.to_string(),
            email: email.to_string(),
            session_ids: ended.clone(),
        });
    }
    Ok(ended)
}

/// Signs the caller out: ends this sign-in (every token of it), or, with `everywhere`,
/// every session of the caller.
pub async fn logout(app: &App, caller: &Caller, everywhere: bool, origin: &Origin) -> Result<()> {
    let ended = if everywhere {
        end_all_sessions(app, &caller.tenant_id, &caller.email, "logout").await?
    } else {
        app.store
            .end_session(&caller.session_id, "logout", Utc::now())
            .await?;
        app.bus.publish(Event::SessionsEnded {
            tenant_id: caller.tenant_id.clone(),
            email: caller.email.clone(),
            session_ids: vec![caller.session_id.clone()],
        });
        vec![caller.session_id.clone()]
    };
    let r = Resource {
        kind: "user",
        id: &caller.email,
        name: None,
    };
    audit::record(
        app,
        &caller.tenant_id,
        Actor::User {
            email: &caller.email,
            origin,
        },
        "user_logout",
        r,
        json!({"sessions_ended": ended.len(), "everywhere": everywhere}),
        None,
    )
    .await;
    Ok(())
}

/// `POST /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
}

/// `PUT /api/v1/users/{email}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !email.contains(char::is_whitespace)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "email: {email:?} is not an email address"
        )))
    }
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<User>> {
    caller.require(Role::Admin)?;
    Ok(app.store.list_users(&caller.tenant_id).await?)
}

/// Creates a user of the caller's tenant. Users of other tenants with the same address are
/// none of this tenant's business: only a user of this tenant is a conflict.
pub async fn create(app: &App, caller: &Caller, new: NewUser, origin: &Origin) -> Result<User> {
    caller.require(Role::Admin)?;
    let email = new.email.trim().to_lowercase();
    check_email(&email)?;
    auth::check_password_strength(&new.password)?;
    let user = User::new(
        &email,
        new.role,
        &caller.tenant_id,
        auth::hash_password(&new.password).await?,
    );
    app.store.insert_user(&user).await.map_err(|e| match e {
        crate::store::StoreError::Duplicate { .. } => {
            Error::Conflict(format!("a user {email} already exists"))
        }
        other => other.into(),
    })?;
    let r = Resource {
        kind: "user",
        id: &email,
        name: None,
    };
    audit::by_caller(
        app,
        caller,
        origin,
        "user_created",
        r,
        json!({"role": new.role}),
    )
    .await;
    Ok(user)
}

pub async fn update(
    app: &App,
    caller: &Caller,
    email: &str,
    change: UserChange,
    origin: &Origin,
) -> Result<User> {
    caller.require(Role::Admin)?;
    let email = email.trim().to_lowercase();
    if email == caller.email
        && (change.role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true))
    {
        return Err(Error::invalid(
            "you cannot demote or disable yourself; ask another admin",
        ));
    }
    let new_hash = match &change.password {
        Some(p) => {
            auth::check_password_strength(p)?;
            Some(auth::hash_password(p).await?)
        }
        None => None,
    };
    let now = Utc::now();
    let (role, disabled) = (change.role, change.disabled);
    let hash = new_hash.clone();
    let u = app
        .store
        .modify_user(
            &caller.tenant_id,
            &email,
            Arc::new(move |u: &mut User| {
                if let Some(role) = role {
                    u.role = role;
                }
                if let Some(d) = disabled {
                    u.disabled = d;
                    if d {
                        u.tokens_valid_after = Some(now);
                    }
                }
                if let Some(h) = &hash {
                    u.password_hash = h.clone();
                    u.tokens_valid_after = Some(now);
                }
            }),
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {email} not found")))?;
    let mut changed = Vec::new();
    if change.role.is_some() {
        changed.push("role");
    }
    if change.disabled.is_some() {
        changed.push("disabled");
    }
    if new_hash.is_some() {
        changed.push("password");
    }
    let reason = match (change.disabled, new_hash.is_some()) {
        (Some(true), _) => Some("user_disabled"),
        (_, true) => Some("password_changed"),
        _ => None,
    };
    let ended = match reason {
        Some(reason) => end_all_sessions(app, &caller.tenant_id, &email, reason)
            .await?
            .len(),
        None => 0,
    };
    let r = Resource {
        kind: "user",
        id: &email,
        name: None,
    };
    audit::by_caller(
        app,
        caller,
        origin,
        "user_updated",
        r,
        json!({"changed": changed, "sessions_ended": ended}),
    )
    .await;
    Ok(u)
}

/// How often a live connection re-checks its session in the store, in case the bus event
/// that ended it was lost (the bus carries no truth).
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// Resolves when `caller`'s session can no longer be used — it ended (logout, password
/// change, a disabled user, a replayed refresh token) or the token expired — with the
/// reason. Live connections (subscriptions, the WebSocket shims) close on it.
pub async fn session_end(app: &App, caller: &Caller) -> &'static str {
    if caller.session_id.is_empty() {
        return std::future::pending().await;
    }
    let mut rx = app.bus.subscribe();
    let expiry = caller
        .expires_at
        .map(|t| (t - Utc::now()).to_std().unwrap_or_default())
        .unwrap_or(std::time::Duration::from_secs(u64::from(u32::MAX)));
    let expired = tokio::time::sleep(expiry);
    tokio::pin!(expired);
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    let mut bus_open = true;
    loop {
        let look = tokio::select! {
            _ = &mut expired => return "the token expired; sign in again",
            ev = rx.recv(), if bus_open => match ev {
                Ok(Event::SessionsEnded { session_ids, .. }) => {
                    if session_ids.contains(&caller.session_id) {
                        return "the session ended; sign in again";
                    }
                    false
                }
                // Events may have been lost between replicas: ask the store.
                Ok(Event::Resync) => true,
                Ok(_) => false,
                // Fell behind: an end might have passed by; ask the store.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    bus_open = false;
                    false
                }
            },
            _ = recheck.tick() => true,
        };
        if look
            && auth::check_session(app.store.as_ref(), caller, Utc::now())
                .await
                .is_err()
        {
            return "the session ended; sign in again";
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_live_connection_ends_when_its_token_expires() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::for_tests(dir.path());
        let user = User::new("a@b.c", Role::Viewer, "default", "x".into());
        app.store.insert_user(&user).await.unwrap();
        let pair = app.keys.sign_in(app.store.as_ref(), &user).await.unwrap();
        let mut caller = app.keys.verify(&pair.access_token).unwrap();
        // A token that expires in 50 ms: its session lives, the token does not.
        caller.expires_at = Some(Utc::now() + chrono::Duration::milliseconds(50));
        let why = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            session_end(&app, &caller),
        )
        .await
        .expect("ended");
        assert!(why.contains("expired"), "{why}");
        // A session ended elsewhere (the bus event lost) is found by the periodic check;
        // an ended one is told at once through the bus.
        let caller = app.keys.verify(&pair.access_token).unwrap();
        let watch = tokio::spawn({
            let app = app.clone();
            async move { session_end(&app, &caller).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        end_all_sessions(&app, "default", "a@b.c", "logout")
            .await
            .unwrap();
        let why = tokio::time::timeout(std::time::Duration::from_secs(10), watch)
            .await
            .expect("ended")
            .unwrap();
        assert!(why.contains("session ended"), "{why}");
    }
}
