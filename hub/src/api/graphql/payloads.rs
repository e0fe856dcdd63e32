//! Mutation answers: every mutation returns a payload `{ <object>, userErrors }`. A problem
//! the caller can fix — input that is wrong, a record that does not exist, a conflict with
//! the current state — is a `UserError` (field path, code, message) next to a null object,
//! so a client reacts by code without parsing messages. Anything else (not signed in, not
//! allowed, the store unavailable, an internal fault) stays a top-level error with
//! `extensions.code`. Both draw their codes from one enum, [`ErrorCode`], which is also the
//! documented list of every `extensions.code` the API sends.

use crate::error::Error;
use async_graphql::{Enum, ErrorExtensions, SimpleObject};

/// Every code the API sends, in `userErrors[].code` and in a top-level error's
/// `extensions.code`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The input is wrong; the message says how (one error per problem).
    InvalidInput,
    /// A record the request names does not exist (or is not the caller's tenant's).
    NotFound,
    /// The request conflicts with the current state (a name already taken, a server
    /// already locked, a lock that can be extended no more).
    Conflict,
    /// No valid bearer token, or the user no longer exists.
    Unauthenticated,
    /// The caller's role does not allow this.
    Forbidden,
    /// Too many requests, executions or query cost; `Retry-After` says when to try again.
    RateLimited,
    /// The store or another dependency is busy or unreachable; try again.
    Unavailable,
    /// The hub's disk is full: nothing new can be stored until space is freed (what is stored
    /// can still be read).
    InsufficientStorage,
    /// The request body is too large.
    PayloadTooLarge,
    /// Something failed inside the hub (details are in its log, never in the answer).
    Internal,
    /// The HTTP request is not a GraphQL request (not JSON, batched, a subscription over
    /// HTTP).
    BadRequest,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document does not match the schema (unknown field, wrong argument type).
    GraphqlValidationFailed,
    /// The document is larger than the hub accepts: its size, or its fields, fragments or
    /// spreads once expanded.
    QueryTooLarge,
    /// The document nests deeper than the hub accepts.
    QueryTooDeep,
    /// The document asks for more than the cost limit.
    QueryTooCostly,
    /// Persisted-query mode: the document is not in the allowlist.
    PersistedQueryNotAllowed,
    /// Persisted-query mode: no document is known by this hash.
    PersistedQueryNotFound,
    /// A hash without a document, sent to a hub whose persisted-query allowlist is off.
    PersistedQueryNotSupported,
}

impl ErrorCode {
    /// The code of one of our errors (None for an agent's refusal, which GraphQL never sends).
    pub fn of(e: &Error) -> Self {
        match e {
            Error::NotFound(_) => Self::NotFound,
            Error::Invalid(_) => Self::InvalidInput,
            Error::Unauthenticated(_) | Error::AgentRefused { .. } => Self::Unauthenticated,
            Error::Forbidden(_) => Self::Forbidden,
            Error::Conflict(_) => Self::Conflict,
            Error::Unavailable(_) => Self::Unavailable,
            Error::InsufficientStorage(_) => Self::InsufficientStorage,
            Error::PayloadTooLarge(_) => Self::PayloadTooLarge,
            Error::RateLimited { .. } => Self::RateLimited,
            Error::Internal(_) => Self::Internal,
        }
    }
}

/// A problem with a mutation's request that the caller can fix.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The input field it is about, as a path from the mutation's arguments (e.g.
    /// `["input", "trigger", "cron"]`); null when it is about the request as a whole.
    pub field: Option<Vec<String>>,
    /// What kind of problem it is.
    pub code: ErrorCode,
    /// The problem, for people.
    pub message: String,
}

