//! A server's linked fields: its locks (`activeLock`, `locks`), its recent executions, and
//! its heartbeat metrics over the last hour, day or week (`metricsHistory`, points with
//! each metric's mean and peak).

use super::connections::{self, Read, Window};
use super::types::{ExecutionConnection, ServerLockConnection, lock_connection};
use super::{Coded, app, caller, links};
use crate::lifecycle::locks::is_live;
use crate::model::{
    ExecutionFilter, ExecutionState, MetricPoint, MetricsRange, Server, ServerLock, Stat, Timestamp,
};
use crate::service::server_metrics;
use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject};

/// One metric over a point's samples.
#[derive(SimpleObject)]
pub struct MetricStat {
    /// The mean of the samples.
    avg: f64,
    /// The largest sample.
    max: f64,
}

fn stat(s: Stat, samples: i64) -> MetricStat {
    MetricStat {
        avg: s.mean(samples),
        max: s.max,
    }
}

/// A server's heartbeat metrics over one step of a range (a minute for an hour, five
/// minutes for a day, an hour for a week). Steps without a heartbeat have no point.
#[Object(name = "MetricPoint")]
impl MetricPoint {
    /// Start of the step.
    async fn at(&self) -> Timestamp {
        self.at
    }
    /// Heartbeats in the step.
    async fn samples(&self) -> i64 {
        self.samples
    }
    /// CPU in use, percent (0–100).
    async fn cpu_percent(&self) -> MetricStat {
        stat(self.stats.cpu, self.samples)
    }
    /// Memory in use, percent (0–100).
    async fn memory_usage_percent(&self) -> MetricStat {
        stat(self.stats.memory, self.samples)
    }
    /// Disk space in use, percent (0–100).
    async fn disk_usage_percent(&self) -> MetricStat {
        stat(self.stats.disk, self.samples)
    }
    /// The one-minute load average.
    async fn load1(&self) -> MetricStat {
        stat(self.stats.load, self.samples)
    }
}

#[ComplexObject]
impl Server {
    /// The server's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("Server", &self.server_id)
    }
    /// The lock in force on this server now, if any (whoever holds it).
    async fn active_lock(&self, ctx: &Context<'_>) -> Result<Option<ServerLock>> {
        let now = chrono::Utc::now();
        Ok(links::locks(ctx, &self.server_id)
            .await?
            .into_iter()
            .find(|l| is_live(l, now)))
    }

    /// This server's locks, newest first: active ones only, or (by default) with those
    /// that ended too.
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn locks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false, desc = "Only locks in force now.")] active_only: bool,
        #[graphql(desc = "The first `first` locks (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the locks after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` locks (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the locks before it.")] before: Option<String>,
    ) -> Result<ServerLockConnection> {
        let w = Window::new("serverLocks", first, after, last, before).coded()?;
        let now = chrono::Utc::now();
        let items = links::locks(ctx, &self.server_id)
            .await?
            .into_iter()
            .filter(|l| !active_only || is_live(l, now))
            .collect();
        Ok(lock_connection(items, &w))
    }

    /// The executions that targeted this server, newest first, optionally of one state.
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn executions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only executions in this state.")] status: Option<ExecutionState>,
        #[graphql(desc = "The first `first` executions (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the executions after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` executions (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the executions before it.")] before: Option<String>,
    ) -> Result<ExecutionConnection> {
        let read = Read::Window(Window::new("executions", first, after, last, before).coded()?);
        let filter = ExecutionFilter {
            server_id: Some(self.server_id.clone()),
            status,
            ..Default::default()
        };
        super::history::page(app(ctx)?, caller(ctx)?, filter, read).await
    }

    /// The server's heartbeat metrics over `range`, oldest first (kept on the hub: a
    /// minute's resolution for a day, a quarter hour's for a week).
    #[graphql(complexity = "20 * child_complexity")]
    async fn metrics_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "MetricsRange::Hour",
            desc = "The period, ending now (`HOUR` when not set)."
        )]
        range: MetricsRange,
    ) -> Result<Vec<MetricPoint>> {
        server_metrics::history(
            app(ctx)?,
            caller(ctx)?,
            &self.server_id,
            range,
            chrono::Utc::now(),
        )
        .await
        .coded()
    }
}
