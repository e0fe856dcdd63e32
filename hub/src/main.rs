//! `greenroom-hub`: serve, demo, and the administrator's verbs. Thin: the work is in the library.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use greenroom_hub::config::Config;
use greenroom_hub::{demo, logging, server};
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "greenroom-hub",
    version,
    about = "Greenroom hub: orchestrates agents on non-production servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub from a config file (backend_config.yaml).
    Serve {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run a hub on the embedded defaults with N local agents and sample templates.
    Demo(demo::DemoArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Check a config file and exit.
    CheckConfig { config: PathBuf },
    /// Create or update a user. The password is read from GREENROOM_PASSWORD.
    CreateUser {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "viewer", value_parser = ["viewer", "operator", "admin"])]
        role: String,
        #[arg(long, default_value = greenroom_hub::model::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Load action templates: the shipped sample library, or a JSON array from --file.
    LoadTemplates {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, default_value = greenroom_hub::model::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Issue a one-time agent enrollment token and print it.
    EnrollToken {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long, default_value = greenroom_hub::model::DEFAULT_TENANT)]
        tenant: String,
        /// Hours the token is valid; default: `security.enrollment_token_hours`.
        #[arg(long)]
        ttl_hours: Option<u64>,
        /// How many agents may enroll with it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
    },
    /// Bring the store's schema up to date (SQLite migrations, MongoDB indexes) and exit.
    Migrate {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Write the whole store and the CA to one file (0600; it holds the CA's key).
    Backup {
        #[arg(long, short)]
        config: PathBuf,
        /// The backup file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty store (and the CA into the data dir).
    Restore {
        #[arg(long, short)]
        config: PathBuf,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace a CA already in the data dir with the backup's.
        #[arg(long)]
        replace_ca: bool,
    },
    /// The certificate authority: `ca status`, `ca rotate stage|activate|finish`.
    Ca {
        #[command(subcommand)]
        command: greenroom_hub::ca::rotate::CaCommand,
    },
}

fn main() -> std::process::ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("greenroom-hub: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greenroom-hub: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn load(path: &std::path::Path) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", greenroom_hub::api::graphql::sdl());
            Ok(())
        }
        Command::CheckConfig { config } => {
            load(&config)?;
            println!("ok");
            Ok(())
        }
        Command::Serve { config } => {
            let cfg = load(&config)?;
            logging::init(
                &cfg.logging.level,
                cfg.logging.format == "json",
                cfg.log_file(),
            )?;
            let hub = server::start(cfg).await?;
            demo::wait_for_signal().await;
            tracing::info!("shutting down");
            hub.stop().await;
            Ok(())
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Ca { command } => greenroom_hub::ca::rotate::run(command).await,
        Command::Migrate { config } => {
            let cfg = load(&config)?;
            let store = greenroom_hub::store::open(&cfg).await?;
            println!("{} store is up to date", store.backend());
            Ok(())
        }
        Command::Backup { config, out } => {
            let cfg = load(&config)?;
            let store = greenroom_hub::store::open(&cfg).await?;
            let counts =
                greenroom_hub::backup::backup(store.as_ref(), &cfg.server.data_dir, &out).await?;
            println!("backed up {counts} to {}", out.display());
            Ok(())
        }
        Command::Restore {
            config,
            from,
            replace_ca,
        } => {
            let cfg = load(&config)?;
            let store = greenroom_hub::store::open(&cfg).await?;
            let counts = greenroom_hub::backup::restore(
                store.as_ref(),
                &cfg.server.data_dir,
                &from,
                replace_ca,
            )
            .await?;
            let chain = match store.verify_audit_chain().await? {
                None => "the audit chain verifies".to_string(),
                Some(seq) => format!("the audit chain does NOT verify from entry {seq}"),
            };
            println!("restored {counts}; {chain}");
            Ok(())
        }
        Command::CreateUser {
            config,
            email,
            role,
            tenant,
        } => {
            let cfg = load(&config)?;
            let password = std::env::var("GREENROOM_PASSWORD")
                .context("set GREENROOM_PASSWORD to the new user's password")?;
            let store = greenroom_hub::store::open(&cfg).await?;
            demo::put_user(store.as_ref(), &email, &password, &role, &tenant).await?;
            println!("user {email} ({role}) saved");
            Ok(())
        }
        Command::LoadTemplates {
            config,
            file,
            tenant,
        } => {
            let cfg = load(&config)?;
            let text = match &file {
                Some(f) => std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
                None => demo::SAMPLES.to_string(),
            };
            let store = greenroom_hub::store::open(&cfg).await?;
            let pki_dir = cfg.server.data_dir.join("pki");
            greenroom_hub::ca::shared::startup(store.as_ref(), &pki_dir).await?;
            let pki = greenroom_hub::ca::HubPki::open(&pki_dir, &cfg.server.agent_hostnames)?;
            let app = greenroom_hub::app::App::new(cfg, store, pki);
            let admin = greenroom_hub::auth::Caller::internal(
                "cli",
                &tenant,
                greenroom_hub::model::Role::Admin,
            );
            let (added, skipped) = demo::load_templates(&app, &admin, &text).await?;
            println!("{added} templates added, {skipped} already present");
            Ok(())
        }
        Command::EnrollToken {
            config,
            tenant,
            ttl_hours,
            uses,
        } => {
            let cfg = load(&config)?;
            let ttl_hours = ttl_hours.unwrap_or(cfg.security.enrollment_token_hours);
            if !(1..=720).contains(&ttl_hours) {
                anyhow::bail!("--ttl-hours: must be between 1 and 720, got {ttl_hours}");
            }
            let store = greenroom_hub::store::open(&cfg).await?;
            let ttl = chrono::Duration::hours(ttl_hours as i64);
            let token = greenroom_hub::service::agents::issue_enrollment_token(
                store.as_ref(),
                &tenant,
                "cli",
                ttl,
                uses,
                &Default::default(),
            )
            .await?;
            println!("{token}");
            Ok(())
        }
    }
}
