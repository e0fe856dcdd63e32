//! The runner on real processes.

use super::*;
use greenroom_proto::Stream;
use greenroom_proto::action::ShellCommand;
use std::collections::BTreeMap;

fn policy() -> Policy {
    Policy {
        default_timeout: 30,
        ..Policy::unrestricted()
    }
}

fn shell(command: &str) -> ShellCommand {
    ShellCommand {
        command: command.to_string(),
        timeout: None,
        working_directory: None,
        environment_vars: BTreeMap::new(),
        shell: true,
    }
}

async fn run(cmd: ShellCommand, policy: &Policy) -> JobResult {
    run_action(&Action::ShellCommand(cmd), policy, JobControl::detached()).await
}

/// Whether `pid` is a process that still runs (a zombie has finished running).
fn running(pid: i32) -> bool {
    process::proc_stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

#[tokio::test]
async fn echo_is_captured_with_timing_and_usage() {
    let r = run(shell("echo hello; echo oops >&2"), &policy()).await;
    assert_eq!(r.status, Outcome::Success, "{r:?}");
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(r.output, "hello\n");
    assert_eq!(r.error_output, "oops\n");
    assert!(!r.truncated);
    assert!(r.execution_time > 0.0 && r.execution_time < 10.0, "{r:?}");
    assert!(r.finished_at >= r.started_at);
    assert!(r.resource_usage.memory_mb > 0.0, "wait4 rusage: {r:?}");
}

#[tokio::test]
async fn a_non_zero_exit_is_a_failure_with_its_code() {
    let r = run(shell("echo partial; exit 7"), &policy()).await;
    assert_eq!(r.status, Outcome::Failed);
    assert_eq!(r.exit_code, Some(7));
    assert_eq!(r.output, "partial\n");
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("bg.pid");
    let mut cmd = shell(&format!(
        "sleep 60 & echo $! > {}; sleep 60",
        pidfile.display()
    ));
    cmd.timeout = Some(1);
    let clock = Instant::now();
    let r = run(cmd, &policy()).await;
    assert!(
        clock.elapsed() < Duration::from_secs(10),
        "took {:?}",
        clock.elapsed()
    );
    assert_eq!(r.status, Outcome::Timeout, "{r:?}");
    assert_eq!(r.exit_code, None);
    assert!(
        r.error_output.contains("timed out after 1 s"),
        "{}",
        r.error_output
    );
    let bg: i32 = std::fs::read_to_string(&pidfile)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    // The kill is synchronous with the result; give the kernel a moment to tear down.
    for _ in 0..20 {
        if !running(bg) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!running(bg), "background process {bg} survived the timeout");
}

#[tokio::test]
async fn the_policy_caps_the_timeout() {
    let mut p = policy();
    p.max_execution_time = Some(1);
    let mut cmd = shell("sleep 30");
    cmd.timeout = Some(600);
    let r = run(cmd, &p).await;
    assert_eq!(r.status, Outcome::Timeout, "{r:?}");
    assert_eq!(p.timeout_for(None), 1);
}

#[tokio::test]
async fn cancel_kills_the_job_and_reports_cancelled() {
    let (tx, cancel) = watch::channel(false);
    let handle = tokio::spawn(async move {
        run_action(
            &Action::ShellCommand(shell("sleep 60")),
            &policy(),
            JobControl { cancel, live: None },
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(true).expect("job listens");
    let r = tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("in time")
        .expect("joined");
    assert_eq!(r.status, Outcome::Cancelled, "{r:?}");
    assert_eq!(r.exit_code, None);
}

#[tokio::test]
async fn environment_and_working_directory_are_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = shell("echo \"$GREENROOM_TEST=$(pwd)\"");
    cmd.environment_vars
        .insert("GREENROOM_TEST".into(), "v a l".into());
    cmd.working_directory = Some(dir.path().display().to_string());
    let r = run(cmd, &policy()).await;
    let real = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(r.output, format!("v a l={}\n", real.display()), "{r:?}");

    let mut p = policy();
    p.env_remove = vec!["HOME".into()];
    let r = run(shell("echo \"home=${HOME:-unset}\""), &p).await;
    assert_eq!(
        r.output, "home=unset\n",
        "inherited variables can be withheld"
    );
    assert!(
        secret_env_names(Some(&std::env::var("PATH").expect("PATH"))).contains(&"PATH".to_string())
    );

    let mut cmd = shell("true");
    cmd.working_directory = Some("/nonexistent/greenroom".into());
    let r = run(cmd, &policy()).await;
    assert_eq!(r.status, Outcome::Failed);
    assert!(
        r.error_output
            .contains("working_directory /nonexistent/greenroom does not exist"),
        "{r:?}"
    );
}

#[tokio::test]
async fn argv_mode_uses_no_shell_and_reports_unparsable_commands() {
    let mut cmd = shell("printf '%s|' 'a b' '$HOME'");
    cmd.shell = false;
    let r = run(cmd, &policy()).await;
    assert_eq!(r.output, "a b|$HOME|", "{r:?}");

    let mut cmd = shell("echo 'unbalanced");
    cmd.shell = false;
    let r = run(cmd, &policy()).await;
    assert_eq!(r.status, Outcome::Failed);
    assert!(r.error_output.contains("could not be split"), "{r:?}");

    let mut cmd = shell("/nonexistent/program");
    cmd.shell = false;
    let r = run(cmd, &policy()).await;
    assert_eq!(r.status, Outcome::Failed);
    assert!(
        r.error_output
            .contains("could not start /nonexistent/program"),
        "{r:?}"
    );
}

#[tokio::test]
async fn the_output_cap_keeps_head_and_tail() {
    let mut p = policy();
    p.output_cap = 1000;
    let r = run(shell("seq 1 5000"), &p).await;
    assert_eq!(r.status, Outcome::Success);
    assert!(r.truncated);
    assert!(r.output.starts_with("1\n2\n3\n"), "{}", &r.output[..40]);
    assert!(
        r.output.ends_with("4999\n5000\n"),
        "{}",
        &r.output[r.output.len() - 40..]
    );
    assert!(r.output.contains("bytes omitted"));
    assert!(r.output.len() < 1100, "{}", r.output.len());
}

#[tokio::test]
async fn the_allowlist_refuses_and_names_the_rule() {
    let mut p = policy();
    p.allowed_commands = crate::runner::globs::Rules::of(&["/opt/scripts/*"]);
    let r = run(shell("cat /dev/null; echo should-not-run"), &p).await;
    assert_eq!(r.status, Outcome::Failed);
    assert!(r.output.is_empty());
    assert!(
        r.error_output.contains("security.allowed_commands"),
        "{}",
        r.error_output
    );
    assert!(
        r.error_output.contains("/opt/scripts/*"),
        "{}",
        r.error_output
    );

    p.allowed_commands = crate::runner::globs::Rules::of(&["/usr/bin/*", "/bin/*"]);
    let r = run(shell("cat /dev/null; echo allowed"), &p).await;
    assert_eq!(r.status, Outcome::Success, "{r:?}");
}

#[tokio::test]
async fn the_memory_limit_is_applied_to_the_child() {
    let mut p = policy();
    p.memory_mb = Some(64);
    let r = run(shell("ulimit -v"), &p).await;
    assert_eq!(r.output.trim(), "65536", "{r:?}");
}

#[tokio::test]
async fn a_signal_death_is_a_failure_without_exit_code() {
    let r = run(shell("kill -KILL $$"), &policy()).await;
    assert_eq!(r.status, Outcome::Failed, "{r:?}");
    assert_eq!(r.exit_code, None);
    assert!(
        r.error_output.contains("killed by signal SIGKILL"),
        "{}",
        r.error_output
    );
}

#[tokio::test]
async fn failing_checks_and_invalid_actions_fail_cleanly() {
    let a: Action = serde_json::from_str(
        r#"{"type":"file_validation","path":"/nonexistent/x","checks":["exists","is_file"]}"#,
    )
    .expect("parses");
    let r = run_action(&a, &policy(), JobControl::detached()).await;
    assert_eq!((r.status, r.exit_code), (Outcome::Failed, Some(1)));
    assert_eq!(r.checks.len(), 2, "{r:?}");
    assert!(
        !r.checks[0].passed && r.checks[0].observed == "false",
        "{r:?}"
    );
    assert!(r.output.contains("0 of 2 checks passed"), "{}", r.output);

    let mut cmd = shell(" ");
    cmd.timeout = Some(0);
    let r = run(cmd, &policy()).await;
    assert_eq!(r.status, Outcome::Failed);
    assert!(
        r.error_output.starts_with("invalid action: "),
        "{}",
        r.error_output
    );
    assert!(
        r.error_output.contains("timeout") && r.error_output.contains("command"),
        "{}",
        r.error_output
    );
}

#[tokio::test]
async fn live_output_is_streamed_in_order() {
    let (tx, mut rx) = mpsc::channel(64);
    let (_cancel_tx, cancel) = watch::channel(false);
    let ctl = JobControl {
        cancel,
        live: Some(tx),
    };
    let r = run_action(
        &Action::ShellCommand(shell("echo one; echo two >&2; echo three")),
        &policy(),
        ctl,
    )
    .await;
    assert_eq!(r.status, Outcome::Success);
    let mut out = Vec::new();
    let mut err = Vec::new();
    while let Ok(p) = rx.try_recv() {
        match p.stream {
            Stream::Stdout => out.extend(p.data),
            Stream::Stderr => err.extend(p.data),
        }
    }
    assert_eq!(out, b"one\nthree\n");
    assert_eq!(err, b"two\n");
}

/// The pieces a job streamed live, in the order they were sent.
async fn live_pieces(command: &str) -> Vec<(Stream, String)> {
    let (tx, mut rx) = mpsc::channel(256);
    let (_cancel_tx, cancel) = watch::channel(false);
    let ctl = JobControl {
        cancel,
        live: Some(tx),
    };
    let r = run_action(&Action::ShellCommand(shell(command)), &policy(), ctl).await;
    assert_eq!(r.status, Outcome::Success, "{r:?}");
    let mut pieces = Vec::new();
    while let Ok(p) = rx.try_recv() {
        pieces.push((p.stream, String::from_utf8(p.data).unwrap()));
    }
    pieces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_line_printed_to_stdout_first_is_streamed_before_the_stderr_line_after_it() {
    // Both lines are in their pipes before the agent reads either: the stdout line,
    // printed first, must come first, every time (one reader per pipe, on a runtime of
    // several threads, got this wrong now and then).
    for i in 0..40 {
        let pieces = live_pieces("echo first; echo second >&2").await;
        assert_eq!(
            pieces,
            vec![
                (Stream::Stdout, "first\n".to_string()),
                (Stream::Stderr, "second\n".to_string())
            ],
            "run {i}"
        );
    }
    // Lines written apart in time keep the order they were written in, whichever stream.
    let pieces = live_pieces("echo a >&2; sleep 0.05; echo b; sleep 0.05; echo c >&2").await;
    let order: Vec<&str> = pieces.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(order, ["a\n", "b\n", "c\n"]);
}

#[tokio::test]
async fn leftover_background_processes_do_not_hang_the_job() {
    let clock = Instant::now();
    let r = run(shell("sleep 30 & echo done"), &policy()).await;
    assert_eq!(r.status, Outcome::Success, "{r:?}");
    assert_eq!(r.output, "done\n");
    assert!(
        clock.elapsed() < Duration::from_secs(8),
        "took {:?}",
        clock.elapsed()
    );
    assert!(r.error_output.contains("left behind"), "{}", r.error_output);
}
