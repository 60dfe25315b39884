//! gRPC channels to the two services, with the failure to connect turned into the
//! "unreachable" exit code rather than a transport error dump.

use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::args::Global;
use crate::credentials::Credentials;
use crate::error::{CliError, Kind};

/// A channel to the projection whose calls carry the CLI's token.
pub type ProjectionChannel = InterceptedService<Channel, Authorize>;

/// Adds `authorization` to every call (nothing when the CLI has no credentials).
#[derive(Clone)]
pub struct Authorize(Option<AsciiMetadataValue>);

impl tonic::service::Interceptor for Authorize {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

async fn projection_channel(global: &Global) -> Result<ProjectionChannel, CliError> {
    let authorization = Credentials::of(global).await?.for_projection()?;
    let channel = channel("projection", &global.projection, global).await?;
    Ok(InterceptedService::new(channel, Authorize(authorization)))
}

pub async fn intake(global: &Global) -> Result<IntakeClient<Channel>, CliError> {
    Ok(IntakeClient::new(
        channel("intake", &global.intake, global).await?,
    ))
}

pub async fn projection(global: &Global) -> Result<ProjectionClient<ProjectionChannel>, CliError> {
    Ok(ProjectionClient::new(projection_channel(global).await?))
}

pub async fn admin(global: &Global) -> Result<ProjectionAdminClient<ProjectionChannel>, CliError> {
    Ok(ProjectionAdminClient::new(
        projection_channel(global).await?,
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
