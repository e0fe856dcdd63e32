//! Finding the byte ranges of password values in a connection string or in free text:
//! what [`super::mask_connection_string`] and [`super::mask_secrets_in_text`] replace.
//!
//! Two scans, whose ranges are merged:
//! - URL userinfo: after `scheme://`, from the first `:` to the LAST `@` of the URL (so a
//!   raw `@`, `/` or `:` in the password is covered whichever way a driver would split it).
//! - `key = value` pairs whose key is password-like ([`super::is_password_key`]): libpq
//!   (whitespace-separated, `'…'` with `\` escapes), ADO / ODBC (`;`-separated, `{…}` with
//!   `}}`, `"…"` with `""`), URL query parameters (`?password=…&`), environment and option
//!   style (`PGPASSWORD=…`, `--password=…`).
//!
//! Where dialects disagree on where a value ends, the longer reading is masked: too much
//! masked is a worse preview; too little is a leak.

use super::is_password_key;
use std::ops::Range;

/// How the end of the input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// The input is one connection string: a URL runs to its end; a `;` anywhere makes
    /// the ADO reading possible.
    Whole,
    /// Free text: a URL ends at whitespace, a value at the end of its line.
    Text,
}

/// The ranges to mask, sorted and merged.
pub(super) fn ranges(s: &str, mode: Mode) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    url_userinfo(s, mode, &mut out);
    key_values(s, mode, &mut out);
    merge(out)
}

/// `s` with every range replaced by `***`.
pub(super) fn apply(s: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for r in ranges {
        out.push_str(&s[at..r.start]);
        out.push_str(super::MASK);
        at = r.end;
    }
    out.push_str(&s[at..]);
    out
}

fn merge(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.retain(|r| r.start < r.end);
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')
}

/// Bytes a key may be made of (`User Id` is read by its last word, which is enough for
/// password-like keys).
pub(super) fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn url_userinfo(s: &str, mode: Mode, out: &mut Vec<Range<usize>>) {
    let b = s.as_bytes();
    for (sep, _) in s.match_indices("://") {
        let mut start = sep;
        while start > 0 && is_scheme_byte(b[start - 1]) {
            start -= 1;
        }
        while start < sep && !b[start].is_ascii_alphabetic() {
            start += 1;
        }
        // In free text a URL may come cut from its scheme (a parser quoting part of a
        // value: `"://app:pw@db/app"`); a whole string without a scheme is not a URL.
        if start == sep && mode == Mode::Whole {
            continue;
        }
        let auth = sep + 3;
        let end = match mode {
            Mode::Whole => s.len(),
            Mode::Text => text_url_end(s, auth),
        };
        let Some(at) = s[auth..end].rfind('@').map(|i| auth + i) else {
            continue;
        };
        if let Some(colon) = s[auth..at].find(':') {
            out.push(auth + colon + 1..at);
        }
    }
}

/// Where a URL whose authority starts at `auth` ends in free text: at whitespace, unless
/// what stands before it is `user:secret` with no `@` yet and an `@` follows on the same
/// line — a password with blanks, as a quoted command line holds it
/// (`psql "postgresql://app:my pass@db/app"`); then at the line's end (the longer reading).
/// A `/` before the blank, or digits alone after the `:`, read as `host:port`, not a password.
fn text_url_end(s: &str, auth: usize) -> usize {
    let token_end = s[auth..]
        .find(char::is_whitespace)
        .map_or(s.len(), |i| auth + i);
    let head = &s[auth..token_end];
    let line_end = s[auth..].find(['\n', '\r']).map_or(s.len(), |i| auth + i);
    // `user:secret`, not `host:port` (digits only).
    let user_then_secret = head
        .find(':')
        .is_some_and(|c| c > 0 && !head[c + 1..].bytes().all(|b| b.is_ascii_digit()));
    if !head.contains('@')
        && !head.contains('/')
        && user_then_secret
        && token_end < line_end
        && s[token_end..line_end].contains('@')
    {
        line_end
    } else {
        token_end
    }
}

