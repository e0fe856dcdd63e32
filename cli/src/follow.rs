//! Following one execution live: the progress bar (done / failed / running, ETA), output
//! lines prefixed by server, a line per server as it finishes, and Ctrl-C (cancel, detach
//! or keep watching). Used by `run`, `watch` and `logs -f`.
//!
//! Lines are identified by their execution-wide `cursor` (1, 2, 3, …). The follower keeps
//! the set it printed and a watermark below which it has every line; it subscribes first,
//! then reads what was stored before (`executionLogs(after: watermark)`), so no line is
//! lost between the two and none is printed twice. After a reconnect or a `MISSED`, the
//! next `SNAPSHOT` triggers the same catch-up.

use crate::api::Client;
use crate::api::ops::LogsVars;
use crate::api::subscribe::ExecutionFeed;
use crate::api::types::{ExecutionEventKind, JobState, LiveExecution, LogLine};
use crate::error::{CliError, Result};
use crate::output::{Ui, short_duration, status_style};
use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::Duration;

/// What to show while following.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Print output lines (off for `-o json` of run/watch).
    pub output: bool,
    /// Output lines as JSON, one per line (`logs -f -o json`).
    pub json_lines: bool,
    /// Only this server's lines.
    pub server: Option<String>,
    /// Prefix lines with their server.
    pub prefix: bool,
    /// The progress bar (on a terminal) and a line per finished server.
    pub progress: bool,
}

/// How following ended.
pub enum Ending {
    /// The execution reached its final state.
    Finished(Box<LiveExecution>),
    /// Ctrl-C, then "detach" (or no terminal to ask on): the execution goes on.
    Detached,
}

const PAGE: i32 = 1000;
const MAX_RECONNECTS: u32 = 5;

/// Server name colours, picked by a stable hash of the name.
const PALETTE: [fn(Style) -> Style; 6] = [
    Style::cyan,
    Style::green,
    Style::yellow,
    Style::blue,
    Style::magenta,
    Style::white,
];

fn server_style(name: &str) -> Style {
    let h = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    PALETTE[h as usize % PALETTE.len()](Style::new())
}

/// Prints lines once each, and per-server completions.
struct Printer {
    opts: FollowOptions,
    seen: HashSet<i32>,
    /// Every cursor up to this one has been seen.
    watermark: i32,
    width: usize,
    bar: Option<ProgressBar>,
    /// The bar is drawn from the first known state on (not as an empty 0/0 before it).
    bar_shown: bool,
    /// Each job's last known status and attempt.
    jobs: HashMap<String, (JobState, i32)>,
}

impl Printer {
    fn emit(&self, to_stderr: bool, text: &str) {
        let write = || {
            if to_stderr {
                let _ = writeln!(std::io::stderr(), "{text}");
            } else {
                let _ = writeln!(std::io::stdout(), "{text}");
            }
        };
        match &self.bar {
            Some(b) => b.suspend(write),
            None => write(),
        }
    }

    fn line(&mut self, l: &LogLine) {
        if !self.seen.insert(l.cursor) {
            return;
        }
        while self.seen.contains(&(self.watermark + 1)) {
            self.watermark += 1;
        }
        if !self.opts.output {
            return;
        }
        if let Some(s) = &self.opts.server
            && s != &l.server_id
        {
            return;
        }
        if self.opts.json_lines {
            if let Ok(text) = serde_json::to_string(l) {
                self.emit(false, &text);
            }
            return;
        }
        let stderr = l.stream == "stderr";
        let data = l.data.strip_suffix('\n').unwrap_or(&l.data);
        let data = data.strip_suffix('\r').unwrap_or(data);
        let mut text = String::new();
        for (i, part) in data.split('\n').enumerate() {
            if i > 0 {
                text.push('\n');
            }
            if self.opts.prefix {
                let style = server_style(&l.server_id);
                let style = if stderr { style.for_stderr() } else { style };
                let sep = if stderr { "!" } else { "|" };
                text.push_str(&format!(
                    "{} {sep} ",
                    style.apply_to(format!("{:<w$}", l.server_id, w = self.width))
                ));
            }
            text.push_str(part);
        }
        self.emit(stderr, &text);
    }

