//! The private nats-server starts, accepts TCP, stops and restarts on the same port.

use std::time::Duration;

use saman_harness::{NatsServer, NatsUser, free_port};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Connects to 127.0.0.1:`port` and reads the server's greeting.
async fn greeting(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .map_err(|_| std::io::Error::other("no greeting within 5 s"))??;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test]
async fn starts_stops_and_restarts_on_the_same_port() -> anyhow::Result<()> {
    let mut nats = NatsServer::start().await?;
    let port = nats.port();
    assert_ne!(port, 0);
    assert_eq!(nats.url(), format!("nats://127.0.0.1:{port}"));
    assert!(nats.is_running());

    let info = greeting(port).await?;
    assert!(info.starts_with("INFO "), "unexpected greeting: {info}");
    assert!(
        info.contains("\"jetstream\":true"),
        "JetStream is not enabled: {info}"
    );

    nats.stop().await?;
    assert!(!nats.is_running());
    let refused = TcpStream::connect(("127.0.0.1", port)).await;
    assert!(
        refused.is_err(),
        "port {port} still accepts connections after stop"
    );
    // Stopping twice is harmless.
    nats.stop().await?;

    // The store survives a stop.
    let store = nats.dir().join("store").join("jetstream");
    assert!(store.is_dir(), "{} is missing", store.display());

    nats.restart().await?;
    assert!(nats.is_running());
    assert_eq!(nats.port(), port);
    assert!(store.is_dir(), "{} is missing", store.display());
    let log = std::fs::read_to_string(nats.dir().join("nats-server.log"))?;
    assert_eq!(log.matches("Server is ready").count(), 2, "{log}");
    let info = greeting(port).await?;
    assert!(info.starts_with("INFO "), "unexpected greeting: {info}");

    // Restart while running also works.
    nats.restart().await?;
    assert!(nats.is_running());
    assert!(greeting(port).await?.starts_with("INFO "));
    Ok(())
}

#[tokio::test]
async fn two_servers_are_independent() -> anyhow::Result<()> {
    let a = NatsServer::start().await?;
    let b = NatsServer::start().await?;
    assert_ne!(a.port(), b.port());
    assert!(greeting(a.port()).await?.starts_with("INFO "));
    assert!(greeting(b.port()).await?.starts_with("INFO "));
    Ok(())
}

#[tokio::test]
async fn drop_kills_the_server() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let port = nats.port();
    drop(nats);
    // SIGKILL is asynchronous: allow the kernel a moment to close the listener.
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "port {port} still accepts connections after drop");
    Ok(())
}

#[tokio::test]
async fn clients_get_tls_and_a_user_of_their_own() -> anyhow::Result<()> {
    let nats = NatsServer::start().await?;
    let env = nats.env(NatsUser::Projection);
    let get = |name: &str| {
        env.iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.clone())
    };
    let tls = nats.tls().expect("TLS by default");
    assert_eq!(get("SAMAN_NATS_URL"), Some(nats.url()));
    assert_eq!(get("SAMAN_NATS_USER").as_deref(), Some("projection"));
    assert_eq!(
        get("SAMAN_NATS_CA"),
        Some(tls.ca_file().display().to_string())
    );
    assert_eq!(get("SAMAN_NATS_INSECURE_PLAINTEXT"), None);
    for user in NatsUser::ALL {
        let client = nats.connect(user).await?;
        assert!(client.server_info().tls_required, "{user:?}");
    }

    // As nats-server starts without a configuration: plaintext, anyone.
    let open = NatsServer::start_insecure().await?;
    assert!(open.tls().is_none());
    assert_eq!(
        open.args(NatsUser::Intake),
        ["--nats-url", &open.url(), "--nats-insecure-plaintext"]
    );
    let client = open.connect(NatsUser::Intake).await?;
    assert!(!client.server_info().tls_required);
    Ok(())
}

#[test]
fn free_ports_are_free() {
    let port = free_port();
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("free_port returned a bound port");
}
