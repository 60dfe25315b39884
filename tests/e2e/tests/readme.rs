//! The README's tour, run as written: every command block marked
//! `<!-- walkthrough -->` in README.md is run in order by bash with the `saman` built
//! here first on the PATH, against the system loaded as `scripts/dev --scenario`
//! loads it; blocks marked `<!-- walkthrough: follow -->` run in the background (the
//! "other terminal"); a `<!-- walkthrough: output -->` block must appear in what the
//! block before it printed. So the README cannot drift from the code.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use saman_e2e::*;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Run,
    Follow,
    Output,
}

#[derive(Debug)]
struct Block {
    kind: Kind,
    /// Commands (continuation lines joined), or the lines of expected output.
    lines: Vec<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The marked blocks of the README, in order.
fn walkthrough(readme: &str) -> anyhow::Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let kind = match line.trim() {
            "<!-- walkthrough -->" => Kind::Run,
            "<!-- walkthrough: follow -->" => Kind::Follow,
            "<!-- walkthrough: output -->" => Kind::Output,
            other if other.starts_with("<!-- walkthrough") => {
                bail!("unknown walkthrough marker: {other}")
            }
            _ => continue,
        };
        let fence = lines
            .by_ref()
            .find(|l| !l.trim().is_empty())
            .context("a walkthrough marker with nothing after it")?;
        ensure!(
            fence.starts_with("```"),
            "a walkthrough marker is not followed by a code block but by: {fence}"
        );
        let mut body = Vec::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            body.push(line.to_string());
        }
        let lines = if kind == Kind::Output {
            body.into_iter().filter(|l| !l.trim().is_empty()).collect()
        } else {
            // One command per line; a trailing backslash continues it.
            let mut commands = Vec::new();
            let mut current = String::new();
            for line in body {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match line.strip_suffix('\\') {
                    Some(head) => current.push_str(head),
                    None => {
                        current.push_str(line);
                        commands.push(std::mem::take(&mut current));
                    }
                }
            }
            commands
        };
        blocks.push(Block { kind, lines });
    }
    Ok(blocks)
}

fn words(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A command of the README, run by bash as a user's shell would.
fn shell(saman: &Saman, command: &str) -> tokio::process::Command {
    let bin = saman.binary.parent().expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut shell = tokio::process::Command::new("bash");
    shell
        .arg("-c")
        .arg(format!("exec {command}"))
        .env("PATH", path)
        .env_remove("SAMAN_AS")
        .env_remove("SAMAN_TOKEN")
        // As the README's second terminal exports it: the development key (here the
        // test issuer's, which the services trust).
        .env("SAMAN_DEV_KEY", issuer().signing_key_file())
        .env("SAMAN_DEV_ISSUER", issuer().url())
        // And the authority of the services' certificates (here the test authority).
        .env("SAMAN_CA_FILE", tls().ca_file())
        .envs(saman.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    shell
}

/// A command following in the background, and every line it printed so far.
struct Follower {
    command: String,
    child: tokio::process::Child,
    output: Arc<Mutex<Vec<String>>>,
}

/// The follower running `command` (a command of the tour).
fn following<'a>(followers: &'a [Follower], command: &str) -> anyhow::Result<&'a Follower> {
    followers
        .iter()
        .find(|f| f.command.starts_with(command))
        .with_context(|| format!("the tour no longer runs `{command}`"))
}

impl Follower {
    fn start(saman: &Saman, command: &str) -> anyhow::Result<Follower> {
        let mut child = shell(saman, command)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        for reader in [
            Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(reader).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    output.lock().unwrap().push(line);
                }
            });
        }
        Ok(Follower {
            command: command.to_string(),
            child,
            output,
        })
    }

    fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) until what it printed satisfies `done`.
    async fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.lines()) {
            if Instant::now() > deadline {
                bail!(
                    "`{}` did not print {what} within 20 s; it printed:\n{}",
                    self.command,
                    self.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_as_written() -> anyhow::Result<()> {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    let blocks = walkthrough(&readme)?;
    ensure!(
        blocks.iter().filter(|b| b.kind == Kind::Run).count() >= 3,
        "the README's tour has lost its walkthrough blocks"
    );

    // The system as the README's run command leaves it: `scripts/dev --scenario`
    // runs `saman scenario 1397` once intake listens.
    ensure!(readme.contains("scripts/dev --scenario"));
    let dev = std::fs::read_to_string(root.join("scripts/dev"))?;
    ensure!(
        dev.contains("\"$bin/saman\" scenario 1397"),
        "scripts/dev --scenario no longer runs `saman scenario 1397`"
    );
    let system = System::start(Backend::Sqlite).await?;
    let saman = system.saman()?;
    let loaded = saman.scenario_1397(&[]).await?;
    let mut admin = system.projection.admin().await?;
    wait_caught_up(
        &mut admin,
        loaded["events"].as_u64().unwrap_or(0),
        Duration::from_secs(120),
    )
    .await?;

    let mut followers = Vec::new();
    let mut last_output = String::new();
    for block in &blocks {
        match block.kind {
            Kind::Run => {
                last_output.clear();
                for command in &block.lines {
                    ensure!(
                        command.starts_with("saman "),
                        "the tour runs only saman commands, not: {command}"
                    );
                    let out = shell(&saman, command).output().await?;
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    ensure!(
                        out.status.success() && !stdout.trim().is_empty(),
                        "README command `{command}` exited {:?}\nstdout:\n{stdout}\nstderr:\n{}",
                        out.status.code(),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    last_output.push_str(&stdout);
                }
            }
            Kind::Output => {
                let printed: Vec<String> = last_output.lines().map(words).collect();
                for line in &block.lines {
                    ensure!(
                        printed.contains(&words(line)),
                        "the README shows the line\n{line}\nwhich the commands before it did not print:\n{last_output}"
                    );
                }
            }
            Kind::Follow => {
                ensure!(block.lines.len() == 1, "a follow block holds one command");
                let follower = Follower::start(&saman, &block.lines[0])?;
                // Listening once it has said anything (a heading, the first update).
                follower
                    .wait_for("its first line", |lines| !lines.is_empty())
                    .await?;
                followers.push(follower);
            }
        }
    }

    // What the README says the other terminals show after the progress report.
    let watch = following(&followers, "saman watch zone-03")?;
    watch
        .wait_for("an update after the report", |lines| {
            lines.iter().filter(|l| l.starts_with("position")).count() >= 2
        })
        .await?;
    let updates: Vec<String> = watch
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("position"))
        .collect();
    ensure!(
        updates[0].contains("at risk") && updates[0].contains("social 90.0%"),
        "before the report: {}",
        updates[0]
    );
    let after = updates.last().unwrap();
    ensure!(
        after.contains("on track") && after.contains("social 94.0%"),
        "after the report: {after}"
    );
    let events = following(&followers, "saman events --zone zone-03")?;
    events
        .wait_for("the ProgressReported event", |lines| {
            lines
                .iter()
                .any(|l| l.contains("saman.events.v1.zone.zone-03.ProgressReported"))
        })
        .await?;

    for mut follower in followers {
        follower.child.kill().await?;
    }
    system.stop().await
}
