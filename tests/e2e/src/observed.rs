//! NATS clients that hear what the server tells them: a refused publish is not an error
//! of the publish call, the server says it afterwards, as an event of the connection.

use std::time::Duration;

use async_nats::{ConnectOptions, Event};
use saman_runtime::flags::NatsFlags;
use tokio::sync::mpsc;

/// A client connected as `flags` says, and what the server tells it (errors such as
/// permission violations arrive asynchronously, as events).
pub async fn observed_client(
    flags: &NatsFlags,
) -> anyhow::Result<(async_nats::Client, mpsc::UnboundedReceiver<String>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let options = saman_runtime::nats::options(flags, ConnectOptions::new())
        .await?
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let Event::ServerError(err) = event {
                    let _ = tx.send(err.to_string());
                }
            }
        });
    let client = options.connect(flags.servers()).await?;
    Ok((client, rx))
}

/// The next server error the client is told about (at most 10 s).
pub async fn server_error(errors: &mut mpsc::UnboundedReceiver<String>) -> anyhow::Result<String> {
    tokio::time::timeout(Duration::from_secs(10), errors.recv())
        .await
        .map_err(|_| anyhow::anyhow!("no error from the server within 10 s"))?
        .ok_or_else(|| anyhow::anyhow!("the client's events ended"))
}

/// Publishes a forged message on `subject` as the user of `flags`, plainly and through
/// JetStream, and asserts that the server refuses both and says so (`what` names the
/// case in a failure). The JetStream context and what the server tells the client,
/// for further checks.
pub async fn assert_publish_refused(
    flags: &NatsFlags,
    subject: &str,
    what: &str,
) -> anyhow::Result<(
    async_nats::jetstream::Context,
    mpsc::UnboundedReceiver<String>,
)> {
    let (client, mut errors) = observed_client(flags).await?;
    // A plain publish: the server drops it and says why.
    client.publish(subject.to_owned(), "forged".into()).await?;
    client.flush().await?;
    let error = server_error(&mut errors).await?;
    assert!(
        error
            .to_lowercase()
            .contains("permissions violation for publish")
            && error.contains(subject),
        "{what}: {error}"
    );
    // Through JetStream: no ack ever comes, and the same refusal is told.
    let js = async_nats::jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(client);
    let ack = js.publish(subject.to_owned(), "forged".into()).await?.await;
    assert!(ack.is_err(), "{what}: JetStream acked {ack:?}");
    let error = server_error(&mut errors).await?;
    assert!(
        error.to_lowercase().contains("permissions violation"),
        "{what}: {error}"
    );
    Ok((js, errors))
}
