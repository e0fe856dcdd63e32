//! `greenroom-loadgen agents`: N agent identities in one process.
//!
//! Each identity is what a real agent is to the hub: its own key and certificate (enrolled
//! with a token through a CSR, like `greenroom-agent`), its own [`HubClient`] and so its own
//! TLS connections, a heartbeat every `--heartbeat` seconds (on the lease poll when the hub
//! takes it there, on its own otherwise: the agent's own schedule,
//! `greenroom_agent::heartbeat::Schedule`), and one lease long-poll open whenever it has a
//! free slot. A leased job gets an output batch and a result, as a real
//! agent sends them: at once (`noop`: the hub's own cost) or after running the command
//! (`exec`: shell commands through `/bin/sh -c`, other operations answered `failed`).
//!
//! What differs from the real agent, on purpose: no outbox on disk (a result is retried in
//! memory until the hub takes it), no policy, no certificate renewal, and a poll is opened
//! only while a slot is free (the real agent keeps one open with `capacity=0` for
//! cancellations).

use crate::latency::Recorder;
use anyhow::Context;
use greenroom_agent::client::{HubClient, HubError, Lease};
use greenroom_agent::heartbeat::Schedule;
use greenroom_proto::{
    Action, EnrollRequest, Facts, HeartbeatRequest, JobResult, LeasedJob, MAX_LEASE_WAIT_SECS,
    Metrics, Outcome, OutputBatch, OutputChunk, PROTOCOL_VERSION, Stream,
};
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const ENVIRONMENTS: [&str; 4] = ["dev", "staging", "uat", "preprod"];
const TAGS: [&[&str]; 3] = [
    &["nginx", "php"],
    &["postgresql", "database"],
    &["redis", "cache"],
];

#[derive(clap::Args)]
pub struct FleetArgs {
    /// The hub's agent address (`https://127.0.0.1:PORT`); repeat for replicas: identity i
    /// starts on address i mod n and fails over to the others.
    #[arg(long = "hub", required = true)]
    hubs: Vec<String>,
    /// The CA certificate the hub's agent listener is signed by (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// An enrollment token with at least `--agents` uses; `LOADGEN_TOKEN` when not given
    /// (keeps it out of the process list).
    #[arg(long)]
    token: Option<String>,
    #[arg(long, default_value_t = 100)]
    agents: usize,
    /// Server ids are `<prefix>-<environment>-<n>`.
    #[arg(long, default_value = "lg")]
    prefix: String,
    /// Seconds between heartbeats (the hub's answer overrides it).
    #[arg(long, default_value_t = 30)]
    heartbeat: u64,
    #[arg(long, value_enum, default_value = "noop")]
    mode: Mode,
    /// Jobs one identity runs at once.
    #[arg(long, default_value_t = 1)]
    slots: usize,
    /// Enrollments in flight at once.
    #[arg(long, default_value_t = 16)]
    enroll_concurrency: usize,
    /// Seconds between status lines on stdout (0: none).
    #[arg(long, default_value_t = 10)]
    status_every: u64,
    /// Appends a JSON line per result the hub answered — `{"job_id", "stored": true}` when
    /// it took it, `"stored": false` when it answered without taking it (a late result it
    /// fenced off), `"refused": "<why>"` when it refused the request — written before the
    /// identity takes its next job, for `make soak`'s accounting.
    #[arg(long)]
    ledger: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq)]
enum Mode {
    Noop,
    Exec,
}

/// Counters shared by every identity.
#[derive(Default)]
struct Counters {
    jobs: AtomicU64,
    heartbeats: AtomicU64,
    errors: AtomicU64,
    /// Lease answer (job in hand) until the hub acknowledged its result.
    job_time: Mutex<Recorder>,
    /// `--ledger`, open for appending.
    ledger: Option<Mutex<std::fs::File>>,
}

impl Counters {
    fn ledger(&self, line: serde_json::Value) {
        if let Some(f) = &self.ledger {
            use std::io::Write;
            let mut f = f.lock().expect("not poisoned");
            if let Err(e) = writeln!(f, "{line}") {
                eprintln!("loadgen: ledger: {e}");
            }
        }
    }
}

