//! Keeping secrets out of what people see: password values in connection strings, wherever
//! they appear. Used by the hub (previews, the stored action, redaction of results) and the
//! agent (every text on the `database_query` path).
//!
//! - [`mask_connection_string`]: one connection string with every password value `***`.
//! - [`mask_secrets_in_text`]: the same over free text (a command line, an error message,
//!   program output) that may hold connection strings anywhere.
//! - [`connection_string_secrets`]: the password values as the drivers would use them
//!   (unquoted, unescaped, percent-decoded), to redact them wherever else they show up.
//!
//! Dialects: URLs (`scheme://user:password@host/db?password=…`, a raw `@`, `/` or `:` in
//! the password included), libpq key/value (`password = 'a b'`, `\` escapes), ADO / ODBC
//! (`Password=x;`, `Pwd={a;b}}c};`, `Password="a""b";`), and `KEY=value` assignments or
//! `--password=value` options in text. Password keys, any case: `password`, `passwd`,
//! `pwd`, `pass`, `passphrase`, and any key ending in one of those but `pass`
//! (`sslpassword`, `PGPASSWORD`, `MYSQL_PWD`, `db_pass`). Where dialects disagree on
//! where a value ends, the longer reading is masked.

mod read;
mod scan;

#[cfg(test)]
mod tests;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Whether `key` names a password (see the module docs).
pub fn is_password_key(key: &str) -> bool {
    let k = key.trim().trim_start_matches('-').to_ascii_lowercase();
    let k = k.rsplit(' ').next().unwrap_or("");
    k == "pass"
        || k.ends_with("_pass")
        || k.ends_with("-pass")
        || k.ends_with(".pass")
        || ["password", "passwd", "pwd", "passphrase"]
            .iter()
            .any(|p| k.ends_with(p))
}

/// The connection string with every password value replaced by `***`.
pub fn mask_connection_string(conn: &str) -> String {
    scan::apply(conn, &scan::ranges(conn, scan::Mode::Whole))
}

/// `text` with every password value of any connection string, `KEY=value` assignment or
/// option in it replaced by `***`.
pub fn mask_secrets_in_text(text: &str) -> String {
    scan::apply(text, &scan::ranges(text, scan::Mode::Text))
}

/// The password values of `conn` as written in it (quoted, escaped or percent-encoded):
/// what [`mask_connection_string`] replaces. A copy of one elsewhere in a text (a driver
/// echoing a parameter) is found by these, not by the decoded values.
pub fn connection_string_written_secrets(conn: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in scan::ranges(conn, scan::Mode::Whole) {
        let v = conn[r].to_string();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The password values of `conn` as the drivers would use them, the driver's reading
/// first (see `read` for the dialects); empty values are left out.
pub fn connection_string_secrets(conn: &str) -> Vec<String> {
    read::secrets(conn)
}

/// `text` with every occurrence of each secret replaced by `***` (longest first, so a
/// secret that contains another is replaced whole).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sorted
        .into_iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), MASK))
}
