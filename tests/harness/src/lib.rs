//! Test harness for Saman: fresh SQLite and PostgreSQL databases ([`TestDb`]) and a
//! private `nats-server` with JetStream ([`NatsServer`]).
//!
//! Nothing here skips silently: a missing `DATABASE_URL` or a missing `nats-server`
//! binary is an error that says how to fix it (run `scripts/test`, which installs and
//! starts what the tests need).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The SQL engines the event store and read models run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both backends, for tests that run against each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Error text when `DATABASE_URL` is missing.
const NO_DATABASE_URL: &str = "DATABASE_URL is not set: run the tests with scripts/test, which \
     starts a private PostgreSQL (or export DATABASE_URL=postgres://...)";

/// A fresh, empty database, private to one test.
///
/// SQLite: a new file in a temporary directory that lives as long as the `TestDb`.
/// PostgreSQL: a new database `saman_test_<uuid>` on the server named by `DATABASE_URL`,
/// dropped (best effort, `WITH (FORCE)`) when the `TestDb` is dropped.
pub struct TestDb {
    backend: Backend,
    url: String,
    inner: Inner,
}

enum Inner {
    Sqlite {
        _dir: TempDir,
    },
    Postgres {
        /// URL of the server's maintenance database (the `DATABASE_URL`).
        admin_url: String,
        /// Name of the database created for this test.
        name: String,
    },
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .finish()
    }
}

impl TestDb {
    /// Creates a fresh database on `backend`.
    pub async fn new(backend: Backend) -> anyhow::Result<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("saman-test-sqlite-")
                    .tempdir()
                    .context("creating a temporary directory for SQLite")?;
                let path = dir.path().join("test.db");
                let path = path
                    .to_str()
                    .context("temporary directory path is not UTF-8")?;
                let url = format!("sqlite://{path}?mode=rwc");
                Ok(TestDb {
                    backend,
                    url,
                    inner: Inner::Sqlite { _dir: dir },
                })
            }
            Backend::Postgres => {
                let admin_url = admin_url(std::env::var("DATABASE_URL").ok())?;
                let name = format!("saman_test_{}", uuid::Uuid::new_v4().simple());
                let url = with_database(&admin_url, &name);
                let mut conn = PgConnection::connect(&admin_url).await.with_context(|| {
                    format!(
                        "connecting to PostgreSQL at DATABASE_URL={} (is the server running? \
                         scripts/test starts a private one)",
                        redact(&admin_url)
                    )
                })?;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("CREATE DATABASE {name}"))?;
                let _ = conn.close().await;
                Ok(TestDb {
                    backend,
                    url,
                    inner: Inner::Postgres { admin_url, name },
                })
            }
        }
    }

    /// The URL to connect to this database (sqlx syntax).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The backend of this database.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Inner::Postgres { admin_url, name } = &self.inner else {
            return;
        };
        let admin_url = admin_url.clone();
        let name = name.clone();
        // Drop may run inside a tokio runtime (where blocking on another runtime panics):
        // do the work on a plain thread with its own small runtime, and wait for it a bounded time.
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("saman-testdb-drop".into())
            .spawn(move || {
                let result = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(drop_database(&admin_url, &name)));
                let _ = tx.send(result.is_ok());
            });
        if spawned.is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(15));
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    let Ok(mut conn) = PgConnection::connect(admin_url).await else {
        return;
    };
    let forced = sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    if forced.is_err() {
        // PostgreSQL before 13 has no WITH (FORCE).
        let _ = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'; \
             DROP DATABASE IF EXISTS \"{name}\""
        )))
        .execute(&mut conn)
        .await;
    }
    let _ = conn.close().await;
}

/// Checks the value of `DATABASE_URL`.
fn admin_url(var: Option<String>) -> anyhow::Result<String> {
    let url = match var {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        _ => bail!(NO_DATABASE_URL),
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "DATABASE_URL must be a postgres:// URL (got {}): run the tests with scripts/test, \
             which starts a private PostgreSQL (or export DATABASE_URL=postgres://...)",
            redact(&url)
        );
    }
    Ok(url)
}

/// `url` with its database (path) replaced by `name`, keeping user, host and query.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// `url` without its password, for error messages.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end],
                    &userinfo[..colon],
                    &rest[at..]
                ),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// A free TCP port on 127.0.0.1 (bind port 0, read the port, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 to find a free port")
}

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
    dir: TempDir,
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
    /// Starts a fresh nats-server with JetStream on a free port, and waits until it
    /// accepts connections.
    pub async fn start() -> anyhow::Result<NatsServer> {
        Self::start_with_max_payload(None).await
    }

    /// Like [`NatsServer::start`], with the server's `max_payload` (the largest message a
    /// client may publish, headers included) set to `max_payload` bytes; `None`: the
    /// default (1 MiB). nats-server has no flag for it: it goes in a configuration file.
    pub async fn start_with_max_payload(max_payload: Option<usize>) -> anyhow::Result<NatsServer> {
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
            dir,
        };
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
        if let Some(max_payload) = self.max_payload {
            let config = self.dir.path().join("nats-server.conf");
            std::fs::write(&config, format!("max_payload: {max_payload}\n"))
                .with_context(|| format!("writing {}", config.display()))?;
            command.arg("-c").arg(config);
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
    fn backend_display() {
        assert_eq!(Backend::Sqlite.to_string(), "sqlite");
        assert_eq!(Backend::Postgres.to_string(), "postgres");
    }

    #[test]
    fn with_database_replaces_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(with_database("postgres://h?a=b", "x"), "postgres://h/x?a=b");
        assert_eq!(
            with_database("postgresql:///postgres?host=/tmp", "x"),
            "postgresql:///x?host=/tmp"
        );
    }

    #[test]
    fn redact_hides_the_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn missing_database_url_says_how_to_fix_it() {
        for var in [None, Some(String::new()), Some("  ".to_owned())] {
            let err = admin_url(var).unwrap_err().to_string();
            assert_eq!(err, NO_DATABASE_URL);
            assert!(err.contains("DATABASE_URL is not set"));
            assert!(err.contains("scripts/test"));
        }
        let err = admin_url(Some("mysql://u:pw@h/db".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("postgres://"), "{err}");
        assert!(!err.contains("pw"), "{err}");
        assert_eq!(
            admin_url(Some("postgres://postgres@127.0.0.1:5432/postgres".into())).unwrap(),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
    }

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

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).expect("port is free");
    }
}
