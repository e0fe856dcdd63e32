//! The hub's operations, called by the REST shims, the GraphQL resolvers and the agent
//! endpoints alike; permission checks and auditing happen here, once.

pub mod agents;
pub mod audit;
pub mod executions;
pub mod locks;
pub mod notifications;
pub mod report;
pub mod schedules;
pub mod server_metrics;
pub mod servers;
pub mod templates;
pub mod users;
