//! `executions`, `show`, `cancel`, and the per-server summary that `run`, `watch` and
//! `show` print; [`outcome`] turns a finished execution into the exit status.

use crate::api::Client;
use crate::api::types::{
    Action, ExecutionFilter, ExecutionState, JobState, LiveExecution, ParameterValue, Timestamp,
};
use crate::cli::{ExecutionStatusArg, ExecutionsArgs};
use crate::error::{CliError, Exit, Result};
use crate::output::{Ui, ago, local_time, short_duration, status_style};
use console::Style;
use std::collections::HashMap;

/// Exit status of a finished execution: 0 only when every target succeeded.
pub fn outcome(e: &LiveExecution) -> Exit {
    if e.overall == ExecutionState::Cancelled {
        return Exit::Cancelled;
    }
    if e.results
        .details
        .iter()
        .all(|j| j.status == JobState::Success)
        && e.overall == ExecutionState::Completed
    {
        Exit::Ok
    } else {
        Exit::Failed
    }
}

/// One row of a summary.
pub struct Row<'a> {
    pub server: &'a str,
    pub status: JobState,
    pub exit: Option<i32>,
    pub seconds: f64,
    pub attempt: i32,
    pub error: Option<&'a str>,
}

fn summary_table(ui: &Ui, rows: &[Row<'_>]) {
    let retried = rows.iter().any(|r| r.attempt > 1);
    let mut header = vec!["SERVER", "STATUS", "EXIT", "TIME"];
    if retried {
        header.push("ATTEMPT");
    }
    header.push("ERROR");
    let mut table = ui.table(&header);
    for r in rows {
        let mut row = vec![
            r.server.to_string(),
            r.status.as_str().to_string(),
            r.exit.map(|c| c.to_string()).unwrap_or_default(),
            if r.seconds > 0.0 {
                short_duration(r.seconds)
            } else {
                String::new()
            },
        ];
        if retried {
            row.push(r.attempt.to_string());
        }
        row.push(r.error.unwrap_or("").to_string());
        table.add_row(row);
    }
    ui.print_table(&table);
}

/// "exec_x completed: 3 succeeded, 1 failed, 0 skipped in 1.2s", coloured.
fn verdict(id: &str, overall: ExecutionState, rows: &[Row<'_>], seconds: Option<f64>) -> String {
    let ok = rows
        .iter()
        .filter(|r| r.status == JobState::Success)
        .count();
    let failed = rows.iter().filter(|r| r.status.is_failure()).count();
    let skipped = rows
        .iter()
        .filter(|r| r.status == JobState::Skipped)
        .count();
    let pending = rows.len() - ok - failed - skipped;
    let mut s = format!(
        "{id} {}: {} succeeded, {} failed",
        status_style(overall.as_str()).apply_to(overall.as_str()),
        Style::new().green().apply_to(ok),
        if failed > 0 {
            Style::new().red().apply_to(failed)
        } else {
            Style::new().apply_to(failed)
        },
    );
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    if pending > 0 {
        s.push_str(&format!(", {pending} not finished"));
    }
    if let Some(d) = seconds {
        s.push_str(&format!(" in {}", short_duration(d)));
    }
    s
}

pub fn print_live_summary(ui: &Ui, e: &LiveExecution) {
    let rows: Vec<Row<'_>> = e
        .results
        .details
        .iter()
        .map(|j| Row {
            server: &j.server_id,
            status: j.status,
            exit: j.exit_code,
            seconds: j.execution_time,
            attempt: j.attempt,
            error: j.error.as_deref(),
        })
        .collect();
    println!();
    summary_table(ui, &rows);
    println!(
        "\n{}",
        verdict(&e.execution_id, e.overall, &rows, e.timing.duration_seconds)
    );
    if let Some(r) = &e.skipped_reason {
        println!("skipped: {r}");
    }
    if let Some(by) = &e.cancelled_by {
        println!("cancelled by {by}");
    }
}

/// What an execution ran, short: a template's name or the command.
fn what(
    operation: Option<&Action>,
    template: Option<&str>,
    names: &HashMap<String, String>,
) -> String {
    if let Some(id) = template {
        return names
            .get(id)
            .map(|n| format!("template {n:?}"))
            .unwrap_or_else(|| format!("template {id}"));
    }
    operation.map(Action::describe).unwrap_or_default()
}

/// `key=value key2=value2`, as `run -p` takes them.
fn parameter_list(values: &[ParameterValue]) -> String {
    values
        .iter()
        .map(|p| format!("{}={}", p.name, p.value))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Template names by their `templateId` (which `Execution.actionTemplateId` names).
async fn template_names(client: &Client) -> HashMap<String, String> {
    client
        .templates()
        .await
        .map(|ts| ts.into_iter().map(|t| (t.template_id, t.name)).collect())
        .unwrap_or_default()
}

/// `30m`, `2h`, `7d`, `90s` ago, or an RFC 3339 time.
pub fn parse_since(s: &str) -> Result<Timestamp> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc).into());
    }
    let secs = super::locks::duration_secs(s).map_err(|_| {
        CliError::usage(format!(
            "bad --since {s:?}: expected a duration (30m, 2h, 7d) or an RFC 3339 time"
        ))
    })?;
    Ok((chrono::Utc::now() - chrono::Duration::seconds(secs as i64)).into())
}

