//! gRPC channels to the two services, with the failure to connect turned into the
//! "unreachable" exit code rather than a transport error dump.

use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use tonic::transport::{Channel, Endpoint};

use crate::args::Global;
use crate::error::{CliError, Kind};

pub async fn intake(global: &Global) -> Result<IntakeClient<Channel>, CliError> {
    Ok(IntakeClient::new(
        channel("intake", &global.intake, global).await?,
    ))
}

pub async fn projection(global: &Global) -> Result<ProjectionClient<Channel>, CliError> {
    Ok(ProjectionClient::new(
        channel("projection", &global.projection, global).await?,
    ))
}

pub async fn admin(global: &Global) -> Result<ProjectionAdminClient<Channel>, CliError> {
    Ok(ProjectionAdminClient::new(
        channel("projection", &global.projection, global).await?,
    ))
}

async fn channel(service: &str, address: &str, global: &Global) -> Result<Channel, CliError> {
    // "127.0.0.1:50051" is what people type; tonic wants a scheme.
    let url = if address.contains("://") {
        address.to_string()
    } else {
        format!("http://{address}")
    };
    let endpoint = Endpoint::from_shared(url).map_err(|e| {
        CliError::new(
            Kind::InvalidArgument,
            format!("--{service}: '{address}' is not a URL: {e}"),
        )
    })?;
    let endpoint = endpoint.connect_timeout(global.connect_timeout);
    match tokio::time::timeout(global.connect_timeout, endpoint.connect()).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(e)) => Err(CliError::unreachable(service, address, source_chain(&e))),
        Err(_) => Err(CliError::unreachable(
            service,
            address,
            format!("no connection within {:?}", global.connect_timeout),
        )),
    }
}

/// "transport error: tcp connect error: Connection refused (os error 111)": the
/// causes in one line, since tonic's own Display stops at the outermost.
fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
