//! The OpenID provider, over HTTPS: its discovery document, the device authorization
//! grant (RFC 8628) and the refresh of a token, through the `oauth2` crate. Its HTTP
//! goes through the workspace's reqwest client (rustls with ring, the given CA file or
//! the system's authorities), so the crate brings no TLS of its own.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AuthType, ClientId, DeviceAuthorizationUrl, DeviceCodeErrorResponseType, EndpointNotSet,
    EndpointSet, ErrorResponseType, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, StandardErrorResponse, TokenUrl,
};
use serde::Deserialize;

use crate::error::{CliError, Kind};

/// The endpoints of the provider's discovery document that a login needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub token_endpoint: String,
    pub device_authorization_endpoint: Option<String>,
}

/// HTTP for `oauth2`, through reqwest.
pub struct Http {
    client: reqwest::Client,
    issuer: String,
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = reqwest::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.client.execute(request.try_into()?).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let mut answer = http::Response::new(response.bytes().await?.to_vec());
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

impl Http {
    /// HTTPS to the provider at `issuer`, its certificate checked against `ca_file` (or
    /// the system's authorities).
    pub fn new(issuer: &str, ca_file: Option<&Path>) -> Result<Self, CliError> {
        saman_runtime::tls::install_crypto_provider();
        let client = saman_runtime::tls::http_client(ca_file).map_err(|e| {
            CliError::new(Kind::InvalidArgument, format!("--issuer-ca-file: {e:#}"))
        })?;
        Ok(Self {
            client,
            issuer: issuer.to_owned(),
        })
    }

    fn unreachable(&self, e: &(dyn std::error::Error + 'static)) -> CliError {
        CliError::new(
            Kind::Unreachable,
            format!(
                "cannot reach the identity provider at {}: {}",
                self.issuer,
                causes(e)
            ),
        )
    }

    /// The provider's discovery document, which must name the issuer it was read from
    /// (OpenID Connect Discovery, section 4.3).
    pub async fn discover(&self) -> Result<Discovery, CliError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(CliError::new(
                Kind::Unreachable,
                format!(
                    "{url} answered {}: is --issuer an OpenID provider?",
                    response.status()
                ),
            ));
        }
        let discovery: Discovery = response.json().await.map_err(|e| {
            CliError::new(
                Kind::Unexpected,
                format!("{url} is not an OpenID discovery document: {}", causes(&e)),
            )
        })?;
        if discovery.issuer != self.issuer {
            return Err(CliError::new(
                Kind::InvalidArgument,
                format!(
                    "--issuer: the provider names itself {:?}, not {:?}: pass its own URL",
                    discovery.issuer, self.issuer
                ),
            ));
        }
        Ok(discovery)
    }
}

type DeviceClient =
    BasicClient<EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet>;
type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn url_of<T>(
    what: &str,
    url: &str,
    new: fn(String) -> Result<T, url::ParseError>,
) -> Result<T, CliError> {
    new(url.to_owned()).map_err(|e| {
        CliError::new(
            Kind::Unexpected,
            format!("the provider's {what} {url:?} is not a URL: {e}"),
        )
    })
}

/// A public client (no secret: a command line cannot keep one) of the provider.
fn token_client(client_id: &str, token_endpoint: &str) -> Result<TokenClient, CliError> {
    Ok(BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(url_of("token endpoint", token_endpoint, TokenUrl::new)?))
}

/// The device flow of one login, started: what the user is to open and enter.
pub struct DeviceFlow {
    client: DeviceClient,
    pub details: StandardDeviceAuthorizationResponse,
}

impl DeviceFlow {
    /// Asks the provider for a device code and a user code (RFC 8628, 3.1).
    pub async fn start(
        http: &Http,
        discovery: &Discovery,
        client_id: &str,
        scopes: &[String],
    ) -> Result<Self, CliError> {
        let Some(endpoint) = &discovery.device_authorization_endpoint else {
            return Err(CliError::new(
                Kind::InvalidArgument,
                format!(
                    "--issuer: {} offers no device authorization endpoint: enable the OAuth 2.0 \
                     device authorization grant for the client (docs/security.md)",
                    discovery.issuer
                ),
            ));
        };
        let client = token_client(client_id, &discovery.token_endpoint)?
            .set_device_authorization_url(url_of(
                "device authorization endpoint",
                endpoint,
                DeviceAuthorizationUrl::new,
            )?);
        let details = client
            .exchange_device_code()
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .request_async(http)
            .await
            .map_err(|e| failed(http, e, |_, text| refused_login(text)))?;
        Ok(Self { client, details })
    }

    /// Polls the token endpoint until the user approved, denied, or the code expired
    /// (RFC 8628, 3.4 and 3.5: at the interval the provider gave, 5 s more after each
    /// `slow_down`, again after `authorization_pending`).
    pub async fn finish(&self, http: &Http) -> Result<BasicTokenResponse, CliError> {
        self.client
            .exchange_device_access_token(&self.details)
            .request_async(http, tokio::time::sleep, None)
            .await
            .map_err(|e| {
                failed(http, e, |kind, text| match kind {
                    DeviceCodeErrorResponseType::AccessDenied => CliError::new(
                        Kind::Refused,
                        format!("the sign-in was denied at the identity provider ({text})"),
                    ),
                    DeviceCodeErrorResponseType::ExpiredToken => CliError::new(
                        Kind::TimedOut,
                        format!(
                            "the code expired before the sign-in was approved ({text}): run \
                             `saman login` again"
                        ),
                    ),
                    _ => refused_login(text),
                })
            })
    }
}

/// A new access token for a refresh token (RFC 6749, 6).
pub async fn refresh(
    http: &Http,
    client_id: &str,
    token_endpoint: &str,
    refresh_token: &str,
) -> Result<BasicTokenResponse, CliError> {
    let token = RefreshToken::new(refresh_token.to_owned());
    token_client(client_id, token_endpoint)?
        .exchange_refresh_token(&token)
        .request_async(http)
        .await
        .map_err(|e: RequestTokenError<reqwest::Error, BasicErrorResponse>| {
            failed(http, e, |_, text| {
                CliError::new(
                    Kind::Unauthenticated,
                    format!(
                        "the login has expired and the identity provider would not renew it \
                         ({text}): run `saman login` again"
                    ),
                )
            })
        })
}

fn refused_login(text: String) -> CliError {
    CliError::new(
        Kind::Unauthenticated,
        format!("the identity provider refused the login: {text}"),
    )
}

/// A failed request to the provider as the CLI's error: what the provider answered
/// (`server`, with the error code and its description), or why there was no answer.
fn failed<T>(
    http: &Http,
    err: RequestTokenError<reqwest::Error, StandardErrorResponse<T>>,
    server: impl FnOnce(&T, String) -> CliError,
) -> CliError
where
    T: ErrorResponseType + std::fmt::Display + 'static,
{
    match err {
        RequestTokenError::ServerResponse(answer) => server(answer.error(), answer.to_string()),
        RequestTokenError::Request(e) => http.unreachable(&e),
        RequestTokenError::Parse(e, _) => CliError::new(
            Kind::Unexpected,
            format!("the identity provider's answer is not OAuth 2.0: {e}"),
        ),
        RequestTokenError::Other(text) => CliError::new(
            Kind::Unexpected,
            format!("the identity provider's answer is unusable: {text}"),
        ),
    }
}

/// An error and its causes on one line (reqwest's own message leaves out why).
fn causes(mut e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    while let Some(source) = e.source() {
        text.push_str(": ");
        text.push_str(&source.to_string());
        e = source;
    }
    text
}
