//! `greenroom-agent`: command line only; everything else is in the library.

use clap::{Parser, Subcommand};
use greenroom_agent::AgentConfig;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "greenroom-agent",
    version,
    about = "Greenroom agent: pulls jobs from the hub and runs them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent daemon.
    Run {
        /// The agent_config.yaml file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Enroll this server with the hub now: fetch and pin the hub's CA, write the config
    /// (never the token), the CA and the identity, and print the next step. Exit 0 when
    /// enrolled, 1 when refused or unreachable, 2 for bad arguments.
    Enroll {
        /// The hub's agent address, e.g. https://hub.example:8443 (repeat for replicas).
        #[arg(long = "hub", required = true)]
        hubs: Vec<String>,
        /// A one-time enrollment token (`greenroom-hub enroll-token`).
        #[arg(long)]
        token: String,
        /// SHA-256 fingerprint of the hub's CA certificate (hex, colons allowed).
        #[arg(long, conflicts_with = "ca_file", required_unless_present = "ca_file")]
        ca_sha256: Option<String>,
        /// The hub's CA certificate (PEM), instead of --ca-sha256.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Name of this server at the hub (default: the hostname).
        #[arg(long)]
        server_id: Option<String>,
        /// Environment reported to the hub (dev, staging, uat, preprod).
        #[arg(long)]
        environment: Option<String>,
        /// A tag reported to the hub (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// The config file to write; the CA goes beside it as ca.crt.
        #[arg(long, default_value = "/etc/greenroom/agent_config.yaml")]
        config: PathBuf,
        /// Where the identity is kept (agent.state_dir).
        #[arg(long, default_value = "/var/lib/greenroom-agent")]
        state_dir: PathBuf,
        /// The user the service runs as; given the files when run as root.
        #[arg(long, default_value = "greenroom-agent")]
        service_user: String,
        /// Enroll again even though the state directory holds an identity.
        #[arg(long)]
        force: bool,
        /// Do not enable and start greenroom-agent.service afterwards (it is started when
        /// run as root on a systemd machine with the packaged config and state paths).
        #[arg(long)]
        no_start: bool,
    },
    /// Validate a config file: prints `ok`, or the error and exits with status 2.
    CheckConfig {
        /// The agent_config.yaml file.
        file: PathBuf,
    },
    /// Run one action here, under the config's policy, and print its result as JSON
    /// (exit 0 on success, 1 otherwise; 2 for a bad config or action). Nothing is sent to
    /// the hub.
    RunOnce {
        /// The agent_config.yaml file whose `execution:` and `security:` apply.
        #[arg(long, short)]
        config: PathBuf,
        /// The action, e.g. '{"type":"tcp_port","host":"127.0.0.1","port":22}', or @FILE.
        #[arg(long, short)]
        action: String,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CheckConfig { file } => match AgentConfig::load(&file) {
            Ok(_) => {
                println!("ok");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Command::Run { config } => run(&config),
        Command::Enroll {
            hubs,
            token,
            ca_sha256,
            ca_file,
            server_id,
            environment,
            tags,
            config,
            state_dir,
            service_user,
            force,
            no_start,
        } => enroll(greenroom_agent::enroll::EnrollArgs {
            hubs,
            token,
            ca_sha256,
            ca_file,
            server_id,
            environment,
            tags,
            config,
            state_dir,
            service_user,
            force,
            no_start,
            systemd: Default::default(),
        }),
        Command::RunOnce { config, action } => run_once(&config, &action),
    }
}

/// Loads the config, refusing to go on as root unless it allows that.
fn load_for_running(path: &std::path::Path) -> Result<AgentConfig, ExitCode> {
    let cfg = AgentConfig::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    if nix::unistd::geteuid().is_root() && !cfg.security.allow_root {
        eprintln!(
            "{}: refusing to run as root: run the agent as an unprivileged user (the packages use `greenroom-agent`), or set security.allow_root: true",
            path.display()
        );
        return Err(ExitCode::FAILURE);
    }
    Ok(cfg)
}

fn run_once(path: &std::path::Path, action: &str) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = match load_for_running(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let text = match action.strip_prefix('@') {
        Some(file) => match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("--action @{file}: {e}");
                return ExitCode::from(2);
            }
        },
        None => action.to_string(),
    };
    let action: greenroom_proto::Action = match serde_json::from_str(&text) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("--action: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = match greenroom_agent::runner::Policy::from_config(&cfg) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    greenroom_agent::runner::prepare_working_dir(&policy.default_working_dir);
    let result = runtime.block_on(greenroom_agent::runner::run_action(
        &action,
        &policy,
        greenroom_agent::runner::JobControl::detached(),
    ));
    match serde_json::to_string_pretty(&result) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot print the result: {e}"),
    }
    if result.status == greenroom_proto::Outcome::Success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn enroll(args: greenroom_agent::enroll::EnrollArgs) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(greenroom_agent::enroll::run(&args)) {
        Ok(done) => {
            print!("{}", done.message(&args.service_user));
            // Enrolled, but the service asked for did not start: a script must notice.
            if matches!(
                done.service,
                greenroom_agent::enroll::ServiceStart::Failed(_)
            ) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(path: &std::path::Path) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = match load_for_running(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    greenroom_agent::logging::init(&cfg.execution);
    // One thread for the agent's own work: it waits on the hub and on its jobs' pipes, and
    // what blocks (waiting for a child, flushing the outbox, reading a file or a database
    // for a check) goes to tokio's blocking threads. A second worker thread (and its malloc
    // arena) cost 0.6 MB of idle RSS and bought nothing measurable (docs/performance.md).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(greenroom_agent::run(
        cfg,
        greenroom_agent::os_shutdown_signal(),
    ));
    // Jobs were stopped by `run`; do not hang on a process that ignores even SIGKILL.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, exit_code = e.exit_code(), "agent stopped");
            ExitCode::from(e.exit_code())
        }
    }
}
