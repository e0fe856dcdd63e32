//! `run` (start an execution and follow it live, or `--preview` it) and `watch` (follow a
//! running one again). The exit status says how the execution ended.

use super::executions::{outcome, print_live_summary};
use super::templates;
use crate::api::Client;
use crate::api::types::{
    ActionInput, ExecutionPreview, Priority, ServerSelector, ServerState, ShellCommandInput,
    StartExecutionInput,
};
use crate::cli::{PriorityArg, RunArgs, ServerStatusArg};
use crate::error::{CliError, Exit, Result};
use crate::follow::{self, Ending, FollowOptions};
use crate::output::Ui;

pub fn server_state(s: ServerStatusArg) -> ServerState {
    match s {
        ServerStatusArg::Idle => ServerState::Idle,
        ServerStatusArg::Busy => ServerState::Busy,
        ServerStatusArg::Maintenance => ServerState::Maintenance,
        ServerStatusArg::Unreachable => ServerState::Unreachable,
        ServerStatusArg::Error => ServerState::Error,
    }
}

/// The command line to run: one argument as it is (a shell command line), several quoted
/// and joined so each stays one argument on the server.
pub fn command_line(args: &[String]) -> Result<String> {
    match args {
        [] => Err(CliError::usage(
            "give a command after `--` (e.g. greenroom run -e dev -- uptime) or --template NAME",
        )),
        [one] if one.trim().is_empty() => Err(CliError::usage("the command is empty")),
        [one] => Ok(one.clone()),
        many => shlex::try_join(many.iter().map(String::as_str))
            .map_err(|e| CliError::usage(format!("cannot quote the command: {e}"))),
    }
}

/// The request `run` sends (and previews), from its flags.
async fn request(client: &Client, a: &RunArgs) -> Result<(StartExecutionInput, String)> {
    let mut input = StartExecutionInput::default();
    let what = if let Some(name) = &a.template {
        let all = client.templates().await?;
        let t = templates::find(&all, name)?;
        input.parameters = templates::parse_params(t, &a.params)?;
        input.action_template_id = Some(t.template_id.clone());
        format!("template {:?}", t.name)
    } else {
        let command = command_line(&a.command)?;
        let timeout = a
            .timeout
            .map(|t| {
                i32::try_from(t)
                    .map_err(|_| CliError::usage(format!("bad --timeout {t}: too long")))
            })
            .transpose()?;
        input.action = Some(ActionInput::ShellCommand(ShellCommandInput {
            command: command.clone(),
            timeout,
        }));
        command
    };
    if !a.servers.is_empty() {
        input.target_servers = a.servers.clone();
    } else if a.environment.is_some()
        || a.group.is_some()
        || !a.tags.is_empty()
        || a.status.is_some()
    {
        input.selector = Some(ServerSelector {
            environment: a.environment.clone(),
            server_group: a.group.clone(),
            tags: a.tags.clone(),
            status: a.status.map(server_state),
        });
    } else {
        return Err(CliError::usage(
            "which servers? name them with -s SERVER, or select them with -e ENV, -g GROUP, -t TAG or --status",
        ));
    }
    input.max_concurrency = a.max_concurrency.clone();
    input.error_threshold = a.error_threshold.clone();
    input.priority = a.priority.map(|p| match p {
        PriorityArg::High => Priority::High,
        PriorityArg::Normal => Priority::Normal,
        PriorityArg::Low => Priority::Low,
    });
    input.retry_count = a.retries.map(|n| n.min(i32::MAX as u32) as i32);
    input.requires_lock = a.lock.then_some(true);
    input.fail_if_locked = a.fail_if_locked.then_some(true);
    input.ignore_applicable_tags = a.ignore_tags;
    Ok((input, what))
}

fn print_preview(ui: &Ui, p: &ExecutionPreview) -> Result<()> {
    if !ui.is_table() {
        return ui.print_data(p);
    }
    println!(
        "Would run on {} of {} matching servers (nothing was started):",
        p.run_count, p.matched_count
    );
    let mut table = ui.table(&["SERVER", "COMMAND", "ENVIRONMENT"]);
    for s in &p.servers {
        let command = match (&s.command, s.skipped) {
            (_, true) => format!(
                "skipped: {}",
                s.reason.as_deref().unwrap_or("not applicable")
            ),
            (Some(c), false) => c.clone(),
            (None, false) => String::new(),
        };
        let env = s
            .environment
            .iter()
            .map(|v| format!("{}={}", v.name, v.value))
            .collect::<Vec<_>>()
            .join("\n");
        table.add_row(vec![s.server_id.clone(), command, env]);
    }
    ui.print_table(&table);
    Ok(())
}

pub async fn run(client: &Client, ui: &Ui, a: &RunArgs) -> Result<Exit> {
    let (input, what) = request(client, a).await?;
    if a.preview {
        let p = client.preview(input).await?;
        print_preview(ui, &p)?;
        return Ok(Exit::Ok);
    }
    let started = client.start(input).await?;
    let id = started.execution_id.clone();
    if a.detach {
        if ui.is_table() {
            println!("{id}");
            eprintln!(
                "Started {id} on {} servers; follow it with `greenroom watch {id}`",
                started.results.total_count
            );
        } else {
            ui.print_data(&started)?;
        }
        return Ok(Exit::Ok);
    }
    if ui.is_table() {
        eprintln!(
            "Started {id} on {} server{}: {what}",
            started.results.total_count,
            if started.results.total_count == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    follow_to_the_end(client, ui, &id).await
}

pub async fn watch(client: &Client, ui: &Ui, id: &str) -> Result<Exit> {
    let e = client.live_execution(id).await?;
    if ui.is_table() && !e.overall.is_final() {
        eprintln!("Watching {id} ({} servers)", e.results.total_count);
    }
    follow_to_the_end(client, ui, id).await
}

/// Follows live, then the summary (or the execution as JSON/YAML) and the exit status.
async fn follow_to_the_end(client: &Client, ui: &Ui, id: &str) -> Result<Exit> {
    let opts = FollowOptions {
        output: ui.is_table(),
        json_lines: false,
        server: None,
        prefix: true,
        progress: true,
    };
    match follow::follow(client, ui, id, opts).await? {
        Ending::Detached => {
            eprintln!("{}", follow::detached_message(id));
            Ok(Exit::Detached)
        }
        Ending::Finished(e) => {
            if ui.is_table() {
                print_live_summary(ui, &e);
            } else {
                let full = client.execution(id).await?;
                ui.print_data(&full)?;
            }
            Ok(outcome(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_keep_their_arguments() {
        assert_eq!(
            command_line(&["uptime; df -h".into()]).unwrap(),
            "uptime; df -h"
        );
        assert_eq!(
            command_line(&["sh".into(), "-c".into(), "exit 3".into()]).unwrap(),
            "sh -c 'exit 3'"
        );
        assert_eq!(command_line(&[]).unwrap_err().exit(), Exit::Usage);
    }
}
