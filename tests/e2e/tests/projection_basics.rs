//! The projection's basic contract: a client reads its own write through the `after`
//! header, and a query names the position it reflects.

use saman_e2e::*;

on_both_backends! {
    a_client_reads_its_own_write_through_the_after_header => reads_its_own_write;
}

async fn reads_its_own_write(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    let (reply, progress) = system.one_need("Clean water").await?;
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

    system.stop().await
}
