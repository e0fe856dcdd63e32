//! The audit log in GraphQL: an entry (who, what, on what, with what result), the filter
//! that narrows the log, and the chain's verification.

use crate::model::Timestamp;
use async_graphql::{Json, SimpleObject};

/// Who wrote an audit entry.
#[derive(SimpleObject, Default)]
pub struct AuditActor {
    /// `user`, `agent` or `system`.
    #[graphql(name = "type")]
    pub kind: String,
    /// A user's e-mail, an agent's server id, or `greenroom-hub`.
    pub id: String,
    /// Where a user's request came from.
    pub ip_address: Option<String>,
    /// A user's client.
    pub user_agent: Option<String>,
}

/// What an audit entry is about.
#[derive(SimpleObject, Default)]
pub struct AuditResource {
    /// `execution`, `action_template`, `server`, `user`, `schedule`, `server_lock`, …
    #[graphql(name = "type")]
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its name, when it has one.
    pub name: Option<String>,
}

/// How the audited action ended.
#[derive(SimpleObject, Default)]
pub struct AuditResult {
    /// Whether it succeeded.
    pub success: bool,
    /// Why it failed.
    pub error_message: Option<String>,
    /// How many records it touched, when it says.
    pub affected_count: Option<u64>,
}

/// One entry of the tenant's hash-chained audit log.
#[derive(SimpleObject)]
#[graphql(name = "AuditEntry")]
pub struct AuditEntryView {
    /// Its place in the chain (grows with every entry).
    pub seq: u64,
    /// Its hash in the chain.
    pub hash: String,
    /// When it was written.
    pub timestamp: Option<Timestamp>,
    /// What happened (`user_login`, `execution_started`, …).
    pub event_type: String,
    /// Who did it.
    pub actor: AuditActor,
    /// What it was about.
    pub resource: AuditResource,
    /// How it ended.
    pub result: AuditResult,
    /// What else the event records (differs by event type).
    pub details: Json<serde_json::Value>,
}

impl AuditEntryView {
    /// An entry as the stores list it (a JSON document with `seq` and `hash`).
    pub fn of(v: serde_json::Value) -> Self {
        let s =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
        let actor = &v["actor"];
        let resource = &v["resource"];
        let result = &v["result"];
        Self {
            seq: v["seq"].as_u64().unwrap_or(0),
            hash: s(&v, "hash").unwrap_or_default(),
            timestamp: serde_json::from_value(v["timestamp"].clone()).ok(),
            event_type: s(&v, "event_type").unwrap_or_default(),
            actor: AuditActor {
                kind: s(actor, "type").unwrap_or_default(),
                id: s(actor, "id").unwrap_or_default(),
                ip_address: s(actor, "ip_address"),
                user_agent: s(actor, "user_agent"),
            },
            resource: AuditResource {
                kind: s(resource, "type").unwrap_or_default(),
                id: s(resource, "id").unwrap_or_default(),
                name: s(resource, "name"),
            },
            result: AuditResult {
                success: result["success"].as_bool().unwrap_or(false),
                error_message: s(result, "error_message"),
                affected_count: result["affected_count"].as_u64(),
            },
            details: Json(v["details"].clone()),
        }
    }
}

/// Narrows the audit log; every field that is set narrows, all together.
#[derive(async_graphql::InputObject, Default)]
#[graphql(name = "AuditFilter")]
pub struct AuditFilterInput {
    /// Entries of this event type (e.g. `user_login`, `execution_started`).
    pub event_type: Option<String>,
    /// Entries of none of these event types (e.g. `["user_login", "user_logout"]` folds
    /// sign-ins away).
    pub exclude_event_types: Option<Vec<String>>,
    /// Entries by this actor: a user's e-mail, an agent's server id or `greenroom-hub`.
    pub actor: Option<String>,
    /// Entries about a resource of this type (`execution`, `action_template`, `server`,
    /// `user`, `schedule`, `server_lock`, ...).
    pub resource_type: Option<String>,
    /// Entries about the resource with this id.
    pub resource_id: Option<String>,
    /// Written at or after.
    pub from: Option<Timestamp>,
    /// Written before.
    pub to: Option<Timestamp>,
}

impl From<AuditFilterInput> for crate::audit::AuditFilter {
    fn from(f: AuditFilterInput) -> Self {
        Self {
            event_type: f.event_type,
            exclude_event_types: f.exclude_event_types.unwrap_or_default(),
            actor: f.actor,
            resource_type: f.resource_type,
            resource_id: f.resource_id,
            from: f.from,
            to: f.to,
            seek: Default::default(),
        }
    }
}

/// The result of recomputing the audit log's hash chain.
#[derive(SimpleObject)]
pub struct AuditVerification {
    /// Whether every entry matches the hash chain.
    pub intact: bool,
    /// The sequence number of the first entry that does not match the chain.
    pub first_broken_seq: Option<u64>,
}
