//! The GraphQL API: queries, mutations and subscriptions over `crate::service`, served at
//! `/graphql` (HTTP GET/POST) and `/graphql/ws` (graphql-ws and legacy protocols).

mod actions;
mod audit;
mod connections;
mod cost;
pub mod guard;
mod history;
mod http;
mod inputs;
mod int;
mod links;
mod mutation;
mod nodes;
mod notifications;
mod payloads;
pub mod persisted;
mod query;
mod schedules;
mod server;
mod servers;
mod subscription;
mod timing;
mod types;
mod ws;

pub use http::http_handler;
pub use subscription::SubscriptionRoot;
pub use ws::ws_handler;

use crate::app::App;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::Error;
use async_graphql::ErrorExtensions;
use async_graphql::{Context, Result, Schema};

/// Reads: servers, templates, executions and their output, locks, schedules, users,
/// notification rules and the audit log of the caller's tenant, and any object by its
/// global id.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(query::CoreQuery, notifications::NotificationQuery);

/// Changes. Each answers a payload with the object changed, or `userErrors` saying what was
/// wrong with the request.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    mutation::CoreMutation,
    notifications::NotificationMutation,
    servers::ServerMutation,
);

pub type GreenroomSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema; `app` is None only for exporting the SDL.
pub fn schema(app: Option<App>) -> GreenroomSchema {
    let mut b = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    // Depth is `guard`'s (introspection's own trees excluded); this is a backstop for
    // anything that reaches the schema another way.
    .limit_depth(32)
    // The chrono scalar's own description is the library's; this one says what the API sends.
    .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
        "An instant, as an RFC 3339 string. Answers are in UTC \
         (`2024-12-15T09:30:00.123+00:00`); inputs may carry any offset.",
    )
    .limit_complexity(guard::MAX_COST)
    .extension(guard::Guard)
    .extension(cost::CostReport {
        limit: guard::MAX_COST,
    });
    if let Some(app) = app {
        if !app.config.security.graphql_introspection {
            b = b.disable_introspection();
        }
        let persisted = std::sync::Arc::new(persisted::Persisted::from_config(&app.config));
        b = b.extension(persisted::Check(persisted.clone()));
        b = b.data(persisted);
        b = b.extension(timing::OperationTiming::new(app.metrics.clone()));
        b = b.data(links::Loaders::new(app.clone()));
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

impl<T> Coded<T> for crate::store::StoreResult<T> {
    fn coded(self) -> Result<T> {
        self.map_err(|e| Error::from(e).extend())
    }
}

pub(super) fn app<'a>(ctx: &Context<'a>) -> Result<&'a App> {
    ctx.data::<App>()
}

/// Audits the refused permissions of a response (as the REST edge does for 403s).
pub(super) async fn audit_refusals(
    app: &App,
    who: &Caller,
    origin: &Origin,
    resp: &async_graphql::Response,
) {
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
            origin,
        };
        crate::audit::record(
            app,
            &who.tenant_id,
            actor,
            "permission_denied",
            r,
            serde_json::json!({"role": who.role}),
            Some(&e.message),
        )
        .await;
    }
}
