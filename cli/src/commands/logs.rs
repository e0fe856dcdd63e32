//! `logs`: an execution's output, prefixed by server; `-f` follows it until the end.

use crate::api::Client;
use crate::api::ops::LogsVars;
use crate::api::types::LogLine;
use crate::cli::LogsArgs;
use crate::error::{Exit, Result};
use crate::follow::{self, Ending, FollowOptions};
use crate::output::Ui;

const PAGE: i32 = 1000;

/// Every stored line: of one server in its order (`offset`), or of all in stored order
/// (`after`).
async fn all_lines(client: &Client, id: &str, server: Option<&str>) -> Result<Vec<LogLine>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    let mut after = 0;
    loop {
        let vars = LogsVars {
            execution_id: id.to_string(),
            server_id: server.map(str::to_string),
            offset: server.map(|_| offset),
            after: server.is_none().then_some(after),
            limit: PAGE,
        };
        let page = client.logs(vars).await?;
        let n = page.entries.len();
        offset += n as i32;
        if let Some(c) = page.last_cursor {
            after = c;
        }
        lines.extend(page.entries);
        let more = match server {
            Some(_) => page.next_offset.is_some(),
            None => n == PAGE as usize,
        };
        if !more || n == 0 {
            return Ok(lines);
        }
    }
}

pub async fn logs(client: &Client, ui: &Ui, a: &LogsArgs) -> Result<Exit> {
    let id = &a.execution;
    if a.follow {
        // Fails clearly on an unknown id before subscribing.
        client.live_execution(id).await?;
        let opts = FollowOptions {
            output: true,
            json_lines: !ui.is_table(),
            server: a.server.clone(),
            prefix: !a.no_prefix,
            progress: false,
        };
        return match follow::follow(client, ui, id, opts).await? {
            Ending::Finished(_) => Ok(Exit::Ok),
            Ending::Detached => {
                eprintln!("{}", follow::detached_message(id));
                Ok(Exit::Detached)
            }
        };
    }
    // Fails clearly on an unknown id (an empty log is not an error).
    let e = client.live_execution(id).await?;
    let lines = all_lines(client, id, a.server.as_deref()).await?;
    if !ui.is_table() {
        ui.print_data(&lines)?;
        return Ok(Exit::Ok);
    }
    let width = e.target_servers.iter().map(|s| s.len()).max().unwrap_or(0);
    for l in &lines {
        let data = l.data.strip_suffix('\n').unwrap_or(&l.data);
        for part in data.split('\n') {
            if a.no_prefix {
                println!("{part}");
            } else {
                let sep = if l.stream == "stderr" { "!" } else { "|" };
                println!("{:<width$} {sep} {part}", l.server_id);
            }
        }
    }
    if !e.overall.is_final() {
        eprintln!("({id} is still {}; -f to follow)", e.overall.as_str());
    }
    Ok(Exit::Ok)
}
