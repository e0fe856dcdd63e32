//! Rate limits: a [`Quota`] per kind of request and a [`RateLimiter`] that counts hits per
//! key (a user, an address, an account at an address). The embedded limiter is `governor`'s
//! keyed GCRA (no fixed windows, no global lock: a sharded map, forgotten keys pruned by
//! [`RateLimiter::prune`]); with several hub replicas [`RedisLimiter`] shares the counts.
//! A hit may count for several at once ([`RateLimiter::take`]): GraphQL's per-user cost
//! budget spends a request's cost points in one go.
//!
//! Also here: the client's address as a trusted proxy says it was (`X-Forwarded-For`, only
//! from `security.trusted_proxies`).

use async_trait::async_trait;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use ipnet::IpNet;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many hits a key may make: `burst` at once, then one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Names the kind of request (and keeps kinds apart): `api`, `login`, `login_account`.
    pub name: &'static str,
    pub burst: u32,
    pub period: Duration,
}

impl Quota {
    /// `n` a minute, all of which may come at once.
    pub fn per_minute(name: &'static str, n: u32) -> Self {
        let n = n.max(1);
        Self {
            name,
            burst: n,
            period: Duration::from_secs(60) / n,
        }
    }
}

/// `take` refused: the hits did not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Over {
    /// Seconds until they would fit (at least 1).
    pub retry_after_secs: u64,
    /// How many hits the key could make right now (fewer than asked).
    pub remaining: u32,
}

/// Counts hits against quotas.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit of `key` under `quota`; `Err(seconds to wait)` when over it.
    async fn hit(&self, quota: &Quota, key: &str) -> Result<(), u64> {
        self.take(quota, key, 1)
            .await
            .map(|_| ())
            .map_err(|o| o.retry_after_secs)
    }
    /// Counts `n` hits of `key` at once, all or none: how many more it could make right
    /// now, or — over the quota, nothing counted — how long until `n` fit. `n` beyond the
    /// burst never fits (callers check that first).
    async fn take(&self, quota: &Quota, key: &str, n: u32) -> Result<u32, Over>;
    /// Forgets the count of `key` under `quota` (a successful sign-in clears its failures).
    async fn reset(&self, quota: &Quota, key: &str);
    /// Forgets keys whose counts have fully recovered (keeps memory bounded).
    fn prune(&self) {}
}

/// governor's own keyed state (a `DashMap`) behind an `Arc` the limiter keeps, so that one
/// key's count can be forgotten — governor has no call for that.
#[derive(Default, Clone)]
struct Counts(Arc<DashMapStateStore<String>>);

impl StateStore for Counts {
    type Key = String;

    fn measure_and_replace<T, F, E>(&self, key: &String, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<String> for Counts {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below)
    }
    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0)
    }
    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&*self.0)
    }
    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&*self.0)
    }
}

type Keyed = governor::RateLimiter<String, Counts, DefaultClock, StateInformationMiddleware>;

/// The in-process limiter (one hub).
#[derive(Default)]
pub struct LocalLimiter {
    limiters: Mutex<HashMap<Quota, (Arc<Keyed>, Counts)>>,
}

impl LocalLimiter {
    fn limiter(&self, q: &Quota) -> (Arc<Keyed>, Counts) {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(*q)
            .or_insert_with(|| {
                let quota = governor::Quota::with_period(q.period.max(Duration::from_millis(1)))
                    .expect("a positive period")
                    .allow_burst(NonZeroU32::new(q.burst.max(1)).expect("at least 1"));
                let counts = Counts::default();
                let limiter = governor::RateLimiter::<_, _, _, NoOpMiddleware<_>>::new(
                    quota,
                    counts.clone(),
                    DefaultClock::default(),
                )
                .with_middleware::<StateInformationMiddleware>();
                (Arc::new(limiter), counts)
            })
            .clone()
    }

