//! HTTP GET of the services' endpoints, with reqwest: the metrics over plain HTTP, the
//! web page over HTTPS (trusting the test authority, [`crate::tls`]).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use reqwest::StatusCode;

/// What a GET answered.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// As the response's first line has it: `HTTP/1.1 200 OK`.
    pub status_line: String,
    pub status: StatusCode,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Cache-Control` header, if any.
    pub cache_control: Option<String>,
    pub body: String,
}

impl HttpResponse {
    /// The status line and the body.
    pub fn parts(self) -> (String, String) {
        (self.status_line, self.body)
    }
}

/// One GET of `http://{addr}{path}` (no proxy, at most 10 s).
pub async fn http_get_response(addr: SocketAddr, path: &str) -> anyhow::Result<HttpResponse> {
    saman_runtime::tls::install_crypto_provider();
    get(client().build()?, format!("http://{addr}{path}")).await
}

/// One GET of the web page's `https://{addr}{path}`, trusting the test authority.
pub async fn web_get(addr: SocketAddr, path: &str) -> anyhow::Result<HttpResponse> {
    let ca = crate::tls().ca_file();
    let tls = saman_runtime::tls::client_config(Some(&ca))?;
    let client = client().tls_backend_preconfigured(tls).build()?;
    get(client, format!("https://{addr}{path}")).await
}

/// A download from the web page: its headers and its bytes as sent.
#[derive(Debug, Clone)]
pub struct Download {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub bytes: Vec<u8>,
}

/// One GET of the web page's `https://{addr}{path}` for a file, trusting the test
/// authority.
pub async fn web_download(addr: SocketAddr, path: &str) -> anyhow::Result<Download> {
    let ca = crate::tls().ca_file();
    let tls = saman_runtime::tls::client_config(Some(&ca))?;
    let client = client().tls_backend_preconfigured(tls).build()?;
    let url = format!("https://{addr}{path}");
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let header = |name| header(&response, name);
    Ok(Download {
        status: response.status(),
        content_type: header(reqwest::header::CONTENT_TYPE),
        content_disposition: header(reqwest::header::CONTENT_DISPOSITION),
        bytes: response
            .bytes()
            .await
            .with_context(|| format!("GET {url}: the body"))?
            .to_vec(),
    })
}

/// The header `name` of `response`, if any, as text.
fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// No proxy (the services are on 127.0.0.1), at most 10 s.
fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
}

async fn get(client: reqwest::Client, url: String) -> anyhow::Result<HttpResponse> {
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let status_line = format!("{:?} {status}", response.version());
    let header = |name| header(&response, name);
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let cache_control = header(reqwest::header::CACHE_CONTROL);
    let body = response
        .text()
        .await
        .with_context(|| format!("GET {url}: the body"))?;
    Ok(HttpResponse {
        status_line,
        status,
        content_type,
        cache_control,
        body,
    })
}

/// The body of a 200 answer to GET `http://{addr}{path}`.
pub async fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let response = http_get_response(addr, path).await?;
    anyhow::ensure!(
        response.status == StatusCode::OK,
        "GET {path}: {}",
        response.status_line
    );
    Ok(response.body)
}

/// The value of the sample `name{labels...}` in a Prometheus text exposition, labels
/// given as `key="value"` pairs that must all be present.
pub fn prometheus_sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            let (series, _) = l.rsplit_once(' ').unwrap_or((l, ""));
            let metric = series.split('{').next().unwrap_or_default();
            metric == name && labels.iter().all(|label| series.contains(label))
        })
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

/// The text of an HTML page as a reader sees it: the markup between `<` and `>` left
/// out (entities stay as written).
pub fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}
