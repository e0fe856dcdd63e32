//! Notifications: per-tenant rules (which events go to which channel) and the history of
//! every delivery attempt. Events come from the store's outbox (`events`), written in the
//! same transaction as the change they describe, so none is lost across a restart.

use super::Timestamp;
use async_graphql::{Enum, SimpleObject};
use serde::{Deserialize, Serialize};

/// What a rule can be told about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An execution ended with every job successful or skipped.
    ExecutionCompleted,
    /// An execution ended with at least one job that did not succeed.
    ExecutionFailed,
    /// An execution ended after a user cancelled it.
    ExecutionCancelled,
    /// A server's agent stopped sending heartbeats.
    ServerUnreachable,
    /// An admin force-released someone else's server lock.
    LockForced,
    /// Sent by "test this rule"; matches only the rule under test.
    Test,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExecutionCompleted => "execution_completed",
            Self::ExecutionFailed => "execution_failed",
            Self::ExecutionCancelled => "execution_cancelled",
            Self::ServerUnreachable => "server_unreachable",
            Self::LockForced => "lock_forced",
            Self::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ExecutionCompleted,
            Self::ExecutionFailed,
            Self::ExecutionCancelled,
            Self::ServerUnreachable,
            Self::LockForced,
            Self::Test,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One fact in the outbox: something happened to `subject` (an execution, server or lock id).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: u64,
    pub tenant_id: String,
    pub kind: EventKind,
    pub subject: String,
    pub at: Timestamp,
    pub details: serde_json::Value,
}

/// Where a rule sends. URLs and the webhook secret are credentials: API answers show them
/// masked (see `service::notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Channel {
    /// A JSON POST; with a secret, signed (`X-Greenroom-Signature: sha256=<hmac>`).
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
    /// A Slack-compatible incoming webhook (`{"text": …}`).
    Slack { url: String },
    /// Mail through the hub's `notifications.smtp` relay.
    Email { to: Vec<String> },
}

impl Channel {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Email { .. } => "email",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRule {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub channel: Channel,
    pub events: Vec<EventKind>,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// An attempt succeeded.
    Delivered,
    /// Every attempt failed; no more will be made.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One event for one rule, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct Delivery {
    /// The delivery's id.
    pub id: String,
    #[graphql(skip)]
    pub tenant_id: String,
    /// The rule it was made for (REST's rule `id`).
    pub rule_id: String,
    /// The event's sequence number in the tenant's event outbox.
    pub event_seq: u64,
    /// What happened.
    pub event: EventKind,
    /// The execution, server or lock the event is about.
    pub subject: String,
    /// The rule's channel type when it was made: `webhook`, `slack` or `email`.
    pub channel: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far (the hub's `notifications.max_attempts` at most).
    pub attempts: u32,
    /// Why the latest failed attempt failed (an HTTP status, a refused connection, an SMTP
    /// reply); kept once a later attempt succeeds.
    pub last_error: Option<String>,
    /// When the next attempt is due; null once it is delivered or failed.
    pub next_attempt_at: Option<Timestamp>,
    /// When the event was matched to the rule.
    pub created_at: Timestamp,
    /// When it was delivered; null until then.
    pub delivered_at: Option<Timestamp>,
    /// What is sent (the same JSON for every channel; Slack and email render it as text).
    #[graphql(skip)]
    pub payload: serde_json::Value,
}
