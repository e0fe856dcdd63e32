//! Subscriptions: an execution as it runs, the tenant's executions as they start and
//! finish, and servers as they change. Each is scoped to the caller's tenant.

use super::{app, caller};
use crate::app::App;
use crate::auth::Caller;
use crate::bus::{Event, FeedKind};
use crate::metrics::GaugeGuard;
use crate::model::Server;
use crate::service::executions::{self, ExecutionView, Live};
use crate::store::LogLine;
use async_graphql::{Context, Enum, Result, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

pub struct SubscriptionRoot;

/// What an event of `executionUpdates` carries.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionEventKind {
    /// The execution and its latest output lines: first, and again after MISSED.
    Snapshot,
    /// The execution after a change of status or progress.
    Update,
    /// New output lines of one server's job, in order.
    Output,
    /// This subscriber fell behind and `missed` events were dropped; a SNAPSHOT follows.
    Missed,
}

/// One event of `executionUpdates`.
#[derive(SimpleObject)]
pub struct ExecutionEvent {
    /// What the event carries.
    pub kind: ExecutionEventKind,
    /// Set for SNAPSHOT and UPDATE.
    pub execution: Option<ExecutionView>,
    /// Output lines: the latest ones for SNAPSHOT, the new ones for OUTPUT.
    pub output: Vec<LogLine>,
    /// For MISSED: how many events were dropped.
    pub missed: u64,
}

impl From<Live> for ExecutionEvent {
    fn from(l: Live) -> Self {
        let (kind, execution, output, missed) = match l {
            Live::Snapshot(v, tail) => (ExecutionEventKind::Snapshot, Some(v), tail, 0),
            Live::Update(v) => (ExecutionEventKind::Update, Some(v), Vec::new(), 0),
            Live::Output(lines) => (
                ExecutionEventKind::Output,
                None,
                std::sync::Arc::unwrap_or_clone(lines),
                0,
            ),
            Live::Missed(n) => (ExecutionEventKind::Missed, None, Vec::new(), n),
        };
        Self {
            kind,
            execution,
            output,
            missed,
        }
    }
}

/// One event of `executionsFeed`.
#[derive(SimpleObject)]
pub struct ExecutionFeedEvent {
    /// Whether the execution started or finished.
    pub kind: FeedKind,
    /// The execution, as read when the event arrived.
    pub execution: ExecutionView,
}

/// Counts an open subscription while its stream lives.
fn counted<S: Stream>(ctx: &Context<'_>, s: S) -> Result<impl Stream<Item = S::Item>> {
    let held = GaugeGuard::hold(&app(ctx)?.metrics.subscriptions);
    Ok(s.map(move |item| {
        let _ = &held;
        item
    }))
}

