//! The programme's rules, each as given events / when a command / then events or an
//! error.

use jiff::Timestamp;
use saman_domain::command::{self, Decision, Meta};
use saman_domain::event::{
    AgencyRegistered, Goal, NeedDeclared, NeedReferred, NgoApproved, NgoMemberApproved,
    NgoMemberRevoked, ProgrammeDates, ProgressReported, ProjectCompleted, ProposalApproved,
    ProposalSubmitted, ReferralAnswered, ZoneRegistered,
};
use saman_domain::time::{Attestation, TimeTrust, Vouch};
use saman_domain::values::*;
use saman_domain::{Actor, Command, CommandBody, Day, DomainError, Event, StreamId, World};
use uuid::Uuid;

// ---- a tiny given / when / then framework -------------------------------------------

struct Given {
    world: World,
}

/// When the given events happened: before every act the tests decide.
const HISTORY_AT: &str = "2018-03-21T10:00:00Z";

fn given(history: Vec<(StreamId, Event)>) -> Given {
    let mut world = World::new();
    for (stream, event) in history {
        let version = world.version(&stream) + 1;
        world
            .apply(&stream, version, instant(HISTORY_AT), &event)
            .expect("a valid history");
    }
    Given { world }
}

impl Given {
    /// Decides `body` by `actor` at `at`, with "now" an hour later.
    fn when(&self, actor: Actor, at: &str, body: CommandBody) -> Result<Vec<Event>, DomainError> {
        self.when_command(command(actor, at, body), at)
    }

    fn when_command(&self, command: Command, at: &str) -> Result<Vec<Event>, DomainError> {
        let now = instant(at) + jiff::SignedDuration::from_hours(1);
        self.world
            .decide(&command, now)
            .map(|decided| decided.events)
    }
}

fn command(actor: Actor, at: &str, body: CommandBody) -> Command {
    Command {
        meta: Meta {
            submission: SubmissionId(Uuid::now_v7()),
            actor,
            principal: None,
            expected_version: None,
            occurred_at: instant(at),
            // Received when it claims: the claim and the receipt agree.
            received_at: instant(at),
            vouch: Vouch::Unvouched,
        },
        body,
    }
}

fn instant(at: &str) -> Timestamp {
    saman_domain::calendar::parse_instant(at).unwrap()
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn text(s: &str) -> Text {
    Text::optional(s, Text::LONG).unwrap()
}

fn names(fa: &str, en: &str) -> Names {
    Names {
        fa: text(fa),
        en: text(en),
    }
}

fn zone(code: &str) -> ZoneCode {
    ZoneCode::parse(code).unwrap()
}

fn ngo(code: &str) -> NgoCode {
    NgoCode::parse(code).unwrap()
}

fn agency(code: &str) -> AgencyCode {
    AgencyCode::parse(code).unwrap()
}

fn member(code: &str) -> MemberCode {
    MemberCode::parse(code).unwrap()
}

fn office() -> Actor {
    Actor::ProgrammeOffice {
        user: text("office"),
    }
}

fn supervisor() -> Actor {
    Actor::CountySupervisor {
        user: text("supervisor"),
    }
}

fn ngo_member(n: &str, m: &str) -> Actor {
    Actor::NgoMember {
        ngo: ngo(n),
        member: member(m),
    }
}

fn officer(a: &str) -> Actor {
    Actor::AgencyOfficer {
        agency: agency(a),
        user: text("officer"),
    }
}

fn goal(code: &str, approach: Approach) -> Goal {
    Goal {
        code: GoalCode::parse(code).unwrap(),
        approach,
        title: names("هدف", "Goal"),
        weight: Weight::parse(1).unwrap(),
    }
}

fn dates_1397() -> ProgrammeDates {
    ProgrammeDates {
        needs_deadline: day("1397-01-31"),
        proposals_deadline: day("1397-01-31"),
        operational_start: day("1397-02-01"),
        goal_date: day("1397-12-29"),
    }
}

const NEED: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
const OTHER_NEED: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
const PROPOSAL: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);
const REFERRAL: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0004);

fn zone_stream(code: &str) -> StreamId {
    StreamId::Zone(zone(code))
}

