//! The token `saman login` obtained, kept in the user's configuration directory
//! (`$XDG_CONFIG_HOME/saman/login.json`, else `~/.config/saman/login.json`; on Windows
//! under `%APPDATA%`), readable by the user only: with it, whatever the provider needs
//! to refresh it (the token endpoint, the client, the CA file given at login).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use etcetera::BaseStrategy as _;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Kind};

/// What one login left behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    /// The provider's issuer URL (as its discovery document says it).
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: String,
    /// The PEM file of authorities the provider's certificate was checked against
    /// (`--issuer-ca-file`), for the refreshes.
    pub ca_file: Option<PathBuf>,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires, as the provider said (`expires_in`).
    pub expires_at: Option<Timestamp>,
}

/// `login.json` in the user's configuration directory for saman.
pub fn path() -> Result<PathBuf, CliError> {
    let base = etcetera::choose_base_strategy().map_err(|e| {
        CliError::new(
            Kind::Unexpected,
            format!("no configuration directory to keep the login in: {e}"),
        )
    })?;
    Ok(base.config_dir().join("saman").join("login.json"))
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::new(Kind::Unexpected, format!("{what} {}: {e}", path.display()))
}

/// The kept login, if there is one.
pub fn read(path: &Path) -> Result<Option<Login>, CliError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed("cannot read the login in", path, e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        failed(
            "the login kept in",
            path,
            format!("is unreadable ({e}): run `saman logout`, then `saman login` again"),
        )
    })
}

/// Keeps `login`, replacing the one kept: written beside it and renamed over it, so
/// that a reader never sees half a file, with mode 0600 from its creation.
pub fn write(path: &Path, login: &Login) -> Result<(), CliError> {
    let dir = path.parent().expect("the login file is in a directory");
    create_private_dir(dir)?;
    let text = serde_json::to_string_pretty(login)
        .map_err(|e| CliError::new(Kind::Unexpected, e.to_string()))?;
    let partial = path.with_extension("json.partial");
    let _ = fs::remove_file(&partial);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&partial)
        .map_err(|e| failed("cannot create", &partial, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| failed("cannot write", &partial, e))?;
    fs::rename(&partial, path).map_err(|e| failed("cannot replace", path, e))
}

/// The directory, made readable by the user only when it is new.
fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| failed("cannot create", dir, e))
}

/// Forgets the kept login: whether there was one.
pub fn remove(path: &Path) -> Result<bool, CliError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(failed("cannot remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Login {
        Login {
            issuer: "https://id.example".into(),
            client_id: "saman-cli".into(),
            token_endpoint: "https://id.example/token".into(),
            ca_file: None,
            access_token: "a.b.c".into(),
            refresh_token: Some("r".into()),
            expires_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn a_kept_login_reads_back_and_only_its_owner_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saman").join("login.json");
        assert!(read(&path).unwrap().is_none(), "nothing kept yet");
        write(&path, &login()).unwrap();
        write(&path, &login()).unwrap();
        let back = read(&path).unwrap().expect("kept");
        assert_eq!(back.access_token, "a.b.c");
        assert_eq!(back.expires_at, login().expires_at);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(remove(&path).unwrap());
        assert!(!remove(&path).unwrap(), "gone");
    }

    #[test]
    fn an_unreadable_login_says_how_to_start_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("login.json");
        fs::write(&path, "{").unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.message.contains("saman logout"), "{}", err.message);
    }
}
