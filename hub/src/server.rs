//! Running the hub: the API/dashboard listener, the agent mTLS listener, the bus (in-process,
//! or Redis with replicas), and the background work — the sweeper, the scheduler and the
//! notifier, each run by one replica at a time (`singleton`) — all stopped by one
//! cancellation token and awaited through one task tracker.

use crate::agent_api::{self, AgentConn};
use crate::api::{graphql, rest};
use crate::app::App;
use crate::ca::HubPki;
use crate::config::Config;
use crate::error::Error;
use crate::singleton::Leadership;
use crate::store::Counted;
use anyhow::Context as _;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;
use tower_http::set_header::SetResponseHeaderLayer;

/// A hub that is listening.
pub struct RunningHub {
    pub app: App,
    pub http_addr: SocketAddr,
    pub agent_addr: SocketAddr,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl RunningHub {
    /// Stops listening and the background work (singleton leases are given up, so another
    /// replica takes over at once), and waits for them to finish.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tasks.wait()).await;
    }
}

/// Opens the store and the CA, binds both listeners and starts serving.
pub async fn start(config: Config) -> anyhow::Result<RunningHub> {
    let data_dir = config.server.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let store = crate::store::open(&config)
        .await
        .map_err(|e| anyhow::anyhow!("store: {e}"))?;
    let pki_dir = data_dir.join("pki");
    let pki_version = crate::ca::shared::startup(store.as_ref(), &pki_dir)
        .await
        .context("certificate authority")?;
    let pki = HubPki::open(&pki_dir, &config.server.agent_hostnames)
        .context("certificate authority and agent listener TLS")?;
    let tls = pki.tls();
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut app = App::new(config.clone(), store, pki);
    if let Some(url) = config.redis_url() {
        let bus = crate::bus::redis::RedisBus::start(
            crate::bus::redis::RedisBusConfig {
                url: url.to_string(),
                events_channel: config.redis.pubsub_channel.clone(),
                wake_channel: config.redis.job_queue.clone(),
                replica: app.replica.to_string(),
                connected: app.metrics.bus_connected.clone(),
                dropped: app.metrics.bus_relay_dropped.clone(),
            },
            &tasks,
            cancel.clone(),
        )?;
        let limiter = crate::limits::RedisLimiter::new(url, &config.redis.pubsub_channel)?;
        app = app.shared(Arc::new(bus), Arc::new(limiter));
    }
    let replicated = config.redis_url().is_some();
    let leadership = |name: &'static str| {
        if replicated {
            Leadership::elect(&app, name, &tasks, cancel.clone())
        } else {
            Leadership::always(name)
        }
    };
    let (sweeper, scheduler, notifier) = (
        leadership("sweeper"),
        leadership("scheduler"),
        leadership("notifier"),
    );

    let http = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let agents = TcpListener::bind(config.server.agent_listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (server.agent_listen)",
                config.server.agent_listen
            )
        })?;
    let (http_addr, agent_addr) = (http.local_addr()?, agents.local_addr()?);
    app.agent_port
        .store(agent_addr.port(), std::sync::atomic::Ordering::Relaxed);

    let router = http_router(app.clone());
    match api_tls(&config)? {
        Some(tls) => {
            tasks.spawn(serve_tls(
                http,
                watch::channel(tls).1,
                router,
                cancel.clone(),
                false,
            ));
        }
        None => {
            let stop = cancel.clone();
            tasks.spawn(async move {
                let svc = router.into_make_service_with_connect_info::<SocketAddr>();
                let r = axum::serve(http, svc).with_graceful_shutdown(stop.cancelled_owned());
                if let Err(e) = r.await {
                    tracing::error!(error = %e, "API listener failed");
                }
            });
        }
    }
    tasks.spawn(serve_tls(
        agents,
        tls,
        agent_api::router(app.clone()),
        cancel.clone(),
        true,
    ));
    tasks.spawn(crate::ca::reload_loop(
        app.pki.clone(),
        app.store.clone(),
        pki_version,
        cancel.clone(),
    ));
    tasks.spawn(sweep_loop(app.clone(), sweeper, cancel.clone()));
    tasks.spawn(crate::notify::run(app.clone(), notifier, cancel.clone()));
    tasks.spawn(schedule_loop(app.clone(), scheduler, cancel.clone()));
    tracing::info!(%http_addr, %agent_addr, data_dir = %data_dir.display(), store = app.store.backend(), bus = app.bus.backend(), replica = %app.replica, "hub listening");
    Ok(RunningHub {
        app,
        http_addr,
        agent_addr,
        cancel,
        tasks,
    })
}