/// The programme as registered: dates, two zones, one NGO with an approved member
/// (m-001) and a revoked one (m-002), two agencies.
fn registered() -> Vec<(StreamId, Event)> {
    let mut history = vec![(StreamId::Programme, Event::ProgrammeDatesSet(dates_1397()))];
    for code in ["zone-01", "zone-02"] {
        history.push((
            zone_stream(code),
            Event::ZoneRegistered(ZoneRegistered {
                code: zone(code),
                name: names("منطقه", "Zone"),
                goals: vec![goal("water", Approach::Infrastructural)],
            }),
        ));
    }
    history.push((
        StreamId::Ngo(ngo("ngo-01")),
        Event::NgoApproved(NgoApproved {
            code: ngo("ngo-01"),
            name: names("سمن یک", "NGO One"),
            ministry_approval_ref: text("MOI-1"),
        }),
    ));
    for m in ["m-001", "m-002"] {
        history.push((
            StreamId::Ngo(ngo("ngo-01")),
            Event::NgoMemberApproved(NgoMemberApproved {
                ngo: ngo("ngo-01"),
                member: member(m),
                full_name: text("Member"),
            }),
        ));
    }
    history.push((
        StreamId::Ngo(ngo("ngo-01")),
        Event::NgoMemberRevoked(NgoMemberRevoked {
            ngo: ngo("ngo-01"),
            member: member("m-002"),
            reason: text("left"),
        }),
    ));
    for a in ["water", "welfare"] {
        history.push((
            StreamId::Agency(agency(a)),
            Event::AgencyRegistered(AgencyRegistered {
                code: agency(a),
                name: names("دستگاه", "Agency"),
            }),
        ));
    }
    history
}

fn need_declared(id: Uuid, in_zone: &str) -> (StreamId, Event) {
    (
        zone_stream(in_zone),
        Event::NeedDeclared(NeedDeclared {
            need: NeedId(id),
            zone: zone(in_zone),
            ngo: ngo("ngo-01"),
            member: member("m-001"),
            approach: Approach::Infrastructural,
            title: text("Water pipes"),
            description: text(""),
            households_affected: Count::parse(40).unwrap(),
            priority: Priority::High,
            late: false,
        }),
    )
}

fn proposal_submitted() -> (StreamId, Event) {
    (
        zone_stream("zone-01"),
        Event::ProposalSubmitted(ProposalSubmitted {
            proposal: ProposalId(PROPOSAL),
            zone: zone("zone-01"),
            agency: agency("water"),
            needs: vec![NeedId(NEED)],
            approach: Approach::Infrastructural,
            title: text("New pipes"),
            budget: Rials::parse(5_000_000_000).unwrap(),
            planned_start: day("1397-02-01"),
            planned_end: day("1397-12-01"),
            late: false,
            goals: vec![],
        }),
    )
}

fn approved() -> (StreamId, Event) {
    (
        zone_stream("zone-01"),
        Event::ProposalApproved(ProposalApproved {
            proposal: ProposalId(PROPOSAL),
            zone: zone("zone-01"),
            reason: text(""),
        }),
    )
}

fn progress(percent: u32) -> (StreamId, Event) {
    (
        zone_stream("zone-01"),
        Event::ProgressReported(ProgressReported {
            proposal: ProposalId(PROPOSAL),
            zone: zone("zone-01"),
            percent: Percent::parse(percent).unwrap(),
            note: text(""),
            as_of: day("1397-05-01"),
            correction: text(""),
        }),
    )
}

fn with(
    mut history: Vec<(StreamId, Event)>,
    more: Vec<(StreamId, Event)>,
) -> Vec<(StreamId, Event)> {
    history.extend(more);
    history
}

/// The register, `NEED` declared in zone-01, then `more`.
fn with_need(more: Vec<(StreamId, Event)>) -> Vec<(StreamId, Event)> {
    with(
        with(registered(), vec![need_declared(NEED, "zone-01")]),
        more,
    )
}

/// `history`, then `events` recorded on zone-01's stream (what a command just decided).
fn with_zone_01_events(
    history: Vec<(StreamId, Event)>,
    events: Vec<Event>,
) -> Vec<(StreamId, Event)> {
    let stream = zone_stream("zone-01");
    with(
        history,
        events.into_iter().map(|e| (stream.clone(), e)).collect(),
    )
}

fn declare_need(in_zone: &str) -> CommandBody {
    CommandBody::DeclareNeed(command::DeclareNeed {
        zone: zone(in_zone),
        approach: Approach::Social,
        title: text("Literacy classes"),
        description: text("For 30 women"),
        households_affected: Count::parse(30).unwrap(),
        priority: Priority::Medium,
    })
}

fn report_progress(percent: u32, correction: &str) -> CommandBody {
    CommandBody::ReportProgress(command::ReportProgress {
        zone: zone("zone-01"),
        proposal: ProposalId(PROPOSAL),
        percent: Percent::parse(percent).unwrap(),
        note: text("pipes laid"),
        // Before the reports the tests make (1397-03-11 and later), after the approval.
        as_of: Some(day("1397-03-01")),
        correction: text(correction),
    })
}

