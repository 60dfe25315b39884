//! A proposal names the goals of its zone it serves: the refusals name `goal_codes` (a
//! malformed code, too many, one named twice, a goal the zone does not have or of the
//! other approach), and what was accepted reads back as it was named, in the zone's
//! projects and in the goals' `serving`, after a projection restart and a rebuild too.

use std::time::Duration;

use saman_e2e::*;
use saman_proto::intake::v1 as pb;
use tonic::Code;

on_both_backends! {
    a_proposal_names_the_goals_it_serves => goals_served;
}

/// Zone-01's goals (code, serving) and projects (id, goal codes) as of the goal date.
type Served = (Vec<(String, Vec<String>)>, Vec<(String, Vec<String>)>);

async fn served(projection: &Projection, writes: &Writes) -> anyhow::Result<Served> {
    let zone = projection
        .zone_progress("zone-01", writes.read("1397-12-29"))
        .await?;
    let goals = zone.goals.into_iter().map(|g| (g.code, g.serving));
    let projects = zone
        .projects
        .into_iter()
        .map(|p| (p.proposal_id, p.goal_codes));
    Ok((goals.collect(), projects.collect()))
}

async fn goals_served(backend: Backend) -> anyhow::Result<()> {
    let system = System::start_registered(backend, 1, 1).await?;
    let mut intake = system.intake.client().await?;
    let mut writes = Writes::default();
    let need = writes
        .submit(&mut intake, declare_need("zone-01", "m-001", "Clean water"))
        .await?;
    let serving = |codes: &[&str]| {
        altered(
            water_proposal("zone-01", vec![need.entity_id.clone()]),
            |r| {
                r.goal_codes = codes.iter().map(|c| (*c).to_owned()).collect();
            },
        )
    };
    let fifty_one: Vec<String> = (0..51).map(|i| format!("goal-{i}")).collect();
    let refusals: [(pb::SubmitProposalRequest, Code, &str); 5] = [
        (
            serving(&["Not a code!"]),
            Code::InvalidArgument,
            "goal_codes[0]",
        ),
        (
            altered(serving(&[]), |r| r.goal_codes = fifty_one),
            Code::InvalidArgument,
            "goal_codes",
        ),
        (
            serving(&["water", "water"]),
            Code::InvalidArgument,
            "goal_codes[1]",
        ),
        (
            serving(&["water", "park"]),
            Code::FailedPrecondition,
            "goal_codes[1]",
        ),
        // literacy is zone-01's social goal; the proposal is infrastructural.
        (
            serving(&["literacy"]),
            Code::FailedPrecondition,
            "goal_codes[0]",
        ),
    ];
    for (request, code, field) in refusals {
        refused(intake.submit_proposal(request).await, code, field).await;
    }

    let named = writes.submit(&mut intake, serving(&["water"])).await?;
    let unnamed = writes.submit(&mut intake, serving(&[])).await?;
    for (proposal, on) in [(&named, "1397-02-05"), (&unnamed, "1397-02-06")] {
        let approve = decision(&proposal.entity_id, pb::Decision::Approve, on);
        writes.submit(&mut intake, approve).await?;
    }

    let (named_id, unnamed_id) = (named.entity_id.clone(), unnamed.entity_id.clone());
    let expected: Served = (
        vec![
            // The proposal that named none serves every goal of its approach.
            ("water".into(), vec![named_id.clone(), unnamed_id.clone()]),
            ("literacy".into(), vec![]),
        ],
        vec![(named_id, vec!["water".into()]), (unnamed_id, vec![])],
    );
    assert_eq!(served(&system.projection, &writes).await?, expected);

    // A restart of the projection, then a rebuild from the first event: the same.
    let System {
        nats,
        intake: intake_service,
        projection,
        projection_db,
        intake_db: _intake_db,
    } = system;
    projection.stop().await?;
    let projection = Projection::start(projection_db.url(), &nats).await?;
    assert_eq!(
        served(&projection, &writes).await?,
        expected,
        "after a restart"
    );
    let head = writes.event_count() as u64;
    rebuild_caught_up(
        &mut projection.admin().await?,
        head,
        Duration::from_secs(60),
    )
    .await?;
    assert_eq!(
        served(&projection, &writes).await?,
        expected,
        "after a rebuild"
    );

    projection.stop().await?;
    intake_service.stop().await
}
