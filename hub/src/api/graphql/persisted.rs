//! Persisted queries: with `security.graphql_persisted_queries: allowlist` the hub answers
//! only the documents of a manifest (a JSON object of SHA-256 hex → document, as GraphQL
//! Code Generator's `persisted-documents.json`; the dashboard ships its own as
//! `persisted-operations.json`).
//!
//! Hashes are hex, with or without the `sha256:` prefix codegen writes.
//!
//! A request names its document by hash (Apollo's `extensions.persistedQuery.sha256Hash`,
//! with or without `query`: a listed hash runs the manifest's text, whatever `query` says)
//! or sends a `query` whose SHA-256 is listed. Anything else is refused before parsing:
//! `PERSISTED_QUERY_NOT_FOUND` for an unknown hash without a query,
//! `PERSISTED_QUERY_NOT_ALLOWED` otherwise. With the option `off` any document is answered
//! and the hash is ignored (a hash without a query: `PERSISTED_QUERY_NOT_SUPPORTED`).
//!
//! HTTP requests are resolved by the handler (before `guard` parses them), WebSocket
//! subscriptions by the [`Check`] extension.

use super::guard::refusal;
use crate::config::Config;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerResult, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The documents a manifest allows, by SHA-256 (lower-case hex).
#[derive(Debug, Default)]
pub struct Allowlist {
    docs: HashMap<String, Arc<str>>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A hash as written in a manifest or a request: hex in either case, with or without the
/// `sha256:` prefix of the GraphQL-over-HTTP persisted-documents appendix.
fn normalise(hash: &str) -> String {
    let hash = hash.trim();
    hash.strip_prefix("sha256:")
        .unwrap_or(hash)
        .to_ascii_lowercase()
}

impl Allowlist {
    /// Reads a manifest; every entry's hash must be its document's SHA-256.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the manifest {}: {e}", path.display()))?;
        let entries: HashMap<String, String> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a persisted-query manifest (a JSON object of SHA-256 to document): {e}",
                path.display()
            )
        })?;
        let mut docs = HashMap::with_capacity(entries.len());
        for (hash, doc) in entries {
            let hash = normalise(&hash);
            if sha256_hex(&doc) != hash {
                return Err(format!(
                    "{}: entry {hash:?} is not the SHA-256 of its document",
                    path.display()
                ));
            }
            docs.insert(hash, Arc::from(doc));
        }
        Ok(Self { docs })
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

/// The hub's setting, shared by the HTTP handler (schema data) and [`Check`].
#[derive(Debug)]
pub enum Persisted {
    Off,
    Allowlist(Allowlist),
}

impl Persisted {
    /// As configured. The manifest was checked at load; should it have become unreadable
    /// since, nothing is allowed (fail closed) and the log says why.
    pub fn from_config(config: &Config) -> Self {
        match config
            .security
            .persisted_queries_manifest(config.server.web_dir.as_deref())
        {
            None => Self::Off,
            Some(path) => match Allowlist::load(&path) {
                Ok(list) => {
                    tracing::info!(documents = list.len(), manifest = %path.display(), "GraphQL answers persisted queries only");
                    Self::Allowlist(list)
                }
                Err(e) => {
                    tracing::error!(error = %e, "GraphQL persisted-query manifest unreadable: every document is refused");
                    Self::Allowlist(Allowlist::default())
                }
            },
        }
    }

