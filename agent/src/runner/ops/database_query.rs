//! `database_query`: one query against PostgreSQL, MySQL / MariaDB or SQLite, its result
//! checked against `expected_result_type` (scalar / row / rows) and `expected_range`.
//!
//! Safety rules, in order: the connection string may come from the agent's environment
//! (`env:VAR`); only the forms of `target` are accepted, and a refusal never repeats the
//! string; every text of the result goes through one `Sanitizer` (the string masked, its
//! passwords removed wherever they show, driver errors included); unless `allow_writes` is set, only one statement
//! that starts with SELECT / WITH / SHOW / EXPLAIN / VALUES / DESCRIBE is accepted, and it
//! runs in a read-only transaction (SQLite: a read-only connection), so a data-changing
//! statement hidden in a CTE or `EXPLAIN ANALYZE` still cannot write.

mod drivers;
mod sanitize;
mod target;

pub use sanitize::Sanitizer;
pub use target::{ACCEPTED, Target, classify};

use super::{Executor, check, clip};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::{CheckResult, DatabaseQuery};
use std::time::Duration;

/// What a query returned, every value as text (`None` for NULL).
#[derive(Debug, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Rows shown in the result's output.
const SHOWN_ROWS: usize = 50;

/// Statement keywords accepted without `allow_writes`.
const READ_ONLY_STARTS: &[&str] = &[
    "select", "with", "show", "explain", "values", "describe", "desc", "table",
];

/// The connection string with any password replaced by `***` (shared with the hub).
pub use greenroom_proto::secrets::mask_connection_string as mask;

/// The statement's first keyword, after comments and opening parentheses.
fn first_keyword(query: &str) -> String {
    let mut s = query.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix('(') {
            s = rest.trim_start();
        } else {
            break;
        }
    }
    s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Whether `query` holds more than one statement (a `;` outside quotes and comments that is
/// followed by more than whitespace).
fn has_several_statements(query: &str) -> bool {
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '-' if chars.get(i + 1) == Some(&'-') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '/' if chars.get(i + 1) == Some(&'*') => {
                    i += 2;
                    while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                        i += 1;
                    }
                    i += 1;
                }
                ';' => {
                    let rest: String = chars[i + 1..].iter().collect();
                    let rest = rest.trim();
                    return !(rest.is_empty() || rest.starts_with("--"));
                }
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// Refuses what read-only mode does not allow; the message names the rule.
pub fn check_read_only(query: &str) -> Result<(), String> {
    let kw = first_keyword(query);
    if !READ_ONLY_STARTS.contains(&kw.as_str()) {
        return Err(format!(
            "refused: database_query is read-only unless the action sets allow_writes: true, and {:?} is not one of SELECT, WITH, SHOW, EXPLAIN, VALUES, DESCRIBE",
            kw.to_ascii_uppercase()
        ));
    }
    if has_several_statements(query) {
        return Err(
            "refused: database_query runs one statement unless the action sets allow_writes: true"
                .into(),
        );
    }
    Ok(())
}

/// The connection string itself, reading `env:VAR` from the agent's environment.
fn resolve_connection(conn: &str) -> Result<String, String> {
    match conn.strip_prefix("env:") {
        Some(var) => std::env::var(var.trim()).map_err(|_| {
            format!(
                "connection_string: the agent's environment variable {} is not set",
                var.trim()
            )
        }),
        None => Ok(conn.to_string()),
    }
}

fn as_number(v: &Option<String>) -> Option<f64> {
    v.as_deref().and_then(|s| s.trim().parse::<f64>().ok())
}

fn range_check(
    name: &str,
    value: Option<f64>,
    shown: String,
    range: &serde_json::Value,
) -> CheckResult {
    let min = range.get("min").and_then(serde_json::Value::as_f64);
    let max = range.get("max").and_then(serde_json::Value::as_f64);
    let expected = match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => "any".into(),
    };
    let passed = value.is_some_and(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m));
    check(name, passed, shown, expected)
}

/// The checks of a query's result.
pub fn evaluate(
    rows: &Rows,
    kind: Option<&str>,
    range: Option<&serde_json::Value>,
) -> Vec<CheckResult> {
    let n = rows.rows.len();
    let width = rows.columns.len();
    let first = rows.rows.first().and_then(|r| r.first()).cloned().flatten();
    let shape = format!("{n} row(s) x {width} column(s)");
    let mut checks = Vec::new();
    let kind = kind.unwrap_or(if n == 1 && width == 1 {
        "scalar"
    } else {
        "rows"
    });
    match kind {
        "scalar" => {
            checks.push(check(
                "result_type",
                n == 1 && width == 1,
                shape,
                "scalar (1 row x 1 column)",
            ));
            if let Some(r) = range {
                let cell = rows.rows.first().and_then(|r| r.first()).cloned().flatten();
                let shown = cell.clone().unwrap_or_else(|| "NULL".into());
                checks.push(range_check(
                    "expected_range",
                    as_number(&Some(shown.clone())).filter(|_| cell.is_some()),
                    shown,
                    r,
                ));
            }
        }
        "row" => {
            checks.push(check("result_type", n == 1, shape, "row (exactly 1 row)"));
            if let Some(r) = range {
                let shown = first.clone().unwrap_or_else(|| "NULL".into());
                checks.push(range_check(
                    "expected_range",
                    as_number(&first),
                    format!("first column {shown}"),
                    r,
                ));
            }
        }
        _ => {
            checks.push(check("result_type", true, shape, "rows (any number)"));
            if let Some(r) = range {
                checks.push(range_check(
                    "expected_range",
                    Some(n as f64),
                    format!("{n} rows"),
                    r,
                ));
            }
        }
    }
    checks
}