pub async fn run(a: FleetArgs) -> anyhow::Result<()> {
    let mut a = a;
    if a.token.is_none() {
        a.token = std::env::var("LOADGEN_TOKEN").ok();
    }
    anyhow::ensure!(
        a.token.is_some(),
        "no enrollment token: give --token or set LOADGEN_TOKEN"
    );
    let ca_pem = std::fs::read_to_string(&a.ca)
        .with_context(|| format!("--ca {}: cannot read", a.ca.display()))?;
    let args = Arc::new(a);
    let ledger = match &args.ledger {
        Some(p) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("--ledger {}: cannot open", p.display()))?,
        )),
        None => None,
    };
    let counters = Arc::new(Counters {
        ledger,
        ..Counters::default()
    });
    let started = Instant::now();

    // Enroll everyone first (bounded concurrency), then start them all.
    let gate = Arc::new(Semaphore::new(args.enroll_concurrency.max(1)));
    let mut enrolling = tokio::task::JoinSet::new();
    for i in 0..args.agents {
        let (args, ca_pem, gate) = (args.clone(), ca_pem.clone(), gate.clone());
        enrolling.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            Identity::enroll(&args, &ca_pem, i).await
        });
    }
    let mut identities = Vec::with_capacity(args.agents);
    while let Some(r) = enrolling.join_next().await {
        identities.push(r??);
    }
    let enroll_s = started.elapsed().as_secs_f64();
    eprintln!(
        "loadgen: {} identities enrolled in {enroll_s:.1} s",
        identities.len()
    );

    // Everyone heartbeats once now (the hub sees the fleet at once); after that the
    // heartbeats are spread evenly over the interval, as a real fleet's are (its agents
    // started at different times), instead of N arriving together every interval.
    let (first_tx, mut first_rx) = tokio::sync::mpsc::channel::<()>(identities.len().max(1));
    let n = identities.len().max(1);
    for (k, id) in identities.into_iter().enumerate() {
        let (args, counters, first_tx) = (args.clone(), counters.clone(), first_tx.clone());
        let phase = k as f64 / n as f64;
        tokio::spawn(id.live(args, counters, first_tx, phase));
    }
    drop(first_tx);
    for _ in 0..args.agents {
        if first_rx.recv().await.is_none() {
            break;
        }
    }
    println!(
        "{}",
        json!({"event": "ready", "agents": args.agents, "enroll_s": enroll_s,
               "ready_s": started.elapsed().as_secs_f64()})
    );

    let mut status = (args.status_every > 0)
        .then(|| tokio::time::interval(Duration::from_secs(args.status_every)));
    let stop = greenroom_agent::os_shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = async { status.as_mut().unwrap().tick().await }, if status.is_some() => {
                println!("{}", status_line("status", &counters, started));
            }
        }
    }
    println!("{}", status_line("done", &counters, started));
    Ok(())
}

fn status_line(event: &str, c: &Counters, started: Instant) -> serde_json::Value {
    json!({
        "event": event,
        "uptime_s": started.elapsed().as_secs_f64(),
        "jobs": c.jobs.load(Ordering::Relaxed),
        "heartbeats": c.heartbeats.load(Ordering::Relaxed),
        "errors": c.errors.load(Ordering::Relaxed),
        "job_time": c.job_time.lock().expect("not poisoned").summary(),
    })
}

/// One enrolled identity.
struct Identity {
    client: HubClient,
    facts: Facts,
    running: Arc<Mutex<HashSet<String>>>,
    beats: Schedule,
}

