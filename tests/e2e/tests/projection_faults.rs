//! The projection under faults: SIGKILL mid-stream, JetStream redeliveries, an event
//! arriving twice, a malformed message, a rebuild while serving; and the progress
//! stream's latency. Where figures must be "the same", the replies of every query
//! (the zones side by side, every zone's progress and whole timeline, the summary,
//! compliance, cooperation) are compared as of several days with those of another
//! projection instance, or of the same one before the fault.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use saman_e2e::Channel;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;

on_both_backends! {
    after_sigkill_mid_stream_and_a_restart_the_read_models_equal_a_fresh_rebuild => sigkill_mid_stream;
    redelivered_messages_do_not_change_the_figures => redelivery;
    an_event_published_twice_counts_once => event_twice;
    a_malformed_message_is_parked_and_the_events_after_it_apply => malformed_message;
    the_progress_stream_delivers_an_update_within_a_second_of_a_report => watch_latency;
    a_rebuild_while_serving_gives_the_same_replies => rebuild_while_serving;
}

const ZONES: usize = 10;
/// NGO members of ngo-01 (m-001 ...), one per concurrent client.
const CLIENTS: usize = 8;
/// The days every comparison looks at.
const DAYS: [&str; 3] = ["1397-01-31", "1397-06-31", "1397-12-29"];
const CATCH_UP: Duration = Duration::from_secs(120);

/// NATS, intake (in-process) on its own database, and the programme registered:
/// dates, 10 zones, ngo-01 with 8 members, agencies water and welfare; and a database
/// for the projection under test.
struct Fixture {
    nats: NatsServer,
    intake_db: TestDb,
    intake: Intake,
    projection_db: TestDb,
}

/// A projection instance that read the whole stream from the first event on a fresh
/// database, caught up with every event and every message acknowledged.
struct Rebuilt {
    _db: TestDb,
    projection: Projection,
    status: query::ProjectionStatus,
    dumps: Vec<Dump>,
}

impl Fixture {
    async fn new(backend: Backend) -> anyhow::Result<Fixture> {
        let side = WriteSide::start(backend, ZONES, CLIENTS).await?;
        let (nats, intake_db, intake) = (side.nats, side.intake_db, side.intake);
        Ok(Fixture {
            nats,
            intake_db,
            intake,
            projection_db: TestDb::new(backend).await?,
        })
    }

    /// The projection under test as a child process on its database, with `args`.
    async fn projection_process(&self, args: &[&str]) -> anyhow::Result<ProjectionProcess> {
        let (url, nats) = (self.projection_db.url(), &self.nats);
        ProjectionProcess::start_with(url, nats, free_port(), args).await
    }

    /// The projection under test with its admin and query clients.
    async fn serving(
        &self,
    ) -> anyhow::Result<(
        Projection,
        ProjectionAdminClient<Channel>,
        ProjectionClient<Channel>,
    )> {
        let projection = self.projection().await?;
        let admin = projection.admin().await?;
        let client = projection.client().await?;
        Ok((projection, admin, client))
    }

    /// The projection under test, in-process on its database (started again after a
    /// stop, it goes on from where it was).
    async fn projection(&self) -> anyhow::Result<Projection> {
        Projection::start(self.projection_db.url(), &self.nats).await
    }

    /// Stops intake (the test has stopped its projections).
    async fn stop(self) -> anyhow::Result<()> {
        self.intake.stop().await
    }

    /// How many events intake has stored (the stream must reach as many).
    async fn stored(&self) -> anyhow::Result<u64> {
        Ok(stored_events(self.intake_db.url()).await?.len() as u64)
    }

    /// A projection instance on a fresh database of `backend`, in-process, with its
    /// own durable consumer: it reads the stream from the first event (a rebuild).
    async fn fresh_projection(
        &self,
        backend: Backend,
        consumer: &str,
    ) -> anyhow::Result<(TestDb, Projection)> {
        let db = TestDb::new(backend).await?;
        let mut config = projection_config(db.url(), &self.nats);
        config.consumer = consumer.into();
        let projection = Projection::start_with(config).await?;
        Ok((db, projection))
    }