fn is_late(events: &[Event]) -> bool {
    match events {
        [Event::NeedDeclared(NeedDeclared { late, .. })]
        | [Event::ProposalSubmitted(ProposalSubmitted { late, .. })] => *late,
        other => panic!("unexpected events {other:?}"),
    }
}

fn field_of(result: Result<Vec<Event>, DomainError>) -> (String, DomainError) {
    let err = result.expect_err("the command should have been refused");
    (err.field().to_owned(), err)
}

/// The name of `err`'s variant, for tables of refusals.
fn kind_of(err: &DomainError) -> &'static str {
    match err {
        DomainError::Invalid { .. } => "Invalid",
        DomainError::NotFound { .. } => "NotFound",
        DomainError::AlreadyExists { .. } => "AlreadyExists",
        DomainError::Rule { .. } => "Rule",
        DomainError::PermissionDenied { .. } => "PermissionDenied",
        DomainError::VersionConflict { .. } => "VersionConflict",
    }
}

/// Asserts that `result` is a refusal of the kind `kind` (as [`kind_of`] names it).
#[track_caller]
fn assert_refused_as(result: Result<Vec<Event>, DomainError>, kind: &str) {
    let err = result.expect_err("the command should have been refused");
    assert_eq!(kind_of(&err), kind, "{err:?}");
}

/// Asserts that `result` is a refusal of the kind `kind` naming `field`.
#[track_caller]
fn assert_refused(result: Result<Vec<Event>, DomainError>, kind: &str, field: &str) {
    let err = result.expect_err("the command should have been refused");
    assert_eq!(kind_of(&err), kind, "{err:?}");
    assert_eq!(err.field(), field, "the field {err:?} names");
}

// ---- registration ---------------------------------------------------------------------

#[test]
fn the_programme_office_registers_a_zone_with_its_goals() {
    let events = given(vec![])
        .when(
            office(),
            "2018-03-18T10:00:00+03:30",
            CommandBody::RegisterZone(ZoneRegistered {
                code: zone("zone-03"),
                name: names("منطقه ۳", "Zone 03"),
                goals: vec![
                    goal("water", Approach::Infrastructural),
                    goal("school", Approach::Social),
                ],
            }),
        )
        .unwrap();
    assert!(
        matches!(&events[..], [Event::ZoneRegistered(ZoneRegistered { code, goals, .. })] if code.as_str() == "zone-03" && goals.len() == 2)
    );
}

#[test]
fn only_the_programme_office_registers_zones() {
    assert_refused(
        given(vec![]).when(
            ngo_member("ngo-01", "m-001"),
            "2018-03-18T10:00:00+03:30",
            CommandBody::RegisterZone(ZoneRegistered {
                code: zone("zone-03"),
                name: names("منطقه ۳", "Zone 03"),
                goals: vec![goal("water", Approach::Infrastructural)],
            }),
        ),
        "PermissionDenied",
        "submission.actor",
    );
}

#[test]
fn a_zone_is_registered_once() {
    let err = given(registered())
        .when(
            office(),
            "2018-03-18T10:00:00+03:30",
            CommandBody::RegisterZone(ZoneRegistered {
                code: zone("zone-01"),
                name: names("منطقه", "Zone"),
                goals: vec![goal("water", Approach::Infrastructural)],
            }),
        )
        .unwrap_err();
    assert!(matches!(err, DomainError::AlreadyExists { .. }), "{err:?}");
}

#[test]
fn a_zone_without_goals_or_with_a_goal_twice_is_refused() {
    let register = |goals| {
        CommandBody::RegisterZone(ZoneRegistered {
            code: zone("zone-09"),
            name: names("منطقه", "Zone"),
            goals,
        })
    };
    let (field, _) =
        field_of(given(vec![]).when(office(), "2018-03-18T10:00:00Z", register(vec![])));
    assert_eq!(field, "goals");
    let twice = vec![
        goal("water", Approach::Infrastructural),
        goal("water", Approach::Social),
    ];
    let (field, _) =
        field_of(given(vec![]).when(office(), "2018-03-18T10:00:00Z", register(twice)));
    assert_eq!(field, "goals[1].code");
}

#[test]
fn programme_dates_must_be_in_order() {
    let mut dates = dates_1397();
    dates.goal_date = day("1397-01-15");
    assert_refused(
        given(vec![]).when(
            office(),
            "2018-03-18T10:00:00Z",
            CommandBody::SetProgrammeDates(dates),
        ),
        "Invalid",
        "goal_date",
    );
}

