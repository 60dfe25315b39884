//! The end-to-end tests' toolkit: start intake (in-process on port 0, or the real
//! binary as a child process), make gRPC clients and submissions, and read back
//! what the event store and JetStream hold.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_nats::jetstream;
use prost::Message;
use saman_intake::config::Config;
use saman_intake::store::{EventStore, StoredEvent};
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Response, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

pub use saman_harness::{Backend, NatsServer, TestDb, free_port};

/// The JetStream stream intake publishes to.
pub const STREAM: &str = "SAMAN_EVENTS";

/// Intake running inside the test process, on 127.0.0.1 and a port of its own.
pub struct Intake {
    pub addr: SocketAddr,
    database_url: String,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Intake {
    pub async fn start(database_url: &str, nats_url: &str) -> anyhow::Result<Intake> {
        let config = Config::new(database_url, nats_url);
        Self::start_with(config).await
    }

    pub async fn start_with(mut config: Config) -> anyhow::Result<Intake> {
        config.shutdown_grace = Duration::from_secs(5);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let database_url = config.database_url.clone();
        let task = tokio::spawn(saman_intake::server::run(
            config,
            listener,
            stop.clone().cancelled_owned(),
        ));
        let intake = Intake {
            addr,
            database_url,
            stop,
            task,
        };
        wait_until_listening(addr).await?;
        Ok(intake)
    }

    pub async fn client(&self) -> anyhow::Result<IntakeClient<Channel>> {
        connect(self.addr).await
    }

    /// Graceful shutdown, as on SIGTERM. Then folds what the store holds, as a restart
    /// would: every test that stops intake also shows that whatever it accepted lets
    /// intake start again.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("intake task panicked")??;
        let store = EventStore::open(&self.database_url, 2).await?;
        saman_intake::writer::fold_history(&store)
            .await
            .context("intake could not start again on what it stored")?;
        store.close().await;
        Ok(())
    }
}

/// The real `saman-intake` binary as a child process.
pub struct IntakeProcess {
    pub addr: SocketAddr,
    child: tokio::process::Child,
}

impl IntakeProcess {
    pub async fn start(database_url: &str, nats_url: &str, port: u16) -> anyhow::Result<Self> {
        Self::start_with(database_url, nats_url, port, &[]).await
    }

    /// Starts the binary with `extra` flags too (the metrics endpoint is off unless
    /// `extra` sets `--metrics-listen`: several processes run at once).
    pub async fn start_with(
        database_url: &str,
        nats_url: &str,
        port: u16,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let binary = binary("saman-intake")?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let child = tokio::process::Command::new(&binary)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--database-url")
            .arg(database_url)
            .arg("--nats-url")
            .arg(nats_url)
            .args(metrics_off_unless_set(extra))
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("Failed to start {}", binary.display()))?;
        let process = IntakeProcess { addr, child };
        wait_until_listening(addr).await?;
        Ok(process)
    }

    pub async fn client(&self) -> anyhow::Result<IntakeClient<Channel>> {
        connect(self.addr).await
    }

    /// SIGKILL: no shutdown, no flush.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then waits (at most `timeout`) for the process to exit.
    pub async fn terminate(
        &mut self,
        timeout: Duration,
    ) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().context("intake already exited")?;
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {pid} failed");
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("intake did not exit within {timeout:?} of SIGTERM"))?
            .context("waiting for intake")
    }
}

/// `--metrics-listen off` unless `extra` sets it: the default port is one per machine.
fn metrics_off_unless_set(extra: &[&str]) -> Vec<&'static str> {
    if extra.contains(&"--metrics-listen") {
        vec![]
    } else {
        vec!["--metrics-listen", "off"]
    }
}

