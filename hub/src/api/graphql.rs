//! The GraphQL API: queries, mutations and subscriptions over `crate::service`, served at
//! `/graphql` (HTTP GET/POST) and `/graphql/ws` (graphql-ws and legacy protocols).

use crate::app::App;
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::Error;
use crate::model::{ExecutionState, JobState, PageRequest, Server, ServerFilter, User};
use crate::service::executions::{self, ExecutionView, StartExecution};
use async_graphql::ErrorExtensions;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{
    Context, Data, InputObject, Json, Object, Result, Schema, SimpleObject, Subscription,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::extract::{FromRequestParts, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub type GreenroomSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema; `app` is None only for exporting the SDL.
pub fn schema(app: Option<App>) -> GreenroomSchema {
    let mut b = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .limit_depth(12)
        .limit_complexity(5000);
    if let Some(app) = app {
        b = b.data(app);
    }
    b.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    schema(None).sdl()
}

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data_opt::<Caller>()
        .ok_or_else(|| Error::Unauthenticated("missing bearer token".into()).extend())
}

/// Our errors as GraphQL errors with `extensions.code`.
trait Coded<T> {
    fn coded(self) -> Result<T>;
}

impl<T> Coded<T> for crate::error::Result<T> {
    fn coded(self) -> Result<T> {
        self.map_err(|e| e.extend())
    }
}

fn app<'a>(ctx: &Context<'a>) -> Result<&'a App> {
    ctx.data::<App>()
}

fn page(page: i32, page_size: i32) -> Result<PageRequest> {
    let conv = |v: i32| u32::try_from(v).ok();
    PageRequest::new(
        Some(conv(page).unwrap_or(0)),
        Some(conv(page_size).unwrap_or(0)),
    )
    .coded()
}

#[derive(SimpleObject)]
pub struct ServerPage {
    items: Vec<Server>,
    total: u64,
    page: u32,
    page_size: u32,
}

#[derive(SimpleObject)]
pub struct ExecutionPage {
    items: Vec<ExecutionView>,
    total: u64,
    page: u32,
    page_size: u32,
}

#[derive(SimpleObject)]
pub struct ExecutionTiming {
    created_at: crate::model::Timestamp,
    started_at: Option<crate::model::Timestamp>,
    completed_at: Option<crate::model::Timestamp>,
    duration_seconds: Option<f64>,
}

#[derive(SimpleObject)]
pub struct JobDetail {
    server_id: String,
    status: JobState,
    exit_code: Option<i32>,
    output: String,
    error_output: String,
    execution_time: f64,
    error: Option<String>,
}

#[derive(SimpleObject)]
pub struct ExecutionResults {
    success_count: usize,
    failure_count: usize,
    total_count: usize,
    details: Vec<JobDetail>,
}

#[Object(name = "Execution")]
impl ExecutionView {
    async fn execution_id(&self) -> &str {
        &self.execution.execution_id
    }
    async fn initiated_by(&self) -> &str {
        &self.execution.initiated_by
    }
    async fn execution_type(&self) -> &str {
        &self.execution.execution_type
    }
    async fn target_servers(&self) -> &[String] {
        &self.execution.target_servers
    }
    async fn action_template_id(&self) -> Option<&str> {
        self.execution.action_template_id.as_deref()
    }
    async fn action(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.action)
    }
    async fn parameters(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.parameters)
    }
    async fn overall(&self) -> ExecutionState {
        self.execution.state
    }
    async fn timing(&self) -> ExecutionTiming {
        let e = &self.execution;
        ExecutionTiming {
            created_at: e.created_at,
            started_at: e.started_at,
            completed_at: e.completed_at,
            duration_seconds: self.duration_seconds(),
        }
    }
    async fn results(&self) -> ExecutionResults {
        ExecutionResults {
            success_count: self.success_count(),
            failure_count: self.failure_count(),
            total_count: self.jobs.len(),
            details: self
                .jobs
                .iter()
                .map(|j| JobDetail {
                    server_id: j.server_id.clone(),
                    status: j.state,
                    exit_code: j.exit_code,
                    output: j.output.clone(),
                    error_output: j.error_output.clone(),
                    execution_time: j.execution_time,
                    error: j.error.clone(),
                })
                .collect(),
        }
    }
}

