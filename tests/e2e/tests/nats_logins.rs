//! The NATS logins other than a password, against a real nats-server over TLS: NKeys
//! (`--nats-nkey-file`; the server lists the users' public keys with the shipped
//! permissions) and `.creds` files (`--nats-creds-file`; the server in operator mode, the
//! users' JWTs carrying the shipped permissions). With each, intake (in-process, its
//! `NatsFlags`) and the projection (the binary, its flags) run and a submission reaches
//! the read models; `saman events` reads as the subscriber (its environment); the
//! projection's and the subscriber's users still may not publish events; and credentials
//! the server does not know are refused at connect with the setting to check.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::{ConnectErrorKind, ConnectOptions};
use saman_e2e::*;
use saman_proto::projection::v1 as query;

const SUBJECT: &str = "saman.events.v1.zone.zone-01.NeedDeclared";
const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_log_in_with_nkeys() -> anyhow::Result<()> {
    services_log_in_with(NatsLogin::NKey).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_log_in_with_creds_files() -> anyhow::Result<()> {
    services_log_in_with(NatsLogin::Creds).await
}

async fn services_log_in_with(login: NatsLogin) -> anyhow::Result<()> {
    let flag = match login {
        NatsLogin::NKey => "--nats-nkey-file",
        NatsLogin::Creds => "--nats-creds-file",
        NatsLogin::Password => unreachable!("tested in nats_access.rs"),
    };
    // Intake is SERVING once it has created the stream: it logged in as `intake`.
    let side = WriteSide::start_with_login(Backend::Sqlite, 2, 1, login).await?;
    let nats = &side.nats;
    assert_eq!(nats.login(), Some(login));
    assert!(
        nats.args(NatsUser::Projection).iter().any(|a| a == flag),
        "{:?}",
        nats.args(NatsUser::Projection)
    );
    let projection_db = TestDb::new(Backend::Sqlite).await?;
    let projection = ProjectionProcess::start_with(projection_db.url(), nats, free_port(), &[])
        .await
        .with_context(|| format!("the projection with {flag}"))?;

    // A submission goes through intake, onto the stream, into the read models.
    let reply = side
        .intake
        .client()
        .await?
        .declare_need(declare_need("zone-01", "m-001", "Clean water"))
        .await?
        .into_inner();
    let mut writes = Writes::default();
    writes.record(&reply);
    let progress = projection
        .client()
        .await?
        .get_zone_progress(query::GetZoneProgressRequest {
            read: writes.read("1397-01-31"),
            zone: "zone-01".into(),
        })
        .await?
        .into_inner();
    assert_eq!(progress.needs.map(|n| n.total), Some(1));
    assert_eq!(progress.unanswered_needs.len(), 1);
    assert_eq!(progress.unanswered_needs[0].need_id, reply.entity_id);
    let stored = stored_events(side.intake_db.url()).await?.len() as u64;
    let messages = published(nats, stored, TIMEOUT).await?;
    assert_exactly_once_in_order(&messages);
    let status = wait_caught_up(&mut projection.admin().await?, stored, TIMEOUT).await?;
    assert_eq!(
        status.parked, 0,
        "every event verified and applied: {status:?}"
    );

    // `saman events` as the subscriber, from its environment.
    let saman = Saman::with_env(nats.env(NatsUser::Subscriber))?;
    let events = saman
        .run(&["events", "--zone", "zone-01", "--json"])
        .await?
        .ok()?
        .json_lines()?;
    let types: Vec<_> = events
        .iter()
        .map(|e| e["envelope"]["event_type"].clone())
        .collect();
    assert_eq!(types, ["ZoneRegistered", "NeedDeclared"]);

    // The permissions hold with this login too: only intake publishes events.
    let head = stream_head(nats).await?;
    for user in [NatsUser::Projection, NatsUser::Subscriber] {
        let what = format!("{login:?} {}", user.name());
        assert_publish_refused(&nats.flags(user), SUBJECT, &what).await?;
    }
    assert_eq!(stream_head(nats).await?, head, "the stream is unchanged");

    // Credentials the server does not know: refused at connect, the setting named.
    let mut refused = vec![("a stranger", nats.stranger())];
    let dir = tempfile::tempdir()?;
    let intake = nats.flags(NatsUser::Intake);
    let forged = match login {
        // A seed off by its last character: its checksum no longer holds.
        NatsLogin::NKey => {
            let file = intake.nkey_file.clone().context("intake's seed file")?;
            let seed = std::fs::read_to_string(file)?;
            let last = if seed.trim_end().ends_with('A') {
                "B"
            } else {
                "A"
            };
            let other = format!("{}{last}\n", &seed.trim_end()[..seed.trim_end().len() - 1]);
            let path = dir.path().join("intake.nk");
            std::fs::write(&path, other)?;
            saman_runtime::flags::NatsFlags {
                nkey_file: Some(path),
                ..intake
            }
        }
        // intake's JWT with a seed not its own: the server's nonce is signed by
        // another key than the JWT names.
        _ => {
            let file = intake.creds_file.clone().context("intake's creds file")?;
            let mine = std::fs::read_to_string(file)?;
            let strangers = std::fs::read_to_string(
                nats.stranger()
                    .creds_file
                    .context("the stranger's creds file")?,
            )?;
            let path = dir.path().join("intake.creds");
            std::fs::write(&path, mine.replace(seed_of(&mine)?, seed_of(&strangers)?))?;
            saman_runtime::flags::NatsFlags {
                creds_file: Some(path),
                ..intake
            }
        }
    };
    let what = match login {
        NatsLogin::NKey => "intake's seed with its last character changed",
        _ => "intake's JWT with another user's seed",
    };
    refused.push((what, forged));
    for (who, flags) in &refused {
        let err = saman_runtime::nats::connect(flags, ConnectOptions::new())
            .await
            .expect_err("refused");
        let text = err.to_string();
        // The server refuses what it cannot verify; a seed that is no seed at all fails
        // before, when the client signs the server's nonce with it.
        assert!(
            matches!(
                err.connect_kind(),
                Some(ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication)
            ),
            "{login:?}, {who}: {text}"
        );
        assert!(
            !who.contains("stranger") || text.contains("authorization violation"),
            "{login:?}, {who}: the server says why: {text}"
        );
        assert!(
            text.contains(flag),
            "{login:?}, {who}: the message names {flag}: {text}"
        );
    }
    // `saman events` says so too, with the credentials exit code (9).
    let file = refused[0]
        .1
        .nkey_file
        .iter()
        .chain(&refused[0].1.creds_file);
    let file = file
        .last()
        .context("the stranger's file")?
        .display()
        .to_string();
    let stranger = Saman::with_env(env_with(
        nats.env(NatsUser::Subscriber),
        &["SAMAN_NATS_NKEY_FILE", "SAMAN_NATS_CREDS_FILE"],
        &file,
    ))?;
    let ran = stranger.run(&["events", "--limit", "1"]).await?.exited(9)?;
    assert!(ran.stderr.contains(flag), "{}", ran.stderr);

    side.intake.stop().await?;
    Ok(())
}

/// The NKey seed of a `.creds` file's text.
fn seed_of(creds: &str) -> anyhow::Result<&str> {
    creds
        .lines()
        .skip_while(|line| !line.contains("BEGIN USER NKEY SEED"))
        .nth(1)
        .context("a creds file without a seed")
}