fn render(rows: &Rows) -> String {
    let mut out = rows.columns.join("\t");
    out.push('\n');
    for row in rows.rows.iter().take(SHOWN_ROWS) {
        let cells: Vec<String> = row
            .iter()
            .map(|c| clip(c.as_deref().unwrap_or("NULL"), 200))
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    if rows.rows.len() > SHOWN_ROWS {
        out.push_str(&format!("… {} more rows\n", rows.rows.len() - SHOWN_ROWS));
    }
    out
}

impl Executor for DatabaseQuery {
    async fn execute(&self, policy: &Policy, _ctl: JobControl) -> Finished {
        if !self.allow_writes
            && let Err(e) = check_read_only(&self.query)
        {
            return Finished::failed(e);
        }
        let conn = match resolve_connection(&self.connection_string) {
            Ok(c) => c,
            Err(e) => return Finished::failed(e),
        };
        let sanitizer = Sanitizer::new(&conn);
        sanitizer.finished(query_with(self, &conn, policy).await)
    }
}

/// Runs the query of `q` on `conn` (resolved); the caller sanitizes what comes back.
async fn query_with(q: &DatabaseQuery, conn: &str, policy: &Policy) -> Finished {
    let target = match classify(conn) {
        Ok(t) => t,
        Err(e) => return Finished::failed(e),
    };
    let shown = mask(conn);
    let timeout = Duration::from_secs(policy.timeout_for(q.timeout));
    let rows = match drivers::run(&target, &q.query, q.allow_writes, timeout, policy).await {
        Ok(rows) => rows,
        Err(e) => {
            return Finished::from_checks(
                vec![check("query", false, e, format!("a result from {shown}"))],
                Vec::new(),
            );
        }
    };
    let checks = evaluate(
        &rows,
        q.expected_result_type.as_deref(),
        q.expected_range.as_ref(),
    );
    let mut f = Finished::from_checks(checks, Vec::new());
    f.output = format!("{}\n{}", render(&rows), f.output);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            mask("postgres://h/x?password=s3cret&a=1"),
            "postgres://h/x?password=***&a=1"
        );
    }

    #[test]
    fn read_only_mode_accepts_reads_and_refuses_the_rest() {
        for q in [
            "SELECT 1",
            "  -- c\n select 1;",
            "(SELECT 1)",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "show tables",
            "EXPLAIN SELECT 1",
            "VALUES (1)",
            "select ';' as x",
        ] {
            assert!(check_read_only(q).is_ok(), "{q}");
        }
        for q in [
            "DELETE FROM t",
            "update t set a=1",
            "/* x */ DROP TABLE t",
            "SELECT 1; DELETE FROM t",
            "insert into t values (1)",
        ] {
            let e = check_read_only(q).expect_err(q);
            assert!(e.contains("allow_writes"), "{q}: {e}");
        }
    }

    fn rows(cells: &[&[&str]]) -> Rows {
        Rows {
            columns: (0..cells.first().map_or(1, |r| r.len()))
                .map(|i| format!("c{i}"))
                .collect(),
            rows: cells
                .iter()
                .map(|r| r.iter().map(|c| Some(c.to_string())).collect())
                .collect(),
        }
    }

    #[test]
    fn result_types_and_ranges_are_checked() {
        let range = serde_json::json!({"min": 0, "max": 10});
        let ok = evaluate(&rows(&[&["7"]]), Some("scalar"), Some(&range));
        assert!(ok.iter().all(|c| c.passed), "{ok:?}");
        let high = evaluate(&rows(&[&["70"]]), Some("scalar"), Some(&range));
        assert!(!high[1].passed && high[1].observed == "70", "{high:?}");
        let wide = evaluate(&rows(&[&["1", "2"]]), Some("scalar"), None);
        assert!(!wide[0].passed);
        let many = evaluate(
            &rows(&[&["a"], &["b"], &["c"]]),
            Some("rows"),
            Some(&serde_json::json!({"min": 5})),
        );
        assert!(many[0].passed && !many[1].passed, "{many:?}");
        let one = evaluate(&rows(&[&["3", "x"]]), Some("row"), Some(&range));
        assert!(one.iter().all(|c| c.passed), "{one:?}");
    }
}