/// The API listener's TLS config, when `security.tls_cert` and `tls_key` are set.
fn api_tls(config: &Config) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
    let (Some(cert), Some(key)) = (&config.security.tls_cert, &config.security.tls_key) else {
        return Ok(None);
    };
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .with_context(|| format!("security.tls: cannot read {}", p.display()))
    };
    Ok(Some(
        greenroom_pki::plain_server_config(&read(cert)?, &read(key)?)
            .context("security.tls_cert / tls_key")?,
    ))
}

/// Every route of the API listener; tests can call it without a socket.
/// The dashboard's Content-Security-Policy: only its own origin (and its WebSocket).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self'; manifest-src 'self'; \
                   frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

/// Every route of the API listener; tests can call it without a socket.
pub fn http_router(app: App) -> Router {
    let schema = graphql::schema(Some(app.clone()));
    let web = web_service(app.config.server.web_dir.as_deref());
    let header = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let mut router = Router::new()
        // `/api/v1/*` (the paths are full) and Swagger UI at `/api/docs` reading its document.
        .merge(rest::router().layer(axum::extract::DefaultBodyLimit::max(1024 * 1024)))
        .merge(rest::openapi::swagger_ui())
        .route(
            "/graphql",
            get(graphql::http_handler).post(graphql::http_handler),
        )
        .route("/graphql/ws", get(graphql::ws_handler))
        .route("/ws/executions/{id}", get(crate::api::ws::execution))
        .route("/ws/servers/status", get(crate::api::ws::servers))
        .route(
            "/healthz",
            get(|| async {
                axum::Json(
                    serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
                )
            }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback_service(web)
        .layer(Extension(schema))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::edge::edge,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            count_requests,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP));
    if app.config.security.tls_cert.is_some() {
        router = router.layer(header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    let origins: Vec<HeaderValue> = app
        .config
        .security
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if !origins.is_empty() {
        router = router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([
                    axum::http::Method::GET,
                    axum::http::Method::POST,
                    axum::http::Method::PUT,
                    axum::http::Method::DELETE,
                ])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    router.with_state(app)
}

/// Counts and times every request, and gives it a request id (the caller's `X-Request-Id`
/// when it is sane, else a new one) that every log line of the request carries and the
/// response echoes.
async fn count_requests(
    State(app): State<App>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let path = req.uri().path();
    let api = if path.starts_with("/api/") {
        "rest"
    } else if path.starts_with("/graphql") {
        "graphql"
    } else if path.starts_with("/ws/") {
        "ws"
    } else {
        "other"
    };
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().as_str().to_string();
    // The route's template (`/api/v1/servers/{server_id}`), never the raw path: bounded labels.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // The client's address, once: the peer's, or what a trusted proxy says it was.
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = crate::limits::client_ip(peer, &forwarded, &app.trusted_proxies);
        req.extensions_mut().insert(crate::edge::ClientIp(ip));
    }
    let started = std::time::Instant::now();
    let mut resp = next.run(req).instrument(span).await;
    let status = resp.status();
    app.metrics
        .http_requests
        .with_label_values(&[api, status.as_str()])
        .inc();
    app.metrics
        .http_duration
        .with_label_values(&[api, &route, &method, status.as_str()])
        .observe(started.elapsed().as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    // A body refused for its size was not read to its end, so the connection cannot carry
    // another request: say so, or a keep-alive client reuses it and fails its next request.
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// The id of the request being served (see `count_requests`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

async fn readyz(State(app): State<App>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ready"})),
        )
            .into_response(),
        Err(e) => Error::Unavailable(format!(
            "store not ready: {}",
            Error::from(e).public_message()
        ))
        .into_response(),
    }
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let m = &app.metrics;
    for (gauge, counts) in [
        (&m.servers, app.store.count_by_state(Counted::Servers).await),
        (
            &m.executions,
            app.store.count_by_state(Counted::Executions).await,
        ),
        (&m.jobs, app.store.count_by_state(Counted::Jobs).await),
        (
            &m.queue_depth,
            app.store.count_by_state(Counted::Queue).await,
        ),
    ] {
        if let Ok(counts) = counts {
            gauge.reset();
            for (state, n) in counts {
                gauge.with_label_values(&[&state]).set(n as i64);
            }
        }
    }
    for priority in ["high", "normal", "low"] {
        m.queue_depth.with_label_values(&[priority]);
    }
    let cas = app.pki.current();
    m.ca_expiry.reset();
    for ca in [Some(&cas.active), cas.next.as_ref(), cas.retiring.as_ref()]
        .into_iter()
        .flatten()
    {
        m.ca_expiry
            .with_label_values(&[ca.role.as_str()])
            .set(ca.not_after.timestamp());
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

fn web_service(dir: Option<&std::path::Path>) -> Router {
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(d) => {
            let index = tower_http::services::ServeFile::new(d.join("index.html"));
            Router::new().fallback_service(tower_http::services::ServeDir::new(d).fallback(index))
        }
        None => Router::new().fallback(|| async {
            Html("<!doctype html><title>Greenroom</title><h1>Greenroom hub</h1><p>The dashboard is not built. Run <code>make web</code> (or <code>make run</code>) and set <code>server.web_dir</code>.</p>")
        }),
    }
}

/// Serves `router` over TLS on `listener`, each connection with the configuration `tls`
/// holds when it arrives (the agent listener's follows CA reloads). Each request carries
/// `ConnectInfo` (the peer's address) and, on the agent listener, the identity from the
/// client certificate.
async fn serve_tls(
    listener: TcpListener,
    tls: watch::Receiver<Arc<rustls::ServerConfig>>,
    router: Router,
    stop: CancellationToken,
    agents: bool,
) {
    let what = if agents { "agent" } else { "API" };
    loop {
        let (tcp, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "{what} listener accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => return,
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.borrow().clone());
        let router = router.clone();
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::warn!(peer = %addr, error = %e, "{what} TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!(peer = %addr, "{what} TLS handshake timed out");
                        return;
                    }
                };
            let certs = stream.get_ref().1.peer_certificates();
            let conn = agents.then(|| AgentConn {
                peer: certs.and_then(greenroom_pki::peer_identity),
                leaf: certs.and_then(|c| c.first()).map(|c| Arc::from(c.as_ref())),
                addr,
            });
            let svc = router.map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(addr));
                    if let Some(c) = &conn {
                        req.extensions_mut().insert(c.clone());
                    }
                    req
                },
            );
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(svc))
                .await
            {
                tracing::debug!(peer = %addr, error = %e, "{what} connection ended with an error");
            }
        });
    }
}

