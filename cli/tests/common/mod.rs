//! Test harness: the real `greenroom-hub demo` (a hub and three real agents on 127.0.0.1,
//! in a temporary data dir), the real `greenroom` binary run with its own config dir, and a
//! pseudo-terminal for the live view.
//!
//! The demo is started as `make run` starts it; its admin password comes from
//! `GREENROOM_ADMIN_PASSWORD` (see `hub/src/demo.rs`). The hub and agent binaries are the
//! workspace's, built beside this one (`make test` builds the workspace first).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const ADMIN: &str = "admin@example.com";
pub const PASSWORD: &str = "cli-tests-correct-horse-battery";
pub const SERVERS: [&str; 3] = ["demo-dev-01", "demo-staging-02", "demo-uat-03"];

pub fn cli_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_greenroom"))
}

fn workspace_bin(name: &str) -> PathBuf {
    let p = cli_bin().with_file_name(name);
    assert!(
        p.is_file(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        p.display()
    );
    p
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running demo: hub + three agents. Stopped with SIGTERM (so it stops its agents).
pub struct Demo {
    pub url: String,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Demo {
    pub fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let mut last = String::new();
        // The port is chosen before the demo binds it: retry once on a lost race.
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(workspace_bin("greenroom-hub"))
                .args(["demo", "--agents", "3", "--log-level", "WARN", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .arg("--agent-bin")
                .arg(workspace_bin("greenroom-agent"))
                .env("GREENROOM_ADMIN_PASSWORD", PASSWORD)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(dir.path().join("demo.log")).unwrap())
                .spawn()
                .expect("start greenroom-hub demo");
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("Greenroom is running: ") {
                        let _ = tx.send(url.trim().to_string());
                    }
                }
            });
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(url) => {
                    let demo = Demo { url, dir, child };
                    return demo;
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = std::fs::read_to_string(dir.path().join("demo.log")).unwrap_or_default();
                }
            }
        }
        panic!("the demo did not start:\n{last}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("demo.log")).unwrap_or_default()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the CLI did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The CLI with its own config dir (so tests never touch the real one).
#[derive(Clone)]
pub struct Cli {
    pub home: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(home: &Path) -> Cli {
        std::fs::create_dir_all(home).unwrap();
        Cli {
            home: home.to_path_buf(),
            env: Vec::new(),
        }
    }

    pub fn with_env(mut self, k: &str, v: &str) -> Cli {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(cli_bin());
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"));
        // Under coverage (make coverage) the binary writes its profile where this says.
        if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
            c.env("LLVM_PROFILE_FILE", profile);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Starts it in the background, no input, its output captured (`wait_output` reads it).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs to the end (at most `secs`), with `stdin` as its input.
    pub fn run_with(&self, args: &[&str], stdin: &str, secs: u64) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_string();
        std::thread::spawn(move || {
            let _ = input.write_all(stdin.as_bytes());
        });
        wait_output(child, secs, args)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "", 90)
    }

    /// Runs and asserts the exit status.
    pub fn expect(&self, args: &[&str], code: i32) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.code, code,
            "greenroom {args:?} exited {}\nstdout:\n{}\nstderr:\n{}",
            out.code, out.stdout, out.stderr
        );
        out
    }

    /// Signs in to the demo as its admin (password on stdin).
    pub fn login(&self, demo: &Demo) {
        let out = self.run_with(
            &[
                "login",
                "--hub",
                &demo.url,
                "--email",
                ADMIN,
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
            30,
        );
        assert_eq!(out.code, 0, "login failed: {out:?}");
    }

    /// Waits until the demo's three servers are idle.
    pub fn wait_idle(&self, demo: &Demo) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.run(&["servers", "--status", "idle", "-o", "json"]);
            if out.code == 0 {
                let n = out.json().as_array().map(|a| a.len()).unwrap_or(0);
                if n == SERVERS.len() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the demo's agents did not come up: {out:?}\n{}",
                demo.log()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Waits for a child's exit (at most `secs`, then kills it and fails) and collects its output.
pub fn wait_output(mut child: Child, secs: u64, what: &[&str]) -> Output {
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = wait_exit(&mut child, secs, what);
    Output {
        code: status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

pub fn wait_exit(child: &mut Child, secs: u64, what: &[&str]) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("greenroom {what:?} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The CLI on a pseudo-terminal (stdin, stdout and stderr), as a person runs it.
pub struct Pty {
    child: Child,
    master: std::fs::File,
    screen: Arc<Mutex<Vec<u8>>>,
    args: Vec<String>,
}

impl Pty {
    pub fn spawn(cli: &Cli, args: &[&str]) -> Pty {
        let size = nix::pty::Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
        let slave: OwnedFd = pty.slave;
        let mut cmd = cli.command(args);
        cmd.env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // A session of its own with the pty as its controlling terminal, so Ctrl-C typed on
        // the terminal reaches it as SIGINT.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on a pty");
        drop(cmd);
        let master = std::fs::File::from(pty.master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });
        Pty {
            child,
            master,
            screen,
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Everything written to the terminal so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).to_string()
    }

    /// Waits until the terminal shows `text`.
    pub fn expect(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {text:?}; it showed:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types on the terminal.
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }

    /// The exit status, waiting at most `secs`.
    pub fn wait(&mut self, secs: u64) -> i32 {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let code = wait_exit(&mut self.child, secs, &args);
        // Let the reader drain what the child wrote last.
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.master.as_raw_fd();
        code
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text without ANSI escape sequences (colour, cursor movement), a carriage return (which
/// the progress bar uses to redraw itself) counted as a new line.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            out.push('\n');
            continue;
        }
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Whether the live view has `server | text` as a line.
pub fn has_line(out: &str, server: &str, text: &str) -> bool {
    out.lines().any(|l| {
        l.strip_prefix(server)
            .is_some_and(|rest| rest.trim_start().strip_prefix("| ") == Some(text))
    })
}

/// Fails, showing both streams, unless stderr holds `text`.
pub fn stderr_has(out: &Output, text: &str) {
    assert!(
        out.stderr.contains(text),
        "stderr lacks {text:?}:\n{}\nstdout:\n{}",
        out.stderr,
        out.stdout
    );
}
