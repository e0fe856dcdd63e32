//! Recording audit entries: every mutation, by users, agents and the hub itself, goes
//! through [`record`], except the changes the hub or an agent makes that others may read
//! the moment they commit (a lock expiring, a fenced result): a store writes those entries
//! ([`lock_expired`], [`result_fenced`]) in the same transaction. The store keeps them
//! append-only and hash-chained.

use crate::app::App;
use crate::model::{AuditEntry, Job, Server, ServerLock, Timestamp};
use crate::store::Store;
use serde_json::{Value, json};

/// Where a user's request came from: the peer address and the `User-Agent` header, as the
/// specification's actor shape records them. Taken from each API request (REST, GraphQL, the
/// edge); `Origin::default()` when there was no request (the CLI, a schedule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The request's id (`X-Request-Id`), which jobs carry to the agent and back.
    pub request_id: Option<String>,
}

/// The longest user agent kept, in characters.
pub const MAX_USER_AGENT: usize = 256;

/// No request behind it: the hub itself, the CLI, an internal caller.
pub static NO_ORIGIN: Origin = Origin {
    ip: None,
    user_agent: None,
    request_id: None,
};

impl Origin {
    /// The origin of a request from `ip` with these headers (the user agent cleaned).
    pub fn of_request(ip: Option<String>, headers: &axum::http::HeaderMap) -> Self {
        Self::new(ip, headers.get(axum::http::header::USER_AGENT))
    }

    /// From a peer address and a raw `User-Agent` value (cleaned; not UTF-8 is replaced).
    pub fn new(ip: Option<String>, user_agent: Option<&axum::http::HeaderValue>) -> Self {
        let user_agent =
            user_agent.and_then(|v| clean_user_agent(&String::from_utf8_lossy(v.as_bytes())));
        Self {
            ip,
            user_agent,
            request_id: None,
        }
    }
}

/// A `User-Agent` value fit for the audit log: control characters dropped, surrounding
/// space trimmed, at most [`MAX_USER_AGENT`] characters; None when nothing is left.
pub fn clean_user_agent(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT)
        .collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Who did it.
pub enum Actor<'a> {
    User { email: &'a str, origin: &'a Origin },
    Agent { server_id: &'a str },
    System,
}

