//! A real OpenID provider for tests: npm's `oidc-provider` (tests/oidc, installed by
//! `scripts/install-deps`), run by Node.js over HTTPS on 127.0.0.1 with a certificate of
//! a throwaway authority ([`OidcProvider::ca_file`]). It offers the device authorization
//! grant to the public client [`CLIENT_ID`] and issues JWT access tokens for the
//! audience `saman` with the claims of a fixed list of accounts ([`ACCOUNTS`]).
//!
//! [`User`] plays the person at the browser: opens the verification page, enters the
//! code, signs in and consents (or aborts) through the provider's own pages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::TestTls;

/// How long the provider may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The client the provider knows (public, device flow and refresh tokens).
pub const CLIENT_ID: &str = "saman-cli";

/// The provider's accounts (`sub`) and what their tokens say, as tests/oidc/provider.mjs
/// has them: (account, identity the services read from its claims).
pub const ACCOUNTS: [(&str, &str); 5] = [
    ("office-1", "office:rahimi"),
    ("supervisor-1", "supervisor:karimi"),
    ("member-1", "member:ngo-01/m-001"),
    ("officer-1", "officer:water/ahmadi"),
    ("operator-1", "operator:ops"),
];

/// How long the provider's tokens and device codes live.
#[derive(Debug, Clone, Copy)]
pub struct OidcOptions {
    pub access_token_ttl: Duration,
    pub device_code_ttl: Duration,
}

impl Default for OidcOptions {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(600),
            device_code_ttl: Duration::from_secs(600),
        }
    }
}

/// A running provider; stops when dropped.
pub struct OidcProvider {
    url: String,
    tls: TestTls,
    _node: Child,
}

/// The directory of the provider's program and its node_modules.
fn program_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../oidc");
    dir.canonicalize().unwrap_or(dir)
}

impl OidcProvider {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(OidcOptions::default()).await
    }

    /// Starts the provider; an error says how to install what is missing (Node.js, or
    /// the npm packages of tests/oidc).
    pub async fn start_with(options: OidcOptions) -> anyhow::Result<Self> {
        let dir = program_dir();
        let node = Command::new("node").arg("--version").output().await;
        if !node.is_ok_and(|out| out.status.success()) {
            bail!(
                "the OpenID provider of the tests needs Node.js (`node`, 20 or later), which \
                 is not installed: run scripts/install-deps"
            );
        }
        if !dir.join("node_modules/oidc-provider/package.json").exists() {
            bail!(
                "the OpenID provider of the tests is not installed ({} has no \
                 node_modules/oidc-provider): run scripts/install-deps (it runs `npm ci` there)",
                dir.display()
            );
        }
        let tls = TestTls::generate("Saman test OpenID provider CA")?;
        let log_path = tls.dir().join("provider.log");
        let log = std::fs::File::create(&log_path).context("the provider's log file")?;
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .arg("--cert")
            .arg(tls.server_cert())
            .arg("--key")
            .arg(tls.server_key())
            .arg("--access-token-ttl")
            .arg(options.access_token_ttl.as_secs().to_string())
            .arg("--device-code-ttl")
            .arg(options.device_code_ttl.as_secs().to_string())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("starting node tests/oidc/provider.mjs")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        // Node loads oidc-provider's whole module graph first: on a loaded 2-core machine
        // (a build beside the tests) that has taken over 30 s.
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("listening ") {
                    return Ok(Some(url.trim().to_owned()));
                }
            }
            anyhow::Ok(None)
        })
        .await;
        let url = match ready {
            Ok(Ok(Some(url))) => url,
            outcome => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!(
                    "the OpenID provider did not start ({}):\n{log}",
                    match outcome {
                        Err(_) => format!("not listening after {} s", START_TIMEOUT.as_secs()),
                        Ok(Err(e)) => format!("{e:#}"),
                        Ok(Ok(_)) => "it exited".to_owned(),
                    }
                );
            }
        };
        // Keep reading what it prints, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            url,
            tls,
            _node: child,
        })
    }

    /// The issuer URL, `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The PEM file of the authority that signed the provider's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.tls.ca_file()
    }

    /// The flags that make a service trust this provider (keys by discovery over HTTPS).
    pub fn service_args(&self) -> Vec<String> {
        vec![
            "--auth-issuer".into(),
            self.url.clone(),
            "--auth-ca-file".into(),
            self.ca_file().to_string_lossy().into_owned(),
        ]
    }

    /// The authentication settings of a service that trusts this provider.
    pub fn auth_args(&self) -> saman_auth::AuthArgs {
        crate::issuer::auth_args_of(self.service_args())
    }

    /// A person at a browser that trusts the provider's certificate.
    pub fn user(&self) -> anyhow::Result<User> {
        User::new(&self.ca_file())
    }
}

