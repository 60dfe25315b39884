//! The query subcommands: the programme office's questions to the projection, shown
//! as tables (or JSON), each under a line saying which day and which events it
//! reflects.

mod office;

use comfy_table::Table;
use saman_proto::projection::v1 as query;

use crate::args::{AdminCommand, Global, ReadOpts, TimelineArgs};
use crate::connect;
use crate::error::CliError;
use crate::output::{self, Style, align_right, table};

fn style(global: &Global) -> Style {
    Style {
        json: global.json,
        fa: global.fa,
    }
}

/// The `Read` header of a query from its flags.
pub fn read_header(opts: &ReadOpts) -> Option<query::Read> {
    Some(query::Read {
        as_of: opts.as_of.clone().unwrap_or_default(),
        min_position: opts.min_position.unwrap_or(0),
        after: opts
            .after
            .iter()
            .map(|a| query::StreamVersion {
                stream_id: a.stream_id.clone(),
                version: a.version,
            })
            .collect(),
        wait_ms: opts
            .wait
            .map(|w| u32::try_from(w.as_millis()).unwrap_or(u32::MAX))
            .unwrap_or(0),
    })
}

fn status_error(status: tonic::Status) -> CliError {
    CliError::from_status("projection", &status)
}

/// The reply of a query, unless `--json` asked for it and it is printed so (then `None`:
/// nothing is left to print). `name` is the reply's full protobuf name.
fn unless_json<R: prost::Message>(
    result: Result<tonic::Response<R>, tonic::Status>,
    style: Style,
    name: &str,
) -> Result<Option<R>, CliError> {
    let reply = result.map_err(status_error)?.into_inner();
    Ok((!style.printed_json(name, &reply)?).then_some(reply))
}

/// A connected client of the projection's queries.
type Client = query::projection_client::ProjectionClient<connect::ProjectionChannel>;

/// A query's reply, which says which day and events it reflects.
trait Reflecting: prost::Message {
    fn reflects(&self) -> Option<&query::Reflects>;
}

macro_rules! reflecting {
    ($($reply:ident),+) => {
        $(impl Reflecting for query::$reply {
            fn reflects(&self) -> Option<&query::Reflects> {
                self.reflects.as_ref()
            }
        })+
    };
}
reflecting!(
    ListZonesReply,
    ZoneProgress,
    ProgrammeSummary,
    Compliance,
    Cooperation,
    ListOverdueProjectsReply,
    ListOpenReferralsReply,
    DecisionTimes,
    Supervision,
    Activities,
    LateItems,
    ListZoneBudgetsReply,
    NgoMembersReply,
    Corrections,
    ZoneSeries
);

/// Asks the projection one query as of the day `opts` say (`call`, given a client
/// connected as `global` says and the `Read` header), then prints the reply under the
/// line saying what it reflects, with `print`; or as JSON ([`unless_json`]).
async fn show<R: Reflecting>(
    global: &Global,
    opts: &ReadOpts,
    name: &str,
    call: impl AsyncFnOnce(
        &mut Client,
        Option<query::Read>,
    ) -> Result<tonic::Response<R>, tonic::Status>,
    print: fn(&R, Style),
) -> Result<(), CliError> {
    let mut client = connect::projection(global).await?;
    let style = style(global);
    let reply = call(&mut client, read_header(opts)).await;
    if let Some(reply) = unless_json(reply, style, name)? {
        crate::out!("{}", style.reflects(reply.reflects()));
        print(&reply, style);
    }
    Ok(())
}

/// The queries that take nothing but the day: `name(opts, global)` asks `method` with
/// a `request` and prints its `reply` with `print`.
macro_rules! as_of_queries {
    ($($name:ident: $method:ident($request:ident) -> $reply:ident, $print:path;)+) => {
        $(pub async fn $name(opts: ReadOpts, global: &Global) -> Result<(), CliError> {
            let call = async |c: &mut Client, read| c.$method(query::$request { read }).await;
            let name = concat!("saman.projection.v1.", stringify!($reply));
            show(global, &opts, name, call, $print).await
        })+
    };
}

