//! The private nats-server starts, accepts TCP, stops and restarts on the same port; its
//! users log in with passwords, NKeys or `.creds` files, and JetStream works for them.

use std::time::Duration;

use saman_harness::{NatsLogin, NatsServer, NatsUser, free_port};
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

#[tokio::test]
async fn users_log_in_with_each_kind_of_credentials() -> anyhow::Result<()> {
    for login in NatsLogin::ALL {
        let mut nats = NatsServer::start_with_login(login).await?;
        assert_eq!(nats.login(), Some(login));
        let args = nats.args(NatsUser::Intake);
        let (flag, file) = match login {
            NatsLogin::Password => ("--nats-password-file", ".password"),
            NatsLogin::NKey => ("--nats-nkey-file", ".nk"),
            NatsLogin::Creds => ("--nats-creds-file", ".creds"),
        };
        let at = args.iter().position(|a| a == flag).expect(flag);
        assert!(args[at + 1].ends_with(&format!("intake{file}")), "{args:?}");
        assert_eq!(
            args.iter().any(|a| a == "--nats-user"),
            login == NatsLogin::Password,
            "{args:?}"
        );
        let env = nats.env(NatsUser::Projection);
        let variable = format!("SAMAN_{}", flag[2..].replace('-', "_").to_uppercase());
        assert!(env.iter().any(|(name, _)| *name == variable), "{env:?}");

        for user in NatsUser::ALL {
            let client = nats.connect(user).await?;
            assert!(client.server_info().tls_required, "{login:?} {user:?}");
        }
        let stranger = saman_runtime::nats::connect(&nats.stranger(), Default::default()).await;
        let err = stranger.expect_err("the server does not know the stranger");
        assert!(
            err.to_string().contains("authorization violation"),
            "{login:?}: {err}"
        );

        // JetStream answers (in operator mode: in Saman's account, whose JWT enables it),
        // and the same users log in again after a restart.
        nats.restart().await?;
        let js = async_nats::jetstream::new(nats.connect(NatsUser::Admin).await?);
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "HARNESS".into(),
            subjects: vec!["harness.>".into()],
            ..Default::default()
        })
        .await?;
        let ack = js.publish("harness.one", "one".into()).await?.await?;
        assert_eq!(ack.sequence, 1, "{login:?}");
    }
    Ok(())
}

#[test]
fn free_ports_are_free() {
    let port = free_port();
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("free_port returned a bound port");
}