/// A person at a browser: follows redirects and keeps the provider's cookies, submits
/// its forms as they are on the page.
pub struct User {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

/// A page as the browser got it.
struct Page {
    url: String,
    status: reqwest::StatusCode,
    html: String,
}

impl Page {
    /// The page, unless the provider answered with an error.
    fn ok(self) -> anyhow::Result<Page> {
        if !self.status.is_success() {
            bail!("{} answered {}:\n{}", self.url, self.status, self.html);
        }
        Ok(self)
    }
}

impl User {
    fn new(ca_file: &Path) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(saman_runtime::tls::roots(Some(ca_file))?)
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            // Redirects are followed here, so that the cookies they set are kept.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            cookies: BTreeMap::new(),
        })
    }

    /// Opens `verification_uri_complete` (the page with the code in it), confirms the
    /// code, signs in as `account` and consents: the last page's text.
    pub async fn approve(
        &mut self,
        verification_uri_complete: &str,
        account: &str,
    ) -> anyhow::Result<String> {
        let confirm = self.confirm_page(verification_uri_complete).await?;
        let login = self.submit(&confirm, &[]).await?.ok()?;
        let consent = self
            .submit(&login, &[("login", account), ("password", "any")])
            .await?
            .ok()?;
        let done = self.submit(&consent, &[]).await?.ok()?;
        Ok(done.html)
    }

    /// Opens the page with the code and aborts there: the last page's text (the
    /// provider answers an abort with an error page).
    pub async fn deny(&mut self, verification_uri_complete: &str) -> anyhow::Result<String> {
        let confirm = self.confirm_page(verification_uri_complete).await?;
        Ok(self.submit(&confirm, &[("abort", "yes")]).await?.html)
    }

    /// The page that asks "is this the code on your device?": the verification page
    /// submits the code itself (a script a browser runs on load).
    async fn confirm_page(&mut self, verification_uri_complete: &str) -> anyhow::Result<Page> {
        let page = self.get(verification_uri_complete).await?.ok()?;
        self.submit(&page, &[]).await?.ok()
    }

    async fn get(&mut self, url: &str) -> anyhow::Result<Page> {
        self.follow(self.http.get(url), url.to_owned()).await
    }

    /// Submits the page's (first) form with its hidden fields and `fields`.
    async fn submit(&mut self, page: &Page, fields: &[(&str, &str)]) -> anyhow::Result<Page> {
        let form = Form::first(&page.html)
            .with_context(|| format!("no form on {}:\n{}", page.url, page.html))?;
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in form.hidden.iter().map(|(n, v)| (n.as_str(), v.as_str())) {
            body.append_pair(name, value);
        }
        for (name, value) in fields {
            body.append_pair(name, value);
        }
        let action = url::Url::parse(&page.url)?.join(&form.action)?.to_string();
        let request = self
            .http
            .post(&action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.finish());
        self.follow(request, action).await
    }

    /// Sends `request`, then follows redirects as a browser does (GET), keeping cookies.
    async fn follow(
        &mut self,
        mut request: reqwest::RequestBuilder,
        mut url: String,
    ) -> anyhow::Result<Page> {
        for _ in 0..10 {
            if !self.cookies.is_empty() {
                let header: Vec<String> = self
                    .cookies
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                request = request.header("cookie", header.join("; "));
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("opening {url}"))?;
            self.keep_cookies(&response);
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get("location")
                    .context("a redirect without a location")?
                    .to_str()?;
                url = url::Url::parse(&url)?.join(location)?.to_string();
                request = self.http.get(&url);
                continue;
            }
            let html = response.text().await?;
            return Ok(Page { url, status, html });
        }
        bail!("more than 10 redirects from {url}")
    }

    /// Keeps the cookies a response sets; one set to expire is dropped.
    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let mut parts = value.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p.starts_with("expires=thu, 01 jan 1970") || p == "max-age=0"
            });
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
}

/// The first form of a page: where it goes and its hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

impl Form {
    fn first(html: &str) -> Option<Form> {
        let start = html.find("<form")?;
        let form = &html[start..start + html[start..].find("</form>")?];
        let action = attribute(&form[..form.find('>')?], "action")?;
        let hidden = form
            .split("<input")
            .skip(1)
            .filter_map(|input| {
                let tag = &input[..input.find('>')?];
                (attribute(tag, "type")? == "hidden")
                    .then(|| Some((attribute(tag, "name")?, attribute(tag, "value")?)))?
            })
            .collect();
        Some(Form { action, hidden })
    }
}

/// The value of `name="..."` in a tag (the provider's pages quote every attribute).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[at..at + tag[at..].find('"')?];
    Some(value.replace("&amp;", "&").replace("&quot;", "\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_gives_its_action_and_hidden_fields() {
        let html = r#"<p>x</p><form id="f" method="post" action="https://h/device">
            <input type="hidden" name="xsrf" value="a&amp;b"/>
            <input type="text" name="user_code" value="typed"/>
            <input type="hidden" name="confirm" value="yes"/></form>"#;
        let form = Form::first(html).expect("a form");
        assert_eq!(form.action, "https://h/device");
        assert_eq!(
            form.hidden,
            [
                ("xsrf".into(), "a&b".into()),
                ("confirm".into(), "yes".into())
            ]
        );
        assert!(Form::first("<p>no form</p>").is_none());
    }
}