/// One plain HTTP/1.1 GET of `http://{addr}{path}`; returns the status line and the
/// whole response (headers and body).
pub async fn http_get_response(addr: SocketAddr, path: &str) -> anyhow::Result<(String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("Failed to connect to http://{addr}"))?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .with_context(|| format!("GET {path}: no complete response within 10 s"))??;
    let response = String::from_utf8(bytes).context("the response is not UTF-8")?;
    let status = response.lines().next().unwrap_or_default().to_owned();
    Ok((status, response))
}

/// The body of a 200 answer to GET `http://{addr}{path}`.
pub async fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let (status, response) = http_get_response(addr, path).await?;
    anyhow::ensure!(status.contains(" 200 "), "GET {path}: {status}");
    let (_, body) = response
        .split_once("\r\n\r\n")
        .context("an HTTP response without a body")?;
    Ok(body.to_string())
}

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

async fn wait_until_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("intake did not listen on {addr} within 20 s")
}

pub async fn connect(addr: SocketAddr) -> anyhow::Result<IntakeClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await
        .with_context(|| format!("Failed to connect to intake at {addr}"))?;
    Ok(IntakeClient::new(channel))
}

/// Waits until intake's health check says SERVING (the stream exists).
pub async fn wait_serving(addr: SocketAddr) -> anyhow::Result<()> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: "saman.intake.v1.Intake".into(),
            })
            .await
            .map(|r| r.into_inner().status);
        if matches!(status, Ok(s) if s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("intake at {addr} is not SERVING after 20 s: {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- submissions -----------------------------------------------------------------------

pub fn office() -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::ProgrammeOffice(events::Official {
            user: "office".into(),
        })),
    }
}

pub fn supervisor() -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::CountySupervisor(events::Official {
            user: "supervisor".into(),
        })),
    }
}

pub fn member(ngo: &str, member: &str) -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::NgoMember(events::NgoMember {
            ngo: ngo.into(),
            member: member.into(),
        })),
    }
}

pub fn officer(agency: &str) -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::AgencyOfficer(events::AgencyOfficer {
            agency: agency.into(),
            user: "officer".into(),
        })),
    }
}

/// A new submission header by `actor`, occurring at `occurred_at` (RFC 3339 or a day).
pub fn submission(actor: events::Actor, occurred_at: &str) -> Option<pb::Submission> {
    Some(pb::Submission {
        submission_id: Uuid::now_v7().to_string(),
        actor: Some(actor),
        expected_version: None,
        occurred_at: occurred_at.into(),
    })
}

pub fn goal(code: &str, approach: events::Approach) -> pb::GoalInput {
    pb::GoalInput {
        code: code.into(),
        approach: approach as i32,
        title_fa: "هدف".into(),
        title_en: format!("Goal {code}"),
        weight: 1,
    }
}

/// Registers the programme: its 1397 dates, `zones` zones (zone-01 ...), NGO ngo-01
/// with `members` approved members (m-001 ...), and agencies water and welfare.
pub async fn register_programme(
    client: &mut IntakeClient<Channel>,
    zones: usize,
    members: usize,
) -> anyhow::Result<()> {
    client
        .set_programme_dates(pb::SetProgrammeDatesRequest {
            submission: submission(office(), "1396-12-26"),
            needs_deadline: "1397-01-31".into(),
            proposals_deadline: "1397-01-31".into(),
            operational_start: "1397-02-01".into(),
            goal_date: "1397-12-29".into(),
        })
        .await?;
    for z in 1..=zones {
        client
            .register_zone(pb::RegisterZoneRequest {
                submission: submission(office(), "1396-12-26"),
                code: format!("zone-{z:02}"),
                name_fa: format!("منطقه {z}"),
                name_en: format!("Zone {z:02}"),
                goals: vec![
                    goal("water", events::Approach::Infrastructural),
                    goal("literacy", events::Approach::Social),
                ],
            })
            .await?;
    }
    client
        .record_approved_ngo(pb::RecordApprovedNgoRequest {
            submission: submission(office(), "1396-12-26"),
            code: "ngo-01".into(),
            name_fa: "سمن یک".into(),
            name_en: "NGO One (fictional)".into(),
            ministry_approval_ref: "MOI-1396-001".into(),
        })
        .await?;
    for m in 1..=members {
        client
            .approve_ngo_member(pb::ApproveNgoMemberRequest {
                submission: submission(office(), "1396-12-26"),
                ngo: "ngo-01".into(),
                member: format!("m-{m:03}"),
                full_name: format!("Member {m:03}"),
            })
            .await?;
    }
    for agency in ["water", "welfare"] {
        client
            .register_agency(pb::RegisterAgencyRequest {
                submission: submission(office(), "1396-12-26"),
                code: agency.into(),
                name_fa: "دستگاه".into(),
                name_en: format!("Agency {agency}"),
            })
            .await?;
    }
    Ok(())
}

