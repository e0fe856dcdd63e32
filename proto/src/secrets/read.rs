//! Reading the password values out of a connection string as the drivers would use them:
//! unquoted, unescaped, percent-decoded ([`super::connection_string_secrets`]).
//!
//! - `postgres://` / `postgresql://`: as tokio-postgres (and libpq) read a URL: the
//!   credentials run to the FIRST `@`, the password from the first `:`; `?password=`.
//! - every other URL (`mysql://`, `mariadb://`, …): as the WHATWG URL parser that
//!   mysql_async uses: the authority ends at `/`, `?` or `#`, the credentials at its LAST
//!   `@`. A URL that reads differently both ways yields both passwords.
//! - libpq key/value (`host=db password='a b'`), as tokio-postgres parses it.
//! - ADO / ODBC (`Server=db;Password={a;b}`), when the string has a `;`.

use super::is_password_key;
use percent_encoding::percent_decode_str;

/// Every password value of `conn`, the driver's reading first.
pub(super) fn secrets(conn: &str) -> Vec<String> {
    let conn = conn.trim();
    let mut out = Vec::new();
    match split_url(conn) {
        Some((scheme, rest)) => url(&scheme, rest, &mut out),
        None => {
            libpq(conn, &mut out);
            if conn.contains(';') {
                ado(conn, &mut out);
            }
        }
    }
    let mut seen = Vec::new();
    for s in out {
        if !s.is_empty() && !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `scheme://rest` → (lower-case scheme, rest).
fn split_url(conn: &str) -> Option<(String, &str)> {
    let (scheme, rest) = conn.split_once("://")?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'));
    valid.then(|| (scheme.to_ascii_lowercase(), rest))
}

fn url(scheme: &str, rest: &str, out: &mut Vec<String>) {
    // tokio-postgres: credentials up to the first `@` anywhere.
    let first_at = rest
        .split_once('@')
        .and_then(|(creds, _)| creds.split_once(':'))
        .map(|(_, pw)| decode(pw));
    // WHATWG: the authority ends at `/`, `?` or `#`; the credentials at its last `@`.
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let last_at = authority
        .rsplit_once('@')
        .and_then(|(creds, _)| creds.split_once(':'))
        .map(|(_, pw)| decode(pw));
    let postgres = matches!(scheme, "postgres" | "postgresql");
    let (driver, other) = if postgres {
        (first_at, last_at)
    } else {
        (last_at, first_at)
    };
    out.extend(driver);
    out.extend(other);
    let query = if postgres {
        rest.split_once('@')
            .map_or(rest, |(_, after)| after)
            .split_once('?')
            .map(|(_, q)| q)
    } else {
        rest.split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(q))
    };
    for pair in query.unwrap_or("").split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && is_password_key(&decode(k))
        {
            out.push(decode(v));
        }
    }
}

/// libpq key/value, as tokio-postgres's parser: `key = value` separated by whitespace; a
/// value is `'…'` or a word, `\` escaping the next character in both. Stops at the first
/// thing it cannot read.
fn libpq(conn: &str, out: &mut Vec<String>) {
    let mut it = conn.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            return;
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.next() != Some('=') {
            return;
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if_eq(&'\'').is_some() {
            loop {
                match it.next() {
                    None => return,
                    Some('\'') => break,
                    Some('\\') => value.extend(it.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = it.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(it.next());
                } else {
                    value.push(c);
                }
            }
        }
        if is_password_key(&key) {
            out.push(value);
        }
    }
}

/// ADO / ODBC: `key=value` separated by `;`; a value is `{…}` (`}}` for `}`), `"…"` (`""`
/// for `"`), `'…'` (`''` for `'`) or the text up to the next `;`, trimmed.
fn ado(conn: &str, out: &mut Vec<String>) {
    let mut rest = conn;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        let Some((key, after)) = rest.split_once('=') else {
            return;
        };
        let key = key.trim();
        let after = after.trim_start();
        let (value, next) = match after.chars().next() {
            Some(open @ ('{' | '"' | '\'')) => {
                let close = if open == '{' { '}' } else { open };
                closed_value(&after[1..], close)
            }
            _ => {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            }
        };
        if is_password_key(key) {
            out.push(value);
        }
        rest = next;
        if rest.is_empty() {
            return;
        }
    }
}

/// The text up to `close` (a doubled `close` stands for one), and what follows it.
fn closed_value(s: &str, close: char) -> (String, &str) {
    let mut value = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == close {
            if chars.next_if(|(_, n)| *n == close).is_some() {
                value.push(close);
                continue;
            }
            let after = &s[i + c.len_utf8()..];
            let next = after.find(';').map_or("", |p| &after[p..]);
            return (value, next);
        }
        value.push(c);
    }
    (value, "")
}
