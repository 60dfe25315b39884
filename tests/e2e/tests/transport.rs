//! Encrypted transport as clients meet it: both services serve gRPC over TLS, the
//! projection its web page over HTTPS; a plaintext client, a client that trusts another
//! authority, or (with mutual TLS) a client without a certificate of the right
//! authority is refused; plaintext only with `--insecure-plaintext`, and no choice at
//! all stops the service at start with a message naming the flags.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use saman_e2e::*;
use saman_harness::TestTls;
use saman_runtime::flags::TlsFlags;
use saman_runtime::tls::CertificateFailure;
/// A client's TLS trusting a given authority (the toolkit's `grpc_client_tls` trusts
/// the test authority).
use saman_runtime::tls::grpc_client_tls as client_tls;
use tokio::io::AsyncBufReadExt as _;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Intake's health over a channel to `url` (TLS with `tls`), or why it failed:
/// connecting or the call, with the whole chain of causes.
async fn health(url: String, tls: Option<ClientTlsConfig>) -> anyhow::Result<i32> {
    let mut endpoint = Channel::from_shared(url)?;
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls)?;
    }
    let channel = endpoint.connect().await?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: INTAKE_SERVICE.into(),
        })
        .await?;
    Ok(reply.into_inner().status)
}

fn certificate_failure(err: &anyhow::Error) -> Option<CertificateFailure> {
    CertificateFailure::of(err.as_ref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_is_served_over_tls_and_a_plaintext_call_is_refused_and_records_nothing()
-> anyhow::Result<()> {
    let (db, _nats, intake) = intake_alone(Backend::Sqlite).await?;

    let https = format!("https://{}", intake.addr);
    let served = health(https, Some(grpc_client_tls(false))).await?;
    assert_eq!(served, ServingStatus::Serving as i32);

    // The same call in plaintext: the server's handshake fails on it.
    let plaintext = health(format!("http://{}", intake.addr), None).await;
    assert!(
        plaintext.is_err(),
        "a plaintext call was answered: {plaintext:?}"
    );
    // A write in plaintext, with a valid token: not recorded.
    let channel = Channel::from_shared(format!("http://{}", intake.addr))?.connect_lazy();
    let mut plain = saman_proto::intake::v1::intake_client::IntakeClient::new(channel);
    let refused = plain
        .set_programme_dates(as_caller("office:office", programme_dates()))
        .await;
    assert!(
        refused.is_err(),
        "a plaintext write was answered: {refused:?}"
    );
    assert!(stored_events(db.url()).await?.is_empty());
    intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_another_authority_is_refused_and_the_command_line_says_why()
-> anyhow::Result<()> {
    let system = System::start(Backend::Sqlite).await?;
    let other = TestTls::generate("Some other CA")?;

    let err = health(
        format!("https://{}", system.intake.addr),
        Some(client_tls(Some(&other.ca_file()), None)?),
    )
    .await
    .expect_err("a server of another authority was trusted");
    assert!(
        matches!(
            certificate_failure(&err),
            Some(CertificateFailure::ServerNotTrusted(_))
        ),
        "{err:#}"
    );

    let mut saman = system.saman()?;
    saman.env.push((
        "SAMAN_CA_FILE".into(),
        other.ca_file().display().to_string(),
    ));
    let ran = saman.run("zones").await?.exited(7)?;
    assert!(
        ran.stderr
            .contains("the server's certificate is not trusted")
            && ran.stderr.contains("--ca-file"),
        "{}",
        ran.stderr
    );
    // The same command trusting the right authority is answered.
    system.saman()?.run("zones").await?.ok()?;
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_client_certificates_required_only_a_client_with_one_of_the_authority_is_served()
-> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let test = tls();
    let mut config = intake_config(db.url(), &nats);
    config.tls = TlsFlags::with_files(
        &test.server_cert(),
        &test.server_key(),
        Some(&test.ca_file()),
    );
    let intake = Intake::start_with(config).await?;
    let https = format!("https://{}", intake.addr);

    // The test client certificate: served (SERVING once the stream exists).
    let served = health(https.clone(), Some(grpc_client_tls(true))).await?;
    let answers = [
        ServingStatus::Serving as i32,
        ServingStatus::NotServing as i32,
    ];
    assert!(answers.contains(&served), "{served}");

    // No certificate: refused (the client may learn why, or only that the connection
    // closed: the server's alert and its close race the client's first request).
    let err = health(https.clone(), Some(grpc_client_tls(false)))
        .await
        .expect_err("a client without a certificate was served");
    assert!(
        matches!(
            certificate_failure(&err),
            None | Some(CertificateFailure::ClientRefused(_))
        ),
        "{err:#}"
    );

    // A certificate of another authority: refused.
    let other = TestTls::generate("Some other CA")?;
    let (cert, key) = (other.client_cert(), other.client_key());
    let foreign = client_tls(Some(&test.ca_file()), Some((&cert, &key)))?;
    health(https.clone(), Some(foreign))
        .await
        .expect_err("a client certificate of another authority was accepted");

    // The command line with and without --client-cert.
    let saman = Saman::with_env(vec![("SAMAN_INTAKE".into(), https)])?;
    let dates = "programme dates --needs-deadline 1397-01-31 --proposals-deadline 1397-01-31 \
                 --operational-start 1397-02-01 --goal-date 1397-12-29 --at 1396-12-20";
    let ran = saman.run(dates).await?.exited(7)?;
    assert!(ran.stderr.contains("--client-cert"), "{}", ran.stderr);
    assert!(stored_events(db.url()).await?.is_empty());
    let with_cert = format!(
        "{dates} --client-cert {} --client-key {}",
        test.client_cert().display(),
        test.client_key().display()
    );
    saman.run(with_cert.as_str()).await?.ok()?;
    assert!(!stored_events(db.url()).await?.is_empty());
    intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_page_is_served_over_https_and_plain_http_is_refused() -> anyhow::Result<()> {
    let web = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let system = System::start_with(Backend::Sqlite, |config| config.web_listen = web).await?;
    let page = web_get(web, "/healthz").await?;
    assert_eq!(page.status, 200, "{page:?}");
    let plain = http_get_response(web, "/healthz").await;
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");
    system.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_plaintext_serves_plaintext_and_says_so() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let port = free_port();
    let mut intake = tokio::process::Command::new(binary("saman-intake")?)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", db.url()])
        .args(nats.args(NatsUser::Intake))
        .args(event_keys().intake_args())
        .args(["--metrics-listen", "off", "--insecure-plaintext"])
        .args(issuer().service_args())
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        // The text logs go to stdout.
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    // The warning comes first, before it serves.
    let stdout = intake.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let warning = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if line.contains("WARN") {
                return anyhow::Ok(line);
            }
        }
        anyhow::bail!("intake exited without a warning")
    })
    .await??;
    assert!(
        warning.contains("plaintext") && warning.contains("--insecure-plaintext"),
        "{warning}"
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until_serving_plaintext(addr).await?;
    intake.kill().await?;
    Ok(())
}

/// Polls intake's health in plaintext until it says SERVING (at most 30 s).
async fn wait_until_serving_plaintext(addr: SocketAddr) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(status) = health(format!("http://{addr}"), None).await
            && status == ServingStatus::Serving as i32
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("intake at {addr} does not serve plaintext")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_certificates_or_insecure_plaintext_the_services_refuse_to_start()
-> anyhow::Result<()> {
    for service in ["saman-intake", "saman-projection"] {
        let output = tokio::process::Command::new(binary(service)?)
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
            .args(["--database-url", "sqlite::memory:"])
            .env_remove("SAMAN_TLS_CERT")
            .env_remove("SAMAN_TLS_KEY")
            .env_remove("SAMAN_INSECURE_PLAINTEXT")
            .stdin(Stdio::null())
            .output()
            .await?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{service} started: {stderr}");
        for flag in ["--tls-cert", "--tls-key", "--insecure-plaintext"] {
            assert!(
                stderr.contains(flag),
                "{service}: {flag} not named: {stderr}"
            );
        }
    }
    Ok(())
}
