//! `saman login`, `saman login --status`, `saman logout`: a token from an OpenID
//! provider by the OAuth 2.0 device authorization grant (RFC 8628), kept in the user's
//! configuration directory ([`cache`]) and used by later calls that are given no
//! `--token` and no `--dev-key` ([`cached_token`]), renewed with its refresh token once
//! it is about to expire. [`provider`] speaks to the provider.

pub mod cache;
pub mod provider;

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use oauth2::TokenResponse as _;
use oauth2::basic::BasicTokenResponse;
use serde_json::{Value, json};

use crate::args::{Global, LoginArgs};
use crate::error::{CliError, Kind};
use cache::Login;
use provider::{DeviceFlow, Http};

/// A kept token that expires sooner than this is renewed before a call, so that it
/// does not expire on the way (the services allow a little leeway, not this much).
const RENEW_BEFORE: Duration = Duration::from_secs(60);

pub async fn login(args: LoginArgs, global: &Global) -> Result<(), CliError> {
    if args.status {
        return status(global);
    }
    let Some(issuer) = args.issuer else {
        return Err(CliError::new(
            Kind::Usage,
            "saman login needs --issuer URL (or SAMAN_LOGIN_ISSUER): the identity provider",
        ));
    };
    // Kept as an absolute path: renewals run from wherever the next call is made.
    let ca_file = args
        .issuer_ca_file
        .map(|path| std::fs::canonicalize(&path).unwrap_or(path));
    let http = Http::new(&issuer, ca_file.as_deref())?;
    let discovery = http.discover().await?;
    let flow = DeviceFlow::start(&http, &discovery, &args.client_id, &args.scope).await?;
    instructions(&flow, global.json);
    let token = flow.finish(&http).await?;
    let login = Login {
        issuer,
        client_id: args.client_id,
        token_endpoint: discovery.token_endpoint,
        ca_file,
        access_token: String::new(),
        refresh_token: None,
        expires_at: None,
    }
    .renewed(&token);
    let path = cache::path()?;
    cache::write(&path, &login)?;
    show(&login, &path, global.json, "logged in")
}

/// What the user is to open and enter, on stdout (a JSON line with `--json`).
fn instructions(flow: &DeviceFlow, json: bool) {
    let details = &flow.details;
    let uri = details.verification_uri().to_string();
    let complete = details
        .verification_uri_complete()
        .map(|c| c.secret().to_owned());
    let code = details.user_code().secret();
    let minutes = details.expires_in().as_secs().div_ceil(60);
    if json {
        crate::out!(
            "{}",
            json!({
                "verification_uri": uri,
                "verification_uri_complete": complete,
                "user_code": code,
                "expires_in": details.expires_in().as_secs(),
            })
        );
        return;
    }
    crate::out!("To sign in, open this page and enter the code {code}:");
    crate::out!("  {uri}");
    if let Some(complete) = complete {
        crate::out!("or open this one, which has the code in it:");
        crate::out!("  {complete}");
    }
    crate::out!("Waiting for the sign-in (the code expires in {minutes} min)...");
}

impl Login {
    /// This login with the tokens of a token response (a refresh token that the
    /// provider did not replace is kept).
    fn renewed(self, token: &BasicTokenResponse) -> Login {
        let expires_at = token
            .expires_in()
            .and_then(|d| SignedDuration::try_from(d).ok())
            .and_then(|d| Timestamp::now().checked_add(d).ok());
        Login {
            access_token: token.access_token().secret().clone(),
            refresh_token: token
                .refresh_token()
                .map(|r| r.secret().clone())
                .or(self.refresh_token),
            expires_at,
            ..self
        }
    }

    /// Whether the access token is good for a call now.
    fn fresh(&self) -> bool {
        let Some(expires_at) = self.expires_at else {
            // No expiry given: the service judges the token.
            return true;
        };
        let renew_before = SignedDuration::try_from(RENEW_BEFORE).expect("a small duration");
        Timestamp::now()
            .checked_add(renew_before)
            .is_ok_and(|soon| soon < expires_at)
    }
}

