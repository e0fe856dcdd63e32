//! The command line: every command, flag and environment variable, as clap derives. The
//! doc comments are the `--help` text.

use crate::error::EXIT_CODES_HELP;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "greenroom",
    version,
    about = "Run commands and checks across a Greenroom fleet, and watch them live",
    long_about = "Run commands and checks across a Greenroom fleet, and watch them live.\n\n\
        Start with `greenroom login --hub URL`, then for example\n  \
        greenroom run -e staging -- uptime\n  \
        greenroom run --template 'Disk space' -p mount=/var -t database",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The hub's URL (a bare host:port means http:// on this machine, https:// elsewhere).
    #[arg(long, global = true, env = "GREENROOM_HUB", value_name = "URL")]
    pub hub: Option<String>,
    /// An access token to use instead of the stored login (for scripts).
    #[arg(
        long,
        global = true,
        env = "GREENROOM_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Output for people (table) or for scripts (json, yaml: the API's shapes).
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// No colour (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Extra CA certificates (PEM) to trust for an https hub.
    #[arg(long, global = true, env = "GREENROOM_CA_CERT", value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sign in to a hub and keep the login (refresh token, mode 0600) in the config dir.
    Login(LoginArgs),
    /// Sign out: end this session on the hub and forget the stored login.
    Logout {
        /// End every session of this user, not only this one.
        #[arg(long)]
        everywhere: bool,
    },
    /// Who you are signed in as, on which hub.
    Whoami,
    /// Run a command or a template on servers and follow it live.
    Run(Box<RunArgs>),
    /// Follow a running execution live (the view of `run`), e.g. after detaching.
    Watch {
        /// The execution id.
        execution: String,
    },
    /// List servers.
    Servers(ServersArgs),
    /// List executions, newest first.
    Executions(ExecutionsArgs),
    /// Show one execution: its state and every server's result.
    Show {
        /// The execution id.
        execution: String,
    },
    /// Print an execution's output, prefixed by server.
    Logs(LogsArgs),
    /// Cancel an execution: pending targets never start, running ones are stopped.
    Cancel {
        /// The execution id.
        execution: String,
    },
    /// Lock a server (maintenance): no execution of anyone else runs on it until unlocked.
    Lock(LockArgs),
    /// Release the active lock of a server.
    Unlock {
        /// The server id.
        server: String,
        /// Release someone else's lock (admin; audited as forced).
        #[arg(long)]
        force: bool,
    },
    /// List server locks.
    Locks {
        /// Include released and expired locks.
        #[arg(long)]
        all: bool,
    },
    /// List action templates, or show one with its parameters.
    Templates {
        /// A template's name (or id) to show in full.
        name: Option<String>,
    },
    /// Print a shell completion script (e.g. `greenroom completions bash > /etc/bash_completion.d/greenroom`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The account's email (asked for when missing and stdin is a terminal).
    #[arg(long, env = "GREENROOM_EMAIL")]
    pub email: Option<String>,
    /// Read the password from the first line of stdin (also done when stdin is not a terminal).
    #[arg(long)]
    pub password_stdin: bool,
    /// The tenant, when the email belongs to users of several tenants.
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerStatusArg {
    Idle,
    Busy,
    Maintenance,
    Unreachable,
    Error,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorityArg {
    High,
    Normal,
    Low,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatusArg {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockTypeArg {
    Maintenance,
    Emergency,
}

/// `N` or `P%` (P from 1 to 100).
pub fn count_or_percent(s: &str) -> Result<String, String> {
    let s = s.trim();
    let (digits, percent) = match s.strip_suffix('%') {
        Some(d) => (d, true),
        None => (s, false),
    };
    match digits.parse::<u32>() {
        Ok(n) if n >= 1 && (!percent || n <= 100) => Ok(s.to_string()),
        _ => Err(format!(
            "expected a number of servers (e.g. 5) or a percentage from 1% to 100% (e.g. 25%), not {s:?}"
        )),
    }
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["template", "command"])))]
pub struct RunArgs {
    /// Servers of this environment.
    #[arg(short = 'e', long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// Servers of this group.
    #[arg(short = 'g', long = "group", value_name = "GROUP")]
    pub group: Option<String>,
    /// Servers carrying this tag (repeat: all of them).
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Servers in this state.
    #[arg(long, value_enum)]
    pub status: Option<ServerStatusArg>,
    /// These servers (repeat, or comma-separated) instead of a selector.
    #[arg(short = 's', long = "server", value_name = "SERVER", value_delimiter = ',', conflicts_with_all = ["environment", "group", "tags", "status"])]
    pub servers: Vec<String>,
    /// Run a template (by name or id) instead of a command.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// A template parameter (repeat).
    #[arg(
        short = 'p',
        long = "param",
        value_name = "KEY=VALUE",
        requires = "template"
    )]
    pub params: Vec<String>,
    /// Never more than N servers (or P% of them) at once.
    #[arg(long, value_name = "N|P%", value_parser = count_or_percent)]
    pub max_concurrency: Option<String>,
    /// After N failures (or P% of the targets) no new server starts; the rest are skipped.
    #[arg(long, value_name = "N|P%", value_parser = count_or_percent)]
    pub error_threshold: Option<String>,
    /// Queue priority on each server.
    #[arg(long, value_enum)]
    pub priority: Option<PriorityArg>,
    /// Retries of a failed server.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Take each server's lock while its job runs.
    #[arg(long)]
    pub lock: bool,
    /// Fail at once on a server locked by someone else (instead of waiting).
    #[arg(long)]
    pub fail_if_locked: bool,
    /// Seconds a command may run on each server (inline commands).
    #[arg(long, value_name = "SECS", conflicts_with = "template")]
    pub timeout: Option<u32>,
    /// Also run on targets without the template's applicable tags.
    #[arg(long)]
    pub ignore_tags: bool,
    /// Show the exact command (and environment) per server; run nothing.
    #[arg(long)]
    pub preview: bool,
    /// Start it, print its id, and return without following.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// The command: one argument is a shell command line as is; several are quoted and joined.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ServersArgs {
    /// Of this environment.
    #[arg(short = 'e', long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// Of this group.
    #[arg(short = 'g', long = "group", value_name = "GROUP")]
    pub group: Option<String>,
    /// Carrying this tag (repeat: all of them).
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// In this state.
    #[arg(long, value_enum)]
    pub status: Option<ServerStatusArg>,
    /// Whose id, hostname, IP address or a tag contains this text.
    #[arg(short = 'q', long = "search", value_name = "TEXT")]
    pub search: Option<String>,
    /// At most this many (default: all).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ExecutionsArgs {
    /// In this state.
    #[arg(long, value_enum)]
    pub status: Option<ExecutionStatusArg>,
    /// Of this template (name or id).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// That targeted this server.
    #[arg(short = 's', long = "server", value_name = "SERVER")]
    pub server: Option<String>,
    /// That targeted a server of this environment.
    #[arg(short = 'e', long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// Started by this user (email).
    #[arg(long = "by", value_name = "EMAIL")]
    pub initiated_by: Option<String>,
    /// Created in the last DURATION (30m, 2h, 7d) or since an RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// At most this many.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// The execution id.
    pub execution: String,
    /// Keep following new output until the execution ends.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only this server's output.
    #[arg(short = 's', long = "server", value_name = "SERVER")]
    pub server: Option<String>,
    /// Print lines without the server prefix.
    #[arg(long)]
    pub no_prefix: bool,
}

