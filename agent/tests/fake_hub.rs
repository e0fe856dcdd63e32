//! The whole daemon (`greenroom_agent::run`) against a small in-test hub speaking the agent
//! protocol over real mTLS sockets: enrollment, leasing, live output, results through the
//! outbox with retries, cancellation by heartbeat, outbox resend on start-up, revocation,
//! and a refused enrollment token.
//!
//! Why a stand-in hub: it injects failures the real hub cannot be made to produce on demand
//! (503s on results, revocation, cancellation while running). The same daemon against the
//! real hub binary is exercised in `hub/tests/e2e.rs`; move cases there as the hub grows the
//! features (revoke, cancel).

#[path = "fake_hub/stand_in.rs"]
mod stand_in;

use greenroom_agent::outbox::Outbox;
use greenroom_proto::*;
use stand_in::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolls_runs_jobs_and_delivers_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, url, ca) = start_hub(dir.path()).await;
    {
        let mut s = hub.state.lock().unwrap();
        s.fail_results = 2; // the first two result posts fail: they must be retried
        s.jobs.push_back(job("j-echo", "echo hello; echo warn >&2"));
        s.jobs.push_back(job("j-fail", "exit 3"));
        s.jobs.push_back(job("j-sleep", "sleep 30"));
        s.cancel_when_running.push("j-sleep".into());
        s.jobs.push_back(raw_job(
            "j-future",
            serde_json::json!({"type": "reboot_the_world", "now": true}),
        ));
    }
    let cfg = config(dir.path(), &url, &ca, "good-token");
    let (agent, stop) = start_agent(cfg.clone());
    until("four results", Duration::from_secs(30), || {
        hub.state.lock().unwrap().results.len() == 4
    })
    .await;

    let state_dir = dir.path().join("state");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(state_dir.join("agent.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(state_dir.join("agent.crt").exists());
    {
        let s = hub.state.lock().unwrap();
        let echo = &s.results["j-echo"];
        assert_eq!(
            (echo.status, echo.exit_code, echo.output.as_str()),
            (Outcome::Success, Some(0), "hello\n")
        );
        assert_eq!(echo.error_output, "warn\n");
        let fail = &s.results["j-fail"];
        assert_eq!((fail.status, fail.exit_code), (Outcome::Failed, Some(3)));
        assert_eq!(s.results["j-sleep"].status, Outcome::Cancelled);
        let future = &s.results["j-future"];
        assert_eq!(future.status, Outcome::Failed);
        assert!(
            future.error_output.contains("reboot_the_world"),
            "{}",
            future.error_output
        );
        assert!(s.running_seen.contains(&"j-sleep".to_string()));
        assert!(
            s.result_attempts >= 5,
            "failed posts were retried: {}",
            s.result_attempts
        );
        let mut echo_chunks: Vec<&OutputChunk> = s
            .output
            .iter()
            .filter(|(j, _)| j == "j-echo")
            .map(|(_, c)| c)
            .collect();
        echo_chunks.sort_by_key(|c| c.seq);
        let seqs: Vec<u64> = echo_chunks.iter().map(|c| c.seq).collect();
        assert_eq!(
            seqs,
            (0..seqs.len() as u64).collect::<Vec<_>>(),
            "seq runs from 0 without gaps"
        );
        let text: String = echo_chunks
            .iter()
            .filter(|c| c.stream == Stream::Stdout)
            .map(|c| c.data.as_str())
            .collect();
        assert_eq!(text, "hello\n");
        assert!(s.heartbeats >= 1);
    }
    assert!(
        Outbox::open(&state_dir.join("outbox"))
            .unwrap()
            .pending()
            .is_empty()
    );
    stop_agent(agent, stop, 20).await;

    // A result left in the outbox (e.g. by a crash) goes first on the next start; one the
    // hub will never take (404) is dropped.
    let outbox = Outbox::open(&state_dir.join("outbox")).unwrap();
    let mut old = hub.state.lock().unwrap().results["j-echo"].clone();
    old.output = "from an earlier life\n".into();
    outbox.put("j-old", &old).unwrap();
    outbox.put("unknown-job", &old).unwrap();
    drop(outbox);
    let (agent, stop) = start_agent(cfg);
    until("the old result", Duration::from_secs(15), || {
        hub.state.lock().unwrap().results.contains_key("j-old")
    })
    .await;
    until("an empty outbox", Duration::from_secs(15), || {
        Outbox::open(&state_dir.join("outbox"))
            .unwrap()
            .pending()
            .is_empty()
    })
    .await;
    assert_eq!(
        hub.state.lock().unwrap().results["j-old"].output,
        "from an earlier life\n"
    );
    stop_agent(agent, stop, 20).await;
}

/// The lease poll stays open with capacity 0 while the only slot is busy, and a
/// cancellation in its answer kills the running job at once (no heartbeat involved).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_agent_polls_with_capacity_0_and_honours_lease_cancellations() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, url, ca) = start_hub(dir.path()).await;
    {
        let mut s = hub.state.lock().unwrap();
        s.jobs.push_back(job("j-block", "sleep 60"));
        s.jobs.push_back(job("j-next", "echo next"));
        s.cancel_on_busy_lease.push("j-block".into());
    }
    let cfg = config_with(dir.path(), &url, &ca, "good-token", 1);
    let (agent, stop) = start_agent(cfg);
    until("both results", Duration::from_secs(20), || {
        hub.state.lock().unwrap().results.len() == 2
    })
    .await;
    {
        let s = hub.state.lock().unwrap();
        assert_eq!(
            s.results["j-block"].status,
            Outcome::Cancelled,
            "{:?}",
            s.results["j-block"]
        );
        assert_eq!(s.results["j-next"].status, Outcome::Success);
        assert_eq!(
            s.capacities.first().map(String::as_str),
            Some("1"),
            "{:?}",
            s.capacities
        );
        assert!(s.capacities.iter().any(|c| c == "0"), "{:?}", s.capacities);
        assert!(
            s.capacities.iter().all(|c| c == "0" || c == "1"),
            "{:?}",
            s.capacities
        );
    }
    stop.send(()).unwrap();
    agent.await.unwrap().unwrap();
}

