//! User authentication: argon2 password hashes, short-lived JWT access tokens, and rotating
//! refresh tokens (a replayed refresh token revokes its whole family).

use crate::error::{Error, Result};
use crate::model::{Role, Timestamp, User};
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
}

/// Who is calling, proven by an access token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// When the token was issued (ms); sessions ended later refuse it.
    pub issued_ms: i64,
    pub email: String,
    pub tenant_id: String,
    pub role: Role,
}

impl Caller {
    /// A caller the hub acts as itself (a schedule's creator, an administrator's CLI verb).
    pub fn internal(email: &str, tenant_id: &str, role: Role) -> Self {
        Self {
            issued_ms: 0,
            email: email.into(),
            tenant_id: tenant_id.into(),
            role,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

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

    /// Checks a bearer token and returns its caller.
    pub fn verify(&self, token: &str) -> Result<Caller> {
        let mut v = Validation::new(jsonwebtoken::Algorithm::HS256);
        v.leeway = 5;
        let data = decode::<Claims>(token, &self.decoding, &v)
            .map_err(|e| Error::Unauthenticated(format!("invalid access token: {e}")))?;
        Ok(Caller {
            issued_ms: data.claims.ims,
            email: data.claims.sub,
            tenant_id: data.claims.tid,
            role: data.claims.role,
        })
    }

    /// Issues an access token and a refresh token (in `family`, or a new one).
    pub async fn issue(
        &self,
        store: &dyn Store,
        user: &User,
        family: Option<String>,
    ) -> Result<TokenPair> {
        let now = Utc::now();
        let claims = Claims {
            sub: user.email.clone(),
            tid: user.tenant_id.clone(),
            role: user.role,
            iat: now.timestamp(),
            ims: now.timestamp_millis(),
            exp: (now + self.access_ttl).timestamp(),
        };
        let access_token =
            encode(&Header::default(), &claims, &self.encoding).map_err(Error::internal)?;
        let refresh_token = random_token();
        store
            .insert_refresh_token(&RefreshToken {
                token_hash: token_hash(&refresh_token),
                family: family.unwrap_or_else(random_token),
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

    /// Exchanges a refresh token for a new pair; a replayed token revokes its family.
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
                RefreshUse::Fresh(t) => match store.user_by_email(&t.email).await? {
                    Some(user) if !user.disabled => {
                        Refreshed::Pair(self.issue(store, &user, Some(t.family)).await?)
                    }
                    _ => Refreshed::Invalid,
                },
                RefreshUse::Reused {
                    family,
                    email,
                    tenant_id,
                } => {
                    store.revoke_refresh_family(&family).await?;
                    tracing::warn!(%email, "refresh token replayed; its family was revoked");
                    Refreshed::Replayed { email, tenant_id }
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
    /// A spent token came back: every token of that sign-in is now revoked.
    Replayed {
        email: String,
        tenant_id: String,
    },
    Invalid,
}

/// The caller of a bearer token: the token must verify, and its user must still exist, be
/// enabled, and not have ended their sessions since the token was issued.
pub async fn authenticate(keys: &AuthKeys, store: &dyn Store, token: &str) -> Result<Caller> {
    let caller = keys.verify(token)?;
    let user = store
        .user_by_email(&caller.email)
        .await?
        .ok_or_else(|| Error::Unauthenticated("the user of this token no longer exists".into()))?;
    if user.disabled {
        return Err(Error::Unauthenticated("this account is disabled".into()));
    }
    if user
        .tokens_valid_after
        .is_some_and(|t| caller.issued_ms <= t.timestamp_millis())
    {
        return Err(Error::Unauthenticated(
            "this session has ended; sign in again".into(),
        ));
    }
    // The role and tenant are the user's current ones, not those in an older token.
    Ok(Caller {
        role: user.role,
        tenant_id: user.tenant_id,
        ..caller
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
    async fn access_tokens_verify_and_refresh_rotates_with_replay_detection() {
        let store = SqliteStore::in_memory().unwrap();
        let user = User::new("a@b.c", Role::Operator, "t1", "x".into());
        store.upsert_user(&user).await.unwrap();
        let keys = AuthKeys::new(&"k".repeat(32), 1, 1);
        let pair = keys.issue(&store, &user, None).await.unwrap();
        let caller = keys.verify(&pair.access_token).unwrap();
        assert_eq!(
            (
                caller.email.as_str(),
                caller.tenant_id.as_str(),
                caller.role
            ),
            ("a@b.c", "t1", Role::Operator)
        );
        assert!(
            AuthKeys::new(&"z".repeat(32), 1, 1)
                .verify(&pair.access_token)
                .is_err()
        );

        let Refreshed::Pair(second) = keys
            .refresh(&store, &pair.refresh_token, Utc::now())
            .await
            .unwrap()
        else {
            panic!("refresh failed")
        };
        // Replaying the first token fails and revokes the family, including the second token.
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
    }

    #[test]
    fn roles_are_ordered() {
        let c = Caller::internal("x", "t", Role::Operator);
        assert!(c.require(Role::Viewer).is_ok());
        assert!(c.require(Role::Admin).is_err());
    }
}