/// The bus as seen by one subscriber: `select` keeps the events of the caller's tenant it
/// wants (cheaply, without I/O), `load` reads what each becomes (None skips it); in order.
/// Events it fell behind on are counted as dropped.
fn follow<K, T, S, L, Fut>(
    ctx: &Context<'_>,
    select: S,
    load: L,
) -> Result<impl Stream<Item = T> + use<K, T, S, L, Fut>>
where
    S: Fn(Event, &str) -> Option<K> + Send + Sync + 'static,
    L: Fn(App, Caller, K) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<T>> + Send,
    K: Send,
    T: Send,
{
    let (app, caller) = (app(ctx)?.clone(), caller(ctx)?.clone());
    let rx = app.bus.subscribe();
    let fns = std::sync::Arc::new((select, load));
    Ok(futures::stream::unfold(rx, move |mut rx| {
        let (app, caller, fns) = (app.clone(), caller.clone(), fns.clone());
        async move {
            loop {
                match rx.recv().await {
                    Ok(event) => {
                        let Some(key) = (fns.0)(event, &caller.tenant_id) else {
                            continue;
                        };
                        if let Some(item) = (fns.1)(app.clone(), caller.clone(), key).await {
                            return Some((item, rx));
                        }
                    }
                    Err(RecvError::Lagged(n)) => app.metrics.dropped_events.inc_by(n),
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    }))
}

/// Live streams, served over WebSocket at `/graphql/ws`; each is scoped to the caller's
/// tenant.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The execution now (with its latest output), then its output lines as they arrive and
    /// the execution whenever its status or progress changes; ends with the final state.
    async fn execution_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution's id.")] execution_id: String,
    ) -> Result<impl Stream<Item = ExecutionEvent>> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let live = executions::watch(app, caller, &execution_id).await?;
        counted(ctx, live.map(ExecutionEvent::from))
    }

    /// The caller's tenant's executions as they are accepted (STARTED) and reach their final
    /// state (FINISHED); with `filter`, only those it selects (as `executions` would, the
    /// status being the execution's at that moment).
    async fn executions_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the executions it selects; every field that is set narrows.")]
        filter: Option<crate::model::ExecutionFilter>,
    ) -> Result<impl Stream<Item = ExecutionFeedEvent>> {
        let filter = std::sync::Arc::new(filter.unwrap_or_default());
        let s = follow(
            ctx,
            |event, tenant| match event {
                Event::Feed {
                    tenant_id,
                    execution_id,
                    kind,
                } if tenant_id == tenant => Some((execution_id, kind)),
                _ => None,
            },
            move |app, caller, (id, kind)| {
                let filter = filter.clone();
                async move {
                    let execution = executions::view(&app, &caller, &id).await.ok()?;
                    filter
                        .matches(&execution.execution)
                        .then_some(ExecutionFeedEvent { kind, execution })
                }
            },
        )?;
        counted(ctx, s)
    }

    /// Each server of the caller's tenant whenever it changes (heartbeat, status,
    /// registration), narrowed by `filter` when given. With `snapshot`, every matching
    /// server first, as it is now (at most 5,000; a server changing meanwhile may come
    /// twice, never not at all).
    async fn server_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the servers it selects; every field that is set narrows.")]
        filter: Option<ServerUpdatesFilter>,
        #[graphql(
            default = false,
            desc = "Whether to send every matching server as it is now before the changes."
        )]
        snapshot: bool,
    ) -> Result<impl Stream<Item = Server>> {
        let ServerUpdatesFilter {
            server_ids,
            environment,
        } = filter.unwrap_or_default();
        let first = snapshot.then(|| (server_ids.clone(), environment.clone()));
        // Listening starts before the snapshot is read, so no change falls between them.
        let live = follow(
            ctx,
            move |event, tenant| match event {
                Event::Server {
                    tenant_id,
                    server_id,
                } if tenant_id == tenant
                    && server_ids
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&server_id)) =>
                {
                    Some(server_id)
                }
                _ => None,
            },
            move |app, caller, id| {
                let environment = environment.clone();
                async move {
                    app.store
                        .get_server(&caller.tenant_id, &id)
                        .await
                        .ok()
                        .flatten()
                        .filter(|s| environment.as_ref().is_none_or(|e| &s.environment == e))
                }
            },
        )?;
        let now = match first {
            None => Vec::new(),
            Some((ids, environment)) => {
                current_servers(app(ctx)?, caller(ctx)?, ids, environment).await?
            }
        };
        counted(ctx, futures::stream::iter(now).chain(live))
    }
}

/// Most servers a `serverUpdates` snapshot holds.
const SNAPSHOT_SERVERS: u32 = 5_000;

/// The tenant's servers matching a `serverUpdates` filter, as they are now.
async fn current_servers(
    app: &App,
    caller: &Caller,
    ids: Option<Vec<String>>,
    environment: Option<String>,
) -> Result<Vec<Server>> {
    use super::Coded;
    let keep = |s: &Server| environment.as_ref().is_none_or(|e| &s.environment == e);
    if let Some(ids) = ids {
        let mut found = app
            .store
            .get_servers(&caller.tenant_id, &ids)
            .await
            .coded()?;
        found.retain(keep);
        found.sort_by(|a, b| a.server_id.cmp(&b.server_id));
        return Ok(found);
    }
    let filter = crate::model::ServerFilter {
        environment: environment.clone(),
        ..Default::default()
    };
    let mut out = Vec::new();
    for page in 1..=SNAPSHOT_SERVERS / 500 {
        let p = app
            .store
            .list_servers(
                &caller.tenant_id,
                &filter,
                crate::model::PageRequest::new(Some(page), Some(500)).coded()?,
            )
            .await
            .coded()?;
        let last = p.items.len() < 500;
        out.extend(p.items);
        if last {
            break;
        }
    }
    Ok(out)
}

/// Narrows `serverUpdates`; every field that is set narrows.
#[derive(async_graphql::InputObject, Default)]
pub struct ServerUpdatesFilter {
    /// Only these servers.
    pub server_ids: Option<Vec<String>>,
    /// Only servers of this environment (as they are when they change).
    pub environment: Option<String>,
}
