//! The fault suite's accounting: every job's final state at the hub against what really
//! happened on its agent, and one verdict line per case for `docs/reliability.md`.
//!
//! What happened on the agent comes from two witnesses the hub never sees: a marker file the
//! job's own command appends to (how many times it really ran) and the agent's own log (the
//! status it finished with, and every result the hub acknowledged as newly stored).

use crate::common::Agent;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The command of a fault case: it marks its run on the agent, then does `work`.
pub fn marked(tag: &str, work: &str) -> String {
    format!("echo {tag} >> \"$FAULT_MARK\"; {work}")
}

/// The launcher prefix that gives an agent its marker file.
pub fn mark_env(agent_state: &std::path::Path) -> Vec<String> {
    vec![
        "env".into(),
        format!("FAULT_MARK={}", agent_state.join("ran").display()),
    ]
}

/// How many times the command tagged `tag` ran on this agent.
pub fn runs(agent: &Agent, tag: &str) -> usize {
    std::fs::read_to_string(agent.state.join("ran"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == tag)
        .count()
}

/// One job, seen from both sides.
#[derive(Debug)]
pub struct Row {
    pub server_id: String,
    pub job_id: String,
    /// Its state at the hub.
    pub hub: String,
    /// Times its command ran on the agent (marker file).
    pub ran: usize,
    /// The status the agent's log says it finished with.
    pub finished: Option<String>,
    /// Times the hub acknowledged a result of it (agent log), newly stored or not (a
    /// repeat after a lost acknowledgement is acknowledged as not stored).
    pub delivered: usize,
    /// Results of it the hub acknowledged as newly stored (agent log).
    pub stored: usize,
}

impl Row {
    /// Where the hub's state contradicts what happened, or the job ran or was stored twice.
    pub fn problem(&self) -> Option<String> {
        if self.ran > 1 {
            return Some(format!("ran {} times", self.ran));
        }
        if self.stored > 1 {
            return Some(format!("stored {} times", self.stored));
        }
        match self.hub.as_str() {
            "success" | "failed" | "timeout" | "cancelled" if self.delivered == 0 => Some(format!(
                "the hub says {} but the agent never delivered a result of it",
                self.hub
            )),
            "success" | "failed" | "timeout" if self.finished.as_deref() != Some(&self.hub) => {
                Some(format!(
                    "the hub says {} but the agent finished it {:?}",
                    self.hub, self.finished
                ))
            }
            "unreachable" if self.stored > 0 => {
                Some("stored, yet the hub says unreachable".to_string())
            }
            "pending" | "leased" | "running" => Some(format!("still {}", self.hub)),
            _ => None,
        }
    }
}

fn log_lines_with<'a>(
    log: &'a str,
    job_id: &'a str,
    message: &'a str,
) -> impl Iterator<Item = &'a str> {
    log.lines()
        .filter(move |l| l.contains(job_id) && l.contains(message))
}

/// Every job of execution `done` (its final document) against its agent in `agents`.
pub fn rows(done: &Value, agents: &[&Agent], tag: &str) -> Vec<Row> {
    let by_server: BTreeMap<&str, &Agent> =
        agents.iter().map(|a| (a.server_id.as_str(), *a)).collect();
    done["results"]["details"]
        .as_array()
        .expect("results.details")
        .iter()
        .map(|d| {
            let server_id = d["server_id"].as_str().unwrap().to_string();
            let job_id = d["job_id"].as_str().unwrap().to_string();
            let agent = by_server[server_id.as_str()];
            let log = agent.log();
            let finished = log_lines_with(&log, &job_id, "job finished")
                .last()
                .and_then(|l| serde_json::from_str::<Value>(l).ok())
                .and_then(|v| v["fields"]["status"].as_str().map(str::to_string));
            let acks: Vec<&str> = log_lines_with(&log, &job_id, "result delivered").collect();
            let stored = acks
                .iter()
                .filter(|l| l.contains("\"stored\":true"))
                .count();
            Row {
                hub: d["status"].as_str().unwrap_or("?").to_string(),
                ran: runs(agent, tag),
                finished,
                delivered: acks.len(),
                stored,
                server_id,
                job_id,
            }
        })
        .collect()
}

/// As [`rows`], once every agent whose job has a result at the hub has heard the hub's
/// acknowledgement (the hub stores a result, and may end the execution, before its answer
/// reaches the agent): waits up to 60 s.
pub async fn rows_when_acked(done: &Value, agents: &[&Agent], tag: &str) -> Vec<Row> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let rows = rows(done, agents, tag);
        let waiting = rows.iter().any(|r| {
            r.delivered == 0
                && !matches!(
                    r.hub.as_str(),
                    "unreachable" | "pending" | "leased" | "running"
                )
        });
        if !waiting || std::time::Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// One case's outcome, a row of the table in `docs/reliability.md`.
pub struct Verdict<'a> {
    pub case: &'a str,
    pub fault: &'a str,
    /// Faults injected in the case.
    pub injected: usize,
    pub rows: &'a [Row],
    /// What the case expects of the outcome, beyond the accounting (empty: held).
    pub unexpected: Vec<String>,
}

impl Verdict<'_> {
    /// Writes the verdict line, then fails the test with every problem found.
    pub fn settle(self) {
        let mut problems: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| {
                r.problem()
                    .map(|p| format!("{} ({}): {p}", r.server_id, r.job_id))
            })
            .collect();
        problems.extend(self.unexpected);
        let count = |f: &dyn Fn(&Row) -> bool| self.rows.iter().filter(|r| f(r)).count();
        let line = json!({
            "case": self.case,
            "fault": self.fault,
            "injected": self.injected,
            "expected": self.rows.len(),
            "recorded": count(&|r| !matches!(r.hub.as_str(), "pending" | "leased" | "running")),
            "succeeded": count(&|r| r.hub == "success"),
            "unreachable": count(&|r| r.hub == "unreachable"),
            "ran_twice": count(&|r| r.ran > 1),
            "stored_twice": count(&|r| r.stored > 1),
            "held": problems.is_empty(),
            "problems": problems,
        });
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("faults");
        std::fs::create_dir_all(&dir).unwrap();
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("verdicts.jsonl"))
            .unwrap();
        writeln!(f, "{line}").unwrap();
        assert!(
            problems.is_empty(),
            "{}: {problems:#?}\n{:#?}",
            self.case,
            self.rows
        );
    }
}
