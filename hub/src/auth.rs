//! User authentication: argon2 password hashes, short-lived JWT access tokens, rotating
//! refresh tokens, and the sessions both belong to. Every token carries its session's id;
//! a request is accepted only while the session lives, so ending a session (logout, a new
//! password, a disabled user, a replayed refresh token) ends every token of it at once.

use crate::error::{Error, Result};
use crate::model::{Role, Session, Timestamp, User};
use crate::store::{RefreshToken, RefreshUse, Store};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tid: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// Issued at, in milliseconds (sessions ended after it refuse the token).
    #[serde(default)]
    pub ims: i64,
    /// The session (sign-in) the token belongs to.
    #[serde(default)]
    pub sid: String,
}

/// Who is calling, proven by an access token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// When the token was issued (ms); sessions ended later refuse it.
    pub issued_ms: i64,
    pub email: String,
    pub tenant_id: String,
    pub role: Role,
    /// The sign-in the token belongs to (empty for the hub acting as itself).
    pub session_id: String,
    /// When the token stops working.
    pub expires_at: Option<Timestamp>,
}

impl Caller {
    /// A caller the hub acts as itself (a schedule's creator, an administrator's CLI verb).
    pub fn internal(email: &str, tenant_id: &str, role: Role) -> Self {
        Self {
            issued_ms: 0,
            email: email.into(),
            tenant_id: tenant_id.into(),
            role,
            session_id: String::new(),
            expires_at: None,
        }
    }

    /// Refuses callers below `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this needs the {} role; you are {}",
                role.as_str(),
                self.role.as_str()
            )))
        }
    }
}

/// The login response of the specification.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// The one answer to any access token that does not verify: callers learn nothing of why.
pub const INVALID_TOKEN: &str = "invalid token";

pub struct AuthKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl AuthKeys {
    pub fn new(secret: &str, access_hours: u64, refresh_days: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            access_ttl: Duration::hours(access_hours as i64),
            refresh_ttl: Duration::days(refresh_days as i64),
        }
    }

    /// Checks a bearer token's signature and expiry and returns its caller (as the token
    /// says; [`authenticate`] checks it against the store). Any failure is the same plain
    /// `invalid token`: the library's reason is logged at debug level only.
    pub fn verify(&self, token: &str) -> Result<Caller> {
        let mut v = Validation::new(jsonwebtoken::Algorithm::HS256);
        v.leeway = 5;
        let data = decode::<Claims>(token, &self.decoding, &v).map_err(|e| {
            tracing::debug!(error = %e, "access token refused");
            Error::Unauthenticated(INVALID_TOKEN.into())
        })?;
        Ok(Caller {
            issued_ms: data.claims.ims,
            email: data.claims.sub,
            tenant_id: data.claims.tid,
            role: data.claims.role,
            session_id: data.claims.sid,
            expires_at: chrono::DateTime::from_timestamp(data.claims.exp, 0),
        })
    }

    /// Starts a session for `user` (a sign-in) and issues its first pair of tokens.
    pub async fn sign_in(&self, store: &dyn Store, user: &User) -> Result<TokenPair> {
        let now = Utc::now();
        let session = Session {
            session_id: format!("ses_{}", random_token()),
            tenant_id: user.tenant_id.clone(),
            email: user.email.clone(),
            created_at: now,
            expires_at: now + self.refresh_ttl,
            ended_at: None,
            end_reason: None,
        };
        store.insert_session(&session).await?;
        self.issue(store, user, &session.session_id).await
    }

    /// Issues an access token and a refresh token of `session`.
    async fn issue(&self, store: &dyn Store, user: &User, session_id: &str) -> Result<TokenPair> {
        let now = Utc::now();
        let claims = Claims {
            sub: user.email.clone(),
            tid: user.tenant_id.clone(),
            role: user.role,
            iat: now.timestamp(),
            ims: now.timestamp_millis(),
            exp: (now + self.access_ttl).timestamp(),
            sid: session_id.to_string(),
        };
        let access_token =
            encode(&Header::default(), &claims, &self.encoding).map_err(Error::internal)?;
        let refresh_token = random_token();
        store
            .insert_refresh_token(&RefreshToken {
                token_hash: token_hash(&refresh_token),
                session_id: session_id.to_string(),
                email: user.email.clone(),
                tenant_id: user.tenant_id.clone(),
                expires_at: now + self.refresh_ttl,
            })
            .await?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: self.access_ttl.num_seconds().max(0) as u64,
        })
    }

    /// Exchanges a refresh token for a new pair of the same session; a replayed token ends
    /// the session (every token of that sign-in).
    pub async fn refresh(
        &self,
        store: &dyn Store,
        refresh_token: &str,
        now: Timestamp,
    ) -> Result<Refreshed> {
        Ok(
            match store
                .use_refresh_token(&token_hash(refresh_token), now)
                .await?
            {
                RefreshUse::Fresh(t) => match store.get_user(&t.tenant_id, &t.email).await? {
                    Some(user) if !user.disabled => {
                        Refreshed::Pair(self.issue(store, &user, &t.session_id).await?)
                    }
                    _ => Refreshed::Invalid,
                },
                RefreshUse::Reused {
                    session_id,
                    email,
                    tenant_id,
                } => {
                    tracing::warn!(%email, %session_id, "refresh token replayed; its session was ended");
                    Refreshed::Replayed {
                        email,
                        tenant_id,
                        session_id,
                    }
                }
                RefreshUse::Invalid => Refreshed::Invalid,
            },
        )
    }
}