    /// Keys currently counted (for tests and metrics).
    pub fn len(&self) -> usize {
        let map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        map.values().map(|(l, _)| l.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn take(&self, quota: &Quota, key: &str, n: u32) -> Result<u32, Over> {
        let (limiter, _) = self.limiter(quota);
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        match limiter.check_key_n(&key.to_string(), n) {
            Ok(Ok(state)) => Ok(state.remaining_burst_capacity()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(over(quota, n.get(), wait))
            }
            // More than the burst: it never fits; say so as a full period's wait.
            Err(_) => Err(Over {
                retry_after_secs: (quota.period * quota.burst).as_secs().max(1),
                remaining: 0,
            }),
        }
    }

    async fn reset(&self, quota: &Quota, key: &str) {
        let (_, counts) = self.limiter(quota);
        counts.0.remove(key);
    }

    fn prune(&self) {
        let limiters: Vec<_> = {
            let map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            map.values().map(|(l, _)| l.clone()).collect()
        };
        for l in limiters {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// What a refusal to count `n` hits that fit in `wait` says: the wait, and how many hits
/// fit now (each emission interval of the wait is one hit short of `n`).
fn over(quota: &Quota, n: u32, wait: Duration) -> Over {
    let period = quota.period.as_nanos().max(1);
    let short = wait.as_nanos().div_ceil(period);
    Over {
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        remaining: u32::try_from(u128::from(n).saturating_sub(short)).unwrap_or(0),
    }
}

/// GCRA in Redis: `KEYS[1]` holds the theoretical arrival time (µs); `ARGV[1]` is the
/// emission interval (µs), `ARGV[2]` the burst, `ARGV[3]` how many hits to count at once.
/// Answers `{0, hits left}` (allowed, counted) or `{µs to wait, hits that fit now}`. Redis's
/// own clock is used, so replicas' clocks do not matter.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local new_tat = tat + n * interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {allow_at - now, math.max(math.floor((burst * interval - (tat - now)) / interval), 0)}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(math.ceil((new_tat - now) / 1000), 1))
return {0, math.floor((burst * interval - (new_tat - now)) / interval)}
";

/// How long one Redis call may take before the local count decides.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// After Redis failed to answer, how long the local limiter counts before Redis is tried again.
const REDIS_RETRY: Duration = Duration::from_secs(5);

/// The limiter hub replicas share: the same GCRA as [`LocalLimiter`], with its state in Redis
/// (one key per quota and key, expiring once fully recovered), so a client cannot multiply
/// its quota by spreading requests over replicas. Written here as a short Lua script because
/// Redis has no rate limiter of its own without modules (redis-cell), which managed Redis
/// services rarely allow. While Redis does not answer, each replica counts locally (limits
/// hold per replica) and says so once in its log.
pub struct RedisLimiter {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    down_until: Mutex<Option<std::time::Instant>>,
    script: redis::Script,
    prefix: String,
    local: LocalLimiter,
}

impl RedisLimiter {
    /// A limiter on the Redis at `url`, its keys under `prefix` (nothing is contacted yet).
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| {
            anyhow::anyhow!(
                "redis.url: {}",
                greenroom_proto::secrets::mask_secrets_in_text(&e.to_string())
            )
        })?;
        Ok(Self {
            client,
            conn: tokio::sync::Mutex::new(None),
            down_until: Mutex::new(None),
            script: redis::Script::new(GCRA),
            prefix: prefix.to_string(),
            local: LocalLimiter::default(),
        })
    }

    async fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        {
            let down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
            if down.is_some_and(|t| std::time::Instant::now() < t) {
                return None;
            }
        }
        let mut slot = self.conn.lock().await;
        if slot.is_none() {
            let cfg = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT));
            match self
                .client
                .get_multiplexed_async_connection_with_config(&cfg)
                .await
            {
                Ok(c) => *slot = Some(c),
                Err(e) => {
                    self.mark_down(&e);
                    return None;
                }
            }
        }
        slot.clone()
    }

    fn key(&self, quota: &Quota, key: &str) -> String {
        format!("{}:ratelimit:{}:{key}", self.prefix, quota.name)
    }

