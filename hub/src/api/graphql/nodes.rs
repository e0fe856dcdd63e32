//! Global object identification: every object a client may want to fetch again has an
//! opaque `id: ID!` (base64 of its type and its key) and is a `Node`; `node(id:)` and
//! `nodes(ids:)` fetch any of them, tenant-scoped and with the same role checks as their
//! own queries. The specification's ids stay fields of their own (`serverId`,
//! `executionId`, `templateId`, `lockId`, `scheduleId`, `ruleId`, `email`), and arguments
//! that take one of those also take the object's global `id` ([`key_of`]).

use super::notifications::RuleView;
use super::types::{ScheduleView, TemplateView};
use super::{Coded, app, caller};
use crate::error::Error;
use crate::model::{Role, Server, ServerLock, User};
use crate::service::executions::{self, ExecutionView};
use async_graphql::{Context, ErrorExtensions, ID, Interface, Result};
use base64::Engine;

/// An object with a global id.
// One value per `node` answer, built and dropped within the request: boxing the larger
// variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global id (opaque)."))]
pub enum Node {
    Server(Server),
    Execution(ExecutionView),
    ActionTemplate(TemplateView),
    ServerLock(ServerLock),
    Schedule(ScheduleView),
    User(User),
    NotificationRule(RuleView),
}

/// The global id of the object of GraphQL type `kind` whose own id is `key`.
pub fn global_id(kind: &str, key: &str) -> ID {
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

/// A global id's type and key, if it is one.
pub fn parse(id: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, key) = text.split_once(':')?;
    let known = [
        "Server",
        "Execution",
        "ActionTemplate",
        "ServerLock",
        "Schedule",
        "User",
        "NotificationRule",
    ];
    known
        .contains(&kind)
        .then(|| (kind.to_string(), key.to_string()))
}

/// An argument that names an object of type `kind`: its global id or its own id.
pub fn key_of(kind: &str, id: &str) -> String {
    match parse(id) {
        Some((k, key)) if k == kind => key,
        _ => id.to_string(),
    }
}

/// The object with global id `id`, if it exists and the caller may see it.
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Node>> {
    let Some((kind, key)) = parse(id) else {
        return Err(Error::invalid(format!("id: {id:?} is not a global id")).extend());
    };
    let (app, caller) = (app(ctx)?, caller(ctx)?);
    let tenant = &caller.tenant_id;
    let found = |r: crate::error::Result<Node>| match r {
        Ok(n) => Ok(Some(n)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.extend()),
    };
    Ok(match kind.as_str() {
        "Server" => app
            .store
            .get_server(tenant, &key)
            .await
            .coded()?
            .map(Node::Server),
        "Execution" => found(
            executions::view(app, caller, &key)
                .await
                .map(Node::Execution),
        )?,
        "ActionTemplate" => found(
            crate::service::templates::get(app, caller, &key)
                .await
                .map(|t| Node::ActionTemplate(TemplateView(t))),
        )?,
        "ServerLock" => app
            .store
            .get_lock(tenant, &key)
            .await
            .coded()?
            .map(Node::ServerLock),
        "Schedule" => app
            .store
            .get_schedule(tenant, &key)
            .await
            .coded()?
            .map(|s| Node::Schedule(ScheduleView(s))),
        "User" => {
            // Admins see every user of their tenant; others only themselves.
            if caller.email != key {
                caller.require(Role::Admin).coded()?;
            }
            app.store
                .get_user(tenant, &key)
                .await
                .coded()?
                .map(Node::User)
        }
        "NotificationRule" => found(
            crate::service::notifications::get(app, caller, &key)
                .await
                .map(|r| Node::NotificationRule(RuleView(r))),
        )?,
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_names_its_type_and_key_and_nothing_else_is_one() {
        let id = global_id("Server", "srv:01");
        assert_eq!(parse(&id), Some(("Server".into(), "srv:01".into())));
        assert_eq!(key_of("Server", &id), "srv:01");
        // A spec id passes through; so does another type's global id.
        assert_eq!(key_of("Server", "srv-01"), "srv-01");
        let other = global_id("Schedule", "s1");
        assert_eq!(key_of("Server", &other), other.0);
        assert_eq!(parse(&global_id("Nope", "x")), None);
        assert_eq!(parse("%%%"), None);
    }
}