as_of_queries! {
    zones: list_zones(ListZonesRequest) -> ListZonesReply, print_zones;
    summary: get_programme_summary(GetProgrammeSummaryRequest) -> ProgrammeSummary, print_summary;
    compliance: get_compliance(GetComplianceRequest) -> Compliance, print_compliance;
    cooperation: get_cooperation(GetCooperationRequest) -> Cooperation, print_cooperation;
    overdue: list_overdue_projects(ListOverdueProjectsRequest) -> ListOverdueProjectsReply, print_overdue;
    referrals: list_open_referrals(ListOpenReferralsRequest) -> ListOpenReferralsReply, office::print_referrals;
    decisions: get_decision_times(GetDecisionTimesRequest) -> DecisionTimes, office::print_decisions;
    supervision: get_supervision(GetSupervisionRequest) -> Supervision, office::print_supervision;
    activities: get_activities(GetActivitiesRequest) -> Activities, office::print_activities;
    late: get_late_items(GetLateItemsRequest) -> LateItems, office::print_late;
    budgets: list_zone_budgets(ListZoneBudgetsRequest) -> ListZoneBudgetsReply, office::print_budgets;
    members: get_ngo_members(GetNgoMembersRequest) -> NgoMembersReply, office::print_members;
    corrections: get_corrections(GetCorrectionsRequest) -> Corrections, office::print_corrections;
}

/// `zone series ZONE`.
pub async fn zone_series(zone: String, opts: ReadOpts, global: &Global) -> Result<(), CliError> {
    let call = async |c: &mut Client, read| {
        c.get_zone_series(query::GetZoneSeriesRequest { read, zone })
            .await
    };
    let name = "saman.projection.v1.ZoneSeries";
    show(global, &opts, name, call, office::print_series).await
}

fn print_zones(reply: &query::ListZonesReply, style: Style) {
    let mut t = table([
        "zone",
        "name",
        "needs",
        "unanswered",
        "proposals",
        "projects",
        "infra %",
        "social %",
        "overall %",
        "expected %",
        "status",
        "days left",
    ]);
    for zone in &reply.zones {
        let p = zone.progress.clone().unwrap_or_default();
        t.add_row(output::with_status(
            vec![
                zone.code.clone(),
                style.name(zone.name.as_ref()),
                zone.needs.to_string(),
                zone.unanswered_needs.to_string(),
                zone.proposals.to_string(),
                zone.projects.to_string(),
                output::percent(p.infrastructural),
                output::percent(p.social),
                output::percent(p.overall),
                output::percent(p.expected),
                output::status(p.status).into(),
                p.days_left.to_string(),
            ],
            10,
            p.status,
        ));
    }
    align_right(&mut t, &[2, 3, 4, 5, 6, 7, 8, 9, 11]);
    crate::out!("{t}");
    if reply.zones.is_empty() {
        crate::out!("no zones registered yet (`saman scenario 1397` loads the programme year)");
    }
}

pub async fn zone(zone: String, opts: ReadOpts, global: &Global) -> Result<(), CliError> {
    let call = async |c: &mut Client, read| {
        c.get_zone_progress(query::GetZoneProgressRequest { read, zone })
            .await
    };
    let name = "saman.projection.v1.ZoneProgress";
    show(global, &opts, name, call, print_zone).await
}

