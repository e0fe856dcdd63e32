//! The CLI's one error type and the one table of exit codes.
//!
//! Every failure becomes one [`CliError`]: a message for a person (what is wrong and, where
//! it helps, what to do) and an [`Exit`] code for scripts. `main` prints the message and
//! exits with the code; nothing else decides an exit status.

use std::fmt;

/// Exit statuses, documented in `cli/README.md` and `greenroom --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; for `run`/`watch`: every target succeeded.
    Ok = 0,
    /// Anything else: an unexpected answer from the hub, a local file that cannot be written.
    Error = 1,
    /// Bad command line: unknown flag, bad `-p key=value`, bad duration or threshold.
    Usage = 2,
    /// The execution ended and at least one target did not succeed (failed, timed out,
    /// unreachable, skipped or cancelled while the execution itself was not).
    Failed = 3,
    /// The hub refused the request: invalid input, not permitted, not found (unknown
    /// server, template or execution), or a conflict (the server is already locked).
    Refused = 4,
    /// The execution was cancelled.
    Cancelled = 5,
    /// Not signed in, bad credentials, or the session expired or was ended.
    Auth = 6,
    /// The hub cannot be reached, or is unavailable or rate-limiting for now.
    Unreachable = 7,
    /// Interrupted (Ctrl-C) and detached: the execution goes on without this terminal.
    Detached = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// The exit-code table as help text (for `greenroom --help`).
pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0    success (run/watch: every target succeeded)
  1    unexpected error (an answer the CLI did not understand, a local file it could not write)
  2    bad command line (unknown flag, bad -p key=value, bad --ttl or threshold)
  3    the execution finished and at least one target did not succeed
  4    refused by the hub: invalid input, not permitted, unknown server/template/execution, conflict
  5    the execution was cancelled
  6    not signed in, bad credentials, or the session expired or ended
  7    the hub cannot be reached (or is unavailable / rate-limiting)
  130  interrupted and detached: the execution keeps running (reattach: greenroom watch ID)

Environment:
  GREENROOM_HUB      the hub's URL (instead of --hub or the stored login)
  GREENROOM_TOKEN    an access token (instead of --token or the stored login)
  GREENROOM_CA_CERT  a PEM file of extra CA certificates to trust for an https hub
  NO_COLOR           set to anything to turn colour off (as --no-color)";

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad command line that clap could not catch (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The hub could not be reached or is unavailable (exit 7).
    #[error("{0}")]
    Unreachable(String),
    /// Not signed in, bad credentials, or an ended session (exit 6).
    #[error("{0}")]
    Auth(String),
    /// The hub refused the request (exit 4). `code` is the hub's stable code.
    #[error("{message}")]
    Refused { code: String, message: String },
    /// Anything else (exit 1).
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) => Exit::Usage,
            CliError::Unreachable(_) => Exit::Unreachable,
            CliError::Auth(_) => Exit::Auth,
            CliError::Refused { .. } => Exit::Refused,
            CliError::Other(_) => Exit::Error,
        }
    }

    pub fn usage(m: impl fmt::Display) -> Self {
        CliError::Usage(m.to_string())
    }

    pub fn other(m: impl fmt::Display) -> Self {
        CliError::Other(m.to_string())
    }

    pub fn not_found(m: impl fmt::Display) -> Self {
        CliError::Refused {
            code: "not_found".into(),
            message: m.to_string(),
        }
    }

    /// An error named by the hub's stable code (REST `error.code`, GraphQL
    /// `extensions.code`, either case) with its message.
    pub fn from_hub_code(code: &str, message: &str) -> Self {
        let code = code.to_ascii_lowercase();
        let message = message.to_string();
        match code.as_str() {
            "unauthenticated" => CliError::Auth(format!(
                "the hub did not accept your credentials: {message} (sign in again with `greenroom login`)"
            )),
            "not_found" | "invalid_input" | "forbidden" | "conflict" | "payload_too_large" => {
                CliError::Refused { code, message }
            }
            "unavailable" | "rate_limited" => {
                CliError::Unreachable(format!("the hub is unavailable for now: {message}"))
            }
            _ => CliError::Other(format!(
                "the hub answered with an error ({code}): {message}"
            )),
        }
    }
}

pub type Result<T> = std::result::Result<T, CliError>;

/// The innermost cause of an error chain, which is usually the one a person understands
/// ("Connection refused (os error 111)").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_codes_map_to_exit_codes() {
        assert_eq!(
            CliError::from_hub_code("NOT_FOUND", "x").exit(),
            Exit::Refused
        );
        assert_eq!(
            CliError::from_hub_code("invalid_input", "x").exit(),
            Exit::Refused
        );
        assert_eq!(
            CliError::from_hub_code("FORBIDDEN", "x").exit(),
            Exit::Refused
        );
        assert_eq!(
            CliError::from_hub_code("conflict", "x").exit(),
            Exit::Refused
        );
        assert_eq!(
            CliError::from_hub_code("UNAUTHENTICATED", "x").exit(),
            Exit::Auth
        );
        assert_eq!(
            CliError::from_hub_code("unavailable", "x").exit(),
            Exit::Unreachable
        );
        assert_eq!(
            CliError::from_hub_code("RATE_LIMITED", "x").exit(),
            Exit::Unreachable
        );
        assert_eq!(CliError::from_hub_code("internal", "x").exit(), Exit::Error);
    }

    #[test]
    fn every_exit_code_is_in_the_help() {
        for e in [
            Exit::Ok,
            Exit::Error,
            Exit::Usage,
            Exit::Failed,
            Exit::Refused,
            Exit::Cancelled,
            Exit::Auth,
            Exit::Unreachable,
            Exit::Detached,
        ] {
            let needle = format!("\n  {:<4} ", e.code());
            assert!(EXIT_CODES_HELP.contains(&needle), "{e:?} missing from help");
        }
    }
}
