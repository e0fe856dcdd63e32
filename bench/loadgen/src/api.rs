//! `greenroom-loadgen api`: open-loop clients against the hub's API.
//!
//! `--clients` clients, each with its own connection and bearer token (users are rate
//! limited one by one, as real users are), send requests on a fixed schedule that together
//! make `--rate` requests a second, cycling through the requests in `--requests`. A
//! request's latency runs from when it was due, not from when it was sent: when an answer
//! is late the requests due behind it count the wait too (as wrk2 does), so a stalled hub
//! shows in the percentiles instead of slowing the load. A non-2xx answer, a GraphQL answer
//! with `errors`, or a transport failure counts as an error.

use crate::latency::Recorder;
use anyhow::Context;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(clap::Args)]
pub struct ApiArgs {
    /// The API's base address, e.g. `http://127.0.0.1:8000`.
    #[arg(long)]
    base: String,
    /// Bearer tokens, one per line; client i uses line i mod n.
    #[arg(long)]
    tokens: PathBuf,
    /// A JSON list of requests: `{"name", "method": "GET"|"POST", "path", "body"?}`.
    #[arg(long)]
    requests: PathBuf,
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Requests a second, all clients together.
    #[arg(long, default_value_t = 250.0)]
    rate: f64,
    /// Seconds measured, after `--warmup` seconds not counted.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    #[arg(long, default_value_t = 5)]
    warmup: u64,
}

#[derive(Deserialize, Clone)]
struct Request {
    name: String,
    method: String,
    path: String,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

pub async fn run(a: ApiArgs) -> anyhow::Result<()> {
    let tokens: Vec<String> = std::fs::read_to_string(&a.tokens)
        .with_context(|| format!("--tokens {}", a.tokens.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    anyhow::ensure!(
        !tokens.is_empty(),
        "--tokens {}: no token in it",
        a.tokens.display()
    );
    let requests: Vec<Request> = serde_json::from_str(
        &std::fs::read_to_string(&a.requests)
            .with_context(|| format!("--requests {}", a.requests.display()))?,
    )
    .with_context(|| {
        format!(
            "--requests {}: not a list of requests",
            a.requests.display()
        )
    })?;
    anyhow::ensure!(!requests.is_empty(), "--requests: the list is empty");
    anyhow::ensure!(
        a.rate > 0.0 && a.clients > 0,
        "--rate and --clients must be above 0"
    );

    let requests = Arc::new(requests);
    let interval = Duration::from_secs_f64(a.clients as f64 / a.rate);
    let start = Instant::now() + Duration::from_millis(200);
    let measure_from = start + Duration::from_secs(a.warmup);
    let end = measure_from + Duration::from_secs(a.duration);
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..a.clients {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(60))
            .build()?;
        let token = tokens[c % tokens.len()].clone();
        let (base, requests) = (a.base.trim_end_matches('/').to_string(), requests.clone());
        // Clients are spread evenly over one interval, not all due at the same instant.
        let first = start + interval.mul_f64(c as f64 / a.clients as f64);
        clients.spawn(async move {
            let mut stats: BTreeMap<String, Recorder> = BTreeMap::new();
            let mut first_error: Option<String> = None;
            let mut due = first;
            let mut k = c;
            while due < end {
                tokio::time::sleep_until(due).await;
                let r = &requests[k % requests.len()];
                let outcome = send(&http, &base, &token, r).await;
                let took = due.elapsed();
                if due >= measure_from {
                    let rec = stats.entry(r.name.clone()).or_default();
                    rec.record(took);
                    if let Err(e) = outcome {
                        rec.errors += 1;
                        first_error.get_or_insert(format!("{}: {e}", r.name));
                    }
                }
                due += interval;
                k += 1;
            }
            (stats, first_error)
        });
    }
    let mut all: BTreeMap<String, Recorder> = BTreeMap::new();
    let mut errors = Vec::new();
    while let Some(r) = clients.join_next().await {
        let (stats, first_error) = r?;
        for (name, rec) in stats {
            all.entry(name).or_default().add(&rec);
        }
        errors.extend(first_error);
    }
    let mut total = Recorder::default();
    for (name, rec) in &all {
        total.add(rec);
        let mut line = rec.summary();
        line["request"] = json!(name);
        line["rate_rps"] = json!(rec.count() as f64 / a.duration as f64);
        println!("{line}");
    }
    let mut line = total.summary();
    line["request"] = json!("all");
    line["rate_rps"] = json!(total.count() as f64 / a.duration as f64);
    line["target_rps"] = json!(a.rate);
    line["clients"] = json!(a.clients);
    line["first_errors"] = json!(errors.iter().take(5).collect::<Vec<_>>());
    println!("{line}");
    Ok(())
}

async fn send(http: &reqwest::Client, base: &str, token: &str, r: &Request) -> Result<(), String> {
    let url = format!("{base}{}", r.path);
    let builder = match r.method.as_str() {
        "GET" => http.get(url),
        "POST" => http.post(url).json(r.body.as_ref().unwrap_or(&json!({}))),
        m => return Err(format!("method {m} is not GET or POST")),
    };
    let answer = builder
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let body = answer.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    if r.path.starts_with("/graphql")
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && v.get("errors").is_some_and(|e| !e.is_null())
    {
        return Err(format!("GraphQL errors: {}", v["errors"]));
    }
    Ok(())
}
