//! Users and sessions: sign-in with lock-out, refresh with replay detection, logout, and
//! the administrator's user management. Every outcome is audited.

use crate::app::App;
use crate::audit::{self, Actor, Origin, Resource};
use crate::auth::{self, Caller, Refreshed, TokenPair};
use crate::error::{Error, Result};
use crate::model::{DEFAULT_TENANT, Role, User};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

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

pub async fn login(app: &App, email: &str, password: &str, origin: &Origin) -> Result<TokenPair> {
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    let user = app.store.user_by_email(&email).await?;
    let tenant = user
        .as_ref()
        .map(|u| u.tenant_id.clone())
        .unwrap_or_else(|| DEFAULT_TENANT.into());
    let actor = || Actor::User {
        email: &email,
        origin,
    };
    let res = || Resource {
        kind: "user",
        id: &email,
        name: None,
    };
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|t| *t > now)
    {
        let wait = (until - now).num_seconds().max(1) as u64;
        audit::record(
            app,
            &tenant,
            actor(),
            "user_login",
            res(),
            json!({"locked_until": until}),
            Some("account locked"),
        )
        .await;
        return Err(Error::RateLimited {
            message: format!("too many failed sign-ins; try again in {wait} s"),
            retry_after_secs: wait,
        });
    }
    let ok = match &user {
        Some(u) => auth::verify_password(password, &u.password_hash).await,
        None => {
            auth::verify_password(password, dummy_hash().await).await;
            false
        }
    };
    match user {
        Some(u) if ok && !u.disabled => {
            app.store.clear_login_failures(&email).await?;
            audit::record(app, &tenant, actor(), "user_login", res(), json!({}), None).await;
            app.keys.issue(app.store.as_ref(), &u, None).await
        }
        Some(u) if ok => {
            audit::record(
                app,
                &tenant,
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
        found => {
            let threshold = app.config.security.login_max_failures;
            let after = match found {
                Some(_) => {
                    app.store
                        .record_login_failure(&email, threshold, now)
                        .await?
                }
                None => None,
            };
            audit::record(
                app,
                &tenant,
                actor(),
                "user_login",
                res(),
                json!({}),
                Some(BAD_LOGIN),
            )
            .await;
            if let Some(until) = after.and_then(|u| u.locked_until) {
                audit::record(
                    app,
                    &tenant,
                    Actor::System,
                    "user_locked_out",
                    res(),
                    json!({"locked_until": until}),
                    None,
                )
                .await;
            }
            Err(Error::Unauthenticated(BAD_LOGIN.into()))
        }
    }
}

pub async fn refresh(app: &App, refresh_token: &str, origin: &Origin) -> Result<TokenPair> {
    match app
        .keys
        .refresh(app.store.as_ref(), refresh_token, Utc::now())
        .await?
    {
        Refreshed::Pair(p) => Ok(p),
        Refreshed::Replayed { email, tenant_id } => {
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
                json!({"action": "token family revoked"}),
                Some("a spent refresh token was presented again"),
            )
            .await;
            Err(Error::Unauthenticated("refresh token already used; every session of that sign-in was revoked; sign in again".into()))
        }
        Refreshed::Invalid => Err(Error::Unauthenticated(
            "refresh token is invalid or expired".into(),
        )),
    }
}

/// Ends every session of the caller: their access tokens stop working at once.
pub async fn logout(app: &App, caller: &Caller, origin: &Origin) -> Result<()> {
    let mut u = app
        .store
        .user_by_email(&caller.email)
        .await?
        .ok_or_else(|| Error::Unauthenticated("no such user".into()))?;
    u.tokens_valid_after = Some(Utc::now());
    app.store.upsert_user(&u).await?;
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
        json!({}),
        None,
    )
    .await;
    Ok(())
}

/// `POST /api/v1/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
}

/// `PUT /api/v1/users/{email}`.
#[derive(Debug, Default, Deserialize)]
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
    app.store.list_users(&caller.tenant_id).await
}

pub async fn create(app: &App, caller: &Caller, new: NewUser, origin: &Origin) -> Result<User> {
    caller.require(Role::Admin)?;
    let email = new.email.trim().to_lowercase();
    check_email(&email)?;
    auth::check_password_strength(&new.password)?;
    if app.store.user_by_email(&email).await?.is_some() {
        return Err(Error::Conflict(format!("a user {email} already exists")));
    }
    let user = User::new(
        &email,
        new.role,
        &caller.tenant_id,
        auth::hash_password(&new.password).await?,
    );
    app.store.upsert_user(&user).await?;
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
    let mut u = match app.store.user_by_email(&email).await? {
        Some(u) if u.tenant_id == caller.tenant_id => u,
        _ => return Err(Error::NotFound(format!("user {email} not found"))),
    };
    if email == caller.email
        && (change.role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true))
    {
        return Err(Error::invalid(
            "you cannot demote or disable yourself; ask another admin",
        ));
    }
    let mut changed = Vec::new();
    if let Some(role) = change.role {
        u.role = role;
        changed.push("role");
    }
    if let Some(d) = change.disabled {
        u.disabled = d;
        changed.push("disabled");
        if d {
            u.tokens_valid_after = Some(Utc::now());
        }
    }
    if let Some(p) = change.password {
        auth::check_password_strength(&p)?;
        u.password_hash = auth::hash_password(&p).await?;
        u.tokens_valid_after = Some(Utc::now());
        u.failed_logins = 0;
        u.locked_until = None;
        changed.push("password");
    }
    app.store.upsert_user(&u).await?;
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
        json!({"changed": changed}),
    )
    .await;
    Ok(u)
}