/// One zone's progress, as `zone show` and `watch` print it.
pub fn print_zone(zone: &query::ZoneProgress, style: Style) {
    crate::out!("{}  {}", zone.code, style.name(zone.name.as_ref()));
    print_progress_line(zone, style);
    let needs = zone.needs.clone().unwrap_or_default();
    crate::out!(
        "needs {} (infrastructural {}, social {}; on time {}, late {})",
        needs.total,
        needs.infrastructural,
        needs.social,
        needs.on_time,
        needs.late
    );
    let proposals = zone.proposals.clone().unwrap_or_default();
    crate::out!(
        "proposals {} (pending {}, approved {}, rejected {}; infrastructural {}, social {})",
        proposals.total,
        proposals.pending,
        proposals.approved,
        proposals.rejected,
        proposals.infrastructural,
        proposals.social
    );
    let budget = zone.budget.clone().unwrap_or_default();
    crate::out!(
        "approved budget {} rials (infrastructural {}, social {}) · households {} · needs by priority: {}",
        output::rials(budget.approved_budget_rials),
        output::rials(budget.infrastructural_budget_rials),
        output::rials(budget.social_budget_rials),
        budget.households_affected,
        office::priorities(&budget, style)
    );
    crate::out!(
        "referrals open {} · social activities {} ({} participants)",
        zone.open_referrals,
        zone.activities,
        zone.participants
    );

    crate::out!("\ngoals");
    let mut goals = table([
        "goal",
        "title",
        "approach",
        "weight",
        "progress %",
        "projects",
    ]);
    for goal in &zone.goals {
        goals.add_row(vec![
            goal.code.clone(),
            style.name(goal.title.as_ref()),
            style.approach(goal.approach.as_ref()),
            goal.weight.to_string(),
            output::percent(goal.percent),
            goal.serving.len().to_string(),
        ]);
    }
    align_right(&mut goals, &[3, 4, 5]);
    crate::out!("{goals}");

    crate::out!("\nprojects");
    let mut projects = table([
        "proposal",
        "title",
        "agency",
        "approach",
        "budget (rials)",
        "%",
        "reported as of",
        "planned end",
        "done",
    ]);
    for p in &zone.projects {
        projects.add_row(vec![
            p.proposal_id.clone(),
            p.title.clone(),
            p.agency.clone(),
            style.approach(p.approach.as_ref()),
            output::rials(p.budget_rials),
            p.percent.to_string(),
            style.day(p.reported_as_of.as_ref()),
            style.day(p.planned_end.as_ref()),
            match (p.completed, p.overdue) {
                (true, _) => "yes",
                (false, true) => "overdue",
                (false, false) => "",
            }
            .into(),
        ]);
    }
    align_right(&mut projects, &[4, 5]);
    print_or_none(&projects, zone.projects.is_empty());

    crate::out!("\nneeds no proposal answers yet");
    let mut unanswered = table(["need", "title", "approach", "ngo", "declared", "households"]);
    for n in &zone.unanswered_needs {
        unanswered.add_row(vec![
            n.need_id.clone(),
            n.title.clone(),
            style.approach(n.approach.as_ref()),
            n.ngo.clone(),
            format!(
                "{}{}",
                style.day(n.declared_on.as_ref()),
                if n.late { " late" } else { "" }
            ),
            n.households_affected.to_string(),
        ]);
    }
    align_right(&mut unanswered, &[5]);
    print_or_none(&unanswered, zone.unanswered_needs.is_empty());
}

/// "overall 41.2% · expected 58.0% · at risk · 120 days left (to 29 Esfand 1397)"
pub fn print_progress_line(zone: &query::ZoneProgress, style: Style) {
    let p = zone.progress.clone().unwrap_or_default();
    crate::out!(
        "overall {}% · expected {}% · {} · {} days left (goal {}) · infrastructural {}% · social {}%",
        output::percent(p.overall),
        output::percent(p.expected),
        output::status_text(p.status),
        p.days_left,
        style.day_long(p.goal_date.as_ref()),
        output::percent(p.infrastructural),
        output::percent(p.social),
    );
}

fn print_or_none(t: &Table, empty: bool) {
    if empty {
        crate::out!("  (none)");
    } else {
        crate::out!("{t}");
    }
}

