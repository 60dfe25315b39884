//! gRPC channels to the two services, over TLS for `https://` URLs (the default;
//! verified against --ca-file, with --client-cert for mutual TLS), with the failure to
//! connect turned into the "unreachable" exit code rather than a transport error dump,
//! and a certificate that fails to verify said as such.

use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use saman_runtime::tls::CertificateFailure;

use crate::args::Global;
use crate::credentials::Credentials;
use crate::error::{CliError, Kind, source_chain};

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
        format!("https://{address}")
    };
    let endpoint = Endpoint::from_shared(url.clone()).map_err(|e| {
        CliError::new(
            Kind::InvalidArgument,
            format!("--{service}: '{address}' is not a URL: {e}"),
        )
    })?;
    let endpoint = if url.starts_with("https://") {
        endpoint.tls_config(client_tls(global)?).map_err(|e| {
            CliError::new(
                Kind::InvalidArgument,
                format!("--{service}: TLS for '{address}': {}", source_chain(&e)),
            )
        })?
    } else {
        endpoint
    };
    let endpoint = endpoint.connect_timeout(global.connect_timeout);
    match tokio::time::timeout(global.connect_timeout, endpoint.connect()).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(e)) => Err(match CertificateFailure::of(&e) {
            Some(failure) => CliError::certificate(service, Some(address), &failure),
            None => CliError::unreachable(service, address, source_chain(&e)),
        }),
        Err(_) => Err(CliError::unreachable(
            service,
            address,
            format!("no connection within {:?}", global.connect_timeout),
        )),
    }
}

/// The TLS of `https://` channels: the servers verified against --ca-file (else the
/// system's authorities), and --client-cert/--client-key presented when given.
fn client_tls(global: &Global) -> Result<tonic::transport::ClientTlsConfig, CliError> {
    let identity = global
        .client_cert
        .as_deref()
        .zip(global.client_key.as_deref());
    saman_runtime::tls::grpc_client_tls(global.ca_file.as_deref(), identity).map_err(|e| {
        let flags = "--ca-file (SAMAN_CA_FILE), --client-cert, --client-key";
        CliError::new(Kind::InvalidArgument, format!("{e:#} ({flags})"))
    })
}
