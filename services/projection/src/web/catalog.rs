//! Every table of the programme's pages, by id: which query answers it and how its
//! rows read. A page draws the tables of its [`Source`]s; a download builds the one it
//! names from the same query, so both show the same cells as of the same day.

use saman_domain::Day;

use super::i18n::Lang;
use super::tables::{Cell, Table};
use super::{day_query, url_encode};
use crate::error::ProjectionError;
use crate::readmodel::{
    ActivityCount, AgencyCooperation, Named, NgoSupervision, OpenCount, ProposalWait, ReadModels,
    Submitter,
};

/// What a table is built from: the read models of one generation as of one day, for a
/// page in one language.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub lang: Lang,
    pub models: &'a ReadModels,
    pub generation: u64,
    pub day: Day,
}

impl Ctx<'_> {
    /// The link to a zone's page, same language and day.
    pub fn zone_href(&self, code: &str) -> String {
        format!(
            "{}/zones/{}{}",
            self.lang.prefix(),
            url_encode(code),
            day_query(self.day)
        )
    }

    /// A zone's name as a link to its page.
    fn zone(&self, zone: &Named) -> Cell {
        Cell::Link(self.zone_href(&zone.code), Box::new(Cell::named(zone)))
    }
}

/// One query of the programme and the tables it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Overdue,
    Budgets,
    Compliance,
    Decisions,
    Corrections,
    Cooperation,
    Referrals,
    Supervision,
    Members,
    Late,
    Activities,
}

impl Source {
    const ALL: [Source; 11] = [
        Source::Overdue,
        Source::Budgets,
        Source::Compliance,
        Source::Decisions,
        Source::Corrections,
        Source::Cooperation,
        Source::Referrals,
        Source::Supervision,
        Source::Members,
        Source::Late,
        Source::Activities,
    ];