fn approve_member(m: &str) -> CommandBody {
    CommandBody::ApproveNgoMember(NgoMemberApproved {
        ngo: ngo("ngo-01"),
        member: member(m),
        full_name: text("Member"),
    })
}

#[test]
fn a_member_is_approved_once_and_revoked_once() {
    let revoke = CommandBody::RevokeNgoMember(NgoMemberRevoked {
        ngo: ngo("ngo-01"),
        member: member("m-002"),
        reason: text("again"),
    });
    for (case, body) in [
        ("m-001 approved again", approve_member("m-001")),
        ("m-002 revoked again", revoke),
    ] {
        let err = given(registered())
            .when(office(), "2018-03-18T10:00:00Z", body)
            .expect_err(case);
        assert_eq!(kind_of(&err), "Rule", "{case}: {err:?}");
    }
}

#[test]
fn a_revoked_member_can_be_approved_again() {
    let events = given(registered())
        .when(office(), "2018-03-18T10:00:00Z", approve_member("m-002"))
        .unwrap();
    assert!(matches!(&events[..], [Event::NgoMemberApproved(_)]));
}

#[test]
fn members_are_approved_only_in_recorded_ngos() {
    assert_refused(
        given(registered()).when(
            office(),
            "2018-03-18T10:00:00Z",
            CommandBody::ApproveNgoMember(NgoMemberApproved {
                ngo: ngo("ngo-77"),
                member: member("m-001"),
                full_name: text("Member"),
            }),
        ),
        "NotFound",
        "ngo",
    );
}

// ---- needs ------------------------------------------------------------------------------

#[test]
fn a_need_declared_by_the_end_of_31_farvardin_in_tehran_is_on_time() {
    // 23:59 on 31 Farvardin 1397 in Tehran, which kept daylight saving time (+04:30).
    let events = given(registered())
        .when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-20T19:29:00Z",
            declare_need("zone-01"),
        )
        .unwrap();
    assert!(!is_late(&events));
}

#[test]
fn a_need_declared_after_31_farvardin_in_tehran_is_recorded_and_marked_late() {
    // 00:00:30 on 1 Ordibehesht in Tehran, though still 20 April in UTC.
    let events = given(registered())
        .when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-20T19:30:30Z",
            declare_need("zone-01"),
        )
        .unwrap();
    assert!(is_late(&events));
}

/// A need received on 1 Ordibehesht (after the deadline) that claims 30 Farvardin.
fn backdated_need(attestation: Option<Attestation>, trust: TimeTrust) -> Command {
    let mut cmd = command(
        ngo_member("ngo-01", "m-001"),
        "2018-04-19T10:00:00Z",
        declare_need("zone-01"),
    );
    cmd.meta.received_at = instant("2018-04-22T10:00:00Z");
    cmd.meta.vouch = trust.vouch(cmd.meta.occurred_at, cmd.meta.received_at, attestation);
    cmd
}

#[test]
fn a_need_received_after_the_deadline_is_late_whatever_earlier_time_it_claims() {
    let cmd = backdated_need(None, TimeTrust::default());
    assert_eq!(cmd.meta.vouch, Vouch::Unvouched);
    let events = given(registered())
        .when_command(cmd, "2018-04-22T10:00:00Z")
        .unwrap();
    assert!(is_late(&events));
}

#[test]
fn a_backdated_need_is_on_time_when_within_the_tolerance_attested_or_trusted() {
    let wide = TimeTrust {
        tolerance: jiff::SignedDuration::from_hours(96),
        trust_claimed: false,
    };
    let attested = Attestation {
        attester: office(),
        principal: None,
        reason: text("paper form dated 30 Farvardin"),
    };
    let trusted = TimeTrust {
        trust_claimed: true,
        ..TimeTrust::default()
    };
    for cmd in [
        backdated_need(None, wide),
        backdated_need(Some(attested), TimeTrust::default()),
        backdated_need(None, trusted),
    ] {
        let vouch = cmd.meta.vouch.clone();
        let events = given(registered())
            .when_command(cmd, "2018-04-22T10:00:00Z")
            .unwrap();
        assert!(!is_late(&events), "{vouch:?}");
    }
}

#[test]
fn the_need_id_is_the_submission_id() {
    let cmd = command(
        ngo_member("ngo-01", "m-001"),
        "2018-04-01T10:00:00Z",
        declare_need("zone-01"),
    );
    let submission = cmd.meta.submission.0;
    let events = given(registered())
        .when_command(cmd, "2018-04-01T10:00:00Z")
        .unwrap();
    assert!(
        matches!(&events[..], [Event::NeedDeclared(NeedDeclared { need, .. })] if need.0 == submission)
    );
}