impl Identity {
    async fn enroll(args: &FleetArgs, ca_pem: &str, i: usize) -> anyhow::Result<Self> {
        let env = ENVIRONMENTS[i % ENVIRONMENTS.len()];
        let server_id = format!("{}-{env}-{:05}", args.prefix, i + 1);
        let n = args.hubs.len();
        let hubs: Vec<&String> = (0..n).map(|k| &args.hubs[(i + k) % n]).collect();
        let facts = Facts {
            hostname: server_id.clone(),
            ip_address: format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            os_info: "loadgen".into(),
            agent_version: env!("CARGO_PKG_VERSION").into(),
            environment: env.into(),
            server_group: "loadgen".into(),
            tags: TAGS[i % TAGS.len()].iter().map(|t| t.to_string()).collect(),
            capabilities: vec!["shell_execution".into()],
            max_concurrent_jobs: args.slots as u32,
            timeout_default: 300,
        };
        let (key_pem, csr_pem) = greenroom_pki::generate_agent_key_and_csr(&server_id)?;
        let anonymous = HubClient::new(&hubs, greenroom_pki::agent_client_config(ca_pem, None)?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let req = EnrollRequest {
            protocol_version: PROTOCOL_VERSION,
            token: args.token.clone().unwrap_or_default(),
            server_id: server_id.clone(),
            csr_pem,
            facts: facts.clone(),
        };
        let mut tries = 0;
        let resp = loop {
            match anonymous.enroll(&req).await {
                Ok(r) => break r,
                Err(e) if e.is_client_error() || tries >= 20 => {
                    anyhow::bail!("{server_id}: enrollment refused: {e}")
                }
                Err(_) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
            }
        };
        let tls =
            greenroom_pki::agent_client_config(ca_pem, Some((&resp.certificate_pem, &key_pem)))?;
        let client = HubClient::new(&hubs, tls).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            client,
            facts,
            running: Arc::default(),
            beats: Schedule::new(Duration::from_secs(args.heartbeat.clamp(1, 3600))),
        })
    }

    /// Heartbeats and leases until the process ends; `first` hears once, after the first
    /// heartbeat the hub accepted. `phase` (0 to 1) is this identity's share of the interval
    /// waited once after that first heartbeat.
    async fn live(
        self,
        args: Arc<FleetArgs>,
        counters: Arc<Counters>,
        first: tokio::sync::mpsc::Sender<()>,
        phase: f64,
    ) {
        let me = Arc::new(self);
        tokio::spawn(
            me.clone()
                .heartbeats(args.heartbeat, phase, counters.clone(), first),
        );
        me.lease_loop(args, counters).await
    }

    fn heartbeat(&self) -> HeartbeatRequest {
        HeartbeatRequest {
            protocol_version: PROTOCOL_VERSION,
            facts: self.facts.clone(),
            metrics: Metrics::default(),
            running_jobs: self
                .running
                .lock()
                .expect("not poisoned")
                .iter()
                .cloned()
                .collect(),
            trust_bundle_sha256: None,
        }
    }

    /// The heartbeats no lease poll took (the first, and all of them while no poll is open).
    async fn heartbeats(
        self: Arc<Self>,
        every: u64,
        phase: f64,
        counters: Arc<Counters>,
        first: tokio::sync::mpsc::Sender<()>,
    ) {
        let mut first = Some(first);
        loop {
            let taken = self.beats.standalone().await;
            match self.client.heartbeat(&self.heartbeat()).await {
                Ok(answer) => {
                    counters.heartbeats.fetch_add(1, Ordering::Relaxed);
                    self.beats.answered(answer.heartbeat_interval);
                    if let Some(tx) = first.take() {
                        let _ = tx.send(()).await;
                        let every = Duration::from_secs(every.clamp(1, 3600));
                        self.beats.skew(every.mul_f64(phase.clamp(0.0, 1.0)));
                    }
                }
                Err(e) => {
                    counted(&counters, "heartbeat", &e);
                    self.beats.not_carried(taken, false);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    async fn lease_loop(self: Arc<Self>, args: Arc<FleetArgs>, counters: Arc<Counters>) {
        let slots = Arc::new(Semaphore::new(args.slots.max(1)));
        let max_wait = Duration::from_secs(MAX_LEASE_WAIT_SECS);
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let capacity = slots.available_permits() + 1;
            let beat = self.beats.take_for_lease().map(|t| (t, self.heartbeat()));
            let wait = self.beats.lease_wait(max_wait);
            let answer = self
                .client
                .lease(wait, Some(capacity), beat.as_ref().map(|(_, r)| r))
                .await;
            if let Some((taken, _)) = beat {
                match &answer {
                    Ok(a) => match &a.heartbeat {
                        Some(hb) => {
                            counters.heartbeats.fetch_add(1, Ordering::Relaxed);
                            self.beats.answered(hb.heartbeat_interval);
                        }
                        None => self.beats.not_carried(taken, true),
                    },
                    Err(e) => self.beats.not_carried(taken, e.is_client_error()),
                }
            }
            match answer {
                Ok(answer) => match answer.lease {
                    Lease::Job(job) => {
                        let (me, counters) = (self.clone(), counters.clone());
                        let mode = args.mode;
                        tokio::spawn(async move {
                            me.run_job(*job, mode, &counters).await;
                            drop(permit);
                        });
                    }
                    Lease::Unreadable { job_id, error } => {
                        let r = result(
                            Outcome::Failed,
                            None,
                            String::new(),
                            error,
                            chrono::Utc::now(),
                        );
                        self.deliver(&job_id, &r, &counters).await;
                    }
                    Lease::Nothing => {}
                },
                Err(e) => {
                    counted(&counters, "lease", &e);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    async fn run_job(&self, job: LeasedJob, mode: Mode, counters: &Counters) {
        let t0 = Instant::now();
        let started = chrono::Utc::now();
        self.running
            .lock()
            .expect("not poisoned")
            .insert(job.job_id.clone());
        let (status, code, out, err) = match (mode, &job.action) {
            (Mode::Noop, _) => (Outcome::Success, Some(0), "hi\n".to_string(), String::new()),
            (Mode::Exec, Action::ShellCommand(c)) => shell(&c.command, c.timeout).await,
            (Mode::Exec, other) => (
                Outcome::Failed,
                None,
                String::new(),
                format!("loadgen runs shell commands only, not {}", other.kind()),
            ),
        };
        if !out.is_empty() {
            let batch = OutputBatch {
                chunks: vec![OutputChunk {
                    seq: 0,
                    stream: Stream::Stdout,
                    data: out.clone(),
                }],
                request_id: job.request_id.clone(),
            };
            if let Err(e) = self.client.output(&job.job_id, &batch).await {
                counted(counters, "output", &e);
            }
        }
        let mut r = result(status, code, out, err, started);
        r.request_id = job.request_id.clone();
        self.deliver(&job.job_id, &r, counters).await;
        self.running
            .lock()
            .expect("not poisoned")
            .remove(&job.job_id);
        counters.jobs.fetch_add(1, Ordering::Relaxed);
        counters
            .job_time
            .lock()
            .expect("not poisoned")
            .record(t0.elapsed());
    }

    /// Sends a result until the hub takes it (the real agent keeps it in its outbox).
    async fn deliver(&self, job_id: &str, r: &JobResult, counters: &Counters) {
        for attempt in 1u64.. {
            match self.client.result(job_id, r).await {
                Ok(ack) => {
                    // `stored: false`: answered, not taken (a late result the hub fenced off).
                    counters.ledger(json!({"job_id": job_id, "stored": ack.stored}));
                    return;
                }
                Err(e) if e.is_client_error() => {
                    counters.ledger(json!({"job_id": job_id, "refused": e.to_string()}));
                    counted(counters, "result", &e);
                    return;
                }
                Err(e) => {
                    counted(counters, "result", &e);
                    tokio::time::sleep(Duration::from_millis(100 * attempt.min(50))).await;
                }
            }
        }
    }
}

fn counted(counters: &Counters, what: &str, e: &HubError) {
    let n = counters.errors.fetch_add(1, Ordering::Relaxed);
    if n < 20 {
        eprintln!("loadgen: {what}: {e}");
    }
}

fn result(
    status: Outcome,
    exit_code: Option<i32>,
    output: String,
    error_output: String,
    started_at: chrono::DateTime<chrono::Utc>,
) -> JobResult {
    let finished_at = chrono::Utc::now();
    JobResult {
        status,
        exit_code,
        output,
        error_output,
        execution_time: (finished_at - started_at).num_microseconds().unwrap_or(0) as f64 / 1e6,
        resource_usage: Default::default(),
        truncated: false,
        started_at,
        finished_at,
        checks: Vec::new(),
        request_id: None,
        sent_at: None,
    }
}

/// Runs `command` with `/bin/sh -c`, killed after `timeout` seconds (default 300).
async fn shell(command: &str, timeout: Option<u64>) -> (Outcome, Option<i32>, String, String) {
    let child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(timeout.unwrap_or(300)), child).await {
        Err(_) => (Outcome::Timeout, None, String::new(), "timed out".into()),
        Ok(Err(e)) => (
            Outcome::Failed,
            None,
            String::new(),
            format!("cannot start /bin/sh: {e}"),
        ),
        Ok(Ok(o)) => (
            if o.status.success() {
                Outcome::Success
            } else {
                Outcome::Failed
            },
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ),
    }
}