/// The token of the kept login for a call, renewed first when it is about to expire;
/// `None` when no login is kept.
pub async fn cached_token() -> Result<Option<String>, CliError> {
    // Without a home directory there is no kept login, and a call goes without a token.
    let Ok(path) = cache::path() else {
        return Ok(None);
    };
    let Some(login) = cache::read(&path)? else {
        return Ok(None);
    };
    if login.fresh() {
        return Ok(Some(login.access_token));
    }
    let Some(refresh_token) = &login.refresh_token else {
        return Err(CliError::new(
            Kind::Unauthenticated,
            format!(
                "the login at {} has expired (it cannot be renewed: the provider gave no \
                 refresh token): run `saman login` again",
                login.issuer
            ),
        ));
    };
    let http = Http::new(&login.issuer, login.ca_file.as_deref())?;
    let token = provider::refresh(
        &http,
        &login.client_id,
        &login.token_endpoint,
        refresh_token,
    )
    .await?;
    let login = login.clone().renewed(&token);
    cache::write(&path, &login)?;
    Ok(Some(login.access_token))
}

/// `saman login --status`: who the kept token says you are, and until when.
fn status(global: &Global) -> Result<(), CliError> {
    let path = cache::path()?;
    match cache::read(&path)? {
        Some(login) => show(&login, &path, global.json, "logged in"),
        None => Err(not_logged_in(&path)),
    }
}

fn not_logged_in(path: &Path) -> CliError {
    CliError::new(
        Kind::Unauthenticated,
        format!(
            "not logged in (no login kept at {}): run `saman login --issuer URL`",
            path.display()
        ),
    )
}

/// `saman logout`: forgets the kept token.
pub fn logout(global: &Global) -> Result<(), CliError> {
    let path = cache::path()?;
    let removed = cache::remove(&path)?;
    if global.json {
        crate::out!("{}", json!({ "logged_out": removed, "path": path }));
    } else if removed {
        crate::out!("logged out: removed {}", path.display());
    } else {
        crate::out!("not logged in: nothing kept at {}", path.display());
    }
    Ok(())
}

/// The login as people read it: who, where, until when.
fn show(login: &Login, path: &PathBuf, json: bool, what: &str) -> Result<(), CliError> {
    let claims = claims(&login.access_token);
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let subject = text("sub");
    let roles: Vec<String> = match claims.get("roles") {
        Some(Value::Array(roles)) => roles
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(roles)) => roles.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let expired = !login.fresh();
    if json {
        crate::out!(
            "{}",
            json!({
                "issuer": login.issuer,
                "subject": subject,
                "preferred_username": text("preferred_username"),
                "roles": roles,
                "expires_at": login.expires_at.map(|t| t.to_string()),
                "expired": expired,
                "renewable": login.refresh_token.is_some(),
                "path": path,
            })
        );
        return Ok(());
    }
    let mut who = subject.unwrap_or_else(|| "(the token names no subject)".into());
    if let Some(name) = text("preferred_username") {
        who.push_str(&format!(" ({name})"));
    }
    crate::out!("{what} at {} as {who}", login.issuer);
    if !roles.is_empty() {
        crate::out!("roles: {}", roles.join(", "));
    }
    let renewal = if login.refresh_token.is_some() {
        "; renewed with its refresh token when it expires"
    } else {
        "; then log in again"
    };
    match (login.expires_at, expired) {
        (Some(at), false) => crate::out!("the token is valid until {at}{renewal}"),
        (Some(at), true) => crate::out!("the token expires at {at}{renewal}"),
        (None, _) => crate::out!("the provider gave no expiry for the token"),
    }
    crate::out!("kept in {}", path.display());
    Ok(())
}

/// The claims of a JWT, read without checking its signature: only to show who the
/// token names (the services verify it).
fn claims(token: &str) -> serde_json::Map<String, Value> {
    use base64::Engine as _;
    token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(expires_in: Option<i64>) -> Login {
        Login {
            issuer: "https://id.example".into(),
            client_id: "saman-cli".into(),
            token_endpoint: "https://id.example/token".into(),
            ca_file: None,
            access_token: "x".into(),
            refresh_token: None,
            expires_at: expires_in.map(|s| Timestamp::now() + SignedDuration::from_secs(s)),
        }
    }

    #[test]
    fn a_token_about_to_expire_is_renewed_first() {
        assert!(login(Some(3600)).fresh());
        assert!(!login(Some(30)).fresh(), "expires within a minute");
        assert!(!login(Some(-10)).fresh(), "expired");
        assert!(login(None).fresh(), "no expiry given: left to the service");
    }

    #[test]
    fn a_jwt_shows_its_claims_anything_else_none() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"sub":"office-1","roles":["programme-office"]}"#);
        let claims = claims(&format!("e30.{payload}.sig"));
        assert_eq!(claims["sub"], "office-1");
        assert!(super::claims("opaque").is_empty());
    }
}