    fn mark_down(&self, e: &dyn std::fmt::Display) {
        let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        if down.is_none() {
            tracing::warn!(error = %e, "Redis does not answer the rate limiter: each replica counts on its own until it does");
        }
        *down = Some(std::time::Instant::now() + REDIS_RETRY);
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn take(&self, quota: &Quota, key: &str, n: u32) -> Result<u32, Over> {
        let Some(mut conn) = self.connection().await else {
            return self.local.take(quota, key, n).await;
        };
        let n = n.max(1);
        if n > quota.burst.max(1) {
            return self.local.take(quota, key, n).await;
        }
        let interval = quota.period.as_micros().max(1) as u64;
        let answer: redis::RedisResult<(u64, u64)> = self
            .script
            .key(self.key(quota, key))
            .arg(interval)
            .arg(quota.burst.max(1))
            .arg(n)
            .invoke_async(&mut conn)
            .await;
        let left = |r: u64| u32::try_from(r).unwrap_or(u32::MAX);
        match answer {
            Ok((0, remaining)) => {
                *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
                Ok(left(remaining))
            }
            Ok((wait_us, remaining)) => Err(Over {
                retry_after_secs: wait_us.div_ceil(1_000_000).max(1),
                remaining: left(remaining),
            }),
            Err(e) => {
                *self.conn.lock().await = None;
                self.mark_down(&e);
                self.local.take(quota, key, n).await
            }
        }
    }

    async fn reset(&self, quota: &Quota, key: &str) {
        self.local.reset(quota, key).await;
        if let Some(mut conn) = self.connection().await {
            let done: redis::RedisResult<()> = redis::cmd("DEL")
                .arg(self.key(quota, key))
                .query_async(&mut conn)
                .await;
            if let Err(e) = done {
                *self.conn.lock().await = None;
                self.mark_down(&e);
            }
        }
    }

    fn prune(&self) {
        self.local.prune();
    }
}

/// The client's address: the peer's, or — when the peer is a trusted proxy — the last
/// address in `X-Forwarded-For` that is not a trusted proxy itself (the first hop the
/// proxies did not add). A malformed header is ignored (the peer's address counts).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Option<Vec<IpAddr>> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    let Some(hops) = hops else {
        return peer;
    };
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quota_allows_its_burst_then_says_how_long_to_wait() {
        let l = LocalLimiter::default();
        let q = Quota {
            name: "t",
            burst: 2,
            period: Duration::from_secs(30),
        };
        assert!(l.hit(&q, "k").await.is_ok());
        assert!(l.hit(&q, "k").await.is_ok());
        let wait = l.hit(&q, "k").await.unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(l.hit(&q, "other").await.is_ok(), "keys are separate");
        let other = Quota { name: "u", ..q };
        assert!(l.hit(&other, "k").await.is_ok(), "quotas are separate");
        l.reset(&q, "k").await;
        assert!(l.hit(&q, "k").await.is_ok(), "a reset key starts afresh");
        assert!(l.hit(&q, "k").await.is_ok());
        assert!(l.hit(&q, "k").await.is_err());
    }

    #[tokio::test]
    async fn take_spends_several_hits_at_once_and_says_what_is_left() {
        let l = LocalLimiter::default();
        let q = Quota::per_minute("cost", 100);
        assert_eq!(l.take(&q, "k", 30).await, Ok(70));
        assert_eq!(l.take(&q, "k", 60).await, Ok(10));
        let over = l.take(&q, "k", 25).await.unwrap_err();
        assert_eq!(over.remaining, 10, "{over:?}");
        // 15 points short at 100 a minute: 9 s.
        assert!((9..=10).contains(&over.retry_after_secs), "{over:?}");
        assert_eq!(l.take(&q, "k", 10).await, Ok(0), "a refusal spends nothing");
        assert_eq!(l.take(&q, "other", 100).await, Ok(0), "keys are separate");
        assert!(l.take(&q, "fresh", 101).await.is_err(), "beyond the burst");
    }

    #[tokio::test]
    async fn many_keys_do_not_grow_without_bound_once_pruned() {
        let l = LocalLimiter::default();
        let q = Quota {
            name: "t",
            burst: 1,
            period: Duration::from_millis(1),
        };
        for i in 0..1000 {
            let _ = l.hit(&q, &format!("k{i}")).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        l.prune();
        assert!(l.len() < 1000, "{}", l.len());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn replicas_share_counts_in_redis_and_count_locally_without_it() {
        let mut redis = crate::testkit::Redis::start();
        let a = RedisLimiter::new(&redis.url(), "test").unwrap();
        let b = RedisLimiter::new(&redis.url(), "test").unwrap();
        let q = Quota {
            name: "login",
            burst: 3,
            period: Duration::from_secs(60),
        };
        // Three hits spread over two replicas use up the burst for both.
        assert!(a.hit(&q, "client").await.is_ok());
        assert!(b.hit(&q, "client").await.is_ok());
        assert!(a.hit(&q, "client").await.is_ok());
        let wait = b.hit(&q, "client").await.unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(a.hit(&q, "client").await.is_err());
        assert!(a.hit(&q, "someone-else").await.is_ok(), "keys are separate");
        // A reset on one replica clears the count for both.
        b.reset(&q, "client").await;
        assert!(a.hit(&q, "client").await.is_ok(), "reset is shared");
        // Several hits at once (a GraphQL request's cost), shared too.
        let cost = Quota::per_minute("cost", 100);
        assert_eq!(a.take(&cost, "u", 30).await, Ok(70));
        assert_eq!(b.take(&cost, "u", 60).await, Ok(10));
        let over = a.take(&cost, "u", 25).await.unwrap_err();
        assert_eq!(over.remaining, 10, "{over:?}");
        assert!((9..=10).contains(&over.retry_after_secs), "{over:?}");
        // Redis gone: each replica still limits, on its own counts.
        redis.restart(Duration::from_millis(10));
        drop(redis);
        let c = RedisLimiter::new("redis://127.0.0.1:1/", "test").unwrap();
        for _ in 0..3 {
            assert!(c.hit(&q, "k").await.is_ok());
        }
        assert!(c.hit(&q, "k").await.is_err(), "the local count applies");
    }

    #[test]
    fn the_client_is_the_first_hop_no_trusted_proxy_added() {
        let lb: IpNet = "10.0.0.0/8".parse().unwrap();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(client_ip(peer, &["203.0.113.7, 10.0.0.9"], &[lb]), client);
        // A client cannot forge its address by sending its own header: the hops are read
        // from the right, and the first untrusted one is taken.
        assert_eq!(client_ip(peer, &["1.2.3.4, 203.0.113.7"], &[lb]), client);
        // An untrusted peer's header is ignored.
        let outsider: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(client_ip(outsider, &["1.2.3.4"], &[lb]), outsider);
        // Garbage is ignored; no header means the peer.
        assert_eq!(client_ip(peer, &["not-an-ip"], &[lb]), peer);
        assert_eq!(client_ip(peer, &[], &[lb]), peer);
    }
}