fn print_summary(reply: &query::ProgrammeSummary, style: Style) {
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    let rows: Vec<(&str, String)> = vec![
        ("zones", reply.zones.to_string()),
        ("needs", reply.needs.to_string()),
        ("proposals", reply.proposals.to_string()),
        (
            "projects (completed)",
            format!("{} ({})", reply.projects, reply.completed_projects),
        ),
        (
            "approved budget (rials)",
            format!(
                "{} (infrastructural {}, social {})",
                output::rials(reply.approved_budget_rials),
                output::rials(reply.infrastructural_budget_rials),
                output::rials(reply.social_budget_rials)
            ),
        ),
        ("households affected", reply.households_affected.to_string()),
        ("proposals pending", reply.pending_proposals.to_string()),
        ("projects overdue", reply.overdue_projects.to_string()),
        ("referrals open", reply.open_referrals.to_string()),
        (
            "late needs / proposals",
            format!("{} / {}", reply.late_needs, reply.late_proposals),
        ),
        (
            "social activities (participants)",
            format!("{} ({})", reply.activities, reply.participants),
        ),
        ("infrastructural %", output::percent(reply.infrastructural)),
        ("social %", output::percent(reply.social)),
        ("overall %", output::percent(reply.overall)),
        ("expected %", output::percent(reply.expected)),
        (
            "zones on track / at risk / behind",
            format!(
                "{} / {} / {}",
                reply.zones_on_track, reply.zones_at_risk, reply.zones_behind
            ),
        ),
        (
            "days left",
            format!(
                "{} (goal {})",
                reply.days_left,
                style.day_long(reply.goal_date.as_ref())
            ),
        ),
    ];
    for (k, v) in rows {
        t.add_row(vec![k.to_string(), v]);
    }
    crate::out!("{t}");
}

fn print_compliance(reply: &query::Compliance, style: Style) {
    for (what, deadline, rows, unit) in [
        ("NGOs", &reply.needs_deadline, &reply.ngos, "needs"),
        (
            "agencies",
            &reply.proposals_deadline,
            &reply.agencies,
            "proposals",
        ),
    ] {
        crate::out!(
            "\n{what}: {unit} by the deadline ({})",
            style.day_long(deadline.as_ref())
        );
        let mut t = table(["code", "name", "on time", "late"]);
        for row in rows {
            t.add_row(vec![
                row.code.clone(),
                style.name(row.name.as_ref()),
                row.on_time.to_string(),
                row.late.to_string(),
            ]);
        }
        align_right(&mut t, &[2, 3]);
        print_or_none(&t, rows.is_empty());
    }
}

fn print_cooperation(reply: &query::Cooperation, style: Style) {
    let mut t = table([
        "agency",
        "name",
        "referrals",
        "open",
        "answered",
        "accepted",
        "median days",
        "worst days",
        "oldest open",
    ]);
    for a in &reply.agencies {
        t.add_row(vec![
            a.code.clone(),
            style.name(a.name.as_ref()),
            a.referrals.to_string(),
            a.open.to_string(),
            a.answered.to_string(),
            a.accepted.to_string(),
            output::days(a.median_days_to_answer),
            output::days(a.worst_days_to_answer),
            output::days(a.oldest_open_days),
        ]);
    }
    align_right(&mut t, &[2, 3, 4, 5, 6, 7, 8]);
    print_or_none(&t, reply.agencies.is_empty());
}

fn print_overdue(reply: &query::ListOverdueProjectsReply, style: Style) {
    let mut t = table([
        "zone",
        "proposal",
        "title",
        "agency",
        "approach",
        "planned end",
        "days overdue",
        "%",
        "reported as of",
    ]);
    for o in &reply.projects {
        let Some(p) = &o.project else { continue };
        t.add_row(vec![
            format!("{} {}", o.zone, style.name(o.zone_name.as_ref())),
            p.proposal_id.clone(),
            p.title.clone(),
            style.name(o.agency_name.as_ref()),
            style.approach(p.approach.as_ref()),
            style.day(p.planned_end.as_ref()),
            o.days_overdue.to_string(),
            p.percent.to_string(),
            style.day(p.reported_as_of.as_ref()),
        ]);
    }
    align_right(&mut t, &[6, 7]);
    print_or_none(&t, reply.projects.is_empty());
}

