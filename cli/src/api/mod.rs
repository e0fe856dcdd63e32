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
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalize_url("localhost:8000/").unwrap(),
            "http://localhost:8000"
        );
        assert_eq!(
            normalize_url("127.0.0.1:8000").unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            normalize_url("hub.example.com").unwrap(),
            "https://hub.example.com"
        );
        assert_eq!(
            normalize_url("http://hub.example.com:8000").unwrap(),
            "http://hub.example.com:8000"
        );
        assert!(normalize_url("ftp://x").is_err());
        assert!(normalize_url("").is_err());
    }

    #[test]
    fn ws_url_follows_the_scheme() {
        let h = Hub::new("http://127.0.0.1:8000", None).unwrap();
        assert_eq!(h.ws_url(), "ws://127.0.0.1:8000/graphql/ws");
    }

    /// Every operation the CLI sends, with placeholder variables.
    fn every_document() -> Vec<String> {
        use cynic::SubscriptionBuilder;
        let id = || ExecutionIdVars {
            execution_id: "x".into(),
        };
        let lock = || LockIdVars {
            lock_id: "x".into(),
        };
        let start = || StartVars {
            input: StartExecutionInput::default(),
        };
        vec![
            MeQuery::build(()).query,
            ServersQuery::build(ServersVars {
                filter: None,
                first: 1,
                after: None,
            })
            .query,
            TemplatesQuery::build(PageVars {
                first: 1,
                after: None,
            })
            .query,
            ExecutionsQuery::build(ExecutionsVars {
                filter: None,
                first: 1,
                after: None,
            })
            .query,
            ExecutionQuery::build(id()).query,
            LiveExecutionQuery::build(id()).query,
            LogsQuery::build(LogsVars {
                execution_id: "x".into(),
                server_id: None,
                offset: None,
                after: None,
                limit: 1,
            })
            .query,
            PreviewQuery::build(start()).query,
            LocksQuery::build(LocksVars {
                active_only: true,
                first: 1,
                after: None,
            })
            .query,
            StartMutation::build(start()).query,
            CancelMutation::build(id()).query,
            AcquireLockMutation::build(AcquireLockVars {
                input: AcquireLockInput {
                    server_id: "x".into(),
                    reason: "x".into(),
                    lock_type: LockType::Maintenance,
                    ttl_minutes: None,
                    max_extension_count: None,
                },
            })
            .query,
            ReleaseLockMutation::build(lock()).query,
            ForceReleaseLockMutation::build(lock()).query,
            ExecutionUpdatesSubscription::build(id())
                .query()
                .to_string(),
        ]
    }

    #[test]
    fn no_document_uses_a_deprecated_field_or_argument() {
        use cynic_parser::common::OperationType;
        use cynic_parser::executable::{Iter, Selection};
        use cynic_parser::type_system::{Definition, TypeDefinition};
        use std::collections::HashMap;

        let sdl =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
                .unwrap();
        let schema = cynic_parser::parse_type_system_document(&sdl).unwrap();
        fn deprecated<'a>(
            mut d: impl Iterator<Item = cynic_parser::type_system::Directive<'a>>,
        ) -> bool {
            d.any(|d| d.name() == "deprecated")
        }
        // (type, field) → (its type, deprecated?, deprecated arguments)
        let mut fields: HashMap<(String, String), (String, bool, Vec<String>)> = HashMap::new();
        for def in schema.definitions() {
            let (name, defs) = match def {
                Definition::Type(TypeDefinition::Object(o)) => (o.name(), o.fields()),
                Definition::Type(TypeDefinition::Interface(i)) => (i.name(), i.fields()),
                _ => continue,
            };
            for f in defs {
                let args = f
                    .arguments()
                    .filter(|a| deprecated(a.directives()))
                    .map(|a| a.name().to_string())
                    .collect();
                fields.insert(
                    (name.to_string(), f.name().to_string()),
                    (f.ty().name().to_string(), deprecated(f.directives()), args),
                );
            }
        }

        fn walk(
            ty: &str,
            set: Iter<'_, Selection<'_>>,
            fields: &HashMap<(String, String), (String, bool, Vec<String>)>,
            found: &mut Vec<String>,
        ) {
            for s in set {
                match s {
                    Selection::Field(f) if f.name() == "__typename" => {}
                    Selection::Field(f) => {
                        let key = (ty.to_string(), f.name().to_string());
                        let Some((of, dep, dep_args)) = fields.get(&key) else {
                            found.push(format!("{ty}.{} is not in the schema", f.name()));
                            continue;
                        };
                        if *dep {
                            found.push(format!("{ty}.{}", f.name()));
                        }
                        for a in f.arguments() {
                            if dep_args.iter().any(|d| d == a.name()) {
                                found.push(format!("{ty}.{}({}:)", f.name(), a.name()));
                            }
                        }
                        walk(of, f.selection_set(), fields, found);
                    }
                    Selection::InlineFragment(i) => walk(
                        i.type_condition().unwrap_or(ty),
                        i.selection_set(),
                        fields,
                        found,
                    ),
                    Selection::FragmentSpread(f) => {
                        found.push(format!("fragment spread {}", f.fragment_name()))
                    }
                }
            }
        }

        let docs = every_document();
        let mut found = Vec::new();
        let mut selected = 0;
        for text in &docs {
            let doc = cynic_parser::parse_executable_document(text).unwrap();
            for op in doc.operations() {
                let root = match op.operation_type() {
                    OperationType::Query => "Query",
                    OperationType::Mutation => "Mutation",
                    OperationType::Subscription => "Subscription",
                };
                selected += op.selection_set().count();
                walk(root, op.selection_set(), &fields, &mut found);
            }
        }
        assert_eq!(selected, docs.len(), "one root field per document");
        assert!(found.is_empty(), "deprecated or unknown: {found:?}");
        // The check itself sees deprecated fields (it would fail on the old documents).
        assert!(fields[&("Execution".into(), "action".into())].1);
        assert!(
            fields[&("Query".into(), "servers".into())]
                .2
                .contains(&"page".into())
        );
    }

    #[test]
    fn lists_are_read_with_cursors_and_mutations_with_user_errors() {
        let docs = every_document().join("\n");
        for needed in [
            "servers(filter: $filter, first: $first, after: $after)",
            "pageInfo",
            "hasNextPage",
            "endCursor",
            "totalCount",
            "userErrors",
            "... on ShellCommandAction",
            "parameterDefinitions",
            "templateId",
        ] {
            assert!(docs.contains(needed), "{needed} missing:\n{docs}");
        }
    }

    fn page(nodes: std::ops::Range<i32>, next: bool) -> Result<(Vec<i32>, PageInfo, i32)> {
        let end = nodes.end;
        Ok((
            nodes.collect(),
            PageInfo {
                has_next_page: next,
                end_cursor: Some(end.to_string()),
            },
            25,
        ))
    }

    #[tokio::test]
    async fn collect_follows_end_cursors_to_the_limit_or_the_end() {
        // A list of 25 served 10 at a time at most.
        let asked = std::sync::Mutex::new(Vec::new());
        let fetch = |first: i32, after: Option<String>| {
            asked.lock().unwrap().push((first, after.clone()));
            let from: i32 = after.map(|a| a.parse().unwrap()).unwrap_or(0);
            let to = (from + first.min(10)).min(25);
            async move { page(from..to, to < 25) }
        };
        let all = collect(usize::MAX, 10, fetch).await.unwrap();
        assert_eq!(all.items, (0..25).collect::<Vec<_>>());
        assert_eq!(all.total, 25);
        assert_eq!(
            *asked.lock().unwrap(),
            vec![(10, None), (10, Some("10".into())), (10, Some("20".into()))]
        );
        asked.lock().unwrap().clear();
        let some = collect(12, 10, fetch).await.unwrap();
        assert_eq!(some.items, (0..12).collect::<Vec<_>>());
        assert_eq!(some.total, 25);
        assert_eq!(
            *asked.lock().unwrap(),
            vec![(10, None), (2, Some("10".into()))]
        );
        // A cursor that does not move ends the reading instead of looping.
        let stuck = collect(usize::MAX, 10, |_, _| async { page(0..3, true) })
            .await
            .unwrap();
        assert_eq!(stuck.items.len(), 6);
    }

    #[test]
    fn user_errors_become_the_refusal_they_were_as_top_level_errors() {
        let err = |code: ErrorCode, message: &str| UserError {
            field: Some(vec!["input".into(), "targetServers".into()]),
            code,
            message: message.into(),
        };
        let e =
            payload::<()>(None, vec![err(ErrorCode::NotFound, "unknown server x")]).unwrap_err();
        assert_eq!(e.exit(), crate::error::Exit::Refused);
        assert!(
            matches!(&e, CliError::Refused { code, message } if code == "not_found" && message == "unknown server x"),
            "{e:?}"
        );
        let e = payload::<()>(
            None,
            vec![
                err(ErrorCode::InvalidInput, "reason: empty"),
                err(ErrorCode::InvalidInput, "ttl_minutes: too long"),
            ],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "reason: empty; ttl_minutes: too long");
        assert_eq!(e.exit(), crate::error::Exit::Refused);
        let e = payload::<()>(None, vec![err(ErrorCode::Conflict, "already locked")]).unwrap_err();
        assert_eq!(e.exit(), crate::error::Exit::Refused);
        // A code this CLI does not know is still an error, never a success.
        let e =
            payload::<()>(None, vec![err(ErrorCode::Other("NEW_CODE".into()), "?")]).unwrap_err();
        assert_eq!(e.exit(), crate::error::Exit::Error);
        assert_eq!(payload(Some(7), vec![]).unwrap(), 7);
        assert_eq!(
            payload::<()>(None, vec![]).unwrap_err().exit(),
            crate::error::Exit::Error
        );
    }

    #[test]
    fn queries_only_use_fields_of_the_schema() {
        // cynic checks fields at compile time; this checks the documents it builds.
        use cynic::SubscriptionBuilder;
        let op = ExecutionUpdatesSubscription::build(ExecutionIdVars {
            execution_id: "x".into(),
        });
        assert!(
            op.query()
                .contains("executionUpdates(executionId: $executionId)"),
            "{}",
            op.query()
        );
    }
}
