//! `saman tls`: throwaway certificates for development (scripts/dev keeps them in
//! .saman/tls/).

use std::path::Path;

use saman_auth::dev_tls::{files, write_dev_certs};

use crate::args::TlsCommand;
use crate::error::{CliError, Kind};

pub fn run(command: TlsCommand) -> Result<(), CliError> {
    match command {
        TlsCommand::DevCerts { dir } => dev_certs(&dir),
    }
}

/// Makes the authority and certificates unless all are there: kept, clients that
/// trust the authority keep trusting the services across restarts.
fn dev_certs(dir: &Path) -> Result<(), CliError> {
    let all = [
        files::CA,
        files::SERVER_CERT,
        files::SERVER_KEY,
        files::CLIENT_CERT,
        files::CLIENT_KEY,
    ];
    if all.iter().all(|file| dir.join(file).exists()) {
        crate::out!("kept the certificates in {}", dir.display());
        return Ok(());
    }
    write_dev_certs(dir, "Saman development CA", "saman-dev-client")
        .map_err(|e| CliError::new(Kind::Unexpected, format!("{e:#}")))?;
    crate::out!(
        "made a development authority ({}) and certificates in {}",
        dir.join(files::CA).display(),
        dir.display()
    );
    Ok(())
}