pub async fn timeline(args: TimelineArgs, global: &Global) -> Result<(), CliError> {
    let mut client = connect::projection(global).await?;
    let style = style(global);
    let mut token = args.page_token.clone().unwrap_or_default();
    let mut first = true;
    loop {
        let page = client
            .get_zone_timeline(query::GetZoneTimelineRequest {
                read: read_header(&args.read),
                zone: args.zone.clone(),
                page_size: args.page_size,
                page_token: token.clone(),
            })
            .await
            .map_err(status_error)?
            .into_inner();
        if !style.printed_json("saman.projection.v1.ZoneTimeline", &page)? {
            if first {
                crate::out!("{}", style.reflects(page.reflects.as_ref()));
            }
            // The sentence names who acted; the JSON has `who` and `actor` apart.
            let mut t = table(["position", "day", "what"]);
            for e in &page.entries {
                t.add_row(vec![
                    e.position.to_string(),
                    style.day(e.occurred_on.as_ref()),
                    if style.fa {
                        e.what_fa.clone()
                    } else {
                        e.what_en.clone()
                    },
                ]);
            }
            align_right(&mut t, &[0]);
            print_or_none(&t, page.entries.is_empty() && first);
        }
        first = false;
        if page.next_page_token.is_empty() {
            break;
        }
        if !args.all {
            if !style.json {
                crate::out!(
                    "more: saman timeline {} --page-token {}",
                    args.zone,
                    page.next_page_token
                );
            }
            break;
        }
        token = page.next_page_token;
    }
    Ok(())
}

pub async fn admin(command: AdminCommand, global: &Global) -> Result<(), CliError> {
    let mut client = connect::admin(global).await?;
    let style = style(global);
    match command {
        AdminCommand::Status => {
            let reply = client.get_status(query::GetStatusRequest {}).await;
            if let Some(status) = unless_json(reply, style, "saman.projection.v1.ProjectionStatus")?
            {
                crate::out!("position    {}", status.position);
                crate::out!("head        {}", status.head);
                crate::out!("lag         {}", status.lag);
                crate::out!("parked      {}", status.parked);
                crate::out!("conflicts   {}", status.conflicts);
                crate::out!("generation  {}", status.generation);
                if let Some(at) = status.rebuild_position {
                    crate::out!(
                        "rebuilding  generation {} at position {at}",
                        status.generation + 1
                    );
                }
            }
        }
        AdminCommand::Parked => {
            let reply = client.list_parked(query::ListParkedRequest {}).await;
            if let Some(reply) = unless_json(reply, style, "saman.projection.v1.ListParkedReply")? {
                let mut t = table(["position", "kind", "subject", "event", "reason"]);
                for e in &reply.events {
                    let kind = match e.kind() {
                        query::ParkedKind::Unspecified => "-",
                        query::ParkedKind::Unreadable => "unreadable",
                        query::ParkedKind::Refused => "refused",
                        query::ParkedKind::Conflict => "conflict",
                        query::ParkedKind::DbRefused => "db refused",
                        query::ParkedKind::Unsigned => "unsigned",
                        query::ParkedKind::UnknownKey => "unknown key",
                        query::ParkedKind::MalformedSignature => "malformed signature",
                        query::ParkedKind::BadSignature => "bad signature",
                    };
                    t.add_row(vec![
                        e.position.to_string(),
                        kind.to_owned(),
                        e.subject.clone(),
                        e.event_id.clone(),
                        e.reason.clone(),
                    ]);
                }
                print_or_none(&t, reply.events.is_empty());
            }
        }
        AdminCommand::Rebuild => {
            let reply = client.rebuild(query::RebuildRequest {}).await;
            if let Some(reply) = unless_json(reply, style, "saman.projection.v1.RebuildReply")? {
                crate::out!(
                    "rebuilding the read models as generation {}; `saman admin status` shows how far it is",
                    reply.generation
                );
            }
        }
    }
    Ok(())
}