pub fn declare_need(zone: &str, member_code: &str, title: &str) -> pb::DeclareNeedRequest {
    pb::DeclareNeedRequest {
        submission: submission(member("ngo-01", member_code), "1397-01-20"),
        zone: zone.into(),
        approach: events::Approach::Social as i32,
        title: title.into(),
        description: "".into(),
        households_affected: 12,
        priority: events::Priority::High as i32,
    }
}

// ---- refusals --------------------------------------------------------------------------

/// The most metadata a refusal may take: well inside the 16 KiB gRPC clients accept
/// for all headers together.
pub const MAX_REFUSAL_BYTES: usize = 8 * 1024;

/// About how many bytes of metadata `status` takes on the wire: its `grpc-message`
/// percent-encoded (bytes outside printable ASCII take three) and its details in base64.
pub fn status_metadata_size(status: &Status) -> usize {
    let message: usize = status
        .message()
        .bytes()
        .map(|b| {
            if (0x20..0x7f).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum();
    message + status.details().len().div_ceil(3) * 4 + 64
}

/// The `domain` of every ErrorInfo intake returns.
pub const ERROR_DOMAIN: &str = "saman.intake.v1";

/// Asserts that `result` is a refusal with `code`, naming `field` in the message, in
/// the ErrorInfo metadata `field` and in the detail of its kind.
pub async fn refused<T>(result: Result<Response<T>, Status>, code: Code, field: &str) {
    let status = match result {
        Ok(_) => panic!("expected {code:?} naming {field}, but the request was accepted"),
        Err(status) => status,
    };
    assert_eq!(status.code(), code, "{field}: {status:?}");
    let size = status_metadata_size(&status);
    assert!(
        size <= MAX_REFUSAL_BYTES,
        "{field}: the refusal takes {size} bytes of metadata: {status:?}"
    );
    let info = status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("{field}: no google.rpc.ErrorInfo in {status:?}"));
    assert_eq!(info.domain, ERROR_DOMAIN, "{status:?}");
    assert_eq!(
        info.metadata.get("field").map(String::as_str),
        Some(field),
        "ErrorInfo metadata `field` of {status:?}"
    );
    assert!(
        status.message().contains(field),
        "the message does not name {field}: {}",
        status.message()
    );
    match code {
        Code::InvalidArgument => {
            let bad_request = status
                .get_details_bad_request()
                .unwrap_or_else(|| panic!("{field}: no google.rpc.BadRequest in {status:?}"));
            assert!(
                bad_request
                    .field_violations
                    .iter()
                    .any(|v| v.field == field && !v.description.is_empty()),
                "no BadRequest violation of {field}: {bad_request:?}"
            );
        }
        Code::FailedPrecondition => {
            let failure = status
                .get_details_precondition_failure()
                .unwrap_or_else(|| {
                    panic!("{field}: no google.rpc.PreconditionFailure in {status:?}")
                });
            assert!(
                failure.violations.iter().any(|v| v.subject == field),
                "no PreconditionFailure violation of {field}: {failure:?}"
            );
        }
        Code::Aborted => {
            let failure = status
                .get_details_precondition_failure()
                .unwrap_or_else(|| {
                    panic!("{field}: no google.rpc.PreconditionFailure in {status:?}")
                });
            assert!(
                failure.violations.iter().any(|v| v.r#type == "VERSION"),
                "no VERSION violation: {failure:?}"
            );
        }
        Code::NotFound | Code::AlreadyExists => {
            let resource = status
                .get_details_resource_info()
                .unwrap_or_else(|| panic!("{field}: no google.rpc.ResourceInfo in {status:?}"));
            assert!(!resource.resource_type.is_empty(), "{resource:?}");
        }
        _ => {}
    }
}

// ---- reading back ----------------------------------------------------------------------

/// Every event in the store, in position order.
pub async fn stored_events(database_url: &str) -> anyhow::Result<Vec<StoredEvent>> {
    let store = EventStore::open(database_url, 2).await?;
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|e: &StoredEvent| e.position).unwrap_or(0);
        let page = store.read_all(after, 10_000).await?;
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    store.close().await;
    Ok(all)
}

/// One message of the JetStream stream.
#[derive(Debug, Clone)]
pub struct Published {
    pub sequence: u64,
    pub subject: String,
    pub headers: HashMap<String, String>,
    pub envelope: events::Envelope,
}

/// Waits until the stream holds at least `expected` messages; returns the stream and
/// its last sequence.
pub async fn wait_stream_count(
    nats_url: &str,
    expected: u64,
    timeout: Duration,
) -> anyhow::Result<(jetstream::stream::Stream, u64)> {
    let client = async_nats::connect(nats_url).await?;
    let js = jetstream::new(client);
    let deadline = Instant::now() + timeout;
    let mut stream = loop {
        match js.get_stream(STREAM).await {
            Ok(stream) => break stream,
            Err(err) if Instant::now() > deadline => bail!("no stream {STREAM}: {err}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    loop {
        let info = stream.info().await?;
        let count = info.state.messages;
        if count >= expected {
            let last = info.state.last_sequence;
            return Ok((stream, last));
        }
        if Instant::now() > deadline {
            bail!("the stream holds {count} messages after {timeout:?}, expected {expected}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every message of the stream, in stream order, once at least `expected` are there
/// (waiting up to `timeout`).
pub async fn published(
    nats_url: &str,
    expected: u64,
    timeout: Duration,
) -> anyhow::Result<Vec<Published>> {
    let (stream, last) = wait_stream_count(nats_url, expected, timeout).await?;
    let mut messages = Vec::with_capacity(last as usize);
    for sequence in 1..=last {
        let raw = stream.get_raw_message(sequence).await?;
        let headers = raw
            .headers
            .iter()
            .map(|(name, values)| {
                let value = values
                    .first()
                    .map(|v| v.as_str().to_owned())
                    .unwrap_or_default();
                (name.to_string(), value)
            })
            .collect();
        messages.push(Published {
            sequence,
            subject: raw.subject.to_string(),
            headers,
            envelope: events::Envelope::decode(raw.payload)
                .with_context(|| format!("message {sequence} is not an Envelope"))?,
        });
    }
    Ok(messages)
}

/// Asserts that each event id appears once and that every stream's versions arrive
/// as 1, 2, 3 ... in stream order.
pub fn assert_exactly_once_in_order(messages: &[Published]) {
    let mut seen = std::collections::HashSet::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for m in messages {
        assert!(
            seen.insert(m.envelope.event_id.as_str()),
            "event {} published twice",
            m.envelope.event_id
        );
        let last = versions.entry(m.envelope.stream_id.as_str()).or_insert(0);
        assert_eq!(
            m.envelope.stream_version,
            *last + 1,
            "stream {} out of order at message {}",
            m.envelope.stream_id,
            m.sequence
        );
        *last = m.envelope.stream_version;
    }
}

/// Runs an async test body once per backend, naming the backend in failures.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:ident;)+) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    super::$body($crate::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    super::$body($crate::Backend::Postgres).await
                }
            )+
        }
    };
}

// ---- projection ------------------------------------------------------------------------

use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;

/// The projection's settings (flags of the `saman-projection` binary).
pub use saman_projection::config::Config as ProjectionConfig;

/// The gRPC service whose health says whether the projection serves.
pub const PROJECTION_SERVICE: &str = "saman.projection.v1.Projection";

/// The projection running inside the test process, on 127.0.0.1 and a port of its own.
pub struct Projection {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Projection {
    /// Read models in `database_url`, events from the NATS server at `nats_url`, the
    /// default consumer name.
    pub async fn start(database_url: &str, nats_url: &str) -> anyhow::Result<Projection> {
        Self::start_with(ProjectionConfig::new(database_url, nats_url)).await
    }

    /// Starts with `config` (its `listen` is replaced by a port of its own) and waits
    /// until it is SERVING.
    pub async fn start_with(mut config: ProjectionConfig) -> anyhow::Result<Projection> {
        config.shutdown_grace = Duration::from_secs(5);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        config.listen = addr;
        let stop = CancellationToken::new();
        let task = tokio::spawn(saman_projection::server::run(
            config,
            listener,
            stop.clone().cancelled_owned(),
        ));
        let projection = Projection { addr, stop, task };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if projection.task.is_finished() {
                let ended = projection.task.await;
                bail!("the projection stopped while starting: {ended:?}");
            }
            if projection_serving(addr).await {
                return Ok(projection);
            }
            if Instant::now() > deadline {
                bail!("the projection at {addr} is not SERVING after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn client(&self) -> anyhow::Result<ProjectionClient<Channel>> {
        connect_projection(self.addr).await
    }

    pub async fn admin(&self) -> anyhow::Result<ProjectionAdminClient<Channel>> {
        connect_projection_admin(self.addr).await
    }

    /// Graceful shutdown, as on SIGTERM.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("projection task panicked")?
    }
}

/// The real `saman-projection` binary as a child process.
pub struct ProjectionProcess {
    pub addr: SocketAddr,
    child: tokio::process::Child,
}

impl ProjectionProcess {
    /// Starts the binary on `port` with `--database-url`, `--nats-url` and `extra`
    /// flags (e.g. `["--ack-wait", "500ms"]`), and waits until it is SERVING.
    pub async fn start(
        database_url: &str,
        nats_url: &str,
        port: u16,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let binary = binary("saman-projection")?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let child = tokio::process::Command::new(&binary)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--database-url")
            .arg(database_url)
            .arg("--nats-url")
            .arg(nats_url)
            // The web page on a port of its own: several processes run at once.
            .arg("--web-listen")
            .arg("127.0.0.1:0")
            .args(metrics_off_unless_set(extra))
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("Failed to start {}", binary.display()))?;
        let mut process = ProjectionProcess { addr, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = process.child.try_wait()? {
                bail!("saman-projection exited while starting: {status}");
            }
            if projection_serving(addr).await {
                return Ok(process);
            }
            if Instant::now() > deadline {
                process.kill().await.ok();
                bail!("saman-projection at {addr} is not SERVING after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn client(&self) -> anyhow::Result<ProjectionClient<Channel>> {
        connect_projection(self.addr).await
    }

    pub async fn admin(&self) -> anyhow::Result<ProjectionAdminClient<Channel>> {
        connect_projection_admin(self.addr).await
    }

    /// SIGKILL: no shutdown, no flush, no ack.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// Sends `signal` (e.g. "STOP", "CONT", "TERM") to the process.
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let pid = self.child.id().context("saman-projection already exited")?;
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()?;
        anyhow::ensure!(sent.success(), "kill -{signal} {pid} failed");
        Ok(())
    }

    /// SIGTERM, then waits (at most `timeout`) for the process to exit.
    pub async fn terminate(
        &mut self,
        timeout: Duration,
    ) -> anyhow::Result<std::process::ExitStatus> {
        self.signal("TERM")?;
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("projection did not exit within {timeout:?} of SIGTERM"))?
            .context("waiting for the projection")
    }
}

pub async fn connect_projection(addr: SocketAddr) -> anyhow::Result<ProjectionClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await
        .with_context(|| format!("Failed to connect to the projection at {addr}"))?;
    Ok(ProjectionClient::new(channel))
}

pub async fn connect_projection_admin(
    addr: SocketAddr,
) -> anyhow::Result<ProjectionAdminClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await
        .with_context(|| format!("Failed to connect to the projection at {addr}"))?;
    Ok(ProjectionAdminClient::new(channel))
}

/// Whether the projection at `addr` answers its health check with SERVING.
async fn projection_serving(addr: SocketAddr) -> bool {
    let Ok(endpoint) = Channel::from_shared(format!("http://{addr}")) else {
        return false;
    };
    let Ok(channel) = endpoint.connect().await else {
        return false;
    };
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: PROJECTION_SERVICE.into(),
        })
        .await
        .map(|r| r.into_inner().status);
    matches!(status, Ok(s) if s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
}

/// The last stream version of every stream the test wrote to, from the intake's
/// replies: a `Read` carrying them all sees every write (read your own writes),
/// whatever order JetStream got the streams' events in.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    versions: std::collections::BTreeMap<String, u64>,
    /// Events in reply order: (stream id, event id).
    pub events: Vec<(String, String)>,
}

