//! Greenroom hub: the orchestrator. It keeps the truth in its store, hands jobs to agents that
//! long-poll it over mTLS, and serves operators a GraphQL API, REST shims and the dashboard.
//!
//! Map: `config` (the config file) → `server` (listeners) → `api` (users: GraphQL, REST) and
//! `agent_api` (agents) → `service` (the operations, permission checks, audit) → `store`
//! (truth) with `lifecycle` owning every status transition, and `bus` carrying wake-ups and
//! live events. `demo` runs a hub with real local agents.

pub mod agent_api;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bus;
pub mod ca;
pub mod config;
pub mod demo;
pub mod edge;
pub mod error;
pub mod lifecycle;
pub mod limits;
pub mod logging;
pub mod logs;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod seal;
pub mod server;
pub mod service;
pub mod singleton;
pub mod store;
pub mod template;
pub mod testkit;