    /// A fresh instance (consumer `fresh-rebuild`) once it has applied the stream up to
    /// `head` and acknowledged every message, with its replies.
    async fn rebuilt(&self, backend: Backend, head: u64) -> anyhow::Result<Rebuilt> {
        let (db, projection) = self.fresh_projection(backend, "fresh-rebuild").await?;
        let status = wait_caught_up(&mut projection.admin().await?, head, CATCH_UP).await?;
        wait_consumer_drained(&self.nats, "fresh-rebuild", CATCH_UP).await?;
        let dumps = dumps(&mut projection.client().await?).await?;
        Ok(Rebuilt {
            _db: db,
            projection,
            status,
            dumps,
        })
    }
}

// ---- the load --------------------------------------------------------------------------

/// A need by member `m-00<c>` of ngo-01, declared on a day of Farvardin or
/// Ordibehesht 1397 (those after 1397-01-31 are late), alternately infrastructural
/// and social.
fn need(zone: &str, client: usize, i: usize) -> pb::DeclareNeedRequest {
    let day_of_year = (client * 7 + i) % 62 + 1;
    let day = if day_of_year <= 31 {
        format!("1397-01-{day_of_year:02}")
    } else {
        format!("1397-02-{:02}", day_of_year - 31)
    };
    let approach = if i.is_multiple_of(2) {
        events::Approach::Infrastructural
    } else {
        events::Approach::Social
    };
    pb::DeclareNeedRequest {
        submission: submission(member("ngo-01", &format!("m-{:03}", client + 1)), &day),
        zone: zone.into(),
        approach: approach as i32,
        title: format!("need {client}/{i}"),
        description: String::new(),
        households_affected: u32::try_from(i % 50 + 1).unwrap(),
        priority: events::Priority::Medium as i32,
    }
}

/// `CLIENTS` concurrent clients declare `per_client` needs each, over the zones;
/// returns the need ids of each zone.
async fn declare_needs(
    client: &IntakeClient<Channel>,
    per_client: usize,
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut ids = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let zone = format!("zone-{:02}", (c + i) % ZONES + 1);
                    let reply = client.declare_need(need(&zone, c, i)).await?.into_inner();
                    ids.push((zone, reply.entity_id));
                }
                anyhow::Ok(ids)
            })
        })
        .collect();
    let mut by_zone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for task in tasks {
        for (zone, id) in task.await?? {
            by_zone.entry(zone).or_default().push(id);
        }
    }
    Ok(by_zone)
}

/// A referral of `need_id` in `zone` to `agency`, by member `m` of ngo-01 on `day`.
fn refer(zone: &str, m: &str, day: &str, need_id: &str, agency: &str) -> pb::ReferNeedRequest {
    pb::ReferNeedRequest {
        submission: submission(member("ngo-01", m), day),
        zone: zone.into(),
        need_id: need_id.into(),
        agency: agency.into(),
        note: String::new(),
    }
}

/// The last day of month `m` of 1397.
fn month_end(m: u32) -> String {
    let day = match m {
        1..=6 => 31,
        7..=11 => 30,
        _ => 29,
    };
    format!("1397-{m:02}-{day:02}")
}