    /// Prints a line for each server that reached a final status since the last look.
    fn transitions(&mut self, e: &LiveExecution) {
        for j in &e.results.details {
            let prev = self.jobs.insert(j.job_id.clone(), (j.status, j.attempt));
            let changed = prev != Some((j.status, j.attempt));
            if !changed || !j.status.is_final() || !self.opts.progress || self.opts.json_lines {
                continue;
            }
            if let Some(s) = &self.opts.server
                && s != &j.server_id
            {
                continue;
            }
            let status = j.status.as_str();
            let mark = if j.status == JobState::Success {
                "✓"
            } else {
                "✗"
            };
            let mut text = format!(
                "{} {} {}",
                status_style(status).for_stderr().apply_to(mark),
                server_style(&j.server_id).for_stderr().apply_to(format!(
                    "{:<w$}",
                    j.server_id,
                    w = self.width
                )),
                status_style(status).for_stderr().apply_to(status),
            );
            if let Some(code) = j.exit_code {
                text.push_str(&format!(" (exit {code})"));
            }
            if j.execution_time > 0.0 {
                text.push_str(&format!(" in {}", short_duration(j.execution_time)));
            }
            if let Some(err) = j.error.as_deref().filter(|e| !e.is_empty()) {
                text.push_str(&format!(": {err}"));
            }
            self.emit(true, &text);
        }
    }

    fn update_bar(&mut self, e: &LiveExecution) {
        let Some(bar) = &self.bar else { return };
        if !self.bar_shown {
            self.bar_shown = true;
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let d = &e.results.details;
        let done = d.iter().filter(|j| j.status.is_final()).count() as u64;
        let ok = d.iter().filter(|j| j.status == JobState::Success).count();
        let failed = d.iter().filter(|j| j.status.is_failure()).count();
        let skipped = d.iter().filter(|j| j.status == JobState::Skipped).count();
        let running = d.iter().filter(|j| j.status.is_active()).count();
        bar.set_length(e.results.total_count.max(0) as u64);
        bar.set_position(done);
        let mut msg = format!(
            "{} ok  {} failed  {} running",
            Style::new().green().for_stderr().apply_to(ok),
            Style::new().red().for_stderr().apply_to(failed),
            Style::new().cyan().for_stderr().apply_to(running),
        );
        if skipped > 0 {
            msg.push_str(&format!("  {skipped} skipped"));
        }
        if let Some(eta) = &e.estimated_completion {
            let left = (eta.at() - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0;
            msg.push_str(&format!("  ETA {}", short_duration(left.max(0.0))));
        }
        bar.set_message(msg);
    }
}

/// Reads every line stored after the watermark.
async fn catch_up(client: &Client, id: &str, p: &mut Printer) -> Result<()> {
    loop {
        let page = client
            .logs(LogsVars {
                execution_id: id.to_string(),
                server_id: None,
                offset: None,
                after: Some(p.watermark),
                limit: PAGE,
            })
            .await?;
        let n = page.entries.len();
        for l in &page.entries {
            p.line(l);
        }
        if n < PAGE as usize {
            return Ok(());
        }
    }
}

enum Answer {
    Cancel,
    Detach,
    Resume,
}

/// Asks what Ctrl-C meant. A second Ctrl-C, or end of input, detaches.
async fn ask(
    id: &str,
    bar: Option<&ProgressBar>,
    sigint: &mut tokio::signal::unix::Signal,
) -> Answer {
    if let Some(b) = bar {
        b.set_draw_target(ProgressDrawTarget::hidden());
    }
    eprint!(
        "\n{} [c]ancel {id} on every server, [d]etach (it keeps running), or [r]esume watching? ",
        Style::new().yellow().for_stderr().apply_to("Ctrl-C:")
    );
    let _ = std::io::stderr().flush();
    let read = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        match std::io::stdin().read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s),
        }
    });
    let answer = tokio::select! {
        line = read => match line.ok().flatten() {
            None => Answer::Detach,
            Some(s) => match s.trim().to_ascii_lowercase().as_str() {
                "c" | "cancel" | "y" | "yes" => Answer::Cancel,
                "d" | "detach" | "q" | "quit" => Answer::Detach,
                _ => Answer::Resume,
            },
        },
        _ = sigint.recv() => { eprintln!(); Answer::Detach }
    };
    if let Some(b) = bar {
        b.set_draw_target(ProgressDrawTarget::stderr());
    }
    answer
}

