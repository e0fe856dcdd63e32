//! Server locks on behalf of users: take, extend, release, force-release (admin), list.
//! Every change is audited; releasing wakes the server's agent so waiting jobs can start.

use crate::app::App;
use crate::audit::{self, Origin, Resource};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{LockMetadata, LockOwner, LockStatus, LockTiming, LockType, Role, ServerLock};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

/// `POST /api/v1/locks`: lock a server for maintenance or an emergency.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLock {
    pub server_id: String,
    #[serde(default = "maintenance")]
    pub lock_type: LockType,
    pub reason: String,
    /// Minutes until it expires by itself; the hub's `execution.lock_ttl_minutes` by default.
    #[serde(default)]
    pub ttl_minutes: Option<u32>,
    #[serde(default = "three")]
    pub max_extension_count: u32,
    #[serde(default)]
    pub priority: Option<String>,
}

fn maintenance() -> LockType {
    LockType::Maintenance
}
fn three() -> u32 {
    3
}

async fn record(app: &App, caller: &Caller, origin: &Origin, event: &str, lock: &ServerLock) {
    app.metrics
        .lock_events
        .with_label_values(&[event.trim_start_matches("lock_")])
        .inc();
    let r = Resource {
        kind: "server_lock",
        id: &lock.lock_id,
        name: Some(&lock.server_id),
    };
    let details = json!({"server_id": lock.server_id, "lock_type": lock.lock_type, "reason": lock.lock_metadata.reason,
                         "expires_at": lock.timing.expires_at, "fencing_token": lock.fencing_token, "status": lock.status});
    audit::by_caller(app, caller, origin, event, r, details).await;
}

pub async fn acquire(
    app: &App,
    caller: &Caller,
    new: NewLock,
    origin: &Origin,
) -> Result<ServerLock> {
    caller.require(Role::Operator)?;
    let mut p = Vec::new();
    if new.reason.trim().is_empty() {
        p.push("reason: must not be empty".to_string());
    }
    let ttl = new
        .ttl_minutes
        .map(u64::from)
        .unwrap_or(app.config.execution.lock_ttl_minutes);
    if ttl == 0 || ttl > 7 * 24 * 60 {
        p.push("ttl_minutes: must be between 1 and 10080".into());
    }
    if new.max_extension_count > 100 {
        p.push("max_extension_count: at most 100".into());
    }
    if new.lock_type == LockType::Execution {
        p.push(
            "lock_type: execution locks are taken by executions; use maintenance or emergency"
                .into(),
        );
    }
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    if app
        .store
        .get_server(&caller.tenant_id, &new.server_id)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!(
            "server {} not found",
            new.server_id
        )));
    }
    let now = Utc::now();
    let lock = ServerLock {
        tenant_id: caller.tenant_id.clone(),
        lock_id: format!("lock_{}", uuid::Uuid::new_v4().simple()),
        server_id: new.server_id,
        lock_type: new.lock_type,
        locked_by: LockOwner {
            process_id: "api".into(),
            execution_id: None,
            user_id: caller.email.clone(),
        },
        lock_metadata: LockMetadata {
            reason: new.reason,
            priority: new.priority.unwrap_or_else(|| "normal".into()),
            estimated_duration_minutes: Some(ttl as u32),
        },
        timing: LockTiming {
            acquired_at: now,
            expires_at: now + Duration::minutes(ttl as i64),
            max_extension_count: new.max_extension_count,
            current_extensions: 0,
            released_at: None,
        },
        status: LockStatus::Active,
        fencing_token: 0,
        released_by: None,
    };
    let server_id = lock.server_id.clone();
    let lock = match app.store.acquire_lock(&lock, now).await? {
        Ok(l) => l,
        Err(refusal) => {
            // Contention: someone else holds the server.
            app.metrics
                .lock_events
                .with_label_values(&["contended"])
                .inc();
            return Err(refused(&format!("server {server_id}"), refusal));
        }
    };
    record(app, caller, origin, "lock_acquired", &lock).await;
    Ok(lock)
}

/// A lock change the lifecycle refused, as the caller's conflict.
fn refused(what: &str, r: crate::lifecycle::locks::LockRefusal) -> Error {
    Error::Conflict(format!("{what}: {r}"))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<ServerLock> {
    app.store
        .get_lock(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("lock {id} not found")))
}

pub async fn extend(
    app: &App,
    caller: &Caller,
    id: &str,
    minutes: u32,
    origin: &Origin,
) -> Result<ServerLock> {
    caller.require(Role::Operator)?;
    if minutes == 0 || minutes > 24 * 60 {
        return Err(Error::invalid("minutes: must be between 1 and 1440"));
    }
    let held = get(app, caller, id).await?;
    if held.locked_by.user_id != caller.email && caller.role < Role::Admin {
        return Err(Error::Forbidden(format!(
            "lock {id} belongs to {}; only its owner or an admin may extend it",
            held.locked_by.user_id
        )));
    }
    let lock = app
        .store
        .extend_lock(
            &caller.tenant_id,
            id,
            Duration::minutes(minutes as i64),
            Utc::now(),
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("lock {id} not found")))?
        .map_err(|r| refused(&format!("lock {id}"), r))?;
    record(app, caller, origin, "lock_extended", &lock).await;
    Ok(lock)
}

/// Releases a lock: its owner may, and an admin may force it (audited as forced).
pub async fn release(
    app: &App,
    caller: &Caller,
    id: &str,
    force: bool,
    origin: &Origin,
) -> Result<ServerLock> {
    caller.require(if force { Role::Admin } else { Role::Operator })?;
    let held = get(app, caller, id).await?;
    if !force && held.locked_by.user_id != caller.email {
        return Err(Error::Forbidden(format!(
            "lock {id} belongs to {}; an admin may force-release it",
            held.locked_by.user_id
        )));
    }
    let lock = app
        .store
        .release_lock(&caller.tenant_id, id, force, &caller.email, Utc::now())
        .await?
        .ok_or_else(|| Error::NotFound(format!("lock {id} not found")))?
        .map_err(|r| refused(&format!("lock {id}"), r))?;
    record(
        app,
        caller,
        origin,
        if force {
            "lock_force_released"
        } else {
            "lock_released"
        },
        &lock,
    )
    .await;
    app.bus.wake(&lock.tenant_id, &lock.server_id);
    if force {
        app.bus.publish(crate::bus::Event::Outbox);
    }
    Ok(lock)
}
