//! Starting the projection: in-process on a port of its own ([`Projection`]), or the
//! real binary as a child process ([`ProjectionProcess`]); its clients, and what the
//! tests ask it: reads that wait for their writes ([`Writes`]), catching up, whole
//! timelines and a [`Dump`] of every query.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::FutureExt;
use saman_harness::{NatsServer, NatsUser};
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;

use crate::process::{Binary, Service, wait_ready};
use crate::requests::Submit;
use crate::{Channel, InProcess, channel, serving};

/// The projection's settings (flags of the `saman-projection` binary).
pub use saman_projection::config::Config as ProjectionConfig;

/// The gRPC service whose health says whether the projection serves.
pub const PROJECTION_SERVICE: &str = "saman.projection.v1.Projection";

/// How long a projection may take to say SERVING.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The projection running inside the test process, on 127.0.0.1 and a port of its own.
pub struct Projection {
    pub addr: SocketAddr,
    running: InProcess,
}

impl Projection {
    /// Read models in `database_url`, events from `nats` (as its `projection` user), the
    /// default consumer name.
    pub async fn start(database_url: &str, nats: &NatsServer) -> anyhow::Result<Projection> {
        Self::start_with(projection_config(database_url, nats)).await
    }

    /// Starts with `config` (its `listen` is replaced by a port of its own) and waits
    /// until it is SERVING; it trusts the test process's issuer unless `config` names
    /// one of its own, and the test process's event signing key unless `config` says
    /// which events to believe, and serves the test authority's certificate unless
    /// `config` sets its own TLS (or plaintext).
    pub async fn start_with(mut config: ProjectionConfig) -> anyhow::Result<Projection> {
        crate::test_service_defaults!(config);
        let keys = &mut config.event_keys;
        if keys.event_keys.is_none() && !keys.insecure_unverified_events {
            keys.event_keys = Some(crate::event_keys().jwks_file());
        }
        let (addr, mut running) = InProcess::spawn(|addr, listener, stop| {
            config.listen = addr;
            saman_projection::server::run(config, listener, stop)
        })
        .await?;
        let task = &mut running.task;
        let gone = || task.now_or_never().map(|ended| format!("{ended:?}"));
        wait_ready(
            &format!("the projection at {addr}"),
            START_TIMEOUT,
            || serving(addr, PROJECTION_SERVICE),
            gone,
        )
        .await?;
        Ok(Projection { addr, running })
    }

    /// `zone`'s progress as `read` says (the day, the writes to wait for).
    pub async fn zone_progress(
        &self,
        zone: &str,
        read: Option<query::Read>,
    ) -> anyhow::Result<query::ZoneProgress> {
        let request = query::GetZoneProgressRequest {
            read,
            zone: zone.into(),
        };
        Ok(self
            .client()
            .await?
            .get_zone_progress(request)
            .await?
            .into_inner())
    }

    pub async fn client(&self) -> anyhow::Result<ProjectionClient<Channel>> {
        connect_projection(self.addr).await
    }

    pub async fn admin(&self) -> anyhow::Result<ProjectionAdminClient<Channel>> {
        connect_projection_admin(self.addr).await
    }

    /// Graceful shutdown, as on SIGTERM.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.running.stop("projection").await
    }
}

/// The real `saman-projection` binary as a child process (`start_with`, `kill`, `signal`
/// and `terminate` are [`Service`]'s), ready once it is SERVING.
pub type ProjectionProcess = Service<ProjectionBinary>;

/// The `saman-projection` binary (see [`ProjectionProcess`]).
pub enum ProjectionBinary {}

impl Binary for ProjectionBinary {
    const NAME: &'static str = "saman-projection";
    // The web page on a port of its own: several processes run at once.
    const FLAGS: &'static [&'static str] = &["--web-listen", "127.0.0.1:0"];
    fn event_key_args() -> Vec<String> {
        crate::event_keys().projection_args()
    }
    const NATS_USER: NatsUser = NatsUser::Projection;
    async fn ready(addr: SocketAddr) -> bool {
        serving(addr, PROJECTION_SERVICE).await
    }
    type Client = ProjectionClient<Channel>;
    async fn connect(addr: SocketAddr) -> anyhow::Result<Self::Client> {
        connect_projection(addr).await
    }
}

impl ProjectionProcess {
    pub async fn admin(&self) -> anyhow::Result<ProjectionAdminClient<Channel>> {
        connect_projection_admin(self.addr).await
    }
}