/// Per zone (the zones concurrently, each zone's acts in order): a referral to water
/// answered and one to welfare left open; a water proposal and a welfare proposal
/// approved, a third rejected; monthly progress on the two projects, Tir to Esfand.
async fn run_projects(
    client: &IntakeClient<Channel>,
    needs: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<()> {
    let tasks: Vec<_> = needs
        .iter()
        .enumerate()
        .map(|(z, (zone, ids))| {
            let mut client = client.clone();
            let (zone, ids) = (zone.clone(), ids.clone());
            let z = u32::try_from(z).expect("ten zones");
            tokio::spawn(async move {
                anyhow::ensure!(ids.len() >= 3, "{zone} has {} needs", ids.len());
                let referral = client
                    .refer_need(refer(&zone, "m-001", "1397-03-01", &ids[0], "water"))
                    .await?
                    .into_inner();
                client
                    .refer_need(refer(&zone, "m-002", "1397-03-02", &ids[1], "welfare"))
                    .await?;
                client
                    .answer_referral(pb::AnswerReferralRequest {
                        submission: submission(officer("water"), &format!("1397-03-{:02}", 3 + z)),
                        zone: zone.clone(),
                        referral_id: referral.entity_id,
                        accepted: z.is_multiple_of(2),
                        answer: "answered".into(),
                    })
                    .await?;
                let mut projects = Vec::new();
                for (k, (agency, approach, approve)) in [
                    ("water", events::Approach::Infrastructural, true),
                    ("welfare", events::Approach::Social, true),
                    ("water", events::Approach::Infrastructural, false),
                ]
                .into_iter()
                .enumerate()
                {
                    let proposal = client
                        .submit_proposal(pb::SubmitProposalRequest {
                            submission: submission(
                                officer(agency),
                                &format!("1397-01-{:02}", 20 + k * 5),
                            ),
                            zone: zone.clone(),
                            need_ids: vec![ids[k].clone()],
                            approach: approach as i32,
                            title: format!("{agency} project {k}"),
                            budget_rials: 1_000_000 * (u64::from(z) + 1),
                            planned_start: "1397-02-01".into(),
                            planned_end: "1397-12-29".into(),
                            goal_codes: vec![],
                        })
                        .await?
                        .into_inner();
                    let (decision, reason) = if approve {
                        (pb::Decision::Approve, "")
                    } else {
                        (pb::Decision::Reject, "no budget")
                    };
                    client
                        .decide_proposal(pb::DecideProposalRequest {
                            submission: submission(supervisor(), "1397-02-10"),
                            zone: zone.clone(),
                            proposal_id: proposal.entity_id.clone(),
                            decision: decision as i32,
                            reason: reason.into(),
                        })
                        .await?;
                    if approve {
                        projects.push((agency, proposal.entity_id));
                    }
                }
                for m in 4..=12u32 {
                    for (p, (agency, proposal)) in projects.iter().enumerate() {
                        let percent = (m - 3) * (10 - 5 * u32::try_from(p)?) + z;
                        client
                            .report_progress(pb::ReportProgressRequest {
                                submission: submission(officer(agency), &month_end(m)),
                                zone: zone.clone(),
                                proposal_id: proposal.clone(),
                                percent,
                                note: String::new(),
                                as_of: month_end(m),
                                correction: String::new(),
                            })
                            .await?;
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Needs (`CLIENTS` x `per_client`) then the projects.
async fn busy_year(client: IntakeClient<Channel>, per_client: usize) -> anyhow::Result<()> {
    let needs = declare_needs(&client, per_client).await?;
    run_projects(&client, &needs).await
}

// ---- comparing -------------------------------------------------------------------------

async fn dumps(client: &mut ProjectionClient<Channel>) -> anyhow::Result<Vec<Dump>> {
    let mut all = Vec::new();
    for day in DAYS {
        all.push(Dump::take(client, read_as_of(day)).await?);
    }
    Ok(all)
}

fn assert_same_dumps(a: &[Dump], b: &[Dump], what: &str) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        x.assert_same(y, what);
    }
}

/// zone-01's progress as of the last day, once the projection has applied `writes`.
async fn zone_01(
    client: &mut ProjectionClient<Channel>,
    writes: &Writes,
) -> anyhow::Result<query::ZoneProgress> {
    let read = writes.read(DAYS[2]);
    let request = query::GetZoneProgressRequest {
        read,
        zone: "zone-01".into(),
    };
    Ok(client.get_zone_progress(request).await?.into_inner())
}

/// The needs the summary counts as of the last day: every need declared, once.
fn needs_counted(dumps: &[Dump]) -> u32 {
    dumps.last().map(|d| d.summary.needs).unwrap_or_default()
}

// ---- the tests -------------------------------------------------------------------------

/// 8 clients x 300 needs + 10 zones x 27 acts: about 2700 events.
const BUSY_NEEDS_PER_CLIENT: usize = 300;

async fn sigkill_mid_stream(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    // What it holds unacknowledged when killed is redelivered after the ack wait
    // (default 30 s).
    let mut projection = fixture.projection_process(&["--batch", "100"]).await?;
    let mut admin = projection.admin().await?;

    let load = tokio::spawn(busy_year(
        fixture.intake.client().await?,
        BUSY_NEEDS_PER_CLIENT,
    ));
    // Kill it while it is applying: most events applied, more on the way (late
    // enough that the restarted process catches up with the rest well within the
    // ack wait, before JetStream redelivers what the killed one held).
    let deadline = Instant::now() + Duration::from_secs(90);
    let at_kill = loop {
        let s = status(&mut admin).await?;
        if s.position >= 1500 && s.lag > 0 {
            break s;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the projection applied only {} events in 90 s (or never lagged)",
            s.position
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    projection.kill().await?;
    // Restarted at once (as a supervisor would), on the same read models and the same
    // durable consumer, while the load goes on.
    let restarted = fixture.projection_process(&[]).await?;
    load.await??;
    let total = fixture.stored().await?;
    eprintln!(
        "[{backend}] SIGKILL at position {} (head {}); {total} events in all",
        at_kill.position, at_kill.head
    );
    assert!(
        at_kill.position < total,
        "the kill happened mid-stream ({} of {total})",
        at_kill.position
    );
    let mut admin = restarted.admin().await?;
    let mut client = restarted.client().await?;
    let at_lag_0 = wait_caught_up(&mut admin, total, CATCH_UP).await?;
    let lag_0_dumps = dumps(&mut client).await?;
    // Everything delivered and acknowledged, including what the killed process held.
    let lag_0_at = Instant::now();
    let consumer = ProjectionConfig::new("", "").consumer;
    wait_consumer_drained(nats, &consumer, CATCH_UP).await?;
    eprintln!(
        "[{backend}] lag 0 at position {}; every message acknowledged {:?} later",
        at_lag_0.position,
        lag_0_at.elapsed()
    );
    let restarted_status = status(&mut admin).await?;
    assert_eq!(
        restarted_status.parked, 0,
        "nothing parked: {restarted_status:?}"
    );
    let restarted_dumps = dumps(&mut client).await?;

    // A fresh instance reads the whole stream from the first event.
    let fresh = fixture.rebuilt(backend, total).await?;
    assert_eq!(fresh.status.position, restarted_status.position);

    // Exactly once: the restarted read models equal the rebuilt ones.
    assert_same_dumps(
        &restarted_dumps,
        &fresh.dumps,
        "restarted after SIGKILL (all acknowledged) vs fresh rebuild",
    );
    assert_eq!(
        needs_counted(&restarted_dumps),
        u32::try_from(CLIENTS * BUSY_NEEDS_PER_CLIENT)?,
        "every need counted once"
    );
    // And when the restarted projection said it had caught up (lag 0, position =
    // head), it had: no event below its position was still to come.
    assert_eq!(
        needs_counted(&lag_0_dumps),
        u32::try_from(CLIENTS * BUSY_NEEDS_PER_CLIENT)?,
        "GetStatus said lag 0 (position {} = head {}), yet the summary did not count every \
         need: what the killed process held unacknowledged (around position {}) was still \
         to be redelivered by JetStream, after the ack wait",
        at_lag_0.position,
        at_lag_0.head,
        at_kill.position
    );
    assert_same_dumps(
        &lag_0_dumps,
        &restarted_dumps,
        &format!(
            "the restarted projection's replies when GetStatus said lag 0 at position {} \
             (head {}) vs once JetStream had redelivered what the killed process held",
            at_lag_0.position, at_lag_0.head
        ),
    );
    fresh.projection.stop().await?;
    fixture.stop().await
}

async fn redelivery(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    // A short ack wait: whatever is not acknowledged within 200 ms is delivered again.
    let projection = fixture.projection_process(&["--ack-wait", "200ms"]).await?;
    let mut admin = projection.admin().await?;
    let mut client = projection.client().await?;

    let load = tokio::spawn(busy_year(fixture.intake.client().await?, 150));
    // Freeze the projection three times while it holds unacknowledged messages, for
    // longer than the ack wait: JetStream redelivers them, and on SIGCONT the
    // projection gets each twice.
    for threshold in [200, 600, 1000] {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = status(&mut admin).await?;
            if s.position >= threshold {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the projection applied only {} events in 60 s",
                s.position
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        projection.signal(Signal::SIGSTOP)?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        projection.signal(Signal::SIGCONT)?;
    }
    load.await??;
    let total = fixture.stored().await?;
    let at_lag_0 = wait_caught_up(&mut admin, total, CATCH_UP).await?;
    let lag_0_dumps = dumps(&mut client).await?;
    let consumer_name = ProjectionConfig::new("", "").consumer;
    wait_consumer_drained(nats, &consumer_name, CATCH_UP).await?;
    let drained = status(&mut admin).await?;
    assert_eq!(drained.parked, 0, "nothing parked: {drained:?}");

    // JetStream did redeliver: its consumer sequence counts every delivery.
    let js = async_nats::jetstream::new(nats.connect(NatsUser::Projection).await?);
    let mut consumer: async_nats::jetstream::consumer::PullConsumer = js
        .get_stream(STREAM)
        .await?
        .get_consumer(&consumer_name)
        .await
        .map_err(|e| anyhow::anyhow!("the projection's consumer: {e}"))?;
    let info = consumer.info().await?.clone();
    eprintln!(
        "[{backend}] {} deliveries of {} messages",
        info.delivered.consumer_sequence, info.delivered.stream_sequence
    );
    assert!(
        info.delivered.consumer_sequence > info.delivered.stream_sequence,
        "the test made JetStream redeliver: {:?}",
        info.delivered
    );

    let fresh = fixture.rebuilt(backend, total).await?;
    let redelivered = dumps(&mut client).await?;
    assert_same_dumps(
        &redelivered,
        &fresh.dumps,
        "after redeliveries vs fresh rebuild",
    );
    assert_eq!(needs_counted(&redelivered), u32::try_from(CLIENTS * 150)?);
    assert_same_dumps(
        &lag_0_dumps,
        &redelivered,
        &format!(
            "replies when GetStatus said lag 0 at position {} vs once every message was \
             acknowledged",
            at_lag_0.position
        ),
    );
    fresh.projection.stop().await?;
    fixture.stop().await
}

async fn event_twice(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    let (projection, mut admin, mut client) = fixture.serving().await?;
    busy_year(fixture.intake.client().await?, 10).await?;
    let total = fixture.stored().await?;
    wait_caught_up(&mut admin, total, CATCH_UP).await?;
    let before = dumps(&mut client).await?;

    // Copies of published events, by hand: same subject, same payload and headers,
    // no Nats-Msg-Id (so JetStream's duplicate window does not catch them).
    // (The copies carry intake's signature headers with the same payload: they verify.)
    let messages = published(nats, total, Duration::from_secs(30)).await?;
    let mut copied = Vec::new();
    for event_type in [
        "NeedDeclared",
        "NeedReferred",
        "ReferralAnswered",
        "ProposalSubmitted",
        "ProposalApproved",
        "ProposalRejected",
        "ProgressReported",
        "NgoMemberApproved",
        "ZoneRegistered",
        "ProgrammeDatesSet",
    ] {
        // The last of its type, and for needs and progress the first one too.
        let of_type: Vec<&Published> = messages
            .iter()
            .filter(|m| m.envelope.event_type == event_type)
            .collect();
        anyhow::ensure!(!of_type.is_empty(), "no {event_type} on the stream");
        let mut picks = vec![*of_type.last().unwrap()];
        if matches!(event_type, "NeedDeclared" | "ProgressReported") {
            picks.push(of_type[0]);
        }
        for m in picks {
            let mut headers = async_nats::HeaderMap::new();
            for (name, value) in &m.headers {
                if !name.eq_ignore_ascii_case("Nats-Msg-Id") {
                    headers.insert(name.as_str(), value.as_str());
                }
            }
            let payload = prost::Message::encode_to_vec(&m.envelope);
            let ack = publish_directly(nats, m.subject.clone(), headers, payload).await?;
            anyhow::ensure!(
                ack.sequence > total && !ack.duplicate,
                "the copy of {} was stored as a new message: {ack:?}",
                m.sequence
            );
            copied.push((m.sequence, ack.sequence));
        }
    }
    let head = stream_head(nats).await?;
    let caught_up = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!(caught_up.position, head);
    assert_eq!(
        caught_up.parked, 0,
        "a copy of an applied event is skipped, not parked: {caught_up:?}"
    );
    let after = dumps(&mut client).await?;
    assert_same_dumps(
        &before,
        &after,
        &format!("before vs after {} events published twice", copied.len()),
    );

    // The same after a restart (the dedupe survives it) and for a fresh instance.
    projection.stop().await?;
    let projection = fixture.projection().await?;
    wait_caught_up(&mut projection.admin().await?, head, CATCH_UP).await?;
    let restarted = dumps(&mut projection.client().await?).await?;
    assert_same_dumps(&before, &restarted, "before vs restarted after the copies");
    let fresh = fixture.rebuilt(backend, head).await?;
    assert_same_dumps(
        &before,
        &fresh.dumps,
        "before vs a fresh rebuild with the copies",
    );
    fresh.projection.stop().await?;
    projection.stop().await?;
    fixture.stop().await
}

async fn malformed_message(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    let (projection, mut admin, mut client) = fixture.serving().await?;
    let mut intake = fixture.intake.client().await?;
    let first = intake
        .declare_need(declare_need("zone-01", "m-001", "before the garbage"))
        .await?
        .into_inner();
    let mut writes = Writes::default();
    writes.record(&first);
    let before = zone_01(&mut client, &writes).await?;
    assert_eq!(before.needs.as_ref().map(|n| n.total), Some(1));

    // Garbage on a subject the projection reads, signed with intake's key (so that it
    // is the decoding that parks it).
    let subject = "saman.events.v1.zone.zone-01.NeedDeclared";
    let garbage: &[u8] = b"\xff\xff\xff\xff not an Envelope \x00\x01";
    let ack = publish_directly(nats, subject.into(), signed(garbage), garbage.to_vec()).await?;
    let garbage_position = ack.sequence;

    // The events after it apply.
    let second = intake
        .declare_need(declare_need("zone-01", "m-002", "after the garbage"))
        .await?
        .into_inner();
    writes.record(&second);
    let after = zone_01(&mut client, &writes).await?;
    assert_eq!(
        after.needs.as_ref().map(|n| n.total),
        Some(2),
        "the need declared after the garbage is counted"
    );
    let position = after.reflects.as_ref().map(|r| r.position).unwrap_or(0);
    assert!(
        position > garbage_position,
        "the reply reflects a position past the garbage ({position} <= {garbage_position})"
    );

    // Parked, with the reason, visible to operators.
    let parked = admin
        .list_parked(query::ListParkedRequest {})
        .await?
        .into_inner()
        .events;
    assert_eq!(parked.len(), 1, "one parked event: {parked:?}");
    let p = &parked[0];
    assert_eq!(p.position, garbage_position);
    assert_eq!(p.subject, subject);
    assert!(!p.reason.trim().is_empty(), "a reason: {p:?}");
    assert!(p.parked_at.is_some(), "when: {p:?}");
    let head = stream_head(nats).await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!(s.parked, 1, "{s:?}");
    eprintln!("[{backend}] parked: {}", p.reason);

    // A restart neither loses the parked event nor parks it twice.
    projection.stop().await?;
    let projection = fixture.projection().await?;
    let mut admin = projection.admin().await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!(s.parked, 1, "after a restart: {s:?}");
    projection.stop().await?;
    fixture.stop().await
}

async fn watch_latency(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let projection = fixture.projection().await?;
    let mut client = projection.client().await?;
    let mut intake = fixture.intake.client().await?;
    let mut writes = Writes::default();

    // zone-01: a need, a water proposal approved: a project at 0%.
    let need = intake
        .declare_need(declare_need("zone-01", "m-001", "Water network"))
        .await?
        .into_inner();
    writes.record(&need);
    let proposal = intake
        .submit_proposal(pb::SubmitProposalRequest {
            budget_rials: 1_000_000,
            planned_start: "1397-02-01".into(),
            planned_end: "1397-12-29".into(),
            ..water_proposal("zone-01", vec![need.entity_id.clone()])
        })
        .await?
        .into_inner();
    writes.record(&proposal);
    let approved = intake
        .decide_proposal(pb::DecideProposalRequest {
            submission: submission(supervisor(), "1397-01-28"),
            zone: "zone-01".into(),
            proposal_id: proposal.entity_id.clone(),
            decision: pb::Decision::Approve as i32,
            reason: String::new(),
        })
        .await?
        .into_inner();
    writes.record(&approved);
    // Wait until the projection has the project, then watch.
    zone_01(&mut client, &writes).await?;
    let mut stream = client
        .watch_zone_progress(query::WatchZoneProgressRequest {
            zone: "zone-01".into(),
            as_of: "1397-12-29".into(),
        })
        .await?
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await??
        .expect("the zone's progress now");
    assert_eq!(
        first.projects.first().map(|p| p.percent),
        Some(0),
        "{first:?}"
    );

    let mut worst = Duration::ZERO;
    for (k, month) in (1..=6u32).zip(2..=7u32) {
        let percent = 10 * k;
        let started = Instant::now();
        intake
            .report_progress(pb::ReportProgressRequest {
                submission: submission(officer("water"), &month_end(month)),
                zone: "zone-01".into(),
                proposal_id: proposal.entity_id.clone(),
                percent,
                note: String::new(),
                as_of: month_end(month),
                correction: String::new(),
            })
            .await?;
        let update = loop {
            let next = tokio::time::timeout(Duration::from_secs(5), stream.message())
                .await
                .map_err(|_| {
                    anyhow::anyhow!("no update with {percent}% within 5 s of the report")
                })??
                .expect("the stream stays open");
            if next.projects.first().map(|p| p.percent) == Some(percent) {
                break next;
            }
        };
        let elapsed = started.elapsed();
        worst = worst.max(elapsed);
        assert!(
            elapsed < Duration::from_secs(1),
            "the update with {percent}% came {elapsed:?} after the submission"
        );
        assert_eq!(
            update.progress.as_ref().map(|p| p.infrastructural),
            Some(f64::from(percent))
        );
    }
    eprintln!("[{backend}] slowest progress update: {worst:?} after the submission");
    projection.stop().await?;
    fixture.stop().await
}

async fn rebuild_while_serving(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let (projection, mut admin, mut client) = fixture.serving().await?;
    busy_year(fixture.intake.client().await?, 100).await?;
    let total = fixture.stored().await?;
    let before_status = wait_caught_up(&mut admin, total, CATCH_UP).await?;
    let before = dumps(&mut client).await?;

    let generation = admin
        .rebuild(query::RebuildRequest {})
        .await?
        .into_inner()
        .generation;
    assert!(
        generation > before_status.generation,
        "the rebuild fills a new generation ({generation} after {})",
        before_status.generation
    );
    // It keeps serving while it rebuilds: the same answers as before.
    let summary_before = &before.last().unwrap().summary;
    let deadline = Instant::now() + CATCH_UP;
    let mut queries_during_rebuild = 0;
    loop {
        let s = status(&mut admin).await?;
        if s.generation == generation && s.rebuild_position.is_none() {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the rebuild has not finished in {CATCH_UP:?}: {s:?}"
        );
        let mut summary = client
            .get_programme_summary(query::GetProgrammeSummaryRequest {
                read: read_as_of(DAYS[2]),
            })
            .await?
            .into_inner();
        summary.reflects = None;
        assert_eq!(&summary, summary_before, "served during the rebuild");
        queries_during_rebuild += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after_status = wait_caught_up(&mut admin, total, CATCH_UP).await?;
    assert_eq!(after_status.generation, generation, "{after_status:?}");
    assert_eq!(after_status.lag, 0);
    assert_eq!(after_status.position, before_status.position);
    eprintln!("[{backend}] {queries_during_rebuild} queries answered during the rebuild");
    let after = dumps(&mut client).await?;
    assert_same_dumps(&before, &after, "before vs after the rebuild");

    // A second rebuild while needs keep coming: none is lost in the switch.
    let second = admin
        .rebuild(query::RebuildRequest {})
        .await?
        .into_inner()
        .generation;
    assert!(second > generation);
    let mut intake = fixture.intake.client().await?;
    let mut writes = Writes::default();
    for i in 0..40 {
        let reply = intake
            .declare_need(declare_need(
                &format!("zone-{:02}", i % ZONES + 1),
                "m-001",
                &format!("during the rebuild {i}"),
            ))
            .await?
            .into_inner();
        writes.record(&reply);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_rebuilt(&mut admin, second, CATCH_UP, "the second rebuild").await?;
    let summary = client
        .get_programme_summary(query::GetProgrammeSummaryRequest {
            read: writes.read(DAYS[2]),
        })
        .await?
        .into_inner();
    assert_eq!(
        summary.needs,
        summary_before.needs + 40,
        "the 40 needs declared during the second rebuild are counted once"
    );
    projection.stop().await?;
    fixture.stop().await
}
