//! The bus hub replicas share, over Redis pub/sub.
//!
//! Every event and wake-up is delivered to this hub's own subscribers at once (as
//! [`LocalBus`] does) and relayed to the other replicas: events on `redis.pubsub_channel`,
//! wake-ups on `redis.job_queue`, each message tagged with the sending replica so it does not
//! deliver its own twice.
//!
//! Why pub/sub and not streams: what the bus carries are hints — the store is the truth —
//! and what matters is latency (an agent long-polling replica B must hear of a job started
//! on A within milliseconds). Streams would add retention, trimming and a consumer position
//! per replica to replay messages nobody needs replayed: a replica that missed some (its
//! link to Redis was down, or Redis restarted) publishes [`Event::Resync`] to its own
//! subscribers, who re-read the store as after falling behind, and wakes every long-poll to
//! re-check; while the link is down, long-polls re-read the store every second on their own
//! ([`Bus::recheck_every`]).
//!
//! Publishing never blocks a request: messages go through a bounded queue to one publisher
//! task that pipelines them; when Redis is unreachable they are counted
//! (`greenroom_bus_relay_dropped_total`) and dropped.

use super::{Bus, Event, LocalBus};
use futures::StreamExt as _;
use prometheus::{IntCounter, IntGauge};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Messages waiting for the publisher; more are dropped (and counted).
const QUEUE: usize = 65_536;
/// Messages sent in one pipeline.
const BATCH: usize = 512;
/// How often the subscriber pings Redis to notice a dead link.
const PING_EVERY: Duration = Duration::from_secs(5);
/// How long a connection attempt or a ping may take.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// While the link is down, how often long-polls re-read the store.
const RECHECK: Duration = Duration::from_secs(1);

/// A message between replicas.
#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    /// The sending replica.
    from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wake: Option<(String, String)>,
}

/// What the Redis bus needs from the hub.
pub struct RedisBusConfig {
    pub url: String,
    pub events_channel: String,
    pub wake_channel: String,
    /// This replica's id (unique per process).
    pub replica: String,
    pub connected: IntGauge,
    pub dropped: IntCounter,
}

pub struct RedisBus {
    local: LocalBus,
    replica: String,
    queue: mpsc::Sender<(bool, String)>,
    connected: Arc<AtomicBool>,
    dropped: IntCounter,
}

impl RedisBus {
    /// Starts the publisher and the subscriber (on `tracker`, until `cancel`). Redis need not
    /// answer yet: the hub starts, relays nothing until it does, and says so in its log.
    pub fn start(
        cfg: RedisBusConfig,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(cfg.url.as_str()).map_err(|e| {
            anyhow::anyhow!(
                "redis.url: {}",
                greenroom_proto::secrets::mask_secrets_in_text(&e.to_string())
            )
        })?;
        let where_ = greenroom_proto::secrets::mask_connection_string(&cfg.url);
        let local = LocalBus::new();
        let connected = Arc::new(AtomicBool::new(false));
        cfg.connected.set(0);
        let (queue, rx) = mpsc::channel(QUEUE);
        tracker.spawn(publisher(
            client.clone(),
            rx,
            cfg.events_channel.clone(),
            cfg.wake_channel.clone(),
            cfg.dropped.clone(),
            cancel.clone(),
        ));
        tracker.spawn(subscriber(Subscriber {
            client,
            local: local.clone(),
            replica: cfg.replica.clone(),
            events_channel: cfg.events_channel.clone(),
            wake_channel: cfg.wake_channel.clone(),
            connected: connected.clone(),
            gauge: cfg.connected,
            where_,
            cancel,
        }));
        Ok(Self {
            local,
            replica: cfg.replica,
            queue,
            connected,
            dropped: cfg.dropped,
        })
    }

    fn relay(&self, wake: bool, env: Envelope) {
        let Ok(text) = serde_json::to_string(&env) else {
            return;
        };
        if self.queue.try_send((wake, text)).is_err() {
            self.dropped.inc();
        }
    }
}

