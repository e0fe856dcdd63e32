//! The `greenroom` binary against a real demo hub with three real agents: logs -f, cancel
//! (by command and by Ctrl-C), detaching, locks; and without a hub, clear refusals with
//! their exit codes. No timing asserts.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn logs_follow_cancel_ctrl_c_detach_and_locks() {
    let demo = Demo::start();
    let home = tempfile::tempdir().unwrap();
    let cli = Cli::new(home.path());
    cli.login(&demo);
    cli.wait_idle(&demo);

    // Start detached, follow the output with logs -f, cancel it from another command.
    let slow = "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo tick-$i; sleep 1; done";
    let out = cli.expect(&["run", "-d", "-g", "demo", "--", slow], 0);
    let id = out.stdout.trim().to_string();
    assert!(id.starts_with("exec"), "{out:?}");
    let follower = cli.spawn(&["logs", &id, "-f"]);
    // The follower prints tick-2 of each server once the agents got there.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let page = cli.expect(&["logs", &id], 0).stdout;
        if SERVERS.iter().all(|s| has_line(&page, s, "tick-2")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tick-2 yet:\n{page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let c = cli.expect(&["cancel", &id], 0);
    assert!(c.stdout.contains("Cancelled"), "{c:?}");
    let followed = wait_output(follower, 60, &["logs", "-f"]);
    assert_eq!(followed.code, 0, "{followed:?}");
    for s in SERVERS {
        assert!(has_line(&followed.stdout, s, "tick-1"), "{followed:?}");
        assert!(has_line(&followed.stdout, s, "tick-2"), "{followed:?}");
    }
    // Each line once, in order per server.
    for s in SERVERS {
        let ticks: Vec<&str> = followed
            .stdout
            .lines()
            .filter(|l| l.starts_with(s))
            .collect();
        let mut sorted = ticks.clone();
        sorted.dedup();
        assert_eq!(ticks, sorted, "duplicates for {s}");
    }
    let shown = cli.expect(&["show", &id, "-o", "json"], 0).json();
    assert_eq!(shown["overall"], "CANCELLED", "{shown}");
    let w = cli.run(&["watch", &id]);
    assert_eq!(w.code, 5, "watching a cancelled execution: {w:?}");
    let only = cli.expect(&["logs", &id, "-s", "demo-uat-03", "--no-prefix"], 0);
    assert!(
        only.stdout.lines().all(|l| l.starts_with("tick-")),
        "{only:?}"
    );
    let lines = cli.expect(&["logs", &id, "-o", "json"], 0).json();
    assert!(
        lines
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["cursor"].is_i64() && l["serverId"].is_string())
    );

    // Ctrl-C on a terminal asks; "c" cancels, and the exit status says so.
    let mut pty = Pty::spawn(
        &cli,
        &[
            "run",
            "-s",
            "demo-dev-01",
            "--",
            "echo started-here; sleep 30",
        ],
    );
    pty.expect("started-here", 60);
    pty.send(b"\x03");
    pty.expect("[c]ancel", 30);
    pty.send(b"c\r");
    let code = pty.wait(60);
    let screen = plain(&pty.screen());
    assert_eq!(code, 5, "Ctrl-C then cancel:\n{screen}");
    assert!(screen.contains("cancelled"), "{screen}");

    // Without a terminal, Ctrl-C (SIGINT) detaches and says how to reattach.
    let mut child = cli.spawn(&[
        "run",
        "-s",
        "demo-staging-02",
        "--",
        "echo detach-me; sleep 30",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let running_id = loop {
        let list = cli
            .expect(&["executions", "--status", "running", "-o", "json"], 0)
            .json();
        if let Some(e) = list.as_array().unwrap().first() {
            break e["executionId"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Give the follower time to subscribe (it prints the output line it has seen).
    std::thread::sleep(Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = wait_output(
        {
            let _ = child.stdin.take();
            child
        },
        30,
        &["run", "(SIGINT)"],
    );
    assert_eq!(out.code, 130, "{out:?}");
    stderr_has(&out, &format!("greenroom watch {running_id}"));
    let still = cli.expect(&["show", &running_id, "-o", "json"], 0).json();
    assert_eq!(
        still["overall"], "RUNNING",
        "detaching must not cancel: {still}"
    );
    cli.expect(&["cancel", &running_id], 0);

    // Locks.
    let l = cli.expect(
        &[
            "lock",
            "demo-uat-03",
            "--reason",
            "patching the kernel",
            "--ttl",
            "10m",
        ],
        0,
    );
    assert!(l.stdout.contains("Locked demo-uat-03"), "{l:?}");
    let locks = cli.expect(&["locks", "-o", "json"], 0).json();
    let mine: Vec<&Value> = locks
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["serverId"] == "demo-uat-03")
        .collect();
    assert_eq!(mine.len(), 1, "{locks}");
    assert_eq!(mine[0]["lockType"], "MAINTENANCE");
    assert_eq!(mine[0]["lockMetadata"]["reason"], "patching the kernel");
    let again = cli.run(&["lock", "demo-uat-03", "--reason", "twice"]);
    assert_eq!(again.code, 4, "a second lock: {again:?}");
    let u = cli.expect(&["unlock", "demo-uat-03"], 0);
    assert!(u.stdout.contains("Unlocked demo-uat-03"), "{u:?}");
    let again = cli.run(&["unlock", "demo-uat-03"]);
    assert_eq!(again.code, 4, "{again:?}");
    stderr_has(&again, "has no active lock");
    let bad = cli.run(&["lock", "demo-uat-03", "--reason", "x", "--ttl", "soon"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn without_a_hub_errors_are_clear_and_coded() {
    let home = tempfile::tempdir().unwrap();
    let cli = Cli::new(home.path());

    // Not signed in.
    let out = cli.run(&["servers"]);
    assert_eq!(out.code, 6, "{out:?}");
    stderr_has(&out, "not signed in");

    // Unreachable hub.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = cli.run(&["--hub", &url, "--token", "t", "servers"]);
    assert_eq!(out.code, 7, "{out:?}");
    stderr_has(&out, &format!("cannot reach the hub at {url}"));
    let env_cli = cli
        .clone()
        .with_env("GREENROOM_HUB", &url)
        .with_env("GREENROOM_TOKEN", "t");
    let out = env_cli.run(&["run", "-e", "dev", "--", "uptime"]);
    assert_eq!(out.code, 7, "{out:?}");
    let out = cli.run_with(
        &[
            "login",
            "--hub",
            &url,
            "--email",
            "a@example.com",
            "--password-stdin",
        ],
        "pw\n",
        30,
    );
    assert_eq!(out.code, 7, "{out:?}");

    // Usage errors are 2 and say what is wrong.
    for (args, text) in [
        (vec!["run", "-e", "dev"], "required"),
        (
            vec!["run", "--max-concurrency", "0", "-e", "dev", "--", "x"],
            "percentage",
        ),
        (
            vec!["run", "--error-threshold", "150%", "-e", "dev", "--", "x"],
            "percentage",
        ),
        (vec!["bogus"], "unrecognized subcommand"),
    ] {
        let out = cli.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        stderr_has(&out, text);
    }
    let out = cli.run(&["--hub", &url, "--token", "t", "run", "--", "uptime"]);
    assert_eq!(out.code, 2, "{out:?}");
    stderr_has(&out, "which servers?");

    // Help documents the exit codes; completions are generated.
    let help = cli.expect(&["--help"], 0);
    for code in ["0 ", "3 ", "4 ", "5 ", "6 ", "7 ", "130 "] {
        assert!(
            help.stdout.contains(&format!("\n  {code}")),
            "{code} missing:\n{}",
            help.stdout
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let c = cli.expect(&["completions", shell], 0);
        assert!(c.stdout.contains("greenroom"), "{shell}");
    }
}
