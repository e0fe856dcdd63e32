//! Links between objects — a job's server, an execution's template and initiator, a
//! server's locks —
//! loaded in batches with async-graphql's DataLoader: every link of one kind asked for
//! while a response is resolved is one store call, whatever the number of objects. No
//! cache: loads within a few milliseconds of each other are batched, nothing is kept, so
//! a long-lived subscription never reads a stale record. Keys carry the tenant.

use super::{Coded, caller};
use crate::app::App;
use crate::model::{ActionTemplate, Role, Server, ServerLock, User};
use crate::store::StoreError;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use std::collections::HashMap;

/// A tenant and an id within it.
type Key = (String, String);

/// Groups keys by tenant (a batch is almost always one tenant's).
fn by_tenant(keys: &[Key]) -> HashMap<&str, Vec<String>> {
    let mut out: HashMap<&str, Vec<String>> = HashMap::new();
    for (t, id) in keys {
        out.entry(t.as_str()).or_default().push(id.clone());
    }
    out
}

pub struct ServerLoader(App);

impl Loader<Key> for ServerLoader {
    type Value = Server;
    type Error = StoreError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Server>, StoreError> {
        let mut out = HashMap::new();
        for (tenant, ids) in by_tenant(keys) {
            for s in self.0.store.get_servers(tenant, &ids).await? {
                out.insert((tenant.to_string(), s.server_id.clone()), s);
            }
        }
        Ok(out)
    }
}

/// Each server's locks, newest first (of the tenant's 500 newest, as `serverLocks`).
pub struct LockLoader(App);

impl Loader<Key> for LockLoader {
    type Value = Vec<ServerLock>;
    type Error = StoreError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, Vec<ServerLock>>, StoreError> {
        let mut out: HashMap<Key, Vec<ServerLock>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for tenant in by_tenant(keys).into_keys() {
            for l in self.0.store.list_locks(tenant, false).await? {
                if let Some(v) = out.get_mut(&(tenant.to_string(), l.server_id.clone())) {
                    v.push(l);
                }
            }
        }
        Ok(out)
    }
}

pub struct TemplateLoader(App);

impl Loader<Key> for TemplateLoader {
    type Value = ActionTemplate;
    type Error = StoreError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, ActionTemplate>, StoreError> {
        // A page of executions names a handful of templates: read at once.
        let found = futures::future::try_join_all(
            keys.iter()
                .map(|(t, id)| async move { self.0.store.get_template(t, id).await }),
        )
        .await?;
        Ok(keys
            .iter()
            .cloned()
            .zip(found)
            .filter_map(|(k, t)| Some((k, t?)))
            .collect())
    }
}

pub struct UserLoader(App);

impl Loader<Key> for UserLoader {
    type Value = User;
    type Error = StoreError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, User>, StoreError> {
        // A page of executions names a handful of initiators: read at once.
        let found = futures::future::try_join_all(
            keys.iter()
                .map(|(t, email)| async move { self.0.store.get_user(t, email).await }),
        )
        .await?;
        Ok(keys
            .iter()
            .cloned()
            .zip(found)
            .filter_map(|(k, u)| Some((k, u?)))
            .collect())
    }
}

/// The loaders, one set for the schema.
pub struct Loaders {
    servers: DataLoader<ServerLoader>,
    locks: DataLoader<LockLoader>,
    templates: DataLoader<TemplateLoader>,
    users: DataLoader<UserLoader>,
}

impl Loaders {
    pub fn new(app: App) -> Self {
        Loaders {
            servers: DataLoader::new(ServerLoader(app.clone()), tokio::spawn),
            locks: DataLoader::new(LockLoader(app.clone()), tokio::spawn),
            templates: DataLoader::new(TemplateLoader(app.clone()), tokio::spawn),
            users: DataLoader::new(UserLoader(app), tokio::spawn),
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

fn key(ctx: &Context<'_>, id: &str) -> Result<Key> {
    Ok((caller(ctx)?.tenant_id.clone(), id.to_string()))
}

/// The caller's tenant's server `id`, if it (still) exists.
pub async fn server(ctx: &Context<'_>, id: &str) -> Result<Option<Server>> {
    loaders(ctx)?.servers.load_one(key(ctx, id)?).await.coded()
}

/// Server `id`'s locks, newest first.
pub async fn locks(ctx: &Context<'_>, id: &str) -> Result<Vec<ServerLock>> {
    Ok(loaders(ctx)?
        .locks
        .load_one(key(ctx, id)?)
        .await
        .coded()?
        .unwrap_or_default())
}

/// The caller's tenant's template `id`, if it (still) exists.
pub async fn template(ctx: &Context<'_>, id: &str) -> Result<Option<ActionTemplate>> {
    loaders(ctx)?
        .templates
        .load_one(key(ctx, id)?)
        .await
        .coded()
}

/// The user `email` of the caller's tenant, if it (still) exists and the caller may see
/// them: admins see every user, others only themselves (as `users` and `node`).
pub async fn user(ctx: &Context<'_>, email: &str) -> Result<Option<User>> {
    let c = caller(ctx)?;
    if c.role != Role::Admin && !c.email.eq_ignore_ascii_case(email) {
        return Ok(None);
    }
    loaders(ctx)?
        .users
        .load_one(key(ctx, &email.to_lowercase())?)
        .await
        .coded()
}
