//! The `greenroom` binary against a real demo hub with three real agents: the live view on
//! a terminal, exit codes, JSON that matches the API, preview. Following, cancelling,
//! detaching, locks and running without a hub: `follow.rs`. No timing asserts.

mod common;

use common::*;
use serde_json::{Value, json};

/// Every field of `Execution` the CLI's `show`/`run -o json` selects (no deprecated one).
const EXECUTION_QUERY: &str = "query($id: String!) { execution(executionId: $id) { executionId initiatedBy executionType targetServers actionTemplateId operation { __typename ... on ShellCommandAction { command timeout workingDirectory environmentVars { name value } shell } ... on FileValidationAction { path checks } ... on ServiceHealthAction { serviceName healthEndpoint expectedResponse expectedStatus timeout } ... on DatabaseQueryAction { connectionString query expectedResultType expectedRange { min max } timeout allowWrites } ... on HttpCheckAction { url method expectedStatus bodyContains json timeout headers { name value } } ... on TcpPortAction { host port timeout } ... on ProcessRunningAction { name pattern minCount } ... on DiskFreeAction { path minFreePercent minFreeMb } ... on TlsCertificateExpiryAction { host port serverName minDaysRemaining timeout } } parameterValues { name value } priority progress estimatedCompletion skippedReason cancelledBy templateVersion maxConcurrency requiresLock failIfLocked retryCount retryDelaySeconds errorThreshold overall timing { createdAt startedAt completedAt durationSeconds } results { successCount failureCount totalCount details { jobId attempt startedAt finishedAt serverId status exitCode output errorOutput executionTime error } } } }";

