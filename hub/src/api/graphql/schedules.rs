//! Schedules in GraphQL: a schedule, the execution it starts each time, and what a cron
//! expression means in time.

use super::actions::{Action, ParameterValue, parameters_from_wire};
use super::types::ScheduleRunConnection;
use crate::model::Timestamp;
use async_graphql::{Json, Object, SimpleObject};

/// A schedule as GraphQL shows it.
pub struct ScheduleView(pub crate::model::Schedule);

/// An execution started at each occurrence of a cron expression, or once at a given time.
#[Object(name = "Schedule")]
impl ScheduleView {
    /// The schedule's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("Schedule", &self.0.id)
    }
    /// The schedule's own id (REST's `id`).
    async fn schedule_id(&self) -> &str {
        &self.0.id
    }
    /// Its name, for people.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When it fires, as JSON.
    #[graphql(deprecation = "Use `cron` and `runAt`.")]
    async fn trigger(&self) -> Json<&crate::model::Trigger> {
        Json(&self.0.trigger)
    }
    /// The execution it starts, as the REST body.
    #[graphql(deprecation = "Use `run`: the same execution, typed.")]
    async fn execution(&self) -> Json<&serde_json::Value> {
        Json(&self.0.execution)
    }
    /// Its cron expression (UTC); null for a one-off schedule.
    async fn cron(&self) -> Option<&str> {
        match &self.0.trigger {
            crate::model::Trigger::Cron { expression } => Some(expression),
            crate::model::Trigger::Once { .. } => None,
        }
    }
    /// When a one-off schedule fires; null for a cron schedule.
    async fn run_at(&self) -> Option<Timestamp> {
        match &self.0.trigger {
            crate::model::Trigger::Once { at } => Some(*at),
            crate::model::Trigger::Cron { .. } => None,
        }
    }
    /// The execution it starts each time (secrets `***`).
    async fn run(&self) -> async_graphql::Result<ScheduledExecution> {
        ScheduledExecution::of(&self.0.execution)
    }
    /// Its occurrences, newest first: fired (with the execution started), missed, or
    /// failed to start (the hub keeps the latest 100).
    #[graphql(complexity = "super::connections::cost(first, last, None, child_complexity)")]
    async fn runs(
        &self,
        ctx: &async_graphql::Context<'_>,
        #[graphql(desc = "The first `first` runs (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the runs after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` runs (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the runs before it.")] before: Option<String>,
    ) -> async_graphql::Result<ScheduleRunConnection> {
        use super::Coded;
        let w =
            super::connections::Window::new("scheduleRuns", first, after, last, before).coded()?;
        let mut runs = super::app(ctx)?
            .store
            .schedule_runs(&self.0.id, 100)
            .await
            .coded()?;
        // Keys that sort ascending as the list runs: newest first.
        let key = |r: &crate::model::ScheduleRun| {
            let ms = r.occurrence_at.timestamp_millis().max(0);
            format!("{:013}", 9_999_999_999_999 - ms)
        };
        runs.sort_by_key(key);
        let total = runs.len() as u64;
        let (page, prev, next) = w.cut(runs, key);
        let page = page
            .into_iter()
            .map(|r| {
                let cursor = super::connections::encode("scheduleRuns", &key(&r));
                (r, cursor)
            })
            .collect();
        Ok(ScheduleRunConnection::new(page, prev, next, total, w.count))
    }
    /// Whether it fires; a disabled schedule starts nothing.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The admin who created it (e-mail address); its executions run as them.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it fires next; null when it will not fire again.
    async fn next_run_at(&self) -> Option<Timestamp> {
        self.0.next_run_at
    }
    /// The occurrence it last fired for; null if it has not fired yet.
    async fn last_run_at(&self) -> Option<Timestamp> {
        self.0.last_run_at
    }
}

/// What a cron expression means in time: its next occurrences (UTC), or what is wrong with it.
#[derive(SimpleObject)]
pub struct CronPreview {
    /// Whether the hub accepts the expression as a schedule's `trigger.expression`.
    pub valid: bool,
    /// The next occurrences after now, soonest first (empty when not valid).
    pub next_runs: Vec<Timestamp>,
    /// The one problem with the expression, naming the field (when not valid).
    pub error: Option<String>,
}

/// The execution a schedule starts each time, as `startExecution` would take it.
#[derive(SimpleObject)]
pub struct ScheduledExecution {
    /// The template it runs (or an inline `operation`).
    pub action_template_id: Option<String>,
    /// The inline action it runs (null for a template).
    pub operation: Option<Action>,
    /// The template's parameter values (secrets `***`).
    pub parameter_values: Vec<ParameterValue>,
    /// Explicit targets (or a `selector`).
    pub target_servers: Vec<String>,
    /// The servers it selects at each occurrence.
    pub selector: Option<crate::model::ServerSelector>,
    /// Queue priority (`NORMAL` when not set).
    pub priority: Option<crate::model::Priority>,
    /// Most targets at once: a number or a share (`"25%"`).
    pub max_concurrency: Option<String>,
    /// Failures after which no new target starts.
    pub error_threshold: Option<String>,
    /// Attempts after the first for a job that fails.
    pub retry_count: Option<u32>,
    /// Seconds between attempts.
    pub retry_delay_seconds: Option<u64>,
    /// Whether each job takes an execution lock.
    pub requires_lock: Option<bool>,
    /// Whether a job on a server locked by someone else fails at once.
    pub fail_if_locked: Option<bool>,
    /// Whether it runs on targets without the template's tags too.
    pub ignore_applicable_tags: bool,
}

impl ScheduledExecution {
    fn of(body: &serde_json::Value) -> async_graphql::Result<Self> {
        let r: crate::service::executions::StartExecution = serde_json::from_value(body.clone())
            .map_err(|e| crate::error::Error::internal(format!("stored schedule: {e}")))
            .map_err(|e| async_graphql::ErrorExtensions::extend(&e))?;
        let text = |v: Option<serde_json::Value>| {
            v.map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
        };
        Ok(Self {
            operation: r.action.as_ref().and_then(Action::from_wire),
            parameter_values: r
                .parameters
                .as_ref()
                .map(parameters_from_wire)
                .unwrap_or_default(),
            action_template_id: r.action_template_id,
            target_servers: r.target_servers,
            selector: r.selector,
            priority: r.priority,
            max_concurrency: text(r.max_concurrency),
            error_threshold: text(r.error_threshold),
            retry_count: r.retry_count,
            retry_delay_seconds: r.retry_delay_seconds,
            requires_lock: r.requires_lock,
            fail_if_locked: r.lock_policy.map(|p| p == crate::model::LockPolicy::Fail),
            ignore_applicable_tags: r.ignore_applicable_tags,
        })
    }
}