/// The projection's defaults with the read models in `database_url` and `nats` (as its
/// `projection` user: TLS and the user's password).
pub fn projection_config(database_url: &str, nats: &NatsServer) -> ProjectionConfig {
    let mut config = ProjectionConfig::new(database_url, nats.url());
    config.nats = nats.flags(NatsUser::Projection);
    config
}

async fn projection_channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    channel(addr)
        .await
        .with_context(|| format!("Failed to connect to the projection at {addr}"))
}

pub async fn connect_projection(addr: SocketAddr) -> anyhow::Result<ProjectionClient<Channel>> {
    Ok(ProjectionClient::new(projection_channel(addr).await?))
}

pub async fn connect_projection_admin(
    addr: SocketAddr,
) -> anyhow::Result<ProjectionAdminClient<Channel>> {
    Ok(ProjectionAdminClient::new(projection_channel(addr).await?))
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
    /// Submits `request` and records its reply.
    pub async fn submit(
        &mut self,
        client: &mut IntakeClient<Channel>,
        request: impl Submit,
    ) -> anyhow::Result<pb::SubmissionReply> {
        let reply = request.submit(client).await?;
        self.record(&reply);
        Ok(reply)
    }

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

/// A projection query that names nothing but the day to read as of (the programme's
/// summary, the zones side by side, compliance, cooperation): one impl per query, so
/// that a test asks any of them the same way (`Q::reading(read).ask(&mut client)`).
pub trait AsOfQuery: Sized {
    type Reply;

    /// The query, reading as `read` says.
    fn reading(read: Option<query::Read>) -> Self;

    /// Calls the query's RPC: the projection's reply, or the status it answered with.
    fn ask(
        self,
        client: &mut ProjectionClient<Channel>,
    ) -> impl Future<Output = Result<Self::Reply, tonic::Status>> + Send;
}

/// `Request => rpc_method -> Reply` for every query that reads as of a day alone.
macro_rules! as_of_queries {
    ($($request:ident => $method:ident -> $reply:ident,)*) => {
        $(
            impl AsOfQuery for query::$request {
                type Reply = query::$reply;

                fn reading(read: Option<query::Read>) -> Self {
                    Self { read }
                }

                async fn ask(
                    self,
                    client: &mut ProjectionClient<Channel>,
                ) -> Result<query::$reply, tonic::Status> {
                    Ok(client.$method(self).await?.into_inner())
                }
            }
        )*
    };
}

as_of_queries! {
    GetProgrammeSummaryRequest => get_programme_summary -> ProgrammeSummary,
    ListZonesRequest => list_zones -> ListZonesReply,
    GetComplianceRequest => get_compliance -> Compliance,
    GetCooperationRequest => get_cooperation -> Cooperation,
    ListOverdueProjectsRequest => list_overdue_projects -> ListOverdueProjectsReply,
    ListOpenReferralsRequest => list_open_referrals -> ListOpenReferralsReply,
    GetDecisionTimesRequest => get_decision_times -> DecisionTimes,
    GetSupervisionRequest => get_supervision -> Supervision,
    GetActivitiesRequest => get_activities -> Activities,
    GetLateItemsRequest => get_late_items -> LateItems,
    ListZoneBudgetsRequest => list_zone_budgets -> ListZoneBudgetsReply,
    GetNgoMembersRequest => get_ngo_members -> NgoMembersReply,
    GetCorrectionsRequest => get_corrections -> Corrections,
}

/// The answers of the whole-programme queries a `Dump` compares as text, by RPC.
async fn office_answers(
    client: &mut ProjectionClient<Channel>,
    read: Option<query::Read>,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    async fn one<Q: AsOfQuery>(
        client: &mut ProjectionClient<Channel>,
        read: Option<query::Read>,
    ) -> anyhow::Result<String>
    where
        Q::Reply: std::fmt::Debug + Reflected,
    {
        let mut reply = Q::reading(read).ask(client).await?;
        reply.clear_reflects();
        Ok(format!("{reply:?}"))
    }
    Ok(vec![
        (
            "ListOpenReferrals",
            one::<query::ListOpenReferralsRequest>(client, read.clone()).await?,
        ),
        (
            "GetDecisionTimes",
            one::<query::GetDecisionTimesRequest>(client, read.clone()).await?,
        ),
        (
            "GetSupervision",
            one::<query::GetSupervisionRequest>(client, read.clone()).await?,
        ),
        (
            "GetActivities",
            one::<query::GetActivitiesRequest>(client, read.clone()).await?,
        ),
        (
            "GetLateItems",
            one::<query::GetLateItemsRequest>(client, read.clone()).await?,
        ),
        (
            "ListZoneBudgets",
            one::<query::ListZoneBudgetsRequest>(client, read.clone()).await?,
        ),
        (
            "GetNgoMembers",
            one::<query::GetNgoMembersRequest>(client, read.clone()).await?,
        ),
        (
            "GetCorrections",
            one::<query::GetCorrectionsRequest>(client, read).await?,
        ),
    ])
}

/// A reply that says what it reflects, which two builds of the same events differ in.
pub trait Reflected {
    fn clear_reflects(&mut self);
}

macro_rules! reflected {
    ($($reply:ident),+) => {
        $(impl Reflected for query::$reply {
            fn clear_reflects(&mut self) {
                self.reflects = None;
            }
        })+
    };
}
reflected!(
    ListOpenReferralsReply,
    DecisionTimes,
    Supervision,
    Activities,
    LateItems,
    ListZoneBudgetsReply,
    NgoMembersReply,
    Corrections
);

/// A `Read` as of `as_of` with no wait.
pub fn read_as_of(as_of: &str) -> Option<query::Read> {
    Some(query::Read {
        as_of: as_of.into(),
        ..Default::default()
    })
}

/// The projection's status (`GetStatus`).
pub async fn status(
    admin: &mut ProjectionAdminClient<Channel>,
) -> anyhow::Result<query::ProjectionStatus> {
    Ok(admin
        .get_status(query::GetStatusRequest {})
        .await?
        .into_inner())
}

/// Starts a rebuild and waits (at most `timeout` for each step) until its generation is
/// served and has caught up with the stream's `head`: the status then, of that generation.
pub async fn rebuild_caught_up(
    admin: &mut ProjectionAdminClient<Channel>,
    head: u64,
    timeout: Duration,
) -> anyhow::Result<query::ProjectionStatus> {
    let generation = admin
        .rebuild(query::RebuildRequest {})
        .await?
        .into_inner()
        .generation;
    wait_rebuilt(admin, generation, timeout, "the rebuild").await?;
    let rebuilt = wait_caught_up(admin, head, timeout).await?;
    anyhow::ensure!(
        rebuilt.generation == generation,
        "generation {generation} was rebuilt, {rebuilt:?} is served"
    );
    Ok(rebuilt)
}

/// Waits (at most `timeout`) until the rebuild into `generation` has finished and that
/// generation is served; `what` names the rebuild in the failure.
pub async fn wait_rebuilt(
    admin: &mut ProjectionAdminClient<Channel>,
    generation: u64,
    timeout: Duration,
    what: &str,
) -> anyhow::Result<query::ProjectionStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        let s = status(admin).await?;
        if s.generation == generation && s.rebuild_position.is_none() {
            return Ok(s);
        }
        anyhow::ensure!(Instant::now() < deadline, "{what}: {s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    pub overdue: query::ListOverdueProjectsReply,
    /// The office's other questions of the whole programme, each reply's Debug form
    /// (without what it reflects), by RPC.
    pub office: Vec<(&'static str, String)>,
    /// Every listed zone's progress at each month's end.
    pub series: Vec<query::ZoneSeries>,
    pub timelines: Vec<(String, Vec<query::TimelineEntry>)>,
}

impl Dump {
    /// Asks every query as of `as_of` (each with `read`'s wait): the zones side by
    /// side, every listed zone's progress and whole timeline, the summary,
    /// compliance, cooperation and the overdue projects.
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
            .get_cooperation(query::GetCooperationRequest { read: read.clone() })
            .await?
            .into_inner();
        cooperation.reflects = None;
        let mut overdue = query::ListOverdueProjectsRequest::reading(read.clone())
            .ask(client)
            .await?;
        overdue.reflects = None;
        let office = office_answers(client, read.clone()).await?;
        let mut series = Vec::new();
        for row in &zones.zones {
            let mut s = client
                .get_zone_series(query::GetZoneSeriesRequest {
                    read: read.clone(),
                    zone: row.code.clone(),
                })
                .await?
                .into_inner();
            s.reflects = None;
            series.push(s);
        }
        Ok(Dump {
            as_of,
            zones,
            progress,
            summary,
            compliance,
            cooperation,
            overdue,
            office,
            series,
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
            self.overdue, other.overdue,
            "{what}: ListOverdueProjects as of {as_of}"
        );
        for ((rpc, a), (_, b)) in self.office.iter().zip(&other.office) {
            assert_eq!(a, b, "{what}: {rpc} as of {as_of}");
        }
        assert_eq!(
            self.series, other.series,
            "{what}: GetZoneSeries as of {as_of}"
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
