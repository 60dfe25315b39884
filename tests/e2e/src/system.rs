//! The whole system on private ports (a nats-server, intake and the projection), or its
//! write side.

use std::time::Duration;

use saman_proto::intake::v1 as pb;
use saman_proto::projection::v1 as query;

use crate::{
    Backend, Intake, NatsLogin, NatsServer, NatsUser, Projection, ProjectionConfig, Published,
    Saman, TestDb, assert_exactly_once_in_order, declare_need, projection_config, published,
    register_programme, stored_events, wait_caught_up, wait_serving,
};

/// The write side on private ports: a nats-server and intake (in-process) on a fresh
/// database, with the programme registered ([`register_programme`]): for tests that
/// start projections of their own.
pub struct WriteSide {
    pub nats: NatsServer,
    pub intake_db: TestDb,
    pub intake: Intake,
}

impl WriteSide {
    /// Intake on a fresh database of `backend`, once SERVING, with `zones` zones and
    /// `members` members of ngo-01 registered.
    pub async fn start(backend: Backend, zones: usize, members: usize) -> anyhow::Result<Self> {
        Self::start_with_login(backend, zones, members, NatsLogin::Password).await
    }

    /// Like [`WriteSide::start`], on a nats-server whose users log in as `login` says
    /// (intake with its NKey or `.creds` file; [`NatsServer::flags`] and
    /// [`NatsServer::args`] give the other services theirs).
    pub async fn start_with_login(
        backend: Backend,
        zones: usize,
        members: usize,
        login: NatsLogin,
    ) -> anyhow::Result<Self> {
        let intake_db = TestDb::new(backend).await?;
        let nats = NatsServer::start_with_login(login).await?;
        let intake = Intake::start(intake_db.url(), &nats).await?;
        wait_serving(intake.addr).await?;
        register_programme(&mut intake.client().await?, zones, members).await?;
        Ok(WriteSide {
            nats,
            intake_db,
            intake,
        })
    }
}

/// Intake alone on a fresh database of `backend` and a nats-server of its own, once
/// SERVING, nothing registered: for tests of intake itself (its transport, its API).
pub async fn intake_alone(backend: Backend) -> anyhow::Result<(TestDb, NatsServer, Intake)> {
    let db = TestDb::new(backend).await?;
    let nats = NatsServer::start().await?;
    let intake = Intake::start(db.url(), &nats).await?;
    wait_serving(intake.addr).await?;
    Ok((db, nats, intake))
}

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
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`System::start`], with the projection's settings changed by `configure`
    /// first (e.g. its web page on a port of the test's).
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ProjectionConfig),
    ) -> anyhow::Result<System> {
        let intake_db = TestDb::new(backend).await?;
        let projection_db = TestDb::new(backend).await?;
        let nats = NatsServer::start().await?;
        let intake = Intake::start(intake_db.url(), &nats).await?;
        wait_serving(intake.addr).await?;
        let mut config = projection_config(projection_db.url(), &nats);
        configure(&mut config);
        let projection = Projection::start_with(config).await?;
        Ok(System {
            nats,
            intake,
            projection,
            intake_db,
            projection_db,
        })
    }

    /// [`System::start`], then [`register_programme`] with `zones` zones and `members`
    /// members of ngo-01.
    pub async fn start_registered(
        backend: Backend,
        zones: usize,
        members: usize,
    ) -> anyhow::Result<System> {
        let system = Self::start(backend).await?;
        register_programme(&mut system.intake.client().await?, zones, members).await?;
        Ok(system)
    }

    /// Registers the programme (2 zones, 1 NGO member), has m-001 declare a need
    /// `title` in zone-01, and reads zone-01's progress as of 1397-01-31 once it
    /// reflects the need (`after` its reply): the reply and the progress.
    pub async fn one_need(
        &self,
        title: &str,
    ) -> anyhow::Result<(pb::SubmissionReply, query::ZoneProgress)> {
        let mut client = self.intake.client().await?;
        register_programme(&mut client, 2, 1).await?;
        let reply = client
            .declare_need(declare_need("zone-01", "m-001", title))
            .await?
            .into_inner();
        let progress = self
            .projection
            .client()
            .await?
            .get_zone_progress(query::GetZoneProgressRequest {
                read: Some(query::Read {
                    as_of: "1397-01-31".into(),
                    after: vec![query::StreamVersion {
                        stream_id: reply.stream_id.clone(),
                        version: reply.stream_version,
                    }],
                    ..Default::default()
                }),
                zone: "zone-01".into(),
            })
            .await?
            .into_inner();
        Ok((reply, progress))
    }

    /// The `saman` binary pointed at this system through its environment variables,
    /// as a user's shell would (`saman events` as the NATS `subscriber` user).
    pub fn saman(&self) -> anyhow::Result<Saman> {
        let mut env = vec![
            (
                "SAMAN_INTAKE".into(),
                format!("https://{}", self.intake.addr),
            ),
            (
                "SAMAN_PROJECTION".into(),
                format!("https://{}", self.projection.addr),
            ),
        ];
        env.extend(self.nats.env(NatsUser::Subscriber));
        Saman::with_env(env)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.projection.stop().await?;
        self.intake.stop().await?;
        Ok(())
    }
}

/// Waits until everything intake stored in `intake_db` is on the stream of `nats`,
/// each event once and each stream in order, and `projection` has applied it all (at
/// most `timeout`): the messages and the projection's status.
pub async fn published_and_applied(
    (intake_db, nats): (&TestDb, &NatsServer),
    projection: &Projection,
    timeout: Duration,
) -> anyhow::Result<(Vec<Published>, query::ProjectionStatus)> {
    let stored = stored_events(intake_db.url()).await?.len() as u64;
    let messages = published(nats, stored, timeout).await?;
    assert_exactly_once_in_order(&messages);
    let status = wait_caught_up(&mut projection.admin().await?, stored, timeout).await?;
    Ok((messages, status))
}
