//! `greenroom-hub ca ...`: the operator's side of a CA rotation (runbook: docs/SECURITY.md,
//! "CA rotation"). Each step reads the servers from the store — which CA issued each one's
//! current certificate, which trust bundle its agent reported — refuses when going on
//! would lock agents out (unless `--force`), changes the pki dir with
//! `greenroom_pki::{stage, activate, finish}`, audits, and prints what happened and what
//! to do next. A running hub picks the change up within [`super::RELOAD_PERIOD`].

use crate::audit::{self, Actor, Resource};
use crate::config::Config;
use crate::model::{DEFAULT_TENANT, Server};
use crate::store::Store;
use anyhow::{Context as _, bail};
use greenroom_pki::{CaCert, CaSet, NEXT_CERT_FILE, RETIRING_CERT_FILE, RETIRING_KEY_FILE};
use serde_json::json;
use std::path::{Path, PathBuf};

/// `greenroom-hub ca ...`
#[derive(Debug, clap::Subcommand)]
pub enum CaCommand {
    /// Print the active, next and retiring CAs: fingerprints, expiry, servers on each.
    Status {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Rotate the CA in three steps: stage, activate, finish.
    Rotate {
        #[command(subcommand)]
        step: RotateStep,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum RotateStep {
    /// Create the next CA; the hub trusts it from now on and sends it to every agent.
    Stage {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Make the next CA the signer; refused while an agent has not fetched it (unless --force).
    Activate {
        #[arg(long, short)]
        config: PathBuf,
        /// Activate even though some agents do not trust the next CA yet (they will be
        /// unable to verify the hub until their `agent.ca_cert` includes it).
        #[arg(long)]
        force: bool,
    },
    /// Drop the retiring CA; refused while a server still uses a certificate from it
    /// (unless --force).
    Finish {
        #[arg(long, short)]
        config: PathBuf,
        /// Finish even though some servers still hold certificates from the retiring CA
        /// (their agents will be refused until they enroll again).
        #[arg(long)]
        force: bool,
    },
}

/// Runs one `ca` verb and prints its report.
pub async fn run(cmd: CaCommand) -> anyhow::Result<()> {
    let text = match cmd {
        CaCommand::Status { config } => status(&Ctx::open(&config).await?).await?,
        CaCommand::Rotate { step } => match step {
            RotateStep::Stage { config } => stage(&Ctx::open(&config).await?).await?,
            RotateStep::Activate { config, force } => {
                activate(&Ctx::open(&config).await?, force).await?
            }
            RotateStep::Finish { config, force } => {
                finish(&Ctx::open(&config).await?, force).await?
            }
        },
    };
    print!("{text}");
    Ok(())
}

/// What every verb works on: the pki dir and the store of one config.
struct Ctx {
    dir: PathBuf,
    store: std::sync::Arc<dyn Store>,
    /// The version of the store's CA files the pki dir was brought to.
    version: u64,
}

impl Ctx {
    /// The store of one config and its pki dir, brought to the store's copy of the CA (the
    /// one every hub of the store uses).
    async fn open(config: &Path) -> anyhow::Result<Self> {
        let cfg = Config::load(config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dir = cfg.server.data_dir.join("pki");
        let store = crate::store::open(&cfg)
            .await
            .map_err(|e| anyhow::anyhow!("store: {e}"))?;
        let saved = store
            .pki_files()
            .await
            .map_err(|e| anyhow::anyhow!("store: {e}"))?;
        if saved.is_none()
            && !dir.join(greenroom_pki::CA_CERT_FILE).exists()
            && !dir.join(greenroom_pki::RETIRING_CERT_FILE).exists()
        {
            bail!(
                "no CA in the store or in {} yet: the hub creates it when it first starts",
                dir.display()
            );
        }
        let version = super::shared::startup(store.as_ref(), &dir).await?;
        Ok(Self {
            dir,
            store,
            version,
        })
    }

    /// Saves a step's change of the pki dir to the store, for every hub; when another step
    /// got there first, the pki dir goes back to the store's copy and the step fails.
    async fn save(&self) -> anyhow::Result<()> {
        if let Err(e) = super::shared::save(self.store.as_ref(), &self.dir, self.version).await {
            if let Ok(Some(saved)) = self.store.pki_files().await {
                let _ = super::shared::write_dir_files(&self.dir, &saved.files);
            }
            return Err(e);
        }
        Ok(())
    }

    fn cas(&self) -> anyhow::Result<CaSet> {
        Ok(CaSet::load(&self.dir)?)
    }

    /// Servers whose certificates the hub still accepts (not revoked).
    async fn live_servers(&self) -> anyhow::Result<Vec<Server>> {
        let all = self
            .store
            .all_servers()
            .await
            .context("reading the servers")?;
        Ok(all.into_iter().filter(|s| !s.credentials.revoked).collect())
    }

    async fn audit(&self, event: &str, ca: &CaCert, details: serde_json::Value) {
        let r = Resource {
            kind: "certificate_authority",
            id: &ca.fingerprint,
            name: None,
        };
        let actor = Actor::User {
            email: "cli",
            origin: &audit::NO_ORIGIN,
        };
        audit::record_in(
            self.store.as_ref(),
            DEFAULT_TENANT,
            actor,
            event,
            r,
            details,
            None,
        )
        .await;
    }
}

fn issuer(s: &Server) -> Option<&str> {
    s.credentials.issuer_fingerprint.as_deref()
}

fn ids(servers: &[&Server]) -> String {
    servers
        .iter()
        .map(|s| s.server_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ca_line(ca: &CaCert, servers: usize) -> String {
    let expired = if ca.not_after <= chrono::Utc::now() {
        " (expired: no longer trusted)"
    } else {
        ""
    };
    format!(
        "{:<9} {}  not after {}{expired}  servers: {servers}\n",
        ca.role.as_str(),
        ca.fingerprint,
        ca.not_after.format("%Y-%m-%d %H:%M:%S UTC"),
    )
}

async fn status(ctx: &Ctx) -> anyhow::Result<String> {
    let cas = ctx.cas()?;
    let servers = ctx.live_servers().await?;
    let on = |ca: &CaCert| {
        servers
            .iter()
            .filter(|s| issuer(s) == Some(&ca.fingerprint))
            .count()
    };
    let mut out = format!("pki dir: {}\n", ctx.dir.display());
    for ca in [Some(&cas.active), cas.next.as_ref(), cas.retiring.as_ref()]
        .into_iter()
        .flatten()
    {
        out += &ca_line(ca, on(ca));
    }
    let known: Vec<&str> = [Some(&cas.active), cas.next.as_ref(), cas.retiring.as_ref()]
        .into_iter()
        .flatten()
        .map(|c| c.fingerprint.as_str())
        .collect();
    let other: Vec<&Server> = servers
        .iter()
        .filter(|s| issuer(s).is_none_or(|i| !known.contains(&i)))
        .collect();
    if !other.is_empty() {
        out += &format!(
            "servers on no CA above (issuer unknown until their next heartbeat, or a retired CA): {} ({})\n",
            other.len(),
            ids(&other)
        );
    }
    let sha = cas.bundle.sha256();
    let holding = servers
        .iter()
        .filter(|s| s.credentials.trust_bundle_sha256.as_deref() == Some(sha.as_str()))
        .count();
    out += &format!(
        "trust bundle: {} CA(s), sha256 {sha}; agents holding it: {holding} of {}\n",
        cas.bundle.cas().len(),
        servers.len()
    );
    out += match (&cas.next, &cas.retiring) {
        (Some(_), _) => {
            "rotation: staged; next `greenroom-hub ca rotate activate` once every agent holds the bundle\n"
        }
        (None, Some(_)) => {
            "rotation: activated; next `greenroom-hub ca rotate finish` once no server is on the retiring CA\n"
        }
        (None, None) => "rotation: none under way\n",
    };
    Ok(out)
}

async fn stage(ctx: &Ctx) -> anyhow::Result<String> {
    let next = greenroom_pki::stage(&ctx.dir)?;
    ctx.save().await?;
    ctx.audit(
        "ca_rotation_staged",
        &next,
        json!({"not_after": next.not_after}),
    )
    .await;
    Ok(format!(
        "staged the next CA {} (not after {}).\nThe hub trusts it from now on (a running hub within seconds) and agents fetch the new trust bundle at their next heartbeat.\nWhen `greenroom-hub ca status` shows every agent holding the bundle, run `greenroom-hub ca rotate activate`.\n",
        next.fingerprint,
        next.not_after.format("%Y-%m-%d")
    ))
}

async fn activate(ctx: &Ctx, force: bool) -> anyhow::Result<String> {
    // A re-run after a crash half-way completes the renames; nothing to check then.
    let d = |f: &str| ctx.dir.join(f);
    let resuming = d(NEXT_CERT_FILE).exists()
        && (d(RETIRING_CERT_FILE).exists() || d(RETIRING_KEY_FILE).exists());
    let mut lacking = Vec::new();
    if !resuming {
        let cas = ctx.cas()?;
        if cas.next.is_none() {
            bail!("no CA is staged: run `greenroom-hub ca rotate stage` first");
        }
        let sha = cas.bundle.sha256();
        let servers = ctx.live_servers().await?;
        lacking = servers
            .iter()
            .filter(|s| s.credentials.trust_bundle_sha256.as_deref() != Some(sha.as_str()))
            .map(|s| s.server_id.clone())
            .collect::<Vec<_>>();
        if !lacking.is_empty() && !force {
            bail!(
                "refused: {} server(s) have not reported holding the trust bundle with the next CA, so their agents could not verify the hub's new certificate: {}. Start their agents (they fetch the bundle at their next heartbeat; check `greenroom-hub ca status`), revoke them, or activate with --force",
                lacking.len(),
                lacking.join(", ")
            );
        }
    }
    let active = greenroom_pki::activate(&ctx.dir)?;
    ctx.save().await?;
    let retiring = ctx.cas()?.retiring;
    ctx.audit(
        "ca_rotation_activated",
        &active,
        json!({"retiring": retiring.as_ref().map(|r| &r.fingerprint), "forced": force, "servers_without_bundle": lacking}),
    )
    .await;
    let mut out = format!(
        "activated CA {}: it signs the hub's certificate and every agent certificate from now on.\n",
        active.fingerprint
    );
    if let Some(r) = retiring {
        out += &format!(
            "The previous CA {} is retiring: still trusted, so agents keep working; each renews its certificate at its next heartbeat.\n",
            r.fingerprint
        );
    }
    if !lacking.is_empty() {
        out += &format!(
            "warning: forced while these servers lacked the bundle: {}\n",
            lacking.join(", ")
        );
    }
    out += "When `greenroom-hub ca status` shows no server on the retiring CA, run `greenroom-hub ca rotate finish`.\n";
    Ok(out)
}

async fn finish(ctx: &Ctx, force: bool) -> anyhow::Result<String> {
    let cas = ctx.cas()?;
    let Some(retiring) = &cas.retiring else {
        bail!("no CA is retiring: there is no rotation to finish");
    };
    let servers = ctx.live_servers().await?;
    let behind: Vec<&Server> = servers
        .iter()
        .filter(|s| issuer(s) != Some(cas.active.fingerprint.as_str()))
        .collect();
    if !behind.is_empty() && !force {
        bail!(
            "refused: {} server(s) still hold a certificate not issued by the active CA (retiring CA {}): {}. Their agents renew at their next heartbeat: start them, revoke the servers (`POST /api/v1/servers/{{id}}/revoke`), or finish with --force (their agents will be refused until they enroll again)",
            behind.len(),
            retiring.fingerprint,
            ids(&behind)
        );
    }
    let behind: Vec<String> = behind.iter().map(|s| s.server_id.clone()).collect();
    let retired = greenroom_pki::finish(&ctx.dir)?;
    ctx.save().await?;
    ctx.audit(
        "ca_rotation_finished",
        &retired,
        json!({"archived": retired.path, "forced": force, "servers_left_behind": behind}),
    )
    .await;
    let mut out = format!(
        "finished: CA {} is no longer trusted; its key is deleted and its certificate archived as {}.\n",
        retired.fingerprint,
        retired.path.display()
    );
    if !behind.is_empty() {
        out += &format!(
            "warning: forced while these servers were not on the active CA (they must enroll again): {}\n",
            behind.join(", ")
        );
    }
    out += &format!(
        "Agents that enroll from now on need `agent.ca_cert` = {} (the active CA).\n",
        ctx.dir.join(greenroom_pki::CA_CERT_FILE).display()
    );
    Ok(out)
}
