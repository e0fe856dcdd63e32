//! The files `greenroom-agent enroll` writes besides the identity: the config (the
//! packaged template with its `agent:` section filled in, never the token), the CA
//! certificate, and who owns them.
//!
//! Ownership: run as root while the service user (`greenroom-agent`) exists, the config is
//! `root:greenroom-agent 0640` and the state directory and everything in it belong to the
//! service user (directory 0700, key 0600). Otherwise every file stays with the caller
//! (config 0640, state directory 0700, key 0600).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The packaged `agent_config.yaml`, whose values (and comments) an enrolled config keeps
/// outside the `agent:` section.
pub const TEMPLATE: &str = include_str!("../../../packaging/agent/agent_config.yaml");

/// The `agent:` section of a written config.
#[derive(Debug, Clone)]
pub struct AgentSection {
    pub server_id: String,
    pub backend_urls: Vec<String>,
    pub ca_cert: PathBuf,
    pub state_dir: PathBuf,
    pub environment: String,
    pub tags: Vec<String>,
}

/// A YAML double-quoted scalar for `s`, `$` doubled (the loader expands `${VAR}`).
fn quoted(s: &str) -> String {
    serde_json::Value::from(s.replace('$', "$$")).to_string()
}

fn quoted_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    format!("[{}]", items.join(", "))
}

/// The config text: `template` with its `agent:` section replaced by `agent`.
pub fn render_config(template: &str, agent: &AgentSection) -> String {
    let section = format!(
        "agent:\n  server_id: {}\n  backend_urls: {}\n  ca_cert: {}\n  state_dir: {}\n  environment: {}\n  server_group: \"\"\n  tags: {}\n  # Enrolled by `greenroom-agent enroll`: the identity is in state_dir; no token is kept.\n",
        quoted(&agent.server_id),
        quoted_list(&agent.backend_urls),
        quoted(&agent.ca_cert.display().to_string()),
        quoted(&agent.state_dir.display().to_string()),
        quoted(&agent.environment),
        quoted_list(&agent.tags),
    );
    let mut out = String::new();
    let mut in_agent = false;
    let mut replaced = false;
    for line in template.lines() {
        let top_level = !line.is_empty() && !line.starts_with([' ', '\t', '#']);
        if top_level {
            in_agent = line.trim_end() == "agent:";
            if in_agent {
                out.push_str(&section);
                replaced = true;
                continue;
            }
        }
        if !in_agent {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&section);
    }
    out
}

/// Who should own the written files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// Leave them with the caller.
    Caller,
    /// Config `root:gid 0640`; state directory and its files `uid:gid`.
    Service { uid: u32, gid: u32 },
}

/// Decides [`Ownership`]: only root can give files away, and only to a user that exists.
pub fn ownership(is_root: bool, service_user: Option<(u32, u32)>) -> Ownership {
    match (is_root, service_user) {
        (true, Some((uid, gid))) => Ownership::Service { uid, gid },
        _ => Ownership::Caller,
    }
}

/// The uid and gid of `name`, if such a user exists.
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()))
}

fn io_err(path: &Path, what: &str, e: impl std::fmt::Display) -> String {
    format!("cannot {what} {}: {e}", path.display())
}

/// Creates the parent directory of `path` (0755) when it is missing.
pub fn ensure_parent(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, "create the directory", e))
        }
        _ => Ok(()),
    }
}

/// Writes `text` to `path` with `mode`, replacing it atomically (through `path.tmp`).
pub fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    ensure_parent(path)?;
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(|e| io_err(&tmp, "write", e))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
        .map_err(|e| io_err(&tmp, "set the mode of", e))?;
    fs::rename(&tmp, path).map_err(|e| io_err(path, "write", e))
}

/// Applies `owner` to the config file and the state directory (and what it holds).
pub fn apply_ownership(owner: Ownership, config: &Path, state_dir: &Path) -> Result<(), String> {
    let Ownership::Service { uid, gid } = owner else {
        return Ok(());
    };
    let chown = |p: &Path, u: u32, g: u32| {
        nix::unistd::chown(
            p,
            Some(nix::unistd::Uid::from_raw(u)),
            Some(nix::unistd::Gid::from_raw(g)),
        )
        .map_err(|e| io_err(p, "change the owner of", e))
    };
    chown(config, 0, gid)?;
    fs::set_permissions(config, fs::Permissions::from_mode(0o640))
        .map_err(|e| io_err(config, "set the mode of", e))?;
    chown(state_dir, uid, gid)?;
    let entries = fs::read_dir(state_dir).map_err(|e| io_err(state_dir, "read", e))?;
    for entry in entries.flatten() {
        chown(&entry.path(), uid, gid)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> AgentSection {
        AgentSection {
            server_id: "web-01".into(),
            backend_urls: vec!["https://hub-a:8443".into(), "https://hub-b:8443".into()],
            ca_cert: PathBuf::from("/etc/green$room/ca.crt"),
            state_dir: PathBuf::from("/var/lib/greenroom-agent"),
            environment: "staging".into(),
            tags: vec!["web".into(), "a \"quoted\" tag".into()],
        }
    }

    #[test]
    fn the_template_keeps_its_sections_and_gets_the_agent_filled_in() {
        let text = render_config(TEMPLATE, &section());
        assert!(!text.contains("auth_token"), "{text}");
        assert!(!text.contains("greenroom-hub.example"), "{text}");
        assert!(
            text.contains("execution:") && text.contains("allowed_commands"),
            "{text}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        // Loadable as it is, once the CA file it names exists.
        let ca = dir.path().join("ca.crt");
        fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .expect("ca");
        let mut s = section();
        s.ca_cert = ca.clone();
        let text = render_config(TEMPLATE, &s);
        let cfg = crate::AgentConfig::from_yaml_with(&text, "enrolled.yaml", |_| None)
            .expect("the written config loads");
        assert_eq!(cfg.agent.server_id, "web-01");
        assert_eq!(
            cfg.backend_urls(),
            vec!["https://hub-a:8443", "https://hub-b:8443"]
        );
        assert_eq!(cfg.agent.ca_cert, ca);
        assert_eq!(cfg.agent.tags, vec!["web", "a \"quoted\" tag"]);
        assert_eq!(cfg.auth_token(), None);
        // A `$` in a value stays literal.
        let text = render_config(TEMPLATE, &section());
        assert!(text.contains("\"/etc/green$$room/ca.crt\""), "{text}");
    }

    #[test]
    fn files_are_given_to_the_service_user_only_by_root_and_only_if_it_exists() {
        assert_eq!(
            ownership(true, Some((998, 997))),
            Ownership::Service { uid: 998, gid: 997 }
        );
        assert_eq!(ownership(true, None), Ownership::Caller);
        assert_eq!(ownership(false, Some((998, 997))), Ownership::Caller);
        assert_eq!(ownership(false, None), Ownership::Caller);
        assert_eq!(lookup_user("no-such-user-greenroom-test"), None);
        assert_eq!(lookup_user("root"), Some((0, 0)));
    }
}
