//! The Python consumer example (examples/python: nats-py and classes generated from
//! events.proto) against a real stream: as the read-only `subscriber` user over TLS, it
//! decodes every event intake published, in each stream's order, with its body.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use saman_e2e::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_consumer_decodes_every_published_event() -> anyhow::Result<()> {
    let python = root().join("examples/python/.venv/bin/python");
    anyhow::ensure!(
        python.exists(),
        "{}: the Python example's packages are missing: run scripts/install-deps \
         (a venv with examples/python/requirements.txt)",
        python.display()
    );
    let (db, nats, intake) = intake_alone(Backend::Sqlite).await?;
    let mut client = intake.client().await?;
    register_programme(&mut client, 2, 2).await?;
    client
        .declare_need(declare_need(
            "zone-01",
            "m-001",
            "Clean water for the school",
        ))
        .await?;
    let stored = stored_events(db.url()).await?;
    published(&nats, stored.len() as u64, Duration::from_secs(20)).await?;

    // The classes, generated from the contract by grpcio-tools' protoc.
    let generated = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-events");
    let _ = std::fs::remove_dir_all(&generated);
    std::fs::create_dir_all(&generated)?;
    let protoc = tokio::process::Command::new(&python)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(root().join("proto"))
        .arg(format!("--python_out={}", generated.display()))
        .arg(root().join("proto/saman/events/v1/events.proto"))
        .output()
        .await?;
    anyhow::ensure!(
        protoc.status.success(),
        "protoc: {}",
        String::from_utf8_lossy(&protoc.stderr)
    );

    let flags = nats.flags(NatsUser::Subscriber);
    let mut command = tokio::process::Command::new(&python);
    command
        .arg(root().join("examples/python/consume_events.py"))
        .arg("--generated")
        .arg(&generated)
        .args(["--url", &flags.url, "--user", "subscriber"])
        .args(["--count", &stored.len().to_string(), "--idle", "20"])
        .kill_on_drop(true);
    if let Some(ca) = &flags.ca {
        command.arg("--ca").arg(ca);
    }
    let password = flags
        .password_file
        .as_ref()
        .context("the test NATS logs users in with passwords")?;
    command.arg("--password-file").arg(password);
    let out = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .context("the Python consumer still runs after 60 s")??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "the Python consumer: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), stored.len(), "{stdout}");
    // Each event as intake recorded it, once; each stream in its order.
    let mut last_version = std::collections::HashMap::new();
    for line in &lines {
        let event = stored
            .iter()
            .find(|e| line["event_id"] == e.event_id.to_string())
            .with_context(|| format!("an event intake did not record: {line}"))?;
        assert_eq!(line["event_type"], event.event_type, "{line}");
        assert_eq!(line["stream_id"], event.stream_id, "{line}");
        assert_eq!(line["stream_version"], event.stream_version, "{line}");
        assert_eq!(line["subject"], event.subject, "{line}");
        assert!(line["body"].is_object(), "{line}");
        let before = last_version.insert(event.stream_id.clone(), event.stream_version);
        assert_eq!(before.unwrap_or(0) + 1, event.stream_version, "{line}");
    }
    let need = lines
        .iter()
        .find(|l| l["event_type"] == "NeedDeclared")
        .expect("the need");
    assert_eq!(need["body"]["title"], "Clean water for the school");
    assert_eq!(need["body"]["zone"], "zone-01");
    intake.stop().await
}
