//! `greenroom`, the operator's command line for a Greenroom hub.
//!
//! `main.rs` only parses arguments and exits; [`run`] does the work. Code map:
//! - `cli` — the command line (clap), the `--help` text;
//! - `api` — the query layer: every GraphQL operation (cynic, checked against
//!   `schema.graphql`), the REST sign-in endpoints, the live subscription;
//! - `session`, `credentials` — which hub and token, the stored login, refreshing it;
//! - `follow` — the live view of one execution (progress, output, Ctrl-C);
//! - `commands/` — one module per group of commands;
//! - `output` — tables, JSON/YAML, colour; `error` — the error type and exit codes.

pub mod api;
pub mod cli;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod follow;
pub mod output;
pub mod session;

use error::Exit;

/// Runs the parsed command line; the exit status (errors already printed).
pub fn run(cli: cli::Cli) -> i32 {
    let ui = output::Ui::new(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("greenroom: cannot start: {e}");
            return Exit::Error.code();
        }
    };
    let result = runtime.block_on(commands::dispatch(cli, &ui));
    // A blocking stdin read (the Ctrl-C question) must not keep the process alive.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            let label = console::Style::new()
                .red()
                .bold()
                .for_stderr()
                .apply_to("error:");
            eprintln!("{label} {e}");
            e.exit().code()
        }
    }
}