/// Follows the execution until it ends or the user detaches.
pub async fn follow(client: &Client, ui: &Ui, id: &str, opts: FollowOptions) -> Result<Ending> {
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| CliError::other(format!("cannot watch for Ctrl-C: {e}")))?;
    let interactive = ui.stdin_tty && ui.stderr_tty;
    let bar = (opts.progress && ui.stderr_tty).then(|| {
        let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{spinner:.cyan} [{bar:28.cyan/blue}] {pos}/{len}  {msg}  ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        b.set_style(style);
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let mut p = Printer {
        opts,
        seen: HashSet::new(),
        watermark: 0,
        width: 0,
        bar,
        bar_shown: false,
        jobs: HashMap::new(),
    };
    let mut last: Option<LiveExecution> = None;
    let mut reconnects = 0;
    let mut token = client.access_token().await?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    'connect: loop {
        let mut feed = match ExecutionFeed::open(&client.hub, &token, id).await {
            Ok(f) => f,
            Err(CliError::Auth(_)) if reconnects < MAX_RECONNECTS => {
                reconnects += 1;
                token = client.renew_token(&token).await?;
                continue 'connect;
            }
            Err(e) => return Err(e),
        };
        loop {
            let event = tokio::select! {
                ev = feed.next() => ev,
                _ = sigint.recv() => {
                    if !interactive {
                        finish_bar(&p);
                        return Ok(Ending::Detached);
                    }
                    let shown = p.bar.as_ref().filter(|_| p.bar_shown);
                    match ask(id, shown, &mut sigint).await {
                        Answer::Detach => {
                            finish_bar(&p);
                            feed.close().await;
                            return Ok(Ending::Detached);
                        }
                        Answer::Cancel => {
                            client.cancel(id).await?;
                            eprintln!("Cancelling {id}…");
                        }
                        Answer::Resume => {}
                    }
                    continue;
                }
                _ = tick.tick() => {
                    if let Some(e) = &last { p.update_bar(e); }
                    continue;
                }
            };
            match event {
                Ok(Some(ev)) => {
                    if let Some(e) = &ev.execution
                        && p.width == 0
                    {
                        p.width = e.target_servers.iter().map(|s| s.len()).max().unwrap_or(0);
                    }
                    match ev.kind {
                        ExecutionEventKind::Snapshot => {
                            catch_up(client, id, &mut p).await?;
                            for l in &ev.output {
                                p.line(l);
                            }
                        }
                        ExecutionEventKind::Output => {
                            for l in &ev.output {
                                p.line(l);
                            }
                        }
                        ExecutionEventKind::Update | ExecutionEventKind::Missed => {}
                    }
                    if let Some(e) = ev.execution {
                        p.transitions(&e);
                        p.update_bar(&e);
                        let over = e.overall.is_final();
                        last = Some(e);
                        if over {
                            feed.close().await;
                            break 'connect;
                        }
                    }
                }
                // The hub completed the subscription: the execution should be over.
                Ok(None) => {
                    let now = client.live_execution(id).await?;
                    if now.overall.is_final() || reconnects >= MAX_RECONNECTS {
                        break 'connect;
                    }
                    reconnects += 1;
                    continue 'connect;
                }
                Err(CliError::Unreachable(_) | CliError::Auth(_))
                    if reconnects < MAX_RECONNECTS =>
                {
                    reconnects += 1;
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(reconnects))).await;
                    token = client.access_token().await?;
                    continue 'connect;
                }
                Err(e) => return Err(e),
            }
        }
    }
    // Whatever was stored after the last event, then the final state.
    catch_up(client, id, &mut p).await?;
    let last = client.live_execution(id).await?;
    p.transitions(&last);
    p.update_bar(&last);
    finish_bar(&p);
    Ok(Ending::Finished(Box::new(last)))
}

fn finish_bar(p: &Printer) {
    if let Some(b) = &p.bar {
        b.finish_and_clear();
    }
}

/// What a detached follower tells the user.
pub fn detached_message(id: &str) -> String {
    format!(
        "Detached: {id} keeps running on the hub.\n  reattach: greenroom watch {id}\n  output:   greenroom logs {id} -f\n  cancel:   greenroom cancel {id}"
    )
}
