//! `GET /graphql/ws`: subscriptions over graphql-ws (and the legacy
//! subscriptions-transport-ws protocol).
//!
//! The token comes in `connection_init` (`{"Authorization": "Bearer <token>"}` or
//! `{"token": "<token>"}`); without one the socket is closed with 4401 (Unauthorized), with
//! one that does not authenticate with 4403 (Forbidden), as graphql-ws clients expect. Once
//! accepted, the connection lives only as long as its session: when the session ends
//! (logout, password change, a disabled user, a replayed refresh token) or the token
//! expires, the socket is closed with 4403 and every subscription on it ends.

use crate::app::App;
use crate::audit::Origin;
use crate::auth::Caller;
use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use std::time::Duration;

/// Marks a refused `connection_init` so the loop can close with the right code.
const REFUSED: &str = "greenroom-refused:";

pub async fn ws_handler(
    State(app): State<App>,
    Extension(schema): Extension<super::GreenroomSchema>,
    headers: axum::http::HeaderMap,
    origin: Origin,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The first protocol the client offers that we speak (graphql-transport-ws or the
    // legacy graphql-ws); graphql-ws when it names none.
    let protocol = headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok())
        .unwrap_or(WebSocketProtocols::GraphQLWS);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(app, schema, protocol, origin, socket))
}

fn token_of(payload: &serde_json::Value) -> Option<String> {
    ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(k).and_then(|v| v.as_str()))
        .map(|v| {
            v.trim_start_matches("Bearer ")
                .trim_start_matches("bearer ")
                .trim()
                .to_string()
        })
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .filter(|t| !t.is_empty())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn serve(
    app: App,
    schema: super::GreenroomSchema,
    protocol: WebSocketProtocols,
    origin: Origin,
    socket: WebSocket,
) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|m| futures::future::ready(m.is_ok()))
        .filter_map(|m| {
            futures::future::ready(match m {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let (caller_tx, mut caller_rx) = tokio::sync::watch::channel::<Option<Caller>>(None);
    let init_app = app.clone();
    let mut conn_data = Data::default();
    conn_data.insert(origin);
    let ws = async_graphql::http::WebSocket::new(schema, input, protocol)
        .connection_data(conn_data)
        .keepalive_timeout(Duration::from_secs(60))
        .on_connection_init(move |payload| async move {
            let Some(token) = token_of(&payload) else {
                return Err(format!("{REFUSED}4401:a token is required in connection_init").into());
            };
            match crate::auth::authenticate(&init_app.keys, init_app.store.as_ref(), &token).await {
                Ok(caller) => {
                    let _ = caller_tx.send(Some(caller.clone()));
                    let mut data = Data::default();
                    data.insert(caller);
                    Ok(data)
                }
                Err(e) => Err(format!("{REFUSED}4403:{}", e.public_message()).into()),
            }
        });
    futures::pin_mut!(ws);
    let mut ended: std::pin::Pin<Box<dyn std::future::Future<Output = &'static str> + Send>> =
        Box::pin(futures::future::pending());
    // Until `connection_init` is accepted (once), wait for the caller it brings.
    let mut awaiting_caller = true;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let Some(msg) = msg else { break };
                let (out, last) = match msg {
                    WsMessage::Text(text) => (Message::Text(text.into()), false),
                    WsMessage::Close(code, reason) => match reason.strip_prefix(REFUSED) {
                        Some(r) => {
                            let (code, why) = r.split_once(':').unwrap_or(("4403", r));
                            (close(code.parse().unwrap_or(4403), why), true)
                        }
                        None => (close(code, &reason), true),
                    },
                };
                if sink.send(out).await.is_err() || last {
                    break;
                }
            }
            changed = caller_rx.changed(), if awaiting_caller => {
                awaiting_caller = false;
                let caller = caller_rx.borrow().clone();
                if let (Ok(()), Some(caller)) = (changed, caller) {
                    let app = app.clone();
                    ended = Box::pin(async move {
                        crate::service::users::session_end(&app, &caller).await
                    });
                }
            }
            why = &mut ended => {
                let _ = sink.send(close(4403, why)).await;
                break;
            }
        }
    }
}