fn key_values(s: &str, mode: Mode, out: &mut Vec<Range<usize>>) {
    let b = s.as_bytes();
    for (eq, _) in s.match_indices('=') {
        let mut key_end = eq;
        while key_end > 0 && is_blank(b[key_end - 1]) {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0 && is_key_byte(b[key_start - 1]) {
            key_start -= 1;
        }
        if key_start == key_end || !is_password_key(&s[key_start..key_end]) {
            continue;
        }
        let query = key_start > 0 && matches!(b[key_start - 1], b'?' | b'&');
        let mut before = key_start;
        while before > 0 && is_blank(b[before - 1]) {
            before -= 1;
        }
        let after_semicolon = before > 0 && b[before - 1] == b';';
        let mut v = eq + 1;
        while v < b.len() && is_blank(b[v]) {
            v += 1;
        }
        if v >= b.len() {
            continue;
        }
        let end = value_end(s, v, query, after_semicolon, mode);
        out.push(v..end);
    }
}

/// Where the value starting at `v` ends (exclusive).
fn value_end(s: &str, v: usize, query: bool, after_semicolon: bool, mode: Mode) -> usize {
    let b = s.as_bytes();
    let line_end = match mode {
        Mode::Whole => s.len(),
        Mode::Text => s[v..].find(['\n', '\r']).map_or(s.len(), |i| v + i),
    };
    if query {
        // In text too a query value may hold blanks (a quoted URL): it ends at `&` or the
        // line's end, as a `key=value` in text does.
        return s[v..line_end].find('&').map_or(line_end, |i| v + i);
    }
    let structured = match b[v] {
        b'\'' | b'"' => Some(quoted_end(b, v, line_end)),
        b'{' => Some(braced_end(b, v, line_end)),
        _ => None,
    };
    match structured {
        // A libpq value may go on after a closing quote or brace (`{a}b` is one word).
        Some(end) if end < line_end && !is_separator(b[end]) => {
            unquoted_end(s, end, line_end, after_semicolon, mode)
        }
        Some(end) => end,
        None => unquoted_end(s, v, line_end, after_semicolon, mode),
    }
}

fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b';'
}

/// After a `'…'` or `"…"` value: `\` escapes (libpq) and doubled quotes (ADO) are
/// honoured; unterminated, it runs to the end of the line.
fn quoted_end(b: &[u8], v: usize, line_end: usize) -> usize {
    let q = b[v];
    let mut i = v + 1;
    while i < line_end {
        if b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            if i + 1 < line_end && b[i + 1] == q {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    line_end
}

/// After an ODBC `{…}` value (`}}` is an escaped `}`).
fn braced_end(b: &[u8], v: usize, line_end: usize) -> usize {
    let mut i = v + 1;
    while i < line_end {
        if b[i] == b'}' {
            if i + 1 < line_end && b[i + 1] == b'}' {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    line_end
}

/// An unquoted value: libpq ends it at whitespace (`\` escapes), ADO at `;`. With no
/// whitespace before the `;`, the libpq reading is the longer one, unless the key came
/// after a `;` (only ADO does that). With whitespace first, the ADO reading wins where ADO
/// is likely: the `;` is followed by another `key=` or the end (in one connection string:
/// any `;`).
fn unquoted_end(s: &str, v: usize, line_end: usize, after_semicolon: bool, mode: Mode) -> usize {
    let b = s.as_bytes();
    let mut i = v;
    let (mut ws, mut semi) = (None, None);
    while i < line_end && (ws.is_none() || semi.is_none()) {
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b';' if semi.is_none() => semi = Some(i),
            c if c.is_ascii_whitespace() && ws.is_none() => ws = Some(i),
            _ => {}
        }
        i += 1;
    }
    if after_semicolon {
        // `…;Password=x`: only ADO / ODBC (or JDBC) puts a key after a `;`.
        return semi.unwrap_or(line_end);
    }
    let Some(ws) = ws else {
        // No whitespace: libpq takes it all (`;` included); ADO stops at the `;`.
        return line_end;
    };
    match semi {
        // `a;b c`: libpq reads `a;b`, ADO `a`.
        Some(p) if p < ws => ws,
        _ => {
            let ado =
                semi.is_some_and(|p| mode == Mode::Whole || key_or_end_follows(s, p + 1, line_end));
            if ado {
                semi.unwrap_or(line_end)
            } else if mode == Mode::Whole && !libpq_pair_follows(s, ws, line_end) {
                // `password=a b` is not valid libpq: mask the rest rather than leak `b`.
                line_end
            } else {
                ws
            }
        }
    }
}

/// Whether `s[at..]` (up to `line_end`) is blank or starts with `key=` (ADO keys may hold
/// spaces: `User Id=`).
fn key_or_end_follows(s: &str, at: usize, line_end: usize) -> bool {
    let rest = s[at.min(line_end)..line_end].trim_start();
    if rest.is_empty() {
        return true;
    }
    let key_len = rest
        .bytes()
        .take_while(|&c| is_key_byte(c) || c == b' ')
        .count();
    key_len > 0 && rest[key_len..].trim_start().starts_with('=')
}

/// Whether a libpq `key=` pair starts after some whitespace in `s[from..to]`.
fn libpq_pair_follows(s: &str, from: usize, to: usize) -> bool {
    s[from..to].split_whitespace().any(|word| {
        let key_len = word.bytes().take_while(|&c| is_key_byte(c)).count();
        key_len > 0 && word[key_len..].starts_with('=')
    }) || s[from..to].contains(" =")
}
