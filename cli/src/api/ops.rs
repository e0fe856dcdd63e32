//! Every operation the CLI sends: cynic query, mutation and subscription roots with their
//! variables. Commands call these through [`super::Client`]; nothing else builds GraphQL.
//! Lists are read a page at a time (`first`/`after`); mutations answer payloads.

use super::schema;
use super::types::*;

// ---- queries -----------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query")]
pub struct MeQuery {
    pub me: User,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct ServersVars {
    pub filter: Option<ServerFilter>,
    pub first: i32,
    pub after: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "ServersVars")]
pub struct ServersQuery {
    #[arguments(filter: $filter, first: $first, after: $after)]
    pub servers: ServerConnection,
}

/// One page of a list without a filter.
#[derive(cynic::QueryVariables, Debug)]
pub struct PageVars {
    pub first: i32,
    pub after: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "PageVars")]
pub struct TemplatesQuery {
    #[arguments(first: $first, after: $after)]
    pub action_templates: ActionTemplateConnection,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct ExecutionsVars {
    pub filter: Option<ExecutionFilter>,
    pub first: i32,
    pub after: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "ExecutionsVars")]
pub struct ExecutionsQuery {
    #[arguments(filter: $filter, first: $first, after: $after)]
    pub executions: ExecutionConnection,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct ExecutionIdVars {
    pub execution_id: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "ExecutionIdVars")]
pub struct ExecutionQuery {
    #[arguments(executionId: $execution_id)]
    pub execution: Option<Execution>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "ExecutionIdVars")]
pub struct LiveExecutionQuery {
    #[arguments(executionId: $execution_id)]
    #[cynic(rename = "execution")]
    pub live: Option<LiveExecution>,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct LogsVars {
    pub execution_id: String,
    pub server_id: Option<String>,
    pub offset: Option<i32>,
    pub after: Option<i32>,
    pub limit: i32,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "LogsVars")]
pub struct LogsQuery {
    #[arguments(executionId: $execution_id, serverId: $server_id, offset: $offset, after: $after, limit: $limit)]
    pub execution_logs: LogPage,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct StartVars {
    pub input: StartExecutionInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "StartVars")]
pub struct PreviewQuery {
    #[arguments(input: $input)]
    pub preview_execution: ExecutionPreview,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct LocksVars {
    pub active_only: bool,
    pub first: i32,
    pub after: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Query", variables = "LocksVars")]
pub struct LocksQuery {
    #[arguments(activeOnly: $active_only, first: $first, after: $after)]
    pub server_locks: ServerLockConnection,
}

// ---- mutations ---------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Mutation", variables = "StartVars")]
pub struct StartMutation {
    #[arguments(input: $input)]
    pub start_execution: ExecutionSummaryPayload,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Mutation", variables = "ExecutionIdVars")]
pub struct CancelMutation {
    #[arguments(executionId: $execution_id)]
    pub cancel_execution: ExecutionSummaryPayload,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct AcquireLockVars {
    pub input: AcquireLockInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Mutation", variables = "AcquireLockVars")]
pub struct AcquireLockMutation {
    #[arguments(input: $input)]
    pub acquire_lock: ServerLockPayload,
}

#[derive(cynic::QueryVariables, Debug)]
pub struct LockIdVars {
    pub lock_id: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Mutation", variables = "LockIdVars")]
pub struct ReleaseLockMutation {
    #[arguments(lockId: $lock_id)]
    pub release_lock: ServerLockPayload,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Mutation", variables = "LockIdVars")]
pub struct ForceReleaseLockMutation {
    #[arguments(lockId: $lock_id)]
    pub force_release_lock: ServerLockPayload,
}

// ---- subscriptions -----------------------------------------------------------------------

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Subscription", variables = "ExecutionIdVars")]
pub struct ExecutionUpdatesSubscription {
    #[arguments(executionId: $execution_id)]
    pub execution_updates: ExecutionEvent,
}
