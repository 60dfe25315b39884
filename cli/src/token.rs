//! `saman token`: the development signing key and its JWKS, and tokens minted with it.

use std::fs;
use std::path::Path;

use saman_auth::dev::DevKey;

use crate::args::{Global, TokenCommand};
use crate::credentials::{Credentials, mint_token};
use crate::error::{CliError, Kind};

/// The key id of the development key (the file's stem, as [`DevKey::read`] reads it).
const DEV_KEY_ID: &str = "dev-signing-key";

pub fn run(command: TokenCommand, global: &Global) -> Result<(), CliError> {
    match command {
        TokenCommand::Mint { identity, ttl } => {
            let (key, issuer) = Credentials::dev_key(global)?;
            crate::out!("{}", mint_token(&key, &issuer, &identity, ttl)?);
            Ok(())
        }
        TokenCommand::DevKeys { dir } => dev_keys(&dir),
    }
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::new(Kind::Unexpected, format!("{what} {}: {e}", path.display()))
}

/// Makes the key and its JWKS, keeping a key that exists (the JWKS is written again
/// from it, so the two always agree).
fn dev_keys(dir: &Path) -> Result<(), CliError> {
    fs::create_dir_all(dir).map_err(|e| failed("cannot create", dir, e))?;
    let key_path = dir.join(format!("{DEV_KEY_ID}.pem"));
    let key = if key_path.exists() {
        DevKey::read(&key_path).map_err(|e| failed("cannot read", &key_path, format!("{e:#}")))?
    } else {
        let key = DevKey::generate(DEV_KEY_ID)
            .map_err(|e| CliError::new(Kind::Unexpected, format!("{e:#}")))?;
        write_private(&key_path, key.pem())?;
        crate::out!("made {}", key_path.display());
        key
    };
    let jwks_path = dir.join("dev-jwks.json");
    let jwks = serde_json::to_string_pretty(&DevKey::jwks(&[&key]))
        .map_err(|e| CliError::new(Kind::Unexpected, e.to_string()))?;
    fs::write(&jwks_path, jwks + "\n").map_err(|e| failed("cannot write", &jwks_path, e))?;
    crate::out!("wrote {}", jwks_path.display());
    Ok(())
}

/// Writes a file only its owner may read.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| failed("cannot create", path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| failed("cannot write", path, e))
}