impl Writes {
    pub fn record(&mut self, reply: &pb::SubmissionReply) {
        let version = self.versions.entry(reply.stream_id.clone()).or_insert(0);
        *version = (*version).max(reply.stream_version);
        for event in &reply.events {
            self.events
                .push((reply.stream_id.clone(), event.event_id.clone()));
        }
    }

    pub fn after(&self) -> Vec<query::StreamVersion> {
        self.versions
            .iter()
            .map(|(stream_id, version)| query::StreamVersion {
                stream_id: stream_id.clone(),
                version: *version,
            })
            .collect()
    }

    /// A `Read` as of `as_of` that waits (up to 30 s) for every recorded write.
    pub fn read(&self, as_of: &str) -> Option<query::Read> {
        Some(query::Read {
            as_of: as_of.into(),
            min_position: 0,
            after: self.after(),
            wait_ms: 30_000,
        })
    }

    /// How many events the recorded writes appended.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }
}

/// A `Read` as of `as_of` with no wait.
pub fn read_as_of(as_of: &str) -> Option<query::Read> {
    Some(query::Read {
        as_of: as_of.into(),
        ..Default::default()
    })
}

/// The last sequence of the events stream (0 when it does not exist yet).
pub async fn stream_head(nats_url: &str) -> anyhow::Result<u64> {
    let client = async_nats::connect(nats_url).await?;
    let js = jetstream::new(client);
    let Ok(mut stream) = js.get_stream(STREAM).await else {
        return Ok(0);
    };
    Ok(stream.info().await?.state.last_sequence)
}

