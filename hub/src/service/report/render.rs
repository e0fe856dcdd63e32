//! The compliance report as a PDF: the cover facts (tenant, period, when it was made, the
//! audit chain's verdict), the summary counts, then one table per section — executions
//! started, failures, forced lock releases, template changes, security events.

use super::layout::{Column, Flow};
use super::{FORCED_RELEASES, Report, SECURITY_EVENTS, TEMPLATE_CHANGES, pdf};
use crate::model::Timestamp;
use serde_json::Value;

const TITLE: &str = "Greenroom compliance report";

impl Report {
    /// The report as a PDF 1.4 file.
    pub fn to_pdf(&self) -> Vec<u8> {
        let mut flow = Flow::new(format!("{TITLE} - tenant {}", self.tenant_id));
        flow.title(TITLE);
        flow.field("Tenant", &self.tenant_id);
        flow.field("Period", &self.period());
        flow.field("Generated at", &when(&self.generated_at));
        flow.field("Audit chain", &self.verdict());

        let executions = self.of(&["execution_started"]);
        let failures = self.failures();
        let forced = self.of(&FORCED_RELEASES);
        let templates = self.of(&TEMPLATE_CHANGES);
        let security = self.of(&SECURITY_EVENTS);
        flow.heading("Summary");
        for (what, n) in [
            ("Audit entries", self.entries.len()),
            ("Executions started", executions.len()),
            ("Failures", failures.len()),
            ("Forced lock releases", forced.len()),
            ("Template changes", templates.len()),
            ("Security events", security.len()),
        ] {
            flow.field(what, &n.to_string());
        }

        section(
            &mut flow,
            "Executions started",
            &[
                col("When", 1.25),
                col("Who", 2.0),
                col("Execution", 2.2),
                col("Action", 1.1),
                col("Where", 1.8),
            ],
            &executions,
            |e| {
                let servers: Vec<&str> = e["details"]["affected_servers"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                vec![
                    time_of(e),
                    actor(e),
                    text(&e["resource"]["id"]),
                    text(&e["resource"]["name"]),
                    servers.join(", "),
                ]
            },
        );
        section(
            &mut flow,
            "Failures",
            &[
                col("When", 1.25),
                col("Event", 1.6),
                col("Who", 2.0),
                col("Resource", 1.7),
                col("Error", 2.3),
            ],
            &failures,
            |e| {
                vec![
                    time_of(e),
                    text(&e["event_type"]),
                    actor(e),
                    resource(e),
                    text(&e["result"]["error_message"]),
                ]
            },
        );
        section(
            &mut flow,
            "Forced lock releases",
            &[
                col("When", 1.25),
                col("Who", 2.0),
                col("Lock", 2.0),
                col("Server", 1.5),
                col("Reason", 2.2),
            ],
            &forced,
            |e| {
                vec![
                    time_of(e),
                    actor(e),
                    text(&e["resource"]["id"]),
                    text(&e["details"]["server_id"]),
                    text(&e["details"]["reason"]),
                ]
            },
        );
        section(
            &mut flow,
            "Template changes",
            &[
                col("When", 1.25),
                col("Who", 2.0),
                col("Change", 1.1),
                col("Template", 4.5),
            ],
            &templates,
            |e| {
                let change = text(&e["event_type"]);
                vec![
                    time_of(e),
                    actor(e),
                    change.trim_start_matches("action_").to_string(),
                    resource(e),
                ]
            },
        );
        section(
            &mut flow,
            "Security events",
            &[
                col("When", 1.25),
                col("Event", 1.7),
                col("Who", 2.3),
                col("Resource", 1.7),
                col("Result", 1.9),
            ],
            &security,
            |e| {
                let result = match e["result"]["success"].as_bool() {
                    Some(false) => format!("failed: {}", text(&e["result"]["error_message"])),
                    _ => "ok".to_string(),
                };
                vec![
                    time_of(e),
                    text(&e["event_type"]),
                    actor(e),
                    resource(e),
                    result,
                ]
            },
        );

        let info = pdf::Info {
            title: TITLE,
            created: self.generated_at,
        };
        pdf::write(&flow.finish(), &info)
    }

    /// `greenroom-compliance-<tenant>-<date>.pdf`, safe in a `Content-Disposition` header.
    pub fn pdf_filename(&self) -> String {
        let tenant: String = self
            .tenant_id
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
                _ => '_',
            })
            .take(64)
            .collect();
        format!(
            "greenroom-compliance-{tenant}-{}.pdf",
            self.generated_at.format("%Y-%m-%d")
        )
    }

    fn period(&self) -> String {
        let from = self.from.map_or("the first entry".into(), |t| when(&t));
        let to = self.to.map_or("now".into(), |t| when(&t));
        format!("{from} to {to}")
    }

    fn verdict(&self) -> String {
        match (self.chain_intact, self.first_broken_seq) {
            (true, _) => "intact: every entry's hash verifies".into(),
            (false, Some(seq)) => format!(
                "BROKEN: entry #{seq} is the first whose hash does not verify (altered or removed)"
            ),
            (false, None) => "BROKEN".into(),
        }
    }
}