#[derive(Args, Debug)]
pub struct LockArgs {
    /// The server id.
    pub server: String,
    /// Why (shown to everyone whose work waits for it).
    #[arg(long)]
    pub reason: String,
    /// How long: 90s, 30m, 2h, 1d (rounded up to whole minutes).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = crate::commands::locks::parse_ttl)]
    pub ttl: u32,
    #[arg(long = "type", value_enum, default_value_t = LockTypeArg::Maintenance)]
    pub lock_type: LockTypeArg,
    /// How many times it may be extended.
    #[arg(long, value_name = "N")]
    pub max_extensions: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn thresholds_are_counts_or_percentages() {
        assert!(count_or_percent("3").is_ok());
        assert!(count_or_percent("25%").is_ok());
        assert!(count_or_percent("0").is_err());
        assert!(count_or_percent("101%").is_err());
        assert!(count_or_percent("x").is_err());
    }

    #[test]
    fn run_takes_the_command_after_the_flags() {
        let cli =
            Cli::try_parse_from(["greenroom", "run", "-e", "dev", "--", "sh", "-c", "exit 3"])
                .unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert_eq!(r.command, ["sh", "-c", "exit 3"]);
        assert_eq!(r.environment.as_deref(), Some("dev"));
        assert!(Cli::try_parse_from(["greenroom", "run", "-e", "dev"]).is_err());
        assert!(
            Cli::try_parse_from(["greenroom", "run", "-s", "a", "-e", "dev", "--", "x"]).is_err()
        );
    }
}