/// An action template as GraphQL shows it.
pub struct TemplateView(crate::model::ActionTemplate);

#[Object(name = "ActionTemplate")]
impl TemplateView {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }
    async fn version(&self) -> &str {
        &self.0.version
    }
    async fn parameters(
        &self,
    ) -> Json<&std::collections::BTreeMap<String, crate::model::ParameterSpec>> {
        Json(&self.0.parameters)
    }
    async fn command_template(&self) -> &str {
        &self.0.command_template
    }
}

pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let c = caller(ctx)?;
        let u = app(ctx)?.store.user_by_email(&c.email).await.coded()?;
        u.ok_or_else(|| Error::Unauthenticated("user no longer exists".into()).extend())
    }

    async fn servers(
        &self,
        ctx: &Context<'_>,
        filter: Option<ServerFilter>,
        #[graphql(default = 1)] page: i32,
        #[graphql(default = 50)] page_size: i32,
    ) -> Result<ServerPage> {
        let c = caller(ctx)?;
        let p = app(ctx)?
            .store
            .list_servers(
                &c.tenant_id,
                &filter.unwrap_or_default(),
                self::page(page, page_size)?,
            )
            .await
            .coded()?;
        Ok(ServerPage {
            items: p.items,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        })
    }

    async fn server(&self, ctx: &Context<'_>, server_id: String) -> Result<Option<Server>> {
        let c = caller(ctx)?;
        app(ctx)?
            .store
            .get_server(Some(&c.tenant_id), &server_id)
            .await
            .coded()
    }

    async fn action_templates(&self, ctx: &Context<'_>) -> Result<Vec<TemplateView>> {
        let c = caller(ctx)?;
        let p = app(ctx)?
            .store
            .list_templates(
                &c.tenant_id,
                None,
                PageRequest::new(Some(1), Some(PageRequest::MAX_PAGE_SIZE)).coded()?,
            )
            .await
            .coded()?;
        Ok(p.items.into_iter().map(TemplateView).collect())
    }

    async fn executions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 1)] page: i32,
        #[graphql(default = 50)] page_size: i32,
    ) -> Result<ExecutionPage> {
        let p = executions::list(app(ctx)?, caller(ctx)?, None, self::page(page, page_size)?)
            .await
            .coded()?;
        Ok(ExecutionPage {
            items: p.items,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        })
    }

    async fn execution(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
    ) -> Result<Option<ExecutionView>> {
        match executions::view(app(ctx)?, caller(ctx)?, &execution_id).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }
}

#[derive(InputObject)]
pub struct StartExecutionInput {
    /// An inline action: one operation's payload, e.g. `{"type":"shell_command","command":"uptime"}`.
    action: Option<Json<serde_json::Value>>,
    action_template_id: Option<String>,
    parameters: Option<Json<serde_json::Value>>,
    target_servers: Vec<String>,
    priority: Option<i32>,
}

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    async fn start_execution(
        &self,
        ctx: &Context<'_>,
        input: StartExecutionInput,
    ) -> Result<ExecutionView> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let req = StartExecution {
            action: input.action.map(|j| j.0),
            action_template_id: input.action_template_id,
            parameters: input.parameters.map(|j| j.0),
            target_servers: input.target_servers,
            priority: input.priority,
            batch_id: None,
        };
        let e = executions::start(app, caller, req, None).await.coded()?;
        executions::view(app, caller, &e.execution_id).await.coded()
    }
}

pub struct SubscriptionRoot;

