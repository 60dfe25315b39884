//! A private `nats-server` with JetStream for one test: its own port, store and log; by
//! default over TLS ([`TestTls`]) with Saman's users and the permissions the deployment
//! ships (`deploy/nats/saman-permissions.conf`, included as it is). The users log in with
//! passwords, NKeys, or `.creds` files of an operator's account ([`NatsLogin`]).

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

use crate::{TestTls, free_port, nats_jwt};
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
    /// How the users log in (with TLS).
    login: NatsLogin,
    /// The configuration's users (or operator and accounts), made once by
    /// [`NatsServer::write_secrets`] so that a restart keeps them.
    auth_config: String,
    dir: TempDir,
}

/// How the users of a [`NatsServer`] with TLS log in; [`NatsServer::flags`] gives each
/// user the setting of its kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NatsLogin {
    /// A user name and a random password (`--nats-user`, `--nats-password-file`).
    #[default]
    Password,
    /// An NKey of each user's own: the server knows the public key, the client holds the
    /// seed (`--nats-nkey-file`).
    NKey,
    /// Operator mode: the server trusts an operator, which signed Saman's account (JetStream
    /// on), which signed each user's JWT with its permissions; the client holds a `.creds`
    /// file as `nsc` writes it (`--nats-creds-file`).
    Creds,
}

