//! A private `nats-server` with JetStream for one test: its own port, store and log; by
//! default over TLS ([`TestTls`]) with Saman's users and the permissions the deployment
//! ships (`deploy/nats/saman-permissions.conf`, included as it is).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::{TestTls, free_port};
use saman_runtime::flags::NatsFlags;

/// The permissions every deployment's nats-server includes: the tests run with the same.
const PERMISSIONS: &str = include_str!("../../../deploy/nats/saman-permissions.conf");
const PERMISSIONS_FILE: &str = "saman-permissions.conf";

const NATS_MISSING: &str =
    "nats-server not found: run scripts/install-deps (apt-get install nats-server)";
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const RESTART_BIND_RETRY: Duration = Duration::from_secs(5);

/// A private `nats-server` with JetStream, listening on 127.0.0.1 on its own port, with its
/// store and log in a temporary directory. Dropping it kills the process.
pub struct NatsServer {
    // Fields drop in order: the process is killed before its directory is removed.
    child: Mutex<Option<Child>>,
    bin: PathBuf,
    port: u16,
    /// The server's `max_payload` (bytes) when set; `None`: nats-server's default (1 MiB).
    max_payload: Option<usize>,
    /// TLS and users; `None`: plaintext, no authentication ([`NatsServer::start_insecure`]).
    tls: Option<TestTls>,
    dir: TempDir,
}

/// The users of a [`NatsServer`] started with TLS: Saman's three, with the shipped
/// permissions, and `admin`, unrestricted, which only tests use (to read or tamper with
/// the stream as no deployed client can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatsUser {
    Intake,
    Projection,
    Subscriber,
    Admin,
}

impl NatsUser {
    pub const ALL: [NatsUser; 4] = [
        NatsUser::Intake,
        NatsUser::Projection,
        NatsUser::Subscriber,
        NatsUser::Admin,
    ];

    /// The user name on the server.
    pub fn name(self) -> &'static str {
        match self {
            NatsUser::Intake => "intake",
            NatsUser::Projection => "projection",
            NatsUser::Subscriber => "subscriber",
            NatsUser::Admin => "admin",
        }
    }

    /// The permissions variable of `saman-permissions.conf`; `None`: all rights.
    fn permissions(self) -> Option<&'static str> {
        match self {
            NatsUser::Intake => Some("SAMAN_INTAKE_PERMISSIONS"),
            NatsUser::Projection => Some("SAMAN_PROJECTION_PERMISSIONS"),
            NatsUser::Subscriber => Some("SAMAN_SUBSCRIBER_PERMISSIONS"),
            NatsUser::Admin => None,
        }
    }
}

impl fmt::Debug for NatsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsServer")
            .field("port", &self.port)
            .field("max_payload", &self.max_payload)
            .field("dir", &self.dir.path())
            .field("running", &self.is_running())
            .finish()
    }
}

impl NatsServer {
    /// Starts a fresh nats-server with JetStream on a free port, over TLS with Saman's
    /// users ([`NatsUser`]; [`NatsServer::flags`] tells a client how to connect as one),
    /// and waits until it accepts connections.
    pub async fn start() -> anyhow::Result<NatsServer> {
        Self::start_with_max_payload(None).await
    }

    /// Like [`NatsServer::start`], with the server's `max_payload` (the largest message a
    /// client may publish, headers included) set to `max_payload` bytes; `None`: the
    /// default (1 MiB). nats-server has no flag for it: it goes in a configuration file.
    pub async fn start_with_max_payload(max_payload: Option<usize>) -> anyhow::Result<NatsServer> {
        let tls = TestTls::generate("saman-test-nats")?;
        Self::start_inner(max_payload, Some(tls)).await
    }

    /// A server as nats-server starts without a configuration: plaintext, anyone may do
    /// anything. For tests of the harness itself and of a client asked to run without TLS.
    pub async fn start_insecure() -> anyhow::Result<NatsServer> {
        Self::start_inner(None, None).await
    }

