//! Running the `saman` command line: to the end ([`Saman::run`], what it printed and
//! how it exited) or in the background ([`Saman::spawn`]).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};

/// Runs the `saman` binary.
#[derive(Debug, Clone)]
pub struct Saman {
    pub binary: PathBuf,
    /// Environment variables of every run; an empty value removes the variable (as
    /// `SAMAN_DEV_KEY`, to run without the test issuer's key).
    pub env: Vec<(String, String)>,
}

/// `env` with the variables `names` that it has set to `value` (a test's one change to
/// an environment it was given, e.g. a NATS user's).
pub fn env_with(env: Vec<(String, String)>, names: &[&str], value: &str) -> Vec<(String, String)> {
    env.into_iter()
        .map(|(name, old)| {
            let value = if names.contains(&name.as_str()) {
                value.to_owned()
            } else {
                old
            };
            (name, value)
        })
        .collect()
}

/// What one run of `saman` printed, and how it exited.
#[derive(Debug, Clone)]
pub struct Ran {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Fails (showing everything printed) unless the command exited 0.
    pub fn ok(self) -> anyhow::Result<Ran> {
        if self.code != Some(0) {
            bail!(
                "`saman {}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
                self.args.join(" "),
                self.code,
                self.stdout,
                self.stderr
            );
        }
        Ok(self)
    }

    /// Fails unless the command exited with `code`.
    pub fn exited(self, code: i32) -> anyhow::Result<Ran> {
        if self.code != Some(code) {
            bail!(
                "`saman {}` exited {:?}, not {code}\nstdout:\n{}\nstderr:\n{}",
                self.args.join(" "),
                self.code,
                self.stdout,
                self.stderr
            );
        }
        Ok(self)
    }

    /// stdout as one JSON document.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(self.stdout.trim()).with_context(|| {
            format!(
                "`saman {}` did not print one JSON document:\n{}",
                self.args.join(" "),
                self.stdout
            )
        })
    }

    /// stdout as JSON lines.
    pub fn json_lines(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).with_context(|| format!("not a JSON line: {l}")))
            .collect()
    }

    /// stderr as the JSON error object `--json` prints.
    pub fn json_error(&self) -> anyhow::Result<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_str(self.stderr.trim())
            .with_context(|| format!("stderr is not a JSON error: {}", self.stderr))?;
        Ok(value["error"].clone())
    }
}

/// The words of a `saman` command line: an array of them, or one string split on white
/// space, with `'single quotes'` around a word that has spaces
/// (`"zone register zone-01 --name-en 'Zone 01'"`).
pub trait CommandLine {
    fn words(&self) -> Vec<String>;
}

impl CommandLine for [&str] {
    fn words(&self) -> Vec<String> {
        self.iter().map(|w| w.to_string()).collect()
    }
}

impl<const N: usize> CommandLine for [&str; N] {
    fn words(&self) -> Vec<String> {
        self[..].words()
    }
}

impl CommandLine for Vec<&str> {
    fn words(&self) -> Vec<String> {
        self[..].words()
    }
}

impl CommandLine for str {
    fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        let mut rest = self.trim_start();
        while !rest.is_empty() {
            let (word, after) = match rest.strip_prefix('\'') {
                Some(quoted) => quoted
                    .split_once('\'')
                    .unwrap_or_else(|| panic!("an unclosed quote in `{self}`")),
                None => rest.split_once(char::is_whitespace).unwrap_or((rest, "")),
            };
            words.push(word.to_owned());
            rest = after.trim_start();
        }
        words
    }
}

impl CommandLine for String {
    fn words(&self) -> Vec<String> {
        self.as_str().words()
    }
}

impl Saman {
    /// The workspace's `saman` binary, run with `env`.
    pub fn with_env(env: Vec<(String, String)>) -> anyhow::Result<Saman> {
        Ok(Saman {
            binary: crate::binary("saman")?,
            env,
        })
    }

    fn command(&self, args: &[String]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(args)
            .env_remove("SAMAN_AS")
            .env_remove("SAMAN_TOKEN")
            .env_remove("SAMAN_CLIENT_CERT")
            .env_remove("SAMAN_CLIENT_KEY")
            // The services serve certificates of the test authority.
            .env("SAMAN_CA_FILE", crate::tls().ca_file())
            // Each call with a token of the test process's issuer (writes as their actor).
            .env("SAMAN_DEV_KEY", crate::issuer().signing_key_file())
            .env("SAMAN_DEV_ISSUER", crate::issuer().url())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (name, value) in &self.env {
            match value.as_str() {
                "" => command.env_remove(name),
                value => command.env(name, value),
            };
        }
        command
    }

    /// Runs `saman ARGS` to the end (at most 120 s).
    pub async fn run(&self, args: &(impl CommandLine + ?Sized)) -> anyhow::Result<Ran> {
        let args = args.words();
        let output = tokio::time::timeout(Duration::from_secs(120), self.command(&args).output())
            .await
            .with_context(|| format!("`saman {}` still runs after 120 s", args.join(" ")))??;
        Ok(Ran {
            args,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs `saman ARGS` on a terminal (a pseudo-terminal through util-linux's
    /// `script`), with `env` added: what it printed there, escape codes included.
    pub async fn run_on_terminal(
        &self,
        args: &(impl CommandLine + ?Sized),
        env: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let args = args.words();
        let quote = |w: &str| format!("'{}'", w.replace('\'', "'\\''"));
        let line = std::iter::once(self.binary.display().to_string())
            .chain(args.iter().cloned())
            .map(|w| quote(&w))
            .collect::<Vec<_>>()
            .join(" ");
        let std = self.command(&[]).into_std();
        let mut command = tokio::process::Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .stdin(Stdio::null());
        for (name, value) in std.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let output = tokio::time::timeout(Duration::from_secs(120), command.output())
            .await
            .context("`script` still runs after 120 s")?
            .context("`script` (util-linux) runs saman on a pseudo-terminal: install bsdutils")?;
        anyhow::ensure!(
            output.status.success(),
            "saman {} on a terminal: {}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `saman ARGS`, which must succeed: its stdout as one JSON document.
    pub async fn json(
        &self,
        args: &(impl CommandLine + ?Sized),
    ) -> anyhow::Result<serde_json::Value> {
        self.run(args).await?.ok()?.json()
    }

    /// Runs `saman ARGS`, which must succeed: what it printed on stdout.
    pub async fn stdout(&self, args: &(impl CommandLine + ?Sized)) -> anyhow::Result<String> {
        Ok(self.run(args).await?.ok()?.stdout)
    }

    /// Runs `saman scenario 1397 --json` and more `args`, which must succeed: the summary
    /// it printed.
    pub async fn scenario_1397(&self, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let all: Vec<&str> = ["scenario", "1397", "--json"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        self.json(&all).await
    }

    /// Starts `saman ARGS` in the background (a command that follows, like `watch`).
    pub fn spawn(
        &self,
        args: &(impl CommandLine + ?Sized),
    ) -> anyhow::Result<tokio::process::Child> {
        Ok(self
            .command(&args.words())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?)
    }
}

#[cfg(test)]
mod tests {
    use super::CommandLine;

    #[test]
    fn a_command_line_splits_into_words_quotes_keep_spaces() {
        assert_eq!(
            "zone register  zone-01 --name-en 'Zone 01' --title ' ' -q".words(),
            [
                "zone",
                "register",
                "zone-01",
                "--name-en",
                "Zone 01",
                "--title",
                " ",
                "-q"
            ]
        );
        assert_eq!(["a b", "c"].words(), ["a b", "c"]);
        assert!("   ".words().is_empty());
    }
}
