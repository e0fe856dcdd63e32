//! Registering, changing and removing servers on behalf of users.

use crate::app::App;
use crate::audit::{self, Origin, Resource};
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{
    Credentials, Role, Server, ServerConfiguration, ServerMetadata, ServerState, ServerStatus,
};
use serde::Deserialize;
use serde_json::json;

/// `POST /api/v1/servers`: pre-register a server; its agent enrolls into this record later.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServer {
    pub server_id: String,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub ip_address: Option<String>,
    pub environment: String,
    #[serde(default)]
    pub server_group: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// `PUT /api/v1/servers/{id}`: fields to change; absent ones stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerChange {
    pub hostname: Option<String>,
    pub ip_address: Option<String>,
    pub environment: Option<String>,
    pub server_group: Option<String>,
    pub tags: Option<Vec<String>>,
    pub capabilities: Option<Vec<String>>,
    /// `true` puts the server in maintenance (no new jobs are shown as idle); `false` takes it out.
    pub maintenance: Option<bool>,
}

pub const ENVIRONMENTS: [&str; 4] = ["dev", "staging", "uat", "preprod"];

fn check_environment(env: &str, problems: &mut Vec<String>) {
    if !ENVIRONMENTS.contains(&env) {
        problems.push(format!(
            "environment: {env:?} is not one of dev, staging, uat, preprod"
        ));
    }
}

fn check_tags(tags: &[String], problems: &mut Vec<String>) {
    if tags.len() > 64 {
        problems.push("tags: at most 64".into());
    }
    if let Some(t) = tags
        .iter()
        .find(|t| t.is_empty() || t.len() > 64 || t.chars().any(char::is_whitespace))
    {
        problems.push(format!(
            "tags: {t:?} must be 1-64 characters without spaces"
        ));
    }
}

pub async fn register(
    app: &App,
    caller: &Caller,
    new: NewServer,
    origin: &Origin,
) -> Result<Server> {
    caller.require(Role::Admin)?;
    let mut p = Vec::new();
    if let Err(e) = greenroom_pki::validate_server_id(&new.server_id) {
        p.push(format!("server_id: {e}"));
    }
    check_environment(&new.environment, &mut p);
    check_tags(&new.tags, &mut p);
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    let now = chrono::Utc::now();
    let server = Server {
        tenant_id: caller.tenant_id.clone(),
        hostname: new.hostname.unwrap_or_else(|| new.server_id.clone()),
        server_id: new.server_id,
        ip_address: new.ip_address.unwrap_or_default(),
        environment: new.environment,
        server_group: new.server_group.unwrap_or_default(),
        tags: new.tags,
        capabilities: new.capabilities,
        configuration: ServerConfiguration::default(),
        credentials: Credentials::default(),
        status: ServerStatus::default(),
        circuit: Default::default(),
        metadata: ServerMetadata {
            created_at: now,
            created_by: caller.email.clone(),
            updated_at: now,
            last_successful_execution: None,
        },
    };
    // Ids are per tenant: only a server of this tenant with the same id is a conflict.
    app.store
        .insert_server(&server)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Duplicate { .. } => {
                Error::Conflict(format!("server {} already exists", server.server_id))
            }
            other => other.into(),
        })?;
    let r = Resource {
        kind: "server",
        id: &server.server_id,
        name: Some(&server.hostname),
    };
    audit::by_caller(app, caller, origin, "server_registered", r, json!({})).await;
    app.bus.publish(Event::Server {
        tenant_id: server.tenant_id.clone(),
        server_id: server.server_id.clone(),
    });
    Ok(server)
}

pub async fn get(app: &App, caller: &Caller, server_id: &str) -> Result<Server> {
    app.store
        .get_server(&caller.tenant_id, server_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("server {server_id} not found")))
}

pub async fn update(
    app: &App,
    caller: &Caller,
    server_id: &str,
    change: ServerChange,
    origin: &Origin,
) -> Result<Server> {
    caller.require(Role::Admin)?;
    let mut p = Vec::new();
    if let Some(env) = &change.environment {
        check_environment(env, &mut p);
    }
    if let Some(tags) = &change.tags {
        check_tags(tags, &mut p);
    }
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    let details = serde_json::to_value(ServerChangeLog::from(&change)).unwrap_or_default();
    let apply = move |s: &mut Server| {
        if let Some(v) = &change.hostname {
            s.hostname = v.clone();
        }
        if let Some(v) = &change.ip_address {
            s.ip_address = v.clone();
        }
        if let Some(v) = &change.environment {
            s.environment = v.clone();
        }
        if let Some(v) = &change.server_group {
            s.server_group = v.clone();
        }
        if let Some(v) = &change.tags {
            s.tags = v.clone();
        }
        if let Some(v) = &change.capabilities {
            s.capabilities = v.clone();
        }
        match change.maintenance {
            Some(true) => s.status.current = ServerState::Maintenance,
            Some(false) if s.status.current == ServerState::Maintenance => {
                s.status.current = ServerState::Idle
            }
            _ => {}
        }
        s.metadata.updated_at = chrono::Utc::now();
    };
    let s = app
        .store
        .modify_server(&caller.tenant_id, server_id, std::sync::Arc::new(apply))
        .await?
        .ok_or_else(|| Error::NotFound(format!("server {server_id} not found")))?;
    let r = Resource {
        kind: "server",
        id: server_id,
        name: Some(&s.hostname),
    };
    audit::by_caller(app, caller, origin, "server_updated", r, details).await;
    app.bus.publish(Event::Server {
        tenant_id: s.tenant_id.clone(),
        server_id: s.server_id.clone(),
    });
    Ok(s)
}

/// What an update changed, for the audit log.
#[derive(serde::Serialize)]
struct ServerChangeLog {
    changed: Vec<&'static str>,
}

impl From<&ServerChange> for ServerChangeLog {
    fn from(c: &ServerChange) -> Self {
        let mut changed = Vec::new();
        for (name, set) in [
            ("hostname", c.hostname.is_some()),
            ("ip_address", c.ip_address.is_some()),
            ("environment", c.environment.is_some()),
            ("server_group", c.server_group.is_some()),
            ("tags", c.tags.is_some()),
            ("capabilities", c.capabilities.is_some()),
            ("maintenance", c.maintenance.is_some()),
        ] {
            if set {
                changed.push(name);
            }
        }
        Self { changed }
    }
}

/// Deregisters a server; its agent certificate stops working at its next request, and its
/// jobs still queued end unreachable.
pub async fn delete(app: &App, caller: &Caller, server_id: &str, origin: &Origin) -> Result<()> {
    caller.require(Role::Admin)?;
    if !app
        .store
        .delete_server(&caller.tenant_id, server_id)
        .await?
    {
        return Err(Error::NotFound(format!("server {server_id} not found")));
    }
    let r = Resource {
        kind: "server",
        id: server_id,
        name: None,
    };
    // Its queued jobs will never be taken: they end now, so their executions can end.
    let which = crate::store::UndeliveredJobs::OfServer {
        tenant_id: caller.tenant_id.clone(),
        server_id: server_id.to_string(),
    };
    let ended = super::agents::end_undelivered(app, &which).await?;
    audit::by_caller(
        app,
        caller,
        origin,
        "server_deregistered",
        r,
        json!({"pending_jobs_ended": ended}),
    )
    .await;
    app.bus.publish(Event::Server {
        tenant_id: caller.tenant_id.clone(),
        server_id: server_id.to_string(),
    });
    Ok(())
}
