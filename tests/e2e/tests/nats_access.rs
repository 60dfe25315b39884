//! Only intake may publish events: NATS itself refuses a message on the event subjects
//! from the projection's user, a subscriber's user or a client without credentials, and
//! the stream stays as intake left it; a plaintext client and a client trusting another
//! authority are refused. The server runs with TLS and the permissions the deployment
//! ships (deploy/nats/saman-permissions.conf).

use std::time::Duration;

use async_nats::ConnectOptions;
use saman_e2e::*;
use saman_runtime::flags::NatsFlags;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SUBJECT: &str = "saman.events.v1.zone.zone-01.NeedDeclared";

/// What connecting with `flags` fails with: the server (or the client, before it)
/// must refuse the connection, as `why` says.
async fn refused_with(flags: &NatsFlags, why: &str) -> String {
    saman_runtime::nats::connect(flags, ConnectOptions::new())
        .await
        .expect_err(why)
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_intake_may_publish_on_the_event_subjects() -> anyhow::Result<()> {
    let side = WriteSide::start(Backend::Sqlite, 1, 1).await?;
    let nats = &side.nats;
    // Intake published the registration as its own user.
    let head = stream_head(nats).await?;
    assert!(head > 0, "intake published the registration");

    for user in [NatsUser::Projection, NatsUser::Subscriber] {
        let (js, mut errors) =
            assert_publish_refused(&nats.flags(user), SUBJECT, user.name()).await?;
        // Nor may it delete the stream or its messages.
        let deleted = js.delete_stream(STREAM).await;
        assert!(deleted.is_err(), "{}: the stream was deleted", user.name());
        let error = server_error(&mut errors).await?;
        assert!(
            error.contains("$JS.API.STREAM.DELETE.SAMAN_EVENTS"),
            "{}: {error}",
            user.name()
        );
    }

    // Without credentials (the server's URL and authority alone) the server does not
    // let the client in at all.
    let anonymous = NatsFlags {
        url: nats.url(),
        ca: nats.tls().map(TestTls::ca_file),
        ..NatsFlags::default()
    };
    let text = refused_with(&anonymous, "a client without credentials is refused").await;
    assert!(text.contains("authorization violation"), "{text}");
    assert!(
        text.contains("--nats-user"),
        "the message names the flags: {text}"
    );
    // A wrong password likewise.
    let dir = TestTls::generate("a place for a wrong password")?;
    let wrong = dir.dir().join("wrong.password");
    std::fs::write(&wrong, "not-the-password\n")?;
    let guessed = NatsFlags {
        password_file: Some(wrong),
        ..nats.flags(NatsUser::Intake)
    };
    let text = refused_with(&guessed, "a wrong password is refused").await;
    assert!(text.contains("authorization violation"), "{text}");

    assert_eq!(stream_head(nats).await?, head, "the stream is unchanged");

    // Intake still publishes.
    let mut intake = side.intake.client().await?;
    intake
        .declare_need(declare_need("zone-01", "m-001", "after the forgeries"))
        .await?;
    let messages = published(nats, head + 1, Duration::from_secs(20)).await?;
    assert_exactly_once_in_order(&messages);
    assert_eq!(stream_head(nats).await?, head + 1);
    side.intake.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_client_is_refused() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    // The NATS protocol in clear: the server wants TLS before anything else.
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", nats.port())).await?;
    let mut info = vec![0u8; 4096];
    let n = socket.read(&mut info).await?;
    let info = String::from_utf8_lossy(&info[..n]).into_owned();
    assert!(info.contains("\"tls_required\":true"), "{info}");
    socket
        .write_all(
            b"CONNECT {\"verbose\":false,\"user\":\"admin\"}\r\nPUB saman.events.v1.x 1\r\nx\r\n",
        )
        .await?;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        read.is_ok() && !answer.contains("+OK"),
        "the server closes a plaintext client: {read:?} {answer}"
    );
    assert!(
        nats.connect(NatsUser::Admin)
            .await
            .is_ok_and(|c| c.server_info().tls_required),
        "over TLS the same server answers"
    );
    // A client asked to run without TLS still fails: the server requires it.
    let flags = NatsFlags {
        insecure_plaintext: true,
        ca: None,
        ..nats.flags(NatsUser::Intake)
    };
    let text = refused_with(&flags, "no plaintext connection to a TLS server").await;
    assert!(text.contains("TLS"), "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_another_authority_is_told_so() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let other = TestTls::generate("another authority")?;
    let flags = NatsFlags {
        ca: Some(other.ca_file()),
        ..nats.flags(NatsUser::Subscriber)
    };
    let text = refused_with(&flags, "a certificate from another authority is refused").await;
    assert!(text.contains("TLS error"), "{text}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    assert!(
        text.contains("--nats-ca"),
        "the message names the flag: {text}"
    );

    // `saman events` says the same.
    let saman = Saman::with_env(env_with(
        nats.env(NatsUser::Subscriber),
        &["SAMAN_NATS_CA"],
        &other.ca_file().display().to_string(),
    ))?;
    // Exit code 7: the server cannot be reached (as it can be trusted).
    let ran = saman.run(&["events", "--limit", "1"]).await?.exited(7)?;
    assert!(ran.stderr.contains("TLS error"), "{}", ran.stderr);
    assert!(ran.stderr.contains("--nats-ca"), "{}", ran.stderr);
    Ok(())
}
