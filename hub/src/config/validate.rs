//! What a loaded configuration must hold: every field checked at load, every problem
//! reported at once, each naming its field (secrets never shown).

use super::*;

/// The longest `execution.delivery_timeout_seconds` taken: 30 days.
const MAX_DELIVERY_TIMEOUT: u64 = 30 * 24 * 3600;

impl Config {
    /// Every problem at once.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut p = Vec::new();
        if self.security.jwt_secret.len() < 32 {
            p.push("field `security.jwt_secret`: must be at least 32 characters".to_string());
        }
        if self.encryption_key().is_some_and(|k| k.len() < 32) {
            p.push("field `security.encryption_key`: must be at least 32 characters".to_string());
        }
        for proxy in &self.security.trusted_proxies {
            if parse_net(proxy).is_none() {
                p.push(format!(
                    "field `security.trusted_proxies`: {proxy:?} is not an address or a CIDR range (10.0.0.5, 10.0.0.0/8)"
                ));
            }
        }
        if self.security.tls_cert.is_some() != self.security.tls_key.is_some() {
            p.push("field `security.tls_cert` / `security.tls_key`: give both or neither".into());
        }
        if !(1..=720).contains(&self.security.enrollment_token_hours) {
            p.push(format!(
                "field `security.enrollment_token_hours`: must be between 1 and 720, got {}",
                self.security.enrollment_token_hours
            ));
        }
        if self.security.login_max_failures == 0
            || self.security.rate_limit_per_minute == 0
            || self.security.login_rate_limit_per_minute == 0
        {
            p.push(
                "field `security`: login_max_failures and the rate limits must be at least 1"
                    .into(),
            );
        }
        if self.security.graphql_cost_per_minute == 0 {
            p.push("field `security.graphql_cost_per_minute`: must be at least 1 (cost points a user may spend a minute)".into());
        }
        if self.security.graphql_persisted_queries == PersistedQueries::Allowlist {
            match self
                .security
                .persisted_queries_manifest(self.server.web_dir.as_deref())
            {
                None => p.push("field `security.graphql_persisted_queries`: `allowlist` needs `security.graphql_persisted_queries_manifest` (or `server.web_dir` with the dashboard's persisted-operations.json)".into()),
                Some(path) => {
                    if let Err(e) = crate::api::graphql::persisted::Allowlist::load(&path) {
                        p.push(format!("field `security.graphql_persisted_queries_manifest`: {e}"));
                    }
                }
            }
        }
        if self.security.token_expiry_hours == 0 {
            p.push("field `security.token_expiry_hours`: must be at least 1".into());
        }
        if let Some(url) = self.mongodb_url()
            && !(url.starts_with("mongodb://") || url.starts_with("mongodb+srv://"))
        {
            p.push(format!(
                "field `database.mongodb_url`: {:?} is not a MongoDB connection string (mongodb://host:port/…)",
                greenroom_proto::secrets::mask_connection_string(url)
            ));
        }
        if self.database.database_name.trim().is_empty()
            || self
                .database
                .database_name
                .contains(['/', '\\', '.', ' ', '"', '$'])
        {
            p.push(format!(
                "field `database.database_name`: {:?} is not a usable database name",
                self.database.database_name
            ));
        }
        if self.database.connection_pool_size == 0 {
            p.push("field `database.connection_pool_size`: must be at least 1".into());
        }
        if let Some(url) = self.redis_url() {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                p.push(format!(
                    "field `redis.url`: {:?} is not a Redis URL (redis://host:port/db or rediss://…)",
                    greenroom_proto::secrets::mask_connection_string(url)
                ));
            } else if self.mongodb_url().is_none() {
                p.push("field `redis.url`: replicas share their truth in MongoDB, so Redis needs `database.mongodb_url` too (the embedded SQLite store serves one hub, which needs no Redis)".into());
            }
        }
        for (field, name) in [
            ("redis.job_queue", &self.redis.job_queue),
            ("redis.pubsub_channel", &self.redis.pubsub_channel),
        ] {
            if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_whitespace) {
                p.push(format!(
                    "field `{field}`: {name:?} is not a usable channel name (1-200 characters, no spaces)"
                ));
            }
        }
        if self.redis.job_queue == self.redis.pubsub_channel {
            p.push("field `redis.job_queue`: must differ from `redis.pubsub_channel`".into());
        }
        if self.execution.delivery_timeout_seconds > MAX_DELIVERY_TIMEOUT {
            p.push(format!("field `execution.delivery_timeout_seconds`: must be at most {MAX_DELIVERY_TIMEOUT} (30 days); 0 waits for ever"));
        }
        if self.execution.lease_seconds < 5 {
            p.push("field `execution.lease_seconds`: must be at least 5".into());
        }
        if self.execution.lease_seconds <= self.execution.heartbeat_interval {
            p.push("field `execution.lease_seconds`: must be longer than `execution.heartbeat_interval` (heartbeats renew leases)".into());
        }
        if self.execution.lock_ttl_minutes == 0 || self.execution.lock_ttl_seconds == Some(0) {
            p.push("field `execution.lock_ttl_minutes`: must be at least 1".into());
        }
        if self.execution.max_concurrent_executions == 0 {
            p.push("field `execution.max_concurrent_executions`: must be at least 1".into());
        }
        if self.execution.heartbeat_interval == 0 {
            p.push("field `execution.heartbeat_interval`: must be at least 1".into());
        }
        if self.execution.offline_after_seconds <= self.execution.heartbeat_interval {
            p.push("field `execution.offline_after_seconds`: must be longer than `execution.heartbeat_interval`".into());
        }
        if !matches!(
            self.logging.level.to_ascii_uppercase().as_str(),
            "TRACE" | "DEBUG" | "INFO" | "WARN" | "WARNING" | "ERROR"
        ) {
            p.push(format!(
                "field `logging.level`: unknown level {:?} (use DEBUG, INFO, WARN or ERROR)",
                self.logging.level
            ));
        }
        if !matches!(self.logging.format.as_str(), "json" | "text") {
            p.push(format!(
                "field `logging.format`: unknown format {:?} (use json or text)",
                self.logging.format
            ));
        }
        if let Some(Err(e)) = self
            .logging
            .max_file_size
            .as_deref()
            .map(greenroom_proto::logfile::parse_size)
        {
            p.push(format!("field `logging.max_file_size`: {e}"));
        }
        if self.logging.retention_days == Some(0) {
            p.push(
                "field `logging.retention_days`: must be at least 1 (leave it out to keep logs)"
                    .into(),
            );
        }
        let n = &self.notifications;
        if n.max_attempts == 0 || n.retry_base_seconds == 0 || n.timeout_seconds == 0 {
            p.push("field `notifications`: max_attempts, retry_base_seconds and timeout_seconds must be at least 1".into());
        }
        if let Some(s) = &n.smtp {
            if s.host.trim().is_empty() || !s.from.contains('@') {
                p.push("field `notifications.smtp`: host and a from address are required".into());
            }
            if s.username.is_some() != s.password.is_some() {
                p.push("field `notifications.smtp`: give username and password together".into());
            }
        }
        if self.server.agent_hostnames.is_empty() {
            p.push("field `server.agent_hostnames`: at least one name is required".into());
        }
        if p.is_empty() {
            Ok(())
        } else {
            // A problem that quotes a value (a URL, an address) never shows a password in it.
            Err(p
                .iter()
                .map(|m| greenroom_proto::secrets::mask_secrets_in_text(m))
                .collect())
        }
    }
}
