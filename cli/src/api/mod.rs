//! The query layer: everything that talks to the hub. `Hub` is the transport (HTTP for
//! GraphQL and the REST sign-in endpoints, TLS settings); [`Client`] is a hub plus a
//! session, with one method per operation the commands use. Commands never see HTTP,
//! GraphQL documents, connections, payloads or WebSocket frames: lists come back whole (or
//! up to a limit, read page by page with cursors, [`collect`]), and a mutation's
//! `userErrors` become the CLI's errors in one place ([`payload`]).
//!
//! GraphQL documents are built by cynic from the structs in `types` and `ops`, which are
//! checked against the checked-in `schema.graphql` at compile time. What the GraphQL API
//! lacks is taken from `/api/v1`: sign-in, refresh and sign-out (`rest`).

pub mod ops;
pub mod rest;
pub mod subscribe;
pub mod types;

#[cynic::schema("greenroom")]
pub mod schema {}

cynic::impl_scalar!(types::Timestamp, schema::DateTime);

use crate::error::{CliError, Result, root_cause};
use crate::session::Session;
use cynic::{GraphQlResponse, MutationBuilder, Operation, QueryBuilder};
use ops::*;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use types::*;

/// One hub: its base URL and how to reach it.
#[derive(Clone)]
pub struct Hub {
    /// Scheme, host and port (and path prefix, if any), without a trailing slash.
    pub url: String,
    http: reqwest::Client,
    /// For `https` hubs: the TLS settings shared by HTTP and the WebSocket.
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// Normalises what a person types as a hub address: a bare `host:port` means `http://` for
/// this machine (localhost, 127.x, [::1]) and `https://` otherwise; no trailing slash.
pub fn normalize_url(raw: &str) -> Result<String> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() {
        return Err(CliError::usage("the hub URL is empty"));
    }
    let url = if raw.contains("://") {
        raw.to_string()
    } else {
        let host = raw.split(['/', ':']).next().unwrap_or("");
        let local = host == "localhost" || host.starts_with("127.") || raw.starts_with("[::1]");
        format!("{}://{raw}", if local { "http" } else { "https" })
    };
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| CliError::usage(format!("bad hub URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(CliError::usage(format!(
            "bad hub URL {url:?}: expected http://HOST[:PORT] or https://HOST[:PORT]"
        )));
    }
    Ok(url)
}

