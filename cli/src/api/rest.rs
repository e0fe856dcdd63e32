//! The `/api/v1` endpoints the CLI needs that GraphQL does not have: sign-in, refresh and
//! sign-out (`auth/login`, `auth/refresh`, `auth/logout`).

use super::Hub;
use crate::error::{CliError, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The hub's answer to a sign-in or a refresh.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
}

#[derive(Serialize)]
struct Login<'a> {
    email: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
}

/// The REST error body `{"error": {"code", "message"}}` (or a GraphQL-shaped one) as our
/// error, if it is one.
pub fn error_of(v: &Value) -> Option<CliError> {
    if let Some(e) = v.get("error") {
        let code = e.get("code")?.as_str()?;
        let message = e.get("message").and_then(Value::as_str).unwrap_or(code);
        return Some(CliError::from_hub_code(code, message));
    }
    let e = v.get("errors")?.get(0)?;
    let code = e
        .pointer("/extensions/code")
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = e.get("message").and_then(Value::as_str).unwrap_or(code);
    Some(CliError::from_hub_code(code, message))
}

async fn post(hub: &Hub, path: &str, token: Option<&str>, body: Value) -> Result<(u16, Value)> {
    let mut req = hub.http.post(format!("{}{path}", hub.url));
    if !body.is_null() {
        req = req.json(&body);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| hub.unreachable(&e))?;
    let status = resp.status().as_u16();
    let text = resp.bytes().await.map_err(|e| hub.unreachable(&e))?;
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&text).map_err(|_| {
            CliError::other(format!(
                "{}{path} answered {status} with something that is not JSON: is {} a Greenroom hub?",
                hub.url, hub.url
            ))
        })?
    };
    Ok((status, v))
}

fn pair(hub: &Hub, status: u16, v: Value) -> Result<TokenPair> {
    if status == 200 {
        return serde_json::from_value(v).map_err(|e| {
            CliError::other(format!("unexpected sign-in answer from {}: {e}", hub.url))
        });
    }
    Err(error_of(&v)
        .unwrap_or_else(|| CliError::other(format!("the hub at {} answered {status}", hub.url))))
}

/// Signs in; a new session.
pub async fn login(
    hub: &Hub,
    email: &str,
    password: &str,
    tenant: Option<&str>,
) -> Result<TokenPair> {
    let body = serde_json::to_value(Login {
        email,
        password,
        tenant,
    })
    .map_err(CliError::other)?;
    let (status, v) = post(hub, "/api/v1/auth/login", None, body).await?;
    match (status, error_of(&v)) {
        (401, _) => Err(CliError::Auth(format!(
            "sign-in refused: wrong email or password for {email} at {}",
            hub.url
        ))),
        (429, Some(e)) => Err(CliError::Unreachable(format!(
            "too many sign-in attempts: {e}"
        ))),
        _ => pair(hub, status, v),
    }
}

/// Exchanges a refresh token for a new pair (the old refresh token stops working).
pub async fn refresh(hub: &Hub, refresh_token: &str) -> Result<TokenPair> {
    let (status, v) = post(
        hub,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh_token}),
    )
    .await?;
    if status == 401 {
        return Err(CliError::Auth(format!(
            "your session at {} has expired or was ended; sign in again with `greenroom login`",
            hub.url
        )));
    }
    pair(hub, status, v)
}

/// Ends the session of this access token (every session of its user with `everywhere`).
pub async fn logout(hub: &Hub, access_token: &str, everywhere: bool) -> Result<()> {
    let path = if everywhere {
        "/api/v1/auth/logout?everywhere=true"
    } else {
        "/api/v1/auth/logout"
    };
    let (status, v) = post(hub, path, Some(access_token), Value::Null).await?;
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(error_of(&v).unwrap_or_else(|| CliError::other(format!("sign-out answered {status}"))))
}
