//! One module per group of commands; [`dispatch`] picks the command and connects it to a
//! hub (everything but `login` and `completions` needs a signed-in session).

pub mod auth;
pub mod executions;
pub mod locks;
pub mod logs;
pub mod run;
pub mod servers;
pub mod templates;

use crate::api::{Client, Hub};
use crate::cli::{Cli, Command, Global};
use crate::error::{Exit, Result};
use crate::output::Ui;
use crate::session::{self, Target};

/// A client for the hub and session the flags, the environment or the stored login name.
pub fn connect(global: &Global) -> Result<Client> {
    let (url, session) = session::resolve(&Target {
        hub: global.hub.as_deref(),
        token: global.token.as_deref(),
    })?;
    let hub = Hub::new(&url, global.ca_cert.as_deref())?;
    Ok(Client::new(hub, session))
}

pub async fn dispatch(cli: Cli, ui: &Ui) -> Result<Exit> {
    let g = &cli.global;
    match &cli.command {
        Command::Login(a) => auth::login(g, ui, a).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "greenroom", &mut std::io::stdout());
            Ok(Exit::Ok)
        }
        Command::Logout { everywhere } => auth::logout(g, *everywhere).await,
        cmd => {
            let client = connect(g)?;
            match cmd {
                Command::Whoami => auth::whoami(&client, ui).await,
                Command::Run(a) => run::run(&client, ui, a).await,
                Command::Watch { execution } => run::watch(&client, ui, execution).await,
                Command::Servers(a) => servers::list(&client, ui, a).await,
                Command::Executions(a) => executions::list(&client, ui, a).await,
                Command::Show { execution } => executions::show(&client, ui, execution).await,
                Command::Cancel { execution } => executions::cancel(&client, ui, execution).await,
                Command::Logs(a) => logs::logs(&client, ui, a).await,
                Command::Lock(a) => locks::lock(&client, ui, a).await,
                Command::Unlock { server, force } => {
                    locks::unlock(&client, ui, server, *force).await
                }
                Command::Locks { all } => locks::list(&client, ui, *all).await,
                Command::Templates { name } => templates::show(&client, ui, name.as_deref()).await,
                Command::Login(_) | Command::Completions { .. } | Command::Logout { .. } => {
                    Ok(Exit::Ok)
                }
            }
        }
    }
}