fn tls_config(ca_cert: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read the CA file {}: {e}", path.display()))
        })?;
        let mut n = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| {
                CliError::usage(format!("bad PEM in the CA file {}: {e}", path.display()))
            })?;
            roots.add(cert).map_err(|e| {
                CliError::usage(format!("bad certificate in {}: {e}", path.display()))
            })?;
            n += 1;
        }
        if n == 0 {
            return Err(CliError::usage(format!(
                "no certificate found in the CA file {}",
                path.display()
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::other(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl Hub {
    pub fn new(url: &str, ca_cert: Option<&Path>) -> Result<Hub> {
        // reqwest and tungstenite are built without a default crypto provider: one, ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = normalize_url(url)?;
        let tls = if url.starts_with("https://") {
            Some(tls_config(ca_cert)?)
        } else {
            None
        };
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("greenroom-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = &tls {
            builder = builder.tls_backend_preconfigured((**tls).clone());
        }
        let http = builder
            .build()
            .map_err(|e| CliError::other(format!("HTTP client setup failed: {e}")))?;
        Ok(Hub { url, http, tls })
    }

    /// `ws://…/graphql/ws` or `wss://…/graphql/ws`.
    fn ws_url(&self) -> String {
        let rest = self
            .url
            .strip_prefix("https://")
            .map(|r| format!("wss://{r}"))
            .or_else(|| {
                self.url
                    .strip_prefix("http://")
                    .map(|r| format!("ws://{r}"))
            })
            .unwrap_or_else(|| self.url.clone());
        format!("{rest}/graphql/ws")
    }

    fn unreachable(&self, e: &reqwest::Error) -> CliError {
        if e.is_timeout() {
            return CliError::Unreachable(format!(
                "the hub at {} did not answer in time ({})",
                self.url,
                root_cause(e)
            ));
        }
        CliError::Unreachable(format!(
            "cannot reach the hub at {}: {}",
            self.url,
            root_cause(e)
        ))
    }

    /// Sends one GraphQL operation with this access token; the data, or the first error
    /// (by its `extensions.code`).
    pub async fn graphql<Q, V>(&self, token: &str, op: &Operation<Q, V>) -> Result<Q>
    where
        Q: DeserializeOwned,
        V: serde::Serialize,
    {
        let resp = self
            .http
            .post(format!("{}/graphql", self.url))
            .bearer_auth(token)
            .json(op)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.unreachable(&e))?;
        let parsed: std::result::Result<GraphQlResponse<Q, serde_json::Value>, _> =
            serde_json::from_slice(&body);
        match parsed {
            Ok(r) => {
                if let Some(e) = r.errors.as_ref().and_then(|es| es.first()) {
                    let code = e
                        .extensions
                        .as_ref()
                        .and_then(|x| x.get("code"))
                        .and_then(|c| c.as_str())
                        .unwrap_or("");
                    return Err(graphql_error(code, &e.message));
                }
                r.data.ok_or_else(|| {
                    CliError::other(format!("the hub answered {status} without data"))
                })
            }
            Err(e) => Err(self.not_graphql(status, &body, &e.to_string())),
        }
    }

    /// An answer that is not the GraphQL we expected: say what came back.
    fn not_graphql(&self, status: reqwest::StatusCode, body: &[u8], why: &str) -> CliError {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
            && let Some(err) = rest::error_of(&v)
        {
            return err;
        }
        match status.as_u16() {
            401 => CliError::Auth(
                "the hub did not accept your credentials; sign in again with `greenroom login`"
                    .into(),
            ),
            502..=504 => {
                CliError::Unreachable(format!("the hub at {} is unavailable ({status})", self.url))
            }
            404 => CliError::other(format!(
                "{} has no /graphql endpoint (404): is it a Greenroom hub?",
                self.url
            )),
            s if s >= 400 => CliError::other(format!("the hub at {} answered {status}", self.url)),
            _ => CliError::other(format!(
                "the answer of {} is not one this CLI understands ({why}): is the hub another version?",
                self.url
            )),
        }
    }
}

/// A GraphQL error: the hub's codes, plus the document-level ones.
fn graphql_error(code: &str, message: &str) -> CliError {
    match code {
        "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED" | "QUERY_INVALID" => {
            CliError::other(format!(
                "the hub did not accept this CLI's query ({message}): is the hub another version?"
            ))
        }
        "" => CliError::other(format!("the hub answered with an error: {message}")),
        c => CliError::from_hub_code(c, message),
    }
}

/// A hub and a session: one method per operation.
pub struct Client {
    pub hub: Hub,
    session: Session,
}

impl Client {
    pub fn new(hub: Hub, session: Session) -> Client {
        Client { hub, session }
    }

    /// Runs one operation; when the hub says the token no longer works and the session can
    /// renew it (a stored login), renews once and tries again.
    async fn run<Q, V>(&self, op: Operation<Q, V>) -> Result<Q>
    where
        Q: DeserializeOwned,
        V: serde::Serialize,
    {
        let token = self.session.access_token(&self.hub).await?;
        match self.hub.graphql(&token, &op).await {
            Err(CliError::Auth(_)) if self.session.can_renew() => {
                let token = self.session.renew(&self.hub, &token).await?;
                self.hub.graphql(&token, &op).await
            }
            r => r,
        }
    }

    /// A current access token (for the WebSocket).
    pub async fn access_token(&self) -> Result<String> {
        self.session.access_token(&self.hub).await
    }

    /// A fresh access token after the hub refused `old` (a stored login only).
    pub async fn renew_token(&self, old: &str) -> Result<String> {
        if self.session.can_renew() {
            self.session.renew(&self.hub, old).await
        } else {
            Err(CliError::Auth(
                "the hub ended the connection: the token expired or the session ended".into(),
            ))
        }
    }

    pub async fn me(&self) -> Result<User> {
        Ok(self.run(MeQuery::build(())).await?.me)
    }

    /// The servers `filter` selects: all of them, or the first `limit`.
    pub async fn servers(
        &self,
        filter: Option<ServerFilter>,
        limit: Option<usize>,
    ) -> Result<Listed<Server>> {
        collect(limit.unwrap_or(usize::MAX), SERVER_PAGE, |first, after| {
            let vars = ServersVars {
                filter: filter.clone(),
                first,
                after,
            };
            async move {
                let c = self.run(ServersQuery::build(vars)).await?.servers;
                Ok((c.nodes, c.page_info, c.total_count))
            }
        })
        .await
    }

    /// Every action template.
    pub async fn templates(&self) -> Result<Vec<ActionTemplate>> {
        let all = collect(usize::MAX, TEMPLATE_PAGE, |first, after| async move {
            let c = self
                .run(TemplatesQuery::build(PageVars { first, after }))
                .await?
                .action_templates;
            Ok((c.nodes, c.page_info, c.total_count))
        })
        .await?;
        Ok(all.items)
    }

    /// The newest `limit` executions `filter` selects.
    pub async fn executions(
        &self,
        filter: Option<ExecutionFilter>,
        limit: usize,
    ) -> Result<Listed<ExecutionSummary>> {
        collect(limit, EXECUTION_PAGE, |first, after| {
            let vars = ExecutionsVars {
                filter: filter.clone(),
                first,
                after,
            };
            async move {
                let c = self.run(ExecutionsQuery::build(vars)).await?.executions;
                Ok((c.nodes, c.page_info, c.total_count))
            }
        })
        .await
    }

    /// The execution, or a "not found" refusal naming it.
    pub async fn execution(&self, id: &str) -> Result<Execution> {
        let vars = ExecutionIdVars {
            execution_id: id.to_string(),
        };
        self.run(ExecutionQuery::build(vars))
            .await?
            .execution
            .ok_or_else(|| unknown_execution(id))
    }

    pub async fn live_execution(&self, id: &str) -> Result<LiveExecution> {
        let vars = ExecutionIdVars {
            execution_id: id.to_string(),
        };
        self.run(LiveExecutionQuery::build(vars))
            .await?
            .live
            .ok_or_else(|| unknown_execution(id))
    }

    pub async fn logs(&self, vars: LogsVars) -> Result<LogPage> {
        Ok(self.run(LogsQuery::build(vars)).await?.execution_logs)
    }

    pub async fn preview(&self, input: StartExecutionInput) -> Result<ExecutionPreview> {
        Ok(self
            .run(PreviewQuery::build(StartVars { input }))
            .await?
            .preview_execution)
    }

    pub async fn start(&self, input: StartExecutionInput) -> Result<ExecutionSummary> {
        let p = self
            .run(StartMutation::build(StartVars { input }))
            .await?
            .start_execution;
        payload(p.execution, p.user_errors)
    }

    pub async fn cancel(&self, id: &str) -> Result<ExecutionSummary> {
        let vars = ExecutionIdVars {
            execution_id: id.to_string(),
        };
        let p = self
            .run(CancelMutation::build(vars))
            .await?
            .cancel_execution;
        payload(p.execution, p.user_errors)
    }

    /// Every lock of the tenant, or the active ones only.
    pub async fn locks(&self, active_only: bool) -> Result<Vec<ServerLock>> {
        let all = collect(usize::MAX, LOCK_PAGE, |first, after| {
            let vars = LocksVars {
                active_only,
                first,
                after,
            };
            async move {
                let c = self.run(LocksQuery::build(vars)).await?.server_locks;
                Ok((c.nodes, c.page_info, c.total_count))
            }
        })
        .await?;
        Ok(all.items)
    }

    pub async fn acquire_lock(&self, input: AcquireLockInput) -> Result<ServerLock> {
        let p = self
            .run(AcquireLockMutation::build(AcquireLockVars { input }))
            .await?
            .acquire_lock;
        payload(p.lock, p.user_errors)
    }

    pub async fn release_lock(&self, lock_id: &str, force: bool) -> Result<ServerLock> {
        let vars = LockIdVars {
            lock_id: lock_id.to_string(),
        };
        let p = if force {
            self.run(ForceReleaseLockMutation::build(vars))
                .await?
                .force_release_lock
        } else {
            self.run(ReleaseLockMutation::build(vars))
                .await?
                .release_lock
        };
        payload(p.lock, p.user_errors)
    }

    /// Ends this session on the hub (REST: GraphQL has no logout).
    pub async fn logout(&self, everywhere: bool) -> Result<()> {
        let token = self.session.access_token(&self.hub).await?;
        rest::logout(&self.hub, &token, everywhere).await
    }
}

/// Items per request, well under the hub's query cost limit for each fragment (and its
/// 500 per page).
const SERVER_PAGE: i32 = 100;
const EXECUTION_PAGE: i32 = 100;
const TEMPLATE_PAGE: i32 = 100;
const LOCK_PAGE: i32 = 500;

/// A list read with [`collect`]: the items, and how many the whole list has.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// Reads a connection forwards: `fetch(first, after)` answers one page (its nodes, page
/// info and total count); follows `endCursor` while `hasNextPage`, until `limit` items
/// (`usize::MAX`: all of them).
async fn collect<T, F, Fut>(limit: usize, page_size: i32, mut fetch: F) -> Result<Listed<T>>
where
    F: FnMut(i32, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, PageInfo, i32)>>,
{
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let want = (limit - items.len()).min(page_size as usize) as i32;
        let (nodes, info, total) = fetch(want, after.clone()).await?;
        let got = nodes.len();
        items.extend(nodes);
        let next = info
            .end_cursor
            .filter(|c| info.has_next_page && after.as_ref() != Some(c));
        match next {
            Some(cursor) if got > 0 && items.len() < limit => after = Some(cursor),
            _ => {
                items.truncate(limit);
                let total = usize::try_from(total).unwrap_or(0).max(items.len());
                return Ok(Listed { items, total });
            }
        }
    }
}

/// A mutation's answer: its object, or its `userErrors` as the CLI's error (by the code of
/// the first, with every message) — the one place they are turned into errors, so a
/// refusal in a payload exits as the same refusal did as a top-level error.
fn payload<T>(object: Option<T>, errors: Vec<UserError>) -> Result<T> {
    if let Some(first) = errors.first() {
        let message = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(CliError::from_hub_code(first.code.as_str(), &message));
    }
    object.ok_or_else(|| {
        CliError::other(
            "the hub answered neither the result nor what was wrong: is the hub another version?",
        )
    })
}

fn unknown_execution(id: &str) -> CliError {
    CliError::not_found(format!(
        "unknown execution {id:?} (see `greenroom executions`)"
    ))
}

#[cfg(test)]
mod tests;
