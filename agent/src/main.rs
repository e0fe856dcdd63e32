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
    /// Validate a config file: prints `ok`, or the error and exits with status 2.
    CheckConfig {
        /// The agent_config.yaml file.
        file: PathBuf,
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
    }
}

fn run(path: &std::path::Path) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = match AgentConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    greenroom_agent::init_logging(cfg.execution.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
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
