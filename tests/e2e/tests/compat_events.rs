//! Events recorded by an earlier version read back as they were: the 1397 scenario's
//! stream as intake published it before proposals could name the goals they serve
//! (`tests/e2e/fixtures/scenario-1397-v1.*`), replayed into a fresh system, shows every
//! figure that version showed (a newer reply may add fields, it may not change one).

use std::time::Duration;

use saman_e2e::compat::{self, FIGURE_QUERIES};
use saman_e2e::*;

on_both_backends! {
    the_1397_recording_shows_the_figures_it_showed => recorded_figures_read_back;
}

async fn recorded_figures_read_back(backend: Backend) -> anyhow::Result<()> {
    let recording = compat::fixtures().join("scenario-1397-v1");
    let events = std::fs::read_to_string(recording.with_extension("events.jsonl"))?;
    let messages = compat::from_json_lines(&events)?;
    let recorded: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        recording.with_extension("figures.json"),
    )?)?;
    assert_eq!(messages.len(), 893, "the recording's messages");
    assert_eq!(
        recorded.as_object().map(|figures| figures.len()),
        Some(FIGURE_QUERIES.len()),
        "one recorded answer per query"
    );

    let system = System::start(backend).await?;
    compat::replay(&system.nats, &messages).await?;
    let status = wait_caught_up(
        &mut system.projection.admin().await?,
        messages.len() as u64,
        Duration::from_secs(60),
    )
    .await?;
    assert_eq!((status.position, status.parked), (893, 0), "{status:?}");

    let now = compat::figures(&system.saman()?).await?;
    let differences = compat::differences(&recorded, &now);
    assert!(
        differences.is_empty(),
        "the recorded figures read back otherwise:\n{}",
        differences.join("\n")
    );
    system.stop().await
}