/// Waits a moment and drains queued events, so a burst of changes costs one re-read.
async fn coalesce(rx: &mut tokio::sync::broadcast::Receiver<Event>) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    while rx.try_recv().is_ok() {}
}

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The execution now, then again each time it changes; ends once it is final.
    async fn execution_updates(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
    ) -> Result<impl Stream<Item = ExecutionView>> {
        let (app, caller) = (app(ctx)?.clone(), caller(ctx)?.clone());
        let rx = app.bus.subscribe();
        let first = executions::view(&app, &caller, &execution_id)
            .await
            .coded()?;
        let state = (Some(first), rx, false);
        Ok(futures::stream::unfold(
            state,
            move |(first, mut rx, done)| {
                let (app, caller, id) = (app.clone(), caller.clone(), execution_id.clone());
                async move {
                    if done {
                        return None;
                    }
                    if let Some(v) = first {
                        let fin = v.execution.state.is_final();
                        return Some((v, (None, rx, fin)));
                    }
                    loop {
                        match rx.recv().await {
                            Ok(Event::Execution { execution_id, .. }) if execution_id == id => {}
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        }
                        coalesce(&mut rx).await;
                        match executions::view(&app, &caller, &id).await {
                            Ok(v) => {
                                let fin = v.execution.state.is_final();
                                return Some((v, (None, rx, fin)));
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "execution subscription ended");
                                return None;
                            }
                        }
                    }
                }
            },
        ))
    }

    /// Each server of the caller's tenant whenever it changes (heartbeat, status, registration).
    async fn server_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Server>> {
        let (app, caller) = (app(ctx)?.clone(), caller(ctx)?.clone());
        let rx = app.bus.subscribe();
        Ok(futures::stream::unfold(rx, move |mut rx| {
            let (app, tenant) = (app.clone(), caller.tenant_id.clone());
            async move {
                loop {
                    match rx.recv().await {
                        Ok(Event::Server {
                            tenant_id,
                            server_id,
                        }) if tenant_id == tenant => {
                            if let Ok(Some(s)) =
                                app.store.get_server(Some(&tenant), &server_id).await
                            {
                                return Some((s, rx));
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}

/// `GET|POST /graphql`: requires a bearer token.
pub async fn http_handler(
    State(app): State<App>,
    Extension(schema): Extension<GreenroomSchema>,
    req: axum::extract::Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &app).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let req = axum::extract::Request::from_parts(parts, body);
    let gql = match <GraphQLRequest as axum::extract::FromRequest<()>>::from_request(req, &()).await
    {
        Ok(r) => r.into_inner(),
        Err(e) => return Error::invalid(format!("GraphQL request: {}", e.0)).into_response(),
    };
    GraphQLResponse::from(schema.execute(gql.data(caller)).await).into_response()
}

/// `GET /graphql/ws`: the token comes in the connection_init payload as
/// `{"Authorization": "Bearer <token>"}` (or `{"token": "<token>"}`).
pub async fn ws_handler(
    State(app): State<App>,
    Extension(schema): Extension<GreenroomSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // A missing or bad token still gets a connection, but no caller: every
                    // subscription then fails with UNAUTHENTICATED, which the client can act on
                    // (a refused connection_init would only close with a protocol error).
                    let token = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|k| payload.get(k).and_then(|v| v.as_str()))
                        .map(|v| v.trim_start_matches("Bearer ").trim_start_matches("bearer ").to_string())
                        .or_else(|| payload.get("token").and_then(|v| v.as_str()).map(str::to_string));
                    let mut data = Data::default();
                    match token.map(|t| app.keys.verify(&t)) {
                        Some(Ok(caller)) => data.insert(caller),
                        Some(Err(e)) => tracing::debug!(error = %e, "subscription connection without a valid token"),
                        None => tracing::debug!("subscription connection without a token"),
                    }
                    Ok(data)
                })
                .serve()
        })
}
