//! Which hub and which token a command uses, and keeping the token fresh.
//!
//! `--hub`/`GREENROOM_HUB` and `--token`/`GREENROOM_TOKEN` win over the stored login (for
//! scripts: the token is an access token, used as it is). Otherwise the stored login of
//! `greenroom login` is used: its access token while it has more than a minute left, then
//! a refresh (rotating the refresh token) under the store's lock.

use crate::api::Hub;
use crate::api::rest::{self, TokenPair};
use crate::credentials::{Credentials, Store};
use crate::error::{CliError, Result};
use std::sync::Mutex;

/// Refresh when the access token has less than this left.
const MARGIN_SECS: i64 = 60;

pub enum Session {
    /// A token given on the command line or in the environment.
    Token(String),
    /// The stored login (its hub is the one in use).
    Stored {
        store: Store,
        current: Mutex<Credentials>,
    },
}

/// Credentials made from a fresh token pair.
pub fn credentials_of(hub: &str, email: &str, pair: &TokenPair) -> Credentials {
    Credentials {
        hub: hub.to_string(),
        email: email.to_string(),
        refresh_token: pair.refresh_token.clone(),
        access_token: pair.access_token.clone(),
        access_expires_at: chrono::Utc::now()
            + chrono::Duration::seconds(i64::try_from(pair.expires_in).unwrap_or(i64::MAX / 2)),
    }
}

fn fresh(c: &Credentials) -> bool {
    c.access_expires_at - chrono::Utc::now() > chrono::Duration::seconds(MARGIN_SECS)
}

impl Session {
    pub fn can_renew(&self) -> bool {
        matches!(self, Session::Stored { .. })
    }

    fn current(&self) -> Option<Credentials> {
        match self {
            Session::Token(_) => None,
            Session::Stored { current, .. } => {
                Some(current.lock().unwrap_or_else(|p| p.into_inner()).clone())
            }
        }
    }

    /// A usable access token: the given one, or the stored one (refreshed when due).
    pub async fn access_token(&self, hub: &Hub) -> Result<String> {
        match self {
            Session::Token(t) => Ok(t.clone()),
            Session::Stored { .. } => {
                let c = self
                    .current()
                    .ok_or_else(|| CliError::other("no session"))?;
                if fresh(&c) {
                    return Ok(c.access_token);
                }
                self.refresh(hub, None).await
            }
        }
    }

    /// A new access token after the hub refused `refused`.
    pub async fn renew(&self, hub: &Hub, refused: &str) -> Result<String> {
        self.refresh(hub, Some(refused)).await
    }

    /// Under the store's lock: re-read the login; if another command already refreshed it
    /// (or it is still fresh and not the refused token), use that; else refresh and save.
    async fn refresh(&self, hub: &Hub, refused: Option<&str>) -> Result<String> {
        let Session::Stored { store, current } = self else {
            return Err(CliError::Auth("the token was refused".into()));
        };
        let store = store.clone();
        let _lock = tokio::task::spawn_blocking({
            let store = store.clone();
            move || store.lock()
        })
        .await
        .map_err(CliError::other)??;
        let on_disk = store.load()?.ok_or_else(|| {
            CliError::Auth("you are signed out: sign in with `greenroom login --hub URL`".into())
        })?;
        if on_disk.hub != hub.url {
            return Err(CliError::Auth(format!(
                "the stored login is for {}, not {}: sign in again",
                on_disk.hub, hub.url
            )));
        }
        let usable = fresh(&on_disk) && refused.is_none_or(|r| r != on_disk.access_token);
        let next = if usable {
            on_disk
        } else {
            let pair = rest::refresh(hub, &on_disk.refresh_token).await?;
            let next = credentials_of(&on_disk.hub, &on_disk.email, &pair);
            store.save(&next)?;
            next
        };
        let token = next.access_token.clone();
        *current.lock().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(token)
    }
}

/// What the global flags and the environment say.
pub struct Target<'a> {
    pub hub: Option<&'a str>,
    pub token: Option<&'a str>,
}

/// The hub URL and session for a command that needs to be signed in.
pub fn resolve(target: &Target<'_>) -> Result<(String, Session)> {
    let store = Store::locate();
    let stored = match &store {
        Ok(s) => s.load()?,
        Err(_) => None,
    };
    let hub = match (target.hub, &stored) {
        (Some(h), _) => crate::api::normalize_url(h)?,
        (None, Some(c)) => c.hub.clone(),
        (None, None) => {
            return Err(CliError::Auth(
                "not signed in: run `greenroom login --hub URL`, or set GREENROOM_HUB and GREENROOM_TOKEN"
                    .into(),
            ));
        }
    };
    if let Some(t) = target.token.filter(|t| !t.trim().is_empty()) {
        return Ok((hub, Session::Token(t.trim().to_string())));
    }
    match (stored, store) {
        (Some(c), Ok(store)) if c.hub == hub => Ok((
            hub,
            Session::Stored {
                store,
                current: Mutex::new(c),
            },
        )),
        (Some(c), _) => Err(CliError::Auth(format!(
            "not signed in to {hub} (the stored login is for {}): run `greenroom login --hub {hub}` or pass --token",
            c.hub
        ))),
        (None, _) => Err(CliError::Auth(format!(
            "not signed in to {hub}: run `greenroom login --hub {hub}`, or set GREENROOM_TOKEN"
        ))),
    }
}
