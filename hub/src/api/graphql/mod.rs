//! The GraphQL API: queries, mutations and subscriptions over `crate::service`, served at
//! `/graphql` (HTTP GET/POST) and `/graphql/ws` (graphql-ws and legacy protocols).

mod mutation;
mod notifications;
mod query;
mod subscription;
mod timing;
mod types;

pub use subscription::SubscriptionRoot;

use crate::app::App;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::Error;
use crate::model::PageRequest;
use async_graphql::ErrorExtensions;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Context, Data, Result, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::extract::{FromRequestParts, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};

#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(query::CoreQuery, notifications::NotificationQuery);

#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(mutation::CoreMutation, notifications::NotificationMutation);

pub type GreenroomSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema; `app` is None only for exporting the SDL.
pub fn schema(app: Option<App>) -> GreenroomSchema {
    let mut b = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_depth(12)
    .limit_complexity(5000);
    if let Some(app) = app {
        if !app.config.security.graphql_introspection {
            b = b.disable_introspection();
        }
        b = b.extension(timing::OperationTiming::new(app.metrics.clone()));
        b = b.data(app);
    }
    b.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    schema(None).sdl()
}

/// Where the request came from (address, user agent), for the audit log.
pub(super) fn origin<'a>(ctx: &Context<'a>) -> &'a Origin {
    ctx.data_opt::<Origin>().unwrap_or(&crate::audit::NO_ORIGIN)
}

pub(super) fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data_opt::<Caller>()
        .ok_or_else(|| Error::Unauthenticated("missing bearer token".into()).extend())
}

/// Our errors as GraphQL errors with `extensions.code`.
pub(super) trait Coded<T> {
    fn coded(self) -> Result<T>;
}

impl<T> Coded<T> for crate::error::Result<T> {
    fn coded(self) -> Result<T> {
        self.map_err(|e| e.extend())
    }
}

pub(super) fn app<'a>(ctx: &Context<'a>) -> Result<&'a App> {
    ctx.data::<App>()
}

pub(super) fn page(page: i32, page_size: i32) -> Result<PageRequest> {
    let conv = |v: i32| u32::try_from(v).ok();
    PageRequest::new(
        Some(conv(page).unwrap_or(0)),
        Some(conv(page_size).unwrap_or(0)),
    )
    .coded()
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
    let origin = crate::api::origin_of(&parts);
    let req = axum::extract::Request::from_parts(parts, body);
    let gql = match <GraphQLRequest as axum::extract::FromRequest<()>>::from_request(req, &()).await
    {
        Ok(r) => r.into_inner(),
        Err(e) => return Error::invalid(format!("GraphQL request: {}", e.0)).into_response(),
    };
    let who = caller.clone();
    let resp = schema.execute(gql.data(caller).data(origin.clone())).await;
    // Refused permissions are audited here as the REST edge does for 403s.
    for e in resp.errors.iter().filter(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| c.to_string().contains("FORBIDDEN"))
    }) {
        let path = e
            .path
            .iter()
            .map(|p| match p {
                async_graphql::PathSegment::Field(f) => f.clone(),
                async_graphql::PathSegment::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        let r = crate::audit::Resource {
            kind: "graphql",
            id: &path,
            name: None,
        };
        let actor = crate::audit::Actor::User {
            email: &who.email,
            origin: &origin,
        };
        crate::audit::record(
            &app,
            &who.tenant_id,
            actor,
            "permission_denied",
            r,
            serde_json::json!({"role": who.role}),
            Some(&e.message),
        )
        .await;
    }
    GraphQLResponse::from(resp).into_response()
}

/// `GET /graphql/ws`: the token comes in the connection_init payload as
/// `{"Authorization": "Bearer <token>"}` (or `{"token": "<token>"}`).
pub async fn ws_handler(
    State(app): State<App>,
    Extension(schema): Extension<GreenroomSchema>,
    protocol: GraphQLProtocol,
    origin: Origin,
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
                    data.insert(origin);
                    let caller = match token {
                        Some(t) => Some(crate::auth::authenticate(&app.keys, app.store.as_ref(), &t).await),
                        None => None,
                    };
                    match caller {
                        Some(Ok(caller)) => data.insert(caller),
                        Some(Err(e)) => tracing::debug!(error = %e, "subscription connection without a valid token"),
                        None => tracing::debug!("subscription connection without a token"),
                    }
                    Ok(data)
                })
                .serve()
        })
}