/// What presenting a refresh token got.
#[derive(Debug)]
pub enum Refreshed {
    Pair(TokenPair),
    /// A spent token came back: its session has ended, every token of it with it.
    Replayed {
        email: String,
        tenant_id: String,
        session_id: String,
    },
    Invalid,
}

/// The caller of a bearer token: the token must verify, its session must live, and its
/// user must still exist and be enabled. The role is the user's current one.
pub async fn authenticate(keys: &AuthKeys, store: &dyn Store, token: &str) -> Result<Caller> {
    let caller = keys.verify(token)?;
    check_session(store, &caller, Utc::now()).await
}

/// Whether `caller`'s session and user still allow it at `now`; the caller with its
/// current role when they do.
pub async fn check_session(store: &dyn Store, caller: &Caller, now: Timestamp) -> Result<Caller> {
    let ended = || Error::Unauthenticated("this session has ended; sign in again".into());
    if caller.expires_at.is_some_and(|t| t <= now) {
        return Err(Error::Unauthenticated(INVALID_TOKEN.into()));
    }
    let session = store
        .get_session(&caller.session_id)
        .await?
        .filter(|s| s.tenant_id == caller.tenant_id && s.email == caller.email)
        .ok_or_else(ended)?;
    if !session.is_live(now) {
        return Err(ended());
    }
    let user = store
        .get_user(&caller.tenant_id, &caller.email)
        .await?
        .ok_or_else(ended)?;
    if user.disabled {
        return Err(Error::Unauthenticated("this account is disabled".into()));
    }
    if user
        .tokens_valid_after
        .is_some_and(|t| caller.issued_ms <= t.timestamp_millis())
    {
        return Err(ended());
    }
    Ok(Caller {
        role: user.role,
        ..caller.clone()
    })
}

/// 32 random bytes, URL-safe hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// How tokens are kept in the store: only their SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id hash (PHC string) of a password, computed off the async threads.
pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}

/// Checks a password against a stored hash; false on any mismatch or a malformed hash.
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (pw, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A password must be at least 12 characters.
pub fn check_password_strength(password: &str) -> Result<()> {
    if password.chars().count() < 12 {
        return Err(Error::invalid("password: must be at least 12 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong", &h).await);
        assert!(!verify_password("x", "not a hash").await);
    }

    #[tokio::test]
    async fn tokens_live_and_die_with_their_session() {
        let store = SqliteStore::in_memory().unwrap();
        let user = User::new("a@b.c", Role::Operator, "t1", "x".into());
        store.insert_user(&user).await.unwrap();
        let keys = AuthKeys::new(&"k".repeat(32), 1, 1);
        let pair = keys.sign_in(&store, &user).await.unwrap();
        let caller = authenticate(&keys, &store, &pair.access_token)
            .await
            .unwrap();
        assert_eq!(
            (
                caller.email.as_str(),
                caller.tenant_id.as_str(),
                caller.role
            ),
            ("a@b.c", "t1", Role::Operator)
        );
        // Another key: the same plain refusal, whatever the library says.
        let err = AuthKeys::new(&"z".repeat(32), 1, 1)
            .verify(&pair.access_token)
            .unwrap_err();
        assert_eq!(err.to_string(), INVALID_TOKEN);

        let Refreshed::Pair(second) = keys
            .refresh(&store, &pair.refresh_token, Utc::now())
            .await
            .unwrap()
        else {
            panic!("refresh failed")
        };
        // Replaying the first token ends the session: the second pair dies with it.
        assert!(matches!(
            keys.refresh(&store, &pair.refresh_token, Utc::now())
                .await
                .unwrap(),
            Refreshed::Replayed { .. }
        ));
        assert!(matches!(
            keys.refresh(&store, &second.refresh_token, Utc::now())
                .await
                .unwrap(),
            Refreshed::Invalid
        ));
        assert!(
            authenticate(&keys, &store, &second.access_token)
                .await
                .is_err()
        );
        assert!(
            authenticate(&keys, &store, &pair.access_token)
                .await
                .is_err()
        );
    }

    #[test]
    fn roles_are_ordered() {
        let c = Caller::internal("x", "t", Role::Operator);
        assert!(c.require(Role::Viewer).is_ok());
        assert!(c.require(Role::Admin).is_err());
    }
}