impl Actor<'_> {
    fn to_json(&self) -> Value {
        match self {
            Actor::User { email, origin } => json!({"type": "user", "id": email,
                "ip_address": origin.ip, "user_agent": origin.user_agent}),
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

/// [`record`] for what a signed-in user did (the common case): their tenant, email, address
/// and user agent.
pub async fn by_caller(
    app: &App,
    caller: &crate::auth::Caller,
    origin: &Origin,
    event_type: &str,
    resource: Resource<'_>,
    details: Value,
) {
    let actor = Actor::User {
        email: &caller.email,
        origin,
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
    let entry = entry(
        tenant_id,
        actor,
        event_type,
        resource,
        details,
        error,
        chrono::Utc::now(),
    );
    if let Err(e) = store.append_audit(&entry).await {
        tracing::error!(event_type, error = %e, "could not write audit entry");
    }
}

/// One audit entry, built: for [`record_in`], and for the stores, which write the entries of
/// what the hub or an agent changed inside the transaction that changes it
/// ([`lock_expired`], [`result_fenced`]) so that no reader sees the change without its entry.
pub fn entry(
    tenant_id: &str,
    actor: Actor<'_>,
    event_type: &str,
    resource: Resource<'_>,
    details: Value,
    error: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    let affected = details
        .get("affected_servers")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(1);
    AuditEntry {
        tenant_id: tenant_id.to_string(),
        timestamp: at,
        event_type: event_type.to_string(),
        actor: actor.to_json(),
        resource: json!({"type": resource.kind, "id": resource.id, "name": resource.name}),
        details,
        result: json!({"success": error.is_none(), "error_message": error, "affected_count": affected}),
    }
}

/// The entry of a lock whose time ran out, written by the store with the lock's new state
/// (by the sweep, or by whatever write first finds it lapsed).
pub fn lock_expired(l: &ServerLock, now: Timestamp) -> AuditEntry {
    let r = Resource {
        kind: "server_lock",
        id: &l.lock_id,
        name: Some(&l.server_id),
    };
    entry(
        &l.tenant_id,
        Actor::System,
        "lock_expired",
        r,
        json!({"server_id": l.server_id, "fencing_token": l.fencing_token}),
        None,
        now,
    )
}

/// The entry of an agent's circuit opening (it lost [`crate::lifecycle::servers::CIRCUIT_THRESHOLD`]
/// jobs in a row), written by the store with the server's new circuit.
pub fn circuit_opened(s: &Server, now: Timestamp) -> AuditEntry {
    let r = Resource {
        kind: "server",
        id: &s.server_id,
        name: None,
    };
    entry(
        &s.tenant_id,
        Actor::System,
        "agent_circuit_opened",
        r,
        json!({"consecutive_failures": s.circuit.consecutive_failures, "open_until": s.circuit.open_until}),
        None,
        now,
    )
}

/// The entry of an agent's result refused because the job's server lock expired or changed
/// hands (fencing), written by the store with the job's failure.
pub fn result_fenced(job: &Job, now: Timestamp) -> AuditEntry {
    let r = Resource {
        kind: "job",
        id: &job.job_id,
        name: Some(&job.execution_id),
    };
    entry(
        &job.tenant_id,
        Actor::Agent {
            server_id: &job.server_id,
        },
        "result_fenced",
        r,
        json!({"fencing_token": job.fencing_token}),
        Some("server lock expired or changed hands"),
        now,
    )
}

/// What an audit log query narrows to: every field that is set narrows, all together. The
/// stores apply it in their query (tenant-scoped, newest first), so pages and totals count
/// only matching entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries of this event type (`user_login`, `execution_started`, ...).
    pub event_type: Option<String>,
    /// Entries of none of these event types (e.g. sign-ins folded away).
    pub exclude_event_types: Vec<String>,
    /// Entries by this actor: a user's e-mail, an agent's server id, `greenroom-hub`.
    pub actor: Option<String>,
    /// Entries about a resource of this type (`execution`, `action_template`, `server`, ...).
    pub resource_type: Option<String>,
    /// Entries about the resource with this id.
    pub resource_id: Option<String>,
    /// Written at or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Written before.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Where a keyset page starts (GraphQL cursors): the key is the sequence number.
    pub seek: crate::model::Seek,
}

/// The hash of an audit entry in the chain: SHA-256 over the previous entry's hash and
/// this entry's document (as stored). Every store computes it the same way.
pub fn chain_hash(prev: &str, doc: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("{prev}\n{doc}").as_bytes()))
}

/// Recomputes the audit hash chain; returns the first broken entry, if any, and keeps the
/// `greenroom_audit_chain_intact` gauge current. The API's verify, the compliance report
/// and the hub's periodic check all come here.
pub async fn verify(app: &App) -> crate::error::Result<Option<u64>> {
    let broken = app.store.verify_audit_chain().await?;
    app.metrics
        .audit_chain_intact
        .set(i64::from(broken.is_none()));
    if let Some(seq) = broken {
        tracing::error!(first_broken_seq = seq, "the audit chain does not verify");
    }
    Ok(broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cleaned_and_bounded() {
        assert_eq!(
            clean_user_agent("  curl/8.5\r\n\u{7}x "),
            Some("curl/8.5x".into())
        );
        assert_eq!(clean_user_agent("\n\t "), None);
        let long = "é".repeat(1000);
        assert_eq!(
            clean_user_agent(&long).unwrap().chars().count(),
            MAX_USER_AGENT
        );
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            axum::http::header::USER_AGENT,
            axum::http::HeaderValue::from_bytes(b"probe/1 \xff").unwrap(),
        );
        let o = Origin::of_request(Some("10.0.0.1".into()), &h);
        assert_eq!(o.user_agent.as_deref(), Some("probe/1 \u{fffd}"));
        let a = Actor::User {
            email: "a@b.c",
            origin: &o,
        }
        .to_json();
        assert_eq!(
            (a["ip_address"].as_str(), a["user_agent"].as_str()),
            (Some("10.0.0.1"), Some("probe/1 \u{fffd}"))
        );
    }
}
