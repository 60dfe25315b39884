//! The projection's basic contract: a client reads its own write through the `after`
//! header, and a query names the position it reflects.

use saman_e2e::*;
use saman_proto::projection::v1 as read;

on_both_backends! {
    a_client_reads_its_own_write_through_the_after_header => reads_its_own_write;
}

async fn reads_its_own_write(backend: Backend) -> anyhow::Result<()> {
    let intake_db = TestDb::new(backend).await?;
    let projection_db = TestDb::new(backend).await?;
    let nats = NatsServer::start().await?;
    let intake = Intake::start(intake_db.url(), &nats.url()).await?;
    wait_serving(intake.addr).await?;
    let projection = Projection::start(projection_db.url(), &nats.url()).await?;
    let mut client = intake.client().await?;
    register_programme(&mut client, 2, 1).await?;
    let reply = client
        .declare_need(declare_need("zone-01", "m-001", "Clean water"))
        .await?
        .into_inner();

    let progress = projection
        .client()
        .await?
        .get_zone_progress(read::GetZoneProgressRequest {
            read: Some(read::Read {
                as_of: "1397-01-31".into(),
                after: vec![read::StreamVersion {
                    stream_id: reply.stream_id.clone(),
                    version: reply.stream_version,
                }],
                ..Default::default()
            }),
            zone: "zone-01".into(),
        })
        .await?
        .into_inner();
    let needs = progress.needs.expect("needs");
    assert_eq!(needs.total, 1);
    assert_eq!(needs.social, 1);
    assert_eq!(needs.on_time, 1);
    assert_eq!(progress.unanswered_needs.len(), 1);
    assert_eq!(progress.unanswered_needs[0].need_id, reply.entity_id);
    let reflects = progress.reflects.expect("reflects");
    assert!(reflects.position > 0);
    assert_eq!(reflects.as_of.expect("as of").iso, "2018-04-20");
    assert_eq!(progress.name.expect("names").fa, "منطقه 1");

    projection.stop().await?;
    intake.stop().await?;
    Ok(())
}