/// Needs refused for who declares them or where: (case, NGO, member, zone, the kind
/// of refusal, the field it names).
const REFUSED_NEEDS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "an NGO not approved by the ministry",
        "ngo-99",
        "m-001",
        "zone-01",
        "NotFound",
        "submission.actor.ngo_member.ngo",
    ),
    (
        "a revoked member",
        "ngo-01",
        "m-002",
        "zone-01",
        "PermissionDenied",
        "submission.actor.ngo_member.member",
    ),
    (
        "an unknown member",
        "ngo-01",
        "m-404",
        "zone-01",
        "NotFound",
        "submission.actor.ngo_member.member",
    ),
    (
        "an unknown zone",
        "ngo-01",
        "m-001",
        "zone-42",
        "NotFound",
        "zone",
    ),
];

#[test]
fn needs_from_unapproved_ngos_revoked_or_unknown_members_or_of_unknown_zones_are_refused() {
    for (case, n, m, in_zone, kind, field) in REFUSED_NEEDS {
        let (got, err) = field_of(given(registered()).when(
            ngo_member(n, m),
            "2018-04-01T10:00:00Z",
            declare_need(in_zone),
        ));
        assert_eq!(kind_of(&err), *kind, "{case}: {err:?}");
        assert_eq!(got, *field, "{case}: the field named");
    }
}

#[test]
fn an_agency_cannot_declare_needs() {
    assert_refused_as(
        given(registered()).when(
            officer("water"),
            "2018-04-01T10:00:00Z",
            declare_need("zone-01"),
        ),
        "PermissionDenied",
    );
}

#[test]
fn needs_wait_for_the_programme_dates() {
    let without_dates: Vec<_> = registered().into_iter().skip(1).collect();
    assert_refused_as(
        given(without_dates).when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-01T10:00:00Z",
            declare_need("zone-01"),
        ),
        "Rule",
    );
}

#[test]
fn an_act_in_the_future_is_refused() {
    let cmd = command(
        ngo_member("ngo-01", "m-001"),
        "2018-05-01T10:00:00Z",
        declare_need("zone-01"),
    );
    let err = given(registered())
        .world
        .decide(&cmd, instant("2018-04-01T10:00:00Z"))
        .unwrap_err();
    assert_eq!(err.field(), "submission.occurred_at");
}

// ---- referrals --------------------------------------------------------------------------

fn refer(to: &str) -> CommandBody {
    CommandBody::ReferNeed(command::ReferNeed {
        zone: zone("zone-01"),
        need: NeedId(NEED),
        agency: agency(to),
        note: text("please"),
    })
}

fn referred() -> (StreamId, Event) {
    (
        zone_stream("zone-01"),
        Event::NeedReferred(NeedReferred {
            referral: ReferralId(REFERRAL),
            zone: zone("zone-01"),
            need: NeedId(NEED),
            agency: agency("water"),
            ngo: ngo("ngo-01"),
            member: member("m-001"),
            note: text(""),
        }),
    )
}

fn answer() -> CommandBody {
    CommandBody::AnswerReferral(command::AnswerReferral {
        zone: zone("zone-01"),
        referral: ReferralId(REFERRAL),
        accepted: true,
        answer: text("we take it up"),
    })
}

#[test]
fn a_need_is_referred_to_an_existing_agency() {
    let history = with_need(vec![]);
    let events = given(history.clone())
        .when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-02T10:00:00Z",
            refer("water"),
        )
        .unwrap();
    assert!(matches!(&events[..], [Event::NeedReferred(_)]));
    assert_refused(
        given(history).when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-02T10:00:00Z",
            refer("roads"),
        ),
        "NotFound",
        "agency",
    );
}

#[test]
fn a_need_has_one_open_referral_per_agency() {
    let history = with_need(vec![referred()]);
    assert_refused_as(
        given(history).when(
            ngo_member("ngo-01", "m-001"),
            "2018-04-02T10:00:00Z",
            refer("water"),
        ),
        "Rule",
    );
}

#[test]
fn only_the_referred_agency_answers_and_only_once() {
    let history = with_need(vec![referred()]);
    assert_refused_as(
        given(history.clone()).when(officer("welfare"), "2018-04-03T10:00:00Z", answer()),
        "PermissionDenied",
    );
    let events = given(history.clone())
        .when(officer("water"), "2018-04-03T10:00:00Z", answer())
        .unwrap();
    assert!(matches!(
        &events[..],
        [Event::ReferralAnswered(ReferralAnswered {
            accepted: true,
            ..
        })]
    ));
    let answered = with_zone_01_events(history, events);
    assert_refused_as(
        given(answered).when(officer("water"), "2018-04-04T10:00:00Z", answer()),
        "Rule",
    );
}