/// The execution as the hub's GraphQL API answers it (with the CLI's stored login token).
fn api_execution(cli: &Cli, demo: &Demo, id: &str) -> Value {
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(cli.home.join("config/greenroom/credentials.json")).unwrap(),
    )
    .unwrap();
    let token = creds["access_token"].as_str().unwrap().to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/graphql", demo.url))
            .bearer_auth(token)
            .json(&json!({"query": EXECUTION_QUERY, "variables": {"id": id}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["execution"].clone()
}

/// Whether `out` has a line of `server`'s output that is `text` (`server   | text`).
#[test]
fn run_shows_live_progress_output_and_a_summary_and_exits_by_outcome() {
    let demo = Demo::start();
    let home = tempfile::tempdir().unwrap();
    let cli = Cli::new(home.path());

    // Sign in: the login is kept privately.
    cli.login(&demo);
    let creds = home.path().join("config/greenroom/credentials.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&creds).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "credentials mode {mode:o}");
    let who = cli.expect(&["whoami"], 0);
    assert!(who.stdout.contains(ADMIN), "{who:?}");

    // An access token about to expire is refreshed once, even by commands run together:
    // the rotating refresh token is never replayed (which would end the session).
    let stored = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let mut c = stored(&creds);
    let first_refresh = c["refresh_token"].clone();
    c["access_expires_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&creds, c.to_string()).unwrap();
    let together: Vec<_> = (0..3).map(|_| cli.spawn(&["whoami"])).collect();
    for child in together {
        let out = wait_output(child, 60, &["whoami"]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    assert_ne!(
        stored(&creds)["refresh_token"],
        first_refresh,
        "not refreshed"
    );
    cli.expect(&["whoami"], 0);
    cli.wait_idle(&demo);

    // On a terminal: progress, every server's output prefixed by its name, the summary.
    let mut pty = Pty::spawn(
        &cli,
        &[
            "run",
            "-g",
            "demo",
            "--",
            "echo first-line; sleep 1; echo second-line",
        ],
    );
    let code = pty.wait(90);
    let screen = plain(&pty.screen());
    assert_eq!(code, 0, "run exited {code}:\n{screen}");
    for server in SERVERS {
        for line in ["first-line", "second-line"] {
            assert!(
                has_line(&screen, server, line),
                "no {line} from {server}:\n{screen}"
            );
        }
        assert!(
            screen
                .lines()
                .any(|l| l.contains(server) && l.contains("success")),
            "no success line for {server}:\n{screen}"
        );
    }
    assert!(screen.contains("/3"), "no progress bar:\n{screen}");
    assert!(screen.contains("running"), "no running count:\n{screen}");
    assert!(
        screen.contains("3 succeeded, 0 failed"),
        "no summary:\n{screen}"
    );
    assert!(
        screen.contains("SERVER") && screen.contains("STATUS"),
        "no summary table:\n{screen}"
    );

    // For scripts: -o json is the API's Execution, field for field.
    let out = cli.expect(
        &[
            "run",
            "-s",
            "demo-dev-01",
            "-o",
            "json",
            "--",
            "echo json-run",
        ],
        0,
    );
    let printed = out.json();
    let id = printed["executionId"].as_str().unwrap().to_string();
    assert_eq!(printed["overall"], "COMPLETED");
    assert!(
        printed["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .contains("json-run")
    );
    assert_eq!(printed, api_execution(&cli, &demo, &id));
    assert_eq!(printed["operation"]["__typename"], "ShellCommandAction");
    assert_eq!(printed["operation"]["command"], "echo json-run");
    let shown = cli.expect(&["show", &id, "-o", "json"], 0).json();
    assert_eq!(shown, printed);
    let yaml = cli.expect(&["show", &id, "-o", "yaml"], 0);
    assert!(
        yaml.stdout.contains(&format!("executionId: {id}")),
        "{yaml:?}"
    );
    let servers = cli.expect(&["servers", "-o", "json"], 0).json();
    let ids: Vec<&str> = servers
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serverId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{servers}");
    for s in SERVERS {
        assert!(ids.contains(&s), "{servers}");
    }
    let two = cli.expect(&["servers", "--limit", "2"], 0);
    assert_eq!(
        two.stdout.lines().count(),
        3,
        "header and two rows: {two:?}"
    );
    stderr_has(&two, "2 of 3 shown");

    // A template with typed parameters (an integer and a string), run for real.
    let t = cli
        .expect(
            &[
                "run",
                "--template",
                "Disk space",
                "-p",
                "mount=/",
                "-p",
                "max_percent=100",
                "-s",
                "demo-dev-01",
                "-o",
                "json",
            ],
            0,
        )
        .json();
    let values = t["parameterValues"].as_array().unwrap();
    assert!(
        values.contains(&json!({"name": "max_percent", "value": "100"}))
            && values.contains(&json!({"name": "mount", "value": "/"})),
        "{t}"
    );
    let shown = cli.expect(&["show", t["executionId"].as_str().unwrap()], 0);
    assert!(
        shown.stdout.contains("template \"Disk space\"")
            && shown.stdout.contains("max_percent=100 mount=/"),
        "{shown:?}"
    );

    // One server fails (the agent of demo-dev-01 is the job's parent process): non-zero (3),
    // the other's output and the summary still shown.
    let out = cli.run(&[
        "run",
        "-s",
        "demo-dev-01,demo-staging-02",
        "--",
        "echo before; tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q demo-dev-01 && exit 3; echo fine",
    ]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("1 succeeded, 1 failed"), "{out:?}");
    assert!(has_line(&out.stdout, "demo-staging-02", "fine"), "{out:?}");
    assert!(has_line(&out.stdout, "demo-dev-01", "before"), "{out:?}");
    assert!(!has_line(&out.stdout, "demo-dev-01", "fine"), "{out:?}");
    // A command that fails everywhere.
    let out = cli.run(&[
        "run",
        "-g",
        "demo",
        "--",
        "sh",
        "-c",
        "echo failing; exit 3",
    ]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("0 succeeded, 3 failed"), "{out:?}");
    assert!(out.stdout.contains("failed"), "{out:?}");
    for s in SERVERS {
        assert!(has_line(&out.stdout, s, "failing"), "{out:?}");
    }
    let summary_rows = out
        .stdout
        .lines()
        .filter(|l| l.contains("failed") && l.split_whitespace().any(|w| w == "3"))
        .count();
    assert!(
        summary_rows >= 3,
        "summary rows with exit 3:\n{}",
        out.stdout
    );

    // Preview: the exact command and environment per server; nothing runs.
    let before = cli
        .expect(&["executions", "-o", "json", "--limit", "100"], 0)
        .json();
    let out = cli.expect(
        &[
            "run",
            "--preview",
            "--template",
            "Disk space",
            "-p",
            "mount=/var",
            "-g",
            "demo",
        ],
        0,
    );
    for s in SERVERS {
        assert!(out.stdout.contains(s), "{out:?}");
    }
    assert!(out.stdout.contains("GREENROOM_PARAM_mount=/var"), "{out:?}");
    assert!(out.stdout.contains("df -P"), "{out:?}");
    let p = cli
        .expect(
            &[
                "run",
                "--preview",
                "-o",
                "json",
                "-s",
                "demo-uat-03",
                "--",
                "uptime",
            ],
            0,
        )
        .json();
    assert_eq!(p["runCount"], 1);
    assert_eq!(p["servers"][0]["command"], "uptime");
    let after = cli
        .expect(&["executions", "-o", "json", "--limit", "100"], 0)
        .json();
    assert_eq!(
        before.as_array().unwrap().len(),
        after.as_array().unwrap().len(),
        "a preview started something"
    );
    let listed = cli.expect(&["executions"], 0);
    assert!(listed.stdout.contains(&id), "{listed:?}");

    // Bad input: one clear line and the documented code.
    let disk = |p: &str| -> Vec<String> {
        ["run", "--template", "Disk space", "-p", p, "-g", "demo"]
            .map(String::from)
            .to_vec()
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            ["run", "--template", "No such template", "-g", "demo"]
                .map(String::from)
                .to_vec(),
            4,
            "unknown template \"No such template\"",
        ),
        (
            disk("mount"),
            2,
            "bad parameter \"mount\": expected KEY=VALUE",
        ),
        (disk("max_percent=lots"), 2, "expected an integer"),
        (disk("colour=red"), 2, "has no such parameter"),
        (
            ["run", "-s", "no-such-server", "--", "true"]
                .map(String::from)
                .to_vec(),
            4,
            "no-such-server",
        ),
        (
            ["show", "exec_nope"].map(String::from).to_vec(),
            4,
            "unknown execution",
        ),
        // Refused by the hub in the mutation's userErrors (invalid input).
        (
            ["run", "-s", "demo-dev-01", "--timeout", "0", "--", "true"]
                .map(String::from)
                .to_vec(),
            4,
            "timeout",
        ),
        (
            ["cancel", "exec_nope"].map(String::from).to_vec(),
            4,
            "exec_nope",
        ),
    ];
    for (args, code, text) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli.run(&args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        stderr_has(&out, text);
        // One line naming the problem: no panic, no debug dump.
        assert_eq!(out.stderr.trim().lines().count(), 1, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{args:?}: {out:?}");
    }

    // Templates, and signing out.
    let t = cli.expect(&["templates"], 0);
    assert!(t.stdout.contains("Disk space"), "{t:?}");
    let t = cli.expect(&["templates", "disk space"], 0);
    assert!(t.stdout.contains("mount"), "{t:?}");
    cli.expect(&["logout"], 0);
    assert!(!creds.exists());
    let out = cli.run(&["whoami"]);
    assert_eq!(out.code, 6, "{out:?}");
    stderr_has(&out, "not signed in");
    let out = cli.run_with(
        &[
            "login",
            "--hub",
            &demo.url,
            "--email",
            ADMIN,
            "--password-stdin",
        ],
        "wrong-password-entirely\n",
        30,
    );
    assert_eq!(out.code, 6, "{out:?}");
    stderr_has(&out, "wrong email or password");
}
