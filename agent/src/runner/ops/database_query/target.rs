//! Which connection strings the agent accepts, and the one place that decides the driver.
//!
//! Accepted (after `env:VAR` is read from the agent's environment):
//! - `postgresql://…` / `postgres://…` URLs, and PostgreSQL key/value strings
//!   (`host=db port=5432 user=app password='a b' dbname=app`), both parsed by
//!   tokio-postgres;
//! - `mysql://…` and `mariadb://…` URLs (mysql_async; `mariadb:` is read as `mysql:`);
//! - `sqlite:PATH`, `sqlite://PATH`, `sqlite:///abs/path`.
//!
//! Anything else (ADO / ODBC strings, other schemes) is refused with a message naming the
//! accepted forms; the string itself is never repeated (it may hold a password).

/// The database a connection string names, ready for its driver.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A URL or key/value string for tokio-postgres, as given.
    Postgres(String),
    /// A `mysql://` URL for mysql_async.
    MySql(String),
    /// The path of an SQLite file.
    Sqlite(String),
}

/// The accepted forms, for error messages.
pub const ACCEPTED: &str = "postgresql://USER:PASSWORD@HOST:PORT/DB, mysql://… or mariadb://… URLs, PostgreSQL key/value (host=… dbname=… user=… password=…), sqlite:PATH, or env:VAR";

/// Decides the driver for `conn`; the error names what is wrong without quoting `conn`.
pub fn classify(conn: &str) -> Result<Target, String> {
    let conn = conn.trim();
    if conn.is_empty() {
        return Err(format!("connection_string: is empty; use {ACCEPTED}"));
    }
    if let Some((scheme, rest)) = conn.split_once("://") {
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'));
        if valid {
            return match scheme.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Ok(Target::Postgres(conn.to_string())),
                "mysql" => Ok(Target::MySql(conn.to_string())),
                "mariadb" => Ok(Target::MySql(format!("mysql://{rest}"))),
                "sqlite" => Ok(Target::Sqlite(sqlite_path(rest))),
                other => Err(format!(
                    "connection_string: the scheme {other:?} is not one this agent accepts (the string is not shown: it may hold a password); use {ACCEPTED}"
                )),
            };
        }
    }
    if conn.len() >= 7 && conn[..7].eq_ignore_ascii_case("sqlite:") {
        return Ok(Target::Sqlite(sqlite_path(&conn[7..])));
    }
    if looks_like_libpq(conn) {
        return Ok(Target::Postgres(conn.to_string()));
    }
    Err(format!(
        "connection_string: not a form this agent accepts (the string is not shown: it may hold a password); use {ACCEPTED}"
    ))
}

/// `PATH` of `sqlite:PATH` / `sqlite://PATH` (`sqlite:///abs` → `/abs`), without a query.
fn sqlite_path(rest: &str) -> String {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.split('?').next().unwrap_or("").to_string()
}

/// Whether `conn` reads as libpq key/value: it starts with a libpq keyword and `=`
/// (tokio-postgres then reports anything wrong further on).
fn looks_like_libpq(conn: &str) -> bool {
    const KEYS: &[&str] = &[
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "options",
        "application_name",
        "connect_timeout",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
        "channel_binding",
        "load_balance_hosts",
    ];
    let first_key: String = conn
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = conn.trim_start()[first_key.len()..].trim_start();
    KEYS.contains(&first_key.as_str()) && after.starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_forms_are_recognised() {
        let pg = "postgresql://app:pw@db/x";
        assert_eq!(classify(pg), Ok(Target::Postgres(pg.into())));
        assert_eq!(
            classify("POSTGRES://db/x"),
            Ok(Target::Postgres("POSTGRES://db/x".into()))
        );
        let kv = "host = db password = 'a b' dbname=x";
        assert_eq!(classify(kv), Ok(Target::Postgres(kv.into())));
        assert_eq!(
            classify("mariadb://root:pw@db/x"),
            Ok(Target::MySql("mysql://root:pw@db/x".into()))
        );
        assert_eq!(
            classify("sqlite:/var/x.db"),
            Ok(Target::Sqlite("/var/x.db".into()))
        );
        assert_eq!(
            classify("sqlite:///var/x.db?mode=ro"),
            Ok(Target::Sqlite("/var/x.db".into()))
        );
        assert_eq!(
            classify("sqlite:rel.db"),
            Ok(Target::Sqlite("rel.db".into()))
        );
    }

    #[test]
    fn other_forms_are_refused_without_echoing_the_string() {
        for conn in [
            "Server=db;Database=x;Password=s3cret-pw;",
            "oracle://app:s3cret-pw@db/x",
            "s3cret-pw",
            "",
        ] {
            let err = classify(conn).expect_err(conn);
            assert!(!err.contains("s3cret-pw"), "{err}");
            assert!(
                err.contains("sqlite:PATH") && err.starts_with("connection_string:"),
                "{err}"
            );
        }
        let err = classify("oracle://app:s3cret-pw@db/x").expect_err("scheme");
        assert!(err.contains("\"oracle\""), "{err}");
    }
}
