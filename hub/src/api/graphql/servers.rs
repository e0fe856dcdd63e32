//! Server administration over GraphQL, as over REST: register a server ahead of its agent,
//! change its facts or put it in (and out of) maintenance, deregister it (admins).

use super::mutation::ServerPayload;
use super::payloads::DeletePayload;
use super::{app, caller, origin};
use crate::service::servers::{self, NewServer, ServerChange};
use async_graphql::{Context, InputObject, Object, Result};

/// A server registered before its agent enrolls (it enrolls under this id).
#[derive(InputObject)]
pub struct RegisterServerInput {
    /// The server's id, unique within the tenant; its agent enrolls under it.
    pub server_id: String,
    /// One of dev, staging, uat, preprod.
    pub environment: String,
    /// Its host name until its agent reports one (the server id when not set).
    pub hostname: Option<String>,
    /// Its IP address until its agent reports one (empty when not set).
    pub ip_address: Option<String>,
    /// The group it belongs to (none when not set).
    pub server_group: Option<String>,
    /// Free-form labels: at most 64, each 1–64 characters without spaces.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// What its agent can do (e.g. `shell_execution`).
    #[graphql(default)]
    pub capabilities: Vec<String>,
}

/// What to change on a server; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateServerInput {
    /// A new host name (its agent's next heartbeat reports its own).
    pub hostname: Option<String>,
    /// A new IP address (its agent's next heartbeat reports its own).
    pub ip_address: Option<String>,
    /// One of dev, staging, uat, preprod.
    pub environment: Option<String>,
    /// A new group.
    pub server_group: Option<String>,
    /// The tags, replacing the current ones: at most 64, each 1–64 characters without
    /// spaces.
    pub tags: Option<Vec<String>>,
    /// The capabilities, replacing the current ones.
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
        #[graphql(desc = "The server to register.")] input: RegisterServerInput,
    ) -> Result<ServerPayload> {
        let new = NewServer {
            server_id: input.server_id,
            hostname: input.hostname,
            ip_address: input.ip_address,
            environment: input.environment,
            server_group: input.server_group,
            tags: input.tags,
            capabilities: input.capabilities,
        };
        let r = servers::register(app(ctx)?, caller(ctx)?, new, origin(ctx)).await;
        ServerPayload::of(r, &["input"])
    }

    /// Admin: changes a server's facts, or puts it in or out of maintenance.
    async fn update_server(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The server's id.")] server_id: String,
        #[graphql(desc = "What to change.")] input: UpdateServerInput,
    ) -> Result<ServerPayload> {
        let change = ServerChange {
            hostname: input.hostname,
            ip_address: input.ip_address,
            environment: input.environment,
            server_group: input.server_group,
            tags: input.tags,
            capabilities: input.capabilities,
            maintenance: input.maintenance,
        };
        let r = servers::update(app(ctx)?, caller(ctx)?, &server_id, change, origin(ctx)).await;
        ServerPayload::of(r, &["input"])
    }

    /// Admin: deregisters a server; its agent's certificate stops working at its next
    /// request, and its jobs still queued end `UNREACHABLE` at once.
    async fn delete_server(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The server to deregister.")] server_id: String,
    ) -> Result<DeletePayload> {
        let r = servers::delete(app(ctx)?, caller(ctx)?, &server_id, origin(ctx)).await;
        DeletePayload::of(r, &server_id, &[])
    }
}