impl Bus for RedisBus {
    fn publish(&self, event: Event) {
        self.local.publish(event.clone());
        // A resync is about this replica's own link; the others have their own.
        if event != Event::Resync {
            self.relay(
                false,
                Envelope {
                    from: self.replica.clone(),
                    event: Some(event),
                    wake: None,
                },
            );
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    fn waiter(&self, tenant_id: &str, server_id: &str) -> Arc<Notify> {
        self.local.waiter(tenant_id, server_id)
    }

    fn wake(&self, tenant_id: &str, server_id: &str) {
        self.local.wake(tenant_id, server_id);
        self.relay(
            true,
            Envelope {
                from: self.replica.clone(),
                event: None,
                wake: Some((tenant_id.to_string(), server_id.to_string())),
            },
        );
    }

    fn recheck_every(&self) -> Option<Duration> {
        (!self.connected.load(Ordering::Relaxed)).then_some(RECHECK)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// Sends queued messages, a pipeline at a time, over a connection that reconnects itself.
async fn publisher(
    client: redis::Client,
    mut rx: mpsc::Receiver<(bool, String)>,
    events_channel: String,
    wake_channel: String,
    dropped: IntCounter,
    cancel: CancellationToken,
) {
    let mut conn: Option<redis::aio::ConnectionManager> = None;
    let mut warned = false;
    loop {
        let first = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => return,
            },
            _ = cancel.cancelled() => return,
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            let cfg = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(IO_TIMEOUT))
                .set_response_timeout(Some(IO_TIMEOUT))
                .set_number_of_retries(1);
            conn = tokio::time::timeout(IO_TIMEOUT, client.get_connection_manager_with_config(cfg))
                .await
                .ok()
                .and_then(Result::ok);
        }
        let Some(c) = conn.as_mut() else {
            dropped.inc_by(batch.len() as u64);
            if !warned {
                tracing::warn!(
                    "cannot publish to Redis; events are not reaching other replicas until it answers"
                );
                warned = true;
            }
            continue;
        };
        let mut pipe = redis::pipe();
        for (wake, text) in &batch {
            let channel = if *wake {
                &wake_channel
            } else {
                &events_channel
            };
            pipe.publish(channel, text).ignore();
        }
        // After Redis restarted, the first use of the old connection fails and the manager
        // reconnects: the batch is tried once more before it is given up.
        let mut sent = pipe.query_async::<()>(c).await;
        if sent.is_err() {
            sent = pipe.query_async::<()>(c).await;
        }
        match sent {
            Ok(()) => warned = false,
            Err(e) => {
                dropped.inc_by(batch.len() as u64);
                if !warned {
                    tracing::warn!(error = %e, "publishing to Redis failed; events are not reaching other replicas until it answers");
                    warned = true;
                }
            }
        }
    }
}

struct Subscriber {
    client: redis::Client,
    local: LocalBus,
    replica: String,
    events_channel: String,
    wake_channel: String,
    connected: Arc<AtomicBool>,
    gauge: IntGauge,
    where_: String,
    cancel: CancellationToken,
}

/// Delivers what other replicas publish, reconnecting (100 ms, doubling, at most 2 s) when
/// the link drops; after any time without a link, it resyncs this replica.
async fn subscriber(s: Subscriber) {
    let mut backoff = Duration::from_millis(100);
    let mut lost = false;
    let mut warned = false;
    loop {
        match listen(&s, &mut lost).await {
            Ok(()) => return,
            Err(e) => {
                if s.connected.swap(false, Ordering::Relaxed) || !warned {
                    tracing::warn!(redis = %s.where_, error = %e, "no link to Redis: other replicas' events and wake-ups are not arriving; long-polls re-read the store every second meanwhile");
                    warned = true;
                }
                s.gauge.set(0);
                lost = true;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = s.cancel.cancelled() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// One connection's life: subscribe, deliver, ping; `Ok` only when cancelled.
async fn listen(s: &Subscriber, lost: &mut bool) -> anyhow::Result<()> {
    let pubsub = tokio::time::timeout(IO_TIMEOUT, s.client.get_async_pubsub())
        .await
        .map_err(|_| anyhow::anyhow!("connecting timed out"))??;
    let (mut sink, mut stream) = pubsub.split();
    tokio::time::timeout(
        IO_TIMEOUT,
        sink.subscribe(&[s.events_channel.as_str(), s.wake_channel.as_str()]),
    )
    .await
    .map_err(|_| anyhow::anyhow!("subscribing timed out"))??;
    s.connected.store(true, Ordering::Relaxed);
    s.gauge.set(1);
    if std::mem::take(lost) {
        tracing::info!(redis = %s.where_, "Redis link back: re-reading live state from the store");
        s.local.publish(Event::Resync);
        s.local.wake_all();
    } else {
        tracing::info!(redis = %s.where_, "relaying live events and wake-ups through Redis");
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            m = stream.next() => {
                let Some(m) = m else {
                    anyhow::bail!("the connection closed");
                };
                deliver(s, &m);
            }
            _ = ping.tick() => {
                // Subscribed, Redis answers PING with a pub/sub reply (`["pong", ""]`), not a
                // status string: any answer in time is a live link.
                tokio::time::timeout(IO_TIMEOUT, sink.ping::<redis::Value>())
                    .await
                    .map_err(|_| anyhow::anyhow!("ping timed out"))??;
            }
            _ = s.cancel.cancelled() => return Ok(()),
        }
    }
}

fn deliver(s: &Subscriber, m: &redis::Msg) {
    let Ok(text) = m.get_payload::<String>() else {
        return;
    };
    let env: Envelope = match serde_json::from_str(&text) {
        Ok(e) => e,
        Err(e) => {
            tracing::debug!(error = %e, "ignoring a message on the bus channel that is not ours");
            return;
        }
    };
    if env.from == s.replica {
        return;
    }
    if let Some(ev) = env.event {
        s.local.publish(ev);
    }
    if let Some((tenant, server)) = env.wake {
        s.local.wake(&tenant, &server);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Redis;

    fn bus(
        redis: &Redis,
        replica: &str,
        tracker: &TaskTracker,
        cancel: &CancellationToken,
    ) -> RedisBus {
        RedisBus::start(
            RedisBusConfig {
                url: redis.url(),
                events_channel: "test_events".into(),
                wake_channel: "test_wakeups".into(),
                replica: replica.into(),
                connected: IntGauge::new("connected", "test").unwrap(),
                dropped: IntCounter::new("dropped", "test").unwrap(),
            },
            tracker,
            cancel.clone(),
        )
        .unwrap()
    }

    async fn until(what: &str, f: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !f() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next event that is not `Resync`.
    async fn next(rx: &mut broadcast::Receiver<Event>) -> Event {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("an event in time")
                .unwrap();
            if ev != Event::Resync {
                return ev;
            }
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn events_and_wake_ups_cross_replicas_once_and_survive_a_redis_restart() {
        let mut redis = Redis::start();
        let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
        let (a, b) = (
            bus(&redis, "a", &tracker, &cancel),
            bus(&redis, "b", &tracker, &cancel),
        );
        until("both linked", || {
            a.recheck_every().is_none() && b.recheck_every().is_none()
        })
        .await;
        let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
        // The link stays up past the subscriber's ping (Redis answers a subscribed PING in
        // the pub/sub form): no flapping, no needless resyncs.
        tokio::time::sleep(PING_EVERY + Duration::from_millis(500)).await;
        assert!(
            a.recheck_every().is_none() && b.recheck_every().is_none(),
            "the link dropped at a ping"
        );
        assert!(on_b.try_recv().is_err(), "a resync without cause");
        let ev = Event::Execution {
            tenant_id: "t".into(),
            execution_id: "e1".into(),
        };
        a.publish(ev.clone());
        assert_eq!(next(&mut on_b).await, ev, "B hears A's event");
        assert_eq!(next(&mut on_a).await, ev, "A hears its own");
        // A's own event comes back from Redis to A too: it must not be delivered twice.
        let marker = Event::Outbox;
        b.publish(marker.clone());
        assert_eq!(
            next(&mut on_a).await,
            marker,
            "A heard its event once, then B's"
        );
        // A wake-up on A reaches a long-poll waiting on B.
        let waiter = b.waiter("t", "srv");
        let woken = tokio::spawn(async move { waiter.notified().await });
        a.wake("t", "srv");
        tokio::time::timeout(Duration::from_secs(10), woken)
            .await
            .expect("B's long-poll woken")
            .unwrap();

        // Redis restarts (empty): while it is down long-polls re-read the store on their own;
        // once it is back each replica tells its subscribers to resync, and events cross again.
        // (Stopped and started in two steps: B's degraded mode is observed while Redis is
        // down, not raced against B's reconnection.)
        tokio::task::block_in_place(|| redis.stop());
        until("B noticed", || b.recheck_every().is_some()).await;
        tokio::task::block_in_place(|| redis.start_again());
        until("B relinked", || b.recheck_every().is_none()).await;
        let resynced = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if on_b.recv().await == Ok(Event::Resync) {
                    break;
                }
            }
        })
        .await;
        assert!(resynced.is_ok(), "B's subscribers were not told to resync");
        until("A relinked", || a.recheck_every().is_none()).await;
        let again = Event::Server {
            tenant_id: "t".into(),
            server_id: "s".into(),
        };
        a.publish(again.clone());
        assert_eq!(
            next(&mut on_b).await,
            again,
            "events cross after the restart"
        );
        cancel.cancel();
        tracker.close();
        tracker.wait().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn with_redis_gone_publishing_still_delivers_locally_and_never_blocks() {
        let redis = Redis::start();
        let url = redis.url();
        drop(redis);
        let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
        let a = RedisBus::start(
            RedisBusConfig {
                url,
                events_channel: "e".into(),
                wake_channel: "w".into(),
                replica: "a".into(),
                connected: IntGauge::new("connected", "test").unwrap(),
                dropped: IntCounter::new("dropped", "test").unwrap(),
            },
            &tracker,
            cancel.clone(),
        )
        .unwrap();
        // More than the relay queue holds: publishing goes on, nothing waits for Redis.
        for _ in 0..(QUEUE + 10) {
            a.publish(Event::Outbox);
        }
        let mut rx = a.subscribe();
        a.publish(Event::Outbox);
        assert_eq!(rx.recv().await.unwrap(), Event::Outbox, "delivered here");
        assert_eq!(
            a.recheck_every(),
            Some(RECHECK),
            "long-polls re-read the store"
        );
        until("what could not be relayed is counted", || {
            a.dropped.get() > 0
        })
        .await;
        cancel.cancel();
    }
}
