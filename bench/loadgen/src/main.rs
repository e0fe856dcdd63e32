//! `greenroom-loadgen`: load for the benchmarks (`bench/run.py`, `make bench`), never for
//! tests.
//!
//! - `agents`: N agent identities in one process over the real agent protocol: each enrolls
//!   with a token and its own key (CSR), then speaks mTLS with its own connections through
//!   the agent's own [`greenroom_agent::client::HubClient`] — heartbeats, the lease
//!   long-poll, output batches and results. Jobs are answered at once (`--mode noop`, the
//!   hub's cost alone) or run as real commands (`--mode exec`). 5,000 identities fit on a
//!   2-core machine where 5,000 agent processes would not.
//! - `api`: open-loop HTTP clients against the hub's API (REST and GraphQL); latency is
//!   counted from when each request was due, so a slow answer cannot hide the ones queued
//!   behind it (coordinated omission).
//!
//! It writes JSON lines on stdout for the harness; progress goes to stderr.

mod api;
mod fleet;
mod latency;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "greenroom-loadgen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run N agent identities until SIGTERM or SIGINT.
    Agents(fleet::FleetArgs),
    /// Open-loop API load; one JSON line per request kind, then `all`.
    Api(api::ApiArgs),
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    raise_open_files();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Agents(a) => rt.block_on(fleet::run(a)),
        Command::Api(a) => rt.block_on(api::run(a)),
    }
}

/// Thousands of identities hold two connections each: lift the soft limit on open files to
/// the hard one.
fn raise_open_files() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        eprintln!("loadgen: cannot raise the open-files limit: {e}");
    }
}
