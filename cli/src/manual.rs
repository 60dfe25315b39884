//! What a shell and `man` need of saman, generated from the same command definitions
//! that parse its arguments (so they cannot drift): completions (clap_complete) and
//! roff manual pages (clap_mangen), one per command.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::args::Cli;
use crate::error::{CliError, Kind};

/// `saman completions SHELL`: the completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut command = Cli::command();
    // Into memory first: clap_complete panics on a write that fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "saman", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .map_err(stdout_failed)
}

/// `saman man [--dir DIR]`: saman(1) on standard output, or every command's page
/// written into `dir`.
pub fn man(dir: Option<&Path>) -> Result<(), CliError> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(command, dir))
                .map_err(|err| CliError::invalid("--dir", format!("{}: {err}", dir.display())))?;
            println!("{}", dir.display());
            Ok(())
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .and_then(|()| out.flush())
                .map_err(stdout_failed)
        }
    }
}

fn stdout_failed(err: std::io::Error) -> CliError {
    CliError::new(
        Kind::Unexpected,
        format!("cannot write to standard output: {err}"),
    )
}
