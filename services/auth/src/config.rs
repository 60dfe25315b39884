//! The flags both services take for authentication, and the [`Gate`] they make.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use saman_runtime::parse_duration;

use crate::caller::ClaimNames;
use crate::gate::Gate;
use crate::keys::{KeyConfig, KeySource, Keys};
use crate::verify::{Expect, Verifier};

#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// The token issuer (`iss`), an OpenID provider's URL: its keys are read from
    /// `<issuer>/.well-known/openid-configuration` unless --auth-jwks-file is given.
    #[arg(long, env = "SAMAN_AUTH_ISSUER")]
    pub auth_issuer: Option<String>,
    /// The audience (`aud`) every token must name.
    #[arg(long, env = "SAMAN_AUTH_AUDIENCE", default_value = crate::dev::AUDIENCE)]
    pub auth_audience: String,
    /// Read the issuer's keys from this JWKS file instead of its discovery document
    /// (read again when a token names a key it does not hold).
    #[arg(long, env = "SAMAN_AUTH_JWKS_FILE")]
    pub auth_jwks_file: Option<PathBuf>,
    /// PEM file of the certificate authorities the issuer's HTTPS certificate is checked
    /// against (default: the system's).
    #[arg(long, env = "SAMAN_AUTH_CA_FILE")]
    pub auth_ca_file: Option<PathBuf>,
    /// How far a token's `exp` and `nbf` may be off, for clocks that disagree.
    #[arg(long, env = "SAMAN_AUTH_LEEWAY", default_value = "30s", value_parser = parse_duration)]
    pub auth_leeway: Duration,
    /// The least time between two fetches of the issuer's keys caused by a token that
    /// names an unknown key (a rotation is picked up after at most this long).
    #[arg(long, env = "SAMAN_AUTH_KEY_REFRESH", default_value = "10s", value_parser = parse_duration)]
    pub auth_key_refresh: Duration,
    /// Keys held longer than this are fetched again (removed keys stop working).
    #[arg(long, env = "SAMAN_AUTH_KEY_MAX_AGE", default_value = "15m", value_parser = parse_duration)]
    pub auth_key_max_age: Duration,
    #[command(flatten)]
    pub claims: ClaimNames,
    /// Admit every call without a token, the actor as the request claims it. For
    /// experiments on a closed machine only: a warning is logged at start.
    #[arg(long, env = "SAMAN_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

impl AuthArgs {
    /// The gate these flags describe, for a service whose ErrorInfo domain is `domain`;
    /// reads the keys once, so that a wrong file or issuer shows at start.
    pub async fn gate(&self, public_reads: bool, domain: &'static str) -> anyhow::Result<Gate> {
        if self.insecure_no_auth {
            tracing::warn!(
                "authentication is OFF (--insecure-no-auth): any caller may act as anyone"
            );
            return Ok(Gate::Open);
        }
        let Some(issuer) = self.auth_issuer.clone() else {
            bail!(
                "no token issuer: pass --auth-issuer (and --auth-jwks-file for keys from a file), \
                 or --insecure-no-auth to run without authentication"
            );
        };
        let source = match &self.auth_jwks_file {
            Some(path) => KeySource::File(path.clone()),
            None => KeySource::Discovery {
                issuer: issuer.clone(),
                http: saman_runtime::tls::http_client(self.auth_ca_file.as_deref())?,
            },
        };
        let keys = Keys::new(
            source,
            KeyConfig {
                min_refresh: self.auth_key_refresh,
                max_age: self.auth_key_max_age,
            },
        );
        match keys.load().await {
            Ok(n) => tracing::info!(issuer, keys = n, "token issuer's keys loaded"),
            Err(e) if self.auth_jwks_file.is_some() => {
                return Err(anyhow::anyhow!(e)).context("Failed to read the issuer's keys");
            }
            // The provider may come up after the service: calls are refused as
            // UNAVAILABLE until its keys can be fetched.
            Err(e) => tracing::warn!(issuer, error = %e, "token issuer's keys not loaded yet"),
        }
        let expect = Expect {
            issuer,
            audience: self.auth_audience.clone(),
            leeway: self.auth_leeway,
            claims: self.claims.clone(),
        };
        Ok(Gate::Tokens {
            verifier: Arc::new(Verifier::new(expect, keys)),
            public_reads,
            domain,
        })
    }
}