/// Waits (at most `timeout`) until the stream holds at least `events` messages and
/// the projection has applied up to its head (lag 0, no rebuild running); returns
/// the status.
pub async fn wait_caught_up(
    admin: &mut ProjectionAdminClient<Channel>,
    events: u64,
    timeout: Duration,
) -> anyhow::Result<query::ProjectionStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        let status = admin
            .get_status(query::GetStatusRequest {})
            .await
            .map(|r| r.into_inner());
        if let Ok(status) = &status
            && status.head >= events
            && status.lag == 0
            && status.position == status.head
            && status.rebuild_position.is_none()
        {
            return Ok(*status);
        }
        if Instant::now() > deadline {
            bail!(
                "the projection has not caught up with {events} events within {timeout:?}: {status:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most `timeout`) until the durable consumer `consumer` has delivered
/// every message and had each acknowledged (nothing pending, nothing awaiting an
/// ack): whatever the projection behind it will ever apply, it has applied.
pub async fn wait_consumer_drained(
    nats_url: &str,
    consumer: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let js = jetstream::new(async_nats::connect(nats_url).await?);
    let mut consumer: jetstream::consumer::PullConsumer = js
        .get_stream(STREAM)
        .await?
        .get_consumer(consumer)
        .await
        .map_err(|e| anyhow::anyhow!("the consumer {consumer}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        let info = consumer.info().await?;
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the consumer {} still has {} messages pending and {} awaiting an ack after {timeout:?}",
                info.name,
                info.num_pending,
                info.num_ack_pending
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every entry of a zone's timeline, walking the pages of `page_size`.
pub async fn whole_timeline(
    client: &mut ProjectionClient<Channel>,
    read: Option<query::Read>,
    zone: &str,
    page_size: u32,
) -> anyhow::Result<(Vec<query::TimelineEntry>, usize)> {
    let mut entries = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .get_zone_timeline(query::GetZoneTimelineRequest {
                read: read.clone(),
                zone: zone.into(),
                page_size,
                page_token: token.clone(),
            })
            .await?
            .into_inner();
        pages += 1;
        anyhow::ensure!(
            page.entries.len() <= page_size as usize,
            "a page of {} entries for page_size {page_size}",
            page.entries.len()
        );
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            return Ok((entries, pages));
        }
        anyhow::ensure!(
            page.next_page_token != token,
            "the timeline of {zone} returned the same page token twice"
        );
        anyhow::ensure!(pages < 100_000, "the timeline of {zone} never ends");
        token = page.next_page_token;
    }
}

/// Everything the query API answers as of one day, with the `Reflects` headers
/// removed (they name positions, which differ between the instances compared).
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    pub as_of: String,
    pub zones: query::ListZonesReply,
    pub progress: Vec<query::ZoneProgress>,
    pub summary: query::ProgrammeSummary,
    pub compliance: query::Compliance,
    pub cooperation: query::Cooperation,
    pub timelines: Vec<(String, Vec<query::TimelineEntry>)>,
}

impl Dump {
    /// Asks every query as of `as_of` (each with `read`'s wait): the zones side by
    /// side, every listed zone's progress and whole timeline, the summary,
    /// compliance and cooperation.
    pub async fn take(
        client: &mut ProjectionClient<Channel>,
        read: Option<query::Read>,
    ) -> anyhow::Result<Dump> {
        let as_of = read.as_ref().map(|r| r.as_of.clone()).unwrap_or_default();
        let mut zones = client
            .list_zones(query::ListZonesRequest { read: read.clone() })
            .await?
            .into_inner();
        zones.reflects = None;
        let mut progress = Vec::new();
        let mut timelines = Vec::new();
        for row in &zones.zones {
            let mut zone = client
                .get_zone_progress(query::GetZoneProgressRequest {
                    read: read.clone(),
                    zone: row.code.clone(),
                })
                .await?
                .into_inner();
            zone.reflects = None;
            progress.push(zone);
            let (timeline, _) = whole_timeline(client, read.clone(), &row.code, 500).await?;
            timelines.push((row.code.clone(), timeline));
        }
        let mut summary = client
            .get_programme_summary(query::GetProgrammeSummaryRequest { read: read.clone() })
            .await?
            .into_inner();
        summary.reflects = None;
        let mut compliance = client
            .get_compliance(query::GetComplianceRequest { read: read.clone() })
            .await?
            .into_inner();
        compliance.reflects = None;
        let mut cooperation = client
            .get_cooperation(query::GetCooperationRequest { read })
            .await?
            .into_inner();
        cooperation.reflects = None;
        Ok(Dump {
            as_of,
            zones,
            progress,
            summary,
            compliance,
            cooperation,
            timelines,
        })
    }

    /// Panics naming the first part that differs (the whole dumps are too long to
    /// read in a failure message).
    pub fn assert_same(&self, other: &Dump, what: &str) {
        let as_of = &self.as_of;
        assert_eq!(self.as_of, other.as_of, "{what}: dumps of different days");
        assert_eq!(self.zones, other.zones, "{what}: ListZones as of {as_of}");
        assert_eq!(
            self.progress.len(),
            other.progress.len(),
            "{what}: number of zones as of {as_of}"
        );
        for (a, b) in self.progress.iter().zip(&other.progress) {
            assert_eq!(a, b, "{what}: GetZoneProgress {} as of {as_of}", a.code);
        }
        assert_eq!(
            self.summary, other.summary,
            "{what}: GetProgrammeSummary as of {as_of}"
        );
        assert_eq!(
            self.compliance, other.compliance,
            "{what}: GetCompliance as of {as_of}"
        );
        assert_eq!(
            self.cooperation, other.cooperation,
            "{what}: GetCooperation as of {as_of}"
        );
        assert_eq!(
            self.timelines.len(),
            other.timelines.len(),
            "{what}: timelines as of {as_of}"
        );
        for ((zone, a), (_, b)) in self.timelines.iter().zip(&other.timelines) {
            assert_eq!(
                a.len(),
                b.len(),
                "{what}: timeline of {zone} as of {as_of}: length"
            );
            for (x, y) in a.iter().zip(b) {
                assert_eq!(x, y, "{what}: timeline of {zone} as of {as_of}");
            }
        }
        assert_eq!(self, other, "{what}: dumps as of {as_of}");
    }
}

// ---- the saman command line ------------------------------------------------------------

/// The whole system on private ports: a nats-server, intake and the projection (each
/// service with a fresh database of `backend`), for tests that drive it from outside,
/// as the `saman` command line does.
pub struct System {
    pub nats: NatsServer,
    pub intake: Intake,
    pub projection: Projection,
    pub intake_db: TestDb,
    pub projection_db: TestDb,
}

impl System {
    pub async fn start(backend: Backend) -> anyhow::Result<System> {
        let intake_db = TestDb::new(backend).await?;
        let projection_db = TestDb::new(backend).await?;
        let nats = NatsServer::start().await?;
        let intake = Intake::start(intake_db.url(), &nats.url()).await?;
        wait_serving(intake.addr).await?;
        let projection = Projection::start(projection_db.url(), &nats.url()).await?;
        Ok(System {
            nats,
            intake,
            projection,
            intake_db,
            projection_db,
        })
    }

    /// The `saman` binary pointed at this system through its environment variables,
    /// as a user's shell would.
    pub fn saman(&self) -> anyhow::Result<Saman> {
        Ok(Saman {
            binary: binary("saman")?,
            env: vec![
                (
                    "SAMAN_INTAKE".into(),
                    format!("http://{}", self.intake.addr),
                ),
                (
                    "SAMAN_PROJECTION".into(),
                    format!("http://{}", self.projection.addr),
                ),
                ("SAMAN_NATS_URL".into(), self.nats.url()),
            ],
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.projection.stop().await?;
        self.intake.stop().await?;
        Ok(())
    }
}

/// Runs the `saman` binary.
#[derive(Debug, Clone)]
pub struct Saman {
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
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

impl Saman {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(args)
            .env_remove("SAMAN_AS")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs `saman ARGS` to the end (at most 120 s).
    pub async fn run(&self, args: &[&str]) -> anyhow::Result<Ran> {
        let output = tokio::time::timeout(Duration::from_secs(120), self.command(args).output())
            .await
            .with_context(|| format!("`saman {}` still runs after 120 s", args.join(" ")))??;
        Ok(Ran {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Starts `saman ARGS` in the background (a command that follows, like `watch`).
    pub fn spawn(&self, args: &[&str]) -> anyhow::Result<tokio::process::Child> {
        Ok(self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?)
    }
}