// ---- proposals --------------------------------------------------------------------------

fn submit(needs: Vec<Uuid>) -> CommandBody {
    CommandBody::SubmitProposal(command::SubmitProposal {
        zone: zone("zone-01"),
        needs: needs.into_iter().map(NeedId).collect(),
        approach: Approach::Infrastructural,
        title: text("New pipes"),
        budget: Rials::parse(1_000_000).unwrap(),
        planned_start: day("1397-02-01"),
        planned_end: day("1397-11-30"),
        goals: vec![],
    })
}

#[test]
fn a_proposal_answers_needs_of_its_own_zone() {
    let history = with(
        registered(),
        vec![
            need_declared(NEED, "zone-01"),
            need_declared(OTHER_NEED, "zone-02"),
        ],
    );
    let events = given(history.clone())
        .when(officer("water"), "2018-04-10T10:00:00Z", submit(vec![NEED]))
        .unwrap();
    assert!(!is_late(&events));
    assert_refused(
        given(history.clone()).when(
            officer("water"),
            "2018-04-10T10:00:00Z",
            submit(vec![NEED, OTHER_NEED]),
        ),
        "Rule",
        "need_ids[1]",
    );
    assert_refused(
        given(history).when(
            officer("water"),
            "2018-04-10T10:00:00Z",
            submit(vec![Uuid::now_v7()]),
        ),
        "NotFound",
        "need_ids[0]",
    );
}

#[test]
fn a_proposal_names_goals_of_its_zone_and_approach_each_once() {
    use Approach::{Infrastructural as I, Social as S};
    let mut history = with_need(vec![]);
    // zone-01 with two infrastructural goals and a social one.
    for (_, event) in &mut history {
        if let Event::ZoneRegistered(z) = event
            && z.code == zone("zone-01")
        {
            z.goals = vec![goal("water", I), goal("sewer", I), goal("skills", S)];
        }
    }
    let codes = |codes: &[&str]| -> Vec<GoalCode> {
        codes.iter().map(|c| GoalCode::parse(c).unwrap()).collect()
    };
    let serving = |goals: &[&str]| {
        let mut body = submit(vec![NEED]);
        if let CommandBody::SubmitProposal(c) = &mut body {
            c.goals = codes(goals);
        }
        body
    };
    let at = "2018-04-10T10:00:00Z";
    let events = given(history.clone())
        .when(officer("water"), at, serving(&["sewer", "water"]))
        .unwrap();
    let [Event::ProposalSubmitted(submitted)] = &events[..] else {
        panic!("one ProposalSubmitted, not {events:?}");
    };
    assert_eq!(submitted.goals, codes(&["sewer", "water"]), "as named");
    // No goal named: every goal of its approach, recorded as none.
    let events = given(history.clone())
        .when(officer("water"), at, serving(&[]))
        .unwrap();
    assert!(matches!(&events[..], [Event::ProposalSubmitted(e)] if e.goals.is_empty()));
    for (goals, kind, field) in [
        (&["water", "park"][..], "Rule", "goal_codes[1]"),
        (&["skills"][..], "Rule", "goal_codes[0]"),
        (&["water", "sewer", "water"][..], "Invalid", "goal_codes[2]"),
    ] {
        let refused = given(history.clone()).when(officer("water"), at, serving(goals));
        assert_refused(refused, kind, field);
    }
}

#[test]
fn a_proposal_after_the_deadline_is_recorded_and_marked_late() {
    let history = with_need(vec![]);
    let events = given(history)
        .when(officer("water"), "2018-05-10T10:00:00Z", submit(vec![NEED]))
        .unwrap();
    assert!(is_late(&events));
}

#[test]
fn a_proposal_ends_after_it_starts() {
    let history = with_need(vec![]);
    let mut body = submit(vec![NEED]);
    if let CommandBody::SubmitProposal(command::SubmitProposal { planned_end, .. }) = &mut body {
        *planned_end = day("1397-01-15");
    }
    let (field, _) = field_of(given(history).when(officer("water"), "2018-04-10T10:00:00Z", body));
    assert_eq!(field, "planned_end");
}

fn decide(decision: Decision) -> CommandBody {
    CommandBody::DecideProposal(command::DecideProposal {
        zone: zone("zone-01"),
        proposal: ProposalId(PROPOSAL),
        decision,
    })
}

