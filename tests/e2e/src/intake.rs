//! Starting intake: in-process on a port of its own ([`Intake`]), or the real binary as
//! a child process ([`IntakeProcess`]); gRPC clients and its health.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use saman_harness::{NatsServer, NatsUser};
use saman_intake::config::Config;
use saman_intake::store::EventStore;
use saman_proto::intake::v1::intake_client::IntakeClient;

use crate::process::{Binary, Service, wait_ready, wait_until_listening};
use crate::{Channel, InProcess, channel, serving};

/// The gRPC service whose health says whether intake serves.
pub const INTAKE_SERVICE: &str = "saman.intake.v1.Intake";

/// Intake running inside the test process, on 127.0.0.1 and a port of its own.
pub struct Intake {
    pub addr: SocketAddr,
    database_url: String,
    running: InProcess,
}

impl Intake {
    /// Intake on `database_url`, connected to `nats` as its `intake` user.
    pub async fn start(database_url: &str, nats: &NatsServer) -> anyhow::Result<Intake> {
        Self::start_with(config(database_url, nats)).await
    }

    /// Intake on `database_url` and `nats` trusting the issuer `auth` names (rather than
    /// the test process's), once its gRPC serves.
    pub async fn start_trusting(
        database_url: &str,
        nats: &NatsServer,
        auth: saman_auth::AuthArgs,
    ) -> anyhow::Result<Intake> {
        let mut config = config(database_url, nats);
        config.auth = auth;
        let intake = Self::start_with(config).await?;
        wait_serving(intake.addr).await?;
        Ok(intake)
    }

    /// Starts with `config`; unless it names an issuer of its own, intake trusts the
    /// test process's ([`crate::issuer`]), and unless it says how to sign events, it
    /// signs them with the test process's key ([`crate::event_keys`]). The tests replay
    /// the programme year 1397 (2018 dates), so intake runs as a deployment that replays
    /// a past year does: trusting claimed times (`--trust-claimed-time`, recorded in
    /// every event it accepts that way). [`Intake::start_judging_receipt`] starts it
    /// without.
    pub async fn start_with(mut config: Config) -> anyhow::Result<Intake> {
        config.trust_claimed_time = true;
        Self::start_judging_receipt(config).await
    }

    /// Like [`Intake::start_with`], but trusting claimed times only as `config` says
    /// (by default: within `--occurred-at-tolerance` of the receipt, or attested), as a
    /// deployment that records the present does.
    pub async fn start_judging_receipt(mut config: Config) -> anyhow::Result<Intake> {
        crate::test_service_defaults!(config);
        let signing = &mut config.signing;
        if signing.event_signing_key.is_none() && !signing.insecure_unsigned_events {
            signing.event_signing_key = Some(crate::event_keys().signing_key_file());
        }
        let database_url = config.database_url.clone();
        let (addr, running) =
            InProcess::spawn(|_, listener, stop| saman_intake::server::run(config, listener, stop))
                .await?;
        let intake = Intake {
            addr,
            database_url,
            running,
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
        self.running.stop("intake").await?;
        let store = EventStore::open(&self.database_url, 2).await?;
        saman_intake::writer::fold_history(&store)
            .await
            .context("intake could not start again on what it stored")?;
        store.close().await;
        Ok(())
    }
}

/// The real `saman-intake` binary as a child process (`start_with`, `kill`, `signal` and
/// `terminate` are [`Service`]'s), ready once it listens.
pub type IntakeProcess = Service<IntakeBinary>;

/// The `saman-intake` binary (see [`IntakeProcess`]).
pub enum IntakeBinary {}

impl Binary for IntakeBinary {
    const NAME: &'static str = "saman-intake";
    /// The tests replay 1397: the binary too trusts claimed times.
    const FLAGS: &'static [&'static str] = &["--trust-claimed-time"];
    fn event_key_args() -> Vec<String> {
        crate::event_keys().intake_args()
    }
    const NATS_USER: NatsUser = NatsUser::Intake;
    async fn ready(addr: SocketAddr) -> bool {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    }
    type Client = IntakeClient<Channel>;
    async fn connect(addr: SocketAddr) -> anyhow::Result<Self::Client> {
        connect(addr).await
    }
}

impl IntakeProcess {
    pub async fn start(database_url: &str, nats: &NatsServer, port: u16) -> anyhow::Result<Self> {
        Self::start_with(database_url, nats, port, &[]).await
    }
}

/// Intake's defaults with the event store `database_url` and `nats` (as its `intake`
/// user: TLS and the user's password).
pub fn config(database_url: &str, nats: &NatsServer) -> Config {
    let mut config = Config::new(database_url, nats.url());
    config.nats = nats.flags(NatsUser::Intake);
    config
}

pub async fn connect(addr: SocketAddr) -> anyhow::Result<IntakeClient<Channel>> {
    let channel = channel(addr)
        .await
        .with_context(|| format!("Failed to connect to intake at {addr}"))?;
    Ok(IntakeClient::new(channel))
}

/// Waits until intake's health check says SERVING (the stream exists).
pub async fn wait_serving(addr: SocketAddr) -> anyhow::Result<()> {
    let what = format!("intake at {addr}");
    wait_ready(
        &what,
        Duration::from_secs(20),
        || serving(addr, INTAKE_SERVICE),
        || None,
    )
    .await
}