/// A hub from before `capacity` (422 for the unknown parameter) still gets its jobs run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_hub_that_refuses_capacity_is_polled_the_older_way() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, url, ca) = start_hub(dir.path()).await;
    {
        let mut s = hub.state.lock().unwrap();
        s.refuse_capacity = true;
        s.jobs.push_back(job("j-old", "echo old"));
    }
    let (agent, stop) = start_agent(config(dir.path(), &url, &ca, "good-token"));
    until("the result", Duration::from_secs(20), || {
        hub.state.lock().unwrap().results.contains_key("j-old")
    })
    .await;
    {
        let s = hub.state.lock().unwrap();
        assert_eq!(s.results["j-old"].status, Outcome::Success);
        assert_eq!(
            s.capacities.first().map(String::as_str),
            Some("2"),
            "{:?}",
            s.capacities
        );
        assert!(
            s.capacities.iter().skip(1).any(|c| c == "-"),
            "{:?}",
            s.capacities
        );
    }
    stop.send(()).unwrap();
    agent.await.unwrap().unwrap();
}

/// Heartbeats ride on the lease poll where the hub takes them there: one request per
/// interval. A hub that refuses the parameter, or answers the poll without the heartbeat,
/// gets every heartbeat on its own instead, none lost, and its jobs still run (polled with
/// `capacity`: the refusal is taken for the heartbeat, not for the poll).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_ride_on_the_poll_where_the_hub_takes_them_and_go_alone_where_not() {
    for mode in [OnLease::Take, OnLease::Ignore, OnLease::Refuse] {
        let dir = tempfile::tempdir().unwrap();
        let (hub, url, ca) = start_hub(dir.path()).await;
        {
            let mut s = hub.state.lock().unwrap();
            s.heartbeat_on_lease = mode;
            s.jobs.push_back(job("j-1", "echo one"));
        }
        let (agent, stop) = start_agent(config(dir.path(), &url, &ca, "good-token"));
        // heartbeat_interval: 1 s
        until("six heartbeats", Duration::from_secs(30), || {
            hub.state.lock().unwrap().heartbeats >= 6
        })
        .await;
        until("the result", Duration::from_secs(20), || {
            hub.state.lock().unwrap().results.contains_key("j-1")
        })
        .await;
        {
            let s = hub.state.lock().unwrap();
            let alone = s.heartbeats - s.heartbeats_on_lease;
            match mode {
                OnLease::Take => {
                    assert_eq!(
                        alone, 1,
                        "only the first goes on its own: {} in all",
                        s.heartbeats
                    );
                    assert!(s.heartbeats_on_lease >= 5);
                }
                OnLease::Ignore | OnLease::Refuse => {
                    assert_eq!(s.heartbeats_on_lease, 0);
                    assert!(alone >= 6);
                }
            }
            assert!(
                s.capacities.iter().all(|c| c != "-"),
                "still polled with capacity: {:?}",
                s.capacities
            );
            assert_eq!(s.results["j-1"].status, Outcome::Success);
        }
        stop.send(()).unwrap();
        agent.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_agent_stops_with_status_3() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, url, ca) = start_hub(dir.path()).await;
    hub.state.lock().unwrap().revoked = true;
    let (agent, _stop) = start_agent(config(dir.path(), &url, &ca, "good-token"));
    let err = tokio::time::timeout(Duration::from_secs(20), agent)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.exit_code(), 3, "{err}");
    assert!(err.to_string().contains("certificate_revoked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_enrollment_token_stops_the_agent() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, url, ca) = start_hub(dir.path()).await;
    let (agent, _stop) = start_agent(config(dir.path(), &url, &ca, "bad-token"));
    let err = tokio::time::timeout(Duration::from_secs(20), agent)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.exit_code(), 1, "{err}");
    assert!(err.to_string().contains("invalid_token"), "{err}");
    assert!(!dir.path().join("state/agent.crt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_hub_is_retried_until_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, _url, ca) = start_hub(dir.path()).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", closed.local_addr().unwrap());
    drop(closed);
    let (agent, stop) = start_agent(config(dir.path(), &url, &ca, "good-token"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !agent.is_finished(),
        "network errors are retried, not fatal"
    );
    stop_agent(agent, stop, 10).await;
}

/// The real binary under SIGTERM: the running job gets the grace period, is then cancelled
/// (its result delivered as `cancelled`), and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_cancels_running_jobs_on_sigterm_and_exits_0() {
    use std::io::{BufRead, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (hub, url, ca) = start_hub(dir.path()).await;
    hub.state
        .lock()
        .unwrap()
        .jobs
        .push_back(job("j-long", "sleep 60"));
    let cfg_file = dir.path().join("agent_config.yaml");
    std::fs::write(
        &cfg_file,
        format!(
            "agent:\n  server_id: bin-agent\n  backend_url: {url}\n  auth_token: ${{TEST_TOKEN}}\n  ca_cert: {}\n  state_dir: {}\n\
             execution:\n  shutdown_grace_seconds: 2\nsecurity:\n  allow_root: true\nmonitoring:\n  heartbeat_interval: 1\n  health_check_port: 0\n",
            ca.display(),
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_greenroom-agent"))
        .args(["run", "--config"])
        .arg(&cfg_file)
        .env("TEST_TOKEN", "good-token")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(a) = v["fields"]["health_addr"].as_str()
            {
                let _ = addr_tx.send(a.to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("health_addr is logged");
    until("the job to run", Duration::from_secs(15), || {
        hub.state
            .lock()
            .unwrap()
            .running_seen
            .contains(&"j-long".to_string())
    })
    .await;

    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(
        (body["server_id"].as_str(), body["enrolled"].as_bool()),
        (Some("bin-agent"), Some(true)),
        "{body}"
    );
    assert_eq!(body["running_jobs"], 1, "{body}");

    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let logs = logs.join().unwrap();
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(
        logs.contains("jobs still running after the grace period"),
        "{logs}"
    );
    let s = hub.state.lock().unwrap();
    assert_eq!(
        s.results.get("j-long").map(|r| r.status),
        Some(Outcome::Cancelled),
        "{logs}"
    );
}