    async fn start_inner(
        max_payload: Option<usize>,
        tls: Option<TestTls>,
    ) -> anyhow::Result<NatsServer> {
        let bin = find_nats_server()?;
        let dir = tempfile::Builder::new()
            .prefix("saman-test-nats-")
            .tempdir()
            .context("creating a temporary directory for nats-server")?;
        std::fs::create_dir_all(dir.path().join("store"))
            .context("creating the nats-server store directory")?;
        let mut server = NatsServer {
            child: Mutex::new(None),
            bin,
            port: 0,
            max_payload,
            tls,
            dir,
        };
        server.write_secrets()?;
        // Another process may take the free port before nats-server binds it: try a few.
        let mut last_err = None;
        for _ in 0..3 {
            server.port = free_port();
            match server.spawn_and_wait().await {
                Ok(child) => {
                    *server.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
                    return Ok(server);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's TLS authority and certificates; `None` for [`NatsServer::start_insecure`].
    pub fn tls(&self) -> Option<&TestTls> {
        self.tls.as_ref()
    }

    /// How a client connects as `user`: the URL, the authority to trust, the user and its
    /// password file ([`NatsServer::start_insecure`]: the URL and
    /// `--nats-insecure-plaintext`).
    pub fn flags(&self, user: NatsUser) -> NatsFlags {
        let url = self.url();
        match &self.tls {
            Some(tls) => NatsFlags {
                url,
                ca: Some(tls.ca_file()),
                user: Some(user.name().to_owned()),
                password_file: Some(self.password_file(user)),
                ..NatsFlags::default()
            },
            None => NatsFlags {
                url,
                insecure_plaintext: true,
                ..NatsFlags::default()
            },
        }
    }

    /// [`NatsServer::flags`] as command-line flags of the binaries (`--nats-url` ...).
    pub fn args(&self, user: NatsUser) -> Vec<String> {
        let flags = self.flags(user);
        let mut args = vec!["--nats-url".to_owned(), flags.url];
        let path = |p: Option<PathBuf>| p.map(|p| p.display().to_string());
        for (flag, value) in [
            ("--nats-ca", path(flags.ca)),
            ("--nats-user", flags.user),
            ("--nats-password-file", path(flags.password_file)),
        ] {
            if let Some(value) = value {
                args.extend([flag.to_owned(), value]);
            }
        }
        if flags.insecure_plaintext {
            args.push("--nats-insecure-plaintext".to_owned());
        }
        args
    }

    /// [`NatsServer::flags`] as the environment variables the binaries read.
    pub fn env(&self, user: NatsUser) -> Vec<(String, String)> {
        let args = self.args(user);
        let mut env = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let name = format!(
                "SAMAN_{}",
                args[i]
                    .trim_start_matches("--")
                    .replace('-', "_")
                    .to_uppercase()
            );
            match args.get(i + 1).filter(|v| !v.starts_with("--")) {
                Some(value) => {
                    env.push((name, value.clone()));
                    i += 2;
                }
                None => {
                    env.push((name, "true".to_owned()));
                    i += 1;
                }
            }
        }
        env
    }

    /// A client connected as `user` (through `saman_runtime::nats::connect`, as the
    /// services connect).
    pub async fn connect(&self, user: NatsUser) -> anyhow::Result<async_nats::Client> {
        let options = async_nats::ConnectOptions::new().name(format!("test-{}", user.name()));
        saman_runtime::nats::connect(&self.flags(user), options)
            .await
            .with_context(|| format!("connecting to the test nats-server as {}", user.name()))
    }

    fn password_file(&self, user: NatsUser) -> PathBuf {
        self.dir.path().join(format!("{}.password", user.name()))
    }

    /// With TLS: a random password per user, each in its own file, and the server's
    /// configuration: the shipped permissions, the certificate, the users.
    fn write_secrets(&self) -> anyhow::Result<()> {
        if self.tls.is_none() {
            return Ok(());
        }
        for user in NatsUser::ALL {
            let path = self.password_file(user);
            std::fs::write(&path, uuid::Uuid::new_v4().simple().to_string())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let path = self.dir.path().join(PERMISSIONS_FILE);
        std::fs::write(&path, PERMISSIONS).with_context(|| format!("writing {}", path.display()))
    }

    /// The configuration file's text: the `max_payload`, and with TLS the rest.
    fn config(&self) -> anyhow::Result<String> {
        let mut config = String::new();
        if let Some(max_payload) = self.max_payload {
            config.push_str(&format!("max_payload: {max_payload}\n"));
        }
        let Some(tls) = &self.tls else {
            return Ok(config);
        };
        config.push_str(&format!(
            "include \"{PERMISSIONS_FILE}\"\n\
             tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  timeout: 5\n}}\n\
             authorization {{\n  users = [\n",
            tls.server_cert().display().to_string(),
            tls.server_key().display().to_string(),
        ));
        for user in NatsUser::ALL {
            let path = self.password_file(user);
            let password = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let permissions = user
                .permissions()
                .map(|p| format!(", permissions: ${p}"))
                .unwrap_or_default();
            config.push_str(&format!(
                "    {{ user: {}, password: {password:?}{permissions} }}\n",
                user.name()
            ));
        }
        config.push_str("  ]\n}\n");
        Ok(config)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the JetStream store (`store/`) and the log (`nats-server.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit. The port and the
    /// store directory are kept for [`NatsServer::restart`].
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let child = self.child.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut child) = child {
            child.kill().await.context("killing nats-server")?;
        }
        Ok(())
    }

    /// Starts the server again on the same port with the same store (stopping it first if it
    /// is running), retrying the bind for a few seconds.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        let deadline = Instant::now() + RESTART_BIND_RETRY;
        loop {
            match self.spawn_and_wait().await {
                Ok(child) => {
                    *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
                    return Ok(());
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(e.context(format!("restarting nats-server on port {}", self.port)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// The `max_payload` the server runs with (or will, after [`NatsServer::restart`]);
    /// `None`: nats-server's default (1 MiB).
    pub fn max_payload(&self) -> Option<usize> {
        self.max_payload
    }

    /// Sets the `max_payload` for the next [`NatsServer::restart`] (the running server
    /// keeps its own); `None`: nats-server's default (1 MiB).
    pub fn set_max_payload(&mut self, max_payload: Option<usize>) {
        self.max_payload = max_payload;
    }

    /// Whether the server process is alive.
    pub fn is_running(&self) -> bool {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats-server.log")
    }

    /// Spawns nats-server on `self.port` and waits until it is ready: its own log says
    /// "Server is ready" (so the port is ours, not another process's) and the port greets
    /// with a NATS INFO line.
    async fn spawn_and_wait(&self) -> anyhow::Result<Child> {
        let log_path = self.log_path();
        let log_start = std::fs::metadata(&log_path).map_or(0, |m| m.len());
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let log_err = log.try_clone().context("duplicating the log file handle")?;
        let mut command = Command::new(&self.bin);
        let config = self.config()?;
        if !config.is_empty() {
            let path = self.dir.path().join("nats-server.conf");
            std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))?;
            command.arg("-c").arg(path);
        }
        let mut child = command
            .arg("-a")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-js")
            .arg("-sd")
            .arg(self.dir.path().join("store"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", self.bin.display()))?;

        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context("waiting for nats-server")? {
                bail!(
                    "nats-server exited ({status}) before accepting connections on port {}; log {}:\n{}",
                    self.port,
                    log_path.display(),
                    log_tail(&log_path)
                );
            }
            if log_since(&log_path, log_start).contains("Server is ready")
                && answers_nats_info(addr).await
            {
                return Ok(child);
            }
            if Instant::now() >= deadline {
                let _ = child.kill().await;
                bail!(
                    "nats-server did not accept connections on port {} within {:?}; log {}:\n{}",
                    self.port,
                    READY_TIMEOUT,
                    log_path.display(),
                    log_tail(&log_path)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Whether something on `addr` accepts TCP and greets with a NATS `INFO` line.
async fn answers_nats_info(addr: SocketAddr) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).await.ok()?;
        Some(&buf == b"INFO")
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(true))
    )
}

/// The nats-server binary: `NATS_SERVER_BIN`, else `nats-server` on `PATH`, else
/// `/usr/sbin/nats-server`.
fn find_nats_server() -> anyhow::Result<PathBuf> {
    find_nats_server_in(
        std::env::var_os("NATS_SERVER_BIN"),
        std::env::var_os("PATH"),
        &["/usr/sbin/nats-server", "/usr/bin/nats-server"],
    )
}

fn find_nats_server_in(
    override_bin: Option<std::ffi::OsString>,
    path: Option<std::ffi::OsString>,
    fallback: &[&str],
) -> anyhow::Result<PathBuf> {
    if let Some(bin) = override_bin.filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        if is_executable(&bin) {
            return Ok(bin);
        }
        bail!(
            "NATS_SERVER_BIN={} is not an executable file; {NATS_MISSING}",
            bin.display()
        );
    }
    let on_path = path
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nats-server"));
    let fallback = fallback.iter().map(PathBuf::from);
    on_path
        .chain(fallback)
        .find(|p| is_executable(p))
        .context(NATS_MISSING)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What was appended to a log file after byte `start`.
fn log_since(path: &Path, start: u64) -> String {
    let read = || -> std::io::Result<String> {
        let mut f = File::open(path)?;
        f.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_default()
}

/// The last few KiB of a log file, for error messages.
fn log_tail(path: &Path) -> String {
    const TAIL: u64 = 4096;
    let read = || -> std::io::Result<String> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_else(|e| format!("(cannot read the log: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_nats_server_says_how_to_fix_it() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_nats_server_in(None, Some(empty.path().into()), &["/nonexistent/nats"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nats-server not found"), "{err}");
        assert!(err.contains("scripts/install-deps"), "{err}");

        let err = find_nats_server_in(Some("/nonexistent/nats".into()), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("NATS_SERVER_BIN=/nonexistent/nats"), "{err}");
    }

    #[test]
    fn nats_server_found_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("nats-server");
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = find_nats_server_in(None, Some(dir.path().into()), &[]).unwrap();
        assert_eq!(found, bin);
        let found = find_nats_server_in(Some(bin.clone().into()), None, &[]).unwrap();
        assert_eq!(found, bin);
    }
}
