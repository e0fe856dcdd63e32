//! A server's linked fields: its locks (`activeLock`, `locks`), its recent executions, and
//! its heartbeat metrics over the last hour, day or week (`metricsHistory`, points with
//! each metric's mean and peak).

use super::{Coded, app, caller, links};
use crate::lifecycle::locks::is_live;
use crate::model::{
    ExecutionFilter, ExecutionState, MetricPoint, MetricsRange, PageRequest, Server, ServerLock,
    Stat, Timestamp,
};
use crate::service::executions::{self, ExecutionView};
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
    async fn cpu_percent(&self) -> MetricStat {
        stat(self.stats.cpu, self.samples)
    }
    async fn memory_usage_percent(&self) -> MetricStat {
        stat(self.stats.memory, self.samples)
    }
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
    #[graphql(complexity = "10 * child_complexity")]
    async fn locks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] active_only: bool,
    ) -> Result<Vec<ServerLock>> {
        let now = chrono::Utc::now();
        Ok(links::locks(ctx, &self.server_id)
            .await?
            .into_iter()
            .filter(|l| !active_only || is_live(l, now))
            .collect())
    }

    /// The newest executions that targeted this server (`first`: 1–100), optionally of
    /// one state.
    #[graphql(complexity = "1 + first.clamp(1, 100) as usize * child_complexity")]
    async fn executions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
        status: Option<ExecutionState>,
    ) -> Result<Vec<ExecutionView>> {
        let first = u32::try_from(first)
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                crate::error::Error::invalid(format!("first: {first} is not between 1 and 100"))
            })
            .coded()?;
        let filter = ExecutionFilter {
            server_id: Some(self.server_id.clone()),
            status,
            ..Default::default()
        };
        let page = PageRequest::new(Some(1), Some(first)).coded()?;
        Ok(executions::list(app(ctx)?, caller(ctx)?, &filter, page)
            .await
            .coded()?
            .items)
    }

    /// The server's heartbeat metrics over `range`, oldest first (kept on the hub: a
    /// minute's resolution for a day, a quarter hour's for a week).
    #[graphql(complexity = "20 * child_complexity")]
    async fn metrics_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "MetricsRange::Hour")] range: MetricsRange,
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
