//! The tables of the programme office's questions beyond the zones: open referrals,
//! decision times, supervision, activities, late items, budgets, members, corrections
//! and a zone's series. Each prints what its reply holds, names in the chosen language.

use saman_proto::projection::v1 as query;

use super::print_or_none;
use crate::output::{self, Style, align_right, table};

/// "zone-01 Zone 01": a code and its name.
fn named(n: Option<&query::Named>, style: Style) -> String {
    match n {
        None => "-".into(),
        Some(n) => {
            let name = style.name(n.name.as_ref());
            if name.is_empty() || name == n.code {
                n.code.clone()
            } else {
                format!("{} {name}", n.code)
            }
        }
    }
}

/// A count per zone, agency or NGO, under a heading.
fn per(heading: &str, header: [&str; 3], rows: Vec<[String; 3]>) {
    crate::out!("\n{heading}");
    let mut t = table(header);
    let empty = rows.is_empty();
    for row in rows {
        t.add_row(row.to_vec());
    }
    align_right(&mut t, &[1, 2]);
    print_or_none(&t, empty);
}

pub(super) fn print_referrals(reply: &query::ListOpenReferralsReply, style: Style) {
    crate::out!("open referrals, the longest waiting first");
    let mut t = table([
        "referral",
        "zone",
        "need",
        "agency",
        "ngo",
        "referred by",
        "referred",
        "days open",
    ]);
    for r in &reply.referrals {
        t.add_row(vec![
            r.referral_id.clone(),
            named(r.zone.as_ref(), style),
            r.need_title.clone(),
            named(r.agency.as_ref(), style),
            named(r.ngo.as_ref(), style),
            named(r.member.as_ref(), style),
            style.day(r.referred_on.as_ref()),
            r.days_open.to_string(),
        ]);
    }
    align_right(&mut t, &[7]);
    print_or_none(&t, reply.referrals.is_empty());
    for (heading, counts) in [
        ("per zone", &reply.by_zone),
        ("per agency", &reply.by_agency),
        ("per NGO", &reply.by_ngo),
    ] {
        let rows = counts
            .iter()
            .map(|c| {
                [
                    named(c.of.as_ref(), style),
                    c.open.to_string(),
                    c.oldest_days.to_string(),
                ]
            })
            .collect();
        per(heading, ["", "open", "oldest (days)"], rows);
    }
}

fn decision(d: i32) -> &'static str {
    match query::Decision::try_from(d) {
        Ok(query::Decision::Pending) => "pending",
        Ok(query::Decision::Approved) => "approved",
        Ok(query::Decision::Rejected) => "rejected",
        _ => "-",
    }
}

fn waits(waits: &[query::ProposalWait], style: Style, days: &str) {
    let mut t = table([
        "proposal",
        "zone",
        "title",
        "agency",
        "submitted",
        "decision",
        "decided",
        days,
    ]);
    for w in waits {
        t.add_row(vec![
            w.proposal_id.clone(),
            named(w.zone.as_ref(), style),
            w.title.clone(),
            named(w.agency.as_ref(), style),
            style.day(w.submitted_on.as_ref()),
            decision(w.decision).into(),
            style.day(w.decided_on.as_ref()),
            w.days.to_string(),
        ]);
    }
    align_right(&mut t, &[7]);
    print_or_none(&t, waits.is_empty());
}

pub(super) fn print_decisions(reply: &query::DecisionTimes, style: Style) {
    crate::out!(
        "days from submission to decision: median {} · worst {} · {} decided · {} pending",
        output::days(reply.median_days),
        output::days(reply.worst_days),
        reply.decided.len(),
        reply.pending.len()
    );
    crate::out!("\npending, the longest waiting first");
    waits(&reply.pending, style, "days waiting");
    crate::out!("\ndecided");
    waits(&reply.decided, style, "days to decide");
}

pub(super) fn print_supervision(reply: &query::Supervision, style: Style) {
    let mut t = table(["ngo", "reports", "mean rating", "latest rating", "latest"]);
    for n in &reply.ngos {
        t.add_row(vec![
            named(n.ngo.as_ref(), style),
            n.reports.to_string(),
            n.average_rating.map_or("-".into(), output::percent),
            n.latest_rating.map_or("-".into(), |r| r.to_string()),
            style.day(n.latest_on.as_ref()),
        ]);
    }
    align_right(&mut t, &[1, 2, 3]);
    print_or_none(&t, reply.ngos.is_empty());
    crate::out!("\nreports");
    let mut t = table(["report", "ngo", "zone", "rating", "filed", "findings"]);
    for r in &reply.reports {
        t.add_row(vec![
            r.report_id.clone(),
            named(r.ngo.as_ref(), style),
            named(r.zone.as_ref(), style),
            r.rating.to_string(),
            style.day(r.filed_on.as_ref()),
            r.findings.clone(),
        ]);
    }
    align_right(&mut t, &[3]);
    print_or_none(&t, reply.reports.is_empty());
}

pub(super) fn print_activities(reply: &query::Activities, style: Style) {
    for (heading, counts) in [("per zone", &reply.by_zone), ("per NGO", &reply.by_ngo)] {
        let rows = counts
            .iter()
            .map(|c| {
                [
                    named(c.of.as_ref(), style),
                    c.activities.to_string(),
                    c.participants.to_string(),
                ]
            })
            .collect();
        per(heading, ["", "activities", "participants"], rows);
    }
    crate::out!("\nactivities");
    let mut t = table([
        "activity",
        "zone",
        "ngo",
        "member",
        "title",
        "participants",
        "held",
    ]);
    for a in &reply.activities {
        t.add_row(vec![
            a.activity_id.clone(),
            named(a.zone.as_ref(), style),
            named(a.ngo.as_ref(), style),
            named(a.member.as_ref(), style),
            a.title.clone(),
            a.participants.to_string(),
            style.day(a.held_on.as_ref()),
        ]);
    }
    align_right(&mut t, &[5]);
    print_or_none(&t, reply.activities.is_empty());
}

