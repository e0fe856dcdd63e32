//! The notifier: turns outbox events into deliveries and delivers them, with retries.
//!
//! Two loops. The dispatcher reads the store's event outbox from its saved cursor, announces
//! finished executions on the bus (`executionsFeed`), and adds one delivery per matching
//! enabled rule of the event's tenant (a delivery is unique per rule and event, so reading an
//! event twice after a crash sends nothing twice). The sender takes due deliveries, sends
//! them, and records the outcome: delivered, or another attempt after a doubling back-off,
//! or failed after `notifications.max_attempts`. Every attempt is visible in the history.

mod payload;
mod send;
mod smtp;

use crate::app::App;
use crate::bus::{Event, FeedKind};
use crate::error::Result;
use crate::model::{Delivery, DeliveryStatus, EventKind, StoredEvent};
use crate::singleton::Leadership;
use chrono::Utc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

pub use send::{describe_target, forbidden_target};
pub use smtp::valid_address;

const CURSOR: &str = "notifier";
const BATCH: u32 = 200;
/// The shortest a sender holds the deliveries it took (twice the send timeout if longer).
const CLAIM_MIN_SECONDS: u64 = 60;

/// Reads new events once: feed announcements and deliveries. Returns how many were read.
pub async fn dispatch(app: &App) -> Result<usize> {
    let from = app.store.cursor(CURSOR).await?;
    let events = app.store.events_after(from, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(0);
    };
    // Rules are read once per tenant per pass, not once per event.
    let mut rules_of: std::collections::HashMap<String, Vec<crate::model::NotificationRule>> =
        std::collections::HashMap::new();
    for ev in &events {
        if matches!(
            ev.kind,
            EventKind::ExecutionCompleted
                | EventKind::ExecutionFailed
                | EventKind::ExecutionCancelled
        ) {
            app.bus.publish(Event::Feed {
                tenant_id: ev.tenant_id.clone(),
                execution_id: ev.subject.clone(),
                kind: FeedKind::Finished,
            });
        }
        if !rules_of.contains_key(&ev.tenant_id) {
            let rules = app.store.list_notification_rules(&ev.tenant_id).await?;
            rules_of.insert(ev.tenant_id.clone(), rules);
        }
        let matching: Vec<_> = rules_of[&ev.tenant_id]
            .iter()
            .filter(|r| wants(r, ev))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let body = payload::build(app, ev).await;
        let now = Utc::now();
        let deliveries: Vec<Delivery> = matching
            .iter()
            .map(|r| Delivery {
                id: format!("dlv_{}", uuid::Uuid::new_v4().simple()),
                tenant_id: ev.tenant_id.clone(),
                rule_id: r.id.clone(),
                event_seq: ev.seq,
                event: ev.kind,
                subject: ev.subject.clone(),
                channel: r.channel.kind().into(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                last_error: None,
                next_attempt_at: Some(now),
                created_at: now,
                delivered_at: None,
                payload: body.clone(),
            })
            .collect();
        app.store.add_deliveries(&deliveries).await?;
    }
    app.store.set_cursor(CURSOR, last).await?;
    Ok(events.len())
}

/// An enabled rule wants an event of a kind it names; a test event reaches only the rule it
/// tests, enabled or not (an admin checks a channel before switching it on).
fn wants(rule: &crate::model::NotificationRule, ev: &StoredEvent) -> bool {
    if ev.kind == EventKind::Test {
        return ev.details["rule_id"].as_str() == Some(rule.id.as_str());
    }
    rule.enabled && rule.events.contains(&ev.kind)
}

/// Sends the deliveries that are due, at once; returns how many were attempted.
pub async fn deliver(app: &App) -> Result<usize> {
    let now = Utc::now();
    // Long enough for every send of the batch to end (each has its own timeout).
    let hold = (app.config.notifications.timeout_seconds * 2).max(CLAIM_MIN_SECONDS);
    let until = now + chrono::Duration::seconds(hold as i64);
    let due = app.store.claim_deliveries(now, until, 32).await?;
    let n = due.len();
    let attempts = due.into_iter().map(|d| attempt(app, d));
    for r in futures::future::join_all(attempts).await {
        r?;
    }
    Ok(n)
}

async fn attempt(app: &App, mut d: Delivery) -> Result<()> {
    let cfg = &app.config.notifications;
    let rule = app
        .store
        .get_notification_rule(&d.tenant_id, &d.rule_id)
        .await?;
    d.attempts += 1;
    let outcome = match &rule {
        None => Err("the rule was deleted".to_string()),
        Some(r) => send::send(app, &r.channel, &d).await,
    };
    let now = Utc::now();
    match outcome {
        Ok(()) => {
            d.status = DeliveryStatus::Delivered;
            d.delivered_at = Some(now);
            d.next_attempt_at = None;
            // `last_error` stays: the history shows why earlier attempts failed.
            app.metrics
                .notifications
                .with_label_values(&["delivered"])
                .inc();
        }
        Err(why) => {
            tracing::warn!(delivery_id = %d.id, rule_id = %d.rule_id, attempt = d.attempts, error = %why, "notification not delivered");
            d.last_error = Some(why);
            if d.attempts >= cfg.max_attempts || rule.is_none() {
                d.status = DeliveryStatus::Failed;
                d.next_attempt_at = None;
                app.metrics
                    .notifications
                    .with_label_values(&["failed"])
                    .inc();
            } else {
                d.next_attempt_at = Some(now + backoff(cfg.retry_base_seconds, d.attempts));
                app.metrics
                    .notifications
                    .with_label_values(&["retried"])
                    .inc();
            }
        }
    }
    Ok(app.store.update_delivery(&d).await?)
}

/// The wait after the `attempts`-th failure: base, 2×base, 4×base, … at most an hour.
fn backoff(base_seconds: u64, attempts: u32) -> chrono::Duration {
    let factor = 1u64 << attempts.saturating_sub(1).min(20);
    chrono::Duration::seconds(base_seconds.saturating_mul(factor).min(3600) as i64)
}

/// Runs both loops until `stop`: the dispatcher right after store changes (and every two
/// seconds), the sender every second in its own task (a slow receiver never delays the
/// feed or other events' dispatch).
pub async fn run(app: App, lead: Leadership, stop: CancellationToken) {
    let sender = tokio::spawn(send_loop(app.clone(), lead.clone(), stop.clone()));
    dispatch_loop(app, lead, stop).await;
    let _ = sender.await;
}

async fn dispatch_loop(app: App, lead: Leadership, stop: CancellationToken) {
    use tokio::sync::broadcast::error::TryRecvError;
    let mut rx = app.bus.subscribe();
    let mut idle = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            e = rx.recv() => match e {
                // Not `Server`: every heartbeat publishes one (for `serverUpdates`), and a
                // server's events are written by the sweep, which publishes `Outbox`.
                Ok(Event::Execution { .. } | Event::Outbox | Event::Resync) | Err(RecvError::Lagged(_)) => {
                    // Let a burst settle into one read.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    while matches!(rx.try_recv(), Ok(_) | Err(TryRecvError::Lagged(_))) {}
                    if lead.held().is_some() {
                        log_err("notification dispatch", dispatch(&app).await);
                    }
                }
                Ok(_) => {}
                Err(RecvError::Closed) => return,
            },
            _ = idle.tick() => if lead.held().is_some() {
                log_err("notification dispatch", dispatch(&app).await)
            },
            _ = stop.cancelled() => return,
        }
    }
}

async fn send_loop(app: App, lead: Leadership, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => if lead.held().is_some() {
                log_err("notification delivery", deliver(&app).await)
            },
            _ = stop.cancelled() => return,
        }
    }
}

fn log_err(what: &str, r: Result<usize>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "{what} failed");
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn back_off_doubles_and_is_capped() {
        let secs = |n| backoff(30, n).num_seconds();
        assert_eq!((secs(1), secs(2), secs(3)), (30, 60, 120));
        assert_eq!(secs(10), 3600);
        assert_eq!(secs(u32::MAX), 3600);
    }
}
