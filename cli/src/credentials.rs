//! The stored login: `<config dir>/greenroom/credentials.json` (`$XDG_CONFIG_HOME`, else
//! `~/.config`), mode 0600 in a 0700 directory, written atomically (a temporary file
//! renamed over it).
//!
//! It holds the hub URL, the signed-in email, the refresh token and the current access
//! token with its expiry. The access token is kept so that commands run one after another
//! (or at the same time) do not each spend the rotating refresh token: a refresh happens
//! only when the access token is about to expire, under an exclusive lock on
//! `credentials.lock`, after re-reading the file — two commands never use one refresh
//! token twice (which the hub treats as theft and answers by ending the session).

use crate::error::{CliError, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub hub: String,
    pub email: String,
    pub refresh_token: String,
    pub access_token: String,
    pub access_expires_at: chrono::DateTime<chrono::Utc>,
}

/// Where the login is kept.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The user's config directory for greenroom.
    pub fn locate() -> Result<Store> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".config"))
            })
            .ok_or_else(|| {
                CliError::other(
                    "cannot find a config directory: set HOME or XDG_CONFIG_HOME (or use GREENROOM_HUB and GREENROOM_TOKEN)",
                )
            })?;
        Ok(Store {
            dir: base.join("greenroom"),
        })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    fn ensure_dir(&self) -> Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| CliError::other(format!("cannot create {}: {e}", self.dir.display())))
    }

    /// The stored login, if any.
    pub fn load(&self) -> Result<Option<Credentials>> {
        let path = self.path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(CliError::other(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            CliError::Auth(format!(
                "the stored login {} is unreadable ({e}); sign in again with `greenroom login`",
                path.display()
            ))
        })
    }

    /// Writes the login: a 0600 temporary file, renamed over the old one.
    pub fn save(&self, c: &Credentials) -> Result<()> {
        self.ensure_dir()?;
        let path = self.path();
        let tmp = self
            .dir
            .join(format!(".credentials.{}.tmp", std::process::id()));
        let fail =
            |e: std::io::Error| CliError::other(format!("cannot write {}: {e}", path.display()));
        let _ = std::fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(fail)?;
        let text = serde_json::to_string_pretty(c).map_err(CliError::other)?;
        f.write_all(text.as_bytes()).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        // Whatever the umask did, the file is the user's alone.
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }

    /// Removes the login; whether there was one.
    pub fn remove(&self) -> Result<bool> {
        match std::fs::remove_file(self.path()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(CliError::other(format!(
                "cannot remove {}: {e}",
                self.path().display()
            ))),
        }
    }

    /// An exclusive lock held while the login is read, refreshed and written back.
    pub fn lock(&self) -> Result<File> {
        self.ensure_dir()?;
        let path = self.dir.join("credentials.lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| CliError::other(format!("cannot open {}: {e}", path.display())))?;
        f.lock()
            .map_err(|e| CliError::other(format!("cannot lock {}: {e}", path.display())))?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_logins_are_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store {
            dir: dir.path().join("greenroom"),
        };
        assert!(store.load().unwrap().is_none());
        let c = Credentials {
            hub: "http://127.0.0.1:1".into(),
            email: "a@example.com".into(),
            refresh_token: "r".into(),
            access_token: "a".into(),
            access_expires_at: chrono::Utc::now(),
        };
        store.save(&c).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = std::fs::metadata(&store.dir).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
        assert_eq!(store.load().unwrap().unwrap().refresh_token, "r");
        let _lock = store.lock().unwrap();
        assert!(store.remove().unwrap());
        assert!(!store.remove().unwrap());
    }
}