#[test]
fn only_the_county_supervisor_decides_a_proposal_and_only_once() {
    let history = with_need(vec![proposal_submitted()]);
    assert_refused_as(
        given(history.clone()).when(
            office(),
            "2018-04-25T10:00:00Z",
            decide(Decision::Approve { reason: text("") }),
        ),
        "PermissionDenied",
    );
    let events = given(history.clone())
        .when(
            supervisor(),
            "2018-04-25T10:00:00Z",
            decide(Decision::Approve { reason: text("") }),
        )
        .unwrap();
    assert!(matches!(&events[..], [Event::ProposalApproved(_)]));
    assert_refused(
        given(with(history, vec![approved()])).when(
            supervisor(),
            "2018-04-26T10:00:00Z",
            decide(Decision::Reject { reason: text("no") }),
        ),
        "Rule",
        "proposal_id",
    );
}

#[test]
fn a_rejection_needs_a_reason() {
    let history = with_need(vec![proposal_submitted()]);
    let (field, _) = field_of(given(history).when(
        supervisor(),
        "2018-04-25T10:00:00Z",
        decide(Decision::Reject { reason: text("") }),
    ));
    assert_eq!(field, "reason");
}

// ---- progress ---------------------------------------------------------------------------

fn project() -> Vec<(StreamId, Event)> {
    with_need(vec![proposal_submitted(), approved()])
}

#[test]
fn progress_is_reported_only_on_approved_proposals() {
    let pending = with_need(vec![proposal_submitted()]);
    assert_refused_as(
        given(pending).when(
            officer("water"),
            "2018-06-01T10:00:00Z",
            report_progress(10, ""),
        ),
        "Rule",
    );
    let events = given(project())
        .when(
            officer("water"),
            "2018-06-01T10:00:00Z",
            report_progress(10, ""),
        )
        .unwrap();
    assert!(
        matches!(&events[..], [Event::ProgressReported(ProgressReported { percent, .. })] if percent.get() == 10)
    );
}

#[test]
fn progress_is_reported_by_the_proposals_own_agency() {
    assert_refused_as(
        given(project()).when(
            officer("welfare"),
            "2018-06-01T10:00:00Z",
            report_progress(10, ""),
        ),
        "PermissionDenied",
    );
}

#[test]
fn progress_never_goes_back_unless_it_is_a_correction_with_a_reason() {
    let history = with(project(), vec![progress(60)]);
    assert_refused(
        given(history.clone()).when(
            officer("water"),
            "2018-07-01T10:00:00Z",
            report_progress(40, ""),
        ),
        "Rule",
        "percent",
    );
    let events = given(history)
        .when(
            officer("water"),
            "2018-07-01T10:00:00Z",
            report_progress(40, "double-counted a section"),
        )
        .unwrap();
    assert!(
        matches!(&events[..], [Event::ProgressReported(ProgressReported { correction, .. })] if !correction.is_empty())
    );
}

#[test]
fn completing_a_project_records_full_progress_then_completion() {
    let history = with(project(), vec![progress(80)]);
    let events = given(history.clone())
        .when(
            officer("water"),
            "2019-02-01T10:00:00Z",
            CommandBody::CompleteProject(command::CompleteProject {
                zone: zone("zone-01"),
                proposal: ProposalId(PROPOSAL),
                completed_on: None,
                note: text("done"),
            }),
        )
        .unwrap();
    assert!(matches!(
        &events[..],
        [Event::ProgressReported(ProgressReported { percent, .. }), Event::ProjectCompleted(ProjectCompleted { completed_on, .. })]
            if percent.get() == 100 && *completed_on == day("1397-11-12")
    ));
    let done = with_zone_01_events(history, events);
    assert_refused_as(
        given(done).when(
            officer("water"),
            "2019-02-02T10:00:00Z",
            report_progress(100, ""),
        ),
        "Rule",
    );
}

// ---- supervision --------------------------------------------------------------------------

#[test]
fn the_county_supervisor_files_reports_on_recorded_ngos() {
    let report = |n: &str| {
        CommandBody::FileSupervisionReport(command::FileSupervisionReport {
            ngo: ngo(n),
            zone: Some(zone("zone-01")),
            findings: text("good work"),
            rating: Rating::parse(4).unwrap(),
        })
    };
    let events = given(registered())
        .when(supervisor(), "2018-06-01T10:00:00Z", report("ngo-01"))
        .unwrap();
    assert!(matches!(&events[..], [Event::SupervisionReportFiled(_)]));
    assert_refused_as(
        given(registered()).when(supervisor(), "2018-06-01T10:00:00Z", report("ngo-55")),
        "NotFound",
    );
}

