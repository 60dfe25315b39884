//! HTTP GET of the services' plain HTTP endpoints (metrics, the web page), with reqwest.

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
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?;
    let url = format!("http://{addr}{path}");
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let status_line = format!("{:?} {status}", response.version());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = response
        .text()
        .await
        .with_context(|| format!("GET {url}: the body"))?;
    Ok(HttpResponse {
        status_line,
        status,
        content_type,
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