pub(super) fn print_late(reply: &query::LateItems, style: Style) {
    for (what, deadline, items, by) in [
        ("needs", &reply.needs_deadline, &reply.needs, "ngo"),
        (
            "proposals",
            &reply.proposals_deadline,
            &reply.proposals,
            "agency",
        ),
    ] {
        crate::out!(
            "\n{what} after the deadline ({})",
            style.day_long(deadline.as_ref())
        );
        let mut t = table([
            "id",
            by,
            "member",
            "zone",
            "title",
            "approach",
            "submitted",
            "days late",
        ]);
        for i in items {
            t.add_row(vec![
                i.id.clone(),
                named(i.submitter.as_ref(), style),
                i.member
                    .as_ref()
                    .map_or(String::new(), |m| named(Some(m), style)),
                named(i.zone.as_ref(), style),
                i.title.clone(),
                style.approach(i.approach.as_ref()),
                style.day(i.submitted_on.as_ref()),
                i.days_late.to_string(),
            ]);
        }
        align_right(&mut t, &[7]);
        print_or_none(&t, items.is_empty());
    }
}

/// "high 3, urgent 1": a zone's needs per priority.
pub(super) fn priorities(budget: &query::ZoneBudget, style: Style) -> String {
    let counts: Vec<String> = budget
        .needs_by_priority
        .iter()
        .map(|p| {
            let name = style.name(p.name.as_ref());
            let name = if name.is_empty() {
                "not recorded".into()
            } else {
                name
            };
            format!("{name} {}", p.needs)
        })
        .collect();
    counts.join(", ")
}

pub(super) fn print_budgets(reply: &query::ListZoneBudgetsReply, style: Style) {
    let mut t = table([
        "zone",
        "approved (rials)",
        "infrastructural",
        "social",
        "households",
        "needs by priority",
    ]);
    for z in &reply.zones {
        t.add_row(vec![
            named(z.zone.as_ref(), style),
            output::rials(z.approved_budget_rials),
            output::rials(z.infrastructural_budget_rials),
            output::rials(z.social_budget_rials),
            z.households_affected.to_string(),
            priorities(z, style),
        ]);
    }
    align_right(&mut t, &[1, 2, 3, 4]);
    print_or_none(&t, reply.zones.is_empty());
}

pub(super) fn print_members(reply: &query::NgoMembersReply, style: Style) {
    let mut t = table([
        "ngo",
        "member",
        "full name",
        "status",
        "since",
        "first approved",
        "reason",
    ]);
    let mut empty = true;
    for n in &reply.ngos {
        for m in &n.members {
            empty = false;
            let status = match query::MemberStatus::try_from(m.status) {
                Ok(query::MemberStatus::Approved) => "approved",
                Ok(query::MemberStatus::Revoked) => "revoked",
                _ => "-",
            };
            t.add_row(vec![
                named(n.ngo.as_ref(), style),
                m.member.clone(),
                m.full_name.clone(),
                status.into(),
                style.day(m.since.as_ref()),
                style.day(m.first_approved_on.as_ref()),
                m.revocation_reason.clone(),
            ]);
        }
    }
    print_or_none(&t, empty);
}

pub(super) fn print_corrections(reply: &query::Corrections, style: Style) {
    crate::out!("progress corrected down");
    let mut t = table([
        "proposal", "zone", "title", "agency", "from %", "to %", "as of", "reported", "reason",
    ]);
    for c in &reply.corrections {
        t.add_row(vec![
            c.proposal_id.clone(),
            named(c.zone.as_ref(), style),
            c.title.clone(),
            named(c.agency.as_ref(), style),
            c.from_percent.to_string(),
            c.to_percent.to_string(),
            style.day(c.as_of.as_ref()),
            style.day(c.reported_on.as_ref()),
            c.reason.clone(),
        ]);
    }
    align_right(&mut t, &[4, 5]);
    print_or_none(&t, reply.corrections.is_empty());
    crate::out!("\nrejected proposals");
    let mut t = table([
        "proposal",
        "zone",
        "title",
        "agency",
        "submitted",
        "rejected",
        "reason",
    ]);
    for r in &reply.rejections {
        t.add_row(vec![
            r.proposal_id.clone(),
            named(r.zone.as_ref(), style),
            r.title.clone(),
            named(r.agency.as_ref(), style),
            style.day(r.submitted_on.as_ref()),
            style.day(r.rejected_on.as_ref()),
            r.reason.clone(),
        ]);
    }
    print_or_none(&t, reply.rejections.is_empty());
}

pub(super) fn print_series(reply: &query::ZoneSeries, style: Style) {
    crate::out!("{}", named(reply.zone.as_ref(), style));
    let mut t = table([
        "day",
        "infra %",
        "social %",
        "overall %",
        "expected %",
        "status",
    ]);
    for p in &reply.points {
        let f = p.progress.clone().unwrap_or_default();
        t.add_row(output::with_status(
            vec![
                style.day(p.day.as_ref()),
                output::percent(f.infrastructural),
                output::percent(f.social),
                output::percent(f.overall),
                output::percent(f.expected),
                output::status(f.status).into(),
            ],
            5,
            f.status,
        ));
    }
    align_right(&mut t, &[1, 2, 3, 4]);
    print_or_none(&t, reply.points.is_empty());
}
