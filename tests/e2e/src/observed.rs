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
