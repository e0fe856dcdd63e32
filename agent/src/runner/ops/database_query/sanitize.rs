//! The one filter every text of the `database_query` path goes through before it reaches
//! the result (output, error output, checks), the live output or a log line: the
//! connection string itself becomes its masked form, any connection string or password
//! assignment in the text is masked, and every password — as the drivers would use it
//! (`connection_string_secrets`: decoded, unquoted) and as written in the string
//! (`connection_string_written_secrets`: encoded, quoted) — is replaced by `***` wherever
//! it shows.

use crate::runner::Finished;
use greenroom_proto::secrets;

/// Removes one connection string's secrets from text.
#[derive(Debug, Clone)]
pub struct Sanitizer {
    /// (text as the agent or a driver may print it, what to show instead).
    whole: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl Sanitizer {
    /// For the connection string `conn` as resolved (after `env:`).
    pub fn new(conn: &str) -> Self {
        let mut whole = Vec::new();
        for form in [conn.to_string(), conn.trim().to_string(), mysql_form(conn)] {
            if !form.is_empty() && !whole.iter().any(|(f, _)| *f == form) {
                let masked = secrets::mask_connection_string(&form);
                whole.push((form, masked));
            }
        }
        // Longest first, so a form that contains another is replaced whole.
        whole.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        let mut all = secrets::connection_string_secrets(conn);
        all.extend(secrets::connection_string_written_secrets(conn));
        Self {
            whole,
            secrets: all,
        }
    }

    /// `text` without the connection string or any of its passwords.
    pub fn clean(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (form, masked) in &self.whole {
            if t.contains(form.as_str()) {
                t = t.replace(form.as_str(), masked);
            }
        }
        secrets::redact(&secrets::mask_secrets_in_text(&t), &self.secrets)
    }

    /// Every text field of a finished job, cleaned.
    pub fn finished(&self, mut f: Finished) -> Finished {
        f.output = self.clean(&f.output);
        f.error_output = self.clean(&f.error_output);
        for c in &mut f.checks {
            c.name = self.clean(&c.name);
            c.observed = self.clean(&c.observed);
            c.expected = self.clean(&c.expected);
        }
        f
    }
}

/// `mariadb://…` as handed to mysql_async (`mysql://…`), which its errors may quote.
fn mysql_form(conn: &str) -> String {
    let t = conn.trim();
    match t.get(..10) {
        Some(p) if p.eq_ignore_ascii_case("mariadb://") => format!("mysql://{}", &t[10..]),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_its_forms_and_its_decoded_passwords_are_removed() {
        let conn = "mariadb://root:p%40ss%20w0rd@db:3306/x";
        let s = Sanitizer::new(conn);
        let text = format!(
            "bad url {conn}; also mysql://root:p%40ss%20w0rd@db:3306/x; server said: Access denied (password 'p@ss w0rd')"
        );
        let clean = s.clean(&text);
        for leak in ["p%40ss", "p@ss w0rd", "w0rd"] {
            assert!(!clean.contains(leak), "{leak}: {clean}");
        }
        assert!(clean.contains("mariadb://root:***@db:3306/x"), "{clean}");
        let kv = Sanitizer::new("host=db password = 'it\\'s a secret' dbname=x");
        let clean = kv.clean("cannot connect: it's a secret was refused");
        assert_eq!(clean, "cannot connect: *** was refused");
    }
}
