//! The workspace's binaries as child processes: where they are, starting one with its
//! flags, waiting for its port, and signals (SIGKILL, SIGTERM, SIGSTOP ...).

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use saman_harness::{NatsServer, NatsUser};

use crate::free_port;

/// A binary of the workspace, built by `cargo test --workspace` next to the test
/// executables (target/<profile>/).
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("test executable has no target folder")?;
    let path = dir.join(name);
    if !path.exists() {
        bail!(
            "{} does not exist: build it with `cargo build --workspace --bins` (scripts/test builds it)",
            path.display()
        );
    }
    Ok(path)
}

/// One of the services running as a child process: `K` says which
/// ([`crate::IntakeProcess`], [`crate::ProjectionProcess`]), and gives it its own
/// `start` and clients. Dropping it kills the process.
pub struct Service<K> {
    pub addr: SocketAddr,
    name: &'static str,
    child: tokio::process::Child,
    kind: PhantomData<K>,
}

/// What tells one service's binary from another's.
pub trait Binary {
    /// The binary's name.
    const NAME: &'static str;
    /// Flags it always gets.
    const FLAGS: &'static [&'static str];
    /// The flags that make it sign events with, or trust, the test process's event
    /// signing key ([`crate::event_keys`]); left out when `extra` says otherwise.
    fn event_key_args() -> Vec<String>;
    /// Who it is on NATS.
    const NATS_USER: NatsUser;
    /// Whether the service on `addr` is ready for the tests.
    fn ready(addr: SocketAddr) -> impl Future<Output = bool>;
    /// The service's gRPC client.
    type Client;
    /// A client of the service on `addr`, its calls carrying tokens ([`crate::Channel`]).
    fn connect(addr: SocketAddr) -> impl Future<Output = anyhow::Result<Self::Client>>;
}

impl<K: Binary> Service<K> {
    /// Starts the binary on 127.0.0.1:`port` with `--database-url`, the flags that
    /// connect it to `nats` as its user (TLS, user and password), the flags that make it
    /// trust the test process's token issuer, sign or check events with its event
    /// signing key, and serve the test authority's certificate (unless `extra` has
    /// `--tls-cert` or `--insecure-plaintext`), its own flags and
    /// `extra` ones (e.g. `["--ack-wait", "500ms"]`; the metrics endpoint is
    /// off unless `extra` sets `--metrics-listen`: several processes run at once), and
    /// waits until it is ready.
    pub async fn start_with(
        database_url: &str,
        nats: &NatsServer,
        port: u16,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let binary = binary(K::NAME)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let metrics_off: &[&str] = if extra.contains(&"--metrics-listen") {
            &[]
        } else {
            &["--metrics-listen", "off"]
        };
        let event_keys = K::event_key_args();
        let keys_chosen = extra.iter().any(|flag| {
            flag.starts_with("--insecure-unsigned-events")
                || flag.starts_with("--insecure-unverified-events")
                || event_keys
                    .first()
                    .is_some_and(|name| flag.starts_with(name.as_str()))
        });
        let event_keys: &[String] = if keys_chosen { &[] } else { &event_keys };
        let own_tls = extra
            .iter()
            .any(|flag| ["--tls-cert", "--insecure-plaintext"].contains(flag));
        let tls = if own_tls {
            Vec::new()
        } else {
            crate::tls_args()
        };
        let child = tokio::process::Command::new(&binary)
            .arg("--listen")
            .arg(addr.to_string())
            .args(["--database-url", database_url])
            .args(nats.args(K::NATS_USER))
            .args(K::FLAGS)
            .args(crate::issuer().service_args())
            .args(event_keys)
            .args(tls)
            .args(metrics_off)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("Failed to start {}", binary.display()))?;
        let mut service = Service {
            addr,
            name: K::NAME,
            child,
            kind: PhantomData,
        };
        let started = wait_ready(
            &format!("{} at {addr}", K::NAME),
            Duration::from_secs(30),
            || K::ready(addr),
            || service.exited(),
        )
        .await;
        if started.is_err() {
            service.kill().await.ok();
        }
        started.map(|()| service)
    }
}

impl<K: Binary> Service<K> {
    /// A client of the service.
    pub async fn client(&self) -> anyhow::Result<K::Client> {
        K::connect(self.addr).await
    }

    /// [`Service::start_with`] with Prometheus metrics on a free port of its own: the
    /// service and the metrics' address.
    pub async fn start_with_metrics(
        database_url: &str,
        nats: &NatsServer,
    ) -> anyhow::Result<(Self, SocketAddr)> {
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let flags = ["--metrics-listen", &metrics.to_string()];
        let service = Self::start_with(database_url, nats, free_port(), &flags).await?;
        Ok((service, metrics))
    }
}

impl<K> Service<K> {
    /// How the process exited, if it has.
    fn exited(&mut self) -> Option<String> {
        let status = self.child.try_wait().ok().flatten();
        status.map(|status| status.to_string())
    }

    /// SIGKILL: no shutdown, no flush, no ack.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// Sends `signal` (e.g. `Signal::SIGSTOP`, `Signal::SIGCONT`) to the process.
    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        let pid = self
            .child
            .id()
            .with_context(|| format!("{} already exited", self.name))?;
        let pid = Pid::from_raw(i32::try_from(pid).context("a pid beyond i32")?);
        kill(pid, signal).with_context(|| format!("kill -{signal} {pid} ({})", self.name))
    }

    /// SIGTERM, then waits (at most `timeout`) for the process to exit.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        self.signal(Signal::SIGTERM)?;
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("{} did not exit within {timeout:?} of SIGTERM", self.name))?
            .with_context(|| format!("waiting for {}", self.name))
    }
}

/// Waits (at most 20 s) until something accepts TCP connections on `addr`.
pub(crate) async fn wait_until_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("nothing listens on {addr} after 20 s")
}

/// Polls `ready` every 50 ms until it says yes; fails after `timeout`, or as soon as
/// `gone` says the service stopped (with what it said).
pub(crate) async fn wait_ready<R: Future<Output = bool>>(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> R,
    mut gone: impl FnMut() -> Option<String>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(ended) = gone() {
            bail!("{what} stopped while starting: {ended}");
        }
        if ready().await {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} is not SERVING after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