impl NatsLogin {
    pub const ALL: [NatsLogin; 3] = [NatsLogin::Password, NatsLogin::NKey, NatsLogin::Creds];
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
            .field("login", &self.login)
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
        Self::start_inner(max_payload, Some(tls), NatsLogin::Password).await
    }

    /// Like [`NatsServer::start`], with the users logging in as `login` says: the same
    /// users with the same permissions, whatever the kind of login.
    pub async fn start_with_login(login: NatsLogin) -> anyhow::Result<NatsServer> {
        let tls = TestTls::generate("saman-test-nats")?;
        Self::start_inner(None, Some(tls), login).await
    }

    /// A server as nats-server starts without a configuration: plaintext, anyone may do
    /// anything. For tests of the harness itself and of a client asked to run without TLS.
    pub async fn start_insecure() -> anyhow::Result<NatsServer> {
        Self::start_inner(None, None, NatsLogin::Password).await
    }

    async fn start_inner(
        max_payload: Option<usize>,
        tls: Option<TestTls>,
        login: NatsLogin,
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
            login,
            auth_config: String::new(),
            dir,
        };
        server.auth_config = server.write_secrets()?;
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

    /// How the users log in; `None` for [`NatsServer::start_insecure`] (nobody needs to).
    pub fn login(&self) -> Option<NatsLogin> {
        self.tls.as_ref().map(|_| self.login)
    }

    /// How a client connects as `user`: the URL, the authority to trust and the user's
    /// credentials of the server's [`NatsLogin`]: its name and password file, its NKey
    /// seed file or its `.creds` file ([`NatsServer::start_insecure`]: the URL and
    /// `--nats-insecure-plaintext`).
    pub fn flags(&self, user: NatsUser) -> NatsFlags {
        self.flags_of(user.name())
    }

    /// Like [`NatsServer::flags`], for a user the server does not know, with credentials
    /// of the server's kind: a user name and password nobody set, the seed of an NKey the
    /// server was never told of, a `.creds` file of an account the operator never signed.
    /// The server refuses it at connect.
    pub fn stranger(&self) -> NatsFlags {
        self.flags_of(STRANGER)
    }

    fn flags_of(&self, name: &str) -> NatsFlags {
        let url = self.url();
        let Some(tls) = &self.tls else {
            return NatsFlags {
                url,
                insecure_plaintext: true,
                ..NatsFlags::default()
            };
        };
        let flags = NatsFlags {
            url,
            ca: Some(tls.ca_file()),
            ..NatsFlags::default()
        };
        let secret = Some(self.secret_file(name));
        match self.login {
            NatsLogin::Password => NatsFlags {
                user: Some(name.to_owned()),
                password_file: secret,
                ..flags
            },
            NatsLogin::NKey => NatsFlags {
                nkey_file: secret,
                ..flags
            },
            NatsLogin::Creds => NatsFlags {
                creds_file: secret,
                ..flags
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
            ("--nats-nkey-file", path(flags.nkey_file)),
            ("--nats-creds-file", path(flags.creds_file)),
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

    /// The file holding `name`'s password, NKey seed or `.creds` (by the server's login).
    fn secret_file(&self, name: &str) -> PathBuf {
        let extension = match self.login {
            NatsLogin::Password => "password",
            NatsLogin::NKey => "nk",
            NatsLogin::Creds => "creds",
        };
        self.dir.path().join(format!("{name}.{extension}"))
    }

    /// With TLS: each user's secret in its own file (and the stranger's, whom the server
    /// does not know), and the shipped permissions beside the configuration; returns
    /// the configuration's users (or operator and accounts).
    fn write_secrets(&self) -> anyhow::Result<String> {
        if self.tls.is_none() {
            return Ok(String::new());
        }
        let path = self.dir.path().join(PERMISSIONS_FILE);
        std::fs::write(&path, PERMISSIONS)
            .with_context(|| format!("writing {}", path.display()))?;
        let write = |name: &str, secret: String| {
            let path = self.secret_file(name);
            std::fs::write(&path, secret).with_context(|| format!("writing {}", path.display()))
        };
        let permissions = |user: NatsUser| {
            user.permissions()
                .map(|p| format!(", permissions: ${p}"))
                .unwrap_or_default()
        };
        let mut config = String::new();
        match self.login {
            NatsLogin::Password => {
                config.push_str("authorization {\n  users = [\n");
                for user in NatsUser::ALL {
                    let password = uuid::Uuid::new_v4().simple().to_string();
                    config.push_str(&format!(
                        "    {{ user: {}, password: {password:?}{} }}\n",
                        user.name(),
                        permissions(user)
                    ));
                    write(user.name(), password)?;
                }
                config.push_str("  ]\n}\n");
                write(STRANGER, uuid::Uuid::new_v4().simple().to_string())?;
            }
            NatsLogin::NKey => {
                config.push_str("authorization {\n  users = [\n");
                for user in NatsUser::ALL {
                    let key = nkeys::KeyPair::new_user();
                    config.push_str(&format!(
                        "    {{ nkey: {:?}{} }}\n",
                        key.public_key(),
                        permissions(user)
                    ));
                    write(user.name(), seed_line(&key)?)?;
                }
                config.push_str("  ]\n}\n");
                write(STRANGER, seed_line(&nkeys::KeyPair::new_user())?)?;
            }
            NatsLogin::Creds => {
                let operator = nkeys::KeyPair::new_operator();
                let system = nkeys::KeyPair::new_account();
                let saman = nkeys::KeyPair::new_account();
                let operator_jwt = nats_jwt::operator(&operator, &system.public_key())?;
                let path = self.dir.path().join("operator.jwt");
                std::fs::write(&path, operator_jwt)
                    .with_context(|| format!("writing {}", path.display()))?;
                config.push_str(&format!(
                    "operator: {:?}\nsystem_account: {}\nresolver: MEMORY\nresolver_preload: {{\n",
                    path.display().to_string(),
                    system.public_key()
                ));
                for (account, name, jetstream) in [(&system, "SYS", false), (&saman, "SAMAN", true)]
                {
                    let jwt = nats_jwt::account(&operator, &account.public_key(), name, jetstream)?;
                    config.push_str(&format!("  {}: {jwt:?}\n", account.public_key()));
                }
                config.push_str("}\n");
                for user in NatsUser::ALL {
                    let rights = match user.permissions() {
                        Some(variable) => nats_jwt::permissions(PERMISSIONS, variable)?,
                        None => serde_json::Map::new(),
                    };
                    write(user.name(), user_creds(&saman, user.name(), rights)?)?;
                }
                // Signed by an account the operator never signed, so unknown to the server.
                let unknown = nkeys::KeyPair::new_account();
                write(
                    STRANGER,
                    user_creds(&unknown, STRANGER, serde_json::Map::new())?,
                )?;
            }
        }
        Ok(config)
    }

    /// The configuration file's text: the `max_payload`, and with TLS the rest.
    fn config(&self) -> String {
        let mut config = String::new();
        if let Some(max_payload) = self.max_payload {
            config.push_str(&format!("max_payload: {max_payload}\n"));
        }
        let Some(tls) = &self.tls else {
            return config;
        };
        // In operator mode the rights are in the users' JWTs: nats-server refuses variables
        // that nothing uses.
        if self.login != NatsLogin::Creds {
            config.push_str(&format!("include \"{PERMISSIONS_FILE}\"\n"));
        }
        config.push_str(&format!(
            "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  timeout: 5\n}}\n",
            tls.server_cert().display().to_string(),
            tls.server_key().display().to_string(),
        ));
        config.push_str(&self.auth_config);
        config
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
        let config = self.config();
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

/// The name of [`NatsServer::stranger`]'s secret file.
const STRANGER: &str = "stranger";

/// An NKey seed file's text: the seed on a line.
fn seed_line(key: &nkeys::KeyPair) -> anyhow::Result<String> {
    Ok(format!(
        "{}\n",
        key.seed().context("a new NKey has a seed")?
    ))
}

/// A `.creds` file of a new user `name` of `account`, with `permissions`.
fn user_creds(
    account: &nkeys::KeyPair,
    name: &str,
    permissions: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<String> {
    let key = nkeys::KeyPair::new_user();
    let jwt = nats_jwt::user(account, &key.public_key(), name, permissions)?;
    nats_jwt::creds(&jwt, &key)
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
