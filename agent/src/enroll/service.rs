//! Starting the agent's service once enrollment is done, so a fresh server goes from package
//! to running, enrolled agent in two commands (`dpkg -i …`, `greenroom-agent enroll …`).
//!
//! `enroll` starts it only when that is surely what the unit would run and surely possible:
//! the files went to the service user (run as root, the user exists), the config and state
//! directory are the ones the packaged unit's `ExecStart` uses, the machine was booted with
//! systemd (`/run/systemd/system` exists — the test sd_booted(3) makes), and `--no-start`
//! was not given. Otherwise, or when `systemctl` fails, the next step is printed instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The unit the packages install.
pub const UNIT: &str = "greenroom-agent.service";
/// The config path in the packaged unit's `ExecStart`.
pub const UNIT_CONFIG: &str = "/etc/greenroom/agent_config.yaml";
/// The state directory of the packaged config.
pub const UNIT_STATE_DIR: &str = "/var/lib/greenroom-agent";

/// How this machine's systemd is reached: the `systemctl` program and the directory whose
/// presence means systemd is the running init.
#[derive(Debug, Clone)]
pub struct Systemd {
    pub systemctl: PathBuf,
    pub booted_marker: PathBuf,
}

impl Default for Systemd {
    fn default() -> Self {
        Self {
            systemctl: PathBuf::from("systemctl"),
            booted_marker: PathBuf::from("/run/systemd/system"),
        }
    }
}

/// What became of the service after enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceStart {
    /// `systemctl enable --now` succeeded.
    Started,
    /// Not tried; the reason is part of the printed next step.
    NotTried(&'static str),
    /// `systemctl` failed; what it said.
    Failed(String),
}

/// Why the service is not started by `enroll`, or None when it should be.
pub fn reason_not_to_start(
    no_start: bool,
    files_given_to_service: bool,
    config: &Path,
    state_dir: &Path,
    systemd: &Systemd,
) -> Option<&'static str> {
    if no_start {
        Some("--no-start was given")
    } else if !files_given_to_service {
        Some("not run as root with the service user present")
    } else if config != Path::new(UNIT_CONFIG) || state_dir != Path::new(UNIT_STATE_DIR) {
        Some("the config or state directory is not the one the packaged unit uses")
    } else if !systemd.booted_marker.is_dir() {
        Some("systemd is not running here")
    } else {
        None
    }
}

/// Enables and starts the unit now.
pub fn start(systemd: &Systemd) -> ServiceStart {
    match Command::new(&systemd.systemctl)
        .args(["enable", "--now", UNIT])
        .output()
    {
        Ok(out) if out.status.success() => ServiceStart::Started,
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
            ServiceStart::Failed(if said.is_empty() {
                format!("systemctl exited with {}", out.status)
            } else {
                said
            })
        }
        Err(e) => ServiceStart::Failed(format!("cannot run {}: {e}", systemd.systemctl.display())),
    }
}

#[cfg(test)]
mod tests {
    //! systemd cannot run in this test environment, so `systemctl` is a script standing in
    //! for it (it records its arguments and exits as told); the decision of when to call it
    //! and what is made of its answer are the real code.
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fake_systemctl(dir: &Path, exit: i32, stderr: &str) -> Systemd {
        let script = dir.join("systemctl");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$@\" > '{}'\necho '{stderr}' >&2\nexit {exit}\n",
                dir.join("args").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let marker = dir.join("systemd-system");
        std::fs::create_dir_all(&marker).unwrap();
        Systemd {
            systemctl: script,
            booted_marker: marker,
        }
    }

    #[test]
    fn it_starts_the_packaged_unit_only_when_that_is_what_would_run() {
        let dir = tempfile::tempdir().unwrap();
        let sd = fake_systemctl(dir.path(), 0, "");
        let (cfg, state) = (Path::new(UNIT_CONFIG), Path::new(UNIT_STATE_DIR));
        assert_eq!(reason_not_to_start(false, true, cfg, state, &sd), None);
        assert!(reason_not_to_start(true, true, cfg, state, &sd).is_some());
        assert!(reason_not_to_start(false, false, cfg, state, &sd).is_some());
        let other = Path::new("/tmp/agent.yaml");
        assert!(reason_not_to_start(false, true, other, state, &sd).is_some());
        let no_systemd = Systemd {
            booted_marker: dir.path().join("absent"),
            ..sd.clone()
        };
        assert_eq!(
            reason_not_to_start(false, true, cfg, state, &no_systemd),
            Some("systemd is not running here")
        );
    }

    #[test]
    fn starting_enables_the_unit_now_and_reports_what_systemctl_said() {
        let dir = tempfile::tempdir().unwrap();
        let ok = fake_systemctl(dir.path(), 0, "");
        assert_eq!(start(&ok), ServiceStart::Started);
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(args.trim(), "enable --now greenroom-agent.service");

        let bad = fake_systemctl(dir.path(), 1, "Unit greenroom-agent.service not found.");
        assert_eq!(
            start(&bad),
            ServiceStart::Failed("Unit greenroom-agent.service not found.".into())
        );
        let missing = Systemd {
            systemctl: dir.path().join("no-such-systemctl"),
            ..ok
        };
        match start(&missing) {
            ServiceStart::Failed(why) => assert!(why.contains("no-such-systemctl"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
