//! A real browser for the dashboard tests: Debian's headless `chromium`, driven through
//! `chromedriver` (WebDriver) on a free port of 127.0.0.1, with a fresh profile. Both
//! come from the Debian packages `chromium` and `chromium-driver` (scripts/install-deps
//! installs them); without them a test fails saying so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use saman_harness::free_port;
use serde_json::json;

/// Where the test runs write their screenshots (not committed).
pub fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/bin"),
            PathBuf::from("/usr/lib/chromium"),
        ])
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A headless chromium under chromedriver; both stop when it is dropped (after
/// [`Browser::close`], which ends the session cleanly).
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> anyhow::Result<Browser> {
        let missing = "install the Debian packages chromium and chromium-driver \
                       (scripts/install-deps does)";
        let Some(driver_bin) = find(&["chromedriver"]) else {
            bail!("chromedriver not found: {missing}");
        };
        let Some(chromium) = find(&["chromium", "chromium-browser"]) else {
            bail!("chromium not found: {missing}");
        };
        let port = free_port();
        let driver = tokio::process::Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", driver_bin.display()))?;
        let profile = tempfile::tempdir()?;
        // Headless as root needs --no-sandbox; the background-networking flags keep it
        // from calling hosts outside 127.0.0.1.
        let capabilities = json!({
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let capabilities = capabilities.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            match builder.connect(&url).await {
                Ok(client) => break client,
                Err(err) if Instant::now() < deadline => {
                    tracing::debug!(error = %err, "chromedriver not ready yet");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => bail!("no browser session from chromedriver at {url}: {err}"),
            }
        };
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Sets the window's size (CSS pixels) and opens `url`.
    pub async fn open(&self, url: &str, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        self.client.goto(url).await?;
        Ok(())
    }

    /// Writes a screenshot of what the window shows to `screenshots_dir()/name.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn eval(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Runs axe-core (tests/browser's npm package) on the open page: its serious and
    /// critical violations, each as "rule (impact): the first elements it names".
    pub async fn serious_accessibility_violations(&self) -> anyhow::Result<Vec<String>> {
        let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../browser/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).with_context(|| {
            format!(
                "{}: the accessibility checker is missing: run scripts/install-deps \
                 (npm ci in tests/browser)",
                axe.display()
            )
        })?;
        self.client
            .execute(&format!("{source}\nreturn true;"), vec![])
            .await?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(\
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => v.id + ' (' + v.impact + '): ' +\
                       v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(found)?)
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        self.client.clone().close().await?;
        let _ = self.driver.kill().await;
        Ok(())
    }
}
