//! Recording audit entries: every mutation, by users, agents and the hub itself, goes
//! through [`record`]. The store keeps them append-only and hash-chained.

use crate::app::App;
use crate::model::AuditEntry;
use crate::store::Store;
use serde_json::{Value, json};

/// Who did it.
pub enum Actor<'a> {
    User { email: &'a str, ip: Option<&'a str> },
    Agent { server_id: &'a str },
    System,
}

impl Actor<'_> {
    fn to_json(&self) -> Value {
        match self {
            Actor::User { email, ip } => json!({"type": "user", "id": email, "ip_address": ip}),
            Actor::Agent { server_id } => json!({"type": "agent", "id": server_id}),
            Actor::System => json!({"type": "system", "id": "greenroom-hub"}),
        }
    }
}

/// What it touched.
pub struct Resource<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub name: Option<&'a str>,
}

/// Appends one audit entry. A failure to audit is logged loudly; the caller's action has
/// already been stored, so it is not undone.
pub async fn record(
    app: &App,
    tenant_id: &str,
    actor: Actor<'_>,
    event_type: &str,
    resource: Resource<'_>,
    details: Value,
    error: Option<&str>,
) {
    record_in(
        app.store.as_ref(),
        tenant_id,
        actor,
        event_type,
        resource,
        details,
        error,
    )
    .await
}

/// [`record`] for what a signed-in user did (the common case): their tenant, email and address.
pub async fn by_caller(
    app: &App,
    caller: &crate::auth::Caller,
    ip: Option<&str>,
    event_type: &str,
    resource: Resource<'_>,
    details: Value,
) {
    let actor = Actor::User {
        email: &caller.email,
        ip,
    };
    record(
        app,
        &caller.tenant_id,
        actor,
        event_type,
        resource,
        details,
        None,
    )
    .await
}

/// As [`record`], straight into a store (administrator verbs that run without a hub).
pub async fn record_in(
    store: &dyn Store,
    tenant_id: &str,
    actor: Actor<'_>,
    event_type: &str,
    resource: Resource<'_>,
    details: Value,
    error: Option<&str>,
) {
    let affected = details
        .get("affected_servers")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(1);
    let entry = AuditEntry {
        tenant_id: tenant_id.to_string(),
        timestamp: chrono::Utc::now(),
        event_type: event_type.to_string(),
        actor: actor.to_json(),
        resource: json!({"type": resource.kind, "id": resource.id, "name": resource.name}),
        details,
        result: json!({"success": error.is_none(), "error_message": error, "affected_count": affected}),
    };
    if let Err(e) = store.append_audit(&entry).await {
        tracing::error!(event_type, error = %e, "could not write audit entry");
    }
}
