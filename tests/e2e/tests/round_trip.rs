//! Every write of the intake API round-trips: gRPC call -> event in the store ->
//! message on JetStream with the documented subject, headers and protobuf payload.

use std::time::Duration;

use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::events::v1::envelope::Body;
use saman_proto::intake::v1 as pb;

on_both_backends! {
    every_write_is_stored_and_published_with_its_subject_headers_and_payload => every_write_round_trips;
}

async fn every_write_round_trips(backend: Backend) -> anyhow::Result<()> {
    let (db, nats, intake) = intake_alone(backend).await?;
    let mut client = intake.client().await?;

    let mut replies: Vec<pb::SubmissionReply> = Vec::new();
    macro_rules! call {
        ($req:expr) => {{
            let reply = $req.submit(&mut client).await?;
            replies.push(reply.clone());
            reply
        }};
    }

    // The register, from the toolkit's requests; the dates spelled with Persian digits
    // and in ISO too.
    call!(pb::SetProgrammeDatesRequest {
        needs_deadline: "۱۳۹۷-۰۱-۳۱".into(),
        operational_start: "2018-04-21".into(),
        ..programme_dates()
    });
    call!(pb::RegisterZoneRequest {
        goals: vec![goal("water", events::Approach::Infrastructural)],
        ..zone(1)
    });
    call!(agency("water"));
    call!(approved_ngo());
    for m in 1..=2 {
        call!(ngo_member(m));
    }
    call!(pb::RevokeNgoMemberRequest {
        submission: submission(office(), "1396-12-28"),
        ngo: "ngo-01".into(),
        member: "m-002".into(),
        reason: "left the NGO".into(),
    });
    let need = call!(declare_need("zone-01", "m-001", "Clean water"));
    assert!(!need.late);
    let late_need = call!(pb::DeclareNeedRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-02-05"),
        ..declare_need("zone-01", "m-001", "A library")
    });
    assert!(
        late_need.late,
        "a need after 31 Farvardin 1397 is marked late"
    );
    let referral = call!(pb::ReferNeedRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-01-25"),
        zone: "zone-01".into(),
        need_id: need.entity_id.clone(),
        agency: "water".into(),
        note: "urgent".into(),
    });
    call!(pb::AnswerReferralRequest {
        submission: submission(officer("water"), "1397-01-28"),
        zone: "zone-01".into(),
        referral_id: referral.entity_id.clone(),
        accepted: true,
        answer: "we take it up".into(),
    });
    call!(pb::ReportSocialActivityRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-03-01"),
        zone: "zone-01".into(),
        title: "Literacy class".into(),
        description: "".into(),
        participants: 25,
        held_on: "1397-02-30".into(),
    });
    let proposal = call!(pb::SubmitProposalRequest {
        submission: submission(officer("water"), "1397-01-30"),
        title: "Water network".into(),
        budget_rials: 12_000_000_000,
        planned_start: "1397-02-01".into(),
        planned_end: "1397-12-15".into(),
        ..water_proposal("zone-01", vec![need.entity_id.clone()])
    });
    call!(pb::DecideProposalRequest {
        reason: "answers the need".into(),
        ..decision(&proposal.entity_id, pb::Decision::Approve, "1397-02-02")
    });
    let second = call!(pb::SubmitProposalRequest {
        submission: submission(officer("water"), "1397-02-10"),
        approach: events::Approach::Social as i32,
        title: "A library".into(),
        budget_rials: 900_000_000,
        planned_start: "1397-03-01".into(),
        planned_end: "1397-09-01".into(),
        ..water_proposal("zone-01", vec![late_need.entity_id.clone()])
    });
    assert!(
        second.late,
        "a proposal after 31 Farvardin 1397 is marked late"
    );
    call!(pb::DecideProposalRequest {
        reason: "no budget left this year".into(),
        ..decision(&second.entity_id, pb::Decision::Reject, "1397-02-20")
    });
    call!(pb::FileSupervisionReportRequest {
        submission: submission(supervisor(), "1397-04-01"),
        ngo: "ngo-01".into(),
        zone: "zone-01".into(),
        findings: "Needs were well documented".into(),
        rating: 4,
    });
    call!(pb::ReportProgressRequest {
        submission: submission(officer("water"), "1397-06-01"),
        zone: "zone-01".into(),
        proposal_id: proposal.entity_id.clone(),
        percent: 40,
        note: "pipes laid".into(),
        as_of: "1397-05-31".into(),
        correction: "".into(),
    });
    let completed = call!(pb::CompleteProjectRequest {
        submission: submission(officer("water"), "1397-12-10"),
        zone: "zone-01".into(),
        proposal_id: proposal.entity_id.clone(),
        completed_on: "1397-12-10".into(),
        note: "done".into(),
    });
    assert_eq!(
        completed
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["ProgressReported", "ProjectCompleted"]
    );

    let recorded: Vec<&pb::RecordedEvent> = replies.iter().flat_map(|r| &r.events).collect();
    let stored = stored_events(db.url()).await?;
    assert_eq!(
        stored.len(),
        recorded.len(),
        "one stored event per recorded event"
    );
    let messages = published(&nats, recorded.len() as u64, Duration::from_secs(10)).await?;
    assert_eq!(messages.len(), recorded.len(), "one message per event");
    assert_exactly_once_in_order(&messages);

    let mut event_types = std::collections::HashSet::new();
    for ((reply_event, stored), message) in recorded.iter().zip(&stored).zip(&messages) {
        assert_eq!(stored.event_id.to_string(), reply_event.event_id);
        let envelope = &message.envelope;
        assert_eq!(envelope.event_id, reply_event.event_id);
        assert_eq!(envelope.event_type, reply_event.event_type);
        assert_eq!(envelope.stream_version, reply_event.stream_version);
        assert_eq!(message.subject, reply_event.subject);
        assert_eq!(
            message.subject,
            format!(
                "saman.events.v1.{}.{}",
                envelope.stream_id, envelope.event_type
            )
        );
        assert_eq!(message.headers["Nats-Msg-Id"], envelope.event_id);
        assert_eq!(message.headers["Saman-Event-Type"], envelope.event_type);
        assert_eq!(message.headers["Saman-Stream-Id"], envelope.stream_id);
        assert_eq!(
            message.headers["Saman-Stream-Version"],
            envelope.stream_version.to_string()
        );
        assert_eq!(
            message.headers["Saman-Submission-Id"],
            envelope.submission_id
        );
        assert_eq!(
            message.headers["Content-Type"],
            "application/protobuf; proto=saman.events.v1.Envelope"
        );
        assert_eq!(
            stored.payload,
            prost::Message::encode_to_vec(envelope),
            "the NATS payload is the stored envelope"
        );
        // Signed by intake's key, over exactly those bytes.
        let keys = event_keys().signer().public();
        assert_eq!(
            message.headers["Saman-Key-Id"],
            event_keys().signer().key_id()
        );
        assert_eq!(
            keys.verify(
                &stored.payload,
                Some(&message.headers["Saman-Key-Id"]),
                Some(&message.headers["Saman-Signature"]),
            ),
            Ok(()),
            "the signature of event {} verifies",
            envelope.event_id
        );
        event_types.insert(envelope.event_type.clone());
    }
    assert_eq!(
        event_types.len(),
        16,
        "every event type was seen: {event_types:?}"
    );

    // The payloads carry what was submitted.
    let body = |i: usize| messages[i].envelope.body.clone().expect("a body");
    let Body::ProgrammeDatesSet(dates) = body(0) else {
        panic!("first is the dates")
    };
    assert_eq!(dates.needs_deadline.unwrap().iso, "2018-04-20");
    assert_eq!(dates.goal_date.unwrap().iso, "2019-03-20");
    let declared = messages
        .iter()
        .find(|m| m.envelope.event_type == "NeedDeclared")
        .expect("a need");
    let Some(Body::NeedDeclared(n)) = &declared.envelope.body else {
        panic!()
    };
    assert_eq!(n.need_id, need.entity_id);
    assert_eq!(n.title, "Clean water");
    assert_eq!(n.households_affected, 12);
    assert_eq!(
        declared.subject,
        "saman.events.v1.zone.zone-01.NeedDeclared"
    );
    let Some(events::actor::Kind::NgoMember(by)) = declared
        .envelope
        .actor
        .as_ref()
        .and_then(|a| a.kind.clone())
    else {
        panic!("declared by a member")
    };
    assert_eq!((by.ngo.as_str(), by.member.as_str()), ("ngo-01", "m-001"));

    intake.stop().await
}
