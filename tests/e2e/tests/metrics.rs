//! The operators' view: both real binaries serve Prometheus metrics on
//! `--metrics-listen`, and the figures there match what happened (submissions by RPC
//! and status, events recorded, published and applied, outbox and lag back to 0,
//! queries by RPC and status, the standard gRPC server metrics); `promtool check
//! metrics` finds nothing to say about either endpoint, and every counter is there at
//! 0 from the start.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use saman_e2e::prometheus_sample as sample;
use saman_e2e::*;

/// Scrapes `addr` until `done` holds for the text (at most 20 s); returns the text.
async fn scrape_until(
    addr: SocketAddr,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = http_get(addr, "/metrics").await?;
        if done(&text) {
            return Ok(text);
        }
        if Instant::now() > deadline {
            anyhow::bail!("{what} not in the metrics of {addr} within 20 s:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Both real binaries with their metrics endpoints, on SQLite and one NATS server.
struct Running {
    intake: IntakeProcess,
    intake_metrics: SocketAddr,
    projection: ProjectionProcess,
    projection_metrics: SocketAddr,
    _databases: (TestDb, TestDb),
    _nats: NatsServer,
}

impl Running {
    async fn start() -> anyhow::Result<Running> {
        let intake_db = TestDb::new(Backend::Sqlite).await?;
        let projection_db = TestDb::new(Backend::Sqlite).await?;
        let nats = NatsServer::start().await?;
        let (intake, intake_metrics) =
            IntakeProcess::start_with_metrics(intake_db.url(), &nats).await?;
        wait_serving(intake.addr).await?;
        let (projection, projection_metrics) =
            ProjectionProcess::start_with_metrics(projection_db.url(), &nats).await?;
        Ok(Running {
            intake,
            intake_metrics,
            projection,
            projection_metrics,
            _databases: (intake_db, projection_db),
            _nats: nats,
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_export_what_they_did() -> anyhow::Result<()> {
    let Running {
        intake,
        intake_metrics,
        projection,
        projection_metrics,
        // Held to the end: the databases and NATS the services run on.
        _databases,
        _nats,
    } = Running::start().await?;

    // 2 zones, 3 members: 1 + 2 + 1 + 3 + 2 = 9 submissions, 9 events; then one need,
    // and one need in a zone that does not exist.
    let mut client = intake.client().await?;
    register_programme(&mut client, 2, 3).await?;
    client
        .declare_need(declare_need("zone-01", "m-001", "Water"))
        .await?;
    let refused = client
        .declare_need(declare_need("zone-99", "m-001", "Water"))
        .await
        .expect_err("zone-99 is not registered");
    assert_eq!(refused.code(), tonic::Code::NotFound);
    let events = 10.0;

    let text = scrape_until(intake_metrics, "every event published", |t| {
        sample(t, "saman_intake_events_published_total", &[]) == Some(events)
            && sample(t, "saman_intake_outbox_events", &[]) == Some(0.0)
    })
    .await?;
    let submissions = |rpc: &str, code: &str| {
        sample(
            &text,
            "saman_intake_submissions_total",
            &[&format!("rpc=\"{rpc}\""), &format!("code=\"{code}\"")],
        )
    };
    assert_eq!(submissions("RegisterZone", "OK"), Some(2.0));
    assert_eq!(submissions("ApproveNgoMember", "OK"), Some(3.0));
    assert_eq!(submissions("DeclareNeed", "OK"), Some(1.0));
    assert_eq!(submissions("DeclareNeed", "NOT_FOUND"), Some(1.0));
    assert_eq!(
        sample(&text, "saman_intake_events_recorded_total", &[]),
        Some(events)
    );
    assert_eq!(sample(&text, "saman_intake_relay_healthy", &[]), Some(1.0));
    // Histograms with buckets: the 11 submissions went through at most 11 batches of
    // the writer (the refused one too: the zone is checked against the state).
    let batches = sample(&text, "saman_intake_batch_size_count", &[]).context("batch sizes")?;
    assert!((1.0..=11.0).contains(&batches), "{batches} batches");
    assert!(
        text.contains(
            "saman_intake_submission_duration_seconds_bucket{rpc=\"DeclareNeed\",le=\"0.005\"}"
        ),
        "{text}"
    );

    let text = scrape_until(projection_metrics, "every event applied", |t| {
        sample(
            t,
            "saman_projection_events_applied_total",
            &["feed=\"live\""],
        ) == Some(events)
    })
    .await?;
    assert_eq!(
        sample(&text, "saman_projection_position", &[]),
        Some(events)
    );
    assert_eq!(sample(&text, "saman_projection_generation", &[]), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "saman_projection_events_parked_total",
            &["feed=\"live\""]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "saman_projection_pending_events", &[]),
        Some(0.0)
    );
    assert!(
        sample(
            &text,
            "saman_projection_batch_duration_seconds_count",
            &["feed=\"live\""]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // Every query is counted by RPC and status, and timed; admin calls too.
    use saman_proto::projection::v1 as query;
    let mut queries = projection.client().await?;
    queries
        .list_zones(query::ListZonesRequest::default())
        .await?;
    let missing = queries
        .get_zone_progress(query::GetZoneProgressRequest {
            zone: "zone-99".into(),
            ..Default::default()
        })
        .await
        .expect_err("zone-99 is not registered");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    projection
        .admin()
        .await?
        .get_status(query::GetStatusRequest::default())
        .await?;
    let requests = |text: &str, rpc: &str, code: &str| {
        sample(
            text,
            "saman_projection_requests_total",
            &[&format!("rpc=\"{rpc}\""), &format!("code=\"{code}\"")],
        )
    };
    let text = scrape_until(projection_metrics, "the queries", |t| {
        requests(t, "ListZones", "OK") == Some(1.0)
            && requests(t, "GetZoneProgress", "NOT_FOUND") == Some(1.0)
            && requests(t, "GetStatus", "OK") == Some(1.0)
    })
    .await?;
    assert!(
        text.contains("saman_projection_request_duration_seconds_count{rpc=\"ListZones\"} 1"),
        "{text}"
    );

    // The standard gRPC server metrics, as go-grpc-prometheus names them.
    let handled = |text: &str, service: &str, method: &str, code: &str| {
        sample(
            text,
            "grpc_server_handled_total",
            &[
                "grpc_type=\"unary\"",
                &format!("grpc_service=\"{service}\""),
                &format!("grpc_method=\"{method}\""),
                &format!("grpc_code=\"{code}\""),
            ],
        )
    };
    assert_eq!(
        handled(
            &text,
            "saman.projection.v1.Projection",
            "GetZoneProgress",
            "NotFound"
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains(
            "grpc_server_handling_seconds_count{grpc_type=\"unary\",\
             grpc_service=\"saman.projection.v1.Projection\",grpc_method=\"ListZones\"} 1"
        ),
        "{text}"
    );
    let text = http_get(intake_metrics, "/metrics").await?;
    assert_eq!(
        handled(&text, "saman.intake.v1.Intake", "DeclareNeed", "NotFound"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "grpc_server_started_total",
            &[
                "grpc_service=\"saman.intake.v1.Intake\"",
                "grpc_method=\"DeclareNeed\""
            ]
        ),
        Some(2.0),
        "{text}"
    );

    drop(projection);
    drop(intake);
    Ok(())
}

/// `promtool check metrics` on a scrape: nothing to say, or what it found.
async fn promtool_check(text: &str) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context(
            "promtool not found: install Debian's prometheus package (scripts/install-deps does)",
        )?;
    let mut stdin = child.stdin.take().context("promtool's stdin")?;
    stdin.write_all(text.as_bytes()).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    anyhow::ensure!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {}\n{said}",
        out.status
    );
    Ok(())
}

/// Both endpoints as an operator's tools expect them: HELP and TYPE on every metric
/// (`promtool check metrics` finds nothing), every counter present at 0 before the
/// first event, the build and the process described.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_endpoints_pass_promtool_and_start_their_counters_at_zero() -> anyhow::Result<()> {
    let Running {
        intake,
        intake_metrics,
        projection,
        projection_metrics,
        // Held to the end: the databases and NATS the services run on.
        _databases,
        _nats,
    } = Running::start().await?;

    let text = http_get(intake_metrics, "/metrics").await?;
    for (name, labels) in [
        ("saman_intake_events_recorded_total", vec![]),
        ("saman_intake_events_published_total", vec![]),
        ("saman_intake_relay_failed_rounds_total", vec![]),
        ("saman_intake_relay_refused_events_total", vec![]),
        (
            "saman_intake_submissions_total",
            vec!["rpc=\"DeclareNeed\"", "code=\"OK\""],
        ),
        (
            "grpc_server_handled_total",
            vec!["grpc_method=\"DeclareNeed\"", "grpc_code=\"OK\""],
        ),
        (
            "grpc_server_started_total",
            vec!["grpc_method=\"RegisterZone\""],
        ),
    ] {
        assert_eq!(
            sample(&text, name, &labels),
            Some(0.0),
            "{name}{labels:?}:\n{text}"
        );
    }
    assert_eq!(
        sample(&text, "saman_build_info", &["service=\"saman-intake\""]),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, "process_resident_memory_bytes", &[]).is_some_and(|b| b > 0.0),
        "{text}"
    );
    promtool_check(&text).await?;

    let text = http_get(projection_metrics, "/metrics").await?;
    for feed in ["feed=\"live\"", "feed=\"rebuild\""] {
        for name in [
            "saman_projection_events_applied_total",
            "saman_projection_events_parked_total",
            "saman_projection_events_conflict_total",
            "saman_projection_events_duplicate_total",
        ] {
            assert_eq!(
                sample(&text, name, &[feed]),
                Some(0.0),
                "{name}{{{feed}}}:\n{text}"
            );
        }
    }
    assert_eq!(
        sample(
            &text,
            "grpc_server_handled_total",
            &[
                "grpc_service=\"saman.projection.v1.ProjectionAdmin\"",
                "grpc_method=\"Rebuild\""
            ]
        ),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "saman_build_info", &["service=\"saman-projection\""]),
        Some(1.0),
        "{text}"
    );
    promtool_check(&text).await?;

    // And after some traffic, with histograms filled in.
    let mut client = intake.client().await?;
    register_programme(&mut client, 1, 1).await?;
    let text = scrape_until(intake_metrics, "the events published", |t| {
        sample(t, "saman_intake_events_published_total", &[]).is_some_and(|n| n > 0.0)
    })
    .await?;
    promtool_check(&text).await?;
    let intake_text = text;
    use saman_proto::projection::v1 as query;
    let mut queries = projection.client().await?;
    queries
        .list_zones(query::ListZonesRequest::default())
        .await?;
    let text = scrape_until(projection_metrics, "the events applied", |t| {
        sample(
            t,
            "saman_projection_events_applied_total",
            &["feed=\"live\""],
        )
        .is_some_and(|n| n > 0.0)
            && sample(t, "saman_projection_requests_total", &["rpc=\"ListZones\""])
                .is_some_and(|n| n > 0.0)
    })
    .await?;
    promtool_check(&text).await?;

    // What the shipped alert rules and Grafana dashboard ask for, both endpoints have.
    let base_name = |name: &str| {
        ["_bucket", "_count", "_sum"]
            .iter()
            .fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n))
            .to_owned()
    };
    let exported: std::collections::BTreeSet<String> = [&intake_text, &text]
        .into_iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(base_name)
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        "deploy/prometheus/saman-alerts.yaml",
        "deploy/grafana/saman-dashboard.json",
    ] {
        let shipped = std::fs::read_to_string(root.join(file))?;
        if file.ends_with(".json") {
            let _: serde_json::Value = serde_json::from_str(&shipped).context(file)?;
        }
        let asked: std::collections::BTreeSet<String> = shipped
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|t| {
                ["saman_", "grpc_server_", "process_"]
                    .iter()
                    .any(|p| t.starts_with(p))
            })
            .map(base_name)
            .collect();
        assert!(asked.len() >= 9, "{file}: {asked:?}");
        let missing: Vec<&String> = asked.iter().filter(|m| !exported.contains(*m)).collect();
        assert!(
            missing.is_empty(),
            "{file} asks for metrics no endpoint has: {missing:?}"
        );
    }

    drop(projection);
    drop(intake);
    Ok(())
}

