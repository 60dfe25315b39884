//! `saman scenario 1397` against the real services, on both backends: it loads the
//! programme year the plan describes, and running it a second time leaves exactly
//! the same events (store and JetStream) and the same read models as running it once.

use std::time::Duration;

use saman_e2e::*;
use serde_json::Value;

on_both_backends! {
    the_scenario_run_twice_leaves_what_it_left_once => scenario_twice;
}

/// Everything the projection answers as of these days.
const DAYS: [&str; 3] = ["1397-01-31", "1397-06-31", "1397-12-29"];

async fn dumps(system: &System) -> anyhow::Result<Vec<Dump>> {
    let mut client = system.projection.client().await?;
    let mut all = Vec::new();
    for day in DAYS {
        all.push(Dump::take(&mut client, read_as_of(day)).await?);
    }
    Ok(all)
}

async fn scenario_twice(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    let saman = system.saman()?;

    let first = saman.scenario_1397(&[]).await?;
    let events = first["events"].as_u64().unwrap();
    let submissions = first["submissions"].as_u64().unwrap();
    let by_rpc = &first["by_rpc"];
    assert_eq!(by_rpc["RegisterZone"], 10);
    assert_eq!(by_rpc["RecordApprovedNgo"], 10);
    assert_eq!(by_rpc["ApproveNgoMember"], 100);
    assert!(
        first["late"].as_u64().unwrap() > 0,
        "some needs and proposals are late"
    );
    // A completion without a 100% report first records that report too.
    assert!(events >= submissions);

    let mut admin = system.projection.admin().await?;
    wait_caught_up(&mut admin, events, Duration::from_secs(120)).await?;
    let stored_once = stored_events(system.intake_db.url()).await?;
    assert_eq!(stored_once.len() as u64, events);
    let head_once = stream_head(&system.nats).await?;
    assert_eq!(head_once, events, "JetStream holds each event once");
    let once = dumps(&system).await?;

    // What the year looks like: the figures the plan promises.
    let year_end = &once[2];
    assert_eq!(year_end.zones.zones.len(), 10);
    assert_eq!(
        year_end.summary.needs as u64,
        by_rpc["DeclareNeed"].as_u64().unwrap()
    );
    assert_eq!(
        year_end.summary.proposals as u64,
        by_rpc["SubmitProposal"].as_u64().unwrap()
    );
    assert_eq!(
        year_end.summary.completed_projects as u64,
        by_rpc["CompleteProject"].as_u64().unwrap()
    );
    assert_eq!(year_end.compliance.ngos.len(), 10);
    assert_eq!(year_end.cooperation.agencies.len(), 6);
    let statuses = year_end.summary.zones_on_track
        + year_end.summary.zones_at_risk
        + year_end.summary.zones_behind;
    assert_eq!(statuses, 10);
    let timeline_entries: usize = year_end.timelines.iter().map(|(_, t)| t.len()).sum();
    assert!(
        timeline_entries > 500,
        "{timeline_entries} timeline entries"
    );

    // The overdue projects at the year's end, as the CLI prints them (with --json the
    // reply itself; as a table one row each).
    assert!(
        !year_end.overdue.projects.is_empty(),
        "some projects overrun"
    );
    let overdue = saman
        .json(&["overdue", "--as-of", "1397-12-29", "--json"])
        .await?;
    let printed = overdue["projects"].as_array().unwrap();
    assert_eq!(printed.len(), year_end.overdue.projects.len());
    for (json, reply) in printed.iter().zip(&year_end.overdue.projects) {
        let project = reply.project.as_ref().unwrap();
        assert_eq!(json["zone"], reply.zone.as_str());
        assert_eq!(json["project"]["proposal_id"], project.proposal_id.as_str());
        assert_eq!(json["days_overdue"], reply.days_overdue);
        assert_eq!(json["project"]["overdue"], true);
    }
    let table = saman.stdout(&["overdue", "--as-of", "1397-12-29"]).await?;
    for reply in &year_end.overdue.projects {
        let id = &reply.project.as_ref().unwrap().proposal_id;
        let line = table.lines().find(|l| l.contains(id.as_str()));
        let line = line.unwrap_or_else(|| panic!("{id} is not in\n{table}"));
        assert!(
            line.contains(&format!(" {} ", reply.days_overdue)),
            "{line}"
        );
    }

    // The second run: every submission answered from the store, nothing new.
    let second = saman.scenario_1397(&["--concurrency", "3"]).await?;
    for field in ["submissions", "events", "late", "by_rpc", "streams"] {
        assert_eq!(first[field], second[field], "the second run's {field}");
    }
    let stored_twice = stored_events(system.intake_db.url()).await?;
    assert_eq!(
        stored_twice.len(),
        stored_once.len(),
        "no new event in the store"
    );
    for (a, b) in stored_once.iter().zip(&stored_twice) {
        assert_eq!(a.position, b.position);
        assert_eq!(a.event_id, b.event_id);
        assert_eq!(a.payload, b.payload);
    }
    // Whatever the relay might still publish would be there within this wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stream_head(&system.nats).await?, head_once);
    let status = wait_caught_up(&mut admin, events, Duration::from_secs(60)).await?;
    assert_eq!(status.position, head_once);
    let twice = dumps(&system).await?;
    for (a, b) in once.iter().zip(&twice) {
        a.assert_same(b, "the scenario run twice against run once");
    }

    // Another seed plans another year (with its own submission ids).
    let other = saman
        .run(&["scenario", "1397", "--seed", "7", "--json"])
        .await?;
    // The same zones, NGOs and agencies are registered: the other seed's registrations
    // are refused as ALREADY_EXISTS (exit 6), which says the ids are not the same.
    assert_eq!(other.code, Some(6), "{}", other.stderr);
    let error: Value = other.json_error()?;
    assert_eq!(error["code"], "ALREADY_EXISTS");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("load the scenario into an empty system"),
        "{error}"
    );

    system.stop().await
}
