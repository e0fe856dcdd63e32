//! How results are shown: tables sized to the terminal for people, JSON or YAML (the API's
//! shapes) for scripts, colour only on a terminal and never with `--no-color` / `NO_COLOR`.

use crate::api::types::Timestamp;
use crate::cli::{Format, Global};
use crate::error::{CliError, Result};
use comfy_table::{ContentArrangement, Table, presets};
use console::Style;
use serde::Serialize;
use std::io::IsTerminal;

/// What the terminal is and what was asked of the output.
#[derive(Debug, Clone)]
pub struct Ui {
    pub format: Format,
    /// Colour on stdout / stderr.
    pub color: bool,
    pub color_err: bool,
    pub stdin_tty: bool,
    pub stderr_tty: bool,
    /// Columns of the terminal on stdout, if it is one.
    pub width: Option<u16>,
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Ui {
    pub fn new(global: &Global) -> Ui {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let allowed = !global.no_color && !no_color_env();
        let color = allowed && stdout_tty;
        let color_err = allowed && stderr_tty;
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color_err);
        let width = if stdout_tty {
            console::Term::stdout().size_checked().map(|(_, cols)| cols)
        } else {
            std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
        };
        Ui {
            format: global.output,
            color,
            color_err,
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty,
            width,
        }
    }

    pub fn is_table(&self) -> bool {
        self.format == Format::Table
    }

    /// Prints data for scripts (JSON or YAML). Only called when the format is not `table`.
    pub fn print_data<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = match self.format {
            Format::Yaml => serde_yaml::to_string(value).map_err(CliError::other)?,
            _ => {
                let mut s = serde_json::to_string_pretty(value).map_err(CliError::other)?;
                s.push('\n');
                s
            }
        };
        print!("{text}");
        Ok(())
    }

    /// A table with this header, borderless, as wide as the terminal allows.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_style(presets::NOTHING);
        t.set_header(header.iter().map(|h| h.to_string()));
        match self.width {
            Some(w) => {
                t.set_width(w);
                t.set_content_arrangement(ContentArrangement::Dynamic);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        t
    }

    pub fn print_table(&self, t: &Table) {
        // comfy-table pads the first and last column with a space; trim them for people.
        for line in t.to_string().lines() {
            println!("{}", line.strip_prefix(' ').unwrap_or(line).trim_end());
        }
    }
}

/// A status word coloured for people (green good, red bad, yellow in between).
pub fn status_style(status: &str) -> Style {
    match status {
        "success" | "completed" | "idle" | "active" => Style::new().green(),
        "failed" | "timeout" | "unreachable" | "error" => Style::new().red(),
        "cancelled" | "skipped" | "maintenance" | "busy" => Style::new().yellow(),
        "running" | "leased" => Style::new().cyan(),
        _ => Style::new(),
    }
}

/// How long ago, short: "4s ago", "3m ago", "2h ago", "5d ago".
pub fn ago(t: &Timestamp) -> String {
    let secs = (chrono::Utc::now() - t.at()).num_seconds();
    if secs < 0 {
        return format!("in {}", short_duration(-secs as f64));
    }
    if secs < 60 {
        return format!("{secs}s ago");
    }
    format!("{} ago", short_duration(secs as f64))
}

/// A duration, short: "0.4s", "12s", "3m05s", "2h10m", "5d".
pub fn short_duration(secs: f64) -> String {
    if secs < 10.0 {
        return format!("{secs:.1}s");
    }
    let s = secs.round() as i64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86400),
    }
}

/// A local time, for people.
pub fn local_time(t: &Timestamp) -> String {
    t.at()
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(0.42), "0.4s");
        assert_eq!(short_duration(12.0), "12s");
        assert_eq!(short_duration(185.0), "3m05s");
        assert_eq!(short_duration(7800.0), "2h10m");
        assert_eq!(short_duration(5.0 * 86400.0), "5d");
    }
}
