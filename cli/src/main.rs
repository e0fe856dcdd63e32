//! The `greenroom` binary: parses the command line and exits with the status the command
//! decided (see `greenroom --help` for the table).

use clap::Parser;

fn main() {
    let cli = greenroom_cli::cli::Cli::parse();
    let code = greenroom_cli::run(cli);
    std::process::exit(code);
}
