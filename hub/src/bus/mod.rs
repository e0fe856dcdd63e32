//! The bus: live events for subscribers and per-server wake-ups for long-polls.
//!
//! It carries no truth. Lose an event and nothing is lost: subscribers re-read the store,
//! and long-polls re-check it on every wake-up and at the end of their wait.
//!
//! [`Bus`] is the trait; [`LocalBus`] the in-process implementation (one hub), and
//! [`redis::RedisBus`] the one replicas share: it delivers locally as `LocalBus` does and
//! relays every event and wake-up to the other replicas over Redis pub/sub.

pub mod redis;

use crate::store::LogLine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// Something changed; subscribers read the new state from the store. Output lines travel
/// with their event (they are already stored) so a watcher sees them in order at once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Event {
    Execution {
        tenant_id: String,
        execution_id: String,
    },
    Server {
        tenant_id: String,
        server_id: String,
    },
    /// New output lines of one job, in the order the agent sent them.
    Output {
        tenant_id: String,
        execution_id: String,
        lines: Arc<Vec<LogLine>>,
    },
    /// An execution was accepted or reached its final state.
    Feed {
        tenant_id: String,
        execution_id: String,
        kind: FeedKind,
    },
    /// The store's event outbox has new entries (for the notifier; seen by no subscriber).
    Outbox,
    /// Sessions ended (logout, password change, a disabled user, a replayed refresh token):
    /// live subscriptions of these sessions close at once.
    SessionsEnded {
        tenant_id: String,
        email: String,
        session_ids: Vec<String>,
    },
    /// Events may have been lost (the link between replicas was down): whoever follows
    /// something re-reads it from the store, as after falling behind.
    Resync,
}

/// What happened to an execution in `executionsFeed`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, async_graphql::Enum,
)]
pub enum FeedKind {
    /// It was accepted.
    Started,
    /// It reached its final state.
    Finished,
}

/// Events the bus holds for a subscriber that has not read them yet: each subscriber's
/// bounded buffer. One that falls further behind is told how many it missed.
pub const CAPACITY: usize = 4096;

/// Live events and wake-ups, within one hub or across replicas.
pub trait Bus: Send + Sync {
    /// Sends an event to every subscriber (of every replica). Never blocks.
    fn publish(&self, event: Event);
    /// This hub's subscription to every event.
    fn subscribe(&self) -> broadcast::Receiver<Event>;
    /// The wake-up handle of one server's long-poll on this hub.
    fn waiter(&self, tenant_id: &str, server_id: &str) -> Arc<Notify>;
    /// Wakes the long-poll of a server that has a job waiting (or the next one to come),
    /// wherever it is polling.
    fn wake(&self, tenant_id: &str, server_id: &str);
    /// How often a waiting long-poll should re-read the store on its own: `None` while every
    /// wake-up arrives, a period while wake-ups may be lost (Redis unreachable).
    fn recheck_every(&self) -> Option<Duration> {
        None
    }
    /// `in-process` or `redis`.
    fn backend(&self) -> &'static str;
}

/// The in-process bus (one hub), also the local half of the Redis bus.
#[derive(Clone)]
pub struct LocalBus {
    events: broadcast::Sender<Event>,
    wakeups: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalBus {
    pub fn new() -> Self {
        Self {
            events: broadcast::channel(CAPACITY).0,
            wakeups: Arc::default(),
        }
    }

    /// Wakes every long-poll waiting on this hub (they re-read the store).
    pub fn wake_all(&self) {
        let map = self.wakeups.lock().unwrap_or_else(|p| p.into_inner());
        for n in map.values() {
            n.notify_one();
        }
    }
}

impl Bus for LocalBus {
    fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn waiter(&self, tenant_id: &str, server_id: &str) -> Arc<Notify> {
        let mut map = self.wakeups.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(format!("{tenant_id}/{server_id}"))
            .or_default()
            .clone()
    }

    fn wake(&self, tenant_id: &str, server_id: &str) {
        self.waiter(tenant_id, server_id).notify_one();
    }

    fn backend(&self) -> &'static str {
        "in-process"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_before_the_wait_is_not_lost() {
        let bus = LocalBus::new();
        bus.wake("t", "a");
        tokio::time::timeout(Duration::from_secs(1), bus.waiter("t", "a").notified())
            .await
            .expect("woken");
    }

    #[tokio::test]
    async fn events_reach_subscribers() {
        let bus = LocalBus::new();
        let mut rx = bus.subscribe();
        let ev = Event::Server {
            tenant_id: "t".into(),
            server_id: "s".into(),
        };
        bus.publish(ev.clone());
        assert_eq!(rx.recv().await.unwrap(), ev);
    }
}