    /// The ids of its tables, in the order a page shows them.
    pub fn ids(self) -> &'static [&'static str] {
        match self {
            Source::Overdue => &["overdue"],
            Source::Budgets => &["budgets"],
            Source::Compliance => &["compliance-ngos", "compliance-agencies"],
            Source::Decisions => &["pending", "decided"],
            Source::Corrections => &["corrections", "rejections"],
            Source::Cooperation => &["cooperation"],
            Source::Referrals => &[
                "open-referrals",
                "open-by-agency",
                "open-by-ngo",
                "open-by-zone",
            ],
            Source::Supervision => &["supervision", "supervision-reports"],
            Source::Members => &["members"],
            Source::Late => &["late-needs", "late-proposals"],
            Source::Activities => &["activities-by-zone", "activities-by-ngo", "activities"],
        }
    }

    /// The source of the table `id`.
    pub fn of(id: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.ids().contains(&id))
    }

    /// Its tables as of `ctx.day`.
    pub async fn tables(self, ctx: Ctx<'_>) -> Result<Vec<Table>, ProjectionError> {
        let Ctx {
            lang,
            models,
            generation: g,
            day,
        } = ctx;
        let w = lang.words();
        Ok(match self {
            Source::Overdue => {
                let overdue = models.overdue_projects(g, day).await?;
                vec![
                    Table::new("overdue", w.overdue_projects, w.none_overdue)
                        .cols(&[w.zone, w.title, w.agency, w.approach])
                        .days(w.planned_end)
                        .cols(&[w.days_overdue, w.percent])
                        .days(w.reported_as_of)
                        .with_rows(&overdue, |o| {
                            vec![
                                Cell::Link(
                                    ctx.zone_href(&o.zone),
                                    Box::new(Cell::Names(o.zone_name.clone())),
                                ),
                                Cell::text(&o.project.title),
                                Cell::Names(o.agency_name.clone()),
                                Cell::Word(lang.approach(o.project.approach)),
                                Cell::Day(Some(o.project.planned_end)),
                                Cell::int(o.days_overdue),
                                Cell::int(o.project.percent),
                                Cell::Day(o.project.reported_as_of),
                            ]
                        }),
                ]
            }
            Source::Budgets => {
                let budgets = models.zone_budgets(g, day).await?;
                let mut t = Table::new("budgets", w.budgets_per_zone, w.no_zones).cols(&[
                    w.zone,
                    w.approved_budget,
                    w.infrastructural,
                    w.social,
                    w.households,
                ]);
                let priorities: Vec<&'static str> = budgets
                    .first()
                    .map(|b| {
                        b.needs_by_priority
                            .iter()
                            .map(|(p, _)| lang.priority(*p))
                            .collect()
                    })
                    .unwrap_or_default();
                t = t.cols(&priorities);
                for b in &budgets {
                    let mut cells = vec![
                        ctx.zone(&b.zone),
                        Cell::int(b.approved_budget_rials),
                        Cell::int(b.infrastructural_budget_rials),
                        Cell::int(b.social_budget_rials),
                        Cell::int(b.households_affected),
                    ];
                    cells.extend(b.needs_by_priority.iter().map(|(_, n)| Cell::int(*n)));
                    t.row(cells);
                }
                vec![t]
            }
            Source::Compliance => {
                let c = models.compliance(g, day).await?;
                let row = |s: &Submitter| {
                    vec![
                        Cell::Named(Named {
                            code: s.code.clone(),
                            name: s.name.clone(),
                        }),
                        Cell::int(s.on_time),
                        Cell::int(s.late),
                    ]
                };
                vec![
                    Table::new("compliance-ngos", w.needs_per_ngo, w.no_ngo)
                        .cols(&[w.ngo, w.on_time, w.late])
                        .with_rows(&c.ngos, row),
                    Table::new("compliance-agencies", w.proposals_per_agency, w.no_agency)
                        .cols(&[w.agency, w.on_time, w.late])
                        .with_rows(&c.agencies, row),
                ]
            }
            Source::Decisions => {
                let d = models.decision_times(g, day).await?;
                let wait = |p: &ProposalWait| {
                    vec![
                        ctx.zone(&p.zone),
                        Cell::text(&p.title),
                        Cell::named(&p.agency),
                        Cell::Day(Some(p.submitted_on)),
                        Cell::int(p.days),
                    ]
                };
                vec![
                    Table::new("pending", w.pending, w.none_pending)
                        .cols(&[w.zone, w.proposal, w.agency])
                        .days(w.submitted_on)
                        .cols(&[w.days_waiting])
                        .with_rows(&d.pending, wait),
                    // Its caption gives the decision times over them.
                    Table::new(
                        "decided",
                        format!(
                            "{} ({}: {} {}, {} {})",
                            w.decided_proposals,
                            w.decision_times,
                            w.median,
                            days(lang, d.median_days),
                            w.worst,
                            days(lang, d.worst_days)
                        ),
                        w.none_decided,
                    )
                    .cols(&[w.zone, w.proposal, w.agency])
                    .days(w.submitted_on)
                    .cols(&[w.days_to_decide, w.decision])
                    .days(w.decided_on)
                    .with_rows(&d.decided, |p| {
                        let mut cells = wait(p);
                        cells.push(Cell::Word(lang.decided(p.decision)));
                        cells.push(Cell::Day(p.decided_on));
                        cells
                    }),
                ]
            }
            Source::Corrections => {
                let c = models.corrections(g, day).await?;
                vec![
                    Table::new("corrections", w.corrections, w.none_corrected)
                        .cols(&[w.zone, w.title, w.agency, w.from, w.to])
                        .days(w.reported_on)
                        .cols(&[w.reason])
                        .with_rows(&c.corrections, |c| {
                            vec![
                                ctx.zone(&c.zone),
                                Cell::text(&c.title),
                                Cell::named(&c.agency),
                                Cell::int(c.from_percent),
                                Cell::int(c.to_percent),
                                Cell::Day(Some(c.reported_on)),
                                Cell::text(&c.reason),
                            ]
                        }),
                    Table::new("rejections", w.rejections, w.none_rejected)
                        .cols(&[w.zone, w.title, w.agency])
                        .days(w.rejected_on)
                        .cols(&[w.reason])
                        .with_rows(&c.rejections, |r| {
                            vec![
                                ctx.zone(&r.zone),
                                Cell::text(&r.title),
                                Cell::named(&r.agency),
                                Cell::Day(Some(r.rejected_on)),
                                Cell::text(&r.reason),
                            ]
                        }),
                ]
            }
            Source::Cooperation => {
                let agencies = models.cooperation(g, day).await?;
                vec![
                    Table::new("cooperation", w.referrals_per_agency, w.no_agency)
                        .cols(&[
                            w.agency,
                            w.referrals,
                            w.open,
                            w.answered,
                            w.accepted,
                            w.median_days_to_answer,
                            w.worst_days_to_answer,
                            w.oldest_open_days,
                        ])
                        .with_rows(&agencies, |a: &AgencyCooperation| {
                            vec![
                                Cell::Named(Named {
                                    code: a.code.clone(),
                                    name: a.name.clone(),
                                }),
                                Cell::int(a.referrals),
                                Cell::int(a.open),
                                Cell::int(a.answered),
                                Cell::int(a.accepted),
                                Cell::Decimal(a.median_days_to_answer),
                                Cell::Decimal(a.worst_days_to_answer),
                                Cell::Decimal(a.oldest_open_days),
                            ]
                        }),
                ]
            }
            Source::Referrals => {
                let r = models.open_referrals(g, day).await?;
                let count =
                    |of: Cell, c: &OpenCount| vec![of, Cell::int(c.open), Cell::int(c.oldest_days)];
                vec![
                    Table::new("open-referrals", w.open_referrals, w.none_open)
                        .cols(&[w.zone, w.need, w.agency, w.ngo])
                        .days(w.referred_on)
                        .cols(&[w.days_open])
                        .with_rows(&r.referrals, |r| {
                            vec![
                                ctx.zone(&r.zone),
                                Cell::text(&r.need_title),
                                Cell::named(&r.agency),
                                Cell::named(&r.ngo),
                                Cell::Day(Some(r.referred_on)),
                                Cell::int(r.days_open),
                            ]
                        }),
                    Table::new("open-by-agency", w.open_per_agency, w.no_agency)
                        .cols(&[w.agency, w.open, w.oldest_days])
                        .with_rows(&r.by_agency, |c| count(Cell::named(&c.of), c)),
                    Table::new("open-by-ngo", w.open_per_ngo, w.no_ngo)
                        .cols(&[w.ngo, w.open, w.oldest_days])
                        .with_rows(&r.by_ngo, |c| count(Cell::named(&c.of), c)),
                    Table::new("open-by-zone", w.open_per_zone, w.no_zones)
                        .cols(&[w.zone, w.open, w.oldest_days])
                        .with_rows(&r.by_zone, |c| count(ctx.zone(&c.of), c)),
                ]
            }
            Source::Supervision => {
                let s = models.supervision(g, day).await?;
                vec![
                    Table::new("supervision", w.supervision_per_ngo, w.no_ngo)
                        .cols(&[w.ngo, w.reports, w.mean_rating, w.latest_rating])
                        .days(w.latest_on)
                        .with_rows(&s.ngos, |n: &NgoSupervision| {
                            vec![
                                Cell::named(&n.ngo),
                                Cell::int(n.reports),
                                Cell::Decimal(n.average_rating),
                                n.latest_rating.map_or(Cell::Decimal(None), Cell::int),
                                Cell::Day(n.latest_on),
                            ]
                        }),
                    Table::new("supervision-reports", w.supervision_reports, w.none_filed)
                        .days(w.filed_on)
                        .cols(&[w.ngo, w.zone, w.rating, w.findings])
                        .with_rows(&s.reports, |r| {
                            vec![
                                Cell::Day(Some(r.filed_on)),
                                Cell::named(&r.ngo),
                                r.zone
                                    .as_ref()
                                    .map_or(Cell::Word(w.whole_programme), |z| ctx.zone(z)),
                                Cell::int(r.rating),
                                Cell::text(&r.findings),
                            ]
                        }),
                ]
            }
            Source::Members => {
                let ngos = models.ngo_members(g, day).await?;
                let mut t = Table::new("members", w.members, w.no_members)
                    .cols(&[w.ngo, w.member, w.full_name, w.status])
                    .days(w.since)
                    .days(w.first_approved_on)
                    .cols(&[w.reason]);
                for n in &ngos {
                    for m in &n.members {
                        t.row(vec![
                            Cell::named(&n.ngo),
                            Cell::text(&m.member),
                            Cell::text(&m.full_name),
                            Cell::Word(if m.approved { w.approved } else { w.revoked }),
                            Cell::Day(Some(m.since)),
                            Cell::Day(Some(m.first_approved_on)),
                            Cell::text(&m.revocation_reason),
                        ]);
                    }
                }
                vec![t]
            }
            Source::Late => {
                let l = models.late_items(g, day).await?;
                let late = |id, caption: String, items| {
                    Table::new(id, caption, w.none_late)
                        .cols(&[w.zone, w.title, w.approach, w.by, w.member])
                        .days(w.submitted_on)
                        .cols(&[w.days_late])
                        .with_rows(items, |i: &crate::readmodel::LateItem| {
                            vec![
                                ctx.zone(&i.zone),
                                Cell::text(&i.title),
                                Cell::Word(lang.approach(i.approach)),
                                Cell::named(&i.submitter),
                                i.member
                                    .as_ref()
                                    .map_or(Cell::Text(String::new()), Cell::named),
                                Cell::Day(Some(i.submitted_on)),
                                Cell::int(i.days_late),
                            ]
                        })
                };
                let deadline = |label: &str, d: Option<Day>| match d {
                    Some(d) => format!("{label} ({} {})", w.deadline, lang.day(d)),
                    None => label.to_owned(),
                };
                vec![
                    late(
                        "late-needs",
                        deadline(w.late_needs, l.needs_deadline),
                        &l.needs,
                    ),
                    late(
                        "late-proposals",
                        deadline(w.late_proposals, l.proposals_deadline),
                        &l.proposals,
                    ),
                ]
            }
            Source::Activities => {
                let a = models.activities(g, day).await?;
                let count = |of: Cell, c: &ActivityCount| {
                    vec![of, Cell::int(c.activities), Cell::int(c.participants)]
                };
                vec![
                    Table::new("activities-by-zone", w.activities_per_zone, w.no_zones)
                        .cols(&[w.zone, w.activities, w.participants])
                        .with_rows(&a.by_zone, |c| count(ctx.zone(&c.of), c)),
                    Table::new("activities-by-ngo", w.activities_per_ngo, w.no_ngo)
                        .cols(&[w.ngo, w.activities, w.participants])
                        .with_rows(&a.by_ngo, |c| count(Cell::named(&c.of), c)),
                    Table::new("activities", w.activities, w.none_held)
                        .days(w.held_on)
                        .cols(&[w.zone, w.title, w.ngo, w.member, w.participants])
                        .days(w.reported_on)
                        .with_rows(&a.activities, |a| {
                            vec![
                                Cell::Day(Some(a.held_on)),
                                ctx.zone(&a.zone),
                                Cell::text(&a.title),
                                Cell::named(&a.ngo),
                                Cell::named(&a.member),
                                Cell::int(a.participants),
                                Cell::Day(Some(a.reported_on)),
                            ]
                        }),
                ]
            }
        })
    }
}

/// Days with one decimal, or a dash when there are none.
fn days(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |d| lang.decimal(d))
}

/// The table `id` as of `ctx.day`, if there is one by that id.
pub async fn table(id: &str, ctx: Ctx<'_>) -> Result<Option<Table>, ProjectionError> {
    let Some(source) = Source::of(id) else {
        return Ok(None);
    };
    Ok(source.tables(ctx).await?.into_iter().find(|t| t.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_id_names_one_source() {
        let mut ids: Vec<&str> = Source::ALL.iter().flat_map(|s| s.ids()).copied().collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "{ids:?}");
        assert_eq!(Source::of("open-by-ngo"), Some(Source::Referrals));
        assert_eq!(Source::of("nothing"), None);
    }
}
