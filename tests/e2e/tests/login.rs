//! `saman login` against a real OpenID provider (npm's oidc-provider, tests/oidc, run by
//! Node.js over HTTPS): the command line asks for a device code, the test plays the
//! person at the browser (opens the page, confirms the code, signs in, consents), and
//! the token the command line kept in its configuration directory carries a write that
//! intake, trusting the provider by its discovery document and keys, accepts and
//! records with the provider's issuer and the account as the principal. A sign-in
//! denied, a code never approved, a token about to expire and a logout each end as
//! their messages say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use saman_e2e::*;
use saman_harness::{OidcOptions, OidcProvider};
use saman_proto::events::v1::{Actor, Official, actor};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// The programme office's account at the provider, and the actor its claims make.
const OFFICE: &str = "office-1";
const OFFICE_ACTOR: &str = "office:rahimi";

/// A user's machine: `saman` with a home and configuration directory of its own, and
/// neither a token nor the development key.
struct Machine {
    home: tempfile::TempDir,
    saman: Saman,
}

impl Machine {
    fn new(intake: Option<&Intake>) -> anyhow::Result<Self> {
        let home = tempfile::tempdir()?;
        let mut env = vec![
            ("HOME".to_owned(), path(home.path())),
            (
                "XDG_CONFIG_HOME".to_owned(),
                path(&home.path().join(".config")),
            ),
            ("SAMAN_DEV_KEY".to_owned(), String::new()),
        ];
        if let Some(intake) = intake {
            env.push(("SAMAN_INTAKE".into(), format!("https://{}", intake.addr)));
        }
        let saman = Saman::with_env(env)?;
        Ok(Self { home, saman })
    }

    /// Where `saman login` keeps the token on this machine.
    fn login_file(&self) -> PathBuf {
        self.home.path().join(".config/saman/login.json")
    }

    fn kept(&self) -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_str(&std::fs::read_to_string(
            self.login_file(),
        )?)?)
    }
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `saman login` running, and what it told the user to open.
struct LoginRun {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    printed: Vec<String>,
    code: String,
    page: String,
    page_with_code: String,
}

impl LoginRun {
    /// Starts `saman login` at `provider` and reads its instructions.
    async fn start(machine: &Machine, provider: &OidcProvider) -> anyhow::Result<Self> {
        let ca = path(&provider.ca_file());
        let mut child = machine
            .saman
            .spawn(&["login", "--issuer", provider.url(), "--issuer-ca-file", &ca][..])?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        while printed.len() < 5 {
            let Some(line) =
                tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await??
            else {
                let out = child.wait_with_output().await?;
                anyhow::bail!(
                    "saman login ended before asking for the sign-in ({:?}):\n{}\n{}",
                    out.status,
                    printed.join("\n"),
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            printed.push(line);
        }
        let code = printed[0]
            .strip_prefix("To sign in, open this page and enter the code ")
            .and_then(|rest| rest.strip_suffix(':'))
            .unwrap_or_else(|| panic!("the first line names the code: {printed:?}"))
            .to_owned();
        let page = printed[1].trim().to_owned();
        assert_eq!(printed[2], "or open this one, which has the code in it:");
        let page_with_code = printed[3].trim().to_owned();
        assert_eq!(
            page,
            format!("{}/device", provider.url()),
            "the provider's page"
        );
        assert!(
            page_with_code.starts_with(&page) && page_with_code.ends_with(&code),
            "{page_with_code} has the code {code}"
        );
        assert!(
            printed[4].starts_with("Waiting for the sign-in"),
            "{printed:?}"
        );
        Ok(Self {
            child,
            lines,
            printed,
            code,
            page,
            page_with_code,
        })
    }

    /// Waits for `saman login` to end: its exit code, all it printed on stdout, stderr.
    async fn finish(mut self) -> anyhow::Result<(Option<i32>, String, String)> {
        let waited = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = self.lines.next_line().await? {
                self.printed.push(line);
            }
            anyhow::Ok(self.child.wait_with_output().await?)
        })
        .await
        .map_err(|_| anyhow::anyhow!("saman login still runs after 120 s"))??;
        Ok((
            waited.status.code(),
            self.printed.join("\n"),
            String::from_utf8_lossy(&waited.stderr).into_owned(),
        ))
    }
}

/// The provider, and intake trusting it (`--auth-issuer`, `--auth-ca-file`: its keys by
/// discovery over HTTPS) on a store and NATS of its own.
struct Deployment {
    provider: OidcProvider,
    db: TestDb,
    nats: NatsServer,
    intake: Intake,
}

impl Deployment {
    async fn start(options: OidcOptions) -> anyhow::Result<Self> {
        let provider = OidcProvider::start_with(options).await?;
        let db = TestDb::new(Backend::Sqlite).await?;
        let nats = NatsServer::start().await?;
        let intake = Intake::start_trusting(db.url(), &nats, provider.auth_args()).await?;
        Ok(Self {
            provider,
            db,
            nats,
            intake,
        })
    }

    /// The principal of the one event published.
    async fn principal(&self) -> anyhow::Result<(String, String, Option<Actor>)> {
        let all = published(&self.nats, 1, Duration::from_secs(10)).await?;
        let event = &all[0].envelope;
        let principal = event.principal.as_ref().expect("a principal");
        Ok((
            principal.issuer.clone(),
            principal.subject.clone(),
            event.actor.clone(),
        ))
    }
}

/// A provider whose access tokens and device codes live that many seconds.
fn lasting(access_token_ttl: u64, device_code_ttl: u64) -> OidcOptions {
    OidcOptions {
        access_token_ttl: Duration::from_secs(access_token_ttl),
        device_code_ttl: Duration::from_secs(device_code_ttl),
    }
}