/// `target_servers` → `targetServers`.
fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One problem text (`"trigger.expression: not a cron expression"`) as a user error: a
/// leading snake_case name (dotted for nested fields) is the field, under `base`.
fn user_error(code: ErrorCode, text: &str, base: &[&str]) -> UserError {
    let field = text.split_once(": ").and_then(|(name, _)| {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.".contains(&b));
        ok.then(|| {
            base.iter()
                .map(|s| s.to_string())
                .chain(name.split('.').filter(|s| !s.is_empty()).map(camel))
                .collect()
        })
    });
    UserError {
        field,
        code,
        message: text.to_string(),
    }
}

/// Splits a service's answer into the payload's object and its user errors; errors the
/// caller cannot fix by changing the request stay top-level.
pub fn split<T>(
    r: crate::error::Result<T>,
    base: &[&str],
) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match r {
        Ok(v) => Ok((Some(v), vec![])),
        Err(Error::Invalid(problems)) => Ok((
            None,
            problems
                .iter()
                .map(|p| user_error(ErrorCode::InvalidInput, p, base))
                .collect(),
        )),
        Err(e @ (Error::NotFound(_) | Error::Conflict(_))) => Ok((
            None,
            vec![user_error(ErrorCode::of(&e), &e.public_message(), base)],
        )),
        Err(e) => Err(e.extend()),
    }
}

/// Declares a mutation payload: the object (null on user errors) and `userErrors`.
macro_rules! payload {
    ($(#[doc = $doc:literal])* $name:ident { $field:ident: $ty:ty }) => {
        $(#[doc = $doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The result; null when `userErrors` is not empty.
            pub $field: Option<$ty>,
            /// What was wrong with the request, one entry per problem; empty on success.
            pub user_errors: Vec<$crate::api::graphql::payloads::UserError>,
        }

        impl $name {
            /// The payload of a service's answer; `base` is the argument path the
            /// service's field names are under (e.g. `["input"]`).
            pub fn of(
                r: $crate::error::Result<$ty>,
                base: &[&str],
            ) -> async_graphql::Result<Self> {
                let ($field, user_errors) = $crate::api::graphql::payloads::split(r, base)?;
                Ok(Self { $field, user_errors })
            }
        }
    };
}
pub(crate) use payload;

/// The payload of a deletion: the id of what was deleted.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The id of the record deleted; null when `userErrors` is not empty.
    pub deleted_id: Option<String>,
    /// What was wrong with the request; empty on success.
    pub user_errors: Vec<UserError>,
}

impl DeletePayload {
    pub fn of(r: crate::error::Result<()>, id: &str, base: &[&str]) -> async_graphql::Result<Self> {
        let (done, user_errors) = split(r, base)?;
        Ok(Self {
            deleted_id: done.map(|()| id.to_string()),
            user_errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_naming_a_field_points_at_it_in_graphql_names() {
        let e = user_error(
            ErrorCode::InvalidInput,
            "target_servers: at most 10000",
            &["input"],
        );
        assert_eq!(
            e.field,
            Some(vec!["input".to_string(), "targetServers".to_string()])
        );
        let nested = user_error(ErrorCode::InvalidInput, "trigger.expression: bad", &[]);
        assert_eq!(
            nested.field,
            Some(vec!["trigger".to_string(), "expression".to_string()])
        );
        // Prose before a colon is not a field.
        let prose = user_error(ErrorCode::Conflict, "Server srv-1 is locked: by x", &[]);
        assert_eq!(prose.field, None);
    }

    #[test]
    fn fixable_errors_become_user_errors_and_the_rest_stay_top_level() {
        let (v, errs) = split::<()>(
            Err(Error::Invalid(vec!["name: required".into(), "x: y".into()])),
            &["input"],
        )
        .unwrap();
        assert!(v.is_none());
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.code == ErrorCode::InvalidInput));
        let (_, errs) = split::<()>(Err(Error::NotFound("no such lock".into())), &[]).unwrap();
        assert_eq!(errs[0].code, ErrorCode::NotFound);
        assert!(split::<()>(Err(Error::Forbidden("admins only".into())), &[]).is_err());
        assert!(split::<()>(Err(Error::internal("boom")), &[]).is_err());
    }
}