// ---- streams ------------------------------------------------------------------------------

#[test]
fn a_command_that_saw_another_version_is_a_conflict() {
    let world = given(registered());
    let mut cmd = command(
        ngo_member("ngo-01", "m-001"),
        "2018-04-01T10:00:00Z",
        declare_need("zone-01"),
    );
    cmd.meta.expected_version = Some(0);
    let err = world
        .when_command(cmd.clone(), "2018-04-01T10:00:00Z")
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::VersionConflict {
            stream: "zone.zone-01".into(),
            expected: 0,
            actual: 1
        }
    );
    cmd.meta.expected_version = Some(1);
    assert!(world.when_command(cmd, "2018-04-01T10:00:00Z").is_ok());
}

#[test]
fn an_event_that_skips_a_version_is_refused_by_the_state() {
    let mut world = World::new();
    let (stream, event) = need_declared(NEED, "zone-01");
    let err = world
        .apply(&stream, 2, instant(HISTORY_AT), &event)
        .unwrap_err();
    assert_eq!(err.current, 0);
    assert_eq!(world.version(&stream), 0);
}

#[test]
fn a_command_reads_the_streams_its_rules_need() {
    let streams = refer("water").streams_read(&ngo_member("ngo-01", "m-001"));
    let names: Vec<String> = streams.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["zone.zone-01", "ngo.ngo-01", "agency.water"]);
}

// ---- dates that mean nothing ----------------------------------------------------------

#[test]
fn a_proposals_deadline_outside_the_programme_is_refused() {
    for (deadline, why) in [("1397-12-29", "not before"), ("1398-01-10", "not before")] {
        let mut dates = dates_1397();
        dates.proposals_deadline = day(deadline);
        let (field, err) = field_of(given(vec![]).when(
            office(),
            "2018-03-18T10:00:00Z",
            CommandBody::SetProgrammeDates(dates),
        ));
        assert_eq!(field, "proposals_deadline");
        assert!(err.to_string().contains(why), "{err}");
    }
    let mut dates = dates_1397();
    dates.proposals_deadline = day("1397-01-15");
    let (field, err) = field_of(given(vec![]).when(
        office(),
        "2018-03-18T10:00:00Z",
        CommandBody::SetProgrammeDates(dates),
    ));
    assert_eq!(field, "proposals_deadline");
    assert!(
        err.to_string().contains("before the needs deadline"),
        "{err}"
    );
}

#[test]
fn missing_programme_dates_name_a_field_of_the_request() {
    let without_dates: Vec<_> = registered().into_iter().skip(1).collect();
    let (field, _) = field_of(given(without_dates).when(
        ngo_member("ngo-01", "m-001"),
        "2018-04-01T10:00:00Z",
        declare_need("zone-01"),
    ));
    assert_eq!(field, "submission.occurred_at");
}

fn progress_as_of(as_of: &str) -> CommandBody {
    CommandBody::ReportProgress(command::ReportProgress {
        zone: zone("zone-01"),
        proposal: ProposalId(PROPOSAL),
        percent: Percent::parse(10).unwrap(),
        note: text(""),
        as_of: Some(day(as_of)),
        correction: text(""),
    })
}

fn complete_on(completed_on: &str) -> CommandBody {
    CommandBody::CompleteProject(command::CompleteProject {
        zone: zone("zone-01"),
        proposal: ProposalId(PROPOSAL),
        completed_on: Some(day(completed_on)),
        note: text(""),
    })
}

#[test]
fn progress_and_completion_are_not_dated_after_the_report_or_before_the_approval() {
    // The project was approved on HISTORY_AT, 1397-01-01 in Tehran; the reports are made
    // on 1397-03-11 (2018-06-01).
    let at = "2018-06-01T10:00:00Z";
    for (body, field) in [
        (progress_as_of("1397-03-12"), "as_of"),
        (progress_as_of("1398-01-01"), "as_of"),
        (progress_as_of("1396-12-29"), "as_of"),
        (complete_on("1397-04-01"), "completed_on"),
        (complete_on("1396-12-20"), "completed_on"),
    ] {
        let (got, err) = field_of(given(project()).when(officer("water"), at, body));
        assert_eq!(got, field);
        assert!(matches!(err, DomainError::Invalid { .. }), "{err}");
    }
    for body in [
        progress_as_of("1397-03-11"),
        progress_as_of("1397-01-01"),
        complete_on("1397-03-11"),
    ] {
        assert!(given(project()).when(officer("water"), at, body).is_ok());
    }
}
