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
use uuid::Uuid;

pub use saman_harness::{Backend, NatsServer, TestDb, free_port};

/// The JetStream stream intake publishes to.
pub const STREAM: &str = "SAMAN_EVENTS";

/// Intake running inside the test process, on 127.0.0.1 and a port of its own.
pub struct Intake {
    pub addr: SocketAddr,
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
        let task = tokio::spawn(saman_intake::server::run(
            config,
            listener,
            stop.clone().cancelled_owned(),
        ));
        let intake = Intake { addr, stop, task };
        wait_until_listening(addr).await?;
        Ok(intake)
    }

    pub async fn client(&self) -> anyhow::Result<IntakeClient<Channel>> {
        connect(self.addr).await
    }

    /// Graceful shutdown, as on SIGTERM.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("intake task panicked")?
    }
}

/// The real `saman-intake` binary as a child process.
pub struct IntakeProcess {
    pub addr: SocketAddr,
    child: tokio::process::Child,
}

impl IntakeProcess {
    pub async fn start(database_url: &str, nats_url: &str, port: u16) -> anyhow::Result<Self> {
        let binary = binary("saman-intake")?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let child = tokio::process::Command::new(&binary)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--database-url")
            .arg(database_url)
            .arg("--nats-url")
            .arg(nats_url)
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
            "{} does not exist: build it with `cargo build -p {name}` (scripts/test builds the whole workspace)",
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

/// Every message of the stream, in stream order, once at least `expected` are there
/// (waiting up to `timeout`).
pub async fn published(
    nats_url: &str,
    expected: u64,
    timeout: Duration,
) -> anyhow::Result<Vec<Published>> {
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
    let last = loop {
        let info = stream.info().await?;
        let count = info.state.messages;
        if count >= expected {
            break info.state.last_sequence;
        }
        if Instant::now() > deadline {
            bail!("the stream holds {count} messages after {timeout:?}, expected {expected}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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
