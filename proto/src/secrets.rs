//! Keeping secrets out of what people see: connection strings with their passwords masked.
//! Used by the agent (its output and logs) and the hub (what it shows of an action).

/// The connection string with any password replaced by `***`.
pub fn mask_connection_string(conn: &str) -> String {
    let mut out = conn.to_string();
    // URL form: scheme://user:password@host
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find('/')
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let at = rest_start + at;
            if let Some(colon) = out[rest_start..at].find(':') {
                out.replace_range(rest_start + colon + 1..at, "***");
            }
        }
    }
    // key=value form and query parameters: password=...
    let lower = out.to_ascii_lowercase();
    let mut masked = String::new();
    let mut i = 0;
    while let Some(pos) = lower[i..].find("password=") {
        let start = i + pos + "password=".len();
        masked.push_str(&out[i..start]);
        masked.push_str("***");
        let end = out[start..]
            .find([' ', '&', ';'])
            .map_or(out.len(), |e| start + e);
        i = end;
    }
    masked.push_str(&out[i..]);
    masked
}

/// Free text (a command line, output, an error) with every connection-string password in
/// it masked.
pub fn mask_secrets_in_text(text: &str) -> String {
    mask_connection_string(text)
}

/// The password values of a connection string, as its driver would use them.
pub fn connection_string_secrets(conn: &str) -> Vec<String> {
    let masked = mask_connection_string(conn);
    if masked == conn {
        return Vec::new();
    }
    vec![conn.to_string()]
}

#[cfg(test)]
mod tests {
    use super::mask_connection_string as mask;

    #[test]
    fn passwords_are_masked_in_every_form() {
        assert_eq!(
            mask("postgresql://app:s3cret@db:5432/x"),
            "postgresql://app:***@db:5432/x"
        );
        assert_eq!(
            mask("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(
            mask("host=db user=app password=s3cret dbname=x"),
            "host=db user=app password=*** dbname=x"
        );
        assert!(!mask("postgres://h/x?password=s3cret&a=1").contains("s3cret"));
    }
}
