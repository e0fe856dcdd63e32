//! The specification's WebSocket endpoints, as thin shims emitting JSON:
//! `/ws/executions/{id}` (what `executionUpdates` streams: a snapshot with the latest output,
//! then `output` lines and `update`s in order, closing once the execution is final) and `/ws/servers/status` (a snapshot of the servers, then each server as it
//! changes). Browsers cannot set headers on a WebSocket, so the token may also come as
//! `?token=`. A client too slow to keep up is told how many events it missed and gets a
//! fresh snapshot; it never slows the hub or other clients. A socket lives only as long as
//! its session: when the session ends or the token expires, it is closed with 4403.

use crate::app::App;
use crate::auth::{self, Caller};
use crate::bus::Event;
use crate::error::{Error, Query};
use crate::metrics::GaugeGuard;
use crate::model::{PageRequest, ServerFilter};
use crate::service::executions::{self, Live};
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    token: Option<String>,
}

async fn caller(app: &App, headers: &HeaderMap, q: &TokenQuery) -> Result<Caller, Error> {
    let token = super::bearer_of(headers)
        .map(str::to_string)
        .or_else(|| q.token.clone());
    let token = token.ok_or_else(|| {
        Error::Unauthenticated("a bearer token (header or ?token=) is required".into())
    })?;
    auth::authenticate(&app.keys, app.store.as_ref(), &token).await
}

/// Closes the socket because its session can no longer be used.
async fn session_over(socket: &mut WebSocket, why: &str) {
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: 4403,
            reason: why.into(),
        })))
        .await;
}

async fn send(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

pub async fn execution(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let caller = match caller(&app, &headers, &q).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let live = match executions::watch(&app, &caller, &id).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    upgrade.on_upgrade(move |mut socket| async move {
        let _held = GaugeGuard::hold(&app.metrics.subscriptions);
        let mut live = std::pin::pin!(live);
        let ended = crate::service::users::session_end(&app, &caller);
        tokio::pin!(ended);
        loop {
            let item = tokio::select! {
                item = live.next() => match item {
                    Some(item) => item,
                    None => break,
                },
                why = &mut ended => return session_over(&mut socket, why).await,
            };
            let msg = match item {
                Live::Snapshot(v, tail) => {
                    json!({"type": "snapshot", "execution": v.doc(), "output": tail})
                }
                Live::Update(v) => json!({"type": "update", "execution": v.doc()}),
                Live::Output(lines) => json!({"type": "output", "lines": *lines}),
                Live::Missed(n) => json!({"type": "missed", "events": n}),
            };
            if !send(&mut socket, msg).await {
                return;
            }
        }
        let _ = socket.send(Message::Close(None)).await;
    })
}

pub async fn servers(
    State(app): State<App>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let caller = match caller(&app, &headers, &q).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    upgrade.on_upgrade(move |mut socket| async move {
        let _held = GaugeGuard::hold(&app.metrics.subscriptions);
        let mut rx = app.bus.subscribe();
        let ended = crate::service::users::session_end(&app, &caller);
        tokio::pin!(ended);
        let snapshot = |app: App, tenant: String| async move {
            let page = PageRequest::new(Some(1), Some(PageRequest::MAX_PAGE_SIZE)).ok()?;
            let p = app
                .store
                .list_servers(&tenant, &ServerFilter::default(), page)
                .await
                .ok()?;
            Some(json!({"type": "snapshot", "servers": p.items, "total": p.total}))
        };
        let Some(first) = snapshot(app.clone(), caller.tenant_id.clone()).await else {
            return;
        };
        if !send(&mut socket, first).await {
            return;
        }
        loop {
            let event = tokio::select! {
                ev = rx.recv() => ev,
                why = &mut ended => return session_over(&mut socket, why).await,
            };
            let msg = match event {
                Ok(Event::Server {
                    tenant_id,
                    server_id,
                }) if tenant_id == caller.tenant_id => {
                    match app.store.get_server(&tenant_id, &server_id).await {
                        Ok(Some(s)) => json!({"type": "server", "server": s}),
                        Ok(None) => json!({"type": "removed", "server_id": server_id}),
                        Err(_) => continue,
                    }
                }
                Ok(Event::Resync) | Err(RecvError::Lagged(_)) => {
                    // Fell behind, or events may have been lost between replicas: say so
                    // (how many, 0 when not known) and send the whole list again.
                    let n = match &event {
                        Err(RecvError::Lagged(n)) => *n,
                        _ => 0,
                    };
                    if !send(&mut socket, json!({"type": "missed", "events": n})).await {
                        return;
                    }
                    match snapshot(app.clone(), caller.tenant_id.clone()).await {
                        Some(s) => s,
                        None => return,
                    }
                }
                Ok(_) => continue,
                Err(RecvError::Closed) => return,
            };
            if !send(&mut socket, msg).await {
                return;
            }
        }
    })
}