fn col(title: &'static str, weight: f32) -> Column {
    Column { title, weight }
}

/// A heading, then the table of these entries, or a line saying there were none.
fn section(
    flow: &mut Flow,
    title: &str,
    columns: &[Column],
    entries: &[&Value],
    row: impl Fn(&Value) -> Vec<String>,
) {
    flow.heading(&format!("{title} ({})", entries.len()));
    if entries.is_empty() {
        flow.paragraph("None in this period.");
        return;
    }
    let rows: Vec<Vec<String>> = entries.iter().map(|e| row(e)).collect();
    flow.table(columns, &rows);
}

fn when(t: &Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn time_of(e: &Value) -> String {
    let raw = text(&e["timestamp"]);
    raw.parse::<Timestamp>().map(|t| when(&t)).unwrap_or(raw)
}

/// A string value as it is; anything else (a number) as JSON; null as empty.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Who: the actor's id, then on a line of its own the address and user agent, if known.
fn actor(e: &Value) -> String {
    let a = &e["actor"];
    let id = match text(&a["id"]) {
        s if s.is_empty() => text(&a["type"]),
        s => s,
    };
    let from: Vec<String> = [text(&a["ip_address"]), text(&a["user_agent"])]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if from.is_empty() {
        id
    } else {
        format!("{id}\n{}", from.join(" - "))
    }
}

/// `type id (name)`.
fn resource(e: &Value) -> String {
    let r = &e["resource"];
    let mut s = format!("{} {}", text(&r["type"]), text(&r["id"]));
    let name = text(&r["name"]);
    if !name.is_empty() {
        s.push_str(&format!(" ({name})"));
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::pdf::tests::verify;
    use super::*;
    use serde_json::json;

    fn report(entries: Vec<Value>, intact: bool) -> Report {
        Report {
            tenant_id: "acme/ops".into(),
            from: None,
            to: Some("2026-02-01T00:00:00Z".parse().unwrap()),
            generated_at: "2026-01-31T12:00:00Z".parse().unwrap(),
            chain_intact: intact,
            first_broken_seq: (!intact).then_some(7),
            entries,
        }
    }

    fn started(i: usize) -> Value {
        json!({"seq": i, "timestamp": "2026-01-02T03:04:05Z", "event_type": "execution_started",
               "actor": {"type": "user", "id": "ops@example.com", "ip_address": "10.1.2.3", "user_agent": "curl/8.5"},
               "resource": {"type": "execution", "id": format!("exec_20260102_{i:012}"), "name": "shell_command"},
               "details": {"affected_servers": ["web-01", "web-02"]},
               "result": {"success": true, "error_message": null}})
    }

    #[test]
    fn pages_grow_with_the_entries_and_are_numbered() {
        let small = verify(&report(vec![started(1)], true).to_pdf()).unwrap();
        assert_eq!(small.pages, 1);
        for s in [
            "(Greenroom compliance report) Tj",
            "(acme/ops) Tj",
            "(exec_20260102_000000000001) Tj",
            "(ops@example.com) Tj",
            "(10.1.2.3 - curl/8.5) Tj",
            "(intact: every entry's hash verifies) Tj",
            "(Page 1 of 1) Tj",
            "(None in this period.) Tj",
        ] {
            assert!(small.text.contains(s), "{s} missing");
        }
        let mut entries: Vec<Value> = (0..400).map(started).collect();
        let mut odd = started(9);
        odd["event_type"] = json!("user_login");
        odd["actor"]["user_agent"] = json!(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
        );
        odd["result"] =
            json!({"success": false, "error_message": "invalid email or password ".repeat(9)});
        entries.insert(3, odd);
        let bytes = report(entries, false).to_pdf();
        let big = verify(&bytes).unwrap();
        assert!(big.pages > 5, "{}", big.pages);
        let n = big.pages;
        assert!(big.text.contains(&format!("(Page {n} of {n}) Tj")));
        assert!(big.text.contains("(exec_20260102_000000000399) Tj"));
        assert!(big.text.contains("(BROKEN: entry #7 is the first"));
    }

    #[test]
    fn odd_text_is_escaped_cut_or_replaced_never_a_panic() {
        let mut e = started(1);
        e["event_type"] = json!("user_login");
        e["actor"]["id"] = json!("we(i)rd\\ 日本 ü");
        e["result"] = json!({"success": false, "error_message": "boom ".repeat(500)});
        let mut odd =
            json!({"timestamp": 5, "actor": null, "resource": [1], "result": {"success": false}});
        odd["event_type"] = json!("permission_denied");
        let facts = verify(&report(vec![e, odd, json!(null)], true).to_pdf()).unwrap();
        assert!(
            facts.text.contains(r"(we\(i\)rd\\ ?? \374) Tj"),
            "{}",
            facts.text
        );
        assert!(facts.text.contains("boom...) Tj"));
        assert!(facts.text.contains("(Failures \\(2\\)) Tj"));
    }

    #[test]
    fn the_file_name_is_safe_in_a_header() {
        assert_eq!(
            report(vec![], true).pdf_filename(),
            "greenroom-compliance-acme_ops-2026-01-31.pdf"
        );
    }
}