    /// Puts the document to run into `request.query`, or refuses the request.
    pub fn resolve(&self, request: &mut Request) -> ServerResult<()> {
        let hash = request
            .extensions
            .0
            .get("persistedQuery")
            .and_then(|p| match p {
                Value::Object(o) => o.get("sha256Hash"),
                _ => None,
            })
            .and_then(|h| match h {
                Value::String(s) => Some(normalise(s)),
                _ => None,
            });
        let no_query = request.query.trim().is_empty();
        let list = match self {
            Self::Off if hash.is_some() && no_query => {
                return Err(refusal(
                    "PERSISTED_QUERY_NOT_SUPPORTED",
                    "persisted queries are off on this hub: send the document in `query`",
                ));
            }
            Self::Off => return Ok(()),
            Self::Allowlist(list) => list,
        };
        match hash {
            Some(h) => match list.docs.get(&h) {
                Some(doc) => {
                    request.query = doc.to_string();
                    Ok(())
                }
                None if no_query => Err(refusal(
                    "PERSISTED_QUERY_NOT_FOUND",
                    format!("no persisted query has the hash {h}"),
                )),
                None => Err(not_allowed()),
            },
            None if list.docs.contains_key(&sha256_hex(&request.query)) => Ok(()),
            None => Err(not_allowed()),
        }
    }
}

fn not_allowed() -> async_graphql::ServerError {
    refusal(
        "PERSISTED_QUERY_NOT_ALLOWED",
        "this hub answers only persisted queries: send the `extensions.persistedQuery.sha256Hash` of a listed document (or its exact text)",
    )
}

/// Resolves WebSocket subscriptions (HTTP requests were resolved by the handler, which
/// leaves them resolved: running this again changes nothing).
pub struct Check(pub Arc<Persisted>);

impl ExtensionFactory for Check {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Check(self.0.clone()))
    }
}

#[async_trait::async_trait]
impl Extension for Check {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.0.resolve(&mut request)?;
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(entries: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let map: HashMap<String, &str> = entries.iter().map(|d| (sha256_hex(d), *d)).collect();
        std::fs::write(&path, serde_json::to_string(&map).unwrap()).unwrap();
        (dir, path)
    }

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut r = Request::new(query);
        r.extensions.0.insert(
            "persistedQuery".into(),
            Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash})).unwrap(),
        );
        r
    }

    fn code(e: async_graphql::ServerError) -> String {
        e.extensions.unwrap().get("code").unwrap().to_string()
    }

    #[test]
    fn only_listed_documents_pass() {
        let doc = "query Me { me { email } }";
        let (_d, path) = manifest(&[doc]);
        let p = Persisted::Allowlist(Allowlist::load(&path).unwrap());
        let h = sha256_hex(doc);
        let mut r = with_hash("", &h);
        p.resolve(&mut r).unwrap();
        assert_eq!(r.query, doc, "a hash alone runs the listed text");
        let mut r = with_hash("{ anything }", &format!("sha256:{}", h.to_uppercase()));
        p.resolve(&mut r).unwrap();
        assert_eq!(r.query, doc, "a listed hash wins over the text sent");
        p.resolve(&mut Request::new(doc)).unwrap();
        assert!(
            code(
                p.resolve(&mut Request::new("{ me { email } }"))
                    .unwrap_err()
            )
            .contains("NOT_ALLOWED")
        );
        assert!(
            code(p.resolve(&mut with_hash("", &"0".repeat(64))).unwrap_err()).contains("NOT_FOUND")
        );
        assert!(
            code(p.resolve(&mut with_hash(doc, &"0".repeat(64))).unwrap_err())
                .contains("NOT_ALLOWED")
        );
        let off = Persisted::Off;
        off.resolve(&mut with_hash("{ me { email } }", "x"))
            .unwrap();
        assert!(code(off.resolve(&mut with_hash("", &h)).unwrap_err()).contains("NOT_SUPPORTED"));
    }

    #[test]
    fn a_manifest_whose_hashes_do_not_match_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, r#"{"abc": "{ me { email } }"}"#).unwrap();
        assert!(
            Allowlist::load(&path)
                .unwrap_err()
                .contains("not the SHA-256")
        );
        std::fs::write(&path, "[]").unwrap();
        assert!(
            Allowlist::load(&path)
                .unwrap_err()
                .contains("not a persisted-query manifest")
        );
        assert!(
            Allowlist::load(&dir.path().join("none.json"))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