/// How often the hub re-verifies the audit chain on its own (for the metric and its alert).
const AUDIT_CHECK_EVERY: Duration = Duration::from_secs(300);

/// Writes the heartbeat samples this replica gathered (kept for the next try on failure).
async fn flush_samples(app: &App) {
    if let Err(e) = app.metrics_history.flush(app.store.as_ref()).await {
        tracing::warn!(error = %e, "writing servers' metric history failed; kept for the next try");
    }
}

async fn sweep_loop(app: App, lead: Leadership, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut audit = tokio::time::interval(AUDIT_CHECK_EVERY);
    let mut retention = tokio::time::interval(Duration::from_secs(3600));
    let mut samples = tokio::time::interval(crate::service::server_metrics::FLUSH_EVERY);
    loop {
        tokio::select! {
            // Every replica writes the heartbeat samples it gathered.
            _ = samples.tick() => flush_samples(&app).await,
            _ = tick.tick() => {
                if lead.held().is_some()
                    && let Err(e) = crate::service::agents::sweep(&app).await
                {
                    tracing::error!(error = %e, "sweep failed");
                }
            }
            // Every replica prunes its own log files; the sweeper's holder, old metrics.
            _ = retention.tick() => {
                if lead.held().is_some() {
                    match crate::service::server_metrics::prune(&app, chrono::Utc::now()).await {
                        Ok(0) => {}
                        Ok(removed) => tracing::debug!(removed, "dropped metric buckets past their retention"),
                        Err(e) => tracing::warn!(error = %e, "dropping old metric buckets failed"),
                    }
                }
                if let Some(days) = app.config.logging.retention_days {
                    let cutoff = std::time::SystemTime::now()
                        - Duration::from_secs(u64::from(days) * 86400);
                    let hub_log = app.config.log_file().map(|(p, _)| p.to_path_buf());
                    let data_dir = app.config.server.data_dir.clone();
                    let removed = tokio::task::spawn_blocking(move || {
                        crate::logs::prune(&data_dir, hub_log.as_deref(), cutoff)
                    })
                    .await
                    .unwrap_or(0);
                    if removed > 0 {
                        tracing::info!(removed, days, "removed log files past logging.retention_days");
                    }
                }
            }
            _ = audit.tick() => {
                if lead.held().is_some()
                    && let Err(e) = crate::audit::verify(&app).await
                {
                    tracing::error!(error = %e, "audit chain check failed");
                }
            }
            _ = stop.cancelled() => {
                flush_samples(&app).await;
                return;
            }
        }
    }
}

async fn schedule_loop(app: App, lead: Leadership, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if lead.held().is_some()
                    && let Err(e) = crate::service::schedules::tick(&app).await
                {
                    tracing::error!(error = %e, "scheduler tick failed");
                }
            }
            _ = stop.cancelled() => return,
        }
    }
}
