//! `executionUpdates` over the hub's `/graphql/ws` (the graphql-transport-ws protocol):
//! `connection_init` with the token, `subscribe`, then `next` events until `complete`.
//!
//! Close codes 4401/4403 (no or a refused token, or a session that ended) become
//! [`CliError::Auth`]; any other end before `complete` is [`CliError::Unreachable`], so a
//! follower can reconnect and resume.

use super::Hub;
use super::ops::{ExecutionIdVars, ExecutionUpdatesSubscription};
use super::types::ExecutionEvent;
use crate::error::{CliError, Result, root_cause};
use cynic::{GraphQlResponse, SubscriptionBuilder};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One live subscription to one execution.
pub struct ExecutionFeed {
    ws: Ws,
    done: bool,
    /// The hub closes a graphql-transport-ws connection whose client says nothing for 60 s
    /// (3008); we ping every [`PING_EVERY`] and give up after [`SILENT_AFTER`] of silence.
    ping: tokio::time::Interval,
    last_rx: tokio::time::Instant,
}

const PING_EVERY: Duration = Duration::from_secs(20);
const SILENT_AFTER: Duration = Duration::from_secs(75);

const SUBSCRIPTION_ID: &str = "1";

fn closed(code: u16, reason: &str) -> CliError {
    match code {
        4401 | 4403 => CliError::Auth(format!(
            "the hub ended the live connection: {}",
            if reason.is_empty() {
                "the token expired or the session ended"
            } else {
                reason
            }
        )),
        _ => CliError::Unreachable(format!(
            "the live connection to the hub closed ({code}{}{reason})",
            if reason.is_empty() { "" } else { ": " }
        )),
    }
}

impl ExecutionFeed {
    /// Connects, authenticates and subscribes to one execution's updates.
    pub async fn open(hub: &Hub, token: &str, execution_id: &str) -> Result<ExecutionFeed> {
        let url = hub.ws_url();
        let mut req = url
            .as_str()
            .into_client_request()
            .map_err(|e| CliError::other(format!("bad WebSocket URL {url}: {e}")))?;
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", http_value("graphql-transport-ws"));
        let connector = hub.tls.clone().map(tokio_tungstenite::Connector::Rustls);
        let connect = tokio_tungstenite::connect_async_tls_with_config(req, None, false, connector);
        let (mut ws, _) = tokio::time::timeout(Duration::from_secs(15), connect)
            .await
            .map_err(|_| {
                CliError::Unreachable(format!("the hub at {} did not answer in time", hub.url))
            })?
            .map_err(|e| {
                CliError::Unreachable(format!(
                    "cannot open the live connection to {}: {}",
                    url,
                    root_cause(&e)
                ))
            })?;
        let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
        send(&mut ws, init).await?;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.reset();
        let mut feed = ExecutionFeed {
            ws,
            done: false,
            ping,
            last_rx: tokio::time::Instant::now(),
        };
        // Wait for the ack (or a refusal).
        loop {
            match feed.next_message().await? {
                Incoming::Json(v) if v["type"] == "connection_ack" => break,
                Incoming::Json(v) if v["type"] == "ping" => {
                    send(&mut feed.ws, json!({"type": "pong"})).await?
                }
                Incoming::Json(_) => {}
                Incoming::Closed(code, reason) => return Err(closed(code, &reason)),
            }
        }
        let op = ExecutionUpdatesSubscription::build(ExecutionIdVars {
            execution_id: execution_id.to_string(),
        });
        let payload = serde_json::to_value(&op).map_err(CliError::other)?;
        send(
            &mut feed.ws,
            json!({"id": SUBSCRIPTION_ID, "type": "subscribe", "payload": payload}),
        )
        .await?;
        Ok(feed)
    }

    /// The next event; `None` once the hub completed the subscription (the execution
    /// reached its final state).
    pub async fn next(&mut self) -> Result<Option<ExecutionEvent>> {
        if self.done {
            return Ok(None);
        }
        loop {
            match self.next_message().await? {
                Incoming::Json(v) => match v["type"].as_str().unwrap_or("") {
                    "next" => {
                        let resp: GraphQlResponse<ExecutionUpdatesSubscription, Value> =
                            serde_json::from_value(v["payload"].clone()).map_err(|e| {
                                CliError::other(format!(
                                    "an update from the hub this CLI does not understand: {e}"
                                ))
                            })?;
                        if let Some(err) = resp.errors.as_ref().and_then(|e| e.first()) {
                            let code = err
                                .extensions
                                .as_ref()
                                .and_then(|x| x.get("code"))
                                .and_then(Value::as_str)
                                .unwrap_or("");
                            return Err(super::graphql_error(code, &err.message));
                        }
                        if let Some(data) = resp.data {
                            return Ok(Some(data.execution_updates));
                        }
                    }
                    "error" => {
                        let first = &v["payload"][0];
                        let code = first
                            .pointer("/extensions/code")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let message = first["message"].as_str().unwrap_or("subscription refused");
                        return Err(super::graphql_error(code, message));
                    }
                    "complete" => {
                        self.done = true;
                        let _ = self.ws.close(None).await;
                        return Ok(None);
                    }
                    "ping" => send(&mut self.ws, json!({"type": "pong"})).await?,
                    _ => {}
                },
                Incoming::Closed(code, reason) => return Err(closed(code, &reason)),
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        if !self.done {
            let _ = send(
                &mut self.ws,
                json!({"id": SUBSCRIPTION_ID, "type": "complete"}),
            )
            .await;
        }
        let _ = self.ws.close(None).await;
    }
}

fn http_value(s: &'static str) -> tokio_tungstenite::tungstenite::http::HeaderValue {
    tokio_tungstenite::tungstenite::http::HeaderValue::from_static(s)
}

enum Incoming {
    Json(Value),
    Closed(u16, String),
}

async fn send(ws: &mut Ws, v: Value) -> Result<()> {
    ws.send(Message::text(v.to_string())).await.map_err(|e| {
        CliError::Unreachable(format!("the live connection failed: {}", root_cause(&e)))
    })
}

impl ExecutionFeed {
    /// The next text frame as JSON, or how the socket closed; pings the hub meanwhile.
    async fn next_message(&mut self) -> Result<Incoming> {
        loop {
            let msg = tokio::select! {
                msg = self.ws.next() => msg,
                _ = self.ping.tick() => {
                    if self.last_rx.elapsed() > SILENT_AFTER {
                        return Err(CliError::Unreachable("the live connection to the hub went silent".into()));
                    }
                    send(&mut self.ws, json!({"type": "ping"})).await?;
                    continue;
                }
            };
            self.last_rx = tokio::time::Instant::now();
            match msg {
                None => return Ok(Incoming::Closed(1006, String::new())),
                Some(Err(e)) => {
                    return Err(CliError::Unreachable(format!(
                        "the live connection failed: {}",
                        root_cause(&e)
                    )));
                }
                Some(Ok(Message::Text(t))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&t) {
                        return Ok(Incoming::Json(v));
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Ok(match frame {
                        Some(f) => Incoming::Closed(u16::from(f.code), f.reason.to_string()),
                        None => Incoming::Closed(1005, String::new()),
                    });
                }
                Some(Ok(_)) => {}
            }
        }
    }
}
