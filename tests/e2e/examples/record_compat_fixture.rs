//! Records a compatibility fixture (`saman_e2e::compat`): the programme year 1397 as
//! `saman scenario 1397` loads it, through a fresh system of this version (intake,
//! NATS, the projection), and the figures the projection shows for it. Run it before a
//! change of the event schema, and keep what it writes:
//!
//! ```text
//! cargo build --bins && cargo run -p saman-e2e --example record_compat_fixture -- v1
//! ```
//! writes `tests/e2e/fixtures/NAME.events.jsonl` and `NAME.figures.json`.

use std::time::Duration;

use saman_e2e::compat::{figures, fixtures, recorded_messages, to_json_lines};
use saman_e2e::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: record_compat_fixture NAME"))?;
    let system = System::start(Backend::Sqlite).await?;
    let saman = system.saman()?;
    saman.scenario_1397(&[]).await?;
    let (messages, _) = published_and_applied(
        (&system.intake_db, &system.nats),
        &system.projection,
        Duration::from_secs(120),
    )
    .await?;
    let recorded = recorded_messages(&system.nats, messages.len() as u64).await?;
    let figures = figures(&saman).await?;
    let folder = fixtures();
    std::fs::create_dir_all(&folder)?;
    let events = folder.join(format!("{name}.events.jsonl"));
    std::fs::write(&events, to_json_lines(&recorded))?;
    let answers = folder.join(format!("{name}.figures.json"));
    std::fs::write(&answers, serde_json::to_string_pretty(&figures)? + "\n")?;
    println!(
        "{} messages in {}, {} answers in {}",
        recorded.len(),
        events.display(),
        figures.as_object().map_or(0, |f| f.len()),
        answers.display()
    );
    system.stop().await
}