/// The programme's dates, written with `--as` the office's actor: needs a token that
/// names it.
const DATES: &str = "programme dates --needs-deadline 1397-01-31 --proposals-deadline 1397-01-31 \
                     --operational-start 1397-02-01 --goal-date 1397-12-29 --at 1396-12-20 --json \
                     --as office:rahimi";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_approved_at_the_provider_is_kept_and_carries_writes_with_its_principal()
-> anyhow::Result<()> {
    let deployment = Deployment::start(OidcOptions::default()).await?;
    let provider = &deployment.provider;
    let machine = Machine::new(Some(&deployment.intake))?;

    // Not logged in yet: a write goes without a token and is refused.
    let refused = machine.saman.run(DATES).await?.exited(9)?.json_error()?;
    assert_eq!(refused["code"], "UNAUTHENTICATED", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("no credentials")),
        "{refused}"
    );
    let status = machine.saman.run("login --status").await?.exited(9)?;
    assert!(status.stderr.contains("not logged in"), "{}", status.stderr);

    let login = LoginRun::start(&machine, provider).await?;
    assert!(!login.code.is_empty() && login.page.starts_with("https://"));
    let done = provider
        .user()?
        .approve(&login.page_with_code, OFFICE)
        .await?;
    assert!(done.contains("Sign-in Success"), "{done}");
    let (code, stdout, stderr) = login.finish().await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "logged in at {} as {OFFICE} (rahimi)",
            provider.url()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("roles: programme-office"), "{stdout}");
    assert!(stdout.contains("the token is valid until "), "{stdout}");

    // Kept for the user alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(machine.login_file())?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the user may read the token");
    }
    let kept = machine.kept()?;
    assert_eq!(kept["issuer"], provider.url());
    assert!(kept["refresh_token"].is_string(), "{kept}");

    let status = machine.saman.stdout("login --status").await?;
    assert!(
        status.contains(&format!("logged in at {} as {OFFICE}", provider.url())),
        "{status}"
    );

    // A write with the kept token: accepted, the provider's principal recorded.
    let reply = machine.saman.json(DATES).await?;
    assert_eq!(reply["events"][0]["event_type"], "ProgrammeDatesSet");
    let (issuer, subject, actor) = deployment.principal().await?;
    assert_eq!(issuer, provider.url());
    assert_eq!(subject, OFFICE);
    assert_eq!(
        actor,
        Some(Actor {
            kind: Some(actor::Kind::ProgrammeOffice(Official {
                user: "rahimi".into()
            })),
        }),
        "the actor of the token's claims ({OFFICE_ACTOR})"
    );

    // Logged out: the token is gone, and writes are refused again.
    let out = machine.saman.stdout("logout").await?;
    assert!(out.starts_with("logged out: removed "), "{out}");
    assert!(!machine.login_file().exists());
    let refused = machine.saman.run(DATES).await?.exited(9)?.json_error()?;
    assert_eq!(refused["code"], "UNAUTHENTICATED", "{refused}");
    assert_eq!(
        stored_events(deployment.db.url()).await?.len(),
        1,
        "only the write made logged in"
    );
    deployment.intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_token_about_to_expire_is_renewed_with_its_refresh_token() -> anyhow::Result<()> {
    // Tokens that live less than the minute before expiry at which saman renews them.
    let deployment = Deployment::start(lasting(30, 600)).await?;
    let provider = &deployment.provider;
    let machine = Machine::new(Some(&deployment.intake))?;

    let login = LoginRun::start(&machine, provider).await?;
    provider
        .user()?
        .approve(&login.page_with_code, OFFICE)
        .await?;
    let (code, stdout, stderr) = login.finish().await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let before = machine.kept()?;

    let reply = machine.saman.json(DATES).await?;
    assert_eq!(reply["events"][0]["event_type"], "ProgrammeDatesSet");
    let after = machine.kept()?;
    assert_ne!(
        after["access_token"], before["access_token"],
        "the write renewed the token first"
    );
    assert!(after["expires_at"].as_str() > before["expires_at"].as_str());
    let (issuer, subject, _) = deployment.principal().await?;
    assert_eq!(
        (issuer.as_str(), subject.as_str()),
        (provider.url(), OFFICE)
    );
    deployment.intake.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_denied_at_the_provider_ends_the_login_refused() -> anyhow::Result<()> {
    let provider = OidcProvider::start().await?;
    let machine = Machine::new(None)?;
    let login = LoginRun::start(&machine, &provider).await?;
    provider.user()?.deny(&login.page_with_code).await?;
    let (code, stdout, stderr) = login.finish().await?;
    assert_eq!(code, Some(5), "refused\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("refused: the sign-in was denied at the identity provider (access_denied"),
        "{stderr}"
    );
    assert!(!machine.login_file().exists(), "nothing kept");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_not_approved_before_it_expires_ends_the_login_timed_out() -> anyhow::Result<()> {
    let provider = OidcProvider::start_with(lasting(600, 2)).await?;
    let machine = Machine::new(None)?;
    let login = LoginRun::start(&machine, &provider).await?;
    let (code, stdout, stderr) = login.finish().await?;
    assert_eq!(code, Some(8), "timed out\n{stdout}\n{stderr}");
    assert!(
        stderr
            .contains("timed out: the code expired before the sign-in was approved (expired_token"),
        "{stderr}"
    );
    assert!(stderr.contains("run `saman login` again"), "{stderr}");
    assert!(!machine.login_file().exists(), "nothing kept");
    Ok(())
}
