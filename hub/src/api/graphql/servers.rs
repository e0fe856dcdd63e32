//! Server administration over GraphQL, as over REST: register a server ahead of its agent,
//! change its facts or put it in (and out of) maintenance, deregister it (admins).

use super::{Coded, app, caller, origin};
use crate::model::Server;
use crate::service::servers::{self, NewServer, ServerChange};
use async_graphql::{Context, InputObject, Object, Result};

/// A server registered before its agent enrolls (it enrolls under this id).
#[derive(InputObject)]
pub struct RegisterServerInput {
    pub server_id: String,
    /// One of dev, staging, uat, preprod.
    pub environment: String,
    pub hostname: Option<String>,
    pub ip_address: Option<String>,
    pub server_group: Option<String>,
    #[graphql(default)]
    pub tags: Vec<String>,
    #[graphql(default)]
    pub capabilities: Vec<String>,
}

/// What to change on a server; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateServerInput {
    pub hostname: Option<String>,
    pub ip_address: Option<String>,
    /// One of dev, staging, uat, preprod.
    pub environment: Option<String>,
    pub server_group: Option<String>,
    pub tags: Option<Vec<String>>,
    pub capabilities: Option<Vec<String>>,
    /// `true` puts the server in maintenance (its state reads MAINTENANCE); `false` takes
    /// it out.
    pub maintenance: Option<bool>,
}

#[derive(Default)]
pub struct ServerMutation;

#[Object]
impl ServerMutation {
    /// Admin: registers a server ahead of its agent.
    async fn register_server(
        &self,
        ctx: &Context<'_>,
        input: RegisterServerInput,
    ) -> Result<Server> {
        let new = NewServer {
            server_id: input.server_id,
            hostname: input.hostname,
            ip_address: input.ip_address,
            environment: input.environment,
            server_group: input.server_group,
            tags: input.tags,
            capabilities: input.capabilities,
        };
        servers::register(app(ctx)?, caller(ctx)?, new, origin(ctx))
            .await
            .coded()
    }

    /// Admin: changes a server's facts, or puts it in or out of maintenance.
    async fn update_server(
        &self,
        ctx: &Context<'_>,
        server_id: String,
        input: UpdateServerInput,
    ) -> Result<Server> {
        let change = ServerChange {
            hostname: input.hostname,
            ip_address: input.ip_address,
            environment: input.environment,
            server_group: input.server_group,
            tags: input.tags,
            capabilities: input.capabilities,
            maintenance: input.maintenance,
        };
        servers::update(app(ctx)?, caller(ctx)?, &server_id, change, origin(ctx))
            .await
            .coded()
    }

    /// Admin: deregisters a server; its agent's certificate stops working at its next
    /// request. True when it was deleted.
    async fn delete_server(&self, ctx: &Context<'_>, server_id: String) -> Result<bool> {
        servers::delete(app(ctx)?, caller(ctx)?, &server_id, origin(ctx))
            .await
            .coded()?;
        Ok(true)
    }
}