pub async fn list(client: &Client, ui: &Ui, a: &ExecutionsArgs) -> Result<Exit> {
    let mut filter = ExecutionFilter {
        status: a.status.map(|s| match s {
            ExecutionStatusArg::Pending => ExecutionState::Pending,
            ExecutionStatusArg::Running => ExecutionState::Running,
            ExecutionStatusArg::Completed => ExecutionState::Completed,
            ExecutionStatusArg::Failed => ExecutionState::Failed,
            ExecutionStatusArg::Cancelled => ExecutionState::Cancelled,
        }),
        server_id: a.server.clone(),
        environment: a.environment.clone(),
        initiated_by: a.initiated_by.clone(),
        ..Default::default()
    };
    if let Some(s) = &a.since {
        filter.from = Some(parse_since(s)?);
    }
    let names = template_names(client).await;
    if let Some(t) = &a.template {
        let all = client.templates().await?;
        filter.template_id = Some(super::templates::find(&all, t)?.template_id.clone());
    }
    let listed = client.executions(Some(filter), a.limit).await?;
    let (items, total) = (listed.items, listed.total);
    if !ui.is_table() {
        return ui.print_data(&items).map(|_| Exit::Ok);
    }
    let mut table = ui.table(&[
        "EXECUTION",
        "STATUS",
        "WHAT",
        "TARGETS",
        "BY",
        "CREATED",
        "TOOK",
    ]);
    for e in &items {
        let r = &e.results;
        table.add_row(vec![
            e.execution_id.clone(),
            e.overall.as_str().to_string(),
            what(
                e.operation.as_ref(),
                e.action_template_id.as_deref(),
                &names,
            ),
            format!("{}/{} ok", r.success_count, r.total_count),
            e.initiated_by.clone(),
            ago(&e.timing.created_at),
            e.timing
                .duration_seconds
                .map(short_duration)
                .unwrap_or_default(),
        ]);
    }
    ui.print_table(&table);
    if total > items.len() {
        eprintln!("{} of {total} shown (--limit N for more)", items.len());
    }
    Ok(Exit::Ok)
}

pub async fn show(client: &Client, ui: &Ui, id: &str) -> Result<Exit> {
    let e = client.execution(id).await?;
    if !ui.is_table() {
        ui.print_data(&e)?;
        return Ok(Exit::Ok);
    }
    let names = template_names(client).await;
    let r = &e.results;
    let mut what = what(
        e.operation.as_ref(),
        e.action_template_id.as_deref(),
        &names,
    );
    if let Some(v) = &e.template_version {
        what.push_str(&format!(" v{v}"));
    }
    if !e.parameter_values.is_empty() {
        what.push_str(&format!(" with {}", parameter_list(&e.parameter_values)));
    }
    let kv = |k: &str, v: String| println!("{:<10} {v}", Style::new().bold().apply_to(k));
    kv("Execution", e.execution_id.clone());
    kv(
        "Status",
        format!(
            "{} ({}%)",
            status_style(e.overall.as_str()).apply_to(e.overall.as_str()),
            e.progress
        ),
    );
    kv("Action", what);
    kv(
        "Targets",
        format!(
            "{} ({} succeeded, {} failed)",
            r.total_count, r.success_count, r.failure_count
        ),
    );
    kv("By", e.initiated_by.clone());
    kv(
        "Created",
        format!(
            "{} ({})",
            local_time(&e.timing.created_at),
            ago(&e.timing.created_at)
        ),
    );
    if let Some(d) = e.timing.duration_seconds {
        kv("Took", short_duration(d));
    }
    if let Some(by) = &e.cancelled_by {
        kv("Cancelled", format!("by {by}"));
    }
    if let Some(s) = &e.skipped_reason {
        kv("Skipped", s.clone());
    }
    let rows: Vec<Row<'_>> = r
        .details
        .iter()
        .map(|j| Row {
            server: &j.server_id,
            status: j.status,
            exit: j.exit_code,
            seconds: j.execution_time,
            attempt: j.attempt,
            error: j.error.as_deref(),
        })
        .collect();
    println!();
    summary_table(ui, &rows);
    if !e.overall.is_final() {
        eprintln!(
            "\nStill {}: follow it with `greenroom watch {id}`",
            e.overall.as_str()
        );
    } else {
        eprintln!("\nOutput: greenroom logs {id}");
    }
    Ok(Exit::Ok)
}

pub async fn cancel(client: &Client, ui: &Ui, id: &str) -> Result<Exit> {
    let e = client.cancel(id).await?;
    if !ui.is_table() {
        ui.print_data(&e)?;
        return Ok(Exit::Ok);
    }
    println!(
        "Cancelled {}: pending targets will not start, running ones are being stopped ({} of {} had succeeded).",
        e.execution_id, e.results.success_count, e.results.total_count
    );
    Ok(Exit::Ok)
}
