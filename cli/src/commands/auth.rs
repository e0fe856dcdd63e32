//! `login`, `logout`, `whoami`: signing in with the hub's REST endpoints, keeping the login
//! in the config dir, and asking the hub who we are.

use crate::api::types::User;
use crate::api::{Client, Hub, rest};
use crate::cli::{Global, LoginArgs};
use crate::credentials::Store;
use crate::error::{CliError, Exit, Result};
use crate::output::Ui;
use crate::session::{Session, credentials_of};
use std::io::{BufRead, Write};
use std::sync::Mutex;

fn prompt_line(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| CliError::other(format!("cannot read from the terminal: {e}")))?;
    Ok(s.trim().to_string())
}

/// Reads a password from the terminal without echoing it.
fn prompt_password(prompt: &str) -> Result<String> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let original = tcgetattr(&stdin).ok();
    if let Some(orig) = &original {
        let mut quiet = orig.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        quiet.local_flags.insert(LocalFlags::ECHONL);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let answer = prompt_line(prompt);
    if let Some(orig) = &original {
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, orig);
    }
    answer
}

fn read_stdin_line() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| CliError::other(format!("cannot read the password from stdin: {e}")))?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

pub async fn login(g: &Global, ui: &Ui, a: &LoginArgs) -> Result<Exit> {
    let store = Store::locate()?;
    let previous = store.load().ok().flatten();
    let url = g
        .hub
        .clone()
        .or_else(|| previous.as_ref().map(|c| c.hub.clone()))
        .ok_or_else(|| {
            CliError::usage("which hub? `greenroom login --hub URL` (or set GREENROOM_HUB)")
        })?;
    let hub = Hub::new(&url, g.ca_cert.as_deref())?;
    let email = match &a.email {
        Some(e) if !e.trim().is_empty() => e.trim().to_string(),
        _ if ui.stdin_tty => prompt_line("Email: ")?,
        _ => {
            return Err(CliError::usage(
                "give the account with --email (stdin is not a terminal)",
            ));
        }
    };
    if email.is_empty() {
        return Err(CliError::usage("an email is required"));
    }
    let password = if a.password_stdin || !ui.stdin_tty {
        read_stdin_line()?
    } else {
        prompt_password("Password: ")?
    };
    if password.is_empty() {
        return Err(CliError::usage(
            "an empty password: nothing to sign in with",
        ));
    }
    let pair = rest::login(&hub, &email, &password, a.tenant.as_deref()).await?;
    // A login replaced by this one: end its session on its hub (best effort).
    if let Some(old) = previous
        && let Ok(old_hub) = Hub::new(&old.hub, g.ca_cert.as_deref())
    {
        let _ = rest::logout(&old_hub, &old.access_token, false).await;
    }
    let creds = credentials_of(&hub.url, &email, &pair);
    {
        let _lock = store.lock()?;
        store.save(&creds)?;
    }
    let client = Client::new(
        hub.clone(),
        Session::Stored {
            store: store.clone(),
            current: Mutex::new(creds),
        },
    );
    let me = client.me().await?;
    if ui.is_table() {
        eprintln!(
            "Signed in to {} as {} ({}, tenant {}). Login kept in {}",
            hub.url,
            me.email,
            role(&me),
            me.tenant_id,
            store.path().display()
        );
    } else {
        ui.print_data(&me)?;
    }
    Ok(Exit::Ok)
}

fn role(u: &User) -> &'static str {
    use crate::api::types::Role;
    match u.role {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Admin => "admin",
    }
}

pub async fn logout(g: &Global, everywhere: bool) -> Result<Exit> {
    let store = Store::locate()?;
    let stored = store.load()?;
    if g.token.is_none() && stored.is_none() {
        eprintln!("Not signed in.");
        return Ok(Exit::Ok);
    }
    let client = super::connect(g)?;
    let result = client.logout(everywhere).await;
    // The stored login goes whatever the hub said; a token from the flags or the
    // environment is another session, and leaves the stored login alone.
    if g.token.is_none() {
        store.remove()?;
    }
    match result {
        Ok(()) => {
            eprintln!("Signed out of {}.", client.hub.url);
            Ok(Exit::Ok)
        }
        Err(CliError::Auth(_)) => {
            eprintln!(
                "Signed out (the session at {} had already ended).",
                client.hub.url
            );
            Ok(Exit::Ok)
        }
        Err(CliError::Unreachable(m)) => Err(CliError::Unreachable(format!(
            "{m}\nThe stored login was removed, but the session could not be ended on the hub; it ends when its tokens expire."
        ))),
        Err(e) => Err(e),
    }
}

pub async fn whoami(client: &Client, ui: &Ui) -> Result<Exit> {
    let me = client.me().await?;
    if ui.is_table() {
        println!(
            "{} ({}, tenant {}) at {}",
            me.email,
            role(&me),
            me.tenant_id,
            client.hub.url
        );
    } else {
        ui.print_data(&me)?;
    }
    Ok(Exit::Ok)
}
