//! The compliance report: for a tenant and a period, who ran what where, what failed, which
//! locks were forced, which templates changed, the security events, and whether the audit
//! chain is intact. JSON, CSV (one row per audit entry of the period) and PDF (`render`,
//! laid out by `layout` and written by `pdf`).

mod layout;
mod pdf;
mod render;

use crate::app::App;
use crate::auth::Caller;
use crate::error::Result;
use crate::model::{PageRequest, Timestamp};
use serde_json::{Value, json};

pub struct Report {
    pub tenant_id: String,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub generated_at: Timestamp,
    pub chain_intact: bool,
    pub first_broken_seq: Option<u64>,
    pub entries: Vec<Value>,
}

const FORCED_RELEASES: [&str; 1] = ["lock_force_released"];
const TEMPLATE_CHANGES: [&str; 3] = ["action_created", "action_updated", "action_deleted"];
const SECURITY_EVENTS: [&str; 6] = [
    "user_login",
    "user_locked_out",
    "refresh_token_reused",
    "permission_denied",
    "agent_enrolled",
    "agent_revoked",
];

fn in_period(e: &Value, from: Option<Timestamp>, to: Option<Timestamp>) -> bool {
    let Some(t) = e["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<Timestamp>().ok())
    else {
        return false;
    };
    from.is_none_or(|f| t >= f) && to.is_none_or(|x| t < x)
}

pub async fn compliance(
    app: &App,
    caller: &Caller,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Report> {
    let mut entries = Vec::new();
    for page in 1.. {
        let p = app
            .store
            .list_audit(
                &caller.tenant_id,
                &crate::audit::AuditFilter::default(),
                PageRequest::new(Some(page), Some(PageRequest::MAX_PAGE_SIZE))?,
            )
            .await?;
        let done = p.items.len() < PageRequest::MAX_PAGE_SIZE as usize;
        entries.extend(p.items.into_iter().filter(|e| in_period(e, from, to)));
        if done {
            break;
        }
    }
    entries.reverse();
    let broken = crate::audit::verify(app).await?;
    Ok(Report {
        tenant_id: caller.tenant_id.clone(),
        from,
        to,
        generated_at: chrono::Utc::now(),
        chain_intact: broken.is_none(),
        first_broken_seq: broken,
        entries,
    })
}

impl Report {
    /// The entries of these event types, oldest first.
    fn of(&self, kinds: &[&str]) -> Vec<&Value> {
        self.entries
            .iter()
            .filter(|e| kinds.contains(&e["event_type"].as_str().unwrap_or("")))
            .collect()
    }

    /// The entries that record a failure.
    fn failures(&self) -> Vec<&Value> {
        self.entries
            .iter()
            .filter(|e| e["result"]["success"] == false)
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let executions: Vec<Value> = self
            .of(&["execution_started"])
            .into_iter()
            .map(|e| json!({"when": e["timestamp"], "who": e["actor"]["id"], "execution_id": e["resource"]["id"], "action": e["resource"]["name"], "where": e["details"]["affected_servers"]}))
            .collect();
        let failures = self.failures();
        json!({
            "tenant_id": self.tenant_id,
            "period": {"from": self.from, "to": self.to},
            "generated_at": self.generated_at,
            "audit_chain": {"intact": self.chain_intact, "first_broken_seq": self.first_broken_seq},
            "summary": {
                "entries": self.entries.len(),
                "executions_started": executions.len(),
                "failures": failures.len(),
                "forced_lock_releases": self.of(&FORCED_RELEASES).len(),
                "template_changes": self.of(&TEMPLATE_CHANGES).len(),
                "security_events": self.of(&SECURITY_EVENTS).len(),
            },
            "executions": executions,
            "failures": failures,
            "forced_lock_releases": self.of(&FORCED_RELEASES),
            "template_changes": self.of(&TEMPLATE_CHANGES),
            "security_events": self.of(&SECURITY_EVENTS),
        })
    }

    /// One row per audit entry of the period, then the chain's verification.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "seq,timestamp,event_type,actor_type,actor_id,actor_ip,actor_user_agent,resource_type,resource_id,success,error_message,hash\n",
        );
        for e in &self.entries {
            let cells = [
                e["seq"].to_string(),
                e["timestamp"].as_str().unwrap_or("").to_string(),
                e["event_type"].as_str().unwrap_or("").to_string(),
                e["actor"]["type"].as_str().unwrap_or("").to_string(),
                e["actor"]["id"].as_str().unwrap_or("").to_string(),
                e["actor"]["ip_address"].as_str().unwrap_or("").to_string(),
                e["actor"]["user_agent"].as_str().unwrap_or("").to_string(),
                e["resource"]["type"].as_str().unwrap_or("").to_string(),
                e["resource"]["id"].as_str().unwrap_or("").to_string(),
                e["result"]["success"].to_string(),
                e["result"]["error_message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                e["hash"].as_str().unwrap_or("").to_string(),
            ];
            out.push_str(
                &cells
                    .iter()
                    .map(|c| csv_cell(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out.push_str(&format!("# audit chain intact: {}\n", self.chain_intact));
        out
    }
}

/// A CSV cell, quoted when needed; a leading `=`, `+`, `-` or `@` is defused for spreadsheets.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
    }
}