/// Runs `promtool ARGS` in deploy/prometheus: its output, or why it failed.
fn promtool(args: &[&str]) -> anyhow::Result<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus");
    let out = std::process::Command::new("promtool")
        .args(args)
        .current_dir(&dir)
        .output()
        .context(
            "promtool not found: install Debian's prometheus package (scripts/install-deps does)",
        )?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    anyhow::ensure!(
        out.status.success(),
        "promtool {args:?}: {}\n{said}",
        out.status
    );
    Ok(said)
}

/// The shipped alert rules are valid, fire on synthetic series as their unit tests
/// say (the outbox growing, the projection lagging, no relay lease holder, a parked
/// event), and each has its entry in the runbook.
#[test]
fn the_alert_rules_check_fire_as_tested_and_each_has_a_runbook_entry() -> anyhow::Result<()> {
    let said = promtool(&["check", "rules", "saman-alerts.yaml"])?;
    assert!(said.contains("SUCCESS: 9 rules found"), "{said}");
    let said = promtool(&["test", "rules", "saman-alerts.test.yaml"])?;
    assert!(said.contains("SUCCESS"), "{said}");

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = std::fs::read_to_string(root.join("deploy/prometheus/saman-alerts.yaml"))?;
    let runbook = std::fs::read_to_string(root.join("docs/operations.md"))?;
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 9, "{alerts:?}");
    for alert in alerts {
        assert!(
            runbook.contains(&format!("#### {alert}\n")),
            "docs/operations.md has no runbook entry `#### {alert}`"
        );
    }
    Ok(())
}
